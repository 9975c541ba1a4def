//! The database side of backups and restores (SR-35, SR-36): a consistent copy of a SQLite
//! database (`VACUUM INTO`), an exported PostgreSQL snapshot for `pg_dump`, per-table row
//! counts and checksums taken in that same snapshot (so a restore can be compared with the
//! backup), the integrity checks, and the restore drill reports.
//!
//! Checksums are over the rows' values, not over files: a table's checksum is the SHA-256 of
//! its column names and of the sorted SHA-256 digests of its rows, so row order does not
//! matter and one changed, missing or extra row changes it. Values of the two engines differ
//! in type details, so checksums are only compared within one engine (a SQLite backup is
//! restored into SQLite, a PostgreSQL one into PostgreSQL).

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::AnyTypeInfoKind;
use sqlx::{AnyConnection, Row, ValueRef};
use time::OffsetDateTime;

use crate::{Backend, Result, Store, StoreError, Tx, flag, get_flag, new_id, parse_ts, ts};

/// One table's row count and checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub name: String,
    pub rows: i64,
    /// Lower-case hex SHA-256 (see the module comment).
    pub sha256: String,
}

/// The uploaded files held in the database (specialists' reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploads {
    pub count: i64,
    pub bytes: i64,
}

/// The table that holds uploaded files as bytes, so a copy of the database holds them too.
pub const UPLOADS_TABLE: &str = "involvement_reports";

/// A table name read from the catalogue, checked before it is put into SQL text.
fn checked_name(name: &str) -> Result<&str> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(name)
    } else {
        Err(StoreError::Malformed(format!(
            "unexpected table name {name:?}"
        )))
    }
}

/// Every table of Senco's schema on this connection, by name (SQLite's own tables left out).
pub async fn tables(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = current_schema() \
             ORDER BY tablename"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("t")?))
        .collect()
}

/// Row counts and checksums of every table, read on `conn` (inside a snapshot when the
/// caller opened one). `progress` is told each table's name as it is done.
pub async fn digest_tables(
    conn: &mut AnyConnection,
    backend: Backend,
    mut progress: impl FnMut(&str),
) -> Result<Vec<TableDigest>> {
    let names = tables(conn, backend).await?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        out.push(digest_table(conn, &name).await?);
        progress(&name);
    }
    Ok(out)
}

async fn digest_table(conn: &mut AnyConnection, name: &str) -> Result<TableDigest> {
    // SQL-SAFE: a table name of the live schema, checked against [a-z0-9_] by checked_name.
    let sql = format!("SELECT * FROM {}", checked_name(name)?);
    let mut columns: Option<Vec<String>> = None;
    let mut digests: Vec<[u8; 32]> = Vec::new();
    {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            if columns.is_none() {
                columns = Some(
                    row.columns()
                        .iter()
                        .map(|c| sqlx::Column::name(c).to_string())
                        .collect(),
                );
            }
            digests.push(row_digest(&row)?);
        }
    }
    digests.sort_unstable();
    let mut h = Sha256::new();
    h.update(b"senco-table-v1\0");
    h.update(name.as_bytes());
    h.update([0]);
    for c in columns.unwrap_or_default() {
        h.update(c.as_bytes());
        h.update([0]);
    }
    h.update((digests.len() as u64).to_be_bytes());
    for d in &digests {
        h.update(d);
    }
    Ok(TableDigest {
        name: name.to_string(),
        rows: digests.len() as i64,
        sha256: hex(&h.finalize()),
    })
}

/// The SHA-256 of one row: each value with a type tag and, for text and bytes, its length.
fn row_digest(row: &sqlx::any::AnyRow) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    for i in 0..row.len() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            h.update([0]);
            continue;
        }
        let kind = raw.type_info().kind();
        match kind {
            AnyTypeInfoKind::Null => h.update([0]),
            AnyTypeInfoKind::Bool => {
                h.update([5, u8::from(row.try_get::<bool, _>(i)?)]);
            }
            AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
                h.update([1]);
                h.update(row.try_get::<i64, _>(i)?.to_be_bytes());
            }
            AnyTypeInfoKind::Real => {
                h.update([2]);
                h.update(f64::from(row.try_get::<f32, _>(i)?).to_bits().to_be_bytes());
            }
            AnyTypeInfoKind::Double => {
                h.update([2]);
                h.update(row.try_get::<f64, _>(i)?.to_bits().to_be_bytes());
            }
            AnyTypeInfoKind::Text => {
                let s: String = row.try_get(i)?;
                h.update([3]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
            AnyTypeInfoKind::Blob => {
                let b: Vec<u8> = row.try_get(i)?;
                h.update([4]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(&b);
            }
        }
    }
    Ok(h.finalize().into())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The schema version recorded in the database on `conn` (0 without migrations).
pub async fn schema_version(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT MAX(version) AS v FROM senco_migrations")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<Option<i64>, _>("v")?.unwrap_or(0))
}

/// The audit chain's head on this connection (inside the backup's snapshot), or `None`
/// for a schema older than the chain (migration 4).
pub async fn audit_head(
    conn: &mut AnyConnection,
    schema_version: i64,
) -> Result<Option<crate::audit::AuditAnchor>> {
    if schema_version < 4 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT last_seq, hash FROM audit_chain_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some(crate::audit::AuditAnchor {
        seq: row.try_get("last_seq")?,
        hash: row.try_get("hash")?,
    }))
}

/// How many uploaded files the database holds and their total size.
pub async fn uploads(conn: &mut AnyConnection) -> Result<Uploads> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) AS bytes \
         FROM involvement_reports",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Uploads {
        count: row.try_get("n")?,
        bytes: row.try_get("bytes")?,
    })
}

