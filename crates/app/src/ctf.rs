//! The Common Transfer File with SEN history, shared by `senco import ctf` and
//! `senco export ctf`: interop's reader and writer, the domain's dated code table, the
//! store's import and facts.
//!
//! Importing checks everything before writing anything: each pupil's details (as a pupil
//! import does), UPNs unique in the file, and each `SEN` record's provision code and each
//! need's code against the dated national table for the importing school's country on the
//! record's date. Every problem names the pupil (UPN and name), the line and the date.
//!
//! A code of the other country (a Welsh school importing a file from England, or the other
//! way round) is mapped through `domain::cross_border`'s tables, and the import says what
//! was mapped, for how many pupils; a code with no counterpart refuses the file.

use std::collections::HashMap;

use senco_domain::Date;
use senco_domain::census::{
    CodeError, CodeSettings, need_valid_on, read_transfer_code, transfer_code, wales_need_code,
};
use senco_domain::cross_border::{
    BESD_SEMH_BY_DATE, CrossBorderError, Decided, ReadNeed, country_of_la, map_provision, read_need,
};
use senco_domain::framework::Stage;
use senco_domain::history::intervals;
use senco_domain::pupil::PupilDraft;
use senco_domain::school::Country;
use senco_domain::year_group::{YearGroup, academic_year_start, nc_year};
use senco_i18n::Messages;
use senco_interop::ctf::{
    self, Ctf, CtfError, Header, Limits, Pupil, SchoolRef, SenNeed, SenRecord,
};
use senco_store::ctf::{
    CtfImportError, CtfOutcome, CtfProblem, CtfPupil, ImportedNeed, ImportedStage,
};
use senco_store::imports::{ImportError, ImportRow};
use senco_store::schools::School;
use senco_store::{Store, StoreError};
use time::OffsetDateTime;

use crate::pupils::{Circumstances, fields, year_group};
use crate::sen::entries;
use crate::transfers::{ProbeError, ProbeGuard};

/// A problem with a pupil of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// "U201200112345 (Sam Example)", or the pupil's line when there is no UPN.
    pub pupil: String,
    pub line: u64,
    pub message: String,
    /// The rule refused, where it has a stable id (`no_need_mapping`).
    pub rule: Option<&'static str>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}, line {}: {}", self.pupil, self.line, self.message)?;
        } else {
            write!(f, "{}: {}", self.pupil, self.message)?;
        }
        match self.rule {
            Some(rule) => write!(f, " [{rule}]"),
            None => Ok(()),
        }
    }
}

/// What a code of the other country was mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappedTo {
    /// A provision code, read as this stage.
    Stage(Stage),
    /// A need code.
    Need(ReadNeed),
}

impl MappedTo {
    /// The description of the stage or need, from the domain's code lists.
    pub fn label(self) -> &'static str {
        match self {
            MappedTo::Stage(s) => s.label(),
            MappedTo::Need(ReadNeed::England(n)) => n.description(),
            MappedTo::Need(ReadNeed::Wales(w)) => w.label(),
        }
    }
}

/// A code of the other country's lists that the import mapped, and for how many pupils.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MappedCode {
    /// As the file has it: "K", "SPLD".
    pub from: String,
    /// As this school's country's list has it: "A", "DYSL".
    pub to: String,
    pub target: MappedTo,
    pub decided: Decided,
    pub pupils: usize,
}

/// The lines of an import report that say what was mapped (none when nothing was), in the
/// catalogue's words: a heading, then one line per mapping.
pub fn mapping_report(mapped: &[MappedCode], m: &Messages) -> Vec<String> {
    if mapped.is_empty() {
        return Vec::new();
    }
    let mut out = vec![m.ctf_mapped_heading.to_string()];
    for c in mapped {
        let pupils = if c.pupils == 1 {
            m.ctf_one_pupil.to_string()
        } else {
            m.ctf_many_pupils.replace("{count}", &c.pupils.to_string())
        };
        let template = match c.target {
            MappedTo::Stage(_) => m.ctf_mapped_provision,
            MappedTo::Need(_) => m.ctf_mapped_need,
        };
        let mut line = template
            .replace("{from}", &c.from)
            .replace("{to}", &c.to)
            .replace("{label}", c.target.label())
            .replace("{pupils}", &pupils);
        let mut notes = Vec::new();
        if c.decided.setting.as_deref() == Some(BESD_SEMH_BY_DATE) {
            notes.push(m.ctf_mapped_by_date.to_string());
        }
        if let (Some(key), true) = (&c.decided.setting, c.decided.unconfirmed) {
            notes.push(m.ctf_mapped_unconfirmed.replace("{key}", key));
        }
        if !notes.is_empty() {
            line.push_str(&format!(" ({})", notes.join("; ")));
        }
        out.push(format!("  {line}"));
    }
    out
}

