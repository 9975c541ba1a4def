//! The details an administrator keeps of local authorities and schools (issue 19, point 1):
//! what a form, a JSON body, a command line or a row of the national register gives, checked
//! once into values that cannot be wrong. Problems are codes naming a field; the edge turns
//! them into words.

use crate::Date;
use crate::school::{CodeError, Country, EstabNumber, LaCode, Phase, Urn};

/// The longest name, address line or web address kept.
pub const MAX_TEXT: usize = 200;

/// How much a Welsh school teaches through Welsh: the Welsh Government's categories of
/// school by language (English-medium with Welsh taught, dual language, transitional,
/// Welsh-medium). The category names are an assumption (docs/schools.md): REFERENCE.md
/// names only a "Welsh-medium school flag".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LanguageMedium {
    English,
    Dual,
    Transitional,
    Welsh,
}

impl LanguageMedium {
    pub const ALL: [LanguageMedium; 4] = [
        LanguageMedium::English,
        LanguageMedium::Dual,
        LanguageMedium::Transitional,
        LanguageMedium::Welsh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LanguageMedium::English => "english",
            LanguageMedium::Dual => "dual",
            LanguageMedium::Transitional => "transitional",
            LanguageMedium::Welsh => "welsh",
        }
    }

    pub fn parse(s: &str) -> Option<LanguageMedium> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The country an authority's code belongs to: census rule 1530 lists 660-681 as Wales.
pub fn country_of(code: LaCode) -> Country {
    if (660..=681).contains(&code.get()) {
        Country::Wales
    } else {
        Country::England
    }
}

/// A field of an authority or a school.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Code,
    Name,
    Country,
    Authority,
    Urn,
    EstabNumber,
    Phase,
    Street,
    Locality,
    Town,
    Postcode,
    Telephone,
    Website,
    LanguageMedium,
    ClosedOn,
}

impl Field {
    /// The field's name in forms, JSON bodies and reports.
    pub fn key(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Name => "name",
            Field::Country => "country",
            Field::Authority => "la_code",
            Field::Urn => "urn",
            Field::EstabNumber => "establishment_number",
            Field::Phase => "phase",
            Field::Street => "street",
            Field::Locality => "locality",
            Field::Town => "town",
            Field::Postcode => "postcode",
            Field::Telephone => "telephone",
            Field::Website => "website",
            Field::LanguageMedium => "language_medium",
            Field::ClosedOn => "closed_on",
        }
    }
}

/// What is wrong with a field, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    Missing,
    /// Not in the expected shape (digits, a date, a postcode, a telephone number).
    Format,
    OutOfRange,
    /// A local-authority code that census rule 1530 does not list.
    NotRecognised,
    TooLong,
    /// Not one of the allowed values.
    Unknown,
    /// The country does not match the authority's code (660-681 are Welsh).
    CountryMismatch,
    /// A language medium for a school outside Wales.
    WalesOnly,
}

impl Problem {
    pub fn code(self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::Format => "format",
            Problem::OutOfRange => "out_of_range",
            Problem::NotRecognised => "not_recognised",
            Problem::TooLong => "too_long",
            Problem::Unknown => "unknown",
            Problem::CountryMismatch => "country_mismatch",
            Problem::WalesOnly => "wales_only",
        }
    }
}

impl From<CodeError> for Problem {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::Empty => Problem::Missing,
            CodeError::Format => Problem::Format,
            CodeError::OutOfRange => Problem::OutOfRange,
            CodeError::NotRecognised => Problem::NotRecognised,
        }
    }
}

/// Every problem of a draft, each naming its field.
pub type Problems = Vec<(Field, Problem)>;

/// An authority as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorityDraft {
    pub code: String,
    pub name: String,
    /// `england` or `wales`; empty means the country of the code.
    pub country: String,
}

/// A checked authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAuthority {
    pub code: LaCode,
    pub name: String,
    pub country: Country,
}

fn text(value: &str, field: Field, required: bool, problems: &mut Problems) -> Option<String> {
    let v = value.trim();
    if v.is_empty() && required {
        problems.push((field, Problem::Missing));
        return None;
    }
    if v.chars().count() > MAX_TEXT {
        problems.push((field, Problem::TooLong));
        return None;
    }
    if v.chars().any(char::is_control) {
        problems.push((field, Problem::Format));
        return None;
    }
    Some(v.to_string())
}

