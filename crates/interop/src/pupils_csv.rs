//! Pupils from a management information system's CSV export (issue 6).
//!
//! Pure and in three steps, so that a preview can show every problem at once:
//!
//! 1. [`decode`] turns bytes into text: UTF-8 (with or without a byte-order mark) or
//!    Windows-1252 (what Excel writes as "CSV"), and UTF-16 with a byte-order mark (Excel's
//!    "Unicode text"); anything else with NUL or control bytes is refused by name.
//! 2. [`parse`] reads the header and every row (commas, or tabs when the header has tabs and
//!    no commas), keeping ragged rows so that they are reported, never dropped;
//!    [`Mapping::detect`] recognises the usual headers, and a mapping can be adjusted.
//! 3. [`validate`] checks each row with the domain's types and gives either a checked pupil
//!    or every problem with its row, column, value and reason. Every row ends up in exactly
//!    one of the two.
//!
//! No I/O and no clock: `today` is a parameter.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use senco_domain::Date;
use senco_domain::entry::{DateEntry, Entry};
use senco_domain::pupil::{Problem, PupilDraft, PupilField, ValidPupil, date_from_parts};
use senco_domain::school::Phase;
use senco_domain::upn::Upn;
use senco_domain::year_group::YearGroup;

/// The largest file accepted (the web's upload limit is the same or smaller).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most rows accepted in one file (more than any school has pupils).
pub const MAX_ROWS: usize = 50_000;
/// The most columns accepted.
pub const MAX_COLUMNS: usize = 200;

/// How the file was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// The encoding's usual name.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (with byte-order mark)",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::Utf16Le => "UTF-16 (little-endian)",
            Encoding::Utf16Be => "UTF-16 (big-endian)",
        }
    }
}

/// Why a file could not be read at all (nothing is imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    TooLarge {
        limit: usize,
    },
    /// NUL or other control bytes: UTF-16 without a byte-order mark, a spreadsheet saved in
    /// its own format (such as .xlsx), or not text at all.
    NotText,
    /// A UTF-16 file whose byte-order mark is followed by an odd number of bytes or an
    /// unpaired surrogate.
    BadUtf16,
    /// The CSV itself is broken (for example an unclosed quote).
    Malformed {
        row: u64,
    },
    NoHeader,
    TooManyRows {
        limit: usize,
    },
    TooManyColumns {
        limit: usize,
    },
}

impl FileError {
    /// A stable machine-readable reason.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::Empty => "empty",
            FileError::TooLarge { .. } => "too_large",
            FileError::NotText => "not_text",
            FileError::BadUtf16 => "bad_utf16",
            FileError::Malformed { .. } => "malformed_csv",
            FileError::NoHeader => "no_header",
            FileError::TooManyRows { .. } => "too_many_rows",
            FileError::TooManyColumns { .. } => "too_many_columns",
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Empty => write!(f, "The file is empty"),
            FileError::TooLarge { limit } => {
                write!(
                    f,
                    "The file must be smaller than {} MB",
                    limit / (1024 * 1024)
                )
            }
            FileError::NotText => write!(
                f,
                "The file is not a CSV file in UTF-8, Windows-1252 or UTF-16 with a byte-order mark: save it from the spreadsheet as \"CSV UTF-8\""
            ),
            FileError::BadUtf16 => write!(f, "The file starts as UTF-16 but is not valid UTF-16"),
            FileError::Malformed { row } => {
                write!(
                    f,
                    "The file is not valid CSV at row {row} (is a quote left open?)"
                )
            }
            FileError::NoHeader => write!(f, "The file has no header row"),
            FileError::TooManyRows { limit } => {
                write!(f, "The file has more than {limit} rows")
            }
            FileError::TooManyColumns { limit } => {
                write!(f, "The file has more than {limit} columns")
            }
        }
    }
}

impl std::error::Error for FileError {}

/// The byte of Windows-1252 from 0x80 to 0x9F as a character (the rest are Latin-1).
/// The five unassigned bytes are `None`.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

fn control_free(s: &str) -> bool {
    !s.chars()
        .any(|c| (c.is_control() && !matches!(c, '\t' | '\r' | '\n')) || c == '\u{FFFE}')
}

