//! `senco export`: the school census SEN return, the Common Transfer File, and a pupil's
//! full record (`record.rs`).

use anyhow::{Context, bail};
use senco_interop::census::{to_csv, to_xml};
use senco_store::Store;
use senco_store::pupils::Scope;

use super::cli_event;
use crate::cli::{CensusFormat, ExportCommand, ExportCtf};
use crate::startup::system_clock;

/// Runs `senco export`.
pub async fn run(store: &Store, actor: Option<&str>, command: ExportCommand) -> anyhow::Result<()> {
    match command {
        ExportCommand::Record { pupil, output } => {
            super::record::run_export(store, actor, &pupil, output.as_deref()).await
        }
        ExportCommand::SubjectAccess {
            pupil,
            format,
            output,
            received,
            requested_by,
        } => {
            super::record::run_subject_access(
                store,
                actor,
                &pupil,
                format,
                &output,
                received.as_deref(),
                requested_by,
            )
            .await
        }
        ExportCommand::Census {
            school,
            date,
            format,
            output,
        } => {
            let on = senco_store::parse_ds(date.trim()).map_err(|_| {
                anyhow::anyhow!("--date must be a date written YYYY-MM-DD, not {date:?}")
            })?;
            let school_id = store
                .school_id_by_urn(&school)
                .await?
                .with_context(|| format!("no school has URN {school}"))?;
            let school = store.school(&school_id).await?;
            let settings = senco_app::sen::stored_code_settings(store).await?;
            let ret = senco_app::census::build(
                store,
                &Scope::Operator,
                &school,
                on,
                &settings,
                system_clock().now(),
            )
            .await?;
            let body = match format {
                CensusFormat::Csv => to_csv(&ret),
                CensusFormat::Xml => to_xml(&ret),
            };
            let e = cli_event(actor, "census_return", "export").school(school.id.clone());
            store.audit(&e).await?;
            match &output {
                Some(path) => std::fs::write(path, body)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{body}"),
            }
            for p in &ret.pupils {
                for pr in &p.result.problems {
                    eprintln!(
                        "{}: {} {} ({}): {}",
                        pr.severity.as_str(),
                        p.forename,
                        p.surname,
                        p.upn.as_deref().unwrap_or("no UPN"),
                        pr.message
                    );
                }
            }
            let (errors, warnings) = ret.problem_counts();
            let counts: Vec<String> = ret
                .counts()
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            eprintln!(
                "{} pupils on roll on {on} at {} ({}): {errors} with errors, {warnings} with warnings only{}",
                ret.pupils.len(),
                school.name,
                counts.join(", "),
                output
                    .as_ref()
                    .map(|p| format!("; written to {}", p.display()))
                    .unwrap_or_default()
            );
            if errors > 0 {
                bail!(
                    "{errors} pupils have errors the census would reject: fix them and export again"
                );
            }
            Ok(())
        }
        ExportCommand::Ctf(args) => ctf(store, actor, args).await,
    }
}

/// `senco export ctf --school URN [--upn UPN ...] [--year N] -o FILE`.
async fn ctf(store: &Store, actor: Option<&str>, args: ExportCtf) -> anyhow::Result<()> {
    use senco_app::ctf::{Selection, export};
    let school_id = store
        .school_id_by_urn(args.school.trim())
        .await?
        .with_context(|| format!("no school has URN {}", args.school))?;
    let school = store.school(&school_id).await?;
    let selection = match (&args.year, args.upns.is_empty()) {
        (Some(y), _) => Selection::Year(
            senco_domain::year_group::YearGroup::parse(y.trim())
                .with_context(|| format!("--year takes N1, N2, R or 1 to 14, not {y:?}"))?,
        ),
        (None, false) => Selection::Upns(args.upns.iter().map(|u| u.trim().to_string()).collect()),
        (None, true) => {
            bail!("name the pupils with --upn UPN (repeatable) or a year group with --year")
        }
    };
    let settings = senco_app::sen::stored_code_settings(store).await?;
    let exported = export(
        store,
        &school,
        &selection,
        (
            args.dest_lea.trim().to_string(),
            args.dest_estab.trim().to_string(),
        ),
        &settings,
        system_clock().now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}: nothing was written"))?;
    let file = &exported.ctf;
    let body = senco_interop::ctf::to_xml(file);
    std::fs::write(&args.output, body)
        .with_context(|| format!("writing {}", args.output.display()))?;
    // One row per pupil whose record left the school, as the census export does per school.
    let events: Vec<_> = exported
        .pupil_ids
        .iter()
        .map(|id| {
            cli_event(actor, "ctf_export", "export")
                .school(school.id.clone())
                .pupil(id.clone())
                .record(id.clone())
        })
        .collect();
    store.audit_batch(&events).await?;
    for name in &exported.left_out {
        eprintln!("{name} has no UPN and is not in the file");
    }
    for r in &exported.records_left_out {
        eprintln!(
            "{}: {} from {} is not in the file: {}",
            r.pupil,
            r.stage.label(),
            senco_store::ds(r.from),
            r.reason
        );
    }
    eprintln!(
        "{} pupil(s) of {} written to {}",
        file.pupils.len(),
        school.name,
        args.output.display()
    );
    Ok(())
}
