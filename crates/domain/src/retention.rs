//! How long a school keeps a pupil's records (SR-30), per record class.
//!
//! The periods come from the IRMS schools toolkit and DfE record-keeping guidance
//! (SECURITY.md §4). The toolkit is guidance, not a standard: every period is a setting with
//! these defaults, and a school that keeps a record longer records its reason.
//!
//! - **SEN file** (stage history, plans, reviews, needs, provision, specialist involvements
//!   and their reports): the pupil's date of birth plus 31 years, kept by the *last* school
//!   the pupil attended (the 25-year maximum age of an EHC plan plus 6 years' limitation).
//! - **General pupil record** at the last school: until the pupil's 25th birthday.
//! - **Transferred out**: when the pupil moved on to another school, this school is not the
//!   last; the record goes with the pupil (a common transfer file within 15 school days) and
//!   the copy here is kept only a short while after the transfer (a setting; guidance).
//!
//! A pupil still on roll is never due: retention runs from the end of a school's
//! responsibility.

use time::{Date, Duration, Month};

/// A class of records with its own retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordClass {
    /// A pupil with any SEN record, at their last school.
    SenFile,
    /// A pupil without an SEN record, at their last school.
    PupilRecord,
    /// A pupil who moved on to another school: this school is not the last.
    TransferredOut,
}