fn utf16(body: &[u8], big_endian: bool) -> Result<String, FileError> {
    if !body.len().is_multiple_of(2) {
        return Err(FileError::BadUtf16);
    }
    let units = body.chunks_exact(2).map(|c| match c {
        [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| FileError::BadUtf16)
}

/// Decodes a file's bytes, naming the encoding found.
pub fn decode(bytes: &[u8]) -> Result<(Encoding, String), FileError> {
    decode_within(bytes, MAX_BYTES)
}

/// [`decode`] with another size limit (the national register of schools is larger than any
/// school's pupils).
pub fn decode_within(bytes: &[u8], max_bytes: usize) -> Result<(Encoding, String), FileError> {
    if bytes.len() > max_bytes {
        return Err(FileError::TooLarge { limit: max_bytes });
    }
    let (encoding, text) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let text = std::str::from_utf8(rest).map_err(|_| FileError::NotText)?;
        (Encoding::Utf8Bom, text.to_string())
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (Encoding::Utf16Le, utf16(rest, false)?)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (Encoding::Utf16Be, utf16(rest, true)?)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (Encoding::Utf8, text.to_string())
    } else {
        let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
        for &b in bytes {
            match b {
                0x80..=0x9F => {
                    text.push(CP1252_HIGH[usize::from(b - 0x80)].ok_or(FileError::NotText)?)
                }
                _ => text.push(char::from(b)),
            }
        }
        (Encoding::Windows1252, text)
    };
    if !control_free(&text) {
        return Err(FileError::NotText);
    }
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    Ok((encoding, text))
}

/// One data row as read, numbered as a spreadsheet would show it (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub row: u64,
    pub cells: Vec<String>,
}

/// A read file: its encoding, header and rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    pub encoding: Encoding,
    pub headers: Vec<String>,
    pub rows: Vec<RawRow>,
}

/// Decodes and reads a file. Blank lines are skipped (they hold no pupil); every other row is
/// kept, whatever its number of cells.
pub fn parse(bytes: &[u8]) -> Result<CsvFile, FileError> {
    parse_within(bytes, MAX_BYTES, MAX_ROWS)
}

/// [`parse`] with other limits of size and rows.
pub fn parse_within(bytes: &[u8], max_bytes: usize, max_rows: usize) -> Result<CsvFile, FileError> {
    let (encoding, text) = decode_within(bytes, max_bytes)?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    // Rows are numbered by the line they start on, as a spreadsheet or editor shows them
    // (the csv crate's own line count misses Windows line ends).
    let (mut counted_to, mut line) = (0usize, 1u64);
    let mut line_at = |byte: usize| {
        // The position given is where the previous record ended: step over line ends.
        let mut byte = byte.min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte > counted_to {
            let newlines = text.as_bytes()[counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            line += u64::try_from(newlines).unwrap_or(0);
            counted_to = byte;
        }
        line
    };
    for record in reader.records() {
        let record = record.map_err(|e| FileError::Malformed {
            row: e
                .position()
                .and_then(|p| usize::try_from(p.byte()).ok())
                .map(&mut line_at)
                .unwrap_or(0),
        })?;
        let line = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map(&mut line_at)
            .unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() > MAX_COLUMNS {
            return Err(FileError::TooManyColumns { limit: MAX_COLUMNS });
        }
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if headers.is_none() {
            headers = Some(cells);
            continue;
        }
        if rows.len() >= max_rows {
            return Err(FileError::TooManyRows { limit: max_rows });
        }
        rows.push(RawRow { row: line, cells });
    }
    let headers = headers.ok_or(FileError::NoHeader)?;
    Ok(CsvFile {
        encoding,
        headers,
        rows,
    })
}

/// A pupil detail a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Upn,
    LegalSurname,
    LegalForename,
    DateOfBirth,
    Sex,
    Year,
    RegGroup,
    PreferredSurname,
    PreferredForename,
    FormerUpn,
}

impl Field {
    /// Every field, required ones first, in the order forms list them.
    pub const ALL: [Field; 10] = [
        Field::Upn,
        Field::LegalSurname,
        Field::LegalForename,
        Field::DateOfBirth,
        Field::Sex,
        Field::Year,
        Field::RegGroup,
        Field::PreferredSurname,
        Field::PreferredForename,
        Field::FormerUpn,
    ];

    /// Whether the file must have a column for it.
    pub fn required(self) -> bool {
        matches!(
            self,
            Field::Upn
                | Field::LegalSurname
                | Field::LegalForename
                | Field::DateOfBirth
                | Field::Sex
        )
    }

