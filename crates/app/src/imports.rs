//! Importing pupils from an MIS CSV export, shared by the upload pages and `senco import`.
//!
//! [`preview`] reads and checks the file (`senco_interop::pupils_csv`), then asks the store
//! what it would do; [`commit`] does it in one transaction, or nothing. Both take the same
//! file and mapping, so what is confirmed is what was previewed (planned again inside the
//! writing transaction, so a change made in between is never overwritten blindly).

use senco_domain::Date;
use senco_domain::year_group::{academic_year_start, nc_year};
use senco_interop::pupils_csv::{
    self, Checked, CsvFile, Encoding, Field, FileError, Mapping, MappingProblem, RowProblem,
};
use senco_store::imports::{Columns, ImportError, ImportOutcome, ImportPlan, ImportRow};
use senco_store::schools::School;
use senco_store::{Store, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use crate::pupils::{Circumstances, fields};
use crate::transfers::{ProbeError, ProbeGuard};

/// Everything the preview shows.
#[derive(Debug, Clone)]
pub struct Preview {
    pub encoding: Encoding,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    /// Why the mapping cannot be used (then nothing else is checked).
    pub mapping_problems: Vec<MappingProblem>,
    pub ignored: Vec<String>,
    /// Data rows in the file.
    pub rows: usize,
    /// Every problem, by row.
    pub problems: Vec<RowProblem>,
    /// What would be written (empty while the mapping has problems).
    pub plan: ImportPlan,
}

impl Preview {
    /// Whether the import can be confirmed (transfers still need accepting).
    pub fn ready(&self) -> bool {
        self.mapping_problems.is_empty() && self.problems.is_empty()
    }
}

/// Why a file cannot be previewed at all.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("{0}")]
    File(FileError),
    /// The `field=Column` pairs name unknown fields or columns, or a field twice.
    #[error("the mapping is wrong")]
    Mapping(Vec<MappingProblem>),
    /// The account named too many UPNs of other schools' pupils (SR-07): nothing is shown.
    #[error("too many UPNs of pupils at other schools")]
    TooManyProbes,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ProbeError> for PreviewError {
    fn from(e: ProbeError) -> Self {
        match e {
            ProbeError::TooMany => PreviewError::TooManyProbes,
            ProbeError::Store(e) => PreviewError::Store(e),
        }
    }
}

/// Why an import was not written.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("the file cannot be imported")]
    NotReady(Box<Preview>),
    #[error("transfers were not confirmed")]
    TransfersNotAccepted(Box<Preview>),
    #[error(transparent)]
    Preview(#[from] PreviewError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Prepared {
    file: CsvFile,
    mapping: Mapping,
    mapping_problems: Vec<MappingProblem>,
    checked: Checked,
    rows: Vec<ImportRow>,
    columns: Columns,
}

fn prepare(
    school: &School,
    bytes: &[u8],
    pairs: &[(String, String)],
    today: Date,
) -> Result<Prepared, PreviewError> {
    let file = pupils_csv::parse(bytes).map_err(PreviewError::File)?;
    let detected = Mapping::detect(&file.headers);
    let mapping =
        Mapping::adjust(&detected, &file.headers, pairs).map_err(PreviewError::Mapping)?;
    let mapping_problems = mapping.check(&file.headers);
    let checked = if mapping_problems.is_empty() {
        pupils_csv::validate(&file, &mapping, today, school.phase)
    } else {
        Checked::default()
    };
    let has = |f: Field| mapping.columns.contains_key(&f);
    let columns = Columns {
        former_upn: has(Field::FormerUpn),
        preferred_forename: has(Field::PreferredForename),
        preferred_surname: has(Field::PreferredSurname),
        year: has(Field::Year),
        reg_group: has(Field::RegGroup),
    };
    let year_start = academic_year_start(today);
    let rows = checked
        .pupils
        .iter()
        .map(|p| {
            // The year group is kept only where it differs from the one the date of birth
            // gives (a pupil taught out of their year group).
            let year_override = p
                .year
                .filter(|y| nc_year(p.pupil.date_of_birth, year_start) != Some(*y))
                .map(|y| i64::from(y.code()));
            let c = Circumstances {
                year_override,
                ..Circumstances::default()
            };
            ImportRow {
                row: p.row,
                fields: fields(&p.pupil, &c),
                reg_group: p.reg_group.clone(),
            }
        })
        .collect();
    Ok(Prepared {
        file,
        mapping,
        mapping_problems,
        checked,
        rows,
        columns,
    })
}

fn column_of(mapping: &Mapping, headers: &[String], field: &str) -> String {
    Field::from_key(field)
        .and_then(|f| mapping.column_name(f, headers))
        .unwrap_or("")
        .to_string()
}

fn build_preview(p: Prepared, plan: ImportPlan) -> Preview {
    let mut problems = p.checked.problems;
    for pp in &plan.problems {
        problems.push(RowProblem {
            row: pp.row,
            column: column_of(&p.mapping, &p.file.headers, pp.field),
            value: pp.value.clone(),
            code: pp.code.to_string(),
            reason: pp.reason.to_string(),
        });
    }
    problems.sort_by_key(|x| x.row);
    Preview {
        encoding: p.file.encoding,
        ignored: p
            .mapping
            .ignored(&p.file.headers)
            .into_iter()
            .map(str::to_string)
            .collect(),
        headers: p.file.headers,
        mapping: p.mapping,
        mapping_problems: p.mapping_problems,
        rows: p.checked.rows,
        problems,
        plan,
    }
}

/// Reads and checks `bytes` with the recognised mapping adjusted by `pairs`
/// (`field=Column`), and says what importing it into `school` would do. Writes nothing but
/// the audit rows of UPN probes (SR-07), which `guard` also counts: past its limit nothing
/// is planned or shown.
pub async fn preview(
    store: &Store,
    school: &School,
    bytes: &[u8],
    pairs: &[(String, String)],
    today: Date,
    guard: &ProbeGuard,
) -> Result<Preview, PreviewError> {
    let p = prepare(school, bytes, pairs, today)?;
    let plan = if p.mapping_problems.is_empty() {
        guard.check(store).await?;
        let mut tx = store.begin().await?;
        let plan = Store::plan_pupil_import(&mut tx, &school.id, &p.rows, p.columns).await?;
        tx.rollback().await.map_err(StoreError::from)?;
        guard.record(store, &plan.probes).await?;
        plan
    } else {
        ImportPlan::default()
    };
    Ok(build_preview(p, plan))
}

/// A pupil import to write: the file and its column mapping, where to, whether transfers
/// are accepted, who acts (and the limit on their UPN probes), when, and the kept upload
/// it came from, if any.
#[derive(Clone, Copy)]
pub struct CommitImport<'a> {
    pub school: &'a School,
    pub bytes: &'a [u8],
    pub pairs: &'a [(String, String)],
    pub accept_transfers: bool,
    pub guard: &'a ProbeGuard,
    pub today: Date,
    pub now: OffsetDateTime,
    pub kept: Option<&'a str>,
}

