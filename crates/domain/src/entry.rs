//! A value as typed into a form, a JSON body or a CSV cell, before a rule decides whether it
//! is wanted: left blank, a valid value, or something that is not a value of its type.
//!
//! The three cases give different messages ("enter the date" against "the date must be a
//! real date"), so the edge keeps them apart and the use case decides which are allowed.

use time::Date;

/// What was typed for a value of type `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Entry<T> {
    /// Nothing was typed (or only spaces).
    #[default]
    Blank,
    Valid(T),
    /// Something was typed that is not a `T` (a date that does not exist, "ten").
    Invalid,
}

/// What was typed for a date.
pub type DateEntry = Entry<Date>;

/// A value known to be there or known to be missing (a date read from a file's own field).
impl<T> From<Option<T>> for Entry<T> {
    fn from(v: Option<T>) -> Entry<T> {
        v.map_or(Entry::Blank, Entry::Valid)
    }
}

impl<T> Entry<T> {
    /// The value, if one was typed and it is valid.
    pub fn valid(self) -> Option<T> {
        match self {
            Entry::Valid(v) => Some(v),
            Entry::Blank | Entry::Invalid => None,
        }
    }

    /// Whether nothing was typed.
    pub fn is_blank(&self) -> bool {
        matches!(self, Entry::Blank)
    }

    /// Reads `s` with `parse` unless it is blank (after trimming).
    pub fn parse_with(s: &str, parse: impl FnOnce(&str) -> Option<T>) -> Entry<T> {
        let s = s.trim();
        if s.is_empty() {
            return Entry::Blank;
        }
        parse(s).map_or(Entry::Invalid, Entry::Valid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_valid_and_invalid_are_told_apart() {
        let whole = |s: &str| Entry::parse_with(s, |s| s.parse::<i64>().ok());
        assert_eq!(whole("  "), Entry::Blank);
        assert_eq!(whole(" 12 "), Entry::Valid(12));
        assert_eq!(whole("ten"), Entry::Invalid);
        assert_eq!(whole("12").valid(), Some(12));
        assert_eq!(whole("ten").valid(), None);
        assert!(Entry::<i64>::default().is_blank());
    }
}
