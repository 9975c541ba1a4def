//! Pupils, their enrolments, contacts and teaching links, always read through a [`Scope`]
//! (its SQL predicate is in [`crate::scope`]).

use senco_domain::Date;
use senco_domain::person::{CorrespondenceLanguage, Sex};
use sqlx::Row;
use time::OffsetDateTime;

pub use crate::scope::Scope;
use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, ds, duplicate, flag, get_flag, new_id, parse_ds,
    parse_ts, ts,
};

/// A pupil's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pupil {
    pub id: String,
    pub school_id: String,
    pub upn: Option<String>,
    pub former_upn: Option<String>,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_forename: Option<String>,
    pub preferred_surname: Option<String>,
    pub date_of_birth: Date,
    pub sex: Sex,
    pub year_override: Option<i64>,
    pub reg_group_id: Option<String>,
    pub reg_group_name: Option<String>,
    pub looked_after: bool,
    pub eal: bool,
    pub fsm: bool,
    pub language: CorrespondenceLanguage,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Pupil {
    /// The name to show: preferred names where given.
    pub fn display_name(&self) -> String {
        format!(
            "{} {}",
            self.preferred_forename
                .as_deref()
                .unwrap_or(&self.legal_forename),
            self.preferred_surname
                .as_deref()
                .unwrap_or(&self.legal_surname)
        )
    }
}

/// The editable details of a pupil, already validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilFields {
    pub upn: Option<String>,
    pub former_upn: Option<String>,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_forename: Option<String>,
    pub preferred_surname: Option<String>,
    pub date_of_birth: Date,
    pub sex: Sex,
    pub year_override: Option<i64>,
    pub reg_group_id: Option<String>,
    pub looked_after: bool,
    pub eal: bool,
    pub fsm: bool,
    pub language: CorrespondenceLanguage,
}

impl PupilFields {
    /// The names of the fields that differ between `self` and `other` (for the audit log).
    pub fn changed_fields(&self, other: &PupilFields) -> Vec<&'static str> {
        let mut out = Vec::new();
        macro_rules! cmp {
            ($($f:ident),*) => { $( if self.$f != other.$f { out.push(stringify!($f)); } )* };
        }
        cmp!(
            upn,
            former_upn,
            legal_forename,
            legal_surname,
            preferred_forename,
            preferred_surname,
            date_of_birth,
            sex,
            year_override,
            reg_group_id,
            looked_after,
            eal,
            fsm,
            language
        );
        out
    }

    pub(crate) fn search_text(&self) -> String {
        let mut parts = vec![self.legal_forename.as_str(), self.legal_surname.as_str()];
        parts.extend(self.preferred_forename.as_deref());
        parts.extend(self.preferred_surname.as_deref());
        parts.join(" ").to_lowercase()
    }
}

impl From<&Pupil> for PupilFields {
    fn from(p: &Pupil) -> Self {
        PupilFields {
            upn: p.upn.clone(),
            former_upn: p.former_upn.clone(),
            legal_forename: p.legal_forename.clone(),
            legal_surname: p.legal_surname.clone(),
            preferred_forename: p.preferred_forename.clone(),
            preferred_surname: p.preferred_surname.clone(),
            date_of_birth: p.date_of_birth,
            sex: p.sex,
            year_override: p.year_override,
            reg_group_id: p.reg_group_id.clone(),
            looked_after: p.looked_after,
            eal: p.eal,
            fsm: p.fsm,
            language: p.language,
        }
    }
}

/// Filters for a pupil list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PupilFilter {
    /// A name fragment, or a whole UPN.
    pub q: Option<String>,
    /// Only this school.
    pub school_id: Option<String>,
    /// Only pupils whose date of birth lies in this range (a year group), or whose
    /// year override equals the code.
    pub year: Option<(i64, Date, Date)>,
    pub reg_group_id: Option<String>,
}

