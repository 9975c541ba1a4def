//! Staff to invite, from a CSV file (issue 19, point 4): one row a person, with the columns
//! in [`COLUMNS`] (and docs/staff.md); other columns are ignored.
//!
//! Pure and in two steps, like [`crate::schools_csv`]: [`parse`] decodes the bytes and finds
//! the columns by their header; [`check`] turns each row into a checked person or problems
//! with the line, column and a stable code. Whether the school, the groups and the email are
//! known is for the use case, which has the database.

use std::collections::{HashMap, HashSet};

use senco_domain::person::{Email, EmailError, PersonName};
use senco_domain::role::Role;

use crate::pupils_csv::{CsvFile, parse_within};
pub use crate::pupils_csv::{Encoding, FileError};

/// The largest file read.
pub const MAX_BYTES: usize = 256 * 1024;
/// The most people in one file.
pub const MAX_ROWS: usize = 2_000;
/// Group names are separated by this in the groups column.
pub const GROUP_SEPARATOR: char = ';';

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    Name,
    Email,
    Role,
    School,
    Groups,
}

/// The columns read: what each holds, the headers accepted (any case) and whether it must be
/// there.
pub const COLUMNS: &[(Col, &[&str], bool)] = &[
    (Col::Name, &["name", "full name"], true),
    (Col::Email, &["email", "email address"], true),
    (Col::Role, &["role"], true),
    (Col::School, &["school", "urn", "school urn"], false),
    (
        Col::Groups,
        &["groups", "registration groups", "classes", "classes taught"],
        false,
    ),
];

/// A read staff file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffFile {
    pub columns: HashMap<Col, usize>,
    pub file: CsvFile,
}

/// Why a file is not a staff file at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffFileError {
    File(FileError),
    /// Columns that must be there are not (their first accepted header each).
    MissingColumns(Vec<String>),
}

impl StaffFileError {
    pub fn code(&self) -> &'static str {
        match self {
            StaffFileError::File(e) => e.code(),
            StaffFileError::MissingColumns(_) => "missing_columns",
        }
    }
}

fn normalise(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// Decodes and reads a staff file, finding its columns by their header.
pub fn parse(bytes: &[u8]) -> Result<StaffFile, StaffFileError> {
    let file = parse_within(bytes, MAX_BYTES, MAX_ROWS).map_err(StaffFileError::File)?;
    let index: HashMap<String, usize> = file
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| (normalise(h), i))
        .collect();
    let mut columns = HashMap::new();
    let mut missing = Vec::new();
    for (col, headers, required) in COLUMNS {
        match headers.iter().find_map(|h| index.get(*h)) {
            Some(&i) => {
                columns.insert(*col, i);
            }
            None if *required => missing.push(headers[0].to_string()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(StaffFileError::MissingColumns(missing));
    }
    Ok(StaffFile { columns, file })
}

/// A row that passed every check of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub name: PersonName,
    pub email: Email,
    pub role: Role,
    /// The school's URN as written, if any.
    pub school: Option<String>,
    /// Registration groups or classes, as named in the school.
    pub groups: Vec<String>,
}

/// A problem with one cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    /// Which column (`name`, `email`, `role`, `school`, `groups`).
    pub column: &'static str,
    pub value: String,
    /// A stable reason: `name_missing`, `name_too_long`, `name_characters`, `email_missing`,
    /// `email_format`, `email_repeated`, `role_unknown`, `school_needed`, `school_not_for_role`,
    /// `groups_not_for_role`, and the use case's `school_unknown`, `role_not_yours`,
    /// `email_in_use`, `group_unknown`, `group_has_teacher`.
    pub code: &'static str,
}

impl Col {
    pub fn key(self) -> &'static str {
        match self {
            Col::Name => "name",
            Col::Email => "email",
            Col::Role => "role",
            Col::School => "school",
            Col::Groups => "groups",
        }
    }
}

/// Accepts a role's key (`teaching_assistant`) or its English label (`Teaching assistant`),
/// in any case; parents are never staff.
pub fn role_of(s: &str) -> Option<Role> {
    let s = s.trim().to_lowercase();
    let key = s.replace([' ', '-'], "_");
    Role::ALL
        .into_iter()
        .filter(|r| r.is_staff())
        .find(|r| r.as_str() == key || r.label().to_lowercase() == s)
}

