//! Unique Pupil Number (UPN), as defined by the DfE data standard and census rules 1500-1530.
//!
//! A UPN is 13 characters: a check letter, the allocating school's LA number (3 digits),
//! its establishment number (4 digits), the last two digits of the academic year of
//! allocation and a 3-character serial. A permanent UPN ends in 3 digits; a temporary UPN
//! ends in 2 digits and a letter. Letters never include I, O or S.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The 23 letters a UPN may use, in order of their value (A=0 ... Z=22).
const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// A valid UPN: always 13 uppercase ASCII characters with a correct check letter and a
/// recognised LA code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

/// Why a string is not a UPN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpnError {
    #[error("Enter a UPN")]
    Empty,
    #[error("UPN must be 13 characters")]
    Length { found: usize },
    #[error("UPN must be a letter followed by 12 digits, or 11 digits and a letter")]
    Format,
    #[error("UPN check letter is wrong")]
    CheckLetter { expected: char },
    #[error("UPN local authority code {code} is not recognised")]
    LaCode { code: String },
}

impl UpnError {
    /// A stable machine-readable name for the error.
    pub fn kind(&self) -> &'static str {
        match self {
            UpnError::Empty => "empty",
            UpnError::Length { .. } => "length",
            UpnError::Format => "format",
            UpnError::CheckLetter { .. } => "check_letter",
            UpnError::LaCode { .. } => "la_code",
        }
    }
}

