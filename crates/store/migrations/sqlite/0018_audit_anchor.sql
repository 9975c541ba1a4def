-- Every audit row carries its hash chain (SR-27, issue 16 point 6): a row inserted without
-- one would pass `senco audit verify` as "written before the chain existed". Rows from
-- before migration 0004 keep their empty columns; `senco audit verify` accepts those only
-- before the chain's first row.
CREATE TRIGGER audit_log_sealed BEFORE INSERT ON audit_log
WHEN NEW.hash IS NULL OR NEW.hash = '' OR NEW.prev_hash IS NULL OR NEW.prev_hash = ''
BEGIN
    SELECT RAISE(ABORT, 'audit rows must carry their hash chain');
END;
