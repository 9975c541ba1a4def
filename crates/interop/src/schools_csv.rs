//! Schools from a national register's CSV extract (issue 19, point 1): England's "Get
//! Information About Schools" all-establishments file (`edubasealldataYYYYMMDD.csv`) and the
//! Welsh Government's address list of schools. The columns read are listed in
//! [`GIAS_COLUMNS`] and [`WALES_COLUMNS`] (and in docs/schools.md); every other column is
//! ignored.
//!
//! Pure and in two steps, like [`crate::pupils_csv`]: [`parse`] decodes the bytes (UTF-8 or
//! Windows-1252, which the register is often written in) and recognises the format by its
//! header; [`check`] turns each row into a checked school, a skipped row (an establishment
//! of an authority the installation does not serve, or one that is not a school Senco
//! serves, such as a children's centre) or problems with its line, column and a code.

use std::collections::HashMap;

use senco_domain::establishment::{Field, LanguageMedium, SchoolDraft, ValidSchool, country_of};
use senco_domain::school::{Country, EstabNumber, LaCode};

use crate::pupils_csv::{CsvFile, parse_within};
pub use crate::pupils_csv::{Encoding, FileError};

/// The largest file read (the England file is about 60 MB).
pub const MAX_BYTES: usize = 150 * 1024 * 1024;
/// The most rows read (England lists about 50,000 establishments, open and closed).
pub const MAX_ROWS: usize = 200_000;

/// Which register a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// England: Get Information About Schools, all establishments.
    Gias,
    /// Wales: the Welsh Government's address list of schools (assumed columns).
    Wales,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Gias => "gias",
            Format::Wales => "wales",
        }
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    Urn,
    LaCode,
    LaName,
    EstabNumber,
    /// Wales: the authority's code and the establishment number as seven digits.
    SchoolNumber,
    Name,
    Phase,
    Type,
    Status,
    CloseDate,
    Street,
    Locality,
    Town,
    Postcode,
    Telephone,
    Website,
    Medium,
}

/// The England file's columns read, and whether each must be there.
pub const GIAS_COLUMNS: &[(Col, &str, bool)] = &[
    (Col::Urn, "URN", true),
    (Col::LaCode, "LA (code)", true),
    (Col::LaName, "LA (name)", true),
    (Col::EstabNumber, "EstablishmentNumber", true),
    (Col::Name, "EstablishmentName", true),
    (Col::Type, "TypeOfEstablishment (name)", true),
    (Col::Status, "EstablishmentStatus (name)", true),
    (Col::Phase, "PhaseOfEducation (name)", true),
    (Col::CloseDate, "CloseDate", false),
    (Col::Street, "Street", false),
    (Col::Locality, "Locality", false),
    (Col::Town, "Town", false),
    (Col::Postcode, "Postcode", false),
    (Col::Telephone, "TelephoneNum", false),
    (Col::Website, "SchoolWebsite", false),
];

/// The Welsh list's columns read (an assumption: docs/schools.md).
pub const WALES_COLUMNS: &[(Col, &str, bool)] = &[
    (Col::SchoolNumber, "School Number", true),
    (Col::Name, "School Name", true),
    (Col::Phase, "Sector", true),
    (Col::Urn, "URN", false),
    (Col::LaName, "Local Authority", false),
    (Col::Type, "School Type", false),
    // Headers are matched whatever their case.
    (Col::Medium, "welsh medium type", false),
    (Col::Street, "Address 1", false),
    (Col::Locality, "Address 2", false),
    (Col::Town, "Address 3", false),
    (Col::Postcode, "Postcode", false),
    (Col::Telephone, "Phone Number", false),
];

/// A read register file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterFile {
    pub format: Format,
    pub encoding: Encoding,
    /// Where each column read is.
    pub columns: HashMap<Col, usize>,
    pub headers: Vec<String>,
    pub file: CsvFile,
}

/// Why a file is not a register file at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterError {
    File(FileError),
    /// The header is neither format's.
    UnknownFormat,
    /// Columns the format needs are not there.
    MissingColumns(Vec<String>),
}

impl RegisterError {
    pub fn code(&self) -> &'static str {
        match self {
            RegisterError::File(e) => e.code(),
            RegisterError::UnknownFormat => "unknown_format",
            RegisterError::MissingColumns(_) => "missing_columns",
        }
    }
}