impl Upn {
    /// Trims surrounding whitespace, upper-cases ASCII letters and validates.
    ///
    /// Checks, in order: empty, length, format, LA code (census rule 1530), check letter.
    pub fn parse(s: &str) -> Result<Upn, UpnError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(UpnError::Empty);
        }
        let found = s.chars().count();
        if found != 13 {
            return Err(UpnError::Length { found });
        }
        let s = s.to_ascii_uppercase();
        let (first, body) = match s.as_bytes() {
            [first, body @ ..] if body.len() == 12 => (*first, body),
            _ => return Err(UpnError::Format),
        };
        if letter_value(first).is_none() || !is_body(body) {
            return Err(UpnError::Format);
        }
        let la = &s[1..4];
        if !la_code_recognised(digits_value(&body[..3])) {
            return Err(UpnError::LaCode {
                code: la.to_owned(),
            });
        }
        let expected = check_letter(&s[1..]).ok_or(UpnError::Format)?;
        if char::from(first) != expected {
            return Err(UpnError::CheckLetter { expected });
        }
        Ok(Upn(s))
    }

    /// Builds a permanent UPN from its parts, computing the check letter.
    ///
    /// `la` must be a recognised LA code; `estab` at most 9999, `year2` at most 99 and
    /// `serial` at most 999.
    pub fn permanent(la: u16, estab: u16, year2: u8, serial: u16) -> Result<Upn, UpnError> {
        if !la_code_recognised(la) {
            return Err(UpnError::LaCode {
                code: format!("{la:03}"),
            });
        }
        if estab > 9999 || year2 > 99 || serial > 999 {
            return Err(UpnError::Format);
        }
        let body = format!("{la:03}{estab:04}{year2:02}{serial:03}");
        let letter = check_letter(&body).ok_or(UpnError::Format)?;
        Ok(Upn(format!("{letter}{body}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Temporary UPNs end in a letter.
    pub fn is_temporary(&self) -> bool {
        self.0.as_bytes().last().is_some_and(u8::is_ascii_uppercase)
    }

    /// The LA number of the allocating school (characters 2-4).
    pub fn la_code(&self) -> u16 {
        digits_value(self.0.as_bytes().get(1..4).unwrap_or_default())
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Upn {
    type Error = UpnError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Upn::parse(&s)
    }
}

impl From<Upn> for String {
    fn from(upn: Upn) -> String {
        upn.0
    }
}

/// The check letter for characters 2-13 of a UPN (uppercase), or `None` if they are not
/// 11 digits followed by a digit or a UPN letter.
pub fn check_letter(body12: &str) -> Option<char> {
    let body = body12.as_bytes();
    if !is_body(body) {
        return None;
    }
    let sum: u32 = body
        .iter()
        .zip(2..)
        .map(|(&c, weight)| weight * char_value(c))
        .sum();
    LETTERS.get((sum % 23) as usize).map(|&b| char::from(b))
}

/// Census rule 1530: post-April-1999 LA codes and recognised pseudo-LA codes.
pub fn la_code_recognised(code: u16) -> bool {
    matches!(
        code,
        1..=5
            | 201..=213
            | 301..=320
            | 330..=336
            | 340..=344
            | 350..=359
            | 370..=373
            | 380..=384
            | 390..=394
            | 420
            | 660..=681
            | 701..=708
            | 800..=803
            | 805..=808
            | 810..=813
            | 815
            | 816
            | 820..=823
            | 825
            | 826
            | 830
            | 831
            | 835..=837
            | 840
            | 841
            | 845
            | 846
            | 850..=852
            | 855..=857
            | 860
            | 861
            | 865..=896
            | 908
            | 909
            | 916
            | 919
            | 921
            | 925
            | 926
            | 928
            | 929
            | 931
            | 933
            | 935..=938
    )
}

fn letter_value(c: u8) -> Option<u32> {
    LETTERS.iter().position(|&l| l == c).map(|p| p as u32)
}

/// Value of a digit or UPN letter (callers have checked it is one).
fn char_value(c: u8) -> u32 {
    if c.is_ascii_digit() {
        u32::from(c - b'0')
    } else {
        letter_value(c).unwrap_or(0)
    }
}

/// 11 digits then a digit or UPN letter.
fn is_body(body: &[u8]) -> bool {
    match body {
        [digits @ .., last] if body.len() == 12 => {
            digits.iter().all(u8::is_ascii_digit)
                && (last.is_ascii_digit() || letter_value(*last).is_some())
        }
        _ => false,
    }
}

fn digits_value(digits: &[u8]) -> u16 {
    digits
        .iter()
        .fold(0, |acc, &d| acc * 10 + u16::from(d.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example() {
        assert_eq!(check_letter("207000016049"), Some('P'));
        assert!(Upn::parse("P207000016049").is_ok());
        assert_eq!(
            Upn::parse("B207000016049"),
            Err(UpnError::CheckLetter { expected: 'P' })
        );
        assert_eq!(
            Upn::parse("Q207000016049"),
            Err(UpnError::CheckLetter { expected: 'P' })
        );
    }

    #[test]
    fn another_valid_upn() {
        let upn = Upn::parse("B801200005001").unwrap();
        assert_eq!(upn.la_code(), 801);
        assert!(!upn.is_temporary());
    }

    #[test]
    fn lowercase_and_whitespace_accepted() {
        let upn = Upn::parse("  p207000016049\n").unwrap();
        assert_eq!(upn.as_str(), "P207000016049");
        assert_eq!(upn.to_string(), "P207000016049");
    }

    #[test]
    fn letters_i_o_s_rejected() {
        for bad in ["I207000016049", "O207000016049", "S207000016049"] {
            assert_eq!(Upn::parse(bad), Err(UpnError::Format), "{bad}");
        }
        for bad in ["A20700001604I", "A20700001604O", "A20700001604S"] {
            assert_eq!(Upn::parse(bad), Err(UpnError::Format), "{bad}");
        }
    }

    #[test]
    fn wrong_lengths_rejected() {
        assert_eq!(
            Upn::parse("P20700001604"),
            Err(UpnError::Length { found: 12 })
        );
        assert_eq!(
            Upn::parse("P2070000160490"),
            Err(UpnError::Length { found: 14 })
        );
        assert_eq!(Upn::parse("   "), Err(UpnError::Empty));
        assert_eq!(Upn::parse(""), Err(UpnError::Empty));
    }

    #[test]
    fn format_errors() {
        assert_eq!(Upn::parse("1207000016049"), Err(UpnError::Format));
        assert_eq!(Upn::parse("P2070000160A9"), Err(UpnError::Format));
        assert_eq!(Upn::parse("P20700001604é"), Err(UpnError::Format));
        assert_eq!(Upn::parse("P207 00016049"), Err(UpnError::Format));
        assert_eq!(check_letter("20700001604"), None);
        assert_eq!(check_letter("2070000160A9"), None);
    }

    #[test]
    fn temporary_upn() {
        // 20700001604 then A (value 0): sum 266 - 9*13 = 149, 149 % 23 = 11 -> M.
        assert_eq!(check_letter("20700001604A"), Some('M'));
        let upn = Upn::parse("M20700001604A").unwrap();
        assert!(upn.is_temporary());
        assert_eq!(upn.la_code(), 207);
        assert!(Upn::parse("m20700001604a").is_ok());
    }

    #[test]
    fn la_code_checked() {
        // The LA code is checked before the check letter.
        assert_eq!(
            Upn::parse("A999000016049"),
            Err(UpnError::LaCode { code: "999".into() })
        );
        assert_eq!(
            Upn::parse("A000000016049").unwrap_err().to_string(),
            "UPN local authority code 000 is not recognised"
        );
        assert!(la_code_recognised(1));
        assert!(la_code_recognised(420));
        assert!(la_code_recognised(681));
        assert!(la_code_recognised(938));
        assert!(!la_code_recognised(0));
        assert!(!la_code_recognised(6));
        assert!(!la_code_recognised(804));
        assert!(!la_code_recognised(939));
    }

    #[test]
    fn permanent_builds_the_worked_example() {
        let upn = Upn::permanent(207, 0, 16, 49).unwrap();
        assert_eq!(upn.as_str(), "P207000016049");
        assert_eq!(Upn::permanent(207, 10_000, 16, 49), Err(UpnError::Format));
        assert_eq!(Upn::permanent(207, 0, 100, 49), Err(UpnError::Format));
        assert_eq!(Upn::permanent(207, 0, 16, 1000), Err(UpnError::Format));
        assert_eq!(
            Upn::permanent(999, 1, 1, 1),
            Err(UpnError::LaCode { code: "999".into() })
        );
    }

    #[test]
    fn error_kinds_and_messages() {
        let cases = [
            ("", "empty", "Enter a UPN"),
            ("P20700001604", "length", "UPN must be 13 characters"),
            (
                "1207000016049",
                "format",
                "UPN must be a letter followed by 12 digits, or 11 digits and a letter",
            ),
            ("B207000016049", "check_letter", "UPN check letter is wrong"),
        ];
        for (input, kind, message) in cases {
            let err = Upn::parse(input).unwrap_err();
            assert_eq!(err.kind(), kind);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn serde_round_trip() {
        let upn = Upn::parse("P207000016049").unwrap();
        let json = serde_json::to_string(&upn).unwrap();
        assert_eq!(json, "\"P207000016049\"");
        assert_eq!(serde_json::from_str::<Upn>(&json).unwrap(), upn);
        assert!(serde_json::from_str::<Upn>("\"B207000016049\"").is_err());
    }

    fn recognised_la() -> impl Strategy<Value = u16> {
        (0u16..1000).prop_filter("recognised LA", |&la| la_code_recognised(la))
    }

    proptest! {
        #[test]
        fn permanent_parses_back(la in recognised_la(), estab in 0u16..=9999, year2 in 0u8..=99, serial in 0u16..=999) {
            let upn = Upn::permanent(la, estab, year2, serial).unwrap();
            prop_assert_eq!(Upn::parse(upn.as_str()), Ok(upn.clone()));
            prop_assert_eq!(Upn::parse(&upn.as_str().to_ascii_lowercase()), Ok(upn.clone()));
            prop_assert_eq!(upn.la_code(), la);
            prop_assert!(!upn.is_temporary());
        }

        #[test]
        fn changing_the_check_letter_fails(la in recognised_la(), estab in 0u16..=9999, year2 in 0u8..=99, serial in 0u16..=999, other in 0usize..23) {
            let upn = Upn::permanent(la, estab, year2, serial).unwrap();
            let letter = char::from(LETTERS[other]);
            prop_assume!(!upn.as_str().starts_with(letter));
            let changed = format!("{letter}{}", &upn.as_str()[1..]);
            let is_check_letter_error = matches!(Upn::parse(&changed), Err(UpnError::CheckLetter { .. }));
            prop_assert!(is_check_letter_error);
        }

        #[test]
        fn parse_never_panics_and_output_is_canonical(s in "\\PC{0,20}") {
            if let Ok(upn) = Upn::parse(&s) {
                prop_assert_eq!(upn.as_str().len(), 13);
                prop_assert_eq!(Upn::parse(upn.as_str()), Ok(upn.clone()));
            }
        }

        #[test]
        fn valid_shaped_strings_parse_or_name_the_reason(s in "[A-Z][0-9]{11}[0-9A-Z]") {
            match Upn::parse(&s) {
                Ok(upn) => prop_assert_eq!(upn.as_str(), s.as_str()),
                Err(e) => {
                    let reason_is_content = matches!(e, UpnError::Format | UpnError::LaCode { .. } | UpnError::CheckLetter { .. });
                    prop_assert!(reason_is_content);
                }
            }
        }
    }
}
