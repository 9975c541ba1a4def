//! Senco's integration tests: one binary (each file in tests/ would be its own slow link).
//! Every test starts the real server on a random port with a fresh database, on SQLite and,
//! when `SENCO_TEST_POSTGRES_URL` is set, on PostgreSQL.

mod helpers;

// Who may reach which record, through pages and API, for every role.
mod access;
// The JSON API: lists, creation, validation, optimistic locking, problem documents.
mod api;
// The crates' dependency direction and other rules about the code itself.
mod architecture;
// SR-19, SR-25: injection payloads stored literally; body, depth and page limits; panics.
mod limits;
// Accounts: sign-in, throttling, sessions, CSRF, disabling, passphrase changes.
mod auth;
// Two-factor sign-in: enrolment, codes, replay, recovery codes.
mod two_factor;
// SR-07: one school's data never reaches another's accounts (a canary crawl).
mod canary;
// SR-35, SR-36: backups under load, encryption, restores checked against the manifest, drills.
mod backup;
// The command line.
mod cli;
// Pages: searching, the pupil page, forms that keep what was typed.
mod pages;
// The graduated response: concerns, stage changes, needs and processes.
mod sen;
// Plans and reviews.
mod plans;
// Provision: catalogue, allocations, delivery, the map and impact.
mod provision;
// Outside specialists: referrals, consent, notes, reports and what specialists see.
mod specialists;
// SR-08: row-level security on PostgreSQL, tested as a role that owns nothing.
mod tenancy;
// SR-02, SR-06: every matrix row through a real request, and what each role's responses hold.
mod matrix;
// SR-33, SR-34, SR-37: the real binary killed with -9 under writes and during migrations; the
// SQLite settings on every connection; databases another Senco migrated are refused.
mod crash;
// Health, readiness, metrics, headers, the audit log and the schema.
mod ops;
// SR-27: the audit chain's start, and anchors kept outside the database.
mod audit_chain;
// The SEN register (page, CSV, API) and a pupil's chronology.
mod register;
// The school census SEN return: page, downloads, command line.
mod census;
// Importing pupils from an MIS CSV export: command line and pages, bad input changes nothing.
mod ctf;
mod imports;
// The portable full record: export, import into a fresh database, bad files change nothing.
mod record;
// `senco generate` (issue 9).
mod generate;
// Retention (SR-30): flag dates, the review page, destruction down to the raw files, and the
// audit log's own retention.
mod retention;
// SR-31: the subject-access bundle, its table mapping meta-test and who may export it.
mod subject_access;
// A refused request changes nothing: every API write with one invalid field.
mod refusals;
// The use cases called directly on a temporary SQLite database, without HTTP (issue 18).
mod use_cases;
// Issue 17, point 12: what the pages do, the API does, with the same rules for each role.
mod parity;
// Issue 19, point 6: recording a leaver from the pupil page and the API.
mod leavers;
// Issue 19, point 1: authorities and schools through pages, API and CLI; the register import.
mod calendar;
mod school_register;
mod staff;
// Issue 19, point 2: a school's frameworks by date, previewed and confirmed by the administrator.
mod frameworks;
// Issue 18, point 2: the language chosen per request and per recipient.
mod lang;
