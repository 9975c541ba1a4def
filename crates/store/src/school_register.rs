//! Authorities and schools as the administrator keeps them (issue 19, point 1): every detail
//! with its version, lists with search and paging, changes that refuse an older version, and
//! the national register import's writes. Nothing here deletes: a school closes.

use senco_domain::Date;
use senco_domain::establishment::{LanguageMedium, ValidAuthority, ValidSchool};
use senco_domain::school::{Country, FrameworkKey, Phase};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, ds, duplicate, flag, get_flag, new_id, parse_ds, ts,
};

/// A local authority with its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityRecord {
    pub id: String,
    pub code: String,
    pub name: String,
    pub country: Country,
    pub version: i64,
    /// How many schools it has (open and closed).
    pub schools: i64,
}

/// A school with every detail the administrator keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolRecord {
    pub id: String,
    pub la_id: String,
    pub la_code: String,
    pub la_name: String,
    pub urn: String,
    pub estab_number: String,
    pub name: String,
    pub phase: Phase,
    pub country: Country,
    pub maintained: bool,
    pub street: String,
    pub locality: String,
    pub town: String,
    pub postcode: String,
    pub telephone: String,
    pub website: String,
    pub language_medium: Option<LanguageMedium>,
    pub closed: bool,
    pub closed_on: Option<Date>,
    pub version: i64,
}

/// Which schools a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolFilter {
    /// Part of the name, the URN or the authority's code.
    pub search: String,
    /// Only this authority's.
    pub la_id: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

