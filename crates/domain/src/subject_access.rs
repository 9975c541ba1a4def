//! Subject access (SR-31): the rules behind the bundle of everything Senco holds about a
//! pupil, which a school hands over in answer to a subject access request (UK GDPR Art 15)
//! or a parent's request for the educational record (maintained schools).
//!
//! Pure: the deadlines are counted from a date passed in, with the school's calendar; the
//! review flags are decided from codes and kinds, never from reading text.
//!
//! Flags do not redact anything. They mark what a person must look at before the bundle
//! leaves the school: other people's information (notes written by or about others, outside
//! agencies' reports, other parents' details), which may need redacting, and health
//! information, which has exemptions of its own (the serious-harm test).

use time::{Date, Month};

use crate::calendar::{Deadline, SchoolCalendar};
use crate::census::{NeedCode, parse_need};
use crate::specialist::AgencyKind;

/// Why an item of the bundle needs a person's eyes before it is disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Review {
    /// Holds information about, or written by, someone other than the pupil: check for
    /// redaction.
    ThirdParty,
    /// Health information: review before disclosure.
    Health,
}

impl Review {
    /// The key written in the JSON bundle.
    pub fn as_str(self) -> &'static str {
        match self {
            Review::ThirdParty => "third_party",
            Review::Health => "health",
        }
    }

    /// The marker printed beside the item in the PDF.
    pub fn marker(self) -> &'static str {
        match self {
            Review::ThirdParty => "[THIRD PARTY: check for redaction]",
            Review::Health => "[HEALTH DATA: review before disclosure]",
        }
    }
}

/// `from` moved on by `months` calendar months: the same day, or the target month's last
/// day when it has no such day.
fn add_months(from: Date, months: u32) -> Date {
    let index = from.year() * 12 + i32::from(u8::from(from.month())) - 1 + months as i32;
    let (year, month0) = (index.div_euclid(12), index.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::January);
    let day = from.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(from)
}

/// The deadline for a subject access request received on `received`: one calendar month,
/// that is the same day of the next month, or that month's last day when it has no such day
/// (received 31 January, due 28 or 29 February). ICO guidance; school holidays do not stop
/// the clock.
pub fn one_calendar_month(received: Date) -> Date {
    add_months(received, 1)
}

/// The deadline of a complex request, extended by two further months (the requester must be
/// told within the first month): three calendar months from receipt.
pub fn three_calendar_months(received: Date) -> Date {
    add_months(received, 3)
}

/// School days a maintained school has to give a parent access to the educational record
/// (The Education (Pupil Information) (England) Regulations 2005, reg 5).
pub const EDUCATIONAL_RECORD_SCHOOL_DAYS: u32 = 15;

/// The deadline for a parent's request to see the educational record, received on
/// `received`: the 15th school day after it, by the school's calendar (estimated past the
/// known terms). Maintained schools only; academies are not bound (a subject access request
/// applies instead).
pub fn educational_record_deadline(calendar: &SchoolCalendar, received: Date) -> Deadline {
    calendar.add_school_days(received, EDUCATIONAL_RECORD_SCHOOL_DAYS)
}

/// Whether a need code (England or Wales, any case) names a health condition, an impairment
/// or a diagnosis: sensory and physical needs, mental health, autism and ADHD, profound and
/// multiple difficulties. Its entries are health data, to be reviewed before disclosure.
pub fn need_is_health(code: &str) -> bool {
    if let Ok((need, _)) = parse_need(code) {
        return matches!(
            need,
            NeedCode::Hi
                | NeedCode::Vi
                | NeedCode::Msi
                | NeedCode::Pd
                | NeedCode::Pmld
                | NeedCode::Semh
                | NeedCode::Asd
        );
    }
    // The Welsh categories' default codes (ALN), and legacy ones.
    matches!(
        code.trim().to_ascii_uppercase().as_str(),
        "PMED" | "ADHD" | "DYSP" | "HI" | "VI" | "MSI" | "ASD" | "PMLD"
    )
}

/// Whether an outside agency is a health service, so that its notes and reports are health
/// data: CAMHS, school nursing, therapies and the sensory service.
pub fn agency_is_health(kind: AgencyKind) -> bool {
    matches!(
        kind,
        AgencyKind::Camhs
            | AgencyKind::SchoolNurse
            | AgencyKind::OccupationalTherapy
            | AgencyKind::Physiotherapy
            | AgencyKind::SpeechAndLanguageTherapy
            | AgencyKind::SensoryService
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DateRange;
    use crate::school::Country;
    use time::macros::date;

    #[test]
    fn a_calendar_month_is_the_same_day_next_month_or_its_last_day() {
        assert_eq!(
            one_calendar_month(date!(2026 - 09 - 03)),
            date!(2026 - 10 - 03)
        );
        assert_eq!(
            one_calendar_month(date!(2026 - 01 - 31)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            one_calendar_month(date!(2028 - 01 - 30)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            one_calendar_month(date!(2026 - 12 - 15)),
            date!(2027 - 01 - 15)
        );
        // Holidays do not stop the clock: August counts like any month.
        assert_eq!(
            one_calendar_month(date!(2026 - 07 - 22)),
            date!(2026 - 08 - 22)
        );
        assert_eq!(
            three_calendar_months(date!(2026 - 11 - 30)),
            date!(2027 - 02 - 28)
        );
        assert_eq!(
            three_calendar_months(date!(2026 - 10 - 31)),
            date!(2027 - 01 - 31)
        );
    }

    #[test]
    fn the_educational_record_is_due_on_the_fifteenth_school_day() {
        let calendar = SchoolCalendar::new(
            Country::England,
            vec![
                DateRange::new(date!(2026 - 09 - 02), date!(2026 - 10 - 23)).unwrap(),
                DateRange::new(date!(2026 - 11 - 02), date!(2026 - 12 - 18)).unwrap(),
            ],
            vec![],
        );
        // Received on Friday 16 October: 5 days to the half-term, then 10 after it.
        let d = educational_record_deadline(&calendar, date!(2026 - 10 - 16));
        assert_eq!(d.date, date!(2026 - 11 - 13));
        assert!(!d.estimated);
    }

    #[test]
    fn health_needs_and_agencies() {
        for code in ["HI", "vi", "PD", "SEMH", "ASD", "AUT", "PMED", "ADHD"] {
            assert!(need_is_health(code), "{code}");
        }
        for code in ["SPLD", "MLD", "SLCN", "NSA", "OTH", "DYSL"] {
            assert!(!need_is_health(code), "{code}");
        }
        assert!(agency_is_health(AgencyKind::Camhs));
        assert!(!agency_is_health(AgencyKind::EducationalPsychology));
        assert!(!agency_is_health(AgencyKind::SocialCare));
        assert_eq!(Review::Health.as_str(), "health");
        assert!(Review::ThirdParty.marker().contains("THIRD PARTY"));
    }
}
