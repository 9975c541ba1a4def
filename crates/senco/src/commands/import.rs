//! `senco import pupils FILE --school URN`: pupils from an MIS CSV export.
//!
//! The preview (text or `--report json`) goes to standard output; the progress bar goes to
//! standard error, only when that is a terminal. Any problem stops the import with a
//! non-zero exit and writes nothing.

use std::io::IsTerminal;

use anyhow::{Context, bail};
use senco_app::imports::{self, CommitError, Preview, PreviewError, Report};
use senco_app::transfers::ProbeGuard;
use senco_interop::pupils_csv::MAX_BYTES;
use senco_store::Store;

use crate::cli::{ImportCommand, ReportFormat};
use crate::startup::system_clock;

/// Runs `senco import`.
pub async fn run(store: &Store, actor: Option<&str>, command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Record { file, school } => {
            super::record::run_import(store, actor, &file, &school).await
        }
        ImportCommand::Pupils {
            file,
            school,
            dry_run,
            report,
            mapping,
            accept_transfers,
        } => {
            let args = PupilsImport {
                file,
                school,
                dry_run,
                report,
                mapping,
                accept_transfers,
            };
            pupils(store, actor, args).await
        }
        ImportCommand::Schools {
            file,
            dry_run,
            report,
        } => super::schools::import(store, actor, &file, dry_run, report).await,
        ImportCommand::Ctf {
            file,
            school,
            accept_transfers,
        } => ctf(store, actor, file, school, accept_transfers).await,
    }
}

/// `senco import ctf FILE --school URN`: pupils and SEN history from a Common Transfer File.
async fn ctf(
    store: &Store,
    actor: Option<&str>,
    file: std::path::PathBuf,
    school: String,
    accept_transfers: bool,
) -> anyhow::Result<()> {
    use senco_app::ctf::{self, ImportCtfError};
    let progress = Progress::new();
    let school_id = store
        .school_id_by_urn(school.trim())
        .await?
        .with_context(|| format!("no school has the URN {school}"))?;
    let school = store.school(&school_id).await?;
    let limits = senco_interop::ctf::Limits::default();
    progress.step("Reading the file");
    // The size first: a file past the cap is refused without being read.
    let size = std::fs::metadata(&file)
        .with_context(|| format!("could not read {}", file.display()))?
        .len();
    if size > limits.max_bytes {
        progress.done();
        bail!(
            "{} is too large to import: {} bytes, at most {} MB (nothing was imported)",
            file.display(),
            size,
            limits.max_bytes / (1024 * 1024)
        );
    }
    let bytes =
        std::fs::read(&file).with_context(|| format!("could not read {}", file.display()))?;
    let now = system_clock().now();
    let today = senco_domain::calendar::london_date(now);
    progress.step("Checking every pupil, then writing in one transaction");
    let guard = ProbeGuard::new(
        super::cli_event(actor, "pupil", "create"),
        &senco_app::Settings::default(),
    );
    let result = ctf::import(
        store,
        &ctf::CtfImport {
            school: &school,
            bytes: &bytes,
            limits: &limits,
            accept_transfers,
            guard: &guard,
            today,
            now,
            words: super::words(),
        },
    )
    .await;
    progress.done();
    match result {
        Ok(s) => {
            let o = s.outcome;
            println!(
                "Imported {} pupil(s) into {}: {} new, {} updated, {} unchanged, {} transfer(s) asked of the schools holding them; \
                 {} stage entries added ({} already held), {} needs added ({} already held).",
                s.pupils_in_file,
                school.name,
                o.pupils.created,
                o.pupils.updated,
                o.pupils.unchanged,
                o.pupils.transfer_requests,
                o.stages_added,
                o.stages_known,
                o.needs_added,
                o.needs_known
            );
            // What was mapped from the other country's code lists.
            for line in ctf::mapping_report(&s.mapped, super::words()) {
                println!("{line}");
            }
            Ok(())
        }
        Err(ImportCtfError::File(e)) => {
            bail!(
                "{} cannot be imported: {e} (nothing was imported)",
                file.display()
            )
        }
        Err(ImportCtfError::Problems(ps)) => {
            for p in &ps {
                println!("{p}");
            }
            bail!(
                "{} problem(s) in {} (see above): nothing was imported",
                ps.len(),
                file.display()
            )
        }
        Err(ImportCtfError::TransfersNotAccepted(n)) => bail!(
            "{n} pupil(s) in the file are enrolled at another school: check them, then run again with --accept-transfers to ask their schools for their records (nothing was imported)"
        ),
        Err(ImportCtfError::TooManyProbes) => {
            bail!("{} (nothing was imported)", ImportCtfError::TooManyProbes)
        }
        Err(ImportCtfError::Store(e)) => Err(e.into()),
    }
}

/// The arguments of `senco import pupils` (see [`ImportCommand::Pupils`]).
struct PupilsImport {
    file: std::path::PathBuf,
    school: String,
    dry_run: bool,
    report: ReportFormat,
    mapping: Vec<String>,
    accept_transfers: bool,
}

