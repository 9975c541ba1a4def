-- Every audit row carries its hash chain (SR-27, issue 16 point 6): a row inserted without
-- one would pass `senco audit verify` as "written before the chain existed". Rows from
-- before migration 0004 keep their empty columns (NOT VALID: the check applies to new rows
-- only); `senco audit verify` accepts those only before the chain's first row. The
-- server's role does not own the table, so it cannot drop the check.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_sealed
    CHECK (hash IS NOT NULL AND hash <> '' AND prev_hash IS NOT NULL AND prev_hash <> '')
    NOT VALID;
