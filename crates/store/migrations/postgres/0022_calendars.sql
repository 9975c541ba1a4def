-- Calendars (issue 19, point 3): one table of entries (a term, an INSET day or a closure,
-- with its name and its first and last day) for a local authority (school_id NULL) or one
-- school, in place of term_dates and closures, whose rows move here. A school's own terms
-- replace its authority's; INSET days and closures add up (docs/calendars.md).
CREATE TABLE calendar_entries (
    id TEXT PRIMARY KEY,
    la_id TEXT NOT NULL REFERENCES local_authorities (id),
    school_id TEXT REFERENCES schools (id),
    kind TEXT NOT NULL CHECK (kind IN ('term', 'inset', 'closure')),
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX calendar_entries_la ON calendar_entries (la_id, school_id, starts_on);

INSERT INTO calendar_entries (id, la_id, school_id, kind, name, starts_on, ends_on)
    SELECT id, la_id, school_id, 'term', '', starts_on, ends_on FROM term_dates;
INSERT INTO calendar_entries (id, la_id, school_id, kind, name, starts_on, ends_on)
    SELECT id, la_id, school_id, 'closure', reason, starts_on, ends_on FROM closures;
DROP TABLE term_dates;
DROP TABLE closures;

-- The published bank holidays (gov.uk/bank-holidays.json) as last loaded by
-- `senco calendar bank-holidays`; while empty, the copy shipped in the binary is used.
CREATE TABLE bank_holidays (
    division TEXT NOT NULL CHECK (division IN ('england-and-wales', 'scotland', 'northern-ireland')),
    on_date TEXT NOT NULL,
    title TEXT NOT NULL,
    notes TEXT NOT NULL,
    bunting INTEGER NOT NULL CHECK (bunting IN (0, 1)),
    PRIMARY KEY (division, on_date)
);
