-- Outside specialists: the agencies a school works with and their people, each pupil's
-- involvements (referral, parental consent, status), visits, assessments, advice and
-- recommendations, and uploaded reports (kept in the database with the pupil's school, so
-- backups, retention and access rules cover them).

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    kind TEXT NOT NULL CHECK (kind IN ('educational_psychology', 'speech_and_language_therapy', 'specialist_teaching', 'occupational_therapy', 'physiotherapy', 'camhs', 'sensory_service', 'behaviour_support', 'school_nurse', 'social_care')),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (school_id, name)
);

CREATE TABLE agency_people (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '',
    email TEXT,
    user_id TEXT REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX agency_people_agency ON agency_people (agency_id);

-- The foundation's involvements gain the workflow; the specialist may have no account.
ALTER TABLE involvements ALTER COLUMN specialist_user_id DROP NOT NULL;
ALTER TABLE involvements ADD COLUMN agency_id TEXT REFERENCES agencies (id);
ALTER TABLE involvements ADD COLUMN person_id TEXT REFERENCES agency_people (id);
ALTER TABLE involvements ADD COLUMN referral_on TEXT;
ALTER TABLE involvements ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE involvements ADD COLUMN consent_by TEXT;
ALTER TABLE involvements ADD COLUMN consent_withdrawn_on TEXT;
ALTER TABLE involvements ADD COLUMN closed_on TEXT;
ALTER TABLE involvements ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE involvements ADD COLUMN created_by TEXT;
ALTER TABLE involvements ADD COLUMN updated_at TEXT;
CREATE INDEX involvements_pupil ON involvements (pupil_id);

CREATE TABLE involvement_notes (
    id TEXT PRIMARY KEY,
    involvement_id TEXT NOT NULL REFERENCES involvements (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    kind TEXT NOT NULL CHECK (kind IN ('visit', 'assessment', 'advice', 'recommendation')),
    on_date TEXT NOT NULL,
    body TEXT NOT NULL,
    author_user_id TEXT REFERENCES users (id),
    strategy_target_id TEXT REFERENCES plan_targets (id),
    created_at TEXT NOT NULL
);
CREATE INDEX involvement_notes_involvement ON involvement_notes (involvement_id, on_date);

CREATE TABLE involvement_reports (
    id TEXT PRIMARY KEY,
    involvement_id TEXT NOT NULL REFERENCES involvements (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pdf', 'docx', 'png', 'jpeg')),
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    shared_with_parents BIGINT NOT NULL DEFAULT 0 CHECK (shared_with_parents IN (0, 1)),
    uploaded_by TEXT REFERENCES users (id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX involvement_reports_involvement ON involvement_reports (involvement_id);
