//! A pupil's details as typed into a form or sent to the API, checked field by field.
//!
//! [`PupilDraft::validate`] returns either the validated values or every problem found
//! (not just the first), each naming its field, so forms can show them all at once and the
//! API can name the failing field.

use time::Date;

use crate::entry::{DateEntry, Entry};
use crate::person::{
    CorrespondenceLanguage, DobError, NameError, PersonName, Sex, validate_date_of_birth,
};
use crate::school::Phase;
use crate::upn::{Upn, UpnError};
use crate::year_group::{YearGroup, academic_year_start, nc_year};

/// Whether a pupil must have a UPN: always, except in early-years settings and for
/// children below Reception (nursery classes of primary schools).
pub fn upn_required(setting: Phase, dob: Date, today: Date) -> bool {
    let nursery_age = matches!(
        nc_year(dob, academic_year_start(today)),
        Some(YearGroup::Nursery1 | YearGroup::Nursery2) | None
    );
    !(setting.is_early_years() || nursery_age)
}

/// A field of a pupil's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PupilField {
    Upn,
    FormerUpn,
    LegalForename,
    LegalSurname,
    PreferredForename,
    PreferredSurname,
    DateOfBirth,
    Sex,
    EnrolledOn,
    CorrespondenceLanguage,
}

impl PupilField {
    /// The field's snake_case name (as in the API and in form field names).
    pub fn as_str(self) -> &'static str {
        match self {
            PupilField::Upn => "upn",
            PupilField::FormerUpn => "former_upn",
            PupilField::LegalForename => "legal_forename",
            PupilField::LegalSurname => "legal_surname",
            PupilField::PreferredForename => "preferred_forename",
            PupilField::PreferredSurname => "preferred_surname",
            PupilField::DateOfBirth => "date_of_birth",
            PupilField::Sex => "sex",
            PupilField::EnrolledOn => "enrolled_on",
            PupilField::CorrespondenceLanguage => "correspondence_language",
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Required and not given.
    Missing,
    /// Not a real date (such as 31 April), or not in the expected format.
    NotADate,
    Upn(UpnError),
    Name(NameError),
    DateOfBirth(DobError),
    /// A value outside the allowed list.
    Unknown,
    /// The former UPN repeats the current one.
    SameAsUpn,
    /// The UPN already belongs to another pupil of the installation.
    InUse,
    /// The person has named too many UPNs of other schools' pupils lately (SR-07): UPNs
    /// they enter are refused for a while, whoever they belong to.
    TooManyProbes,
}

impl Problem {
    /// A stable, machine-readable reason for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::NotADate => "not_a_date",
            Problem::Upn(e) => e.kind(),
            Problem::Name(NameError::Empty) => "missing",
            Problem::Name(NameError::TooLong { .. }) => "too_long",
            Problem::Name(NameError::ControlCharacters) => "control_characters",
            Problem::DateOfBirth(DobError::InFuture) => "in_future",
            Problem::DateOfBirth(DobError::TooEarly) => "too_early",
            Problem::Unknown => "unknown_value",
            Problem::SameAsUpn => "same_as_upn",
            Problem::InUse => "in_use",
            Problem::TooManyProbes => "too_many_attempts",
        }
    }
}

/// A pupil's details before checking. Empty strings mean "not given".
#[derive(Debug, Clone, Default)]
pub struct PupilDraft {
    pub upn: String,
    pub former_upn: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_forename: String,
    pub preferred_surname: String,
    pub date_of_birth: DateEntry,
    pub sex: String,
    pub correspondence_language: String,
}

/// A pupil's details after checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPupil {
    pub upn: Option<Upn>,
    pub former_upn: Option<Upn>,
    pub legal_forename: PersonName,
    pub legal_surname: PersonName,
    pub preferred_forename: Option<PersonName>,
    pub preferred_surname: Option<PersonName>,
    pub date_of_birth: Date,
    pub sex: Sex,
    pub language: CorrespondenceLanguage,
}

/// Every problem found, in field order.
pub type Problems = Vec<(PupilField, Problem)>;

fn optional<T, E>(
    value: &str,
    field: PupilField,
    parse: impl Fn(&str) -> Result<T, E>,
    wrap: impl Fn(E) -> Problem,
    problems: &mut Problems,
) -> Option<T> {
    if value.trim().is_empty() {
        return None;
    }
    match parse(value) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push((field, wrap(e)));
            None
        }
    }
}

