-- Restore drills (SR-36): each run of `senco restore --drill`, kept in the live database so
-- the school can show that restores are tested. No pupil data: the backup file's name, its
-- manifest time, how long the drill took and how it ended.
CREATE TABLE restore_drills (
    id TEXT PRIMARY KEY,
    ran_at TEXT NOT NULL,
    backup_file TEXT NOT NULL,
    backup_created_at TEXT,
    engine TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    rto_seconds BIGINT NOT NULL,
    passed INTEGER NOT NULL,
    failed_step TEXT,
    detail TEXT,
    tables_checked BIGINT NOT NULL,
    rows_checked BIGINT NOT NULL,
    senco_version TEXT NOT NULL
);
CREATE INDEX restore_drills_ran_at ON restore_drills (ran_at);
