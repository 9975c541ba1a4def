//! The audit log: who read or changed which record, when, and with what outcome.
//!
//! Rows hold identifiers and field names, never content. The store offers no way to change
//! or delete a row, and triggers in both schemas refuse it; the one exception is the audit
//! log's own retention, `Store::prune_audit` (in `retention.rs`), which removes the oldest
//! rows under a permit and moves the chain's anchor.

use sqlx::Row;
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

/// Chainable setters, so that an event is built in one expression:
/// `actor.event(app, "plan", "update", "allowed").school(..).pupil(..).record(..)`.
/// Each takes a value or an `Option` (`None` leaves the column empty).
impl AuditEvent {
    /// The school the record belongs to.
    pub fn school(mut self, id: impl Into<Option<String>>) -> Self {
        self.school_id = id.into();
        self
    }

    /// The pupil the record is about.
    pub fn pupil(mut self, id: impl Into<Option<String>>) -> Self {
        self.pupil_id = id.into();
        self
    }

    /// The record read or changed.
    pub fn record(mut self, id: impl Into<Option<String>>) -> Self {
        self.record_id = id.into();
        self
    }

    /// The names of the fields changed, comma-separated.
    pub fn fields(mut self, names: impl Into<Option<String>>) -> Self {
        self.fields = names.into();
        self
    }
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

/// The hash of a row: SHA-256 over the previous row's hash and the row's fields, each
/// separated by a unit separator (no field can contain one undetected: lengths are included).
pub fn row_hash(prev: &str, e: &AuditRecord) -> String {
    use sha2::{Digest, Sha256};
    let fields: [&str; 12] = [
        &ts(e.at),
        e.request_id.as_deref().unwrap_or(""),
        &e.channel,
        &e.actor_label,
        e.actor_role.as_deref().unwrap_or(""),
        e.school_id.as_deref().unwrap_or(""),
        e.pupil_id.as_deref().unwrap_or(""),
        &e.record_type,
        e.record_id.as_deref().unwrap_or(""),
        &e.action,
        &e.outcome,
        e.fields.as_deref().unwrap_or(""),
    ];
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    for f in fields {
        h.update([0x1f]);
        h.update(f.len().to_string().as_bytes());
        h.update([0x1e]);
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn record_of(e: &AuditEvent) -> AuditRecord {
    AuditRecord {
        at: e.at,
        request_id: e.request_id.clone(),
        channel: e.channel.to_string(),
        actor_label: e.actor_label.clone(),
        actor_role: e.actor_role.clone(),
        school_id: e.school_id.clone(),
        pupil_id: e.pupil_id.clone(),
        record_type: e.record_type.to_string(),
        record_id: e.record_id.clone(),
        action: e.action.to_string(),
        outcome: e.outcome.to_string(),
        fields: e.fields.clone(),
    }
}

/// Appends rows to the chain inside `tx`, reading and writing the chain head once. The head
/// row is locked for the rest of the transaction (PostgreSQL: `FOR UPDATE`; SQLite: write
/// transactions are serialised), so concurrent writers queue rather than fork the chain.
async fn insert_all(tx: &mut Tx, backend: crate::Backend, events: &[AuditEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let lock = match backend {
        crate::Backend::Postgres => {
            "SELECT last_seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"
        }
        crate::Backend::Sqlite => "SELECT last_seq, hash FROM audit_chain_head WHERE id = 1",
    };
    let head = sqlx::query(lock).fetch_one(&mut **tx).await?;
    let mut prev: String = head.try_get("hash")?;
    let mut seq: i64 = head.try_get("last_seq")?;
    for e in events {
        let hash = row_hash(&prev, &record_of(e));
        let row = sqlx::query(
            "INSERT INTO audit_log (at, request_id, channel, actor_user_id, actor_label, actor_role, \
             school_id, pupil_id, record_type, record_id, action, outcome, fields, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING seq",
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
        .bind(&prev)
        .bind(&hash)
        .fetch_one(&mut **tx)
        .await?;
        seq = row.try_get("seq")?;
        prev = hash;
    }
    sqlx::query("UPDATE audit_chain_head SET last_seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends one row to the chain inside `tx`.
async fn insert(tx: &mut Tx, backend: crate::Backend, e: &AuditEvent) -> Result<()> {
    insert_all(tx, backend, std::slice::from_ref(e)).await
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    pub rows: i64,
    /// Rows written before the chain existed (no hash, all before the chain's first row).
    pub unsealed: i64,
    /// The first row whose hash or link is wrong, and why.
    pub first_bad: Option<(i64, &'static str)>,
    /// Anchors (heads kept outside the database) the chain was found to pass through.
    pub anchors_checked: i64,
    /// Anchors older than the pruned part of the log, which can no longer be checked.
    pub anchors_pruned: i64,
    /// The chain's head now: keep it outside the database to check against later.
    pub head: AuditAnchor,
}

/// The chain's head at some moment, `SEQ:HASH`, kept outside the database (the server's log,
/// each backup's manifest and output) so that a chain recomputed by someone who can write
/// to the database alone no longer passes through it (SR-27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The last row's sequence number (0 before the first row).
    pub seq: i64,
    /// That row's hash (`genesis` before the first row).
    pub hash: String,
}

impl AuditAnchor {
    /// The name under which anchors are written to the log and to a backup's output:
    /// `senco_audit_anchor=SEQ:HASH` (or `"senco_audit_anchor":"SEQ:HASH"` in JSON logs).
    pub const LOG_FIELD: &'static str = "senco_audit_anchor";

    /// Reads `SEQ:HASH`.
    pub fn parse(s: &str) -> Option<AuditAnchor> {
        let (seq, hash) = s.trim().split_once(':')?;
        let seq: i64 = seq.parse().ok()?;
        let hash_ok = (hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            || (seq == 0 && hash == "genesis");
        (seq >= 0 && hash_ok).then(|| AuditAnchor {
            seq,
            hash: hash.to_string(),
        })
    }

    /// Every anchor written in `text` (a log file, a backup's output) after
    /// [`AuditAnchor::LOG_FIELD`], in the order found.
    pub fn find_all(text: &str) -> Vec<AuditAnchor> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find(Self::LOG_FIELD) {
            rest = &rest[at + Self::LOG_FIELD.len()..];
            let value = rest.trim_start_matches(['"', ':', '=', ' ']);
            let end = value
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
                .unwrap_or(value.len());
            if let Some(a) = Self::parse(&value[..end]) {
                out.push(a);
            }
        }
        out
    }
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// Rows that belong in a pupil's trail: sealed ones, and unsealed ones from before the
/// chain's first row. An unsealed row after it was planted (`senco audit verify` names it)
/// and is not shown as genuine.
const GENUINE: &str = "((hash IS NOT NULL AND hash <> '' AND prev_hash IS NOT NULL AND prev_hash <> '') \
     OR (seq >= 1 AND seq < COALESCE((SELECT MIN(s.seq) FROM audit_log s WHERE s.hash IS NOT NULL AND s.hash <> ''), 9223372036854775807)))";

impl Store {
    /// Audits inside the transaction that makes the change, so both land or neither.
    pub async fn audit_in(tx: &mut Tx, e: &AuditEvent) -> Result<()> {
        let backend = tx_backend(tx);
        insert(tx, backend, e).await
    }

    /// Audits many changes inside the transaction that makes them (an import), reading and
    /// writing the chain head once rather than once per row.
    pub async fn audit_many_in(tx: &mut Tx, events: &[AuditEvent]) -> Result<()> {
        let backend = tx_backend(tx);
        insert_all(tx, backend, events).await
    }

    /// Audits on its own (refusals, and batches of reads).
    pub async fn audit(&self, e: &AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        insert(&mut tx, self.backend(), e).await?;
        crate::commit(tx).await
    }

    /// Writes a batch of events in one transaction (one durable commit for many reads).
    pub async fn audit_batch(&self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        insert_all(&mut tx, self.backend(), events).await?;
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
        // SQL-SAFE: GENUINE is a constant.
        let count =
            format!("SELECT COUNT(*) AS n FROM audit_log WHERE pupil_id = $1 AND {GENUINE}");
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(count))
            .bind(pupil_id)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        // SQL-SAFE: GENUINE is a constant.
        let list = format!(
            "SELECT seq, at, request_id, channel, actor_label, actor_role, school_id, pupil_id, \
             record_type, record_id, action, outcome, fields FROM audit_log \
             WHERE pupil_id = $1 AND {GENUINE} ORDER BY seq DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(list))
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

pub(crate) fn tx_backend(tx: &mut Tx) -> crate::Backend {
    match tx.backend_name() {
        "PostgreSQL" => crate::Backend::Postgres,
        _ => crate::Backend::Sqlite,
    }
}

impl Store {
    /// The chain's head now (the last row's sequence number and hash), to keep outside the
    /// database as an anchor.
    pub async fn audit_head(&self) -> Result<AuditAnchor> {
        let head = sqlx::query("SELECT last_seq, hash FROM audit_chain_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(AuditAnchor {
            seq: head.try_get("last_seq")?,
            hash: head.try_get("hash")?,
        })
    }

    /// Walks the audit log in order and checks every row's link and hash, and that the head
    /// holds the last row's hash (a removed tail shows there).
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        self.verify_audit_against(&[]).await
    }

    /// As [`Store::verify_audit`], and checks that the chain still passes through each of
    /// `anchors` (heads kept outside the database): a chain recomputed after a row was
    /// changed or removed no longer does, from the changed row on.
    ///
    /// Rows without a hash are accepted only before the chain's first row (rows written
    /// before the chain existed); one after it was added later and is the first bad row.
    pub async fn verify_audit_against(&self, anchors: &[AuditAnchor]) -> Result<AuditCheck> {
        // The rows, the prune anchor and the head are read in one snapshot: read one by one,
        // a row committed in between (by a running server, or by a transaction a killed one
        // had already sent) made an intact log look as if its tail had been removed.
        let mut tx = match self.backend() {
            crate::Backend::Sqlite => self.pool().begin().await?,
            crate::Backend::Postgres => {
                self.pool()
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        };
        let rows = sqlx::query(
            "SELECT seq, at, request_id, channel, actor_label, actor_role, school_id, pupil_id, record_type, \
             record_id, action, outcome, fields, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        // After a prune (`senco audit prune`) the chain starts at the anchor: the hash of the
        // last row removed. Without one, it starts at "genesis".
        let anchor = sqlx::query(
            "SELECT anchor_seq, anchor_hash, last_seq, hash FROM audit_chain_head WHERE id = 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.rollback().await?;
        let anchor_seq: i64 = anchor.try_get("anchor_seq")?;
        let anchor_hash: String = anchor.try_get("anchor_hash")?;
        let head = AuditAnchor {
            seq: anchor.try_get("last_seq")?,
            hash: anchor.try_get("hash")?,
        };
        let mut check = AuditCheck {
            rows: rows.len() as i64,
            unsealed: 0,
            first_bad: None,
            anchors_checked: 0,
            anchors_pruned: 0,
            head: head.clone(),
        };
        let wanted: std::collections::HashSet<i64> = anchors.iter().map(|a| a.seq).collect();
        let mut seen: std::collections::HashMap<i64, String> = Default::default();
        // The chain has started once a pruned anchor exists or a sealed row has been seen.
        let mut started = anchor_seq > 0;
        let mut prev = anchor_hash.clone();
        let mut last_seq = anchor_seq;
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            if seq <= anchor_seq {
                check.first_bad = Some((seq, "the row is older than the pruned part of the log"));
                return Ok(check);
            }
            let stored_prev: Option<String> = r.try_get("prev_hash")?;
            let stored: Option<String> = r.try_get("hash")?;
            let sealed = stored_prev
                .filter(|h| !h.is_empty())
                .zip(stored.filter(|h| !h.is_empty()));
            let Some((stored_prev, stored)) = sealed else {
                // Senco numbers rows from 1; a lower number was chosen by hand.
                if started || seq < 1 {
                    check.first_bad = Some((
                        seq,
                        "the row has no hash but comes after the chain's first row (it was added later)",
                    ));
                    return Ok(check);
                }
                check.unsealed += 1;
                continue;
            };
            started = true;
            let record = AuditRecord {
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
            };
            if stored_prev != prev {
                check.first_bad = Some((seq, "the row before it was changed or removed"));
                return Ok(check);
            }
            if row_hash(&prev, &record) != stored {
                check.first_bad = Some((seq, "the row was changed"));
                return Ok(check);
            }
            if wanted.contains(&seq) {
                seen.insert(seq, stored.clone());
            }
            prev = stored;
            last_seq = seq;
        }
        if head.hash != prev {
            check.first_bad = Some((
                last_seq.max(head.seq),
                "rows at the end of the log were removed",
            ));
            return Ok(check);
        }
        let mut sorted: Vec<&AuditAnchor> = anchors.iter().collect();
        sorted.sort_by_key(|a| a.seq);
        for a in sorted {
            let found = if a.seq < anchor_seq {
                check.anchors_pruned += 1;
                continue;
            } else if a.seq == anchor_seq {
                Some(&anchor_hash)
            } else if a.seq > last_seq {
                check.first_bad = Some((
                    a.seq,
                    "an anchor kept outside the database names this row, but the log ends before it (rows at the end were removed)",
                ));
                return Ok(check);
            } else {
                seen.get(&a.seq)
            };
            match found {
                Some(h) if *h == a.hash => check.anchors_checked += 1,
                Some(_) => {
                    check.first_bad = Some((
                        a.seq,
                        "the row's hash differs from an anchor kept outside the database: the log up to this row was changed and its chain recomputed",
                    ));
                    return Ok(check);
                }
                None => {
                    check.first_bad = Some((
                        a.seq,
                        "an anchor kept outside the database names this row, but it is missing: rows were removed and the chain recomputed",
                    ));
                    return Ok(check);
                }
            }
        }
        Ok(check)
    }

    /// Every audit row about a pupil, oldest first (for the "who has seen this record" export).
    pub async fn audit_for_pupil_all(&self, pupil_id: &str) -> Result<Vec<AuditRow>> {
        let (mut rows, _) = self.audit_for_pupil(pupil_id, i64::MAX / 2, 0).await?;
        rows.reverse();
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::AuditAnchor;

    #[test]
    fn anchors_are_read_from_text_and_json_logs_and_bad_ones_are_refused() {
        let h = "ab".repeat(32);
        let a = AuditAnchor::parse(&format!("12:{h}")).unwrap();
        assert_eq!((a.seq, a.hash.as_str()), (12, h.as_str()));
        assert_eq!(a.to_string(), format!("12:{h}"));
        assert!(AuditAnchor::parse("0:genesis").is_some());
        for bad in [
            "",
            "12",
            "x:genesis",
            "3:genesis",
            "-1:genesis",
            &format!("12:{}", "AB".repeat(32)),
            &format!("12:{}", "ab".repeat(31)),
        ] {
            assert!(AuditAnchor::parse(bad).is_none(), "{bad:?}");
        }
        let text = format!(
            "2026-12-07T10:00:00Z INFO senco::startup: audit chain head senco_audit_anchor=7:{h} when=\"start\"\n\
             {{\"fields\":{{\"message\":\"audit chain head\",\"senco_audit_anchor\":\"9:{h}\"}}}}\n\
             Audit chain head: senco_audit_anchor=0:genesis\n\
             senco_audit_anchor=nonsense\n"
        );
        let found: Vec<String> = AuditAnchor::find_all(&text)
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            found,
            [format!("7:{h}"), format!("9:{h}"), "0:genesis".into()]
        );
    }
}
