//! Bulk loading for `senco generate`: rows written whole in multi-row `INSERT`s inside the
//! caller's (large) transaction, rather than one statement per row through the modules'
//! own inserts (which stamp an audit row each).
//!
//! Table and column names come from code and are checked against [`may_write`] and
//! `[a-z0-9_]`; every value is bound. A statement binds at most [`MAX_PARAMS`] values,
//! below SQLite's 32,766 and PostgreSQL's 65,535.

use sqlx::Row;

use crate::audit::{AuditEvent, record_of, row_hash, tx_backend};
use crate::plans::PlanFields;
use crate::pupil_tables::{OnDestruction, PUPIL_TABLES};
use crate::pupils::PupilFields;
use crate::record::Val;
use crate::{Result, Store, StoreError, Tx, ts};

/// The tables of a school (not of one pupil) a bulk load may write.
pub const SCHOOL_TABLES: &[&str] = &[
    "users",
    "reg_groups",
    "provisions",
    "agencies",
    "agency_people",
];

/// Whether a bulk load may write `table`: a school's table, or a pupil table of
/// [`PUPIL_TABLES`] that holds the pupil's records (not the logs that keep ids only).
pub fn may_write(table: &str) -> bool {
    SCHOOL_TABLES.contains(&table)
        || PUPIL_TABLES
            .iter()
            .any(|t| t.name == table && t.on_destruction == OnDestruction::Deleted)
}

/// The most values one statement binds.
pub const MAX_PARAMS: usize = 30_000;

/// The most rows one statement writes: on SQLite larger statements gain nothing and cost
/// time to prepare (the cost grows faster than the rows); on PostgreSQL every statement is
/// a round trip, so they are larger.
pub fn rows_per_statement(backend: crate::Backend) -> usize {
    match backend {
        crate::Backend::Sqlite => 25,
        crate::Backend::Postgres => 250,
    }
}

/// Rows waiting to be written to one table.
#[derive(Debug)]
pub struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Val>,
}

impl Rows {
    /// An empty buffer for `table` with these columns (in the order of every pushed row).
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Rows {
            table,
            columns,
            values: Vec::new(),
        }
    }

    /// Adds a row; it must hold one value per column.
    pub fn push(&mut self, row: Vec<Val>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.values.extend(row);
    }

    /// Rows waiting.
    pub fn len(&self) -> usize {
        self.values.len() / self.columns.len().max(1)
    }

    /// Whether no row is waiting.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The text the register's search matches for a pupil (as `insert_pupil` writes it).
pub fn pupil_search_text(f: &PupilFields) -> String {
    f.search_text()
}

/// A plan's version snapshot, as `insert_plan` keeps it.
pub fn plan_snapshot(f: &PlanFields) -> Result<String> {
    serde_json::to_string(f).map_err(|e| StoreError::Malformed(e.to_string()))
}

impl Store {
    /// After a bulk load, PostgreSQL: gathers the planner's statistics at once (`ANALYZE`)
    /// rather than when autovacuum next gets to them. Without them, a teacher's pupil list
    /// on a freshly generated authority was planned as a scan of every pupil (25 ms, not
    /// 0.4 ms). SQLite keeps no statistics unless asked, and Senco's plans there are made
    /// without them, so it is left alone.
    pub async fn refresh_statistics(&self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::raw_sql("ANALYZE").execute(self.pool()).await?;
        }
        Ok(())
    }

    /// Writes and empties a buffer in statements of at most [`MAX_PARAMS`] values. Returns
    /// the number of rows written.
    pub async fn bulk_insert(tx: &mut Tx, rows: &mut Rows) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        if !may_write(rows.table)
            || rows.columns.is_empty()
            || rows.columns.iter().any(|c| {
                !c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            })
            || !rows.values.len().is_multiple_of(rows.columns.len())
        {
            return Err(StoreError::Malformed(format!(
                "bad bulk load of {}",
                rows.table
            )));
        }
        let width = rows.columns.len();
        let per_statement = (MAX_PARAMS / width).clamp(1, rows_per_statement(tx_backend(tx)));
        let mut written = 0;
        let values = std::mem::take(&mut rows.values);
        for chunk in values.chunks(per_statement * width) {
            let mut sql = String::with_capacity(chunk.len() * 6 + 100);
            sql.push_str("INSERT INTO ");
            sql.push_str(rows.table);
            sql.push_str(" (");
            sql.push_str(&rows.columns.join(", "));
            sql.push_str(") VALUES ");
            for (i, _) in chunk.chunks(width).enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 0..width {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('$');
                    sql.push_str(&(i * width + c + 1).to_string());
                }
                sql.push(')');
            }
            // SQL-SAFE: the table is checked by may_write and the column names
            // (`&'static str` from code) against [a-z0-9_] above; every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in chunk {
                q = match v {
                    Val::Text(s) => q.bind(s.clone()),
                    Val::Int(i) => q.bind(*i),
                    Val::Blob(b) => q.bind(b.clone()),
                };
            }
            written += q.execute(&mut **tx).await?.rows_affected();
        }
        Ok(written)
    }

    /// Appends audit rows to the hash chain in multi-row statements: the same chain as
    /// [`Store::audit_many_in`] (head read and locked once, each row's hash over the previous
    /// one), so `senco audit verify` accepts it.
    pub async fn bulk_audit(tx: &mut Tx, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let backend = tx_backend(tx);
        let lock = match backend {
            crate::Backend::Postgres => {
                "SELECT last_seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"
            }
            crate::Backend::Sqlite => "SELECT last_seq, hash FROM audit_chain_head WHERE id = 1",
        };
        let head = sqlx::query(lock).fetch_one(&mut **tx).await?;
        let mut prev: String = head.try_get("hash")?;
        for chunk in events.chunks(rows_per_statement(backend).min(MAX_PARAMS / 15)) {
            let mut sql = String::from(
                "INSERT INTO audit_log (at, request_id, channel, actor_user_id, actor_label, actor_role, \
                 school_id, pupil_id, record_type, record_id, action, outcome, fields, prev_hash, hash) VALUES ",
            );
            let mut args: Vec<Option<String>> = Vec::with_capacity(chunk.len() * 15);
            for (i, e) in chunk.iter().enumerate() {
                let hash = row_hash(&prev, &record_of(e));
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 0..15 {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('$');
                    sql.push_str(&(i * 15 + c + 1).to_string());
                }
                sql.push(')');
                args.extend([
                    Some(ts(e.at)),
                    e.request_id.clone(),
                    Some(e.channel.to_string()),
                    e.actor_user_id.clone(),
                    Some(e.actor_label.clone()),
                    e.actor_role.clone(),
                    e.school_id.clone(),
                    e.pupil_id.clone(),
                    Some(e.record_type.to_string()),
                    e.record_id.clone(),
                    Some(e.action.to_string()),
                    Some(e.outcome.to_string()),
                    e.fields.clone(),
                    Some(prev.clone()),
                    Some(hash.clone()),
                ]);
                prev = hash;
            }
            // SQL-SAFE: fixed text and numbered placeholders only; every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in args {
                q = q.bind(a);
            }
            q.execute(&mut **tx).await?;
        }
        let seq: i64 = sqlx::query("SELECT MAX(seq) AS seq FROM audit_log")
            .fetch_one(&mut **tx)
            .await?
            .try_get("seq")?;
        sqlx::query("UPDATE audit_chain_head SET last_seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&prev)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
