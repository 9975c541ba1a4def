-- A stage change a review decided stores that fact, not a sentence (issue 18): the words
-- ("Decision of the review of 3 March 2025") are made from `reason_code` and the change's
-- effective date when shown, in the reader's language. `reason` holds only words a person
-- gave (or another school's record brought).
ALTER TABLE stage_changes ADD COLUMN reason_code TEXT CHECK (reason_code IN ('review_decision'));

-- The changes reviews made so far: each is linked from its review, and its reason is the
-- sentence the review wrote. The history is append-only (0011), so its trigger is off for
-- this one statement; every school's rows are meant (row-level security, 0010).
SELECT set_config('senco.schools', '*', true);
ALTER TABLE stage_changes DISABLE TRIGGER stage_changes_append_only;
UPDATE stage_changes SET reason_code = 'review_decision', reason = ''
WHERE id IN (SELECT stage_change_id FROM reviews WHERE stage_change_id IS NOT NULL)
    AND reason LIKE 'Decision of the review of %';
ALTER TABLE stage_changes ENABLE TRIGGER stage_changes_append_only;
