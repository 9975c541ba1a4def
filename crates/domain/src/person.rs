//! People: names, email addresses, sex (as the census records it), preferred language,
//! passphrases and dates of birth.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// A person's name as they want it shown: trimmed, 1 to 100 characters, no control or
/// bidirectional-override characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter a name")]
    Empty,
    #[error("Name must be {max} characters or fewer")]
    TooLong { max: usize },
    #[error("Name must not contain control characters")]
    ControlCharacters,
}

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<PersonName, NameError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if s.chars().any(is_forbidden_char) {
            return Err(NameError::ControlCharacters);
        }
        Ok(PersonName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Control characters, and the bidirectional embedding/override/isolate characters that
/// can make text display differently from how it reads.
fn is_forbidden_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PersonName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        PersonName::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(name: PersonName) -> String {
        name.0
    }
}

/// An email address, trimmed and lowercased. The check is deliberately loose: the only real
/// test of an address is sending to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address")]
    Empty,
    #[error("Enter an email address in the correct format, like name@example.com")]
    Format,
    #[error("Email address must be 254 characters or fewer")]
    TooLong,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    /// Trimmed and lowercased; at most 254 bytes; exactly one `@` with a non-empty local
    /// part; a domain containing a dot (not at either end); no whitespace or control
    /// characters anywhere.
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let s = s.trim().to_lowercase();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Format);
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::Format);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok {
            return Err(EmailError::Format);
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, EmailError> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// Sex as recorded in the school census.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

impl Sex {
    pub const ALL: [Sex; 2] = [Sex::Female, Sex::Male];

    /// The census code.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
        }
    }

    /// Accepts F, M, Female, Male, Girl or Boy in any case, with surrounding whitespace.
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f" | "female" | "girl" => Some(Sex::Female),
            "m" | "male" | "boy" => Some(Sex::Male),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Female => "Female",
            Sex::Male => "Male",
        }
    }
}

/// The language a person wants letters and documents in: Senco's one language type.
pub use crate::lang::Lang as CorrespondenceLanguage;

/// A passphrase exactly as typed: 12 to 256 characters, anything allowed, never trimmed.
/// Deliberately has no `Display` and no serde, and its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PassphraseError {
    #[error("Passphrase must be at least {min} characters")]
    TooShort { min: usize },
    #[error("Passphrase must be {max} characters or fewer")]
    TooLong { max: usize },
    /// One of the most common passwords, perhaps with digits or symbols around it.
    #[error(
        "Passphrase is too common: choose one that is hard to guess, such as three or four random words"
    )]
    TooCommon,
}

/// The 10,000 most common passwords (SR-12), lowercased.
static COMMON: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });

