-- Indexes found by the load benchmark at 100,000 pupils (issue 9, BENCHMARKS.md). The SENCO
-- dashboard's "parents not yet told" list (`Store::untold_changes`) read every school's
-- stage history and, for each change, scanned the whole history for a correction of it:
-- 186 ms of the dashboard's 200 ms. No data changes.
CREATE INDEX stage_changes_supersedes ON stage_changes (supersedes);
CREATE INDEX stage_changes_school ON stage_changes (school_id, effective_on);
