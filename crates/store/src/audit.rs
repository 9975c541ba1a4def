//! The audit log: who read or changed which record, when, and with what outcome.
//!
//! Rows hold identifiers and field names, never content. The store offers no way to change
//! or delete a row, and triggers in both schemas refuse it.

use sqlx::{Executor, Row};
use time::OffsetDateTime;

use crate::{Result, Store, Tx, parse_ts, ts};

/// One audited event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: OffsetDateTime,
    pub request_id: Option<String>,
    /// `web`, `api` or `cli`.
    pub channel: &'static str,
    pub actor_user_id: Option<String>,
    /// The account's email, or `os:NAME` for the command line.
    pub actor_label: String,
    pub actor_role: Option<String>,
    pub school_id: Option<String>,
    pub pupil_id: Option<String>,
    /// `pupil`, `contact`, `user`, `audit_trail`, ...
    pub record_type: &'static str,
    pub record_id: Option<String>,
    /// `read`, `create`, `update`, `list`, `sign_in`, ...
    pub action: &'static str,
    /// `allowed`, `denied`, `failed`, `throttled`.
    pub outcome: &'static str,
    /// Names of the fields changed, comma-separated.
    pub fields: Option<String>,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub event: AuditRecord,
}

/// An audit row as read back (owned strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: OffsetDateTime,
    pub request_id: Option<String>,
    pub channel: String,
    pub actor_label: String,
    pub actor_role: Option<String>,
    pub school_id: Option<String>,
    pub pupil_id: Option<String>,
    pub record_type: String,
    pub record_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub fields: Option<String>,
}

async fn insert<'e, E: Executor<'e, Database = sqlx::Any>>(exec: E, e: &AuditEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, request_id, channel, actor_user_id, actor_label, actor_role, \
         school_id, pupil_id, record_type, record_id, action, outcome, fields) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(ts(e.at))
    .bind(&e.request_id)
    .bind(e.channel)
    .bind(&e.actor_user_id)
    .bind(&e.actor_label)
    .bind(&e.actor_role)
    .bind(&e.school_id)
    .bind(&e.pupil_id)
    .bind(e.record_type)
    .bind(&e.record_id)
    .bind(e.action)
    .bind(e.outcome)
    .bind(&e.fields)
    .execute(exec)
    .await?;
    Ok(())
}

impl Store {
    /// Audits inside the transaction that makes the change, so both land or neither.
    pub async fn audit_in(tx: &mut Tx, e: &AuditEvent) -> Result<()> {
        insert(&mut **tx, e).await
    }

    /// Audits on its own (refusals, and batches of reads).
    pub async fn audit(&self, e: &AuditEvent) -> Result<()> {
        insert(self.pool(), e).await
    }

    /// Writes a batch of events in one transaction (one durable commit for many reads).
    pub async fn audit_batch(&self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for e in events {
            insert(&mut *tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A pupil's audit trail, newest first.
    pub async fn audit_for_pupil(
        &self,
        pupil_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditRow>, i64)> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE pupil_id = $1")
            .bind(pupil_id)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        let rows = sqlx::query(
            "SELECT seq, at, request_id, channel, actor_label, actor_role, school_id, pupil_id, \
             record_type, record_id, action, outcome, fields FROM audit_log \
             WHERE pupil_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3",
        )
        .bind(pupil_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    seq: r.try_get("seq")?,
                    event: AuditRecord {
                        at: parse_ts(&r.try_get::<String, _>("at")?)?,
                        request_id: r.try_get("request_id")?,
                        channel: r.try_get("channel")?,
                        actor_label: r.try_get("actor_label")?,
                        actor_role: r.try_get("actor_role")?,
                        school_id: r.try_get("school_id")?,
                        pupil_id: r.try_get("pupil_id")?,
                        record_type: r.try_get("record_type")?,
                        record_id: r.try_get("record_id")?,
                        action: r.try_get("action")?,
                        outcome: r.try_get("outcome")?,
                        fields: r.try_get("fields")?,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((items, total))
    }

    /// Counts audit rows matching an action and outcome (for tests and the operator).
    pub async fn audit_count(
        &self,
        pupil_id: Option<&str>,
        action: &str,
        outcome: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE ($1 = '' OR pupil_id = $1) AND action = $2 AND outcome = $3",
        )
        .bind(pupil_id.unwrap_or(""))
        .bind(action)
        .bind(outcome)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }
}
