//! An entry of a calendar (issue 19, point 3): a term, an INSET day or a closure, with its
//! name and its first and last day, for a local authority or one school.
//!
//! A school's own entries override its authority's simply: if the school has any term of
//! its own, its terms replace all of the authority's terms; INSET days and closures always
//! add up (the authority's and the school's). [`ValidEntry`] is what the rules accept.

use crate::calendar::DateRange;
use crate::entry::DateEntry;
use crate::problem::Problem;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Term time (half-terms and holidays are the gaps between terms).
    Term,
    /// A staff training day: no school for pupils.
    Inset,
    /// Any other day or days without school (a polling day, snow).
    Closure,
}

impl EntryKind {
    pub const ALL: [EntryKind; 3] = [EntryKind::Term, EntryKind::Inset, EntryKind::Closure];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Term => "term",
            EntryKind::Inset => "inset",
            EntryKind::Closure => "closure",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) key, in any case.
    pub fn parse(s: &str) -> Option<EntryKind> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

/// The longest name kept.
pub const NAME_MAX: usize = 100;

/// An entry as given (a form, a JSON body, a line of a file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryDraft {
    pub kind: Option<EntryKind>,
    pub name: String,
    pub start: DateEntry,
    pub end: DateEntry,
}

/// An entry the rules accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEntry {
    pub kind: EntryKind,
    pub name: String,
    pub range: DateRange,
}

impl EntryDraft {
    /// The entry, or every problem it has (each naming its field: `kind`, `name`, `start`,
    /// `end`).
    pub fn validate(&self) -> Result<ValidEntry, Vec<Problem>> {
        let mut problems = Vec::new();
        if self.kind.is_none() {
            problems.push(Problem::new("kind", "missing", "calendar.kind_missing"));
        }
        let name = self.name.trim();
        if name.is_empty() {
            problems.push(Problem::new("name", "missing", "calendar.name_missing"));
        } else if name.chars().count() > NAME_MAX {
            problems.push(
                Problem::new("name", "too_long", "calendar.name_too_long")
                    .with("max", i64::try_from(NAME_MAX).unwrap_or(i64::MAX)),
            );
        }
        for (field, entry) in [("start", self.start), ("end", self.end)] {
            match entry {
                DateEntry::Blank => {
                    problems.push(Problem::new(field, "missing", "calendar.date_missing"))
                }
                DateEntry::Invalid => {
                    problems.push(Problem::new(field, "not_a_date", "calendar.date_invalid"))
                }
                DateEntry::Valid(_) => {}
            }
        }
        if let (DateEntry::Valid(start), DateEntry::Valid(end)) = (self.start, self.end)
            && end < start
        {
            problems.push(
                Problem::new("end", "before_start", "calendar.end_before_start")
                    .with("start", start),
            );
        }
        let range = (self.start.valid())
            .zip(self.end.valid())
            .and_then(|(start, end)| DateRange::new(start, end));
        match (self.kind, range) {
            (Some(kind), Some(range)) if problems.is_empty() => Ok(ValidEntry {
                kind,
                name: name.to_string(),
                range,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_entry_needs_a_kind_a_name_and_dates_in_order() {
        let draft = EntryDraft {
            kind: Some(EntryKind::Inset),
            name: " Training day ".into(),
            start: DateEntry::Valid(date!(2026 - 09 - 01)),
            end: DateEntry::Valid(date!(2026 - 09 - 01)),
        };
        let ok = draft.validate().unwrap();
        assert_eq!(ok.name, "Training day");
        let bad = EntryDraft {
            kind: None,
            name: String::new(),
            start: DateEntry::Valid(date!(2026 - 09 - 02)),
            end: DateEntry::Valid(date!(2026 - 09 - 01)),
        };
        let reasons: Vec<_> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|p| (p.field.to_string(), p.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("kind".to_string(), "missing"),
                ("name".to_string(), "missing"),
                ("end".to_string(), "before_start")
            ]
        );
        assert_eq!(EntryKind::parse("INSET"), Some(EntryKind::Inset));
        assert_eq!(EntryKind::parse("holiday"), None);
    }
}
