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
CREATE TABLE involvements_new (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    agency_id TEXT REFERENCES agencies (id),
    person_id TEXT REFERENCES agency_people (id),
    specialist_user_id TEXT REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'active', 'closed')),
    referral_on TEXT,
    reason TEXT NOT NULL DEFAULT '',
    consent_recorded_on TEXT,
    consent_by TEXT,
    consent_withdrawn_on TEXT,
    closed_on TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT
);
INSERT INTO involvements_new (id, pupil_id, school_id, specialist_user_id, status, consent_recorded_on, created_at)
    SELECT id, pupil_id, school_id, specialist_user_id, status, consent_recorded_on, created_at FROM involvements;
DROP TABLE involvements;
ALTER TABLE involvements_new RENAME TO involvements;
CREATE INDEX involvements_specialist ON involvements (specialist_user_id);
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
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    shared_with_parents INTEGER NOT NULL DEFAULT 0 CHECK (shared_with_parents IN (0, 1)),
    uploaded_by TEXT REFERENCES users (id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX involvement_reports_involvement ON involvement_reports (involvement_id);