async fn pupils(store: &Store, actor: Option<&str>, args: PupilsImport) -> anyhow::Result<()> {
    let PupilsImport {
        file,
        school,
        dry_run,
        report,
        mapping,
        accept_transfers,
    } = args;
    let progress = Progress::new();
    let school_id = store
        .school_id_by_urn(school.trim())
        .await?
        .with_context(|| format!("no school has the URN {school}"))?;
    let school = store.school(&school_id).await?;
    progress.step("Reading the file");
    let size = std::fs::metadata(&file)
        .with_context(|| format!("could not read {}", file.display()))?
        .len();
    if usize::try_from(size).map_or(true, |s| s > MAX_BYTES) {
        bail!(
            "{} is too large to import (at most {} MB)",
            file.display(),
            MAX_BYTES / (1024 * 1024)
        );
    }
    let bytes =
        std::fs::read(&file).with_context(|| format!("could not read {}", file.display()))?;
    let mut pairs = Vec::new();
    for m in &mapping {
        match imports::parse_pair(m) {
            Some(p) => pairs.push(p),
            None => bail!("--mapping takes FIELD=COLUMN, for example upn=\"Pupil UPN\""),
        }
    }
    let now = system_clock().now();
    let today = senco_domain::calendar::london_date(now);
    progress.step("Checking every row");
    let guard = ProbeGuard::new(
        super::cli_event(actor, "pupil", "create"),
        &senco_app::Settings::default(),
    );
    let preview = match imports::preview(store, &school, &bytes, &pairs, today, &guard).await {
        Ok(p) => p,
        Err(PreviewError::File(e)) => {
            progress.done();
            bail!("{} cannot be imported: {e}", file.display())
        }
        Err(PreviewError::Mapping(problems)) => {
            progress.done();
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            bail!("the --mapping is wrong:\n{}", lines.join("\n"))
        }
        Err(PreviewError::TooManyProbes) => {
            progress.done();
            bail!(
                "too many UPNs in recent imports belonged to pupils at other schools whose dates of birth did not match: importing is paused for a day (nothing was imported)"
            )
        }
        Err(PreviewError::Store(e)) => return Err(e.into()),
    };
    let refuse = |p: &Preview| -> Option<String> {
        if !p.mapping_problems.is_empty() {
            Some("the columns could not be matched to pupils' details (see above); use --mapping FIELD=COLUMN".into())
        } else if !p.problems.is_empty() {
            Some(format!(
                "{} problem(s) in the file (see above): nothing was imported",
                p.problems.len()
            ))
        } else {
            None
        }
    };
    if dry_run || refuse(&preview).is_some() {
        progress.done();
        print(&preview, report, None, &school.name)?;
        if let Some(why) = refuse(&preview) {
            bail!(why);
        }
        if !preview.plan.transfers.is_empty() && !accept_transfers {
            eprintln!(
                "{} pupil(s) are enrolled at another school: importing needs --accept-transfers.",
                preview.plan.transfers.len()
            );
        }
        return Ok(());
    }
    if !preview.plan.transfers.is_empty() && !accept_transfers {
        progress.done();
        print(&preview, report, None, &school.name)?;
        bail!(
            "{} pupil(s) in the file are enrolled at another school: check them, then run again with --accept-transfers to ask their schools for their records (nothing was imported)",
            preview.plan.transfers.len()
        );
    }
    progress.step("Writing, in one transaction");
    let result = imports::commit(
        store,
        &imports::CommitImport {
            school: &school,
            bytes: &bytes,
            pairs: &pairs,
            accept_transfers,
            guard: &guard,
            today,
            now,
            kept: None,
        },
    )
    .await;
    progress.done();
    match result {
        Ok(outcome) => print(&preview, report, Some(outcome), &school.name),
        Err(CommitError::NotReady(p) | CommitError::TransfersNotAccepted(p)) => {
            print(&p, report, None, &school.name)?;
            bail!("the records changed while importing: nothing was imported; run it again")
        }
        Err(CommitError::Preview(e)) => Err(e.into()),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

fn print(
    p: &Preview,
    format: ReportFormat,
    written: Option<senco_store::imports::ImportOutcome>,
    school: &str,
) -> anyhow::Result<()> {
    if format == ReportFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Report::new(p, written))?
        );
        return Ok(());
    }
    println!("File: {} rows, {}", p.rows, p.encoding.label());
    for (field, &i) in &p.mapping.columns {
        println!(
            "  {:<20} <- {}",
            field.label(),
            p.headers.get(i).map(String::as_str).unwrap_or("")
        );
    }
    if !p.ignored.is_empty() {
        println!("  Ignored columns: {}", p.ignored.join(", "));
    }
    for m in &p.mapping_problems {
        println!("Mapping problem: {m}");
    }
    for x in &p.problems {
        let column = if x.column.is_empty() {
            "(whole row)".to_string()
        } else {
            format!("column {}", x.column)
        };
        println!("Row {}, {column}, value {:?}: {}", x.row, x.value, x.reason);
    }
    for u in &p.plan.updates {
        let changes: Vec<String> = u
            .changes
            .iter()
            .map(|c| format!("{} {:?} -> {:?}", c.field, c.before, c.after))
            .collect();
        println!("Row {}: update {}", u.row, changes.join(", "));
    }
    for t in &p.plan.transfers {
        let surname = if t.surname_differs {
            "; the surname differs from the one that school records, and it will be asked to check"
        } else {
            ""
        };
        println!(
            "Row {}: UPN {} belongs to a pupil enrolled at another school, with the same date of birth (a transfer to ask that school for{surname})",
            t.row, t.upn
        );
    }
    if !p.plan.new_reg_groups.is_empty() {
        println!(
            "New registration groups: {}",
            p.plan.new_reg_groups.join(", ")
        );
    }
    let verb = if written.is_some() {
        "Imported into"
    } else {
        "Would import into"
    };
    println!(
        "{verb} {school}: {} new, {} updated, {} unchanged, {} transfers to ask for, {} problems.",
        p.plan.creates.len(),
        p.plan.updates.len(),
        p.plan.unchanged.len(),
        p.plan.transfers.len(),
        p.problems.len() + p.mapping_problems.len()
    );
    Ok(())
}

/// A progress bar over the import's steps, on standard error when it is a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    const STEPS: u64 = 3;

    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(Self::STEPS);
        if let Ok(style) = indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(Some(bar))
    }

    fn step(&self, msg: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg);
            bar.inc(1);
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