/// Why a CTF was not imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportCtfError {
    #[error("the file is not a CTF Senco can read: {0}")]
    File(CtfError),
    #[error("{} problem(s) in the file", .0.len())]
    Problems(Vec<Problem>),
    /// Some UPNs belong to pupils of other schools and the transfers were not accepted.
    #[error("{0} pupil(s) in the file are enrolled at another school")]
    TransfersNotAccepted(usize),
    /// The account named too many UPNs of other schools' pupils (SR-07).
    #[error(
        "too many UPNs in recent imports belonged to pupils at other schools whose dates of birth did not match: importing is paused for a day"
    )]
    TooManyProbes,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ProbeError> for ImportCtfError {
    fn from(e: ProbeError) -> Self {
        match e {
            ProbeError::TooMany => ImportCtfError::TooManyProbes,
            ProbeError::Store(e) => ImportCtfError::Store(e),
        }
    }
}

fn label(p: &Pupil) -> String {
    let name = format!("{} {}", p.forename.trim(), p.surname.trim());
    match (p.upn.trim().is_empty(), name.trim().is_empty()) {
        (true, true) => "A pupil without a UPN".to_string(),
        (true, false) => format!("{} (no UPN)", name.trim()),
        (false, true) => p.upn.trim().to_string(),
        (false, false) => format!("{} ({})", p.upn.trim(), name.trim()),
    }
}

