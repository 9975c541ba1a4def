-- The graduated response: concerns, the append-only stage history, parents told, needs and
-- statutory processes. Every table carries school_id (tenancy is structural).

CREATE TABLE concerns (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    raised_by TEXT NOT NULL REFERENCES users (id),
    raised_on TEXT NOT NULL,
    framework TEXT NOT NULL,
    areas TEXT NOT NULL,
    details TEXT,
    triggers TEXT NOT NULL,
    tried TEXT NOT NULL,
    result TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('awaiting_triage', 'monitoring', 'placed', 'closed')),
    triaged_by TEXT REFERENCES users (id),
    triaged_at TEXT,
    outcome_reason TEXT,
    stage_change_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    recorded_at TEXT NOT NULL
);
CREATE INDEX concerns_school_status ON concerns (school_id, status);
CREATE INDEX concerns_pupil ON concerns (pupil_id);

-- Append-only: a correction is a new row that supersedes an earlier one.
CREATE TABLE stage_changes (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    framework TEXT NOT NULL,
    stage TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT,
    decided_with TEXT,
    specialists TEXT,
    supersedes TEXT REFERENCES stage_changes (id),
    imported INTEGER NOT NULL DEFAULT 0 CHECK (imported IN (0, 1)),
    recorded_by TEXT,
    recorded_at TEXT NOT NULL,
    UNIQUE (pupil_id, seq)
);
CREATE INDEX stage_changes_pupil ON stage_changes (pupil_id, seq);
CREATE TRIGGER stage_changes_no_update BEFORE UPDATE ON stage_changes
BEGIN
    SELECT RAISE(ABORT, 'stage history is append-only: record a correction instead');
END;

-- Derived from stage_changes in the same transaction as every change: the stage in force now.
CREATE TABLE current_stages (
    pupil_id TEXT PRIMARY KEY REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    framework TEXT NOT NULL,
    stage TEXT NOT NULL,
    since TEXT NOT NULL,
    stage_change_id TEXT NOT NULL REFERENCES stage_changes (id)
);
CREATE INDEX current_stages_school ON current_stages (school_id, stage);

CREATE TABLE parent_notifications (
    id TEXT PRIMARY KEY,
    stage_change_id TEXT NOT NULL REFERENCES stage_changes (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    informed_on TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('meeting', 'letter', 'phone', 'email')),
    recorded_by TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX parent_notifications_change ON parent_notifications (stage_change_id);

CREATE TABLE needs (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    code TEXT NOT NULL,
    rank INTEGER NOT NULL CHECK (rank >= 1),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX needs_pupil ON needs (pupil_id);

-- Statutory assessment requests and the Welsh ALN decision, beside the current stage.
CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    kind TEXT NOT NULL CHECK (kind IN ('statutory_assessment', 'aln_decision')),
    started_on TEXT NOT NULL,
    decided_on TEXT,
    outcome TEXT,
    notes TEXT,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL,
    CHECK (decided_on IS NULL OR decided_on >= started_on)
);
CREATE INDEX processes_pupil ON processes (pupil_id);
