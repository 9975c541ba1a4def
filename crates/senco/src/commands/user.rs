//! `senco user`: accounts from the command line (the way the first administrator of a real
//! installation is made). Every change is audited under the operator's name.

use anyhow::{Context, bail};
use senco_app::credentials::hash_passphrase;
use senco_domain::person::{Email, Passphrase, PersonName};
use senco_domain::policy::Relation;
use senco_domain::role::Role;
use senco_i18n::fill;
use senco_store::Store;
use senco_store::schools::SchoolScope;
use senco_store::users::{NewUser, UserScope};

use super::{cli_event, read_passphrase_stdin};
use crate::cli::UserCommand;
use crate::startup::system_clock;

fn passphrase(raw: &str) -> anyhow::Result<Passphrase> {
    Passphrase::parse(raw).map_err(|e| anyhow::anyhow!("the passphrase is not acceptable: {e}"))
}

/// Runs a `senco user` subcommand.
pub async fn run(store: &Store, actor: Option<&str>, command: UserCommand) -> anyhow::Result<()> {
    let now = system_clock().now();
    match command {
        UserCommand::Bootstrap => {
            if store.user_count().await? > 0 {
                bail!("Senco already has accounts: make more with `senco user add` or in the web");
            }
            let token = senco_app::credentials::random_token();
            let expires = now + senco_app::bootstrap::LIFETIME;
            let mut tx = store.begin().await?;
            Store::set_setting(
                &mut tx,
                senco_app::bootstrap::TOKEN_SETTING,
                &senco_app::credentials::hash_token(&token),
            )
            .await?;
            Store::set_setting(
                &mut tx,
                senco_app::bootstrap::EXPIRES_SETTING,
                &senco_store::ts(expires),
            )
            .await?;
            Store::audit_in(&mut tx, &cli_event(actor, "bootstrap_code", "create")).await?;
            senco_store::commit(tx).await?;
            println!("Open Senco's /setup page and enter this one-time code within 24 hours:");
            println!("{token}");
        }
        UserCommand::Add {
            email,
            name,
            role,
            school,
            authority,
            password_stdin: _,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let name = PersonName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let Some(role) = Role::parse(&role) else {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                bail!("--role must be one of: {}", names.join(", "));
            };
            let school_id = match (&school, role.requires_school()) {
                (Some(urn), true) => Some(
                    store
                        .school_id_by_urn(urn)
                        .await?
                        .with_context(|| format!("no school has URN {urn}"))?,
                ),
                (None, true) => bail!("a {} account needs --school URN", role.as_str()),
                (Some(_), false) => bail!("--school is only for school roles"),
                (None, false) => None,
            };
            let la_id = match (&authority, role.requires_la()) {
                (Some(code), true) => Some(
                    store
                        .authorities()
                        .await?
                        .into_iter()
                        .find(|a| &a.code == code)
                        .with_context(|| format!("no local authority has code {code}"))?
                        .id,
                ),
                (None, true) => bail!("a la_officer account needs --authority CODE"),
                (Some(_), false) => bail!("--authority is only for la_officer accounts"),
                (None, false) => None,
            };
            let pass = passphrase(&read_passphrase_stdin()?)?;
            let hash = hash_passphrase(&pass)?;
            let mut tx = store.begin().await?;
            let id = Store::insert_user(
                &mut tx,
                &NewUser {
                    email: email.as_str(),
                    name: name.as_str(),
                    role,
                    school_id: school_id.as_deref(),
                    la_id: la_id.as_deref(),
                    password_hash: Some(&hash),
                    must_change_password: false,
                },
                now,
            )
            .await?;
            let e = cli_event(actor, "user", "create")
                .record(id)
                .school(school_id);
            Store::audit_in(&mut tx, &e).await?;
            senco_store::commit(tx).await?;
            println!("Created {} account {}.", role.label(), email.as_str());
        }
        UserCommand::List { school } => {
            let scope = match school {
                Some(urn) => UserScope::School(
                    store
                        .school_id_by_urn(&urn)
                        .await?
                        .with_context(|| format!("no school has URN {urn}"))?,
                ),
                None => UserScope::All,
            };
            let users = store.users(&scope).await?;
            if users.is_empty() {
                println!("No accounts.");
            }
            for u in users {
                println!(
                    "{:<40} {:<20} {:<30} {}",
                    u.email,
                    u.role.as_str(),
                    u.name,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserCommand::Disable { email } => {
            let user = store
                .user_by_email(&email.trim().to_lowercase())
                .await
                .with_context(|| format!("no account {email}"))?;
            let mut tx = store.begin().await?;
            Store::disable_user(&mut tx, &user.id, now)
                .await
                .with_context(|| format!("{email} is already disabled"))?;
            let e = cli_event(actor, "user", "update")
                .record(user.id)
                .school(user.school_id)
                .fields(String::from("disabled"));
            Store::audit_in(&mut tx, &e).await?;
            senco_store::commit(tx).await?;
            println!("Disabled {email}: its sessions and API tokens have ended.");
        }
        UserCommand::SetPassword {
            email,
            password_stdin: _,
        } => {
            let user = store
                .user_by_email(&email.trim().to_lowercase())
                .await
                .with_context(|| format!("no account {email}"))?;
            let pass = passphrase(&read_passphrase_stdin()?)?;
            let hash = hash_passphrase(&pass)?;
            let mut tx = store.begin().await?;
            Store::set_password(&mut tx, &user.id, &hash, true, now).await?;
            let e = cli_event(actor, "user", "update")
                .record(user.id)
                .school(user.school_id)
                .fields(String::from("password"));
            Store::audit_in(&mut tx, &e).await?;
            senco_store::commit(tx).await?;
            println!(
                "Set a new passphrase for {email}; they must choose their own when they next sign in."
            );
        }
        UserCommand::ResetTwoFactor { email } => {
            let user = store
                .user_by_email(&email.trim().to_lowercase())
                .await
                .with_context(|| format!("no account {email}"))?;
            let mut tx = store.begin().await?;
            Store::clear_totp(&mut tx, &user.id, now).await?;
            let e = cli_event(actor, "user", "update")
                .record(user.id)
                .school(user.school_id)
                .fields(String::from("two_factor_reset"));
            Store::audit_in(&mut tx, &e).await?;
            senco_store::commit(tx).await?;
            println!(
                "Removed the two-factor key of {email} and ended their sessions; they set up a new one when they next sign in."
            );
        }
        UserCommand::Import {
            file,
            dry_run,
            public_url,
        } => import(store, actor, &file, dry_run, &public_url).await?,
    }
    Ok(())
}

/// `senco user import`: staff from a CSV file, all or nothing, as the installation's
/// administrator (every school and authority; an account that reads SEN records waits for
/// approval).
async fn import(
    store: &Store,
    actor: Option<&str>,
    file: &std::path::Path,
    dry_run: bool,
    public_url: &str,
) -> anyhow::Result<()> {
    use senco_app::staff::{self, StaffImportError, StaffPreview, StaffScope};
    let m = super::words();
    let limit = senco_interop::staff_csv::MAX_BYTES;
    let size = std::fs::metadata(file)
        .with_context(|| file.display().to_string())?
        .len();
    if usize::try_from(size).unwrap_or(usize::MAX) > limit {
        bail!(fill(
            m.sr_cli_too_large,
            &[("limit", &(limit / (1024 * 1024)).max(1).to_string())]
        ));
    }
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    let scope = StaffScope {
        roles: staff::assignable_roles(Relation::Installation),
        schools: store.schools(&SchoolScope::All).await?,
        authorities: store.authorities().await?,
    };
    let print = |p: &StaffPreview| {
        for x in &p.problems {
            let line = x.line.to_string();
            let reason = m.staff_problem(x.code);
            let values = [
                ("line", line.as_str()),
                ("column", x.column),
                ("value", x.value.as_str()),
                ("reason", reason.as_str()),
            ];
            eprintln!("{}", fill(m.staff_cli_problem, &values));
        }
        for r in &p.rows {
            let place = match (&r.school, &r.authority) {
                (_, Some(a)) => a.code.clone(),
                (Some(s), None) => s.urn.clone(),
                (None, None) => String::new(),
            };
            let next = if r.pending {
                m.staff_will_wait
            } else {
                m.staff_will_invite
            };
            println!(
                "{}\t{}\t{}\t{}",
                r.row.email.as_str(),
                r.row.role.as_str(),
                place,
                next
            );
        }
        if p.problems.is_empty() {
            println!("{}", senco_app::staff::summary(m, p));
        }
    };
    let result = if dry_run {
        staff::preview(store, &scope, Role::Admin, &bytes).await
    } else {
        let event = cli_event(actor, "user", "create");
        let now = system_clock().now();
        staff::apply(
            store,
            public_url,
            &scope,
            &event,
            (Role::Admin, None),
            &bytes,
            now,
        )
        .await
    };
    match result {
        Ok(p) if p.ready() => {
            print(&p);
            if dry_run {
                println!("{}", m.staff_cli_dry_run);
            }
            Ok(())
        }
        Ok(p) | Err(StaffImportError::Problems(p)) => {
            print(&p);
            bail!(m.staff_preview_refused)
        }
        Err(StaffImportError::File(e)) => bail!(staff::file_reason(m, &e)),
        Err(StaffImportError::Store(e)) => Err(e.into()),
    }
}
