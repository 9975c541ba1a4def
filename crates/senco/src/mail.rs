//! Delivering the email outbox: by SMTP when `SENCO_SMTP_URL` is set, otherwise as `.eml`
//! files in a folder (development, tests, and installations that pick mail up another way).
//!
//! Messages are queued in the database in the transaction of the change that causes them,
//! so a crash never sends mail about a change that did not happen; delivery is retried.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use senco_app::Clock;
use senco_store::Store;
use senco_store::outbox::OutboxMessage;

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// Write each message to `DIR/ID.eml`.
    Files(PathBuf),
    /// Send through an SMTP server: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// or `smtps://user:pass@host:465`.
    Smtp { url: String, from: String },
}

/// Sends every pending message once; failures are recorded and retried on the next call.
pub async fn deliver(store: &Store, clock: &dyn Clock, delivery: &Delivery) -> anyhow::Result<()> {
    let pending = store.pending_emails(50).await?;
    if pending.is_empty() {
        return Ok(());
    }
    let smtp = match delivery {
        Delivery::Smtp { url, .. } => Some(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .context("SENCO_SMTP_URL is not a valid SMTP URL")?
                .build(),
        ),
        Delivery::Files(dir) => {
            tokio::fs::create_dir_all(dir).await?;
            None
        }
    };
    for message in pending {
        let result = match (&smtp, delivery) {
            (Some(transport), Delivery::Smtp { from, .. }) => send(transport, from, &message).await,
            (_, Delivery::Files(dir)) => write(dir, &message).await,
            _ => Ok(()),
        };
        match result {
            Ok(()) => store.mark_email_sent(&message.id, clock.now()).await?,
            Err(e) => {
                tracing::warn!(message_id = %message.id, error = format!("{e:#}"), "email not delivered");
                store
                    .mark_email_failed(&message.id, &format!("{e:#}"))
                    .await?;
            }
        }
    }
    Ok(())
}

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &str,
    m: &OutboxMessage,
) -> anyhow::Result<()> {
    let from: Mailbox = from
        .parse()
        .context("SENCO_MAIL_FROM is not a valid address")?;
    let to: Mailbox = m
        .to_address
        .parse()
        .context("the recipient address is not valid")?;
    let email = Message::builder()
        .from(from)
        .to(to)
        .subject(&m.subject)
        .body(m.body.clone())
        .context("building the message")?;
    transport
        .send(email)
        .await
        .context("the SMTP server refused the message")?;
    Ok(())
}

async fn write(dir: &std::path::Path, m: &OutboxMessage) -> anyhow::Result<()> {
    let text = format!(
        "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        m.to_address, m.subject, m.body
    );
    tokio::fs::write(dir.join(format!("{}.eml", m.id)), text).await?;
    Ok(())
}
