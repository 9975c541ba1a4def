-- Retention (SR-30): how a pupil left each school, the reviews of records due for
-- destruction, the destruction log, and the audit log's own retention.

-- How an enrolment ended: the pupil left education here ('left'), or moved on to another
-- school ('transferred_out'), which then holds the record (this school is not the last).
ALTER TABLE enrolments ADD COLUMN leaving TEXT CHECK (leaving IS NULL OR leaving IN ('left', 'transferred_out'));

-- A pupil whose records are due under a retention class, flagged by the daily review and
-- decided by the SENCO or head teacher: destroy (approved, then destroyed and removed from
-- here) or keep with a documented reason until a later date.
CREATE TABLE retention_reviews (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    class TEXT NOT NULL CHECK (class IN ('sen_file', 'pupil_record', 'transferred_out')),
    due_on TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'kept')),
    decided_by TEXT,
    decided_at TEXT,
    reason TEXT,
    keep_until TEXT,
    CHECK (status <> 'kept' OR (reason IS NOT NULL AND keep_until IS NOT NULL))
);
CREATE UNIQUE INDEX retention_reviews_pupil ON retention_reviews (pupil_id);
CREATE INDEX retention_reviews_school ON retention_reviews (school_id, status);

-- What was destroyed, when and on whose approval: ids, the class and dates only, never a
-- name or any content. Append-only, like the audit log.
CREATE TABLE destruction_log (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    pupil_id TEXT NOT NULL,
    class TEXT NOT NULL,
    due_on TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    destroyed_at TEXT NOT NULL,
    rows_removed BIGINT NOT NULL
);
CREATE INDEX destruction_log_school ON destruction_log (school_id, destroyed_at);
CREATE FUNCTION senco_destruction_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'destruction log rows cannot be changed or deleted';
END;
$$;
CREATE TRIGGER destruction_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON destruction_log
    FOR EACH STATEMENT EXECUTE FUNCTION senco_destruction_log_is_append_only();

-- Row-level security as on every table of pupil data (migration 0010).
ALTER TABLE retention_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY retention_reviews_tenant ON retention_reviews
    USING (senco_may_touch(school_id)) WITH CHECK (senco_may_touch(school_id));
ALTER TABLE destruction_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE destruction_log FORCE ROW LEVEL SECURITY;
CREATE POLICY destruction_log_tenant ON destruction_log
    USING (senco_may_touch(school_id)) WITH CHECK (senco_may_touch(school_id));

-- The audit log's own retention: `senco audit prune` removes the oldest rows in one
-- transaction that holds a permit naming the last row it may remove, then records that
-- row's hash as the chain's anchor, where `senco audit verify` starts. Without a permit
-- every delete is still refused; `senco migrate --grant-to` gives the serving role no
-- right to write a permit.
ALTER TABLE audit_chain_head ADD COLUMN anchor_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_chain_head ADD COLUMN anchor_hash TEXT NOT NULL DEFAULT 'genesis';
CREATE TABLE audit_prune_permit (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    up_to_seq BIGINT NOT NULL
);
CREATE FUNCTION senco_audit_prunes_only_with_a_permit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_prune_permit WHERE OLD.seq <= up_to_seq) THEN
        RAISE EXCEPTION 'audit rows cannot be changed or deleted';
    END IF;
    RETURN OLD;
END;
$$;
-- A DELETE statement is refused outright without a permit (even one matching no row, as
-- before), and with one, each row past the permit's last row is refused.
CREATE FUNCTION senco_audit_deletes_only_with_a_permit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_prune_permit) THEN
        RAISE EXCEPTION 'audit rows cannot be changed or deleted';
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION senco_audit_is_append_only();
CREATE TRIGGER audit_log_delete_needs_a_permit BEFORE DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION senco_audit_deletes_only_with_a_permit();
CREATE TRIGGER audit_log_prune_only BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION senco_audit_prunes_only_with_a_permit();
