//! Storage for Senco: one set of queries over SQLite (the default) and PostgreSQL.
//!
//! Queries are written once with `$1` placeholders and run through sqlx's `Any` driver.
//! Values cross the boundary as text and integers only: identifiers are UUID text, dates
//! are `YYYY-MM-DD`, times are fixed-width UTC RFC 3339 text and flags are 0/1 integers.
//! Backend differences (migration folders, SQLite pragmas, transaction start) stay here.
//!
//! Every function that touches pupil data takes the scope it may see ([`Scope`]), so no
//! unscoped lookup of a pupil is exported.

pub mod approvals;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod calendar;
pub mod census;
pub mod ctf;
pub mod imports;
pub mod migrate;
pub mod outbox;
pub mod plans;
pub mod provision;
pub mod pupil_tables;
pub mod pupils;
pub mod record;
pub mod retention;
pub mod school_frameworks;
pub mod school_register;
pub mod schools;
pub mod scope;
pub mod sen;
pub mod specialists;
pub mod subject_access;
pub mod tenancy;
pub mod transfers;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;

pub use sqlx::any::AnyRow;

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The engine a database URL names (`sqlite:…`, `postgres://…`, `postgresql://…`).
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("the record was changed by someone else")]
    Conflict,
    #[error("{0}")]
    Duplicate(&'static str),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("the database schema is at version {found}, newer than this Senco knows ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error(
        "the database records migration {version} ({name}), which this Senco does not have: it was migrated by another version of Senco"
    )]
    UnknownMigration { version: i64, name: String },
    #[error("the database lacks migration {0} but records later ones")]
    MissingMigration(i64),
    #[error("SQLite setting {name} is {found}, expected {expected}")]
    Pragma {
        name: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("stored data is malformed: {0}")]
    Malformed(String),
    /// A column of a closed set (a status, stage, framework, kind) holds a value outside it:
    /// reading it is an error, never a default. The message leaves the value out, since
    /// errors are logged and a stray value could be anyone's text.
    #[error("stored data is corrupt: {table}.{column} holds a value outside its set")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The handle to the database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The pragmas Senco requires on every SQLite connection (SR-34), and one for speed:
/// `mmap_size` lets SQLite read the file through a memory map (up to 1 GiB) rather than copy
/// each page into every connection's own cache, which halved an LA officer's pupil list at
/// 100,000 pupils (BENCHMARKS.md). Writes still go through the WAL as before.
const SQLITE_PRAGMAS: &[(&str, &str, &str)] = &[
    ("journal_mode", "WAL", "wal"),
    ("synchronous", "FULL", "2"),
    ("foreign_keys", "ON", "1"),
    ("busy_timeout", "5000", "5000"),
    ("secure_delete", "ON", "1"),
    ("mmap_size", "1073741824", "1073741824"),
];