    /// The snake_case key (command line `--mapping` and form field names).
    pub fn key(self) -> &'static str {
        match self {
            Field::Upn => "upn",
            Field::LegalSurname => "legal_surname",
            Field::LegalForename => "legal_forename",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::Year => "year",
            Field::RegGroup => "reg_group",
            Field::PreferredSurname => "preferred_surname",
            Field::PreferredForename => "preferred_forename",
            Field::FormerUpn => "former_upn",
        }
    }

    /// The field for a key.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key.trim())
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Field::Upn => "UPN",
            Field::LegalSurname => "Legal surname",
            Field::LegalForename => "Legal forename",
            Field::DateOfBirth => "Date of birth",
            Field::Sex => "Sex",
            Field::Year => "Year group",
            Field::RegGroup => "Registration group",
            Field::PreferredSurname => "Preferred surname",
            Field::PreferredForename => "Preferred forename",
            Field::FormerUpn => "Former UPN",
        }
    }

    /// Header spellings recognised, normalised (lower case, letters and digits only), most
    /// specific first.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Upn => &["upn", "uniquepupilnumber", "pupilupn", "currentupn"],
            Field::LegalSurname => &[
                "legalsurname",
                "surname",
                "legallastname",
                "lastname",
                "familyname",
            ],
            Field::LegalForename => &[
                "legalforename",
                "forename",
                "legalfirstname",
                "firstname",
                "forenames",
                "givenname",
            ],
            Field::DateOfBirth => &["dob", "dateofbirth", "birthdate"],
            Field::Sex => &["sex", "gender", "legalsex"],
            Field::Year => &[
                "year",
                "ncyear",
                "ncyearactual",
                "yeargroup",
                "nationalcurriculumyear",
                "curriculumyear",
                "yr",
            ],
            Field::RegGroup => &[
                "reggroup",
                "registrationgroup",
                "form",
                "formgroup",
                "tutorgroup",
                "regform",
            ],
            Field::PreferredSurname => &["preferredsurname", "preferredlastname"],
            Field::PreferredForename => &[
                "preferredforename",
                "preferredfirstname",
                "preferredname",
                "knownas",
                "chosenname",
            ],
            Field::FormerUpn => &["formerupn", "previousupn", "oldupn"],
        }
    }
}

fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Which column holds each field (by index into the header).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub columns: BTreeMap<Field, usize>,
}

/// Why a mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingProblem {
    /// A required field has no column.
    Missing(Field),
    /// One column is given to two or more fields.
    ColumnTwice { column: String, fields: Vec<Field> },
    /// A field was given twice (for example `--mapping upn=A --mapping upn=B`).
    FieldTwice(Field),
    /// A field named that is not one of [`Field::ALL`].
    UnknownField(String),
    /// A column named that is not in the header.
    UnknownColumn { field: Field, column: String },
}

impl MappingProblem {
    /// The field it concerns, if one.
    pub fn field(&self) -> Option<Field> {
        match self {
            MappingProblem::Missing(f)
            | MappingProblem::FieldTwice(f)
            | MappingProblem::UnknownColumn { field: f, .. } => Some(*f),
            MappingProblem::ColumnTwice { fields, .. } => fields.first().copied(),
            MappingProblem::UnknownField(_) => None,
        }
    }
}

impl fmt::Display for MappingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MappingProblem::Missing(field) => {
                write!(f, "Choose the column that holds {}", field.label())
            }
            MappingProblem::ColumnTwice { column, fields } => {
                let names: Vec<&str> = fields.iter().map(|f| f.label()).collect();
                write!(
                    f,
                    "Column \"{column}\" is chosen for more than one field: {}",
                    names.join(", ")
                )
            }
            MappingProblem::FieldTwice(field) => {
                write!(f, "{} is mapped more than once", field.label())
            }
            MappingProblem::UnknownField(name) => write!(
                f,
                "\"{name}\" is not a field: use one of {}",
                Field::ALL.map(Field::key).join(", ")
            ),
            MappingProblem::UnknownColumn { field, column } => {
                write!(
                    f,
                    "The file has no column \"{column}\" (for {})",
                    field.label()
                )
            }
        }
    }
}

