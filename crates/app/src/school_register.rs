//! Setting up an installation (issue 19, point 1): the administrator creates and edits local
//! authorities and schools, and imports schools from a national register's CSV extract.
//! Shared by the pages, the API and `senco authority|school|import schools`.
//!
//! Every change is one transaction with its audit row (the names of the fields changed,
//! never their values). An edit names the version it was made on and is refused when the
//! record has moved on ([`ChangeError::Conflict`]). Nothing is deleted: a school closes.
//! The register import checks the whole file ([`senco_interop::schools_csv`]), previews what
//! it would do, and writes everything in one transaction or nothing.

use std::collections::HashMap;

use senco_domain::establishment::{
    AuthorityDraft, Field, Problem, Problems, SchoolDraft, ValidSchool,
};
use senco_interop::schools_csv::{
    self, Encoding, Format, RegisterError, RegisterSchool, RowProblem, Skip,
};
use senco_store::audit::AuditEvent;
use senco_store::school_register::{AuthorityRecord, SchoolRecord};
use senco_store::{Store, StoreError, Tx, ds};
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::access::{AccessError, Actor, require};
use senco_domain::policy::{Action, Resource};

/// Why a change was not made (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Every problem of what was given, by field.
    #[error("the details have problems")]
    Invalid(Problems),
    /// Another authority has the code, or another school the URN or establishment number.
    #[error("{0}")]
    Duplicate(&'static str),
    /// The record was changed since the version the edit was made on.
    #[error("the record was changed by someone else")]
    Conflict,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => ChangeError::Duplicate(what),
            StoreError::Conflict => ChangeError::Conflict,
            StoreError::NotFound => ChangeError::NotFound,
            e => ChangeError::Store(e),
        }
    }
}

/// Whether the caller may `action` the installation's authorities and schools. A refusal
/// is audited at once (`record_type`, outcome `denied`) and answered as not found.
pub async fn require_admin(
    app: &App,
    actor: &Actor<'_>,
    action: Action,
    record_type: &'static str,
) -> Result<(), AccessError> {
    match require(actor.principal, Resource::Installation, action) {
        Ok(_) => Ok(()),
        Err(e) => {
            let name = match action {
                Action::Read => "read",
                Action::Create => "create",
                Action::Update => "update",
                Action::Export => "export",
            };
            let ev = actor.event(app, record_type, name, "denied");
            app.store.audit(&ev).await?;
            Err(e)
        }
    }
}

fn event(
    base: &AuditEvent,
    record_type: &'static str,
    action: &'static str,
    id: &str,
) -> AuditEvent {
    AuditEvent {
        record_type,
        action,
        record_id: Some(id.to_string()),
        outcome: "allowed",
        ..base.clone()
    }
}