/// Undoes the usual letter-for-symbol swaps (`p@ssw0rd`).
fn unleet(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// Whether a passphrase is a common password: the whole of it, or its letters once
/// digits and symbols at either end are taken off (`Password123!`), each also with the
/// usual symbol swaps undone, compared without case. No composition rules: a long
/// passphrase of ordinary words is fine.
pub fn is_common_passphrase(s: &str) -> bool {
    let lower = s.trim().to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let unleeted = unleet(&lower);
    let unleeted_core = unleeted.trim_matches(|c: char| !c.is_alphabetic());
    [lower.as_str(), core, unleeted.as_str(), unleeted_core]
        .iter()
        .any(|candidate| !candidate.is_empty() && COMMON.contains(candidate))
}

impl Passphrase {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(s: &str) -> Result<Passphrase, PassphraseError> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            return Err(PassphraseError::TooShort {
                min: Self::MIN_CHARS,
            });
        }
        if n > Self::MAX_CHARS {
            return Err(PassphraseError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if is_common_passphrase(s) {
            return Err(PassphraseError::TooCommon);
        }
        Ok(Passphrase(s.to_owned()))
    }

    /// The secret itself, for hashing. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DobError {
    #[error("Date of birth must be today or in the past")]
    InFuture,
    #[error("Date of birth must be on or after 1 January 1900")]
    TooEarly,
}

/// A date of birth must not be after `today` nor before 1 January 1900.
pub fn validate_date_of_birth(dob: Date, today: Date) -> Result<(), DobError> {
    if dob > today {
        return Err(DobError::InFuture);
    }
    let earliest =
        Date::from_calendar_date(1900, Month::January, 1).map_err(|_| DobError::TooEarly)?;
    if dob < earliest {
        return Err(DobError::TooEarly);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn names() {
        assert_eq!(
            PersonName::parse("  Siân Jones ").unwrap().as_str(),
            "Siân Jones"
        );
        assert_eq!(PersonName::parse(" \t "), Err(NameError::Empty));
        assert!(PersonName::parse(&"a".repeat(100)).is_ok());
        assert!(PersonName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            PersonName::parse(&"a".repeat(101)),
            Err(NameError::TooLong { max: 100 })
        );
        assert_eq!(
            PersonName::parse("Ann\nJones"),
            Err(NameError::ControlCharacters)
        );
        assert_eq!(
            PersonName::parse("Ann\u{0}"),
            Err(NameError::ControlCharacters)
        );
        for bidi in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert_eq!(
                PersonName::parse(&format!("Ann{bidi}Jones")),
                Err(NameError::ControlCharacters)
            );
        }
        assert_eq!(
            PersonName::parse("O'Brien-Smith").unwrap().to_string(),
            "O'Brien-Smith"
        );
        assert_eq!(
            NameError::TooLong { max: 100 }.to_string(),
            "Name must be 100 characters or fewer"
        );
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Jo.Bloggs@School.Sch.UK ").unwrap().as_str(),
            "jo.bloggs@school.sch.uk"
        );
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        for bad in [
            "jo",
            "jo@",
            "@school.uk",
            "jo@school",
            "jo@@school.uk",
            "jo@a@school.uk",
            "jo bloggs@school.uk",
            "jo@school .uk",
            "jo@.uk",
            "jo@school.",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Format), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        assert!(Email::parse(&long[1..]).is_ok());
    }

    #[test]
    fn sex() {
        for s in ["F", "f", "Female", "GIRL", " girl "] {
            assert_eq!(Sex::parse(s), Some(Sex::Female), "{s}");
        }
        for s in ["M", "male", "Boy"] {
            assert_eq!(Sex::parse(s), Some(Sex::Male), "{s}");
        }
        assert_eq!(Sex::parse("U"), None);
        assert_eq!(Sex::Female.code(), "F");
        assert_eq!(Sex::Male.label(), "Male");
        for s in Sex::ALL {
            assert_eq!(Sex::parse(s.code()), Some(s));
            assert_eq!(Sex::parse(s.label()), Some(s));
        }
    }

    #[test]
    fn language() {
        for l in CorrespondenceLanguage::ALL {
            assert_eq!(CorrespondenceLanguage::parse(l.as_str()), Some(l));
        }
        assert_eq!(CorrespondenceLanguage::Welsh.label(), "Welsh");
        assert_eq!(
            serde_json::to_string(&CorrespondenceLanguage::Welsh).unwrap(),
            "\"welsh\""
        );
    }

    #[test]
    fn passphrases() {
        assert_eq!(
            Passphrase::parse("short"),
            Err(PassphraseError::TooShort { min: 12 })
        );
        // SR-12: the common-password list, with digits, symbols and swaps around it.
        for common in [
            "Password123!",
            "P@ssw0rd2024!",
            "qwertyuiop123",
            "qwerty123456",
            "!!Football!!99",
            "iloveyou1234",
        ] {
            assert_eq!(
                Passphrase::parse(common),
                Err(PassphraseError::TooCommon),
                "{common}"
            );
        }
        for fine in [
            "correct horse battery staple",
            "a long enough passphrase",
            "senco-demo-3d0ae9a9b3",
            "Regenschirm über der Brücke, ja",
        ] {
            assert!(Passphrase::parse(fine).is_ok(), "{fine}");
        }
        // Long Unicode passphrases are fine and kept exactly as typed.
        let long: String = "ζωή-καλή-🙂".repeat(7).chars().take(64).collect();
        assert_eq!(Passphrase::parse(&long).unwrap().expose(), long);
        assert!(
            COMMON.len() >= 9_000,
            "the bundled list holds the top 10,000"
        );
        // 12 characters but more than 12 bytes; 11 characters fails.
        assert!(Passphrase::parse("ééééééééééé").is_err());
        assert!(Passphrase::parse("éééééééééééé").is_ok());
        let p = Passphrase::parse("  correct horse  ").unwrap();
        assert_eq!(p.expose(), "  correct horse  ");
        assert_eq!(format!("{p:?}"), "Passphrase(***)");
        assert!(Passphrase::parse(&"x".repeat(256)).is_ok());
        assert_eq!(
            Passphrase::parse(&"x".repeat(257)),
            Err(PassphraseError::TooLong { max: 256 })
        );
    }

    #[test]
    fn dates_of_birth() {
        let today = date!(2025 - 03 - 01);
        assert_eq!(validate_date_of_birth(today, today), Ok(()));
        assert_eq!(validate_date_of_birth(date!(1900 - 01 - 01), today), Ok(()));
        assert_eq!(
            validate_date_of_birth(date!(2025 - 03 - 02), today),
            Err(DobError::InFuture)
        );
        assert_eq!(
            validate_date_of_birth(date!(1899 - 12 - 31), today),
            Err(DobError::TooEarly)
        );
    }

    proptest! {
        #[test]
        fn valid_names_are_trimmed_and_stable(s in "\\PC{0,120}") {
            if let Ok(name) = PersonName::parse(&s) {
                prop_assert_eq!(name.as_str(), name.as_str().trim());
                prop_assert!(!name.as_str().is_empty());
                prop_assert!(name.as_str().chars().count() <= 100);
                prop_assert_eq!(PersonName::parse(name.as_str()), Ok(name.clone()));
            }
        }

        #[test]
        fn emails_are_normalised_and_stable(s in "\\PC{0,40}") {
            if let Ok(email) = Email::parse(&s) {
                prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
                prop_assert_eq!(email.as_str().matches('@').count(), 1);
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            }
        }

        #[test]
        fn passphrase_is_kept_exactly(s in "\\PC{12,60}") {
            let p = Passphrase::parse(&s).unwrap();
            prop_assert_eq!(p.expose(), s.as_str());
        }
    }
}