impl AuthorityDraft {
    pub fn validate(&self) -> Result<ValidAuthority, Problems> {
        let mut problems = Problems::new();
        let code = LaCode::parse(&self.code)
            .map_err(|e| problems.push((Field::Code, e.into())))
            .ok();
        let name = text(&self.name, Field::Name, true, &mut problems);
        let country = match self.country.trim() {
            "" => code.map(country_of),
            c => match Country::parse(c) {
                Some(c) if code.is_none_or(|code| country_of(code) == c) => Some(c),
                Some(_) => {
                    problems.push((Field::Country, Problem::CountryMismatch));
                    None
                }
                None => {
                    problems.push((Field::Country, Problem::Unknown));
                    None
                }
            },
        };
        match (code, name, country, problems.is_empty()) {
            (Some(code), Some(name), Some(country), true) => Ok(ValidAuthority {
                code,
                name,
                country,
            }),
            _ => Err(problems),
        }
    }
}

/// A school as typed (every field text, as a form or a file gives it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolDraft {
    pub urn: String,
    pub estab_number: String,
    pub name: String,
    pub phase: String,
    pub maintained: bool,
    pub street: String,
    pub locality: String,
    pub town: String,
    pub postcode: String,
    pub telephone: String,
    pub website: String,
    /// Empty for none (and always empty outside Wales).
    pub language_medium: String,
    pub closed: bool,
    /// `YYYY-MM-DD`, or empty.
    pub closed_on: String,
}

/// A checked school (its authority is given separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSchool {
    pub urn: Urn,
    pub estab_number: EstabNumber,
    pub name: String,
    pub phase: Phase,
    pub maintained: bool,
    pub street: String,
    pub locality: String,
    pub town: String,
    /// Upper case, one space before the inward code.
    pub postcode: String,
    pub telephone: String,
    pub website: String,
    pub language_medium: Option<LanguageMedium>,
    pub closed: bool,
    pub closed_on: Option<Date>,
}

/// A UK postcode's shape: an outward code of 2-4 characters starting with a letter, then a
/// digit and two letters. Spaces are optional; the result is upper case with one space.
pub fn normalise_postcode(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let n = compact.len();
    if !(5..=7).contains(&n) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(n - 3);
    let ib = inward.as_bytes();
    let ok_inward =
        ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic();
    let ok_outward = outward.as_bytes()[0].is_ascii_alphabetic()
        && outward.bytes().all(|b| b.is_ascii_alphanumeric())
        && outward.bytes().any(|b| b.is_ascii_digit());
    (ok_inward && ok_outward).then(|| format!("{outward} {inward}"))
}

fn telephone_ok(s: &str) -> bool {
    s.len() <= 30
        && s.chars().filter(char::is_ascii_digit).count() >= 6
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
}

fn website_ok(s: &str) -> bool {
    !s.chars().any(char::is_whitespace) && s.contains('.') && !s.contains(['<', '>', '"'])
}

/// A `YYYY-MM-DD` date.
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

