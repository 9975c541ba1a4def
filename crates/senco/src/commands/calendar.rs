//! `senco calendar import` and `senco calendar bank-holidays` (issue 19, point 3): a
//! calendar file added to an authority's or a school's calendar, and the government's
//! bank-holiday file loaded, through the same use cases as the pages and the API
//! (`senco_app::calendars`). Both check the whole file and write all or nothing.

use anyhow::{Context, bail};
use senco_app::calendars::{self, ImportError, Owner};
use senco_domain::bank_holidays::Division;
use senco_i18n::fill;

use super::words;
use senco_store::Store;

use crate::cli::CalendarCommand;
use crate::startup::system_clock;

/// Runs `senco calendar`.
pub async fn run(
    store: &Store,
    actor: Option<&str>,
    command: CalendarCommand,
) -> anyhow::Result<()> {
    let now = system_clock().now();
    match command {
        CalendarCommand::Import {
            file,
            authority,
            school,
            dry_run,
        } => {
            let bytes = std::fs::read(&file).with_context(|| file.display().to_string())?;
            let (la_id, school_id) = match (authority, school) {
                (Some(code), _) => {
                    let Some(a) = store.authority_by_code(code.trim()).await? else {
                        bail!(fill(words().sr_cli_no_authority, &[("code", code.trim())]));
                    };
                    (a.id, None)
                }
                (None, Some(urn)) => {
                    let Some(id) = store.school_id_by_urn(urn.trim()).await? else {
                        bail!(fill(words().sr_cli_no_school, &[("urn", urn.trim())]));
                    };
                    let s = store.school(&id).await?;
                    (s.la_id, Some(id))
                }
                (None, None) => bail!(words().cal_cli_whose),
            };
            let owner = match &school_id {
                None => Owner::Authority { la_id: &la_id },
                Some(school_id) => Owner::School {
                    la_id: &la_id,
                    school_id,
                },
            };
            let plan = match calendars::plan_import(&bytes) {
                Ok(plan) => plan,
                Err(ImportError::File(p)) => bail!(words().problem(&p)),
                Err(ImportError::Lines(problems)) => {
                    for (line, p) in &problems {
                        eprintln!(
                            "{}",
                            fill(
                                words().cal_cli_line_problem,
                                &[
                                    ("line", &line.to_string()),
                                    ("field", &p.field),
                                    ("reason", &words().problem(p)),
                                ]
                            )
                        );
                    }
                    bail!(words().sr_cli_refused)
                }
            };
            for (line, e) in &plan.entries {
                println!(
                    "{}",
                    fill(
                        words().cal_cli_entry,
                        &[
                            ("line", &line.to_string()),
                            ("kind", words().cal_kind(e.kind)),
                            ("name", &e.name),
                            ("start", &senco_store::ds(e.range.start)),
                            ("end", &senco_store::ds(e.range.end)),
                        ]
                    )
                );
            }
            if dry_run {
                println!("{}", words().sr_cli_dry_run);
                return Ok(());
            }
            let audit = super::cli_event(actor, "calendar_entry", "import");
            let n = calendars::commit_import(store, &audit, owner, &plan, now).await?;
            println!(
                "{}",
                fill(words().cal_cli_imported, &[("count", &n.to_string())])
            );
        }
        CalendarCommand::BankHolidays { file, dry_run } => {
            let bytes = std::fs::read(&file).with_context(|| file.display().to_string())?;
            let set = match senco_interop::bank_holidays::parse(&bytes) {
                Ok(set) => set,
                Err(p) => {
                    eprintln!("{}", words().problem(&p));
                    bail!(words().sr_cli_refused)
                }
            };
            for division in Division::ALL {
                let (first, last) = set.years(division).unwrap_or_default();
                println!(
                    "{}",
                    fill(
                        words().cal_cli_division,
                        &[
                            ("division", division.as_str()),
                            ("count", &set.division(division).len().to_string()),
                            ("first", &first.to_string()),
                            ("last", &last.to_string()),
                        ]
                    )
                );
            }
            if dry_run {
                println!("{}", words().sr_cli_dry_run);
                return Ok(());
            }
            let audit = super::cli_event(actor, "bank_holidays", "update");
            calendars::replace_bank_holidays(store, &audit, &set, now).await?;
            println!("{}", words().cal_cli_bank_holidays_loaded);
        }
    }
    Ok(())
}