impl PupilDraft {
    /// Checks every field against the rules as of `today`, for a pupil of a school in
    /// phase `setting`.
    pub fn validate(&self, today: Date, setting: Phase) -> Result<ValidPupil, Problems> {
        let mut problems = Problems::new();
        let upn = optional(
            &self.upn,
            PupilField::Upn,
            Upn::parse,
            Problem::Upn,
            &mut problems,
        );
        if self.upn.trim().is_empty()
            && let Entry::Valid(dob) = self.date_of_birth
            && upn_required(setting, dob, today)
        {
            problems.push((PupilField::Upn, Problem::Missing));
        }
        let former_upn = optional(
            &self.former_upn,
            PupilField::FormerUpn,
            Upn::parse,
            Problem::Upn,
            &mut problems,
        );
        if let (Some(a), Some(b)) = (&upn, &former_upn)
            && a == b
        {
            problems.push((PupilField::FormerUpn, Problem::SameAsUpn));
        }
        let mut required_name = |value: &str, field| match PersonName::parse(value) {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push((field, Problem::Name(e)));
                None
            }
        };
        let legal_forename = required_name(&self.legal_forename, PupilField::LegalForename);
        let legal_surname = required_name(&self.legal_surname, PupilField::LegalSurname);
        let preferred_forename = optional(
            &self.preferred_forename,
            PupilField::PreferredForename,
            PersonName::parse,
            Problem::Name,
            &mut problems,
        );
        let preferred_surname = optional(
            &self.preferred_surname,
            PupilField::PreferredSurname,
            PersonName::parse,
            Problem::Name,
            &mut problems,
        );
        let date_of_birth = match self.date_of_birth {
            Entry::Blank => {
                problems.push((PupilField::DateOfBirth, Problem::Missing));
                None
            }
            Entry::Invalid => {
                problems.push((PupilField::DateOfBirth, Problem::NotADate));
                None
            }
            Entry::Valid(d) => match validate_date_of_birth(d, today) {
                Ok(()) => Some(d),
                Err(e) => {
                    problems.push((PupilField::DateOfBirth, Problem::DateOfBirth(e)));
                    None
                }
            },
        };
        let sex = if self.sex.trim().is_empty() {
            problems.push((PupilField::Sex, Problem::Missing));
            None
        } else {
            let s = Sex::parse(&self.sex);
            if s.is_none() {
                problems.push((PupilField::Sex, Problem::Unknown));
            }
            s
        };
        let language = if self.correspondence_language.trim().is_empty() {
            Some(CorrespondenceLanguage::English)
        } else {
            let l = CorrespondenceLanguage::parse(self.correspondence_language.trim());
            if l.is_none() {
                problems.push((PupilField::CorrespondenceLanguage, Problem::Unknown));
            }
            l
        };
        match (legal_forename, legal_surname, date_of_birth, sex, language) {
            (
                Some(legal_forename),
                Some(legal_surname),
                Some(date_of_birth),
                Some(sex),
                Some(language),
            ) if problems.is_empty() => Ok(ValidPupil {
                upn,
                former_upn,
                legal_forename,
                legal_surname,
                preferred_forename,
                preferred_surname,
                date_of_birth,
                sex,
                language,
            }),
            _ => Err(problems),
        }
    }
}

/// A date from the three boxes of a GOV.UK date input. Blank when all are empty.
pub fn date_from_parts(day: &str, month: &str, year: &str) -> DateEntry {
    let (d, m, y) = (day.trim(), month.trim(), year.trim());
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Entry::Blank;
    }
    let parsed = (|| {
        let day: u8 = d.parse().ok()?;
        let month: u8 = m.parse().ok()?;
        let year: i32 = y.parse().ok()?;
        if !(1000..=9999).contains(&year) {
            return None;
        }
        Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
    })();
    parsed.map_or(Entry::Invalid, Entry::Valid)
}

/// A date written `YYYY-MM-DD`. Blank when empty.
pub fn date_from_iso(s: &str) -> DateEntry {
    let s = s.trim();
    if s.is_empty() {
        return Entry::Blank;
    }
    // Exactly `DDDD-DD-DD`: the format alone would take a signed or longer year ("-0026").
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return Entry::Invalid;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_or(Entry::Invalid, Entry::Valid)
}

/// Whether a row naming another school's pupil by UPN is that pupil (SR-07): the date of
/// birth must be theirs; the surname may differ (names change), which the holding school is
/// then asked to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamePupil {
    Yes,
    SurnameDiffers,
    /// Someone guessing, or a mistake: a probe.
    No,
}

