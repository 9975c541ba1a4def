-- Indexes found by the load benchmark at 100,000 pupils (issue 9, BENCHMARKS.md). An LA
-- officer's pupil list asked, for each of the authority's pupils, whether a live share
-- existed, and la_shares had only an index on la_id: every probe scanned the authority's
-- shares (98,000 pupils times 3,000 shares), so the list took seconds. The scope now reads
-- the live shares first (`pupils.rs`, `Scope::push_predicate`), from this partial index;
-- the index on pupil_id serves one pupil's shares (the record, subject access, retention).
-- No data changes.
CREATE INDEX la_shares_live ON la_shares (la_id, pupil_id) WHERE revoked_at IS NULL;
CREATE INDEX la_shares_pupil ON la_shares (pupil_id);