/// Imports `bytes` into `school`: everything in one transaction, or nothing when any row has
/// a problem or a transfer is not accepted. An accepted transfer files a request to the
/// school holding the record (SR-07). `guard` names who acts (channel, actor, request) and
/// limits UPN probes as [`preview`] does.
pub async fn commit(store: &Store, input: &CommitImport<'_>) -> Result<ImportOutcome, CommitError> {
    let CommitImport {
        school,
        bytes,
        pairs,
        accept_transfers,
        guard,
        today,
        now,
        kept,
    } = *input;
    let audit = &guard.audit;
    let p = prepare(school, bytes, pairs, today)?;
    if !p.mapping_problems.is_empty() || !p.checked.problems.is_empty() {
        return Err(CommitError::NotReady(Box::new(build_preview(
            p,
            ImportPlan::default(),
        ))));
    }
    guard.check(store).await.map_err(PreviewError::from)?;
    let mut tx = store.begin().await?;
    let result = Store::commit_pupil_import(
        &mut tx,
        &p.rows,
        p.columns,
        &senco_store::imports::ImportCommit {
            school_id: &school.id,
            accept_transfers,
            audit,
            today,
            now,
        },
    )
    .await;
    match result {
        Ok(outcome) => {
            if let Some(id) = kept {
                Store::drop_pupil_import(&mut tx, id).await?;
            }
            if outcome.transfer_requests > 0 {
                crate::transfers::tell_holders(&mut tx, &school.id, now).await?;
            }
            senco_store::commit(tx).await?;
            Ok(outcome)
        }
        Err(ImportError::Problems(plan)) => {
            drop(tx);
            guard
                .record(store, &plan.probes)
                .await
                .map_err(PreviewError::from)?;
            Err(CommitError::NotReady(Box::new(build_preview(p, *plan))))
        }
        Err(ImportError::TransfersNotAccepted(plan)) => Err(CommitError::TransfersNotAccepted(
            Box::new(build_preview(p, *plan)),
        )),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// The preview as JSON (`senco import pupils --report json`). It holds what the file holds,
/// and of pupils at other schools only the row and UPN from the file.
#[derive(Debug, Serialize)]
pub struct Report {
    pub encoding: &'static str,
    pub rows: usize,
    pub mapping: Vec<ReportMapping>,
    pub mapping_problems: Vec<String>,
    pub ignored_columns: Vec<String>,
    pub problems: Vec<ReportProblem>,
    pub creates: Vec<u64>,
    pub updates: Vec<ReportUpdate>,
    pub unchanged: Vec<u64>,
    pub transfers: Vec<ReportTransfer>,
    pub new_reg_groups: Vec<String>,
    /// Present once written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<ReportOutcome>,
}

#[derive(Debug, Serialize)]
pub struct ReportMapping {
    pub field: &'static str,
    pub column: String,
}

#[derive(Debug, Serialize)]
pub struct ReportProblem {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct ReportUpdate {
    pub row: u64,
    pub changes: Vec<ReportChange>,
}

#[derive(Debug, Serialize)]
pub struct ReportChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Serialize)]
pub struct ReportTransfer {
    pub row: u64,
    pub upn: String,
    /// The file's surname is not the one the holding school records: it will be asked to
    /// confirm the pupil is the same.
    pub surname_differs: bool,
}

#[derive(Debug, Serialize)]
pub struct ReportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Requests filed with the schools holding the records (nothing moves at the import).
    pub transfer_requests: usize,
}