/// Compares a row's date of birth and legal surname with those of the pupil holding its
/// UPN. Surnames are compared by their letters only, ignoring case, hyphens, apostrophes
/// and spaces.
pub fn same_pupil(held_dob: Date, held_surname: &str, dob: Date, surname: &str) -> SamePupil {
    let letters = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .collect()
    };
    if held_dob != dob {
        SamePupil::No
    } else if letters(held_surname) != letters(surname) {
        SamePupil::SurnameDiffers
    } else {
        SamePupil::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pupil_held_elsewhere_is_the_same_only_with_their_date_of_birth() {
        use time::macros::date;
        let dob = date!(2016 - 05 - 05);
        assert_eq!(
            same_pupil(dob, "Elsewhere-Secret", dob, "elsewhere secret"),
            SamePupil::Yes
        );
        assert_eq!(same_pupil(dob, "O'Neill", dob, "ONEILL"), SamePupil::Yes);
        assert_eq!(
            same_pupil(dob, "Elsewhere-Secret", dob, "Elsewhere"),
            SamePupil::SurnameDiffers
        );
        assert_eq!(
            same_pupil(dob, "Elsewhere", date!(2015 - 01 - 01), "Elsewhere"),
            SamePupil::No
        );
    }
    use time::macros::date;

    #[test]
    fn iso_dates_have_exactly_four_year_digits() {
        assert_eq!(
            date_from_iso("2026-11-23"),
            Entry::Valid(date!(2026 - 11 - 23))
        );
        for bad in [
            "-0026-05-23",
            "+2026-05-23",
            "20260-05-23",
            "2026-5-23",
            "2026-02-30",
        ] {
            assert_eq!(date_from_iso(bad), Entry::Invalid, "{bad}");
        }
        assert_eq!(date_from_iso("  "), Entry::Blank);
    }

    fn draft() -> PupilDraft {
        PupilDraft {
            upn: "B801200005001".into(),
            legal_forename: "Siân".into(),
            legal_surname: "O'Brien".into(),
            date_of_birth: Entry::Valid(date!(2016 - 03 - 27)),
            sex: "F".into(),
            ..PupilDraft::default()
        }
    }

    #[test]
    fn a_complete_draft_is_valid() {
        let v = draft()
            .validate(date!(2026 - 11 - 23), Phase::Primary)
            .unwrap();
        assert_eq!(v.legal_forename.as_str(), "Siân");
        assert_eq!(v.language, CorrespondenceLanguage::English);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let d = PupilDraft {
            upn: "A801200005001".into(),
            date_of_birth: Entry::Valid(date!(2030 - 01 - 01)),
            sex: "X".into(),
            ..PupilDraft::default()
        };
        let problems = d
            .validate(date!(2026 - 11 - 23), Phase::Primary)
            .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec![
                PupilField::Upn,
                PupilField::LegalForename,
                PupilField::LegalSurname,
                PupilField::DateOfBirth,
                PupilField::Sex
            ]
        );
        assert_eq!(problems[0].1.code(), "check_letter");
        assert_eq!(problems[3].1.code(), "in_future");
    }

    #[test]
    fn the_upn_is_optional_only_in_early_years_but_former_must_differ() {
        let mut d = draft();
        d.upn.clear();
        let problems = d
            .validate(date!(2026 - 11 - 23), Phase::Primary)
            .unwrap_err();
        assert_eq!(problems, vec![(PupilField::Upn, Problem::Missing)]);
        assert!(d.validate(date!(2026 - 11 - 23), Phase::Nursery).is_ok());
        // A nursery-class child in a primary school.
        d.date_of_birth = Entry::Valid(date!(2022 - 10 - 01));
        assert!(d.validate(date!(2026 - 11 - 23), Phase::Primary).is_ok());
        let mut d = draft();
        d.former_upn = d.upn.clone();
        let problems = d
            .validate(date!(2026 - 11 - 23), Phase::Primary)
            .unwrap_err();
        assert_eq!(problems, vec![(PupilField::FormerUpn, Problem::SameAsUpn)]);
    }

    #[test]
    fn dates_from_parts_must_be_real() {
        assert_eq!(date_from_parts("", "", ""), Entry::Blank);
        assert_eq!(date_from_parts("31", "4", "2020"), Entry::Invalid);
        assert_eq!(date_from_parts("29", "2", "2023"), Entry::Invalid);
        assert_eq!(
            date_from_parts("29", "2", "2024"),
            Entry::Valid(date!(2024 - 02 - 29))
        );
        assert_eq!(date_from_parts("1", "1", "24"), Entry::Invalid);
        assert_eq!(date_from_iso("2024-02-30"), Entry::Invalid);
        assert_eq!(
            date_from_iso("2024-02-29"),
            Entry::Valid(date!(2024 - 02 - 29))
        );
    }
}
