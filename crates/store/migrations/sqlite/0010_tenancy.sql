-- Row-level security exists on PostgreSQL only (see the PostgreSQL migration of the same
-- number). On SQLite one process owns the file: tenancy rests on every pupil table's
-- school_id and the scoped queries, checked by the schema meta-test and the canary crawl.
SELECT 1;