impl Mapping {
    /// Recognises the usual headers. When two columns fit one field, the more specific
    /// spelling wins ("Legal Surname" over "Surname") and the other is left ignored.
    pub fn detect(headers: &[String]) -> Mapping {
        let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        let mut columns = BTreeMap::new();
        for field in Field::ALL {
            'aliases: for alias in field.aliases() {
                for (i, h) in normalised.iter().enumerate() {
                    if h == alias && !columns.values().any(|&c| c == i) {
                        columns.insert(field, i);
                        break 'aliases;
                    }
                }
            }
        }
        Mapping { columns }
    }

    /// Starts from `base` and applies `field=Column` pairs (a column by its header, compared
    /// ignoring case and spacing, or by its 1-based number; an empty column unmaps the
    /// field).
    pub fn adjust(
        base: &Mapping,
        headers: &[String],
        pairs: &[(String, String)],
    ) -> Result<Mapping, Vec<MappingProblem>> {
        let mut mapping = base.clone();
        let mut problems = Vec::new();
        let mut seen = Vec::new();
        for (key, column) in pairs {
            let Some(field) = Field::from_key(key) else {
                problems.push(MappingProblem::UnknownField(key.clone()));
                continue;
            };
            if seen.contains(&field) {
                problems.push(MappingProblem::FieldTwice(field));
                continue;
            }
            seen.push(field);
            let column = column.trim();
            if column.is_empty() {
                mapping.columns.remove(&field);
                continue;
            }
            let wanted = normalise(column);
            let found = headers
                .iter()
                .position(|h| h.trim() == column)
                .or_else(|| headers.iter().position(|h| normalise(h) == wanted))
                .or_else(|| {
                    column
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=headers.len()).contains(n))
                        .map(|n| n - 1)
                });
            match found {
                Some(i) => {
                    mapping.columns.insert(field, i);
                }
                None => problems.push(MappingProblem::UnknownColumn {
                    field,
                    column: column.to_string(),
                }),
            }
        }
        if problems.is_empty() {
            Ok(mapping)
        } else {
            Err(problems)
        }
    }

    /// Every reason the mapping cannot be used: required fields without a column, and
    /// columns given to more than one field.
    pub fn check(&self, headers: &[String]) -> Vec<MappingProblem> {
        let mut problems: Vec<MappingProblem> = Field::ALL
            .into_iter()
            .filter(|f| f.required() && !self.columns.contains_key(f))
            .map(MappingProblem::Missing)
            .collect();
        let mut by_column: BTreeMap<usize, Vec<Field>> = BTreeMap::new();
        for (&field, &column) in &self.columns {
            by_column.entry(column).or_default().push(field);
        }
        for (column, fields) in by_column {
            if fields.len() > 1 {
                problems.push(MappingProblem::ColumnTwice {
                    column: headers.get(column).cloned().unwrap_or_default(),
                    fields,
                });
            }
        }
        problems
    }

    /// The columns no field uses (shown as ignored).
    pub fn ignored<'a>(&self, headers: &'a [String]) -> Vec<&'a str> {
        headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.columns.values().any(|c| c == i))
            .map(|(_, h)| h.as_str())
            .collect()
    }

    /// The header of the column mapped to `field`.
    pub fn column_name<'a>(&self, field: Field, headers: &'a [String]) -> Option<&'a str> {
        self.columns
            .get(&field)
            .and_then(|&i| headers.get(i))
            .map(String::as_str)
    }
}

/// A problem with one cell or row: where, what was there and why it is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The row as a spreadsheet numbers it (the header is row 1).
    pub row: u64,
    /// The column's header, or empty for a problem with the whole row.
    pub column: String,
    pub value: String,
    /// A stable machine-readable reason.
    pub code: String,
    /// The reason for people.
    pub reason: String,
}

/// A row that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedPupil {
    pub row: u64,
    pub pupil: ValidPupil,
    /// The year group in the file, if the file has one.
    pub year: Option<YearGroup>,
    pub reg_group: Option<String>,
}

/// Every row, each either checked or with its problems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub pupils: Vec<ImportedPupil>,
    pub problems: Vec<RowProblem>,
    /// How many data rows the file has (every one is in `pupils` or has a problem).
    pub rows: usize,
}

/// A date as MIS exports write it: `DD/MM/YYYY` (also with `-` or `.`) or `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> DateEntry {
    let s = s.trim();
    if s.is_empty() {
        return Entry::Blank;
    }
    // Excel sometimes appends a midnight time.
    let s = s.split_once([' ', 'T']).map(|(d, _)| d).unwrap_or(s);
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => date_from_parts(d, m, y),
        [d, m, y] if y.len() == 4 => date_from_parts(d, m, y),
        _ => Entry::Invalid,
    }
}

