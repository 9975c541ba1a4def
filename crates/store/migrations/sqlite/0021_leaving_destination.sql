-- Where a pupil went when they left (issue 19, point 6): the destination school's DfE number
-- (local authority code and establishment number, seven digits) when the school knows it.
-- The CTF export addresses a leaver's file to it.
ALTER TABLE enrolments ADD COLUMN destination_laestab TEXT
    CHECK (destination_laestab IS NULL OR length(destination_laestab) = 7);