/// Adds an authority.
pub async fn create_authority(
    store: &Store,
    audit: &AuditEvent,
    draft: &AuthorityDraft,
    now: OffsetDateTime,
) -> Result<String, ChangeError> {
    let a = draft.validate().map_err(ChangeError::Invalid)?;
    let mut tx = store.begin().await?;
    let id = Store::insert_authority_record(&mut tx, &a, now).await?;
    let mut e = event(audit, "authority", "create", &id);
    e.at = now;
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Changes an authority last read at `version`.
pub async fn edit_authority(
    store: &Store,
    audit: &AuditEvent,
    id: &str,
    version: i64,
    draft: &AuthorityDraft,
    now: OffsetDateTime,
) -> Result<(), ChangeError> {
    let a = draft.validate().map_err(ChangeError::Invalid)?;
    let old = store.authority_record(id).await?;
    let mut changed = Vec::new();
    if old.code != a.code.to_string() {
        changed.push("code");
    }
    if old.name != a.name {
        changed.push("name");
    }
    if old.country != a.country {
        changed.push("country");
    }
    let mut tx = store.begin().await?;
    Store::update_authority(&mut tx, id, version, &a, now).await?;
    let mut e = event(audit, "authority", "update", id);
    e.at = now;
    e.fields = Some(changed.join(","));
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

async fn authority_for(store: &Store, la_code: &str) -> Result<AuthorityRecord, ChangeError> {
    match store.authority_by_code(la_code.trim()).await? {
        Some(a) => Ok(a),
        None => Err(ChangeError::Invalid(vec![(
            Field::Authority,
            if la_code.trim().is_empty() {
                Problem::Missing
            } else {
                Problem::Unknown
            },
        )])),
    }
}

/// Checks a school's draft for the authority `la_code`, naming every problem.
async fn checked(
    store: &Store,
    la_code: &str,
    draft: &SchoolDraft,
) -> Result<(AuthorityRecord, ValidSchool), ChangeError> {
    let authority = authority_for(store, la_code).await;
    let country = authority
        .as_ref()
        .map(|a| a.country)
        .unwrap_or(senco_domain::school::Country::England);
    let mut problems = match &authority {
        Err(ChangeError::Invalid(p)) => p.clone(),
        _ => Vec::new(),
    };
    match (draft.validate(country), authority) {
        (Ok(s), Ok(a)) => Ok((a, s)),
        (Err(p), _) => {
            problems.extend(p);
            Err(ChangeError::Invalid(problems))
        }
        (Ok(_), Err(e)) => Err(e),
    }
}

/// Adds a school of the authority with code `la_code`.
pub async fn create_school(
    store: &Store,
    audit: &AuditEvent,
    la_code: &str,
    draft: &SchoolDraft,
    now: OffsetDateTime,
) -> Result<String, ChangeError> {
    let (a, s) = checked(store, la_code, draft).await?;
    let mut tx = store.begin().await?;
    let id = Store::insert_school_record(&mut tx, &a.id, a.country, &s, now).await?;
    let mut e = event(audit, "school", "create", &id);
    e.at = now;
    e.school_id = Some(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Changes a school last read at `version` (closing it is a change like any other).
pub async fn edit_school(
    store: &Store,
    audit: &AuditEvent,
    id: &str,
    version: i64,
    la_code: &str,
    draft: &SchoolDraft,
    now: OffsetDateTime,
) -> Result<(), ChangeError> {
    let old = store.school_record(id).await?;
    let (a, s) = checked(store, la_code, draft).await?;
    if a.country != old.country {
        return Err(ChangeError::Invalid(vec![(
            Field::Authority,
            Problem::CountryMismatch,
        )]));
    }
    let changes = changes(&old, &a, &s);
    let mut tx = store.begin().await?;
    Store::update_school_record(&mut tx, id, version, &a.id, &s, now).await?;
    let mut e = event(audit, "school", "update", id);
    e.at = now;
    e.school_id = Some(id.to_string());
    e.fields = Some(
        changes
            .iter()
            .map(|c| c.field)
            .collect::<Vec<_>>()
            .join(","),
    );
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// A field whose value would change: its name and the values before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

fn opt_date(d: Option<senco_domain::Date>) -> String {
    d.map(ds).unwrap_or_default()
}

/// What would change from `old` to the school `s` of authority `a`, field by field.
pub fn changes(old: &SchoolRecord, a: &AuthorityRecord, s: &ValidSchool) -> Vec<FieldChange> {
    let medium = |m: Option<senco_domain::establishment::LanguageMedium>| {
        m.map(|m| m.as_str().to_string()).unwrap_or_default()
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let pairs: [(&'static str, String, String); 15] = [
        ("la_code", old.la_code.clone(), a.code.clone()),
        ("urn", old.urn.clone(), s.urn.to_string()),
        (
            "establishment_number",
            old.estab_number.clone(),
            s.estab_number.to_string(),
        ),
        ("name", old.name.clone(), s.name.clone()),
        (
            "phase",
            old.phase.as_str().to_string(),
            s.phase.as_str().to_string(),
        ),
        ("maintained", yes_no(old.maintained), yes_no(s.maintained)),
        ("street", old.street.clone(), s.street.clone()),
        ("locality", old.locality.clone(), s.locality.clone()),
        ("town", old.town.clone(), s.town.clone()),
        ("postcode", old.postcode.clone(), s.postcode.clone()),
        ("telephone", old.telephone.clone(), s.telephone.clone()),
        ("website", old.website.clone(), s.website.clone()),
        (
            "language_medium",
            medium(old.language_medium),
            medium(s.language_medium),
        ),
        ("closed", yes_no(old.closed), yes_no(s.closed)),
        ("closed_on", opt_date(old.closed_on), opt_date(s.closed_on)),
    ];
    pairs
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect()
}

/// A school of the file already in Senco whose details would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub line: u64,
    pub school_id: String,
    pub version: i64,
    pub la_id: String,
    pub school: ValidSchool,
    pub changes: Vec<FieldChange>,
    /// Open in Senco, closed in the file.
    pub closes: bool,
}

/// What importing a register file would do.
#[derive(Debug, Clone)]
pub struct RegisterPreview {
    pub format: Format,
    pub encoding: Encoding,
    pub rows: usize,
    /// Every problem, by line: while there is one, nothing can be imported.
    pub problems: Vec<RowProblem>,
    /// Schools not yet in Senco (matched by URN), with their authority's id.
    pub new: Vec<(RegisterSchool, String)>,
    pub changed: Vec<Changed>,
    pub unchanged: usize,
    /// Rows of authorities the installation does not have.
    pub other_authorities: usize,
    /// Rows that are not schools Senco serves.
    pub not_schools: usize,
}

impl RegisterPreview {
    pub fn ready(&self) -> bool {
        self.problems.is_empty()
    }

    /// How many schools would close.
    pub fn closing(&self) -> usize {
        self.changed.iter().filter(|c| c.closes).count()
    }
}

/// Why a register file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a register file (its problem's code: [`RegisterError::code`]).
    #[error("the file cannot be read: {}", .0.code())]
    File(RegisterError),
    /// Rows have problems: nothing was written.
    #[error("the file has problems")]
    Problems(Box<RegisterPreview>),
    #[error("{0}")]
    Duplicate(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn plan(tx: &mut Tx, bytes: &[u8]) -> Result<RegisterPreview, ImportError> {
    let file = schools_csv::parse(bytes).map_err(ImportError::File)?;
    let authorities = Store::authority_records_in(tx).await?;
    let by_code: HashMap<&str, &AuthorityRecord> =
        authorities.iter().map(|a| (a.code.as_str(), a)).collect();
    // For Welsh rows without a URN: the schools already in Senco of those authorities.
    let known: HashMap<(String, String), String> = if file.format == Format::Wales {
        let mut out = HashMap::new();
        for a in &authorities {
            for s in Store::school_records_of_authority_in(tx, &a.id).await? {
                out.insert((s.la_code.clone(), s.estab_number.clone()), s.urn.clone());
            }
        }
        out
    } else {
        HashMap::new()
    };
    let checked = schools_csv::check(
        &file,
        |la| by_code.contains_key(la),
        |la, estab| known.get(&(la.to_string(), estab.to_string())).cloned(),
    );
    let mut problems = checked.problems;
    // An establishment number another school of the authority already has (in Senco) would
    // be refused by the database part-way: say so in the preview, by line.
    let mut held: HashMap<(String, String), String> = HashMap::new();
    let mut read: std::collections::HashSet<String> = std::collections::HashSet::new();
    for row in &checked.schools {
        let code = row.la_code.to_string();
        if let Some(a) = by_code.get(code.as_str())
            && read.insert(a.id.clone())
        {
            for s in Store::school_records_of_authority_in(tx, &a.id).await? {
                held.insert((s.la_code.clone(), s.estab_number.clone()), s.urn.clone());
            }
        }
    }
    let estab_column = match file.format {
        Format::Gias => "EstablishmentNumber",
        Format::Wales => "School Number",
    };
    for row in &checked.schools {
        let key = (row.la_code.to_string(), row.school.estab_number.to_string());
        if held
            .get(&key)
            .is_some_and(|urn| *urn != row.school.urn.to_string())
        {
            problems.push(RowProblem {
                line: row.line,
                column: estab_column.to_string(),
                value: key.1.clone(),
                code: "estab_in_use",
            });
        }
    }
    problems.sort_by_key(|p| p.line);
    let urns: Vec<String> = checked
        .schools
        .iter()
        .map(|s| s.school.urn.to_string())
        .collect();
    let existing: HashMap<String, SchoolRecord> = Store::school_records_by_urn(tx, &urns)
        .await?
        .into_iter()
        .map(|s| (s.urn.clone(), s))
        .collect();
    let mut preview = RegisterPreview {
        format: file.format,
        encoding: file.encoding,
        rows: checked.rows,
        problems,
        new: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
        other_authorities: count(&checked.skipped, Skip::OtherAuthority),
        not_schools: count(&checked.skipped, Skip::NotASchool),
    };
    for row in checked.schools {
        let code = row.la_code.to_string();
        let Some(a) = by_code.get(code.as_str()) else {
            continue;
        };
        match existing.get(&row.school.urn.to_string()) {
            None => preview.new.push((row, a.id.clone())),
            Some(old) => {
                let changes = changes(old, a, &row.school);
                if changes.is_empty() {
                    preview.unchanged += 1;
                } else {
                    preview.changed.push(Changed {
                        line: row.line,
                        school_id: old.id.clone(),
                        version: old.version,
                        la_id: a.id.clone(),
                        closes: !old.closed && row.school.closed,
                        school: row.school,
                        changes,
                    });
                }
            }
        }
    }
    Ok(preview)
}

fn count(skipped: &[(u64, Skip)], which: Skip) -> usize {
    skipped.iter().filter(|(_, s)| *s == which).count()
}

/// Says what importing `bytes` would do. Writes nothing.
pub async fn preview_import(store: &Store, bytes: &[u8]) -> Result<RegisterPreview, ImportError> {
    let mut tx = store.begin().await?;
    let preview = plan(&mut tx, bytes).await;
    tx.rollback().await.map_err(StoreError::from)?;
    preview
}

/// Imports `bytes`: new schools added, changed ones updated (closed ones closed), one audit
/// row each; all in one transaction, or nothing when any row has a problem.
pub async fn apply_import(
    store: &Store,
    audit: &AuditEvent,
    bytes: &[u8],
    now: OffsetDateTime,
) -> Result<RegisterPreview, ImportError> {
    let mut tx = store.begin().await?;
    let preview = plan(&mut tx, bytes).await?;
    if !preview.ready() {
        drop(tx);
        return Err(ImportError::Problems(Box::new(preview)));
    }
    let written = write(&mut tx, audit, &preview, now).await;
    match written {
        Ok(()) => {
            senco_store::commit(tx).await?;
            Ok(preview)
        }
        Err(StoreError::Duplicate(what)) => Err(ImportError::Duplicate(what)),
        Err(e) => Err(e.into()),
    }
}

async fn write(
    tx: &mut Tx,
    audit: &AuditEvent,
    preview: &RegisterPreview,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for (row, la_id) in &preview.new {
        let country = senco_domain::establishment::country_of(row.la_code);
        let id = Store::insert_school_record(tx, la_id, country, &row.school, now).await?;
        let mut e = event(audit, "school", "create", &id);
        e.at = now;
        e.school_id = Some(id.clone());
        e.fields = Some("register_import".into());
        Store::audit_in(tx, &e).await?;
    }
    for c in &preview.changed {
        Store::update_school_record(tx, &c.school_id, c.version, &c.la_id, &c.school, now).await?;
        let mut e = event(audit, "school", "update", &c.school_id);
        e.at = now;
        e.school_id = Some(c.school_id.clone());
        e.fields = Some(
            c.changes
                .iter()
                .map(|x| x.field)
                .collect::<Vec<_>>()
                .join(","),
        );
        Store::audit_in(tx, &e).await?;
    }
    Ok(())
}

/// The preview as JSON (`senco import schools --report json`, the API).
#[derive(Debug, Serialize)]
pub struct Report {
    pub format: &'static str,
    pub encoding: &'static str,
    pub rows: usize,
    pub problems: Vec<ReportProblem>,
    pub new: Vec<ReportNew>,
    pub changed: Vec<ReportChanged>,
    pub closing: usize,
    pub unchanged: usize,
    pub other_authorities: usize,
    pub not_schools: usize,
    pub written: bool,
}

#[derive(Debug, Serialize)]
pub struct ReportProblem {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub code: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ReportNew {
    pub line: u64,
    pub urn: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ReportChanged {
    pub line: u64,
    pub urn: String,
    pub name: String,
    pub closes: bool,
    pub changes: Vec<FieldChange>,
}

impl Report {
    pub fn new(p: &RegisterPreview, written: bool) -> Report {
        Report {
            format: p.format.as_str(),
            encoding: p.encoding.label(),
            rows: p.rows,
            problems: p
                .problems
                .iter()
                .map(|x| ReportProblem {
                    line: x.line,
                    column: x.column.clone(),
                    value: x.value.clone(),
                    code: x.code,
                })
                .collect(),
            new: p
                .new
                .iter()
                .map(|(r, _)| ReportNew {
                    line: r.line,
                    urn: r.school.urn.to_string(),
                    name: r.school.name.clone(),
                })
                .collect(),
            changed: p
                .changed
                .iter()
                .map(|c| ReportChanged {
                    line: c.line,
                    urn: c.school.urn.to_string(),
                    name: c.school.name.clone(),
                    closes: c.closes,
                    changes: c.changes.clone(),
                })
                .collect(),
            closing: p.closing(),
            unchanged: p.unchanged,
            other_authorities: p.other_authorities,
            not_schools: p.not_schools,
            written,
        }
    }
}

/// The words for a field's problem.
pub fn reason(m: &'static senco_i18n::Messages, field: Field, problem: Problem) -> &'static str {
    match (field, problem) {
        (Field::Authority, Problem::Unknown) => m.sr_reason_no_authority,
        (_, Problem::Missing) => m.sr_reason_missing,
        (_, Problem::Format) => m.sr_reason_format,
        (_, Problem::OutOfRange) => m.sr_reason_out_of_range,
        (_, Problem::NotRecognised) => m.sr_reason_not_recognised,
        (_, Problem::TooLong) => m.sr_reason_too_long,
        (_, Problem::Unknown) => m.sr_reason_unknown,
        (_, Problem::CountryMismatch) => m.sr_reason_country_mismatch,
        (_, Problem::WalesOnly) => m.sr_reason_wales_only,
    }
}

/// The words for a register row's problem code.
pub fn row_reason(m: &'static senco_i18n::Messages, code: &str) -> &'static str {
    match code {
        "missing" => m.sr_reason_missing,
        "out_of_range" => m.sr_reason_out_of_range,
        "not_recognised" => m.sr_reason_not_recognised,
        "too_long" => m.sr_reason_too_long,
        "unknown" => m.sr_reason_unknown,
        "country_mismatch" => m.sr_reason_country_mismatch,
        "wales_only" => m.sr_reason_wales_only,
        "unknown_status" => m.sr_reason_unknown_status,
        "ragged_row" => m.sr_reason_ragged_row,
        "duplicate_urn" => m.sr_reason_duplicate_urn,
        "urn_needed" => m.sr_reason_urn_needed,
        "estab_in_use" => m.sr_reason_estab_in_use,
        _ => m.sr_reason_format,
    }
}

/// The words for a file that is not a register file.
pub fn file_reason(m: &senco_i18n::Messages, e: &RegisterError) -> String {
    match e {
        RegisterError::File(f) => f.to_string(),
        RegisterError::UnknownFormat => m.sr_file_unknown_format.to_string(),
        RegisterError::MissingColumns(c) => {
            senco_i18n::fill(m.sr_file_missing_columns, &[("columns", &c.join(", "))])
        }
    }
}

/// The words for a duplicate refused by the store.
pub fn duplicate_reason(m: &'static senco_i18n::Messages, what: &str) -> &'static str {
    if what.contains("authority") {
        m.sr_duplicate_authority
    } else {
        m.sr_duplicate_school
    }
}

/// The summary line of a preview.
pub fn summary(m: &senco_i18n::Messages, p: &RegisterPreview) -> String {
    senco_i18n::fill(
        m.sr_import_summary,
        &[
            ("rows", &p.rows.to_string()),
            ("new", &p.new.len().to_string()),
            ("changed", &p.changed.len().to_string()),
            ("closing", &p.closing().to_string()),
            ("unchanged", &p.unchanged.to_string()),
            ("other", &p.other_authorities.to_string()),
            ("not_schools", &p.not_schools.to_string()),
        ],
    )
}
