-- Provision: the school's catalogue of help, pupils' allocations with entry and exit
-- measures, and the delivery log (one row per pupil per session).
-- Measures and expected gains are stored in thousandths (integers): sqlx 0.9's Any driver
-- binds a NULL double as float4 on PostgreSQL, which then refuses a later float8.

CREATE TABLE provisions (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('small_group', 'one_to_one', 'equipment', 'teaching_programme', 'specialist_teaching', 'therapy')),
    area TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    staff_role TEXT NOT NULL DEFAULT '',
    staff_user_id TEXT REFERENCES users (id),
    group_size INTEGER NOT NULL CHECK (group_size >= 1),
    sessions_per_week INTEGER NOT NULL CHECK (sessions_per_week >= 0),
    minutes_per_session INTEGER NOT NULL CHECK (minutes_per_session >= 0),
    cost_basis TEXT NOT NULL CHECK (cost_basis IN ('staff_time', 'per_item', 'per_term')),
    cost_pence INTEGER NOT NULL CHECK (cost_pence >= 0),
    expected_gain_milli INTEGER,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (school_id, name)
);
CREATE INDEX provisions_staff ON provisions (staff_user_id);

CREATE TABLE allocations (
    id TEXT PRIMARY KEY,
    provision_id TEXT NOT NULL REFERENCES provisions (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    from_on TEXT NOT NULL,
    to_on TEXT NOT NULL,
    sessions_per_week INTEGER NOT NULL CHECK (sessions_per_week >= 0),
    targets TEXT NOT NULL DEFAULT '',
    measure_name TEXT,
    measure_unit TEXT CHECK (measure_unit IS NULL OR measure_unit IN ('months', 'standardised_score', 'words_per_minute', 'school_scale')),
    entry_milli INTEGER,
    entry_on TEXT,
    exit_milli INTEGER,
    exit_on TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (to_on >= from_on)
);
CREATE INDEX allocations_pupil ON allocations (pupil_id, from_on);
CREATE INDEX allocations_provision ON allocations (provision_id, from_on);
CREATE INDEX allocations_school ON allocations (school_id, to_on);

CREATE TABLE delivery_sessions (
    id TEXT PRIMARY KEY,
    allocation_id TEXT NOT NULL REFERENCES allocations (id),
    provision_id TEXT NOT NULL REFERENCES provisions (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    on_date TEXT NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes >= 0),
    status TEXT NOT NULL CHECK (status IN ('delivered', 'pupil_absent', 'cancelled')),
    reason TEXT,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL,
    UNIQUE (allocation_id, on_date)
);
CREATE INDEX delivery_sessions_pupil ON delivery_sessions (pupil_id, on_date);