fn long(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// Checks every pupil of `ctf` for `school`, as of `today`, and says which codes of the
/// other country were mapped. Nothing is read from the store.
pub fn check(
    school: &School,
    ctf: &Ctf,
    settings: &CodeSettings,
    m: &Messages,
    today: Date,
) -> Result<(Vec<CtfPupil>, Vec<MappedCode>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(ctf.pupils.len());
    let mut lines_of: HashMap<String, u64> = HashMap::new();
    // The country of the school that wrote the file, when its header says.
    let file_country = country_of_la(&ctf.header.source.lea);
    let mut mapped: Vec<MappedCode> = Vec::new();
    let sen = SenReader {
        school,
        file_country,
        settings,
        m,
    };
    for p in &ctf.pupils {
        let who = label(p);
        // This pupil's mappings, each counted once.
        let mut mine: Vec<MappedCode> = Vec::new();
        let mut note = |from: String, to: String, target: MappedTo, decided: Decided| {
            let c = MappedCode {
                from,
                to,
                target,
                decided,
                pupils: 1,
            };
            if !mine.contains(&c) {
                mine.push(c);
            }
        };
        let mut refused: Vec<(String, &'static str)> = Vec::new();
        let mut problem = |message: String| {
            problems.push(Problem {
                pupil: who.clone(),
                line: p.line,
                message,
                rule: None,
            })
        };
        if p.upn.trim().is_empty() {
            problem("UPN: a CTF pupil needs a UPN".into());
        } else if let Some(first) = lines_of.insert(p.upn.trim().to_string(), p.line) {
            problem(format!(
                "UPN {} appears more than once in the file (first at line {first})",
                p.upn.trim()
            ));
        }
        let draft = PupilDraft {
            upn: p.upn.clone(),
            legal_forename: p.forename.clone(),
            legal_surname: p.surname.clone(),
            date_of_birth: p.date_of_birth.into(),
            sex: p.sex.clone(),
            ..PupilDraft::default()
        };
        let valid = match draft.validate(today, school.phase) {
            Ok(v) => Some(v),
            Err(ps) => {
                for (field, pr) in ps {
                    problem(format!(
                        "{}: {}",
                        field.as_str(),
                        senco_interop::pupils_csv::reason(field, &pr)
                    ));
                }
                None
            }
        };
        let (stages, dated) = sen.stages(p, &mut problem, &mut note, &mut refused);
        let needs = sen.needs(p, &dated, &mut problem, &mut note, &mut refused);
        for (message, rule) in refused {
            problems.push(Problem {
                pupil: who.clone(),
                line: p.line,
                message,
                rule: Some(rule),
            });
        }
        for c in mine {
            match mapped.iter_mut().find(|x| {
                (&x.from, &x.to, x.target, &x.decided) == (&c.from, &c.to, c.target, &c.decided)
            }) {
                Some(x) => x.pupils += 1,
                None => mapped.push(c),
            }
        }
        if let Some(v) = valid {
            let year_start = academic_year_start(today);
            let year_override = p
                .nc_year
                .as_deref()
                .and_then(YearGroup::parse)
                .filter(|y| nc_year(v.date_of_birth, year_start) != Some(*y))
                .map(|y| i64::from(y.code()));
            let c = Circumstances {
                year_override,
                ..Circumstances::default()
            };
            out.push(CtfPupil {
                row: ImportRow {
                    row: p.line,
                    fields: fields(&v, &c),
                    reg_group: None,
                },
                label: who.clone(),
                stages,
                needs,
            });
        }
    }
    if problems.is_empty() {
        // Provision codes first, then needs, each in the order the file first had them.
        mapped.sort_by_key(|c| matches!(c.target, MappedTo::Need(_)));
        Ok((out, mapped))
    } else {
        Err(problems)
    }
}

/// What reading a pupil's SEN records needs: the school, the country of the school that
/// wrote the file (its codes may be the other country's), the code settings, and the
/// catalogue that words a refusal.
#[derive(Clone, Copy)]
struct SenReader<'a> {
    school: &'a School,
    file_country: Option<Country>,
    settings: &'a CodeSettings,
    m: &'a Messages,
}

impl SenReader<'_> {
    /// The stage entries of a pupil's SEN records, each code (mapped from the other
    /// country's when it is one) read against the dated national table, and the provision
    /// codes by their start dates, sorted, which date the needs. Problems go to `problem`,
    /// mappings to `note`, codes valid in neither country to `refused`.
    fn stages(
        &self,
        p: &Pupil,
        problem: &mut impl FnMut(String),
        note: &mut impl FnMut(String, String, MappedTo, Decided),
        refused: &mut Vec<(String, &'static str)>,
    ) -> (Vec<ImportedStage>, Vec<(Date, String)>) {
        let SenReader {
            school,
            file_country,
            settings,
            m,
        } = *self;
        let mut stages = Vec::new();
        // The provision code in force on a date, from the file's own records.
        let mut dated: Vec<(Date, String)> = Vec::new();
        for r in &p.sen {
            let Some(start) = r.start else {
                problem(format!(
                    "the SEN record at line {} has no StartDate",
                    r.line
                ));
                continue;
            };
            if let Some(end) = r.end
                && end < start
            {
                problem(format!(
                    "the SEN record from {} ends before it starts ({})",
                    long(start),
                    long(end)
                ));
            }
            if let Some(dob) = p.date_of_birth
                && start < dob
            {
                problem(format!(
                    "the SEN record from {} starts before the date of birth",
                    long(start)
                ));
                continue;
            }
            let early_years = p
                .date_of_birth
                .and_then(|dob| nc_year(dob, academic_year_start(start)))
                .is_some_and(|y| {
                    matches!(
                        y,
                        YearGroup::Nursery1 | YearGroup::Nursery2 | YearGroup::Reception
                    )
                });
            // A code of the other country is read as the one of this school's it maps to.
            let (code, mapping) = match map_provision(
                school.country,
                file_country,
                &r.provision,
                start,
                early_years,
                settings,
            ) {
                None => (r.provision.clone(), None),
                Some(Ok(mp)) => (mp.to.clone(), Some(mp)),
                Some(Err(e)) => {
                    // The code is not valid in its own country, the other one, on its date.
                    let reason = match &e {
                        CrossBorderError::Code(c) => c.to_string(),
                        CrossBorderError::NoNeedMapping { code, .. } => code.clone(),
                    };
                    let other = match school.country {
                        Country::England => Country::Wales,
                        Country::Wales => Country::England,
                    };
                    refused.push((
                        m.ctf_provision_not_valid
                            .replace("{code}", r.provision.trim())
                            .replace("{date}", &long(start))
                            .replace("{line}", &r.line.to_string())
                            .replace("{country}", other.label())
                            .replace("{reason}", &reason),
                        e.rule(),
                    ));
                    continue;
                }
            };
            match read_transfer_code(
                school.country,
                school.framework_on(start),
                &code,
                start,
                early_years,
                settings,
            ) {
                Ok((framework, stage)) => {
                    dated.push((start, code.trim().to_ascii_uppercase()));
                    stages.push(ImportedStage {
                        framework,
                        stage,
                        effective: start,
                    });
                    if let Some(mp) = mapping {
                        note(mp.from, mp.to, MappedTo::Stage(stage), mp.decided);
                    }
                }
                Err(why) => problem(format!(
                    "SENprovision {} from {} (line {}): {why}",
                    r.provision.trim(),
                    long(start),
                    r.line
                )),
            }
        }
        dated.sort();
        (stages, dated)
    }

    /// The ranked needs of a pupil, each dated (by its own start or the latest SEN record),
    /// mapped to this school's country's list when the file's is the other, and valid on
    /// its day. Problems, mappings and refusals go where [`SenReader::stages`] sends them.
    fn needs(
        &self,
        p: &Pupil,
        dated: &[(Date, String)],
        problem: &mut impl FnMut(String),
        note: &mut impl FnMut(String, String, MappedTo, Decided),
        refused: &mut Vec<(String, &'static str)>,
    ) -> Vec<ImportedNeed> {
        let SenReader {
            school,
            file_country,
            settings,
            m,
        } = *self;
        let latest_start = dated.last().map(|(d, _)| *d);
        let mut needs = Vec::new();
        for n in &p.needs {
            let Some(rank) = n.rank else {
                problem(format!("the need at line {} has no SENtypeRank", n.line));
                continue;
            };
            let Some(start) = n.start.or(latest_start) else {
                problem(format!(
                    "the need {} at line {} has no NeedStartDate and the pupil has no SEN record to date it",
                    n.code, n.line
                ));
                continue;
            };
            if let Some(end) = n.end
                && end < start
            {
                problem(format!(
                    "the need {} from {} ends before it starts",
                    n.code,
                    long(start)
                ));
                continue;
            }
            // A need of the other country's list is mapped to one of this school's.
            let code = match read_need(school.country, file_country, &n.code, start, settings) {
                Ok(read) => {
                    let stored = match read.need {
                        ReadNeed::England(need) => {
                            let provision = dated
                                .iter()
                                .rev()
                                .find(|(d, _)| *d <= start)
                                .map(|(_, c)| c.as_str());
                            match need_valid_on(need, start, provision, settings) {
                                Ok(()) => Some(need.code().to_string()),
                                Err(e) => {
                                    problem(format!(
                                        "SENtype {} from {} (line {}): {e}",
                                        n.code,
                                        long(start),
                                        n.line
                                    ));
                                    None
                                }
                            }
                        }
                        ReadNeed::Wales(need) => Some(wales_need_code(need, settings).code),
                    };
                    if let (Some(to), Some((from, decided))) = (&stored, read.mapped) {
                        note(from, to.clone(), MappedTo::Need(read.need), decided);
                    }
                    stored
                }
                Err(CrossBorderError::Code(e)) => {
                    problem(format!("SENtype at line {}: {e}", n.line));
                    None
                }
                Err(e @ CrossBorderError::NoNeedMapping { .. }) => {
                    if let CrossBorderError::NoNeedMapping { code, to, setting } = &e {
                        refused.push((
                            m.ctf_no_need_mapping
                                .replace("{code}", code)
                                .replace("{line}", &n.line.to_string())
                                .replace("{country}", to.label())
                                .replace("{key}", setting),
                            e.rule(),
                        ));
                    }
                    None
                }
            };
            if let Some(code) = code {
                needs.push(ImportedNeed {
                    code,
                    rank: i64::from(rank),
                    starts_on: start,
                    ends_on: n.end,
                });
            }
        }
        needs
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub pupils_in_file: usize,
    pub outcome: CtfOutcome,
    /// The codes of the other country's lists that were mapped ([`mapping_report`]).
    pub mapped: Vec<MappedCode>,
}

/// A CTF to import: the file, where to, whether transfers are accepted, who acts (and the
/// limit on their UPN probes) and when.
#[derive(Clone, Copy)]
pub struct CtfImport<'a> {
    pub school: &'a School,
    pub bytes: &'a [u8],
    pub limits: &'a Limits,
    pub accept_transfers: bool,
    pub guard: &'a ProbeGuard,
    pub today: Date,
    pub now: OffsetDateTime,
    /// The words of the problems and the mapping report: the importer's language.
    pub words: &'a Messages,
}

/// Reads, checks and imports a CTF into `school` in one transaction, or nothing. A pupil of
/// another school (UPN and date of birth) is asked of that school, as the CSV import does
/// (SR-07): a CTF cannot release a record, since anyone can write one. `guard` names who
/// acts and limits UPN probes.
pub async fn import(store: &Store, input: &CtfImport<'_>) -> Result<ImportSummary, ImportCtfError> {
    let CtfImport {
        school,
        bytes,
        limits,
        accept_transfers,
        guard,
        today,
        now,
        words,
    } = *input;
    let audit = &guard.audit;
    let file = ctf::parse(bytes, limits).map_err(ImportCtfError::File)?;
    let settings = crate::sen::stored_code_settings(store).await?;
    let (pupils, mapped) =
        check(school, &file, &settings, words, today).map_err(ImportCtfError::Problems)?;
    guard.check(store).await?;
    let mut tx = store.begin().await?;
    match Store::commit_ctf_import(
        &mut tx,
        &pupils,
        &settings,
        &senco_store::imports::ImportCommit {
            school_id: &school.id,
            accept_transfers,
            audit,
            today,
            now,
        },
    )
    .await
    {
        Ok(outcome) => {
            if outcome.pupils.transfer_requests > 0 {
                crate::transfers::tell_holders(&mut tx, &school.id, now).await?;
            }
            senco_store::commit(tx).await?;
            Ok(ImportSummary {
                pupils_in_file: file.pupils.len(),
                outcome,
                mapped,
            })
        }
        Err(CtfImportError::Problems(ps)) => Err(ImportCtfError::Problems(
            ps.into_iter()
                .map(|CtfProblem { pupil, message }| Problem {
                    pupil,
                    line: 0,
                    message,
                    rule: None,
                })
                .collect(),
        )),
        Err(CtfImportError::Pupils(ImportError::TransfersNotAccepted(plan))) => {
            Err(ImportCtfError::TransfersNotAccepted(plan.transfers.len()))
        }
        Err(CtfImportError::Pupils(ImportError::Problems(plan))) => {
            drop(tx);
            guard.record(store, &plan.probes).await?;
            Err(ImportCtfError::Problems(
                plan.problems
                    .iter()
                    .map(|pp| {
                        let who = pupils
                            .iter()
                            .find(|p| p.row.row == pp.row)
                            .map(|p| p.label.clone())
                            .unwrap_or_default();
                        Problem {
                            pupil: who,
                            line: pp.row,
                            message: format!("{} {}: {}", pp.field, pp.value, pp.reason),
                            rule: None,
                        }
                    })
                    .collect(),
            ))
        }
        Err(CtfImportError::Pupils(ImportError::Store(e)) | CtfImportError::Store(e)) => {
            Err(e.into())
        }
    }
}

/// Which pupils an export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Upns(Vec<String>),
    Year(YearGroup),
}

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportCtfError {
    #[error("no pupil of the school has the UPN {}", .0.join(", "))]
    UnknownUpns(Vec<String>),
    #[error("no pupil is in that year group")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stage interval the export could not write: the dated table has no code for it on its
/// first day (a Welsh legacy stage recorded after the cut-over, then the setting changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLeftOut {
    /// "U201200112345 (Sam Example)".
    pub pupil: String,
    pub stage: Stage,
    pub from: Date,
    pub reason: CodeError,
}

/// An export: the file, the ids of the pupils in it (for the audit), the pupils left out
/// (no UPN) by name, and the stage intervals left out.
#[derive(Debug, Clone)]
pub struct Exported {
    pub ctf: Ctf,
    pub pupil_ids: Vec<String>,
    pub left_out: Vec<String>,
    pub records_left_out: Vec<RecordLeftOut>,
}

/// The CTF of `school`'s pupils chosen by `selection`, with their SEN history. `dest` is
/// the destination school's LEA and Estab (`MMM`/`XXX` when unknown, in which case the
/// destination recorded when the pupils left is used if they all share one). Also returns the
/// pupils left out (no UPN) by name.
pub async fn export(
    store: &Store,
    school: &School,
    selection: &Selection,
    dest: (String, String),
    settings: &CodeSettings,
    now: OffsetDateTime,
) -> Result<Exported, ExportCtfError> {
    let today = senco_domain::calendar::london_date(now);
    let facts = match selection {
        Selection::Upns(upns) => {
            let f = store.ctf_facts(&school.id, Some(upns)).await?;
            let missing: Vec<String> = upns
                .iter()
                .filter(|u| {
                    !f.pupils
                        .iter()
                        .any(|p| p.upn.as_deref() == Some(u.as_str()))
                })
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(ExportCtfError::UnknownUpns(missing));
            }
            f
        }
        Selection::Year(y) => {
            let mut f = store.ctf_facts(&school.id, None).await?;
            f.pupils.retain(|p| year_group(p, today) == Some(*y));
            if f.pupils.is_empty() {
                return Err(ExportCtfError::Empty);
            }
            f
        }
    };
    let mut left_out = Vec::new();
    let mut records_left_out = Vec::new();
    let mut pupil_ids = Vec::new();
    let mut pupils = Vec::with_capacity(facts.pupils.len());
    for p in &facts.pupils {
        let Some(upn) = p.upn.clone() else {
            left_out.push(format!("{} {}", p.legal_forename, p.legal_surname));
            continue;
        };
        pupil_ids.push(p.id.clone());
        let history = facts.changes.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
        // Each interval is written with the code in force on its first day, through the
        // one dated table, so the import's check on that date accepts it.
        let sen = intervals(&entries(history))
            .into_iter()
            .filter_map(
                |i| match transfer_code(i.framework, i.stage, i.from, settings) {
                    Ok(code) => Some(SenRecord {
                        start: Some(i.from),
                        end: i.to.map(|t| t.previous_day().unwrap_or(t)),
                        provision: code,
                        line: 0,
                    }),
                    Err(reason) => {
                        records_left_out.push(RecordLeftOut {
                            pupil: format!("{upn} ({} {})", p.legal_forename, p.legal_surname),
                            stage: i.stage,
                            from: i.from,
                            reason,
                        });
                        None
                    }
                },
            )
            .collect();
        let needs = facts
            .needs
            .get(&p.id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|n| SenNeed {
                rank: u32::try_from(n.rank).ok(),
                code: n.code.clone(),
                start: Some(n.starts_on),
                end: n.ends_on,
                line: 0,
            })
            .collect();
        pupils.push(Pupil {
            upn,
            surname: p.legal_surname.clone(),
            forename: p.legal_forename.clone(),
            date_of_birth: Some(p.date_of_birth),
            sex: p.sex.code().to_string(),
            nc_year: year_group(p, today).map(|y| y.census()),
            sen,
            needs,
            line: 0,
        });
    }
    let t = now;
    let mut header = Header {
        document_name: "Common Transfer File".into(),
        version: "25.0".into(),
        date_time: format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        qualifier: "partial".into(),
        supplier_id: "Senco".into(),
        source: SchoolRef {
            lea: school.la_code.clone(),
            estab: school.estab_number.clone(),
            name: school.name.clone(),
            academic_year: academic_year_start(today).to_string(),
        },
        dest: SchoolRef {
            lea: dest.0,
            estab: dest.1,
            ..SchoolRef::default()
        },
    };
    // Unknown destination: the one every pupil in the file was recorded as leaving for.
    if header.dest.lea == "MMM"
        && header.dest.estab == "XXX"
        && let Some(d) = crate::leavers::shared_destination(store, &pupil_ids).await?
    {
        header.dest.lea = d.la.to_string();
        header.dest.estab = d.estab.to_string();
    }
    Ok(Exported {
        ctf: Ctf { header, pupils },
        pupil_ids,
        left_out,
        records_left_out,
    })
}