/// What is wrong with a pupil's field, in words (also used by the CTF import).
pub fn reason(field: PupilField, problem: &Problem) -> String {
    match problem {
        Problem::Missing => "A value is needed".to_string(),
        Problem::NotADate => "Not a real date: write it as DD/MM/YYYY or YYYY-MM-DD".to_string(),
        Problem::Upn(e) => e.to_string(),
        Problem::Name(e) => e.to_string(),
        Problem::DateOfBirth(e) => e.to_string(),
        Problem::Unknown if field == PupilField::Sex => {
            "Sex must be F or M (or Female, Male, Girl, Boy)".to_string()
        }
        Problem::Unknown => "Not an allowed value".to_string(),
        Problem::SameAsUpn => "The former UPN is the same as the UPN".to_string(),
        Problem::InUse => "The UPN belongs to another pupil".to_string(),
        Problem::TooManyProbes => {
            "Too many UPNs of pupils at other schools were entered lately: try again tomorrow"
                .to_string()
        }
    }
}

fn field_of(f: PupilField) -> Option<Field> {
    Some(match f {
        PupilField::Upn => Field::Upn,
        PupilField::FormerUpn => Field::FormerUpn,
        PupilField::LegalForename => Field::LegalForename,
        PupilField::LegalSurname => Field::LegalSurname,
        PupilField::PreferredForename => Field::PreferredForename,
        PupilField::PreferredSurname => Field::PreferredSurname,
        PupilField::DateOfBirth => Field::DateOfBirth,
        PupilField::Sex => Field::Sex,
        PupilField::EnrolledOn | PupilField::CorrespondenceLanguage => return None,
    })
}

