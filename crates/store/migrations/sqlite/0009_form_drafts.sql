-- What someone had typed when their session ended, kept for them alone until they sign in
-- again (an hour at most), and offered to them once.
CREATE TABLE form_drafts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX form_drafts_user ON form_drafts (user_id, created_at);
