//! `senco token`: API tokens. A token is printed once; only its hash is stored.

use anyhow::Context;
use senco_app::credentials::{hash_token, random_token};
use senco_store::Store;

use super::cli_event;
use crate::cli::TokenCommand;
use crate::startup::system_clock;

/// Runs a `senco token` subcommand.
pub async fn run(store: &Store, actor: Option<&str>, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { email, name } => {
            let user = store
                .user_by_email(&email.trim().to_lowercase())
                .await
                .with_context(|| format!("no account {email}"))?;
            if user.disabled {
                anyhow::bail!("{email} is disabled");
            }
            let token = random_token();
            let mut tx = store.begin().await?;
            let id = Store::insert_token(
                &mut tx,
                &user.id,
                name.trim(),
                &hash_token(&token),
                system_clock().now(),
            )
            .await?;
            let e = cli_event(actor, "api_token", "create")
                .record(id)
                .school(user.school_id);
            Store::audit_in(&mut tx, &e).await?;
            senco_store::commit(tx).await?;
            eprintln!("API token for {email} (shown once; keep it secret):");
            println!("{token}");
        }
    }
    Ok(())
}
