//! `senco audit`: check that the audit log has not been changed, and export who has read or
//! received a pupil's record.

use anyhow::{Context, bail};
use senco_store::Store;
use senco_store::audit::AuditAnchor;

use crate::cli::AuditCommand;

/// Runs `senco audit`.
pub async fn run(store: &Store, actor: Option<&str>, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify {
            anchors,
            anchor_files,
        } => {
            let mut given = Vec::new();
            for a in &anchors {
                given.push(AuditAnchor::parse(a).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--anchor must be written SEQ:HASH (as the server logs it), not {a:?}"
                    )
                })?);
            }
            for f in &anchor_files {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("could not read {}", f.display()))?;
                let found = AuditAnchor::find_all(&text);
                if found.is_empty() {
                    bail!(
                        "{} holds no audit anchors ({}=SEQ:HASH)",
                        f.display(),
                        AuditAnchor::LOG_FIELD
                    );
                }
                given.extend(found);
            }
            let check = store.verify_audit_against(&given).await?;
            match check.first_bad {
                None => {
                    println!(
                        "The audit log is intact: {} rows checked.",
                        check.rows - check.unsealed
                    );
                    if check.unsealed > 0 {
                        println!(
                            "{} older rows were written before the hash chain existed and cannot be checked.",
                            check.unsealed
                        );
                    }
                    if given.is_empty() {
                        println!(
                            "No anchors given: a chain recomputed by someone who can write to the database would pass. Check against the anchors in the server's log or a backup's output (--anchors FILE)."
                        );
                    } else {
                        println!(
                            "The chain passes through all {} anchors kept outside the database.",
                            check.anchors_checked
                        );
                        if check.anchors_pruned > 0 {
                            println!(
                                "{} anchors are older than the pruned part of the log and cannot be checked.",
                                check.anchors_pruned
                            );
                        }
                    }
                    println!(
                        "The chain's head now: {}={}",
                        AuditAnchor::LOG_FIELD,
                        check.head
                    );
                    Ok(())
                }
                Some((seq, why)) => {
                    bail!("the audit log has been tampered with at row {seq}: {why}")
                }
            }
        }
        AuditCommand::Pupil { pupil } => {
            let rows = store.audit_for_pupil_all(&pupil).await?;
            println!("when_utc,who,role,channel,record,record_id,action,outcome,fields");
            for r in &rows {
                let e = &r.event;
                let cells = [
                    senco_store::ts(e.at),
                    e.actor_label.clone(),
                    e.actor_role.clone().unwrap_or_default(),
                    e.channel.clone(),
                    e.record_type.clone(),
                    e.record_id.clone().unwrap_or_default(),
                    e.action.clone(),
                    e.outcome.clone(),
                    e.fields.clone().unwrap_or_default(),
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                println!("{}", line.join(","));
            }
            // Exporting the trail is itself a read of the pupil's record.
            let e = super::cli_event(actor, "audit_trail", "export").pupil(pupil);
            store.audit(&e).await?;
            Ok(())
        }
        AuditCommand::Prune { before } => {
            let now = crate::startup::system_clock().now();
            let cutoff = match before {
                Some(d) => senco_store::parse_ds(d.trim())
                    .map_err(|_| anyhow::anyhow!("--before must be a date written YYYY-MM-DD"))?,
                None => {
                    let years = store.audit_retention_years().await?;
                    senco_domain::retention::audit_cutoff(
                        senco_domain::calendar::london_date(now),
                        years,
                    )
                    .ok_or_else(|| anyhow::anyhow!("the audit retention period is too long"))?
                }
            };
            let before = cutoff.midnight().assume_utc();
            let e = super::cli_event(actor, "audit_trail", "prune");
            let out = store.prune_audit(before, &e).await?;
            println!(
                "{} audit rows dated before {cutoff} removed; the chain now starts after row {}.",
                out.removed, out.anchor_seq
            );
            Ok(())
        }
    }
}

/// A CSV cell: quoted, with spreadsheet formulas neutralised.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}
