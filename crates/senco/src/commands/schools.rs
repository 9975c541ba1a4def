//! `senco authority add|edit|list`, `senco school add|edit|list` and `senco import schools`:
//! setting up an installation's authorities and schools (issue 19, point 1) through the
//! same use cases as the administrator's pages and the API (`senco_app::school_register`).

use anyhow::{Context, bail};
use senco_app::school_register::{self as register, ChangeError, ImportError, Report};
use senco_domain::establishment::{AuthorityDraft, SchoolDraft};
use senco_i18n::fill;

use super::words;
use senco_store::Store;
use senco_store::school_register::{SchoolFilter, SchoolRecord};

use crate::cli::{AuthorityCommand, ReportFormat, SchoolArgs, SchoolCommand};
use crate::startup::system_clock;

/// Turns a refused change into the command's error, every problem on its own line.
fn refused(e: ChangeError) -> anyhow::Error {
    match e {
        ChangeError::Invalid(problems) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|(f, p)| {
                    fill(
                        words().sr_cli_problem,
                        &[
                            ("field", f.key()),
                            ("reason", register::reason(words(), *f, *p)),
                        ],
                    )
                })
                .collect();
            anyhow::anyhow!(lines.join("\n"))
        }
        ChangeError::Duplicate(what) => anyhow::anyhow!(register::duplicate_reason(words(), what)),
        ChangeError::Conflict => anyhow::anyhow!(words().sr_conflict),
        ChangeError::NotFound => anyhow::anyhow!(words().sr_no_results),
        ChangeError::Store(e) => e.into(),
    }
}

/// Runs `senco authority`.
pub async fn authority(
    store: &Store,
    actor: Option<&str>,
    command: AuthorityCommand,
) -> anyhow::Result<()> {
    let now = system_clock().now();
    match command {
        AuthorityCommand::Add {
            code,
            name,
            country,
        } => {
            let draft = AuthorityDraft {
                code: code.clone(),
                name: name.clone(),
                country,
            };
            let audit = super::cli_event(actor, "authority", "create");
            register::create_authority(store, &audit, &draft, now)
                .await
                .map_err(refused)?;
            println!(
                "{}",
                fill(
                    words().sr_cli_authority_added,
                    &[("code", code.trim()), ("name", name.trim())]
                )
            );
        }
        AuthorityCommand::Edit {
            code,
            new_code,
            name,
            country,
        } => {
            let Some(old) = store.authority_by_code(code.trim()).await? else {
                bail!(fill(words().sr_cli_no_authority, &[("code", code.trim())]));
            };
            let draft = AuthorityDraft {
                code: new_code.unwrap_or(old.code.clone()),
                name: name.unwrap_or(old.name.clone()),
                country: country.unwrap_or(old.country.as_str().to_string()),
            };
            let audit = super::cli_event(actor, "authority", "update");
            register::edit_authority(store, &audit, &old.id, old.version, &draft, now)
                .await
                .map_err(refused)?;
            println!(
                "{}",
                fill(
                    words().sr_cli_authority_changed,
                    &[("code", draft.code.trim())]
                )
            );
        }
        AuthorityCommand::List { search } => {
            let mut page = 1;
            loop {
                let list = store.authority_records(&search, page, 500).await?;
                for a in &list.items {
                    println!(
                        "{}\t{}\t{}\t{}",
                        a.code,
                        a.name,
                        a.country.as_str(),
                        a.schools
                    );
                }
                if list.items.len() < 500 {
                    break;
                }
                page += 1;
            }
        }
    }
    Ok(())
}

/// The draft of a school: `base` with the options given put over it.
fn draft_from(base: SchoolDraft, args: SchoolArgs) -> SchoolDraft {
    SchoolDraft {
        estab_number: args.estab.unwrap_or(base.estab_number),
        name: args.name.unwrap_or(base.name),
        phase: args.phase.unwrap_or(base.phase),
        maintained: args.maintained.unwrap_or(base.maintained),
        street: args.street.unwrap_or(base.street),
        locality: args.locality.unwrap_or(base.locality),
        town: args.town.unwrap_or(base.town),
        postcode: args.postcode.unwrap_or(base.postcode),
        telephone: args.telephone.unwrap_or(base.telephone),
        website: args.website.unwrap_or(base.website),
        language_medium: args.language_medium.unwrap_or(base.language_medium),
        ..base
    }
}

/// A stored school as a draft (what an edit starts from).
pub fn draft_of(s: &SchoolRecord) -> SchoolDraft {
    SchoolDraft {
        urn: s.urn.clone(),
        estab_number: s.estab_number.clone(),
        name: s.name.clone(),
        phase: s.phase.as_str().to_string(),
        maintained: s.maintained,
        street: s.street.clone(),
        locality: s.locality.clone(),
        town: s.town.clone(),
        postcode: s.postcode.clone(),
        telephone: s.telephone.clone(),
        website: s.website.clone(),
        language_medium: s
            .language_medium
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
        closed: s.closed,
        closed_on: s.closed_on.map(senco_store::ds).unwrap_or_default(),
    }
}