/// SQLite's own checks of a database: `PRAGMA integrity_check` and `foreign_key_check`.
/// Returns the problems found (empty when the database is sound).
pub async fn sqlite_checks(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let line: String = r.try_get(0)?;
        if line != "ok" {
            problems.push(format!("integrity_check: {line}"));
        }
    }
    let rows = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let table: String = r.try_get(0)?;
        let parent: String = r.try_get(2)?;
        problems.push(format!(
            "foreign_key_check: a row of {table} refers to a missing row of {parent}"
        ));
    }
    Ok(problems)
}

/// A PostgreSQL transaction whose snapshot is exported, so `pg_dump --snapshot` sees exactly
/// what the checksums read. It must stay open until `pg_dump` has finished.
pub struct Snapshot {
    tx: Tx,
    /// The id to give `pg_dump --snapshot`.
    pub id: String,
}

impl Snapshot {
    /// The connection reading in the snapshot.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Ends the snapshot (read only: nothing to keep).
    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// One restore drill (SR-36): no pupil data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillReport {
    pub id: String,
    pub ran_at: OffsetDateTime,
    /// The backup's file name (not its folder).
    pub backup_file: String,
    /// When the backup was taken, from its manifest (unknown when it could not be read).
    pub backup_created_at: Option<OffsetDateTime>,
    pub engine: String,
    pub duration_ms: i64,
    pub rto_seconds: i64,
    pub passed: bool,
    /// The step that failed, when one did.
    pub failed_step: Option<String>,
    /// Why it failed (Senco's own message; never record content).
    pub detail: Option<String>,
    pub tables_checked: i64,
    pub rows_checked: i64,
    pub senco_version: String,
}

impl Store {
    /// SQLite: writes a consistent copy of the database to `path` (`VACUUM INTO`: one read
    /// transaction, so writers carry on and the copy is a single point in time; free pages
    /// are not copied, so deleted data does not travel). `path` must not exist or be empty.
    pub async fn vacuum_into(&self, path: &str) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Malformed("VACUUM INTO is SQLite only".into()));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// PostgreSQL: opens a read-only repeatable-read transaction and exports its snapshot.
    pub async fn export_snapshot(&self) -> Result<Snapshot> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Malformed(
                "exported snapshots are PostgreSQL only".into(),
            ));
        }
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let id: String = sqlx::query("SELECT pg_export_snapshot() AS s")
            .fetch_one(&mut *tx)
            .await?
            .try_get("s")?;
        Ok(Snapshot { tx, id })
    }

    /// Whether the database has no tables at all (a safe target for a restore).
    pub async fn has_no_tables(&self) -> Result<bool> {
        let mut conn = self.pool().acquire().await?;
        Ok(tables(&mut conn, self.backend()).await?.is_empty())
    }

    /// PostgreSQL: removes everything in the current schema (for `senco restore --force`).
    pub async fn drop_everything(&self) -> Result<()> {
        match self.backend() {
            Backend::Postgres => {
                let schema: String = sqlx::query("SELECT current_schema()::text AS s")
                    .fetch_one(self.pool())
                    .await?
                    .try_get("s")?;
                let schema = checked_name(&schema)?;
                // SQL-SAFE: the current schema's own name, checked against [a-z0-9_].
                let sql = format!("DROP SCHEMA {schema} CASCADE; CREATE SCHEMA {schema};");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(self.pool())
                    .await?;
                Ok(())
            }
            Backend::Sqlite => Err(StoreError::Malformed(
                "a SQLite file is replaced, not emptied".into(),
            )),
        }
    }

    /// Records a restore drill.
    pub async fn insert_drill(&self, r: &DrillReport) -> Result<()> {
        sqlx::query(
            "INSERT INTO restore_drills (id, ran_at, backup_file, backup_created_at, engine, \
             duration_ms, rto_seconds, passed, failed_step, detail, tables_checked, \
             rows_checked, senco_version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&r.id)
        .bind(ts(r.ran_at))
        .bind(&r.backup_file)
        .bind(r.backup_created_at.map(ts))
        .bind(&r.engine)
        .bind(r.duration_ms)
        .bind(r.rto_seconds)
        .bind(flag(r.passed))
        .bind(r.failed_step.as_deref())
        .bind(r.detail.as_deref())
        .bind(r.tables_checked)
        .bind(r.rows_checked)
        .bind(&r.senco_version)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The most recent restore drills, newest first.
    pub async fn drills(&self, limit: i64) -> Result<Vec<DrillReport>> {
        let rows = sqlx::query(
            "SELECT id, ran_at, backup_file, backup_created_at, engine, duration_ms, \
             rto_seconds, passed, failed_step, detail, tables_checked, rows_checked, \
             senco_version FROM restore_drills ORDER BY ran_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DrillReport {
                    id: r.try_get("id")?,
                    ran_at: parse_ts(&r.try_get::<String, _>("ran_at")?)?,
                    backup_file: r.try_get("backup_file")?,
                    backup_created_at: r
                        .try_get::<Option<String>, _>("backup_created_at")?
                        .map(|s| parse_ts(&s))
                        .transpose()?,
                    engine: r.try_get("engine")?,
                    duration_ms: r.try_get("duration_ms")?,
                    rto_seconds: r.try_get("rto_seconds")?,
                    passed: get_flag(r, "passed")?,
                    failed_step: r.try_get("failed_step")?,
                    detail: r.try_get("detail")?,
                    tables_checked: r.try_get("tables_checked")?,
                    rows_checked: r.try_get("rows_checked")?,
                    senco_version: r.try_get("senco_version")?,
                })
            })
            .collect()
    }
}

/// A new drill report id.
pub fn new_drill_id() -> String {
    new_id()
}
