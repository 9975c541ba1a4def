//! The email outbox: messages are written in the same transaction as the change that causes
//! them, and a worker delivers them later (to files in development, by SMTP when configured).

use sqlx::Row;
use time::OffsetDateTime;

use crate::{Result, Store, Tx, new_id, ts};

/// A message waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

impl Store {
    /// Queues a message.
    pub async fn enqueue_email(
        tx: &mut Tx,
        to: &str,
        subject: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO outbox (id, to_address, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Messages not yet sent, oldest first, skipping those that failed too often.
    pub async fn pending_emails(&self, limit: i64) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "SELECT id, to_address, subject, body, attempts FROM outbox \
             WHERE sent_at IS NULL AND attempts < 10 ORDER BY created_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxMessage {
                    id: r.try_get("id")?,
                    to_address: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Marks a message delivered.
    pub async fn mark_email_sent(&self, id: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE outbox SET sent_at = $2, attempts = attempts + 1 WHERE id = $1")
            .bind(id)
            .bind(ts(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a failed delivery attempt.
    pub async fn mark_email_failed(&self, id: &str, error: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1")
            .bind(id)
            .bind(error)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
