//! Schools: DfE/Welsh Government identifiers, country, phase and the SEN framework in force.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::upn::la_code_recognised;

/// Why a school identifier did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CodeError {
    #[error("Enter a code")]
    Empty,
    #[error("Code must be digits only, with the right number of digits")]
    Format,
    #[error("Code is out of range")]
    OutOfRange,
    #[error("Code is not recognised")]
    NotRecognised,
}

/// Trims, then requires exactly `len` ASCII digits.
fn digits(s: &str, len: usize) -> Result<u32, CodeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(CodeError::Empty);
    }
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::Format);
    }
    s.parse().map_err(|_| CodeError::Format)
}

/// Unique Reference Number of an establishment: 6 digits, 100000..=999999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Urn(u32);

impl Urn {
    pub fn new(urn: u32) -> Result<Urn, CodeError> {
        if (100_000..=999_999).contains(&urn) {
            Ok(Urn(urn))
        } else {
            Err(CodeError::OutOfRange)
        }
    }

    pub fn parse(s: &str) -> Result<Urn, CodeError> {
        Urn::new(digits(s, 6)?)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u32> for Urn {
    type Error = CodeError;
    fn try_from(n: u32) -> Result<Self, CodeError> {
        Urn::new(n)
    }
}

impl From<Urn> for u32 {
    fn from(urn: Urn) -> u32 {
        urn.0
    }
}

/// Local authority number: 3 digits, recognised by census rule 1530.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct LaCode(u16);

impl LaCode {
    pub fn new(code: u16) -> Result<LaCode, CodeError> {
        if code > 999 {
            Err(CodeError::OutOfRange)
        } else if !la_code_recognised(code) {
            Err(CodeError::NotRecognised)
        } else {
            Ok(LaCode(code))
        }
    }

    pub fn parse(s: &str) -> Result<LaCode, CodeError> {
        let n = digits(s, 3)?;
        LaCode::new(u16::try_from(n).map_err(|_| CodeError::OutOfRange)?)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for LaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl TryFrom<u16> for LaCode {
    type Error = CodeError;
    fn try_from(n: u16) -> Result<Self, CodeError> {
        LaCode::new(n)
    }
}

impl From<LaCode> for u16 {
    fn from(code: LaCode) -> u16 {
        code.0
    }
}

/// Establishment number within an LA: 4 digits, 0001..=9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct EstabNumber(u16);

impl EstabNumber {
    pub fn new(n: u16) -> Result<EstabNumber, CodeError> {
        if (1..=9999).contains(&n) {
            Ok(EstabNumber(n))
        } else {
            Err(CodeError::OutOfRange)
        }
    }

    pub fn parse(s: &str) -> Result<EstabNumber, CodeError> {
        let n = digits(s, 4)?;
        EstabNumber::new(u16::try_from(n).map_err(|_| CodeError::OutOfRange)?)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for EstabNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl TryFrom<u16> for EstabNumber {
    type Error = CodeError;
    fn try_from(n: u16) -> Result<Self, CodeError> {
        EstabNumber::new(n)
    }
}

impl From<EstabNumber> for u16 {
    fn from(n: EstabNumber) -> u16 {
        n.0
    }
}

/// The country whose law a school follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Country {
    England,
    Wales,
}

impl Country {
    pub const ALL: [Country; 2] = [Country::England, Country::Wales];

    pub fn as_str(self) -> &'static str {
        match self {
            Country::England => "england",
            Country::Wales => "wales",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) key.
    pub fn parse(s: &str) -> Option<Country> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Country::England => "England",
            Country::Wales => "Wales",
        }
    }
}

/// School phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Nursery,
    Primary,
    Secondary,
    Special,
    AllThrough,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Nursery,
        Phase::Primary,
        Phase::Secondary,
        Phase::Special,
        Phase::AllThrough,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Nursery => "nursery",
            Phase::Primary => "primary",
            Phase::Secondary => "secondary",
            Phase::Special => "special",
            Phase::AllThrough => "all_through",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) key.
    pub fn parse(s: &str) -> Option<Phase> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Nursery => "Nursery",
            Phase::Primary => "Primary",
            Phase::Secondary => "Secondary",
            Phase::Special => "Special",
            Phase::AllThrough => "All-through",
        }
    }

    /// Early-years settings use the early-years stages (Early Years Action and Action Plus).
    pub fn is_early_years(self) -> bool {
        self == Phase::Nursery
    }
}

/// The statutory SEN framework a record was made under (REFERENCE.md §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameworkKey {
    #[serde(rename = "england_2001")]
    England2001,
    #[serde(rename = "wales_2002")]
    Wales2002,
    #[serde(rename = "england_2014")]
    England2014,
    #[serde(rename = "wales_aln_2021")]
    WalesAln2021,
}

