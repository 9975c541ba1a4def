//! A pupil leaving their school (issue 19, point 6): the leaving date and, when the school
//! knows it, the destination school's DfE number, which the CTF export addresses the file to.
//!
//! Problems are codes; the catalogue words them.

use std::fmt;

use time::Date;

use crate::entry::DateEntry;
use crate::school::{EstabNumber, LaCode};

/// A school's DfE number: its local authority's code and its establishment number
/// ("LAEstab", seven digits, written `LLLEEEE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Laestab {
    pub la: LaCode,
    pub estab: EstabNumber,
}

impl Laestab {
    /// Seven digits, or three and four apart by a space, `/` or `-` (as schools write it).
    pub fn parse(s: &str) -> Option<Laestab> {
        let digits: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '/' | '-'))
            .collect();
        if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Laestab {
            la: LaCode::parse(&digits[..3]).ok()?,
            estab: EstabNumber::parse(&digits[3..]).ok()?,
        })
    }
}

impl fmt::Display for Laestab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.la, self.estab)
    }
}

/// Why a leaving was not recorded: each names its field and a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeavingProblem {
    /// No leaving date.
    DateMissing,
    /// The day, month and year are not a date.
    DateInvalid,
    /// A leaving is recorded once it has happened: a later date would take the pupil off
    /// roll early.
    DateInFuture,
    /// Before the pupil joined the school.
    DateBeforeJoining,
    /// The destination is not a DfE number.
    DestinationFormat,
    /// The destination is the pupil's own school.
    DestinationOwnSchool,
}

impl LeavingProblem {
    /// The form field (and API member) at fault.
    pub fn field(self) -> &'static str {
        match self {
            LeavingProblem::DateMissing
            | LeavingProblem::DateInvalid
            | LeavingProblem::DateInFuture
            | LeavingProblem::DateBeforeJoining => "left_on",
            LeavingProblem::DestinationFormat | LeavingProblem::DestinationOwnSchool => {
                "destination"
            }
        }
    }

    /// The stable code the catalogue words and the API returns as `reason`.
    pub fn code(self) -> &'static str {
        match self {
            LeavingProblem::DateMissing => "missing",
            LeavingProblem::DateInvalid => "date",
            LeavingProblem::DateInFuture => "in_future",
            LeavingProblem::DateBeforeJoining => "before_joining",
            LeavingProblem::DestinationFormat => "laestab",
            LeavingProblem::DestinationOwnSchool => "own_school",
        }
    }
}

/// A leaving that may be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaving {
    pub on: Date,
    /// The school the pupil went to, when known.
    pub destination: Option<Laestab>,
    /// The pupil went to another school (this one is not their last): always so when a
    /// destination is given.
    pub transferred_out: bool,
}

/// What was entered for a leaving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavingEntry<'a> {
    pub on: DateEntry,
    pub destination: &'a str,
    pub transferred_out: bool,
}

/// Checks a leaving against today, the day the pupil joined and the school's own number.
pub fn check(
    entry: &LeavingEntry<'_>,
    today: Date,
    joined_on: Date,
    own: Option<Laestab>,
) -> Result<Leaving, Vec<LeavingProblem>> {
    let mut problems = Vec::new();
    let on = match entry.on {
        DateEntry::Blank => {
            problems.push(LeavingProblem::DateMissing);
            None
        }
        DateEntry::Invalid => {
            problems.push(LeavingProblem::DateInvalid);
            None
        }
        DateEntry::Valid(d) if d > today => {
            problems.push(LeavingProblem::DateInFuture);
            None
        }
        DateEntry::Valid(d) if d < joined_on => {
            problems.push(LeavingProblem::DateBeforeJoining);
            None
        }
        DateEntry::Valid(d) => Some(d),
    };
    let destination = if entry.destination.trim().is_empty() {
        None
    } else {
        match Laestab::parse(entry.destination) {
            None => {
                problems.push(LeavingProblem::DestinationFormat);
                None
            }
            Some(d) if Some(d) == own => {
                problems.push(LeavingProblem::DestinationOwnSchool);
                None
            }
            Some(d) => Some(d),
        }
    };
    match on {
        Some(on) if problems.is_empty() => Ok(Leaving {
            on,
            destination,
            transferred_out: entry.transferred_out || destination.is_some(),
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn entry(on: DateEntry, destination: &str) -> LeavingEntry<'_> {
        LeavingEntry {
            on,
            destination,
            transferred_out: false,
        }
    }

    fn own() -> Option<Laestab> {
        Laestab::parse("8812000")
    }

    #[test]
    fn a_destination_is_written_as_schools_write_it() {
        for s in ["8812345", "881 2345", "881/2345", " 881-2345 "] {
            assert_eq!(Laestab::parse(s).unwrap().to_string(), "8812345", "{s}");
        }
        for s in ["881234", "88123456", "abc2345", "0002345", "8810000", ""] {
            assert_eq!(Laestab::parse(s), None, "{s}");
        }
    }

    #[test]
    fn a_leaving_with_a_destination_is_a_transfer() {
        let l = check(
            &entry(DateEntry::Valid(date!(2026 - 07 - 22)), "881/2345"),
            date!(2026 - 09 - 01),
            date!(2020 - 09 - 01),
            own(),
        )
        .unwrap();
        assert_eq!(l.on, date!(2026 - 07 - 22));
        assert_eq!(l.destination.unwrap().to_string(), "8812345");
        assert!(l.transferred_out);
        let l = check(
            &entry(DateEntry::Valid(date!(2026 - 07 - 22)), ""),
            date!(2026 - 09 - 01),
            date!(2020 - 09 - 01),
            own(),
        )
        .unwrap();
        assert_eq!(l.destination, None);
        assert!(!l.transferred_out);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let today = date!(2026 - 09 - 01);
        let joined = date!(2020 - 09 - 01);
        type Case<'a> = (DateEntry, &'a str, Vec<LeavingProblem>);
        let cases: [Case<'_>; 6] = [
            (DateEntry::Blank, "", vec![LeavingProblem::DateMissing]),
            (
                DateEntry::Invalid,
                "12",
                vec![
                    LeavingProblem::DateInvalid,
                    LeavingProblem::DestinationFormat,
                ],
            ),
            (
                DateEntry::Valid(date!(2026 - 09 - 02)),
                "",
                vec![LeavingProblem::DateInFuture],
            ),
            (
                DateEntry::Valid(date!(2020 - 08 - 31)),
                "",
                vec![LeavingProblem::DateBeforeJoining],
            ),
            (
                DateEntry::Valid(date!(2026 - 07 - 22)),
                "881 2000",
                vec![LeavingProblem::DestinationOwnSchool],
            ),
            (DateEntry::Valid(today), "", vec![]),
        ];
        for (on, dest, want) in cases {
            let got = check(&entry(on, dest), today, joined, own());
            match got {
                Ok(_) => assert!(want.is_empty(), "{on:?} {dest}"),
                Err(p) => assert_eq!(p, want, "{on:?} {dest}"),
            }
        }
    }
}
