//! `senco retention`: record a pupil leaving, flag records due for destruction (for cron
//! when the server does not run), decide reviews, destroy approved records and print the
//! destruction log (SR-30). The work itself is `senco_app::retention`'s and the store's.

use anyhow::{Context, bail};
use senco_app::PdfCache;
use senco_store::pupils::Scope;
use senco_store::retention::{Decision, ReviewStatus};
use senco_store::{Store, StoreError};

use super::cli_event;
use crate::cli::RetentionCommand;
use crate::startup::system_clock;

fn today() -> senco_domain::Date {
    senco_domain::calendar::london_date(system_clock().now())
}

fn date(s: &str, what: &str) -> anyhow::Result<senco_domain::Date> {
    senco_store::parse_ds(s.trim())
        .map_err(|_| anyhow::anyhow!("{what} must be a date written YYYY-MM-DD"))
}

/// Who decides: the account's id when `--actor` names one, else the operating-system user.
async fn decider(store: &Store, actor: Option<&str>) -> anyhow::Result<String> {
    match actor {
        Some(email) => Ok(store
            .user_by_email(email.trim())
            .await
            .with_context(|| format!("no account has the email {email}"))?
            .id),
        None => Ok(super::os_actor(None)),
    }
}

/// Runs `senco retention`.
pub async fn run(
    store: &Store,
    actor: Option<&str>,
    command: RetentionCommand,
) -> anyhow::Result<()> {
    match command {
        RetentionCommand::Leave {
            pupil,
            on,
            transferred_out,
            to,
        } => {
            use senco_app::leavers::{LeaveError, checked, open_enrolment, write};
            let pupil_id = super::record::find_pupil(store, &pupil).await?;
            let on = date(&on, "--on")?;
            let p = store.pupil(&Scope::Operator, &pupil_id).await?;
            let enrolments = store.enrolments(&p.id).await?;
            let m = super::words();
            let Some(open) = open_enrolment(&p, &enrolments).cloned() else {
                bail!("{}", m.leaving_not_on_roll);
            };
            let destination = to.unwrap_or_default();
            let entry = senco_domain::leaving::LeavingEntry {
                on: senco_domain::entry::Entry::Valid(on),
                destination: &destination,
                transferred_out,
            };
            let refused = |e: LeaveError| -> anyhow::Error {
                match e {
                    LeaveError::Invalid(problems) => anyhow::anyhow!(
                        "{}",
                        problems
                            .into_iter()
                            .map(|problem| m.leaving_problem(problem, open.starts_on))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    LeaveError::NotOnRoll | LeaveError::NotFound => {
                        anyhow::anyhow!("{}", m.leaving_not_on_roll)
                    }
                    LeaveError::Store(e) => e.into(),
                }
            };
            let leaving = checked(store, &p, &open, &entry, today())
                .await
                .map_err(refused)?;
            write(store, &p, &leaving, cli_event(actor, "enrolment", "update"))
                .await
                .map_err(refused)?;
            let destination = leaving.destination.map(|d| d.to_string());
            let leaving_kind = if leaving.transferred_out {
                "transferred_out"
            } else {
                "left"
            };
            println!(
                "{}",
                senco_i18n::fill(
                    m.leaving_recorded_cli,
                    &[
                        ("date", &m.long_date(on)),
                        (
                            "how",
                            &m.leaving(Some(leaving_kind), destination.as_deref())
                        ),
                    ],
                )
            );
        }
        RetentionCommand::Review => {
            let e = cli_event(actor, "retention_review", "create");
            let out =
                senco_app::retention::review(store, today(), system_clock().now(), &e).await?;
            println!(
                "{} pupils newly flagged, {} kept records back for review.",
                out.flagged, out.reopened
            );
        }
        RetentionCommand::List { school } => {
            let school_id = match school {
                Some(urn) => Some(
                    store
                        .school_id_by_urn(&urn)
                        .await?
                        .with_context(|| format!("no school has URN {urn}"))?,
                ),
                None => None,
            };
            let reviews = store
                .retention_reviews(&Scope::Operator, school_id.as_deref())
                .await?;
            println!("review_id,pupil_id,school_id,class,due_on,status,keep_until");
            for r in &reviews {
                println!(
                    "{},{},{},{},{},{},{}",
                    r.id,
                    r.pupil_id,
                    r.school_id,
                    r.class.as_str(),
                    r.due_on,
                    r.status.as_str(),
                    r.keep_until.map(|d| d.to_string()).unwrap_or_default()
                );
            }
            // Listing names no pupil (ids only), but it is a read of the reviews.
            let e = cli_event(actor, "retention_review", "list").school(school_id);
            store.audit(&e).await?;
        }
        RetentionCommand::Approve { review } => {
            decide(store, actor, &review, &Decision::Approve).await?;
            println!(
                "Destruction approved; `senco retention destroy` (or the server's daily run) destroys the records."
            );
        }
        RetentionCommand::Keep {
            review,
            reason,
            until,
        } => {
            let until = date(&until, "--until")?;
            if until <= today() {
                bail!("--until must be after today");
            }
            if reason.trim().is_empty() {
                bail!("--reason must say why the records are kept");
            }
            decide(
                store,
                actor,
                &review,
                &Decision::Keep {
                    reason: reason.trim().to_string(),
                    until,
                },
            )
            .await?;
            println!("The records are kept until {until}.");
        }
        RetentionCommand::Destroy => {
            let e = cli_event(actor, "pupil", "destroy");
            let (done, compaction) = senco_app::retention::destroy_approved(
                store,
                &PdfCache::default(),
                system_clock().now(),
                &e,
            )
            .await?;
            for d in &done {
                println!(
                    "Destroyed {} ({}): {} rows; destruction log {}",
                    d.pupil_id,
                    d.class.as_str(),
                    d.rows_removed,
                    d.log_id
                );
            }
            println!("{} pupils' records destroyed.", done.len());
            if compaction.is_some_and(|c| !c.complete) {
                eprintln!(
                    "warning: a reader kept the write-ahead log from being emptied; run `senco retention destroy` again when Senco is idle"
                );
            }
        }
        RetentionCommand::Log => {
            println!(
                "id,school_id,pupil_id,class,due_on,approved_by,approved_at,destroyed_at,rows_removed"
            );
            for l in store.destruction_log(None).await? {
                println!(
                    "{},{},{},{},{},{},{},{},{}",
                    l.id,
                    l.school_id,
                    l.pupil_id,
                    l.class.as_str(),
                    l.due_on,
                    l.approved_by,
                    senco_store::ts(l.approved_at),
                    senco_store::ts(l.destroyed_at),
                    l.rows_removed
                );
            }
        }
    }
    Ok(())
}

async fn decide(
    store: &Store,
    actor: Option<&str>,
    review: &str,
    decision: &Decision,
) -> anyhow::Result<()> {
    let r = match store
        .retention_review(&Scope::Operator, review.trim())
        .await
    {
        Ok(r) => r,
        Err(StoreError::NotFound) => bail!("no retention review has the id {review}"),
        Err(e) => return Err(e.into()),
    };
    if r.status == ReviewStatus::Approved {
        bail!("this review's destruction is already approved");
    }
    let by = decider(store, actor).await?;
    let mut tx = store.begin().await?;
    match Store::decide_retention(&mut tx, &r.id, decision, &by, system_clock().now()).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => bail!("the review was decided meanwhile"),
        Err(e) => return Err(e.into()),
    }
    let e = cli_event(actor, "retention_review", "update")
        .school(r.school_id)
        .pupil(r.pupil_id)
        .record(r.id)
        .fields(String::from(match decision {
            Decision::Approve => "status",
            Decision::Keep { .. } => "status,reason,keep_until",
        }));
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}