impl FrameworkKey {
    pub const ALL: [FrameworkKey; 4] = [
        FrameworkKey::England2001,
        FrameworkKey::Wales2002,
        FrameworkKey::England2014,
        FrameworkKey::WalesAln2021,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FrameworkKey::England2001 => "england_2001",
            FrameworkKey::Wales2002 => "wales_2002",
            FrameworkKey::England2014 => "england_2014",
            FrameworkKey::WalesAln2021 => "wales_aln_2021",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) key.
    pub fn parse(s: &str) -> Option<FrameworkKey> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FrameworkKey::England2001 => "SEN Code of Practice 2001 (England)",
            FrameworkKey::Wales2002 => "SEN Code of Practice for Wales 2002",
            FrameworkKey::England2014 => "SEND Code of Practice 2014 (England)",
            FrameworkKey::WalesAln2021 => "ALN Code for Wales 2021",
        }
    }

    pub fn country(self) -> Country {
        match self {
            FrameworkKey::England2001 | FrameworkKey::England2014 => Country::England,
            FrameworkKey::Wales2002 | FrameworkKey::WalesAln2021 => Country::Wales,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urn_rules() {
        assert_eq!(Urn::parse(" 100000 ").unwrap().get(), 100_000);
        assert_eq!(Urn::parse("999999").unwrap().to_string(), "999999");
        assert_eq!(Urn::parse(""), Err(CodeError::Empty));
        assert_eq!(Urn::parse("012345"), Err(CodeError::OutOfRange));
        assert_eq!(Urn::parse("12345"), Err(CodeError::Format));
        assert_eq!(Urn::parse("1234567"), Err(CodeError::Format));
        assert_eq!(Urn::parse("12345a"), Err(CodeError::Format));
        assert_eq!(Urn::parse("+12345"), Err(CodeError::Format));
        assert_eq!(Urn::new(99_999), Err(CodeError::OutOfRange));
    }

    #[test]
    fn la_code_rules() {
        let la = LaCode::parse("001").unwrap();
        assert_eq!(la.get(), 1);
        assert_eq!(la.to_string(), "001");
        assert_eq!(LaCode::parse("873").unwrap().to_string(), "873");
        assert_eq!(LaCode::parse("1"), Err(CodeError::Format));
        assert_eq!(LaCode::parse("999"), Err(CodeError::NotRecognised));
        assert_eq!(LaCode::parse("000"), Err(CodeError::NotRecognised));
        assert_eq!(LaCode::new(1000), Err(CodeError::OutOfRange));
        assert_eq!(LaCode::parse(" "), Err(CodeError::Empty));
    }

    #[test]
    fn estab_rules() {
        let e = EstabNumber::parse("0001").unwrap();
        assert_eq!(e.get(), 1);
        assert_eq!(e.to_string(), "0001");
        assert_eq!(EstabNumber::parse("9999").unwrap().get(), 9999);
        assert_eq!(EstabNumber::parse("0000"), Err(CodeError::OutOfRange));
        assert_eq!(EstabNumber::parse("123"), Err(CodeError::Format));
        assert_eq!(EstabNumber::new(10_000), Err(CodeError::OutOfRange));
    }

    #[test]
    fn code_serde_validates() {
        assert_eq!(
            serde_json::to_string(&LaCode::new(207).unwrap()).unwrap(),
            "207"
        );
        assert_eq!(
            serde_json::from_str::<Urn>("123456").unwrap().get(),
            123_456
        );
        assert!(serde_json::from_str::<Urn>("12").is_err());
        assert!(serde_json::from_str::<LaCode>("999").is_err());
        assert!(serde_json::from_str::<EstabNumber>("0").is_err());
    }

    #[test]
    fn enum_keys_round_trip() {
        for c in Country::ALL {
            assert_eq!(Country::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        for k in FrameworkKey::ALL {
            assert_eq!(FrameworkKey::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(Country::parse("England"), None);
        assert_eq!(Phase::parse("all-through"), None);
    }

    #[test]
    fn labels_and_facts() {
        assert_eq!(Country::Wales.label(), "Wales");
        assert_eq!(Phase::AllThrough.label(), "All-through");
        assert!(Phase::Nursery.is_early_years());
        assert!(!Phase::Primary.is_early_years());
        assert_eq!(
            FrameworkKey::WalesAln2021.label(),
            "ALN Code for Wales 2021"
        );
        assert_eq!(FrameworkKey::England2014.country(), Country::England);
        assert_eq!(FrameworkKey::Wales2002.country(), Country::Wales);
    }

    proptest! {
        #[test]
        fn la_code_display_parses_back(code in 0u16..1000) {
            match LaCode::new(code) {
                Ok(la) => prop_assert_eq!(LaCode::parse(&la.to_string()), Ok(la)),
                Err(e) => prop_assert_eq!(e, CodeError::NotRecognised),
            }
        }

        #[test]
        fn estab_display_parses_back(n in 1u16..=9999) {
            let e = EstabNumber::new(n).unwrap();
            prop_assert_eq!(EstabNumber::parse(&e.to_string()), Ok(e));
        }

        #[test]
        fn urn_display_parses_back(n in 100_000u32..=999_999) {
            let u = Urn::new(n).unwrap();
            prop_assert_eq!(Urn::parse(&u.to_string()), Ok(u));
        }
    }
}