fn normalise(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// Decodes and reads a register file, recognising its format by the header.
pub fn parse(bytes: &[u8]) -> Result<RegisterFile, RegisterError> {
    let file = parse_within(bytes, MAX_BYTES, MAX_ROWS).map_err(RegisterError::File)?;
    let index: HashMap<String, usize> = file
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| (normalise(h), i))
        .collect();
    let format = if index.contains_key("establishmentname") {
        Format::Gias
    } else if index.contains_key("school number") {
        Format::Wales
    } else {
        return Err(RegisterError::UnknownFormat);
    };
    let spec = match format {
        Format::Gias => GIAS_COLUMNS,
        Format::Wales => WALES_COLUMNS,
    };
    let mut columns = HashMap::new();
    let mut missing = Vec::new();
    for (col, header, required) in spec {
        match index.get(&normalise(header)) {
            Some(&i) => {
                columns.insert(*col, i);
            }
            None if *required => missing.push((*header).to_string()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(RegisterError::MissingColumns(missing));
    }
    Ok(RegisterFile {
        format,
        encoding: file.encoding,
        columns,
        headers: file.headers.clone(),
        file,
    })
}

/// A row that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSchool {
    pub line: u64,
    pub la_code: LaCode,
    /// The authority's name as the file gives it (may be empty in the Welsh list).
    pub la_name: String,
    pub school: ValidSchool,
}

/// A problem with one cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    /// The column's header.
    pub column: String,
    pub value: String,
    /// A stable reason: the domain's problem codes, or `unknown_status`, `ragged_row`,
    /// `duplicate_urn`, `urn_needed`.
    pub code: &'static str,
}

/// Why a row was left out (not a problem: the file covers more than Senco keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// Its authority is not one of the installation's.
    OtherAuthority,
    /// Not a school Senco serves (no phase of education and not special: children's
    /// centres, colleges, universities, offices).
    NotASchool,
}

/// Every row, each checked, skipped or with its problems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub schools: Vec<RegisterSchool>,
    pub skipped: Vec<(u64, Skip)>,
    pub problems: Vec<RowProblem>,
    pub rows: usize,
}

/// The phase Senco keeps, from the register's phase and type; `None` for an establishment
/// Senco does not serve.
pub fn phase_of(format: Format, phase: &str, kind: &str) -> Option<&'static str> {
    let phase = phase.trim().to_lowercase();
    if kind.to_lowercase().contains("special") || phase == "special" {
        return Some("special");
    }
    match (format, phase.as_str()) {
        (_, "nursery") => Some("nursery"),
        (_, "primary" | "middle deemed primary") => Some("primary"),
        (_, "secondary" | "middle deemed secondary" | "16 plus") => Some("secondary"),
        (_, "all-through" | "all through") => Some("all_through"),
        // The Welsh "middle" schools teach from 3 or 4 to 16.
        (Format::Wales, "middle") => Some("all_through"),
        _ => None,
    }
}

/// Whether the register's type is a school the local authority maintains. The types are the
/// England file's (an assumption for what the reference leaves open: docs/schools.md).
pub fn maintained(kind: &str) -> bool {
    const MAINTAINED: &[&str] = &[
        "community school",
        "voluntary aided school",
        "voluntary controlled school",
        "foundation school",
        "community special school",
        "foundation special school",
        "la nursery school",
        "pupil referral unit",
        // Wales
        "community",
        "voluntary aided",
        "voluntary controlled",
        "foundation",
        "maintained",
    ];
    MAINTAINED.contains(&kind.trim().to_lowercase().as_str())
}

/// Whether the register's status means closed; `None` for a status not known.
pub fn closed_status(status: &str) -> Option<bool> {
    match status.trim().to_lowercase().as_str() {
        "open" | "open, but proposed to close" | "proposed to open" => Some(false),
        "closed" => Some(true),
        _ => None,
    }
}

/// The Welsh list's medium, in Senco's categories.
pub fn medium_of(s: &str) -> Option<Option<LanguageMedium>> {
    let s = s.trim().to_lowercase();
    if s.is_empty() {
        Some(None)
    } else if s.contains("transitional") {
        Some(Some(LanguageMedium::Transitional))
    } else if s.contains("dual") {
        Some(Some(LanguageMedium::Dual))
    } else if s.contains("welsh medium") || s == "welsh" {
        Some(Some(LanguageMedium::Welsh))
    } else if s.contains("english") {
        Some(Some(LanguageMedium::English))
    } else {
        None
    }
}

