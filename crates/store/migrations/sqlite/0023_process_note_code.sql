-- A statutory process a plan review asked for stores that fact, not a sentence (issue 18):
-- the words ("Requested at a plan review") are made from `notes_code` when shown, in the
-- reader's language. `notes` holds only words a person gave (or another school's record
-- brought).
ALTER TABLE processes ADD COLUMN notes_code TEXT CHECK (notes_code IN ('plan_review_request'));

-- The processes reviews asked for so far: their notes are the sentence the review wrote.
UPDATE processes SET notes_code = 'plan_review_request', notes = NULL
WHERE kind = 'statutory_assessment' AND notes = 'Requested at a plan review';
