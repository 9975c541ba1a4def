-- Transfers between schools need the school that holds the record (issue 16, SR-07, SR-26).
-- An import that names a pupil of another school, with a matching date of birth, no longer
-- moves the pupil: it files a request here, which the holding school's SENCO or head
-- releases or declines, or an officer of the holding school's authority approves. The row
-- belongs to the holding school (`school_id`) and is seen by the requesting school too.
-- `legal_forename` and `legal_surname` are as the requesting school's file gave them.
CREATE TABLE transfer_requests (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    to_school_id TEXT NOT NULL REFERENCES schools (id),
    upn TEXT NOT NULL,
    legal_forename TEXT NOT NULL,
    legal_surname TEXT NOT NULL,
    surname_differs INTEGER NOT NULL CHECK (surname_differs IN (0, 1)),
    source TEXT NOT NULL CHECK (source IN ('pupil_import', 'ctf_import')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'released', 'declined')),
    requested_by TEXT REFERENCES users (id),
    requested_label TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_as TEXT CHECK (decided_as IS NULL OR decided_as IN ('school', 'authority')),
    decided_at TEXT,
    CHECK (school_id <> to_school_id)
);
CREATE INDEX transfer_requests_from ON transfer_requests (school_id, status);
CREATE INDEX transfer_requests_to ON transfer_requests (to_school_id, status);
CREATE INDEX transfer_requests_pupil ON transfer_requests (pupil_id);
CREATE UNIQUE INDEX transfer_requests_one_pending ON transfer_requests (pupil_id, to_school_id)
    WHERE status = 'pending';

-- A UPN named by one school that belongs to another school's pupil whose date of birth does
-- not match is a probe: audited (`action = 'upn_probe'`) and counted per account over a
-- window, so a burst is refused and flagged. The partial index keeps the count cheap.
CREATE INDEX audit_log_probes ON audit_log (actor_label, at) WHERE action = 'upn_probe';

-- Row-level security as on every table of pupil data (migration 0010): both schools of a
-- request see it (officers: the schools of their authority).
ALTER TABLE transfer_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE transfer_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY transfer_requests_tenant ON transfer_requests
    USING (senco_may_touch(school_id) OR senco_may_touch(to_school_id))
    WITH CHECK (senco_may_touch(school_id) OR senco_may_touch(to_school_id));
