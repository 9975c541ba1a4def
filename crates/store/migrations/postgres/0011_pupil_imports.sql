-- An uploaded pupil file, kept between the preview and the confirmation (a day at most),
-- for the school that uploaded it.
CREATE TABLE pupil_imports (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX pupil_imports_created ON pupil_imports (created_at);

-- Row-level security as on every table of pupil data (migration 0010).
ALTER TABLE pupil_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE pupil_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY pupil_imports_tenant ON pupil_imports
    USING (senco_may_touch(school_id)) WITH CHECK (senco_may_touch(school_id));

-- A confirmed transfer moves a pupil's stage history to the new school: the history stays
-- append-only in every column but school_id (compared as a whole row, so a column added
-- later is covered without touching this trigger).
CREATE FUNCTION senco_stage_history_moves_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'school_id') IS DISTINCT FROM (to_jsonb(OLD) - 'school_id') THEN
        RAISE EXCEPTION 'stage history is append-only: record a correction instead';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER stage_changes_append_only ON stage_changes;
CREATE TRIGGER stage_changes_append_only BEFORE UPDATE ON stage_changes
    FOR EACH ROW EXECUTE FUNCTION senco_stage_history_moves_only();
