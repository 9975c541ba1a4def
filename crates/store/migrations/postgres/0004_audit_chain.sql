-- A hash chain over the audit log: each row carries the hash of the row before it and its
-- own, and the head row holds the last hash, so that a changed, removed or truncated row is
-- found by `senco audit verify`.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TABLE audit_chain_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, last_seq, hash) VALUES (1, 0, 'genesis');
