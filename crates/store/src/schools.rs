//! Local authorities, schools, their dated frameworks, calendars and registration groups.

use senco_domain::Date;
use senco_domain::calendar::{CompulsorySchoolAge, DateRange, SchoolCalendar};
use senco_domain::calendar_entry::{EntryKind, ValidEntry};
use senco_domain::school::{Country, FrameworkKey, Phase};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, ds, duplicate, flag, get_flag, new_id, parse_ds, ts,
};

/// A local authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub id: String,
    pub code: String,
    pub name: String,
    pub country: Country,
}

/// A school with its authority's code and its dated working frameworks (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct School {
    pub id: String,
    pub la_id: String,
    pub la_code: String,
    pub urn: String,
    pub estab_number: String,
    pub name: String,
    pub phase: Phase,
    pub country: Country,
    pub maintained: bool,
    pub frameworks: Vec<(FrameworkKey, Date)>,
}

impl School {
    /// The framework most recently started on or before `on`.
    pub fn framework_on(&self, on: Date) -> Option<FrameworkKey> {
        self.frameworks
            .iter()
            .filter(|(_, since)| *since <= on)
            .max_by_key(|(_, since)| *since)
            .map(|(f, _)| *f)
    }
}

/// A registration group (form or class) and its teacher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegGroup {
    pub id: String,
    pub school_id: String,
    pub name: String,
    pub year_code: Option<i64>,
    pub teacher_user_id: Option<String>,
}

/// Which schools a query may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchoolScope {
    All,
    Authority(String),
    Schools(Vec<String>),
}

/// Input for a new school.
#[derive(Debug, Clone)]
pub struct NewSchool<'a> {
    pub la_id: &'a str,
    pub urn: &'a str,
    pub estab_number: &'a str,
    pub name: &'a str,
    pub phase: Phase,
    pub country: Country,
    pub maintained: bool,
}

