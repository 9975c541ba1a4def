-- Authorities and schools kept by the administrator (issue 19, point 1): the details the
-- national registers hold (address and contact, Welsh language medium), a school's closure
-- (closed schools stay, for history: nothing is deleted) and a version each, so that an
-- edit made on an older copy is refused rather than silently overwriting a newer one.
-- Independent of migration 0019.

ALTER TABLE local_authorities ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE local_authorities ADD COLUMN updated_at TEXT;

ALTER TABLE schools ADD COLUMN street TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN locality TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN town TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN telephone TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN language_medium TEXT
    CHECK (language_medium IS NULL OR language_medium IN ('english', 'dual', 'transitional', 'welsh'));
ALTER TABLE schools ADD COLUMN closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1));
ALTER TABLE schools ADD COLUMN closed_on TEXT;
ALTER TABLE schools ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE schools ADD COLUMN updated_at TEXT;

-- A register file uploaded on the import page, kept between the preview and the
-- confirmation (a day at most), for the administrator who uploaded it.
CREATE TABLE register_uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX register_uploads_created ON register_uploads (created_at);