/// A date as the register writes it: `DD-MM-YYYY` or `DD/MM/YYYY`, or `YYYY-MM-DD`; as
/// `YYYY-MM-DD`, or `None` when it is not a date.
pub fn iso_date(s: &str) -> Option<String> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => (*y, *m, *d),
        [d, m, y] if y.len() == 4 => (*y, *m, *d),
        _ => return None,
    };
    let iso = format!("{y}-{m:0>2}-{d:0>2}");
    senco_domain::establishment::parse_iso_date(&iso).map(|_| iso)
}

fn column_name(f: Field, format: Format) -> &'static str {
    let spec = match format {
        Format::Gias => GIAS_COLUMNS,
        Format::Wales => WALES_COLUMNS,
    };
    let col = match f {
        Field::Urn => Col::Urn,
        Field::EstabNumber => match format {
            Format::Gias => Col::EstabNumber,
            Format::Wales => Col::SchoolNumber,
        },
        Field::Name => Col::Name,
        Field::Phase => Col::Phase,
        Field::Street => Col::Street,
        Field::Locality => Col::Locality,
        Field::Town => Col::Town,
        Field::Postcode => Col::Postcode,
        Field::Telephone => Col::Telephone,
        Field::Website => Col::Website,
        Field::LanguageMedium => Col::Medium,
        Field::ClosedOn => Col::CloseDate,
        Field::Code | Field::Authority | Field::Country => Col::LaCode,
    };
    spec.iter()
        .find(|(c, _, _)| *c == col)
        .map(|(_, h, _)| *h)
        .unwrap_or("")
}