/// Checks every row with a usable mapping (see [`Mapping::check`]) as of `today`, for a
/// school in phase `setting`. A UPN given on two rows is a problem on each of them.
pub fn validate(file: &CsvFile, mapping: &Mapping, today: Date, setting: Phase) -> Checked {
    let width = file.headers.len();
    let column = |f: Field| {
        mapping
            .column_name(f, &file.headers)
            .unwrap_or("")
            .to_string()
    };
    let mut out = Checked {
        rows: file.rows.len(),
        ..Checked::default()
    };
    let mut upn_rows: HashMap<String, Vec<u64>> = HashMap::new();
    let mut candidates = Vec::new();
    for raw in &file.rows {
        if raw.cells.len() != width {
            out.problems.push(RowProblem {
                row: raw.row,
                column: String::new(),
                value: format!("{} cells", raw.cells.len()),
                code: "ragged_row".into(),
                reason: format!(
                    "The row has {} cells where the header has {width}: is a comma or quote missing?",
                    raw.cells.len()
                ),
            });
            continue;
        }
        let cell = |f: Field| -> &str {
            mapping
                .columns
                .get(&f)
                .and_then(|&i| raw.cells.get(i))
                .map(String::as_str)
                .unwrap_or("")
        };
        let draft = PupilDraft {
            upn: cell(Field::Upn).to_string(),
            former_upn: cell(Field::FormerUpn).to_string(),
            legal_forename: cell(Field::LegalForename).to_string(),
            legal_surname: cell(Field::LegalSurname).to_string(),
            preferred_forename: cell(Field::PreferredForename).to_string(),
            preferred_surname: cell(Field::PreferredSurname).to_string(),
            date_of_birth: parse_date(cell(Field::DateOfBirth)),
            sex: cell(Field::Sex).to_string(),
            correspondence_language: String::new(),
        };
        let mut problems = Vec::new();
        let valid = match draft.validate(today, setting) {
            Ok(v) => Some(v),
            Err(found) => {
                for (pf, problem) in found {
                    let field = field_of(pf);
                    problems.push(RowProblem {
                        row: raw.row,
                        column: field.map(column).unwrap_or_default(),
                        value: field.map(|f| cell(f).to_string()).unwrap_or_default(),
                        code: problem.code().to_string(),
                        reason: reason(pf, &problem),
                    });
                }
                None
            }
        };
        let year_text = cell(Field::Year);
        let year = if year_text.is_empty() {
            None
        } else {
            let y = YearGroup::parse(year_text);
            if y.is_none() {
                problems.push(RowProblem {
                    row: raw.row,
                    column: column(Field::Year),
                    value: year_text.to_string(),
                    code: "unknown_value".into(),
                    reason: "Not a year group: use N1, N2, R or 1 to 14".into(),
                });
            }
            y
        };
        let reg_text = cell(Field::RegGroup);
        let reg_group = if reg_text.is_empty() {
            None
        } else if reg_text.chars().count() > 50 {
            problems.push(RowProblem {
                row: raw.row,
                column: column(Field::RegGroup),
                value: reg_text.to_string(),
                code: "too_long".into(),
                reason: "A registration group name must be 50 characters or fewer".into(),
            });
            None
        } else {
            Some(reg_text.to_string())
        };
        if let Ok(upn) = Upn::parse(cell(Field::Upn)) {
            upn_rows
                .entry(upn.as_str().to_string())
                .or_default()
                .push(raw.row);
        }
        match valid {
            Some(pupil) if problems.is_empty() => candidates.push(ImportedPupil {
                row: raw.row,
                pupil,
                year,
                reg_group,
            }),
            _ => out.problems.extend(problems),
        }
    }
    // A UPN on two rows: neither can be trusted, so both are problems.
    let upn_column = column(Field::Upn);
    let duplicated = |upn: &str| upn_rows.get(upn).filter(|rows| rows.len() > 1);
    for raw in &file.rows {
        let value = mapping
            .columns
            .get(&Field::Upn)
            .and_then(|&i| raw.cells.get(i))
            .map(String::as_str)
            .unwrap_or("");
        let Ok(upn) = Upn::parse(value) else { continue };
        if let Some(rows) = duplicated(upn.as_str()) {
            let others: Vec<String> = rows
                .iter()
                .filter(|&&r| r != raw.row)
                .map(u64::to_string)
                .collect();
            out.problems.push(RowProblem {
                row: raw.row,
                column: upn_column.clone(),
                value: value.to_string(),
                code: "duplicate_upn".into(),
                reason: format!("The same UPN is on row {} too", others.join(", ")),
            });
        }
    }
    out.pupils = candidates
        .into_iter()
        .filter(|p| {
            p.pupil
                .upn
                .as_ref()
                .is_none_or(|u| duplicated(u.as_str()).is_none())
        })
        .collect();
    out.problems.sort_by_key(|p| p.row);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    const SIMS: &str = "UPN,Legal Surname,Legal Forename,DOB,Gender,Year,Reg Group,Ethnicity\r\n\
        B801200005001,O'Brien,Siân,27/03/2016,F,5,5B,WBRI\r\n\
        P207000016049,Smith,John,2016-01-09,M,Year 5,5A,WBRI\r\n";

    #[test]
    fn a_sims_export_is_recognised_and_checked() {
        let file = parse(SIMS.as_bytes()).unwrap();
        assert_eq!(file.encoding, Encoding::Utf8);
        let m = Mapping::detect(&file.headers);
        assert!(m.check(&file.headers).is_empty());
        assert_eq!(m.ignored(&file.headers), vec!["Ethnicity"]);
        let checked = validate(&file, &m, TODAY, Phase::Primary);
        assert_eq!(checked.problems, vec![]);
        assert_eq!(checked.pupils.len(), 2);
        let p = &checked.pupils[0];
        assert_eq!(p.row, 2);
        assert_eq!(p.pupil.legal_forename.as_str(), "Siân");
        assert_eq!(p.pupil.date_of_birth, date!(2016 - 03 - 27));
        assert_eq!(p.year, Some(YearGroup::Year(5)));
        assert_eq!(p.reg_group.as_deref(), Some("5B"));
        assert_eq!(checked.pupils[1].row, 3);
    }

    #[test]
    fn header_variants_are_recognised() {
        for (h, field) in [
            ("Unique Pupil Number", Field::Upn),
            ("upn", Field::Upn),
            ("Surname", Field::LegalSurname),
            ("LEGAL_SURNAME", Field::LegalSurname),
            ("First Name", Field::LegalForename),
            ("Forename", Field::LegalForename),
            ("Date of Birth", Field::DateOfBirth),
            ("D.O.B.", Field::DateOfBirth),
            ("Sex", Field::Sex),
            ("NC Year", Field::Year),
            ("Year Group", Field::Year),
            ("Registration Group", Field::RegGroup),
            ("Form", Field::RegGroup),
            ("Preferred Forename", Field::PreferredForename),
            ("Former UPN", Field::FormerUpn),
        ] {
            let m = Mapping::detect(&headers(&[h]));
            assert_eq!(m.columns.get(&field), Some(&0), "{h}");
        }
    }

    #[test]
    fn the_more_specific_header_wins_and_the_other_is_ignored() {
        let h = headers(&["Surname", "Legal Surname"]);
        let m = Mapping::detect(&h);
        assert_eq!(m.columns.get(&Field::LegalSurname), Some(&1));
        assert_eq!(m.ignored(&h), vec!["Surname"]);
    }

    #[test]
    fn a_mapping_can_be_adjusted_and_is_checked() {
        let h = headers(&["Pupil ID", "Family", "Given", "Born", "Sex"]);
        let m = Mapping::detect(&h);
        let problems = m.check(&h);
        assert_eq!(
            problems,
            vec![
                MappingProblem::Missing(Field::Upn),
                MappingProblem::Missing(Field::LegalSurname),
                MappingProblem::Missing(Field::LegalForename),
                MappingProblem::Missing(Field::DateOfBirth),
            ]
        );
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let m = Mapping::adjust(
            &m,
            &h,
            &pairs(&[
                ("upn", "pupil id"),
                ("legal_surname", "Family"),
                ("legal_forename", "3"),
                ("date_of_birth", "Born"),
            ]),
        )
        .unwrap();
        assert!(m.check(&h).is_empty());
        let twice = Mapping::adjust(&m, &h, &pairs(&[("legal_forename", "Family")])).unwrap();
        assert_eq!(
            twice.check(&h),
            vec![MappingProblem::ColumnTwice {
                column: "Family".into(),
                fields: vec![Field::LegalSurname, Field::LegalForename]
            }]
        );
        let err = Mapping::adjust(
            &m,
            &h,
            &pairs(&[("upn", "Nope"), ("sex", "Sex"), ("sex", "Born"), ("x", "y")]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![
                MappingProblem::UnknownColumn {
                    field: Field::Upn,
                    column: "Nope".into()
                },
                MappingProblem::FieldTwice(Field::Sex),
                MappingProblem::UnknownField("x".into()),
            ]
        );
    }

    #[test]
    fn encodings_are_recognised_by_name() {
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), SIMS.as_bytes()].concat();
        assert_eq!(parse(&with_bom).unwrap().encoding, Encoding::Utf8Bom);
        assert_eq!(
            Mapping::detect(&parse(&with_bom).unwrap().headers).columns[&Field::Upn],
            0
        );
        // Windows-1252: â is 0xE2, the curly apostrophe 0x92.
        let cp = b"UPN,Surname,Forename,DOB,Sex\nB801200005001,O\x92Brien,Si\xE2n,27/03/2016,F\n";
        let file = parse(cp).unwrap();
        assert_eq!(file.encoding, Encoding::Windows1252);
        assert_eq!(file.rows[0].cells[1], "O\u{2019}Brien");
        assert_eq!(file.rows[0].cells[2], "Siân");
        // UTF-16 with a byte-order mark, tab-separated (Excel's "Unicode text").
        let text =
            "UPN\tSurname\tForename\tDOB\tSex\nB801200005001\tO'Brien\tSiân\t27/03/2016\tF\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let file = parse(&le).unwrap();
        assert_eq!(file.encoding, Encoding::Utf16Le);
        assert_eq!(file.rows[0].cells[2], "Siân");
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(parse(&be).unwrap().encoding, Encoding::Utf16Be);
        // UTF-16 without a byte-order mark is full of NUL bytes: refused by name.
        let bare: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(parse(&bare).unwrap_err(), FileError::NotText);
        assert_eq!(parse(&le[..le.len() - 1]).unwrap_err(), FileError::BadUtf16);
        // An .xlsx (a ZIP) is not text.
        assert_eq!(
            parse(b"PK\x03\x04\x14\x00\x00\x00").unwrap_err(),
            FileError::NotText
        );
        assert_eq!(parse(b"").unwrap_err(), FileError::Empty);
        assert_eq!(parse(b" \r\n").unwrap_err(), FileError::Empty);
    }

    #[test]
    fn every_problem_names_row_column_value_and_reason() {
        let csv = "UPN,Surname,Forename,DOB,Sex,Year\n\
            A801200005001,Ok,Ok,27/03/2016,F,5\n\
            P207000016049,Ok,Ok,01/01/2030,F,5\n\
            P207000016049,,Ok,31/04/2016,X,Year 20\n\
            too,few\n";
        let file = parse(csv.as_bytes()).unwrap();
        let m = Mapping::detect(&file.headers);
        let checked = validate(&file, &m, TODAY, Phase::Primary);
        assert!(checked.pupils.is_empty());
        let got: Vec<(u64, &str, &str, &str)> = checked
            .problems
            .iter()
            .map(|p| (p.row, p.column.as_str(), p.value.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "UPN", "A801200005001", "check_letter"),
                (3, "DOB", "01/01/2030", "in_future"),
                (3, "UPN", "P207000016049", "duplicate_upn"),
                (4, "Surname", "", "missing"),
                (4, "DOB", "31/04/2016", "not_a_date"),
                (4, "Sex", "X", "unknown_value"),
                (4, "Year", "Year 20", "unknown_value"),
                (4, "UPN", "P207000016049", "duplicate_upn"),
                (5, "", "2 cells", "ragged_row"),
            ]
        );
        assert!(checked.problems.iter().all(|p| !p.reason.is_empty()));
        assert_eq!(checked.problems[2].reason, "The same UPN is on row 4 too");
    }

    #[test]
    fn an_unclosed_quote_shows_as_a_ragged_row_and_lines_are_counted() {
        let file =
            parse(b"UPN,Surname\r\n\r\nB801200005001,\"x\ny\"\r\n\"B801200005001,x\n").unwrap();
        assert_eq!(file.rows[0].row, 3);
        assert_eq!(file.rows[0].cells, vec!["B801200005001", "x\ny"]);
        assert_eq!(file.rows[1].row, 5);
        assert_eq!(file.rows[1].cells.len(), 1);
    }

    #[test]
    fn dates_come_in_the_usual_shapes() {
        assert_eq!(
            parse_date("27/03/2016"),
            Entry::Valid(date!(2016 - 03 - 27))
        );
        assert_eq!(
            parse_date("27-03-2016"),
            Entry::Valid(date!(2016 - 03 - 27))
        );
        assert_eq!(
            parse_date("2016-03-27"),
            Entry::Valid(date!(2016 - 03 - 27))
        );
        assert_eq!(
            parse_date("27/03/2016 00:00:00"),
            Entry::Valid(date!(2016 - 03 - 27))
        );
        assert_eq!(parse_date("03/27/2016"), Entry::Invalid);
        assert_eq!(parse_date("27/03/16"), Entry::Invalid);
        assert_eq!(parse_date(""), Entry::Blank);
    }

    fn upn(n: u16) -> String {
        Upn::permanent(801, 2000, 16, n)
            .map(|u| u.as_str().to_string())
            .unwrap_or_default()
    }

    proptest! {
        /// No row is ever dropped: each data row is a checked pupil or has a problem.
        #[test]
        fn every_row_is_accounted_for(
            rows in prop::collection::vec(
                (0u16..40, "[A-Za-z' ]{0,6}", 0u8..4, prop::bool::ANY, 0usize..3),
                0..30,
            )
        ) {
            let mut csv = String::from("UPN,Surname,Forename,DOB,Sex,Extra\n");
            for (n, name, dob, female, ragged) in &rows {
                let dob = ["27/03/2016", "2030-01-01", "31/02/2016", ""][usize::from(*dob)];
                let sex = if *female { "F" } else { "M" };
                let extra = [",x", "", ",x,y"][*ragged];
                let upn = if *n == 0 { "bad".to_string() } else { upn(*n) };
                csv.push_str(&format!("{upn},\"{name}\",Kit,{dob},{sex}{extra}\n"));
            }
            let file = parse(csv.as_bytes());
            let Ok(file) = file else { return Ok(()) };
            let m = Mapping::detect(&file.headers);
            let checked = validate(&file, &m, TODAY, Phase::Primary);
            prop_assert_eq!(checked.rows, file.rows.len());
            for raw in &file.rows {
                let ok = checked.pupils.iter().filter(|p| p.row == raw.row).count();
                let bad = checked.problems.iter().any(|p| p.row == raw.row);
                prop_assert!(ok + usize::from(bad) == 1, "row {} ok {} bad {}", raw.row, ok, bad);
            }
        }

        /// Arbitrary bytes give an answer, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(file) = parse(&bytes) {
                let m = Mapping::detect(&file.headers);
                let _ = validate(&file, &m, TODAY, Phase::Secondary);
            }
        }
    }
}
