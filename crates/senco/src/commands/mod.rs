//! The commands, one module each.

pub mod audit;
pub mod backup;
pub mod calendar;
pub mod demo;
mod demo_provision;
pub mod export;
pub mod generate;
pub mod import;
pub mod record;
pub mod retention;
pub mod school_frameworks;
pub mod schools;
pub mod settings;
pub mod token;
pub mod user;

use std::io::Read;
use std::time::Duration;

use anyhow::Context;
use senco_store::Store;
use senco_web::WebConfig;

use crate::cli::{Cli, Command, ServeArgs};
use crate::startup::{Application, ServerConfig, shutdown_signal, system_clock};

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, serve } => serve_until_stopped(&db.database_url, &serve, None).await,
        Command::Demo {
            db,
            serve,
            force,
            no_serve,
            json,
            seed,
        } => demo::run(&db.database_url, &serve, force, no_serve, json, seed).await,
        Command::Generate {
            db,
            schools,
            pupils,
            seed,
            force,
            json,
        } => {
            let opts = senco_synth::GenerateOptions {
                schools,
                pupils,
                seed,
            };
            generate::run(&db.database_url, &opts, force, json).await
        }
        Command::Migrate { db, grant_to } => {
            let store = open(&db.database_url).await?;
            let report = store.migrate(system_clock().now()).await?;
            if let Some(role) = grant_to {
                store.grant_to(&role).await?;
                println!(
                    "{role} may now read and write Senco's tables (row-level security applies)."
                );
            }
            if report.applied.is_empty() {
                println!(
                    "The database is up to date (schema version {}).",
                    report.version
                );
            } else {
                for (version, name) in report.applied {
                    println!("Applied migration {version}: {name}");
                }
            }
            Ok(())
        }
        Command::User { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            user::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Audit { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            audit::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Settings { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            settings::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Import { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            import::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Token { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            token::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Retention { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            retention::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Export { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.require_current_schema().await?;
            export::run(&store, actor.actor.as_deref(), command).await
        }
        Command::Backup {
            db,
            actor,
            key,
            command,
            file,
        } => {
            backup::run(
                &db.database_url,
                actor.actor.as_deref(),
                key.key_file.as_deref(),
                command,
                file,
            )
            .await
        }
        Command::Restore(args) => backup::run_restore(args).await,
        Command::Authority { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            schools::authority(&store, actor.actor.as_deref(), command).await
        }
        Command::School { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            schools::school(&store, actor.actor.as_deref(), command).await
        }
        Command::Calendar { db, actor, command } => {
            let store = open(&db.database_url).await?;
            store.migrate(system_clock().now()).await?;
            calendar::run(&store, actor.actor.as_deref(), command).await
        }
    }
}

/// Opens the store, naming the database (without its password) when that fails.
pub async fn open(url: &str) -> anyhow::Result<Store> {
    Store::connect(url).await.with_context(|| {
        format!(
            "could not open the database {}",
            senco_store::redact_url(url)
        )
    })
}

/// The web settings from the command line.
pub fn web_config(serve: &ServeArgs) -> WebConfig {
    WebConfig {
        assets_dir: serve.assets_dir.clone(),
        trusted_proxies: serve.trusted_proxies.clone(),
        session_idle: Duration::from_secs(serve.session_idle_minutes * 60),
        session_absolute: Duration::from_secs(serve.session_absolute_hours * 3600),
        address_attempts: serve.address_attempts,
        source_url: serve.source_url.clone(),
        public_url: serve
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", serve.bind)),
        metrics_token: serve.metrics_token.clone().filter(|t| !t.trim().is_empty()),
        ..WebConfig::default()
    }
}

/// Starts the server and runs until SIGTERM or Ctrl-C. `banner` is printed once listening.
pub async fn serve_until_stopped(
    url: &str,
    serve: &ServeArgs,
    banner: Option<String>,
) -> anyhow::Result<()> {
    if !serve.assets_dir.join("senco.css").exists() {
        tracing::warn!(
            dir = %serve.assets_dir.display(),
            "front-end assets are missing: run scripts/build-assets.sh, or pages will have no styles"
        );
    }
    let config = ServerConfig {
        database_url: url.to_string(),
        bind: serve.bind,
        web: web_config(serve),
        mail: match &serve.smtp_url {
            Some(url) => crate::mail::Delivery::Smtp {
                url: url.clone(),
                from: serve.mail_from.clone(),
            },
            None => crate::mail::Delivery::Files(serve.outbox_dir.clone()),
        },
    };
    let app = Application::build(config, system_clock()).await?;
    let addr = app.address()?;
    if let Some(banner) = banner {
        println!("{banner}");
    }
    println!("Senco is listening on http://{addr}");
    app.run_until_stopped(shutdown_signal()).await
}

/// Reads a passphrase from standard input (one line; the newline is not part of it).
pub fn read_passphrase_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("could not read standard input")?;
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let s = s.strip_suffix('\r').unwrap_or(s);
    Ok(s.to_string())
}

/// The audit label for someone at the command line.
pub fn os_actor(actor: Option<&str>) -> String {
    match actor {
        Some(email) => email.trim().to_lowercase(),
        None => format!(
            "os:{}",
            std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "unknown".into())
        ),
    }
}

/// The catalogue the command line speaks: English, since it is an operator's tool (pages,
/// emails and letters choose their reader's language).
pub fn words() -> &'static senco_i18n::Messages {
    senco_i18n::messages(senco_domain::lang::Lang::English)
}

/// An audit event for a change made at the command line.
pub fn cli_event(
    actor: Option<&str>,
    record_type: &'static str,
    action: &'static str,
) -> senco_store::audit::AuditEvent {
    senco_store::audit::AuditEvent {
        at: system_clock().now(),
        request_id: None,
        channel: "cli",
        actor_user_id: None,
        actor_label: os_actor(actor),
        actor_role: None,
        school_id: None,
        pupil_id: None,
        record_type,
        record_id: None,
        action,
        outcome: "allowed",
        fields: None,
    }
}
