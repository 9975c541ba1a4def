-- Nobody gives an account more than they can see themselves without a second person
-- (issue 16, point 2; SR-02, SR-06). An account with SEN access made by someone without it
-- (a school administrator, the installation administrator) waits, disabled and without a
-- passphrase, until the school's SENCO or head teacher approves it (`approval_school_id`),
-- or, for an account of no school or a school with neither, another administrator; only
-- then is the invitation link emailed. `approval` is NULL once approved (or when none was
-- needed). A parent's sign-in linked to a child by someone without SEN access waits in
-- `contacts.pending_user_id` until the child's school's SENCO or head teacher approves it.
ALTER TABLE users ADD COLUMN approval TEXT CHECK (approval IS NULL OR approval IN ('pending', 'refused'));
ALTER TABLE users ADD COLUMN approval_school_id TEXT REFERENCES schools (id);
ALTER TABLE users ADD COLUMN requested_by TEXT REFERENCES users (id);
ALTER TABLE contacts ADD COLUMN pending_user_id TEXT REFERENCES users (id);
ALTER TABLE contacts ADD COLUMN link_requested_by TEXT REFERENCES users (id);
CREATE INDEX users_pending ON users (approval_school_id) WHERE approval = 'pending';
CREATE INDEX contacts_pending ON contacts (school_id) WHERE pending_user_id IS NOT NULL;