impl SchoolDraft {
    /// Checks the draft for a school of an authority in `country`.
    pub fn validate(&self, country: Country) -> Result<ValidSchool, Problems> {
        let mut problems = Problems::new();
        let p = &mut problems;
        let urn = Urn::parse(&self.urn)
            .map_err(|e| p.push((Field::Urn, e.into())))
            .ok();
        let estab_number = EstabNumber::parse(&self.estab_number)
            .map_err(|e| p.push((Field::EstabNumber, e.into())))
            .ok();
        let name = text(&self.name, Field::Name, true, p);
        let phase = match self.phase.trim() {
            "" => {
                p.push((Field::Phase, Problem::Missing));
                None
            }
            s => Phase::parse(s).or_else(|| {
                p.push((Field::Phase, Problem::Unknown));
                None
            }),
        };
        let street = text(&self.street, Field::Street, false, p);
        let locality = text(&self.locality, Field::Locality, false, p);
        let town = text(&self.town, Field::Town, false, p);
        let postcode = match self.postcode.trim() {
            "" => Some(String::new()),
            s => normalise_postcode(s).or_else(|| {
                p.push((Field::Postcode, Problem::Format));
                None
            }),
        };
        let telephone = match self.telephone.trim() {
            "" => Some(String::new()),
            s if telephone_ok(s) => Some(s.to_string()),
            _ => {
                p.push((Field::Telephone, Problem::Format));
                None
            }
        };
        let website = match text(&self.website, Field::Website, false, p) {
            Some(s) if s.is_empty() || website_ok(&s) => Some(s),
            Some(_) => {
                p.push((Field::Website, Problem::Format));
                None
            }
            None => None,
        };
        let language_medium = match (self.language_medium.trim(), country) {
            ("", _) => Some(None),
            (_, Country::England) => {
                p.push((Field::LanguageMedium, Problem::WalesOnly));
                None
            }
            (s, Country::Wales) => match LanguageMedium::parse(s) {
                Some(m) => Some(Some(m)),
                None => {
                    p.push((Field::LanguageMedium, Problem::Unknown));
                    None
                }
            },
        };
        let closed_on = match self.closed_on.trim() {
            "" => Some(None),
            s => match parse_iso_date(s) {
                Some(d) => Some(Some(d)),
                None => {
                    p.push((Field::ClosedOn, Problem::Format));
                    None
                }
            },
        };
        let (
            Some(urn),
            Some(estab_number),
            Some(name),
            Some(phase),
            Some(street),
            Some(locality),
            Some(town),
            Some(postcode),
            Some(telephone),
            Some(website),
            Some(language_medium),
            Some(closed_on),
            true,
        ) = (
            urn,
            estab_number,
            name,
            phase,
            street,
            locality,
            town,
            postcode,
            telephone,
            website,
            language_medium,
            closed_on,
            problems.is_empty(),
        )
        else {
            return Err(problems);
        };
        Ok(ValidSchool {
            urn,
            estab_number,
            name,
            phase,
            maintained: self.maintained,
            street,
            locality,
            town,
            postcode,
            telephone,
            website,
            language_medium,
            // A closing date means the school is closed.
            closed: self.closed || closed_on.is_some(),
            closed_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school() -> SchoolDraft {
        SchoolDraft {
            urn: "123456".into(),
            estab_number: "2001".into(),
            name: "Hillside Primary".into(),
            phase: "primary".into(),
            maintained: true,
            postcode: "sw1a1aa".into(),
            telephone: "020 7946 0000".into(),
            website: "www.hillside.example".into(),
            ..SchoolDraft::default()
        }
    }

    #[test]
    fn a_school_is_checked_and_normalised() {
        let s = school().validate(Country::England).unwrap();
        assert_eq!(s.postcode, "SW1A 1AA");
        assert!(!s.closed);
        let closed = SchoolDraft {
            closed_on: "2024-08-31".into(),
            ..school()
        }
        .validate(Country::England)
        .unwrap();
        assert!(closed.closed);
    }

    #[test]
    fn every_problem_is_named() {
        let bad = SchoolDraft {
            urn: "12".into(),
            estab_number: "".into(),
            name: " ".into(),
            phase: "college".into(),
            postcode: "12345".into(),
            telephone: "call us".into(),
            website: "not a site".into(),
            language_medium: "welsh".into(),
            closed_on: "31/08/2024".into(),
            ..SchoolDraft::default()
        };
        let problems = bad.validate(Country::England).unwrap_err();
        let fields: Vec<Field> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec![
                Field::Urn,
                Field::EstabNumber,
                Field::Name,
                Field::Phase,
                Field::Postcode,
                Field::Telephone,
                Field::Website,
                Field::LanguageMedium,
                Field::ClosedOn
            ]
        );
        assert!(problems.contains(&(Field::LanguageMedium, Problem::WalesOnly)));
        let welsh = SchoolDraft {
            language_medium: "welsh".into(),
            ..school()
        };
        assert_eq!(
            welsh.validate(Country::Wales).unwrap().language_medium,
            Some(LanguageMedium::Welsh)
        );
    }

    #[test]
    fn an_authority_country_follows_its_code() {
        let a = AuthorityDraft {
            code: "873".into(),
            name: "Cambridgeshire".into(),
            country: String::new(),
        };
        assert_eq!(a.validate().unwrap().country, Country::England);
        let w = AuthorityDraft {
            code: "681".into(),
            name: "Cardiff".into(),
            country: "england".into(),
        };
        assert_eq!(
            w.validate().unwrap_err(),
            vec![(Field::Country, Problem::CountryMismatch)]
        );
        let bad = AuthorityDraft::default().validate().unwrap_err();
        assert_eq!(
            bad,
            vec![
                (Field::Code, Problem::Missing),
                (Field::Name, Problem::Missing)
            ]
        );
    }

    #[test]
    fn postcodes() {
        assert_eq!(normalise_postcode("cf10 1aa").as_deref(), Some("CF10 1AA"));
        assert_eq!(normalise_postcode("M11AE").as_deref(), Some("M1 1AE"));
        for bad in ["", "1AA", "CF10 AAA", "ÄB1 1AA", "CF10 1A"] {
            assert_eq!(normalise_postcode(bad), None, "{bad}");
        }
    }
}
