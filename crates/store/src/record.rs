//! Writing a whole pupil record imported from a portable record file (`senco import record`).
//!
//! Exporting reuses the module readers (`pupils`, `sen`, `plans`, `provision`,
//! `specialists`). Importing cannot reuse their inserts: those stamp rows with the time of
//! writing, number the stage history afresh and keep a new plan version, which would
//! rewrite the history being carried over. So an import writes each row whole, with the
//! times it carries, through [`Store::insert_record_row`], limited to the tables of a
//! pupil's record and the school catalogues it needs.

use sqlx::Row;

use crate::pupil_tables::PUPIL_RECORD_TABLES;
use crate::{Result, Store, StoreError, Tx};

/// A value of a column. Nulls are typed, because PostgreSQL checks a parameter's type
/// against its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Blob(Vec<u8>),
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Text(Some(s.to_string()))
    }
}

impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Text(Some(s))
    }
}

impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Self {
        Val::Text(s)
    }
}

impl From<i64> for Val {
    fn from(i: i64) -> Self {
        Val::Int(Some(i))
    }
}

impl From<Option<i64>> for Val {
    fn from(i: Option<i64>) -> Self {
        Val::Int(i)
    }
}

impl From<bool> for Val {
    fn from(b: bool) -> Self {
        Val::Int(Some(i64::from(b)))
    }
}

/// The school catalogues an imported record may add to (besides the pupil's own tables).
const CATALOGUE_TABLES: &[&str] = &["provisions", "agencies", "agency_people"];

impl Store {
    /// Inserts one row of a pupil's record (or of a catalogue it needs) as given. Table and
    /// column names come from code, never from the file; values are bound.
    pub async fn insert_record_row(
        tx: &mut Tx,
        table: &'static str,
        columns: &[(&'static str, Val)],
    ) -> Result<()> {
        if !(PUPIL_RECORD_TABLES.contains(&table) || CATALOGUE_TABLES.contains(&table)) {
            return Err(StoreError::Malformed(format!(
                "{table} is not a table of a pupil's record"
            )));
        }
        if columns.is_empty()
            || columns.iter().any(|(c, _)| {
                !c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            })
        {
            return Err(StoreError::Malformed("bad column list".into()));
        }
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        // SQL-SAFE: `table` is checked against the constant lists and the column names
        // (`&'static str`, from the record reader) against [a-z0-9_] above; values are bound.
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, v) in columns {
            q = match v {
                Val::Text(s) => q.bind(s.clone()),
                Val::Int(i) => q.bind(*i),
                Val::Blob(b) => q.bind(b.clone()),
            };
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }

    /// The id of a school's catalogue entry with this name, if any.
    pub async fn provision_id_by_name(
        tx: &mut Tx,
        school_id: &str,
        name: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM provisions WHERE school_id = $1 AND name = $2")
            .bind(school_id)
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// The id of a school's agency with this name, if any.
    pub async fn agency_id_by_name(
        tx: &mut Tx,
        school_id: &str,
        name: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM agencies WHERE school_id = $1 AND name = $2")
            .bind(school_id)
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// The id of an agency's person with this name, if any.
    pub async fn person_id_by_name(
        tx: &mut Tx,
        agency_id: &str,
        name: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT id FROM agency_people WHERE agency_id = $1 AND name = $2 ORDER BY created_at LIMIT 1",
        )
        .bind(agency_id)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// How many rows each table of pupils' records holds, with `pupils` and `users` first
    /// (for checking that a refused import changed nothing).
    pub async fn record_row_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for table in ["pupils", "users", "enrolments"]
            .iter()
            .chain(PUPIL_RECORD_TABLES)
            .chain(CATALOGUE_TABLES)
        {
            // SQL-SAFE: table names from the literal and constant lists above.
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(self.pool())
                .await?
                .try_get("n")?;
            out.push((*table, n));
        }
        Ok(out)
    }
}