fn parse_enum<T>(value: String, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T> {
    parse(&value).ok_or_else(|| StoreError::Malformed(format!("{what} {value:?}")))
}

fn authority_from_row(row: &AnyRow) -> Result<Authority> {
    Ok(Authority {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        country: parse_enum(row.try_get("country")?, Country::parse, "country")?,
    })
}

const SCHOOL_COLUMNS: &str = "s.id, s.la_id, la.code AS la_code, s.urn, s.estab_number, s.name, \
     s.phase, s.country, s.maintained";

impl Store {
    /// Adds a local authority.
    pub async fn insert_authority(
        tx: &mut Tx,
        code: &str,
        name: &str,
        country: Country,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO local_authorities (id, code, name, country, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(code)
        .bind(name)
        .bind(country.as_str())
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "an authority with this code already exists"))?;
        Ok(id)
    }

    /// All local authorities, by code.
    pub async fn authorities(&self) -> Result<Vec<Authority>> {
        let rows =
            sqlx::query("SELECT id, code, name, country FROM local_authorities ORDER BY code")
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(authority_from_row).collect()
    }

    /// Adds a school.
    pub async fn insert_school(
        tx: &mut Tx,
        s: &NewSchool<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO schools (id, la_id, urn, estab_number, name, phase, country, maintained, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(s.la_id)
        .bind(s.urn)
        .bind(s.estab_number)
        .bind(s.name)
        .bind(s.phase.as_str())
        .bind(s.country.as_str())
        .bind(flag(s.maintained))
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "a school with this URN or establishment number already exists"))?;
        Ok(id)
    }

    /// Records that a school works under `framework` from `since`.
    pub async fn insert_school_framework(
        tx: &mut Tx,
        school_id: &str,
        framework: FrameworkKey,
        since: Date,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO school_frameworks (id, school_id, framework, started_on) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(school_id)
        .bind(framework.as_str())
        .bind(ds(since))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Adds term dates for an authority, or for one school when `school_id` is given
    /// (a school's own terms replace its authority's).
    pub async fn insert_term(
        tx: &mut Tx,
        la_id: &str,
        school_id: Option<&str>,
        term: DateRange,
    ) -> Result<()> {
        let entry = ValidEntry {
            kind: EntryKind::Term,
            name: String::new(),
            range: term,
        };
        Store::insert_calendar_entry(tx, la_id, school_id, &entry).await?;
        Ok(())
    }

    /// Adds a closure (a day or days without school) for an authority or one school.
    pub async fn insert_closure(
        tx: &mut Tx,
        la_id: &str,
        school_id: Option<&str>,
        range: DateRange,
        reason: &str,
    ) -> Result<()> {
        let entry = ValidEntry {
            kind: EntryKind::Closure,
            name: reason.to_string(),
            range,
        };
        Store::insert_calendar_entry(tx, la_id, school_id, &entry).await?;
        Ok(())
    }

    /// The school calendar for one school: its own terms if it has any, else its
    /// authority's; the authority's INSET days and closures and its own. Bank holidays
    /// follow the rules until the caller adds the published ones
    /// (`SchoolCalendar::with_bank_holidays`, as `senco_app::calendars` does).
    pub async fn school_calendar(&self, school: &School) -> Result<SchoolCalendar> {
        let rows = sqlx::query(
            "SELECT school_id, kind, starts_on, ends_on FROM calendar_entries \
             WHERE la_id = $1 AND (school_id IS NULL OR school_id = $2) ORDER BY starts_on",
        )
        .bind(&school.la_id)
        .bind(&school.id)
        .fetch_all(self.pool())
        .await?;
        let mut terms = Vec::new();
        let mut closures = Vec::new();
        for r in rows {
            let own: Option<String> = r.try_get("school_id")?;
            let kind: String = r.try_get("kind")?;
            let start = parse_ds(&r.try_get::<String, _>("starts_on")?)?;
            let end = parse_ds(&r.try_get::<String, _>("ends_on")?)?;
            let Some(range) = DateRange::new(start, end) else {
                continue;
            };
            if kind == EntryKind::Term.as_str() {
                terms.push((own.is_some(), range));
            } else {
                closures.push(range);
            }
        }
        let has_own = terms.iter().any(|(own, _)| *own);
        let terms = terms
            .into_iter()
            .filter(|(own, _)| *own == has_own)
            .map(|(_, r)| r)
            .collect();
        Ok(SchoolCalendar::new(school.country, terms, closures))
    }

    /// Schools in scope, by name, with their frameworks.
    pub async fn schools(&self, scope: &SchoolScope) -> Result<Vec<School>> {
        let mut q = Sql::new(format!(
            "SELECT {SCHOOL_COLUMNS} FROM schools s JOIN local_authorities la ON la.id = s.la_id"
        ));
        match scope {
            SchoolScope::All => {}
            SchoolScope::Authority(la) => {
                q.push(" WHERE s.la_id = ").bind(la.clone());
            }
            SchoolScope::Schools(ids) if ids.is_empty() => return Ok(Vec::new()),
            SchoolScope::Schools(ids) => {
                q.push(" WHERE s.id IN (").bind_list(ids).push(")");
            }
        }
        q.push(" ORDER BY s.name");
        let rows = q.build().fetch_all(self.pool()).await?;
        let mut schools = rows
            .iter()
            .map(school_from_row)
            .collect::<Result<Vec<_>>>()?;
        // Only these schools' frameworks: every page reads its school, and reading the whole
        // authority's frameworks each time cost more than the rest of a pupil page.
        let mut fq =
            Sql::new("SELECT f.school_id, f.framework, f.started_on FROM school_frameworks f");
        match scope {
            SchoolScope::All => {}
            SchoolScope::Authority(la) => {
                fq.push(" JOIN schools s ON s.id = f.school_id WHERE s.la_id = ")
                    .bind(la.clone());
            }
            SchoolScope::Schools(ids) => {
                fq.push(" WHERE f.school_id IN (").bind_list(ids).push(")");
            }
        }
        fq.push(" ORDER BY f.started_on");
        let frameworks = fq.build().fetch_all(self.pool()).await?;
        let index: std::collections::HashMap<String, usize> = schools
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        for f in frameworks {
            let school_id: String = f.try_get("school_id")?;
            if let Some(s) = index.get(&school_id).map(|&i| &mut schools[i]) {
                s.frameworks.push((
                    parse_enum(f.try_get("framework")?, FrameworkKey::parse, "framework")?,
                    parse_ds(&f.try_get::<String, _>("started_on")?)?,
                ));
            }
        }
        Ok(schools)
    }

    /// One school by id.
    pub async fn school(&self, id: &str) -> Result<School> {
        self.schools(&SchoolScope::Schools(vec![id.to_string()]))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// A school's id from its URN.
    pub async fn school_id_by_urn(&self, urn: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM schools WHERE urn = $1")
            .bind(urn)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// Adds a registration group.
    pub async fn insert_reg_group(
        tx: &mut Tx,
        school_id: &str,
        name: &str,
        year_code: Option<i64>,
        teacher_user_id: Option<&str>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO reg_groups (id, school_id, name, year_code, teacher_user_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(school_id)
        .bind(name)
        .bind(year_code)
        .bind(teacher_user_id)
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "a registration group with this name already exists"))?;
        Ok(id)
    }

    /// Makes `user_id` the teacher of a registration group (a staff import: the preview has
    /// refused a group that already has one).
    pub async fn set_reg_group_teacher(tx: &mut Tx, group_id: &str, user_id: &str) -> Result<()> {
        sqlx::query("UPDATE reg_groups SET teacher_user_id = $2 WHERE id = $1")
            .bind(group_id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A school's registration groups, by name.
    pub async fn reg_groups(&self, school_id: &str) -> Result<Vec<RegGroup>> {
        let rows = sqlx::query(
            "SELECT id, school_id, name, year_code, teacher_user_id FROM reg_groups \
             WHERE school_id = $1 ORDER BY year_code, name",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RegGroup {
                    id: r.try_get("id")?,
                    school_id: r.try_get("school_id")?,
                    name: r.try_get("name")?,
                    year_code: r.try_get("year_code")?,
                    teacher_user_id: r.try_get("teacher_user_id")?,
                })
            })
            .collect()
    }

    /// The teachers of a school's registration groups, `(user id, name)` by name, each once:
    /// one query, where looking each group's teacher up in turn cost a query a group.
    pub async fn reg_group_teachers(&self, school_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.id, u.name FROM reg_groups g JOIN users u ON u.id = g.teacher_user_id \
             WHERE g.school_id = $1 ORDER BY u.name, u.id",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }
}

fn school_from_row(row: &AnyRow) -> Result<School> {
    Ok(School {
        id: row.try_get("id")?,
        la_id: row.try_get("la_id")?,
        la_code: row.try_get("la_code")?,
        urn: row.try_get("urn")?,
        estab_number: row.try_get("estab_number")?,
        name: row.try_get("name")?,
        phase: parse_enum(row.try_get("phase")?, Phase::parse, "phase")?,
        country: parse_enum(row.try_get("country")?, Country::parse, "country")?,
        maintained: get_flag(row, "maintained")?,
        frameworks: Vec::new(),
    })
}

/// The settings key of a country's compulsory school age.
fn csa_key(country: Country) -> String {
    format!("compulsory_school_age.{}", country.as_str())
}

/// Formats a compulsory school age setting as `5;03-31,08-31,12-31`.
pub fn format_compulsory_school_age(c: &CompulsorySchoolAge) -> String {
    let days: Vec<String> = c
        .prescribed_days
        .iter()
        .map(|(m, d)| format!("{:02}-{:02}", u8::from(*m), d))
        .collect();
    format!("{};{}", c.start_age, days.join(","))
}

/// Parses a compulsory school age setting written by [`format_compulsory_school_age`].
pub fn parse_compulsory_school_age(s: &str) -> Option<CompulsorySchoolAge> {
    let (age, days) = s.split_once(';')?;
    let start_age = age.trim().parse().ok()?;
    let prescribed_days = days
        .split(',')
        .map(|d| {
            let (m, d) = d.trim().split_once('-')?;
            let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
            let day: u8 = d.parse().ok()?;
            (1..=31).contains(&day).then_some((month, day))
        })
        .collect::<Option<Vec<_>>>()?;
    (!prescribed_days.is_empty()).then_some(CompulsorySchoolAge {
        start_age,
        prescribed_days,
    })
}

impl Store {
    /// A country's compulsory school age: the stored setting, or the law's default.
    pub async fn compulsory_school_age(&self, country: Country) -> Result<CompulsorySchoolAge> {
        match self.setting(&csa_key(country)).await? {
            Some(s) => parse_compulsory_school_age(&s).ok_or_else(|| {
                StoreError::Malformed(format!("setting {}: {s:?}", csa_key(country)))
            }),
            None => Ok(CompulsorySchoolAge::default_for(country)),
        }
    }

    /// Changes a country's compulsory school age.
    pub async fn set_compulsory_school_age(
        tx: &mut Tx,
        country: Country,
        c: &CompulsorySchoolAge,
    ) -> Result<()> {
        Store::set_setting(tx, &csa_key(country), &format_compulsory_school_age(c)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compulsory_school_age_settings_round_trip() {
        let c = CompulsorySchoolAge::default_for(Country::Wales);
        let s = format_compulsory_school_age(&c);
        assert_eq!(s, "5;03-31,08-31,12-31");
        assert_eq!(parse_compulsory_school_age(&s), Some(c));
        for bad in ["", "5", "x;03-31", "5;13-01", "5;03-32", "5;"] {
            assert_eq!(parse_compulsory_school_age(bad), None, "{bad}");
        }
    }
}