impl RecordClass {
    pub const ALL: [RecordClass; 3] = [
        RecordClass::SenFile,
        RecordClass::PupilRecord,
        RecordClass::TransferredOut,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordClass::SenFile => "sen_file",
            RecordClass::PupilRecord => "pupil_record",
            RecordClass::TransferredOut => "transferred_out",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<RecordClass> {
        RecordClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A class equals its stored name, so a log row's class compares with the text it was
/// written as (`senco retention log` prints that text).
impl PartialEq<&str> for RecordClass {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The retention periods in force (per installation, `senco settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// SEN file: years after the date of birth (IRMS: 31).
    pub sen_file_years: u16,
    /// General pupil record at the last school: years after the date of birth (IRMS: 25).
    pub pupil_record_years: u16,
    /// Transferred out: days after leaving. Guidance only: the record should reach the new
    /// school within 15 school days, and no copy should be kept after that; the default of
    /// 90 days covers 15 school days across a summer holiday with a margin.
    pub transferred_out_days: u16,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            sen_file_years: 31,
            pupil_record_years: 25,
            transferred_out_days: 90,
        }
    }
}

/// Whether the pupil is still at the school.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roll {
    /// On roll: nothing is due.
    OnRoll,
    /// Left on `on`; `transferred_out` when they moved on to another school (so this school
    /// is not the last).
    Left { on: Date, transferred_out: bool },
}

/// What retention needs to know about a pupil at the school holding their record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PupilFacts {
    pub date_of_birth: Date,
    /// Whether any SEN record exists (stages, plans, reviews, needs, provision,
    /// specialists).
    pub has_sen_file: bool,
    pub roll: Roll,
}

/// When a pupil's records fall due for destruction, and under which class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub class: RecordClass,
    /// The first day the records are due for review and destruction.
    pub due_on: Date,
}

impl Retention {
    /// Whether the records are due on `today`.
    pub fn is_due(&self, today: Date) -> bool {
        today >= self.due_on
    }
}

/// The anniversary `years` after `date`. A 29 February falls on 1 March in a year without
/// one (as a birthday does in English law). `None` past the calendar's end.
pub fn anniversary(date: Date, years: u16) -> Option<Date> {
    let year = date.year().checked_add(i32::from(years))?;
    match Date::from_calendar_date(year, date.month(), date.day()) {
        Ok(d) => Some(d),
        Err(_) => Date::from_calendar_date(year, Month::March, 1).ok(),
    }
}

/// The class and due date of a pupil's records, or `None` while the pupil is on roll (or a
/// date would pass the calendar's end).
pub fn assess(facts: &PupilFacts, settings: &RetentionSettings) -> Option<Retention> {
    let Roll::Left {
        on: left_on,
        transferred_out,
    } = facts.roll
    else {
        return None;
    };
    if transferred_out {
        return Some(Retention {
            class: RecordClass::TransferredOut,
            due_on: left_on
                .checked_add(Duration::days(i64::from(settings.transferred_out_days)))?,
        });
    }
    let (class, years) = if facts.has_sen_file {
        (RecordClass::SenFile, settings.sen_file_years)
    } else {
        (RecordClass::PupilRecord, settings.pupil_record_years)
    };
    // Never due before the pupil has left (an unusual period setting, an adult learner).
    let due_on = anniversary(facts.date_of_birth, years)?.max(left_on.next_day()?);
    Some(Retention { class, due_on })
}

/// Whether a pupil's records are due on `today`, and the date they fall (or fell) due.
pub fn due(
    facts: &PupilFacts,
    settings: &RetentionSettings,
    today: Date,
) -> (bool, Option<Retention>) {
    let r = assess(facts, settings);
    (r.is_some_and(|r| r.is_due(today)), r)
}

/// The audit log's own retention (a setting; default 6 years, the Limitation Act's period
/// for a claim): rows older than this may be pruned by `senco audit prune`.
pub const AUDIT_RETENTION_YEARS_DEFAULT: u16 = 6;

/// The first moment still kept when the audit log keeps `years` before `today`: rows dated
/// before this day may be pruned.
pub fn audit_cutoff(today: Date, years: u16) -> Option<Date> {
    let year = today.year().checked_sub(i32::from(years))?;
    match Date::from_calendar_date(year, today.month(), today.day()) {
        Ok(d) => Some(d),
        Err(_) => Date::from_calendar_date(year, Month::March, 1).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn left_sen(dob: Date, left: Date) -> PupilFacts {
        PupilFacts {
            date_of_birth: dob,
            has_sen_file: true,
            roll: Roll::Left {
                on: left,
                transferred_out: false,
            },
        }
    }

    #[test]
    fn an_sen_file_born_1990_is_due_on_its_31st_anniversary() {
        let facts = left_sen(date!(1990 - 01 - 01), date!(2008 - 07 - 18));
        let s = RetentionSettings::default();
        let (due_then, r) = due(&facts, &s, date!(2020 - 12 - 31));
        assert!(!due_then);
        assert_eq!(
            r,
            Some(Retention {
                class: RecordClass::SenFile,
                due_on: date!(2021 - 01 - 01)
            })
        );
        assert!(due(&facts, &s, date!(2021 - 01 - 01)).0);
    }

    #[test]
    fn a_general_record_is_kept_to_the_25th_birthday() {
        let mut facts = left_sen(date!(1990 - 01 - 01), date!(2008 - 07 - 18));
        facts.has_sen_file = false;
        let r = assess(&facts, &RetentionSettings::default()).unwrap();
        assert_eq!(r.class, RecordClass::PupilRecord);
        assert_eq!(r.due_on, date!(2015 - 01 - 01));
    }

    #[test]
    fn a_transferred_pupil_is_due_shortly_after_leaving_even_with_an_sen_file() {
        let facts = PupilFacts {
            date_of_birth: date!(2015 - 03 - 02),
            has_sen_file: true,
            roll: Roll::Left {
                on: date!(2026 - 07 - 22),
                transferred_out: true,
            },
        };
        let r = assess(&facts, &RetentionSettings::default()).unwrap();
        assert_eq!(r.class, RecordClass::TransferredOut);
        assert_eq!(r.due_on, date!(2026 - 10 - 20));
        let short = RetentionSettings {
            transferred_out_days: 21,
            ..RetentionSettings::default()
        };
        assert_eq!(
            assess(&facts, &short).unwrap().due_on,
            date!(2026 - 08 - 12)
        );
    }

    #[test]
    fn a_pupil_on_roll_is_never_due() {
        let facts = PupilFacts {
            date_of_birth: date!(1960 - 01 - 01),
            has_sen_file: true,
            roll: Roll::OnRoll,
        };
        assert_eq!(
            due(&facts, &RetentionSettings::default(), date!(2099 - 01 - 01)),
            (false, None)
        );
    }

    #[test]
    fn nothing_is_due_before_the_pupil_left() {
        let facts = left_sen(date!(1990 - 01 - 01), date!(2024 - 07 - 19));
        let r = assess(&facts, &RetentionSettings::default()).unwrap();
        assert_eq!(r.due_on, date!(2024 - 07 - 20));
    }

    #[test]
    fn a_leap_day_birthday_falls_on_the_first_of_march() {
        assert_eq!(
            anniversary(date!(2004 - 02 - 29), 31),
            Some(date!(2035 - 03 - 01))
        );
        assert_eq!(
            anniversary(date!(2004 - 02 - 29), 32),
            Some(date!(2036 - 02 - 29))
        );
    }

    #[test]
    fn the_audit_cutoff_is_years_before_today() {
        assert_eq!(
            audit_cutoff(date!(2026 - 11 - 23), AUDIT_RETENTION_YEARS_DEFAULT),
            Some(date!(2020 - 11 - 23))
        );
    }

    #[test]
    fn classes_round_trip() {
        for c in RecordClass::ALL {
            assert_eq!(RecordClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(RecordClass::parse("statement"), None);
    }

    proptest! {
        /// Later birth, later due date; and once due, always due.
        #[test]
        fn due_dates_are_monotone_in_birth_and_due_stays_due(
            a in 0i64..20_000, b in 0i64..20_000, sen: bool, later in 0i64..5_000,
        ) {
            let base = date!(1950 - 01 - 01);
            let left = date!(2000 - 07 - 20);
            let (a, b) = (a.min(b), a.max(b));
            let s = RetentionSettings::default();
            let fa = PupilFacts { date_of_birth: base + Duration::days(a), has_sen_file: sen, roll: Roll::Left { on: left, transferred_out: false } };
            let fb = PupilFacts { date_of_birth: base + Duration::days(b), ..fa };
            let ra = assess(&fa, &s).unwrap();
            let rb = assess(&fb, &s).unwrap();
            prop_assert!(ra.due_on <= rb.due_on);
            prop_assert!(ra.due_on > left);
            prop_assert!(ra.is_due(ra.due_on + Duration::days(later)));
            prop_assert!(!ra.is_due(ra.due_on - Duration::days(1)));
        }

        /// An SEN file is never due before the general record of the same pupil.
        #[test]
        fn an_sen_file_outlasts_the_general_record(days in 0i64..30_000) {
            let dob = date!(1950 - 01 - 01) + Duration::days(days);
            let left = Roll::Left { on: date!(1949 - 01 - 01), transferred_out: false };
            let s = RetentionSettings::default();
            let sen = assess(&PupilFacts { date_of_birth: dob, has_sen_file: true, roll: left }, &s).unwrap();
            let general = assess(&PupilFacts { date_of_birth: dob, has_sen_file: false, roll: left }, &s).unwrap();
            prop_assert!(sen.due_on > general.due_on);
        }
    }
}
