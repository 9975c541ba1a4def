//! Senco's domain vocabulary: identifiers, codes, roles and school-day arithmetic.
//!
//! Everything here is pure: no I/O, and no clock. Callers pass dates and times in.
//! Values are parsed once at the edge into types that cannot hold invalid data.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)
)]

pub mod bank_holidays;
pub mod calendar;
pub mod calendar_entry;
pub mod census;
pub mod census_return;
pub mod concern;
pub mod cross_border;
pub mod entry;
pub mod establishment;
pub mod framework;
pub mod framework_periods;
pub mod history;
pub mod ids;
pub mod lang;
pub mod leaving;
pub mod person;
pub mod plan;
pub mod policy;
pub mod problem;
pub mod process;
pub mod provision;
pub mod pupil;
pub mod retention;
pub mod role;
pub mod school;
pub mod specialist;
pub mod subject_access;
pub mod totp;
pub mod upn;
pub mod year_group;

pub use time::Date;