/// Checks every row. `serves` says whether an authority code is one of the installation's
/// (other rows are skipped); `urn_of` finds the URN of a school already in Senco by its
/// authority code and establishment number, for Welsh rows without one.
pub fn check(
    file: &RegisterFile,
    serves: impl Fn(&str) -> bool,
    urn_of: impl Fn(&str, &str) -> Option<String>,
) -> Checked {
    let mut out = Checked {
        rows: file.file.rows.len(),
        ..Checked::default()
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &file.file.rows {
        let cell = |c: Col| -> String {
            file.columns
                .get(&c)
                .and_then(|&i| row.cells.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        if row.cells.len() < file.headers.len() {
            out.problems.push(RowProblem {
                line: row.row,
                column: String::new(),
                value: String::new(),
                code: "ragged_row",
            });
            continue;
        }
        match check_row(file.format, row.row, &cell, &serves, &urn_of) {
            RowOutcome::Skip(s) => out.skipped.push((row.row, s)),
            RowOutcome::Problems(p) => out.problems.extend(p),
            RowOutcome::School(s) => {
                let urn = s.school.urn.to_string();
                if seen.insert(urn.clone(), row.row).is_some() {
                    out.problems.push(RowProblem {
                        line: row.row,
                        column: column_name(Field::Urn, file.format).to_string(),
                        value: urn,
                        code: "duplicate_urn",
                    });
                } else {
                    out.schools.push(*s);
                }
            }
        }
    }
    out
}

enum RowOutcome {
    Skip(Skip),
    Problems(Vec<RowProblem>),
    School(Box<RegisterSchool>),
}

fn check_row(
    format: Format,
    line: u64,
    cell: &dyn Fn(Col) -> String,
    serves: &dyn Fn(&str) -> bool,
    urn_of: &dyn Fn(&str, &str) -> Option<String>,
) -> RowOutcome {
    let problem = |col: Col, value: String, code: &'static str| {
        let spec = match format {
            Format::Gias => GIAS_COLUMNS,
            Format::Wales => WALES_COLUMNS,
        };
        RowProblem {
            line,
            column: spec
                .iter()
                .find(|(c, _, _)| *c == col)
                .map(|(_, h, _)| (*h).to_string())
                .unwrap_or_default(),
            value,
            code,
        }
    };
    let (la_raw, estab_raw) = match format {
        Format::Gias => (cell(Col::LaCode), cell(Col::EstabNumber)),
        Format::Wales => {
            let n = cell(Col::SchoolNumber);
            if n.len() != 7 || !n.is_ascii() {
                return RowOutcome::Problems(vec![problem(Col::SchoolNumber, n, "format")]);
            }
            let (la, estab) = n.split_at(3);
            (la.to_string(), estab.to_string())
        }
    };
    if !serves(&la_raw) {
        return RowOutcome::Skip(Skip::OtherAuthority);
    }
    let la_code = match LaCode::parse(&la_raw) {
        Ok(c) => c,
        Err(e) => {
            let col = match format {
                Format::Gias => Col::LaCode,
                Format::Wales => Col::SchoolNumber,
            };
            let code = senco_domain::establishment::Problem::from(e).code();
            return RowOutcome::Problems(vec![problem(col, la_raw, code)]);
        }
    };
    let Some(phase) = phase_of(format, &cell(Col::Phase), &cell(Col::Type)) else {
        return RowOutcome::Skip(Skip::NotASchool);
    };
    let mut problems = Vec::new();
    let closed = match format {
        Format::Gias => match closed_status(&cell(Col::Status)) {
            Some(c) => c,
            None => {
                problems.push(problem(Col::Status, cell(Col::Status), "unknown_status"));
                false
            }
        },
        Format::Wales => false,
    };
    let closed_on = match cell(Col::CloseDate) {
        d if d.is_empty() || !closed => String::new(),
        d => iso_date(&d).unwrap_or(d),
    };
    let medium = match medium_of(&cell(Col::Medium)) {
        Some(m) => m.map(|m| m.as_str().to_string()).unwrap_or_default(),
        None => {
            problems.push(problem(Col::Medium, cell(Col::Medium), "unknown"));
            String::new()
        }
    };
    let mut urn = cell(Col::Urn);
    if urn.is_empty()
        && format == Format::Wales
        && let Ok(estab) = EstabNumber::parse(&estab_raw)
    {
        urn = urn_of(&la_code.to_string(), &estab.to_string()).unwrap_or_default();
        if urn.is_empty() {
            problems.push(problem(Col::Urn, String::new(), "urn_needed"));
            return RowOutcome::Problems(problems);
        }
    }
    let draft = SchoolDraft {
        urn,
        estab_number: estab_raw,
        name: cell(Col::Name),
        phase: phase.to_string(),
        maintained: maintained(&cell(Col::Type)),
        street: cell(Col::Street),
        locality: cell(Col::Locality),
        town: cell(Col::Town),
        postcode: cell(Col::Postcode),
        telephone: cell(Col::Telephone),
        website: cell(Col::Website),
        language_medium: medium,
        closed,
        closed_on,
    };
    let country: Country = country_of(la_code);
    match draft.validate(country) {
        Ok(school) if problems.is_empty() => RowOutcome::School(Box::new(RegisterSchool {
            line,
            la_code,
            la_name: cell(Col::LaName),
            school,
        })),
        Ok(_) => RowOutcome::Problems(problems),
        Err(found) => {
            for (field, p) in found {
                let value = match field {
                    Field::Urn => draft.urn.clone(),
                    Field::EstabNumber => draft.estab_number.clone(),
                    Field::Name => draft.name.clone(),
                    Field::Street => draft.street.clone(),
                    Field::Locality => draft.locality.clone(),
                    Field::Town => draft.town.clone(),
                    Field::Postcode => draft.postcode.clone(),
                    Field::Telephone => draft.telephone.clone(),
                    Field::Website => draft.website.clone(),
                    Field::ClosedOn => draft.closed_on.clone(),
                    _ => String::new(),
                };
                problems.push(RowProblem {
                    line,
                    column: column_name(field, format).to_string(),
                    value,
                    code: p.code(),
                });
            }
            RowOutcome::Problems(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = include_bytes!("../tests/data/gias_sample.csv");

    fn all(_: &str) -> bool {
        true
    }

    fn none(_: &str, _: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_england_sample_is_read() {
        let f = parse(SAMPLE).unwrap();
        assert_eq!(f.format, Format::Gias);
        let c = check(&f, |la| la == "873" || la == "681", none);
        assert_eq!(c.problems, vec![], "{:?}", c.problems);
        let urns: Vec<String> = c.schools.iter().map(|s| s.school.urn.to_string()).collect();
        assert_eq!(urns, ["110001", "110002", "110003", "110004"]);
        let closed = &c.schools[2].school;
        assert!(closed.closed);
        assert_eq!(
            closed.closed_on.map(|d| d.to_string()).as_deref(),
            Some("2019-08-31")
        );
        assert_eq!(c.schools[0].school.postcode, "CB1 1AA");
        assert!(c.schools[0].school.maintained);
        assert!(!c.schools[1].school.maintained);
        assert_eq!(c.schools[3].school.phase.as_str(), "special");
        // A children's centre, and a school of another authority.
        assert_eq!(
            c.skipped,
            vec![(6, Skip::NotASchool), (7, Skip::OtherAuthority)]
        );
    }

    #[test]
    fn bad_rows_are_named_by_line_and_column() {
        let text = "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),EstablishmentStatus (name),PhaseOfEducation (name),CloseDate,Postcode\n\
            12,873,Cambridgeshire,2001,Bad URN,Community school,Open,Primary,,\n\
            110002,873,Cambridgeshire,2002,Odd status,Community school,Dormant,Primary,,\n\
            110003,873,Cambridgeshire,2003,,Community school,Open,Primary,,ZZZ\n\
            110004,873,Cambridgeshire,2004,Short row\n\
            110005,873,Cambridgeshire,2005,Twice,Community school,Open,Primary,,\n\
            110005,873,Cambridgeshire,2006,Twice again,Community school,Open,Primary,,\n";
        let f = parse(text.as_bytes()).unwrap();
        let c = check(&f, all, none);
        let found: Vec<(u64, &str, &str)> = c
            .problems
            .iter()
            .map(|p| (p.line, p.column.as_str(), p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, "URN", "format"),
                (3, "EstablishmentStatus (name)", "unknown_status"),
                (4, "EstablishmentName", "missing"),
                (4, "Postcode", "format"),
                (5, "", "ragged_row"),
                (7, "URN", "duplicate_urn"),
            ]
        );
        assert_eq!(c.schools.len(), 1);
    }

    #[test]
    fn unknown_or_incomplete_headers_are_refused() {
        assert_eq!(
            parse(b"Name,Age\nA,1\n").unwrap_err(),
            RegisterError::UnknownFormat
        );
        assert_eq!(
            parse(b"EstablishmentName,URN\nA,110001\n")
                .unwrap_err()
                .code(),
            "missing_columns"
        );
    }

    #[test]
    fn the_welsh_list_is_read_with_urns_found_in_senco() {
        let text = "School Number,School Name,Sector,Welsh Medium Type,Address 1,Address 3,Postcode,Phone Number,School Type\n\
            6812001,Ysgol Gymraeg Example,Primary,Welsh Medium,1 Heol Fawr,Caerdydd,CF10 1AA,029 2000 0000,Community\n\
            6812002,Ysgol Newydd,Primary,English Medium,,,,,Community\n";
        let f = parse(text.as_bytes()).unwrap();
        assert_eq!(f.format, Format::Wales);
        let c = check(&f, all, |la, estab| {
            (la == "681" && estab == "2001").then(|| "400001".to_string())
        });
        assert_eq!(c.schools.len(), 1);
        let s = &c.schools[0].school;
        assert_eq!(s.urn.to_string(), "400001");
        assert_eq!(s.language_medium, Some(LanguageMedium::Welsh));
        assert_eq!(s.town, "Caerdydd");
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].code, "urn_needed");
        assert_eq!(c.problems[0].line, 3);
    }

    #[test]
    fn windows_1252_is_read() {
        let mut bytes = b"URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),EstablishmentStatus (name),PhaseOfEducation (name)\r\n110001,873,Cambridgeshire,2001,St Mary".to_vec();
        bytes.push(0x92); // a right single quotation mark
        bytes.extend_from_slice(b"s Primary,Voluntary aided school,Open,Primary\r\n");
        let f = parse(&bytes).unwrap();
        assert_eq!(f.encoding, Encoding::Windows1252);
        let c = check(&f, all, none);
        assert_eq!(c.schools[0].school.name, "St Mary\u{2019}s Primary");
    }

    #[test]
    fn dates_in_the_register() {
        assert_eq!(iso_date("31-08-2019").as_deref(), Some("2019-08-31"));
        assert_eq!(iso_date("1/9/2020").as_deref(), Some("2020-09-01"));
        assert_eq!(iso_date("2020-09-01").as_deref(), Some("2020-09-01"));
        assert_eq!(iso_date("31-02-2019"), None);
        assert_eq!(iso_date("soon"), None);
    }
}