fn parse_enum<T>(value: String, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T> {
    parse(&value).ok_or_else(|| StoreError::Malformed(format!("{what} {value:?}")))
}

fn authority_record(row: &AnyRow) -> Result<AuthorityRecord> {
    Ok(AuthorityRecord {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        country: parse_enum(row.try_get("country")?, Country::parse, "country")?,
        version: row.try_get("version")?,
        schools: row.try_get("schools")?,
    })
}

fn school_record(row: &AnyRow) -> Result<SchoolRecord> {
    let medium: Option<String> = row.try_get("language_medium")?;
    let closed_on: Option<String> = row.try_get("closed_on")?;
    Ok(SchoolRecord {
        id: row.try_get("id")?,
        la_id: row.try_get("la_id")?,
        la_code: row.try_get("la_code")?,
        la_name: row.try_get("la_name")?,
        urn: row.try_get("urn")?,
        estab_number: row.try_get("estab_number")?,
        name: row.try_get("name")?,
        phase: parse_enum(row.try_get("phase")?, Phase::parse, "phase")?,
        country: parse_enum(row.try_get("country")?, Country::parse, "country")?,
        maintained: get_flag(row, "maintained")?,
        street: row.try_get("street")?,
        locality: row.try_get("locality")?,
        town: row.try_get("town")?,
        postcode: row.try_get("postcode")?,
        telephone: row.try_get("telephone")?,
        website: row.try_get("website")?,
        language_medium: medium
            .map(|m| parse_enum(m, LanguageMedium::parse, "language medium"))
            .transpose()?,
        closed: get_flag(row, "closed")?,
        closed_on: closed_on.map(|d| parse_ds(&d)).transpose()?,
        version: row.try_get("version")?,
    })
}

const AUTHORITY_SELECT: &str = "SELECT la.id, la.code, la.name, la.country, la.version, \
     (SELECT COUNT(*) FROM schools s WHERE s.la_id = la.id) AS schools FROM local_authorities la";

const SCHOOL_SELECT: &str = "SELECT s.id, s.la_id, la.code AS la_code, la.name AS la_name, s.urn, \
     s.estab_number, s.name, s.phase, s.country, s.maintained, s.street, s.locality, s.town, \
     s.postcode, s.telephone, s.website, s.language_medium, s.closed, s.closed_on, s.version \
     FROM schools s JOIN local_authorities la ON la.id = s.la_id";

/// `%text%` for a LIKE, with the wildcards of the text escaped.
fn like(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn offset(page: i64, per_page: i64) -> i64 {
    (page.max(1) - 1).saturating_mul(per_page)
}

/// The framework a new school starts under: the country's current one.
pub fn default_framework(country: Country) -> (FrameworkKey, Date) {
    match country {
        Country::England => (
            FrameworkKey::England2014,
            Date::from_calendar_date(2014, time::Month::September, 1).unwrap_or(Date::MIN),
        ),
        Country::Wales => (
            FrameworkKey::WalesAln2021,
            Date::from_calendar_date(2021, time::Month::September, 1).unwrap_or(Date::MIN),
        ),
    }
}

impl Store {
    /// Authorities whose code or name holds `search`, by code.
    pub async fn authority_records(
        &self,
        search: &str,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AuthorityRecord>> {
        let filter = |q: &mut Sql| {
            if !search.trim().is_empty() {
                q.push(" WHERE (LOWER(la.name) LIKE ")
                    .bind(like(search))
                    .push(" ESCAPE '\\' OR la.code LIKE ")
                    .bind(like(search))
                    .push(" ESCAPE '\\')");
            }
        };
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM local_authorities la");
        filter(&mut count);
        let total: i64 = count.build().fetch_one(self.pool()).await?.try_get("n")?;
        let mut q = Sql::new(AUTHORITY_SELECT);
        filter(&mut q);
        q.push(" ORDER BY la.code LIMIT ")
            .bind(per_page)
            .push(" OFFSET ")
            .bind(offset(page, per_page));
        let rows = q.build().fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(authority_record)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    /// One authority by id.
    pub async fn authority_record(&self, id: &str) -> Result<AuthorityRecord> {
        let mut q = Sql::new(AUTHORITY_SELECT);
        q.push(" WHERE la.id = ").bind(id);
        let row = q.build().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(authority_record)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// One authority by its three-digit code.
    pub async fn authority_by_code(&self, code: &str) -> Result<Option<AuthorityRecord>> {
        let mut q = Sql::new(AUTHORITY_SELECT);
        q.push(" WHERE la.code = ").bind(code);
        let row = q.build().fetch_optional(self.pool()).await?;
        row.as_ref().map(authority_record).transpose()
    }

    /// Changes an authority whose stored version is `version`; an older version is refused
    /// ([`StoreError::Conflict`]).
    pub async fn update_authority(
        tx: &mut Tx,
        id: &str,
        version: i64,
        a: &ValidAuthority,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE local_authorities SET code = $1, name = $2, country = $3, \
             version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6",
        )
        .bind(a.code.to_string())
        .bind(&a.name)
        .bind(a.country.as_str())
        .bind(ts(now))
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "an authority with this code already exists"))?;
        if done.rows_affected() == 0 {
            return Err(conflict_or_missing(tx, "local_authorities", id).await);
        }
        Ok(())
    }

    /// Schools matching `filter`, by name (closed ones too: they are kept for history).
    pub async fn school_records(
        &self,
        filter: &SchoolFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<SchoolRecord>> {
        let narrow = |q: &mut Sql| {
            q.push(" WHERE 1 = 1");
            if let Some(la) = &filter.la_id {
                q.push(" AND s.la_id = ").bind(la.clone());
            }
            if !filter.search.trim().is_empty() {
                q.push(" AND (LOWER(s.name) LIKE ")
                    .bind(like(&filter.search))
                    .push(" ESCAPE '\\' OR s.urn LIKE ")
                    .bind(like(&filter.search))
                    .push(" ESCAPE '\\' OR la.code LIKE ")
                    .bind(like(&filter.search))
                    .push(" ESCAPE '\\')");
            }
        };
        let mut count = Sql::new(
            "SELECT COUNT(*) AS n FROM schools s JOIN local_authorities la ON la.id = s.la_id",
        );
        narrow(&mut count);
        let total: i64 = count.build().fetch_one(self.pool()).await?.try_get("n")?;
        let mut q = Sql::new(SCHOOL_SELECT);
        narrow(&mut q);
        q.push(" ORDER BY s.closed, s.name, s.urn LIMIT ")
            .bind(per_page)
            .push(" OFFSET ")
            .bind(offset(page, per_page));
        let rows = q.build().fetch_all(self.pool()).await?;
        let items = rows.iter().map(school_record).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    /// One school by id.
    pub async fn school_record(&self, id: &str) -> Result<SchoolRecord> {
        let mut q = Sql::new(SCHOOL_SELECT);
        q.push(" WHERE s.id = ").bind(id);
        let row = q.build().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(school_record)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// The schools with these URNs, inside a transaction (the register import plans and
    /// writes against the same rows).
    pub async fn school_records_by_urn(tx: &mut Tx, urns: &[String]) -> Result<Vec<SchoolRecord>> {
        let mut out = Vec::new();
        for chunk in urns.chunks(500) {
            let mut q = Sql::new(SCHOOL_SELECT);
            q.push(" WHERE s.urn IN (").bind_list(chunk).push(")");
            let rows = q.build().fetch_all(&mut **tx).await?;
            for r in &rows {
                out.push(school_record(r)?);
            }
        }
        Ok(out)
    }

    /// An authority's schools, inside a transaction.
    pub async fn school_records_of_authority_in(
        tx: &mut Tx,
        la_id: &str,
    ) -> Result<Vec<SchoolRecord>> {
        let mut q = Sql::new(SCHOOL_SELECT);
        q.push(" WHERE s.la_id = ").bind(la_id);
        let rows = q.build().fetch_all(&mut **tx).await?;
        rows.iter().map(school_record).collect()
    }

    /// Every authority, by code, inside a transaction.
    pub async fn authority_records_in(tx: &mut Tx) -> Result<Vec<AuthorityRecord>> {
        let mut q = Sql::new(AUTHORITY_SELECT);
        q.push(" ORDER BY la.code");
        let rows = q.build().fetch_all(&mut **tx).await?;
        rows.iter().map(authority_record).collect()
    }

    /// Adds a school with every detail, and the country's current framework.
    pub async fn insert_school_record(
        tx: &mut Tx,
        la_id: &str,
        country: Country,
        s: &ValidSchool,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO schools (id, la_id, urn, estab_number, name, phase, country, maintained, \
             street, locality, town, postcode, telephone, website, language_medium, closed, \
             closed_on, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             1, $18, $19)",
        )
        .bind(&id)
        .bind(la_id)
        .bind(s.urn.to_string())
        .bind(s.estab_number.to_string())
        .bind(&s.name)
        .bind(s.phase.as_str())
        .bind(country.as_str())
        .bind(flag(s.maintained))
        .bind(&s.street)
        .bind(&s.locality)
        .bind(&s.town)
        .bind(&s.postcode)
        .bind(&s.telephone)
        .bind(&s.website)
        .bind(s.language_medium.map(LanguageMedium::as_str))
        .bind(flag(s.closed))
        .bind(s.closed_on.map(ds))
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            duplicate(
                e,
                "a school with this URN or establishment number already exists",
            )
        })?;
        let (framework, since) = default_framework(country);
        Store::insert_school_framework(tx, &id, framework, since).await?;
        Ok(id)
    }

    /// Changes a school whose stored version is `version` (its authority may change too);
    /// an older version is refused ([`StoreError::Conflict`]).
    pub async fn update_school_record(
        tx: &mut Tx,
        id: &str,
        version: i64,
        la_id: &str,
        s: &ValidSchool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE schools SET la_id = $1, urn = $2, estab_number = $3, name = $4, phase = $5, \
             maintained = $6, street = $7, locality = $8, town = $9, postcode = $10, \
             telephone = $11, website = $12, language_medium = $13, closed = $14, \
             closed_on = $15, version = version + 1, updated_at = $16 \
             WHERE id = $17 AND version = $18",
        )
        .bind(la_id)
        .bind(s.urn.to_string())
        .bind(s.estab_number.to_string())
        .bind(&s.name)
        .bind(s.phase.as_str())
        .bind(flag(s.maintained))
        .bind(&s.street)
        .bind(&s.locality)
        .bind(&s.town)
        .bind(&s.postcode)
        .bind(&s.telephone)
        .bind(&s.website)
        .bind(s.language_medium.map(LanguageMedium::as_str))
        .bind(flag(s.closed))
        .bind(s.closed_on.map(ds))
        .bind(ts(now))
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            duplicate(
                e,
                "a school with this URN or establishment number already exists",
            )
        })?;
        if done.rows_affected() == 0 {
            return Err(conflict_or_missing(tx, "schools", id).await);
        }
        Ok(())
    }

    /// Adds an authority and answers it with its version.
    pub async fn insert_authority_record(
        tx: &mut Tx,
        a: &ValidAuthority,
        now: OffsetDateTime,
    ) -> Result<String> {
        Store::insert_authority(tx, &a.code.to_string(), &a.name, a.country, now).await
    }
}

/// Why an update touched no row: the record is there at another version, or not there.
async fn conflict_or_missing(tx: &mut Tx, table: &'static str, id: &str) -> StoreError {
    // SQL-SAFE: `table` is one of the two constants passed above.
    let sql = format!("SELECT id FROM {table} WHERE id = $1");
    match sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
    {
        Ok(Some(_)) => StoreError::Conflict,
        Ok(None) => StoreError::NotFound,
        Err(e) => e.into(),
    }
}

impl Store {
    /// Keeps an uploaded register file for its uploader's confirmation (files older than a
    /// day are dropped on the way).
    pub async fn keep_register_upload(
        &self,
        user_id: &str,
        file_name: &str,
        data: &[u8],
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM register_uploads WHERE created_at < $1")
            .bind(ts(now - time::Duration::days(1)))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO register_uploads (id, user_id, file_name, data, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(file_name)
        .bind(data.to_vec())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A kept register file (its name and bytes), only for the person who uploaded it.
    pub async fn register_upload(&self, id: &str, user_id: &str) -> Result<(String, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT file_name, data FROM register_uploads WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("file_name")?, row.try_get("data")?))
    }

    /// Drops a kept register file once imported.
    pub async fn drop_register_upload(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM register_uploads WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
