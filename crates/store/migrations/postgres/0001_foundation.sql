-- Senco foundation schema (PostgreSQL).
-- Identifiers are UUID text; dates are 'YYYY-MM-DD'; times are UTC RFC 3339 text with a
-- fixed width so that text order is time order; flags are BIGINT 0/1.
-- Every table that holds pupil data carries school_id (tenancy is structural).

CREATE TABLE local_authorities (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT NOT NULL CHECK (country IN ('england', 'wales')),
    created_at TEXT NOT NULL
);

CREATE TABLE schools (
    id TEXT PRIMARY KEY,
    la_id TEXT NOT NULL REFERENCES local_authorities (id),
    urn TEXT NOT NULL UNIQUE,
    estab_number TEXT NOT NULL,
    name TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('nursery', 'primary', 'secondary', 'special', 'all_through')),
    country TEXT NOT NULL CHECK (country IN ('england', 'wales')),
    maintained BIGINT NOT NULL DEFAULT 1 CHECK (maintained IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (la_id, estab_number)
);

CREATE TABLE school_frameworks (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    framework TEXT NOT NULL CHECK (framework IN ('england_2001', 'wales_2002', 'england_2014', 'wales_aln_2021')),
    started_on TEXT NOT NULL,
    UNIQUE (school_id, framework, started_on)
);

CREATE TABLE term_dates (
    id TEXT PRIMARY KEY,
    la_id TEXT NOT NULL REFERENCES local_authorities (id),
    school_id TEXT REFERENCES schools (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX term_dates_la ON term_dates (la_id, school_id);

CREATE TABLE closures (
    id TEXT PRIMARY KEY,
    la_id TEXT NOT NULL REFERENCES local_authorities (id),
    school_id TEXT REFERENCES schools (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX closures_la ON closures (la_id, school_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('senco', 'teacher', 'teaching_assistant', 'head', 'school_admin', 'parent', 'specialist', 'la_officer', 'admin')),
    school_id TEXT REFERENCES schools (id),
    la_id TEXT REFERENCES local_authorities (id),
    password_hash TEXT,
    must_change_password BIGINT NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_school ON users (school_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    account_key TEXT NOT NULL,
    address TEXT NOT NULL,
    succeeded BIGINT NOT NULL CHECK (succeeded IN (0, 1)),
    at TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account_key, at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, at);

CREATE TABLE reg_groups (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    year_code BIGINT,
    teacher_user_id TEXT REFERENCES users (id),
    UNIQUE (school_id, name)
);
CREATE INDEX reg_groups_teacher ON reg_groups (teacher_user_id);

CREATE TABLE pupils (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    upn TEXT UNIQUE,
    former_upn TEXT,
    legal_forename TEXT NOT NULL,
    legal_surname TEXT NOT NULL,
    preferred_forename TEXT,
    preferred_surname TEXT,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    year_override BIGINT,
    reg_group_id TEXT REFERENCES reg_groups (id),
    looked_after BIGINT NOT NULL DEFAULT 0 CHECK (looked_after IN (0, 1)),
    eal BIGINT NOT NULL DEFAULT 0 CHECK (eal IN (0, 1)),
    fsm BIGINT NOT NULL DEFAULT 0 CHECK (fsm IN (0, 1)),
    correspondence_language TEXT NOT NULL DEFAULT 'english' CHECK (correspondence_language IN ('english', 'welsh')),
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX pupils_school_surname ON pupils (school_id, legal_surname, legal_forename);
CREATE INDEX pupils_reg_group ON pupils (reg_group_id);

-- Earlier versions of a pupil's details, for history (retention can destroy these).
CREATE TABLE pupil_versions (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    changed_by TEXT,
    changed_at TEXT NOT NULL,
    UNIQUE (pupil_id, version)
);

CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    created_at TEXT NOT NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX enrolments_pupil ON enrolments (pupil_id);
CREATE INDEX enrolments_school ON enrolments (school_id);

CREATE TABLE teaching_assignments (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    UNIQUE (user_id, pupil_id)
);
CREATE INDEX teaching_assignments_pupil ON teaching_assignments (pupil_id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    parental_responsibility BIGINT NOT NULL CHECK (parental_responsibility IN (0, 1)),
    restricted BIGINT NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
    email TEXT,
    phone TEXT,
    user_id TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contacts_pupil ON contacts (pupil_id);
CREATE INDEX contacts_user ON contacts (user_id);

-- A specialist's involvement with a pupil. The full workflow (consent, visits, reports)
-- comes with the provision and specialists issue; access rules use it already.
CREATE TABLE involvements (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    specialist_user_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'active', 'closed')),
    consent_recorded_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX involvements_specialist ON involvements (specialist_user_id);

-- A school's decision to share a pupil's full record with its local authority.
CREATE TABLE la_shares (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    la_id TEXT NOT NULL REFERENCES local_authorities (id),
    shared_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX la_shares_la ON la_shares (la_id);

-- Append-only: who read or changed what, never the content itself.
CREATE TABLE audit_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    request_id TEXT,
    channel TEXT NOT NULL,
    actor_user_id TEXT,
    actor_label TEXT NOT NULL,
    actor_role TEXT,
    school_id TEXT,
    pupil_id TEXT,
    record_type TEXT NOT NULL,
    record_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    fields TEXT
);
CREATE INDEX audit_log_pupil ON audit_log (pupil_id, seq);
CREATE FUNCTION senco_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows cannot be changed or deleted';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION senco_audit_is_append_only();

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
