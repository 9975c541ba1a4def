-- Row-level security (SR-08): every table that holds a pupil's data is visible and writable
-- only for the schools the current request may touch. Senco sets `senco.schools` on each
-- connection as it leaves the pool: a comma-separated list of school ids, or `*` for
-- Senco's own trusted work (the command line, migrations, background jobs). Unset or empty
-- matches nothing, so a connection nobody scoped fails closed. FORCE applies the policy to
-- the tables' owner as well; only superusers and BYPASSRLS roles are exempt.

CREATE FUNCTION senco_may_touch(school TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE coalesce(current_setting('senco.schools', true), '')
        WHEN '' THEN false
        WHEN '*' THEN true
        ELSE school = ANY (string_to_array(current_setting('senco.schools', true), ','))
    END
$$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'pupils', 'pupil_versions', 'enrolments', 'teaching_assignments', 'contacts',
        'involvements', 'la_shares', 'concerns', 'stage_changes', 'current_stages',
        'parent_notifications', 'needs', 'processes', 'plans', 'plan_targets',
        'plan_provision', 'plan_versions', 'reviews', 'target_outcomes',
        'parent_contributions', 'allocations', 'delivery_sessions', 'involvement_notes',
        'involvement_reports'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (senco_may_touch(school_id)) WITH CHECK (senco_may_touch(school_id))',
            t || '_tenant', t);
    END LOOP;
END
$$;