/// Runs `senco school`.
pub async fn school(
    store: &Store,
    actor: Option<&str>,
    command: SchoolCommand,
) -> anyhow::Result<()> {
    let now = system_clock().now();
    match command {
        SchoolCommand::Framework {
            urn,
            framework,
            from,
            dry_run,
        } => {
            let audit = super::cli_event(actor, "school_framework", "create");
            let change = super::school_frameworks::Change {
                urn: &urn,
                framework: &framework,
                from: &from,
                dry_run,
            };
            super::school_frameworks::change(store, &audit, &change).await?;
        }
        SchoolCommand::Frameworks { urn } => super::school_frameworks::list(store, &urn).await?,
        SchoolCommand::Add { urn, details } => {
            let la = details.authority.clone().unwrap_or_default();
            let draft = draft_from(
                SchoolDraft {
                    urn: urn.clone(),
                    maintained: true,
                    ..SchoolDraft::default()
                },
                details,
            );
            let audit = super::cli_event(actor, "school", "create");
            register::create_school(store, &audit, &la, &draft, now)
                .await
                .map_err(refused)?;
            println!(
                "{}",
                fill(
                    words().sr_cli_school_added,
                    &[("urn", urn.trim()), ("name", draft.name.trim())]
                )
            );
        }
        SchoolCommand::Edit {
            urn,
            new_urn,
            details,
            close,
            reopen,
        } => {
            let Some(id) = store.school_id_by_urn(urn.trim()).await? else {
                bail!(fill(words().sr_cli_no_school, &[("urn", urn.trim())]));
            };
            let old = store.school_record(&id).await?;
            let la = details.authority.clone().unwrap_or(old.la_code.clone());
            let mut draft = draft_from(draft_of(&old), details);
            if let Some(u) = new_urn {
                draft.urn = u;
            }
            if let Some(date) = close {
                draft.closed = true;
                draft.closed_on = date;
            }
            if reopen {
                draft.closed = false;
                draft.closed_on = String::new();
            }
            let audit = super::cli_event(actor, "school", "update");
            register::edit_school(store, &audit, &id, old.version, &la, &draft, now)
                .await
                .map_err(refused)?;
            println!(
                "{}",
                fill(words().sr_cli_school_changed, &[("urn", draft.urn.trim())])
            );
        }
        SchoolCommand::List { search } => {
            let filter = SchoolFilter {
                search,
                la_id: None,
            };
            let mut page = 1;
            loop {
                let list = store.school_records(&filter, page, 500).await?;
                for s in &list.items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        s.urn,
                        s.la_code,
                        s.estab_number,
                        s.name,
                        s.phase.as_str(),
                        if s.closed {
                            words().sr_status_closed
                        } else {
                            words().sr_status_open
                        }
                    );
                }
                if list.items.len() < 500 {
                    break;
                }
                page += 1;
            }
        }
    }
    Ok(())
}

fn print_text(p: &register::RegisterPreview) {
    println!("{}", register::summary(words(), p));
    for x in &p.problems {
        println!(
            "{}",
            fill(
                words().sr_cli_line_problem,
                &[
                    ("line", &x.line.to_string()),
                    ("column", &x.column),
                    ("value", &x.value),
                    ("reason", register::row_reason(words(), x.code)),
                ]
            )
        );
    }
    for (r, _) in &p.new {
        println!(
            "{}",
            fill(
                words().sr_cli_new,
                &[
                    ("line", &r.line.to_string()),
                    ("urn", &r.school.urn.to_string()),
                    ("name", &r.school.name),
                ]
            )
        );
    }
    for c in &p.changed {
        for f in &c.changes {
            println!(
                "{}",
                fill(
                    words().sr_cli_change,
                    &[
                        ("line", &c.line.to_string()),
                        ("urn", &c.school.urn.to_string()),
                        ("field", f.field),
                        ("before", &f.before),
                        ("after", &f.after),
                    ]
                )
            );
        }
    }
}

fn print(p: &register::RegisterPreview, format: ReportFormat, written: bool) -> anyhow::Result<()> {
    match format {
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&Report::new(p, written))?
        ),
        ReportFormat::Text => print_text(p),
    }
    Ok(())
}

/// Runs `senco import schools FILE [--dry-run]`.
pub async fn import(
    store: &Store,
    actor: Option<&str>,
    file: &std::path::Path,
    dry_run: bool,
    format: ReportFormat,
) -> anyhow::Result<()> {
    let limit = senco_interop::schools_csv::MAX_BYTES;
    let size = std::fs::metadata(file)
        .with_context(|| file.display().to_string())?
        .len();
    if usize::try_from(size).unwrap_or(usize::MAX) > limit {
        bail!(fill(
            words().sr_cli_too_large,
            &[("limit", &(limit / (1024 * 1024)).to_string())]
        ));
    }
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    if dry_run {
        let preview = match register::preview_import(store, &bytes).await {
            Ok(p) => p,
            Err(ImportError::File(e)) => bail!(register::file_reason(words(), &e)),
            Err(e) => return Err(e.into()),
        };
        print(&preview, format, false)?;
        if !preview.ready() {
            bail!(words().sr_cli_refused);
        }
        println!("{}", words().sr_cli_dry_run);
        return Ok(());
    }
    let audit = super::cli_event(actor, "school", "update");
    match register::apply_import(store, &audit, &bytes, system_clock().now()).await {
        Ok(p) => {
            print(&p, format, true)?;
            if format == ReportFormat::Text {
                println!(
                    "{}",
                    fill(
                        words().sr_cli_imported,
                        &[
                            ("new", &p.new.len().to_string()),
                            ("changed", &p.changed.len().to_string()),
                        ]
                    )
                );
            }
            Ok(())
        }
        Err(ImportError::Problems(p)) => {
            print(&p, format, false)?;
            bail!(words().sr_cli_refused)
        }
        Err(ImportError::File(e)) => bail!(register::file_reason(words(), &e)),
        Err(ImportError::Duplicate(what)) => bail!(register::duplicate_reason(words(), what)),
        Err(e) => Err(e.into()),
    }
}