impl Report {
    pub fn new(p: &Preview, written: Option<ImportOutcome>) -> Report {
        Report {
            encoding: p.encoding.label(),
            rows: p.rows,
            mapping: p
                .mapping
                .columns
                .iter()
                .map(|(f, &i)| ReportMapping {
                    field: f.key(),
                    column: p.headers.get(i).cloned().unwrap_or_default(),
                })
                .collect(),
            mapping_problems: p.mapping_problems.iter().map(|m| m.to_string()).collect(),
            ignored_columns: p.ignored.clone(),
            problems: p
                .problems
                .iter()
                .map(|x| ReportProblem {
                    row: x.row,
                    column: x.column.clone(),
                    value: x.value.clone(),
                    code: x.code.clone(),
                    reason: x.reason.clone(),
                })
                .collect(),
            creates: p.plan.creates.iter().map(|c| c.row).collect(),
            updates: p
                .plan
                .updates
                .iter()
                .map(|u| ReportUpdate {
                    row: u.row,
                    changes: u
                        .changes
                        .iter()
                        .map(|c| ReportChange {
                            field: c.field,
                            before: c.before.clone(),
                            after: c.after.clone(),
                        })
                        .collect(),
                })
                .collect(),
            unchanged: p.plan.unchanged.clone(),
            transfers: p
                .plan
                .transfers
                .iter()
                .map(|t| ReportTransfer {
                    row: t.row,
                    upn: t.upn.clone(),
                    surname_differs: t.surname_differs,
                })
                .collect(),
            new_reg_groups: p.plan.new_reg_groups.clone(),
            written: written.map(|o| ReportOutcome {
                created: o.created,
                updated: o.updated,
                unchanged: o.unchanged,
                transfer_requests: o.transfer_requests,
            }),
        }
    }
}

/// Splits `field=Column` (the command line's `--mapping`).
pub fn parse_pair(s: &str) -> Option<(String, String)> {
    let (field, column) = s.split_once('=')?;
    Some((field.trim().to_string(), column.trim().to_string()))
}