impl Store {
    /// Opens a pool on `url` (`sqlite://path` or `postgres://...`). A SQLite file is created
    /// when missing. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend =
            Backend::of_url(url).ok_or_else(|| StoreError::UnsupportedUrl(redact_url(url)))?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool_options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    // The pragmas are per connection: each one is set, then read back before
                    // the connection is first used, so no pooled connection runs without them.
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for (name, value, _) in SQLITE_PRAGMAS {
                                // SQL-SAFE: names and values from the constant SQLITE_PRAGMAS.
                                let sql = format!("PRAGMA {name} = {value}");
                                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                                    .execute(&mut *conn)
                                    .await?;
                            }
                            check_pragmas(conn)
                                .await
                                .map_err(|e| sqlx::Error::Configuration(Box::new(e)))
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(setting_error)?
            }
            // Each connection carries the tenant of the task that takes it from the pool, new
            // or reused (SR-08).
            Backend::Postgres => {
                pool_options
                    .after_connect(|conn, _meta| Box::pin(tenancy::apply(conn)))
                    .before_acquire(|conn, _meta| {
                        Box::pin(async move { tenancy::apply(conn).await.map(|()| true) })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        let store = Store { pool, backend };
        store.check_settings().await?;
        Ok(store)
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for the few callers that stream their own queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The one row that `sql` selects with `id` bound to `$1`, read by `from_row`;
    /// [`StoreError::NotFound`] when there is none.
    pub(crate) async fn one_by_id<T>(
        &self,
        sql: String,
        id: &str,
        from_row: impl FnOnce(&AnyRow) -> Result<T>,
    ) -> Result<T> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Every row that `sql` selects with `id` bound to `$1`, read by `from_row`.
    pub(crate) async fn all_by_id<T>(
        &self,
        sql: String,
        id: &str,
        from_row: impl FnMut(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Reads the SQLite pragmas back and refuses to go on if any differs (SR-34). Every
    /// connection is also checked as it is opened.
    pub async fn check_settings(&self) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await.map_err(setting_error)?;
        check_pragmas(&mut conn).await
    }

    /// Answers when the database can run a query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once, so two writers
    /// never deadlock upgrading from a read lock.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reads a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Every setting whose key starts with `prefix`, by key.
    pub async fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT key, value FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key",
        )
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("key")?, r.try_get("value")?)))
            .collect()
    }

    /// Writes a setting inside a transaction.
    pub async fn set_setting(tx: &mut Tx, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Removes a setting if it still has `value`; whether it did (so that a one-time value
    /// is used at most once, even by two requests at the same moment).
    pub async fn take_setting(tx: &mut Tx, key: &str, value: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM settings WHERE key = $1 AND value = $2")
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many accounts there are.
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Whether the database holds any records beyond settings and migrations.
    pub async fn is_empty(&self) -> Result<bool> {
        for table in ["local_authorities", "users", "pupils"] {
            // SQL-SAFE: table names from the literal list above.
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Drops every table of a PostgreSQL demo database (for `senco demo --force`). Refuses
    /// unless the database is marked as demo data.
    pub async fn reset_demo_schema(&self) -> Result<()> {
        if !self.is_demo().await? {
            return Err(StoreError::Malformed(
                "refusing to reset a database that is not a demo".into(),
            ));
        }
        let sql = match self.backend {
            Backend::Postgres => "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
            Backend::Sqlite => {
                return Err(StoreError::Malformed(
                    "remove the SQLite file instead".into(),
                ));
            }
        };
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Whether this database was made by `senco demo`.
    pub async fn is_demo(&self) -> Result<bool> {
        Ok(self.setting("demo").await?.as_deref() == Some("true"))
    }
}

/// Reads back every pragma of [`SQLITE_PRAGMAS`] on one connection.
async fn check_pragmas(conn: &mut sqlx::AnyConnection) -> Result<()> {
    for (name, _, expected) in SQLITE_PRAGMAS {
        // SQL-SAFE: names from the constant SQLITE_PRAGMAS.
        let sql = format!("PRAGMA {name}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        let found = match row.try_get::<String, _>(0) {
            Ok(s) => s.to_ascii_lowercase(),
            Err(_) => row.try_get::<i64, _>(0)?.to_string(),
        };
        if found != *expected {
            return Err(StoreError::Pragma {
                name,
                found,
                expected,
            });
        }
    }
    Ok(())
}

/// Turns a refused setting raised while a connection was opened back into its own error, so
/// that the message names the setting.
fn setting_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Configuration(inner) => match inner.downcast::<StoreError>() {
            Ok(store) => *store,
            Err(other) => StoreError::Database(sqlx::Error::Configuration(other)),
        },
        e => StoreError::Database(e),
    }
}

/// Removes any password from a database URL so that it can be shown.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A new random identifier (UUID v7: time-ordered, so inserts stay local in indexes).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Formats a time as fixed-width UTC text, so that text order is time order.
pub fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses a time written by [`ts`].
pub fn parse_ts(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Malformed(format!("time {s:?}: {e}")))
}

/// Formats a date as `YYYY-MM-DD`.
pub fn ds(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_ds(s: &str) -> Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format).map_err(|e| StoreError::Malformed(format!("date {s:?}: {e}")))
}

/// Reads a text column of a closed set through the domain type's `parse`: a value outside
/// the set is [`StoreError::Corrupt`], never a default.
pub(crate) fn closed<T>(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    let value: String = row.try_get(column)?;
    parse(&value).ok_or(StoreError::Corrupt {
        table,
        column,
        value,
    })
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

pub(crate) fn get_flag(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

/// Maps a unique-constraint violation to a friendly duplicate error.
pub(crate) fn duplicate(err: sqlx::Error, what: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
        _ => StoreError::Database(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("postgres://senco:secret@127.0.0.1/test"),
            "postgres://senco:***@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://senco.db"), "sqlite://senco.db");
    }

    #[test]
    fn times_have_a_fixed_width_and_round_trip() {
        let t = time::macros::datetime!(2026-03-01 09:05:07.000123 UTC);
        let s = ts(t);
        assert_eq!(s, "2026-03-01T09:05:07.000123Z");
        assert_eq!(parse_ts(&s).unwrap(), t);
    }
}

/// Commits a transaction.
pub async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await?;
    Ok(())
}

/// A value bound to a [`Sql`] placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// A query assembled from trusted SQL text and bound values, numbered `$1`, `$2`, ... so that
/// it runs on both engines (sqlx's `QueryBuilder<Any>` writes `?`, which PostgreSQL refuses).
/// Values never enter the SQL text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Appends trusted SQL text (never user input).
    pub(crate) fn push(&mut self, text: &'static str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends `$a, $b, ...` for a list of values.
    pub(crate) fn bind_list(&mut self, values: &[String]) -> &mut Self {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v.clone());
        }
        self
    }

    pub(crate) fn build(&self) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}
