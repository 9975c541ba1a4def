-- A stage change a review decided stores that fact, not a sentence (issue 18): the words
-- ("Decision of the review of 3 March 2025") are made from `reason_code` and the change's
-- effective date when shown, in the reader's language. `reason` holds only words a person
-- gave (or another school's record brought).
ALTER TABLE stage_changes ADD COLUMN reason_code TEXT CHECK (reason_code IN ('review_decision'));

-- The changes reviews made so far: each is linked from its review, and its reason is the
-- sentence the review wrote.
DROP TRIGGER stage_changes_no_update;
UPDATE stage_changes SET reason_code = 'review_decision', reason = ''
WHERE id IN (SELECT stage_change_id FROM reviews WHERE stage_change_id IS NOT NULL)
    AND reason LIKE 'Decision of the review of %';

-- Append-only again, in every column but school_id (0011), the new one too.
CREATE TRIGGER stage_changes_no_update BEFORE UPDATE OF id, seq, pupil_id, framework, stage,
    effective_on, reason, reason_code, decided_by, decided_with, specialists, supersedes,
    imported, recorded_by, recorded_at ON stage_changes
BEGIN
    SELECT RAISE(ABORT, 'stage history is append-only: record a correction instead');
END;
