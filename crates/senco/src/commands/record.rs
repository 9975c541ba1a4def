//! `senco export record` and `senco import record`: a pupil's portable full record
//! (`senco_interop::record`, assembled and continued by `senco_app::portable_record`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use senco_app::portable_record::{ImportError, export, import};
use senco_interop::record::{MAX_BYTES, parse, to_json};
use senco_store::pupils::{PupilFilter, Scope};
use senco_store::{Store, StoreError};

use super::cli_event;
use crate::startup::system_clock;

/// Finds a pupil by Senco's id or by UPN (the operator sees every school).
pub(crate) async fn find_pupil(store: &Store, key: &str) -> anyhow::Result<String> {
    let key = key.trim();
    match store.pupil(&Scope::Operator, key).await {
        Ok(p) => return Ok(p.id),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let upn = key.to_ascii_uppercase();
    let filter = PupilFilter {
        q: Some(upn.clone()),
        ..PupilFilter::default()
    };
    let page = store.pupils(&Scope::Operator, &filter, 1, 20).await?;
    page.items
        .into_iter()
        .find(|p| p.upn.as_deref() == Some(upn.as_str()))
        .map(|p| p.id)
        .with_context(|| format!("no pupil has the id or UPN {key}"))
}

/// Runs `senco export record`.
pub async fn run_export(
    store: &Store,
    actor: Option<&str>,
    pupil: &str,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let pupil_id = find_pupil(store, pupil).await?;
    let record = export(
        store,
        &Scope::Operator,
        &pupil_id,
        system_clock().now(),
        super::words(),
    )
    .await?;
    let body = to_json(&record)?;
    let pupil_row = store.pupil(&Scope::Operator, &pupil_id).await?;
    let e = cli_event(actor, "pupil_record", "export")
        .school(pupil_row.school_id)
        .pupil(pupil_id.clone())
        .record(pupil_id.clone());
    store.audit(&e).await?;
    match output {
        Some(path) => {
            std::fs::write(path, &body).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "Wrote the record of pupil {pupil_id} to {} ({} stage entries, {} plans, {} allocations, {} involvements, {} documents).",
                path.display(),
                record.stage_history.len(),
                record.plans.len(),
                record.provision.len(),
                record.specialists.len(),
                record.documents.len()
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&body)
                .context("writing to standard output")?;
        }
    }
    Ok(())
}

/// Runs `senco export subject-access`: the bundle is built as the operator (every school),
/// audited as an export, then written.
pub async fn run_subject_access(
    store: &Store,
    actor: Option<&str>,
    pupil: &str,
    format: crate::cli::BundleFormat,
    output: &Path,
    received: Option<&str>,
    requested_by: Option<String>,
) -> anyhow::Result<()> {
    use senco_app::subject_access::{self as sar, Preparer, Request};
    let pupil_id = find_pupil(store, pupil).await?;
    let now = system_clock().now();
    let today = senco_domain::calendar::london_date(now);
    let received_on = match received {
        Some(d) => senco_store::parse_ds(d.trim()).map_err(|_| {
            anyhow::anyhow!("--received must be a date written YYYY-MM-DD, not {d:?}")
        })?,
        None => today,
    };
    if received_on > today {
        bail!("--received cannot be in the future");
    }
    let e = cli_event(actor, "subject_access", "export");
    let bundle = sar::build(
        store,
        &Scope::Operator,
        &pupil_id,
        Preparer {
            name: e.actor_label.clone(),
            account: e.actor_label.clone(),
            role: None,
        },
        Request {
            requested_by: requested_by
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            received_on,
        },
        now,
    )
    .await?;
    let pdf = format == crate::cli::BundleFormat::Pdf;
    let body = if pdf {
        sar::pdf(&bundle, today).await?
    } else {
        sar::to_json(&bundle)?
    };
    let pupil_row = store.pupil(&Scope::Operator, &pupil_id).await?;
    let e = e
        .school(pupil_row.school_id)
        .pupil(pupil_id.clone())
        .record(pupil_id.clone())
        .fields(String::from(if pdf { "pdf" } else { "json" }));
    store.audit(&e).await?;
    std::fs::write(output, &body).with_context(|| format!("writing {}", output.display()))?;
    eprintln!(
        "Wrote the subject-access bundle of pupil {pupil_id} to {} ({} items marked for review).",
        output.display(),
        bundle.review.len()
    );
    Ok(())
}

/// Runs `senco import record`.
pub async fn run_import(
    store: &Store,
    actor: Option<&str>,
    file: &PathBuf,
    school: &str,
) -> anyhow::Result<()> {
    let school_id = store
        .school_id_by_urn(school.trim())
        .await?
        .with_context(|| format!("no school has the URN {school}"))?;
    let school = store.school(&school_id).await?;
    let size = std::fs::metadata(file)
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
        std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    let record =
        parse(&bytes).map_err(|e| anyhow::anyhow!("{} cannot be imported: {e}", file.display()))?;
    let settings = senco_app::sen::stored_code_settings(store).await?;
    let now = system_clock().now();
    let today = senco_domain::calendar::london_date(now);
    let mut tx = store.begin().await?;
    let outcome = import(
        &mut tx,
        &school,
        &record,
        &settings,
        today,
        now,
        cli_event(actor, "pupil_record", "import"),
    )
    .await;
    match outcome {
        Ok(done) => {
            senco_store::commit(tx).await?;
            println!(
                "Imported the record into {} as pupil {}: {} stage entries, {} plans, {} allocations, {} involvements, {} documents.",
                school.name,
                done.pupil_id,
                done.stage_entries,
                done.plans,
                done.allocations,
                done.involvements,
                done.documents
            );
            Ok(())
        }
        Err(e @ (ImportError::UpnTaken(_) | ImportError::Invalid(_))) => {
            drop(tx);
            bail!(
                "{} was not imported (nothing was written): {e}",
                file.display()
            )
        }
        Err(ImportError::Store(e)) => {
            drop(tx);
            Err(anyhow::Error::new(e).context(format!(
                "{} was not imported (nothing was written)",
                file.display()
            )))
        }
    }
}
