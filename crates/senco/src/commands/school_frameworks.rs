//! `senco school framework URN --framework KEY --from YYYY-MM-DD [--dry-run]` and `senco school
//! frameworks URN`: a school's frameworks by date (issue 19, point 2) through the same use
//! case as the administrator's page and the API (`senco_app::school_frameworks`).

use anyhow::bail;
use senco_app::school_frameworks::{ChangeInput, FrameworkError, change_framework, school_periods};
use senco_domain::framework_periods::{Outcome, Period};
use senco_domain::pupil::date_from_iso;
use senco_domain::school::FrameworkKey;
use senco_i18n::fill;

use super::words;
use senco_store::audit::AuditEvent;
use senco_store::{Store, ds};

use crate::startup::system_clock;

/// A change as given on the command line.
pub struct Change<'a> {
    pub urn: &'a str,
    pub framework: &'a str,
    pub from: &'a str,
    pub dry_run: bool,
}

async fn school_id(store: &Store, urn: &str) -> anyhow::Result<String> {
    match store.school_id_by_urn(urn.trim()).await? {
        Some(id) => Ok(id),
        None => bail!(fill(words().sr_cli_no_school, &[("urn", urn.trim())])),
    }
}

fn period_line(p: &Period) -> String {
    let from = ds(p.starts_on);
    match p.ends_on {
        Some(to) => fill(
            words().fw_cli_period,
            &[
                ("framework", p.framework.as_str()),
                ("from", &from),
                ("to", &ds(to)),
            ],
        ),
        None => fill(
            words().fw_cli_period_open,
            &[("framework", p.framework.as_str()), ("from", &from)],
        ),
    }
}

fn outcome_words(o: &Outcome) -> String {
    match o {
        Outcome::Keeps => words().fw_keeps.to_string(),
        Outcome::MapsTo(s) => fill(words().fw_maps_to, &[("stage", s.as_str())]),
        Outcome::NeedsDecision(options) => {
            let stages: Vec<&str> = options.iter().map(|s| s.as_str()).collect();
            fill(
                words().fw_needs_decision,
                &[("stages", &stages.join(words().fw_or))],
            )
        }
    }
}

/// Prints a school's periods, oldest first.
pub async fn list(store: &Store, urn: &str) -> anyhow::Result<()> {
    let id = school_id(store, urn).await?;
    for p in school_periods(store, &id).await? {
        println!("{}", period_line(&p));
    }
    Ok(())
}

/// Changes (or with `dry_run` previews) a school's framework and prints the periods after
/// the change and what it means for each current stage.
pub async fn change(store: &Store, audit: &AuditEvent, c: &Change<'_>) -> anyhow::Result<()> {
    let id = school_id(store, c.urn).await?;
    let input = ChangeInput {
        framework: FrameworkKey::parse(c.framework.trim()),
        starts_on: date_from_iso(c.from),
    };
    let now = system_clock().now();
    let done = change_framework(store, audit, &id, &input, c.dry_run, now.date(), now).await;
    let preview = match done {
        Ok(p) => p,
        Err(FrameworkError::Invalid(problems)) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| {
                    fill(
                        words().sr_cli_problem,
                        &[("field", &p.field), ("reason", &words().problem(p))],
                    )
                })
                .collect();
            bail!(lines.join("\n"));
        }
        Err(FrameworkError::NotFound) => bail!(fill(words().sr_cli_no_school, &[("urn", c.urn)])),
        Err(FrameworkError::Store(e)) => return Err(e.into()),
    };
    for p in &preview.after {
        println!("{}", period_line(p));
    }
    for r in &preview.rows {
        println!(
            "{}",
            fill(
                words().fw_cli_row,
                &[
                    ("stage", r.stage.as_str()),
                    ("framework", r.framework.as_str()),
                    ("pupils", &r.pupils.to_string()),
                    ("outcome", &outcome_words(&r.outcome)),
                ],
            )
        );
    }
    if c.dry_run {
        println!("{}", words().sr_cli_dry_run);
    } else {
        println!("{}", fill(words().fw_cli_changed, &[("urn", c.urn.trim())]));
    }
    Ok(())
}