/// One page of results and the total across pages.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A period at a school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub id: String,
    pub school_id: String,
    pub school_name: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    /// How the enrolment ended: `left`, or `transferred_out` to another school.
    pub leaving: Option<String>,
    /// The destination school's DfE number (`LLLEEEE`), when the school knew it.
    pub destination_laestab: Option<String>,
}

/// A parent or carer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub pupil_id: String,
    pub name: String,
    pub relationship: String,
    pub parental_responsibility: bool,
    pub restricted: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub user_id: Option<String>,
}

/// Input for a new contact.
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    pub name: &'a str,
    pub relationship: &'a str,
    pub parental_responsibility: bool,
    pub restricted: bool,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

pub(crate) const PUPIL_COLUMNS: &str = "p.id, p.school_id, p.upn, p.former_upn, p.legal_forename, \
    p.legal_surname, p.preferred_forename, p.preferred_surname, p.date_of_birth, p.sex, \
    p.year_override, p.reg_group_id, g.name AS reg_group_name, p.looked_after, p.eal, p.fsm, \
    p.correspondence_language, p.version, p.created_at, p.updated_at";

pub(crate) fn pupil_from_row(row: &AnyRow) -> Result<Pupil> {
    let sex: String = row.try_get("sex")?;
    let language: String = row.try_get("correspondence_language")?;
    Ok(Pupil {
        id: row.try_get("id")?,
        school_id: row.try_get("school_id")?,
        upn: row.try_get("upn")?,
        former_upn: row.try_get("former_upn")?,
        legal_forename: row.try_get("legal_forename")?,
        legal_surname: row.try_get("legal_surname")?,
        preferred_forename: row.try_get("preferred_forename")?,
        preferred_surname: row.try_get("preferred_surname")?,
        date_of_birth: parse_ds(&row.try_get::<String, _>("date_of_birth")?)?,
        sex: Sex::parse(&sex).ok_or_else(|| StoreError::Malformed(format!("sex {sex:?}")))?,
        year_override: row.try_get("year_override")?,
        reg_group_id: row.try_get("reg_group_id")?,
        reg_group_name: row.try_get("reg_group_name")?,
        looked_after: get_flag(row, "looked_after")?,
        eal: get_flag(row, "eal")?,
        fsm: get_flag(row, "fsm")?,
        language: CorrespondenceLanguage::parse(&language)
            .ok_or_else(|| StoreError::Malformed(format!("language {language:?}")))?,
        version: row.try_get("version")?,
        created_at: parse_ts(&row.try_get::<String, _>("created_at")?)?,
        updated_at: parse_ts(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// Adds a pupil enrolled at `school_id` from `enrolled_on`.
    pub async fn insert_pupil(
        tx: &mut Tx,
        school_id: &str,
        f: &PupilFields,
        enrolled_on: Date,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO pupils (id, school_id, upn, former_upn, legal_forename, legal_surname, \
             preferred_forename, preferred_surname, date_of_birth, sex, year_override, reg_group_id, \
             looked_after, eal, fsm, correspondence_language, search_text, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18, $18)",
        )
        .bind(&id)
        .bind(school_id)
        .bind(&f.upn)
        .bind(&f.former_upn)
        .bind(&f.legal_forename)
        .bind(&f.legal_surname)
        .bind(&f.preferred_forename)
        .bind(&f.preferred_surname)
        .bind(ds(f.date_of_birth))
        .bind(f.sex.code())
        .bind(f.year_override)
        .bind(&f.reg_group_id)
        .bind(flag(f.looked_after))
        .bind(flag(f.eal))
        .bind(flag(f.fsm))
        .bind(f.language.as_str())
        .bind(f.search_text())
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "a pupil with this UPN is already recorded"))?;
        sqlx::query(
            "INSERT INTO enrolments (id, pupil_id, school_id, starts_on, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(&id)
        .bind(school_id)
        .bind(ds(enrolled_on))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Whether a UPN (as current or former UPN) belongs to a pupil other than `except`.
    /// UPNs are unique across the installation, so this looks at every school (and says
    /// only yes or no).
    pub async fn upn_in_use(tx: &mut Tx, upn: &str, except: Option<&str>) -> Result<bool> {
        let prior = crate::tenancy::widen(tx).await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM pupils WHERE (upn = $1 OR former_upn = $1) AND id <> $2",
        )
        .bind(upn)
        .bind(except.unwrap_or(""))
        .fetch_one(&mut **tx)
        .await?;
        crate::tenancy::narrow(tx, prior).await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The pupil other than `except` holding a UPN (as current or former UPN): their id,
    /// school and date of birth, only for deciding whether naming it is a probe (SR-07);
    /// callers answer no more than "in use". UPNs are unique across the installation, so
    /// this looks at every school.
    pub async fn upn_holder(
        tx: &mut Tx,
        upn: &str,
        except: Option<&str>,
    ) -> Result<Option<(String, String, Date)>> {
        let prior = crate::tenancy::widen(tx).await?;
        let row = sqlx::query(
            "SELECT id, school_id, date_of_birth FROM pupils WHERE (upn = $1 OR former_upn = $1) AND id <> $2 \
             ORDER BY id LIMIT 1",
        )
        .bind(upn)
        .bind(except.unwrap_or(""))
        .fetch_optional(&mut **tx)
        .await?;
        crate::tenancy::narrow(tx, prior).await?;
        row.map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("school_id")?,
                crate::parse_ds(&r.try_get::<String, _>("date_of_birth")?)?,
            ))
        })
        .transpose()
    }

    /// Updates a pupil's details if `expected_version` is still current, keeping the old
    /// version in `pupil_versions`. Returns the new version.
    pub async fn update_pupil(
        tx: &mut Tx,
        before: &Pupil,
        f: &PupilFields,
        expected_version: i64,
        changed_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE pupils SET upn = $3, former_upn = $4, legal_forename = $5, legal_surname = $6, \
             preferred_forename = $7, preferred_surname = $8, date_of_birth = $9, sex = $10, \
             year_override = $11, reg_group_id = $12, looked_after = $13, eal = $14, fsm = $15, \
             correspondence_language = $16, search_text = $17, version = version + 1, updated_at = $18 \
             WHERE id = $1 AND version = $2",
        )
        .bind(&before.id)
        .bind(expected_version)
        .bind(&f.upn)
        .bind(&f.former_upn)
        .bind(&f.legal_forename)
        .bind(&f.legal_surname)
        .bind(&f.preferred_forename)
        .bind(&f.preferred_surname)
        .bind(ds(f.date_of_birth))
        .bind(f.sex.code())
        .bind(f.year_override)
        .bind(&f.reg_group_id)
        .bind(flag(f.looked_after))
        .bind(flag(f.eal))
        .bind(flag(f.fsm))
        .bind(f.language.as_str())
        .bind(f.search_text())
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "a pupil with this UPN is already recorded"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        let snapshot = serde_json::json!({
            "upn": before.upn, "former_upn": before.former_upn,
            "legal_forename": before.legal_forename, "legal_surname": before.legal_surname,
            "preferred_forename": before.preferred_forename, "preferred_surname": before.preferred_surname,
            "date_of_birth": ds(before.date_of_birth), "sex": before.sex.code(),
            "year_override": before.year_override, "reg_group_id": before.reg_group_id,
            "looked_after": before.looked_after, "eal": before.eal, "fsm": before.fsm,
            "correspondence_language": before.language.as_str(),
        });
        sqlx::query(
            "INSERT INTO pupil_versions (id, pupil_id, school_id, version, data, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(&before.id)
        .bind(&before.school_id)
        .bind(before.version)
        .bind(snapshot.to_string())
        .bind(changed_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(expected_version + 1)
    }

    /// One pupil, if the scope reaches them; otherwise `NotFound`, exactly as for a pupil
    /// that does not exist.
    pub async fn pupil(&self, scope: &Scope, id: &str) -> Result<Pupil> {
        let mut q = Sql::new(format!(
            "SELECT {PUPIL_COLUMNS} FROM pupils p LEFT JOIN reg_groups g ON g.id = p.reg_group_id WHERE p.id = "
        ));
        q.bind(id.to_string());
        scope.push_predicate(&mut q);
        let row = q
            .build()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        pupil_from_row(&row)
    }

    /// The school a pupil attends, whatever the scope (for auditing refusals only).
    /// It reads across schools at the database too (the refused pupil is, by definition,
    /// outside the request's schools).
    pub async fn pupil_school_unscoped_for_audit(&self, id: &str) -> Result<Option<String>> {
        let query = sqlx::query("SELECT school_id FROM pupils WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool());
        let row = crate::tenancy::within(crate::tenancy::Tenant::Installation, query).await?;
        Ok(row.map(|r| r.try_get("school_id")).transpose()?)
    }

    /// The pupils with these ids that the scope reaches, by id (those it does not reach are
    /// simply absent, as a single read would not find them). One query per 500 ids.
    pub async fn pupils_by_ids(
        &self,
        scope: &Scope,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, Pupil>> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(500) {
            let mut q = Sql::new(format!(
                "SELECT {PUPIL_COLUMNS} FROM pupils p LEFT JOIN reg_groups g ON g.id = p.reg_group_id WHERE p.id IN ("
            ));
            q.bind_list(chunk).push(")");
            scope.push_predicate(&mut q);
            for row in q.build().fetch_all(self.pool()).await? {
                let pupil = pupil_from_row(&row)?;
                out.insert(pupil.id.clone(), pupil);
            }
        }
        Ok(out)
    }

    /// How many pupils in scope match the filter.
    pub async fn pupil_count(&self, scope: &Scope, filter: &PupilFilter) -> Result<i64> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM pupils p WHERE 1 = 1");
        scope.push_predicate(&mut count);
        push_filter(&mut count, filter);
        Ok(count.build().fetch_one(self.pool()).await?.try_get("n")?)
    }

    /// A page of pupils in scope, by surname then forename.
    pub async fn pupils(
        &self,
        scope: &Scope,
        filter: &PupilFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Pupil>> {
        let total = self.pupil_count(scope, filter).await?;
        let mut q = Sql::new(format!(
            "SELECT {PUPIL_COLUMNS} FROM pupils p LEFT JOIN reg_groups g ON g.id = p.reg_group_id"
        ));
        q.push(" WHERE 1 = 1");
        scope.push_predicate(&mut q);
        push_filter(&mut q, filter);
        q.push(" ORDER BY p.legal_surname, p.legal_forename, p.id LIMIT ")
            .bind(per_page)
            .push(" OFFSET ")
            .bind((page.max(1) - 1).saturating_mul(per_page));
        let rows = q.build().fetch_all(self.pool()).await?;
        Ok(Page {
            items: rows.iter().map(pupil_from_row).collect::<Result<_>>()?,
            total,
        })
    }

    /// A pupil's enrolments, newest first.
    pub async fn enrolments(&self, pupil_id: &str) -> Result<Vec<Enrolment>> {
        let rows = sqlx::query(
            "SELECT e.id, e.school_id, s.name AS school_name, e.starts_on, e.ends_on, e.leaving, \
             e.destination_laestab FROM enrolments e \
             JOIN schools s ON s.id = e.school_id WHERE e.pupil_id = $1 ORDER BY e.starts_on DESC",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Enrolment {
                    id: r.try_get("id")?,
                    school_id: r.try_get("school_id")?,
                    school_name: r.try_get("school_name")?,
                    starts_on: parse_ds(&r.try_get::<String, _>("starts_on")?)?,
                    ends_on: r
                        .try_get::<Option<String>, _>("ends_on")?
                        .map(|s| parse_ds(&s))
                        .transpose()?,
                    leaving: r.try_get("leaving")?,
                    destination_laestab: r.try_get("destination_laestab")?,
                })
            })
            .collect()
    }

    /// Adds a parent or carer.
    pub async fn insert_contact(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        c: &NewContact<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO contacts (id, pupil_id, school_id, name, relationship, parental_responsibility, \
             restricted, email, phone, user_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(c.name)
        .bind(c.relationship)
        .bind(flag(c.parental_responsibility))
        .bind(flag(c.restricted))
        .bind(c.email)
        .bind(c.phone)
        .bind(c.user_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// A pupil's parents and carers.
    pub async fn contacts(&self, pupil_id: &str) -> Result<Vec<Contact>> {
        let rows = sqlx::query(
            "SELECT id, pupil_id, name, relationship, parental_responsibility, restricted, email, phone, user_id \
             FROM contacts WHERE pupil_id = $1 ORDER BY parental_responsibility DESC, name",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Contact {
                    id: r.try_get("id")?,
                    pupil_id: r.try_get("pupil_id")?,
                    name: r.try_get("name")?,
                    relationship: r.try_get("relationship")?,
                    parental_responsibility: get_flag(r, "parental_responsibility")?,
                    restricted: get_flag(r, "restricted")?,
                    email: r.try_get("email")?,
                    phone: r.try_get("phone")?,
                    user_id: r.try_get("user_id")?,
                })
            })
            .collect()
    }

    /// Links a teacher or teaching assistant to a pupil they teach outside their group.
    pub async fn insert_teaching_assignment(
        tx: &mut Tx,
        school_id: &str,
        user_id: &str,
        pupil_id: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO teaching_assignments (id, school_id, user_id, pupil_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(school_id)
        .bind(user_id)
        .bind(pupil_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records a specialist's involvement (the full workflow comes later).
    pub async fn insert_involvement(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        specialist_user_id: &str,
        status: &str,
        consent_recorded_on: Option<Date>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO involvements (id, pupil_id, school_id, specialist_user_id, status, consent_recorded_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(specialist_user_id)
        .bind(status)
        .bind(consent_recorded_on.map(ds))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Changes an involvement's status (closing one removes the specialist's access).
    pub async fn set_involvement_status(tx: &mut Tx, id: &str, status: &str) -> Result<()> {
        sqlx::query("UPDATE involvements SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(status)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A school shares a pupil's full record with its local authority.
    pub async fn insert_la_share(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        la_id: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO la_shares (id, pupil_id, school_id, la_id, shared_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(pupil_id)
        .bind(school_id)
        .bind(la_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Pupil counts per school for the given schools (aggregate figures, no records).
    pub async fn pupil_counts(&self, school_ids: &[String]) -> Result<Vec<(String, i64)>> {
        if school_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("SELECT school_id, COUNT(*) AS n FROM pupils WHERE school_id IN (");
        q.bind_list(school_ids).push(") GROUP BY school_id");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("school_id")?, r.try_get("n")?)))
            .collect()
    }
}

/// Adds `AND ...` conditions for a pupil filter on the pupil alias `p`.
pub(crate) fn push_filter(q: &mut Sql, filter: &PupilFilter) {
    if let Some(school) = &filter.school_id {
        q.push(" AND p.school_id = ").bind(school.clone());
    }
    if let Some(group) = &filter.reg_group_id {
        q.push(" AND p.reg_group_id = ").bind(group.clone());
    }
    if let Some((code, from, to)) = filter.year {
        q.push(" AND (p.year_override = ")
            .bind(code)
            .push(" OR (p.year_override IS NULL AND p.date_of_birth BETWEEN ")
            .bind(ds(from))
            .push(" AND ")
            .bind(ds(to))
            .push("))");
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let upper = text.to_ascii_uppercase();
        q.push(" AND (p.upn = ")
            .bind(upper.clone())
            .push(" OR p.former_upn = ")
            .bind(upper)
            .push(" OR p.search_text LIKE ")
            .bind(escape_like(&text.to_lowercase()))
            .push(" ESCAPE '\\')");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("a%b_c"), "%a\\%b\\_c%");
    }
}
