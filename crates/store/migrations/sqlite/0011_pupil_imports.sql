-- An uploaded pupil file, kept between the preview and the confirmation (a day at most),
-- for the school that uploaded it.
CREATE TABLE pupil_imports (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX pupil_imports_created ON pupil_imports (created_at);

-- A confirmed transfer moves a pupil's stage history to the new school: the history stays
-- append-only in every column but school_id. (A column added to stage_changes later must be
-- added to this list: `ops.rs` checks that it is.)
DROP TRIGGER stage_changes_no_update;
CREATE TRIGGER stage_changes_no_update BEFORE UPDATE OF id, seq, pupil_id, framework, stage,
    effective_on, reason, decided_by, decided_with, specialists, supersedes, imported,
    recorded_by, recorded_at ON stage_changes
BEGIN
    SELECT RAISE(ABORT, 'stage history is append-only: record a correction instead');
END;