/// Checks every row; `Ok` only when every row is right (all or nothing).
pub fn check(f: &StaffFile) -> (Vec<StaffRow>, Vec<RowProblem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for raw in &f.file.rows {
        let cell = |c: Col| {
            f.columns
                .get(&c)
                .and_then(|&i| raw.cells.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let line = raw.row;
        let mut problem = |column: Col, value: &str, code: &'static str| {
            problems.push(RowProblem {
                line,
                column: column.key(),
                value: value.to_string(),
                code,
            })
        };
        let (name_raw, email_raw, role_raw) = (cell(Col::Name), cell(Col::Email), cell(Col::Role));
        let (school_raw, groups_raw) = (cell(Col::School), cell(Col::Groups));
        let name = PersonName::parse(&name_raw)
            .map_err(|e| {
                let code = match e {
                    senco_domain::person::NameError::Empty => "name_missing",
                    senco_domain::person::NameError::TooLong { .. } => "name_too_long",
                    _ => "name_characters",
                };
                problem(Col::Name, &name_raw, code)
            })
            .ok();
        let email = match Email::parse(&email_raw) {
            Ok(e) if !seen.insert(e.as_str().to_string()) => {
                problem(Col::Email, &email_raw, "email_repeated");
                None
            }
            Ok(e) => Some(e),
            Err(EmailError::Empty) => {
                problem(Col::Email, &email_raw, "email_missing");
                None
            }
            Err(_) => {
                problem(Col::Email, &email_raw, "email_format");
                None
            }
        };
        let role = role_of(&role_raw);
        if role.is_none() {
            problem(Col::Role, &role_raw, "role_unknown");
        }
        let groups: Vec<String> = groups_raw
            .split(GROUP_SEPARATOR)
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        if let Some(r) = role {
            let needs_school = r.requires_school() || r.requires_la();
            if needs_school && school_raw.is_empty() {
                problem(Col::School, &school_raw, "school_needed");
            }
            if !needs_school && !school_raw.is_empty() {
                problem(Col::School, &school_raw, "school_not_for_role");
            }
            if !groups.is_empty() && !teaches_groups(r) {
                problem(Col::Groups, &groups_raw, "groups_not_for_role");
            }
        }
        if let (Some(name), Some(email), Some(role)) = (name, email, role) {
            rows.push(StaffRow {
                line,
                name,
                email,
                role,
                school: (!school_raw.is_empty()).then_some(school_raw),
                groups,
            });
        }
    }
    // A row with a problem is never half-kept: the caller refuses the file when any remains.
    let bad: HashSet<u64> = problems.iter().map(|p| p.line).collect();
    rows.retain(|r| !bad.contains(&r.line));
    (rows, problems)
}

/// The roles that see the pupils of the groups they teach.
pub fn teaches_groups(role: Role) -> bool {
    matches!(role, Role::Teacher | Role::TeachingAssistant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> (Vec<StaffRow>, Vec<RowProblem>) {
        check(&parse(text.as_bytes()).expect("a staff file"))
    }

    #[test]
    fn reads_the_columns_by_header_in_any_order_and_case() {
        let (ok, problems) = rows(
            "Email,Full Name,Role,URN,Classes taught,Notes\n\
             a.teacher@school.example,Ann Teacher,Teacher,100001,3A; 3B,ignored\n\
             s.enco@school.example,Sam Enco,senco,100001,,\n",
        );
        assert_eq!(problems, vec![]);
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].role, Role::Teacher);
        assert_eq!(ok[0].groups, vec!["3A".to_string(), "3B".to_string()]);
        assert_eq!(ok[0].school.as_deref(), Some("100001"));
        assert_eq!(ok[1].role, Role::Senco);
        assert_eq!(ok[1].line, 3);
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused_whole() {
        let e = parse(b"name,email\nA,a@b.example\n").unwrap_err();
        assert_eq!(e, StaffFileError::MissingColumns(vec!["role".into()]));
    }

    #[test]
    fn every_bad_cell_is_reported_with_its_line_and_code() {
        let (ok, problems) = rows(
            "name,email,role,school,groups\n\
             ,not-an-email,wizard,,\n\
             Pat Parent,p@x.example,parent,,\n\
             Ada Admin,ada@x.example,admin,100001,\n\
             Sam Senco,ada@x.example,senco,,1A\n",
        );
        assert!(ok.is_empty());
        let got: Vec<(u64, &str, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column, p.code))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "name", "name_missing"),
                (2, "email", "email_format"),
                (2, "role", "role_unknown"),
                (3, "role", "role_unknown"),
                (4, "school", "school_not_for_role"),
                (5, "email", "email_repeated"),
                (5, "school", "school_needed"),
                (5, "groups", "groups_not_for_role"),
            ]
        );
    }

    #[test]
    fn roles_by_key_or_label_but_never_parent() {
        assert_eq!(role_of("Teaching assistant"), Some(Role::TeachingAssistant));
        assert_eq!(role_of("teaching-assistant"), Some(Role::TeachingAssistant));
        assert_eq!(role_of(" HEAD teacher "), Some(Role::Head));
        assert_eq!(role_of("parent"), None);
        assert_eq!(role_of("Parent or carer"), None);
    }
}
