//! Outside specialists: agencies and their people (per school), pupils' involvements with
//! consent and status, their notes (visits, assessments, advice, recommendations) and
//! uploaded reports, kept in the database with the pupil's school.
//!
//! Involvements, notes and reports are pupil data: lists join the pupil and apply the
//! caller's [`Scope`]. Report contents are read only by [`Store::report_data`], which the
//! web crate calls after checking access and before writing the audit row.

use senco_domain::Date;
use senco_domain::specialist::{AgencyKind, InvolvementStatus, NoteKind};
use sqlx::Row;
use time::OffsetDateTime;

use crate::scope::Scope;
use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, ds, duplicate, new_id, parse_ds, parse_ts, ts,
};

fn opt_date(row: &AnyRow, col: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(col)?
        .map(|s| parse_ds(&s))
        .transpose()
}

/// An outside agency a school works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: String,
    pub school_id: String,
    pub kind: AgencyKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A person of an agency (with their Senco account, if they have one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub agency_id: String,
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub user_id: Option<String>,
}

/// A specialist's involvement with a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involvement {
    pub id: String,
    pub pupil_id: String,
    pub pupil_name: String,
    pub school_id: String,
    pub agency_id: Option<String>,
    pub agency_name: Option<String>,
    pub agency_kind: Option<AgencyKind>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub specialist_user_id: Option<String>,
    pub specialist_name: Option<String>,
    pub status: InvolvementStatus,
    pub referral_on: Option<Date>,
    pub reason: String,
    pub consent_on: Option<Date>,
    pub consent_by: Option<String>,
    pub consent_withdrawn_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub version: i64,
    pub created_at: OffsetDateTime,
}

/// Input for a new involvement (a referral).
#[derive(Debug, Clone)]
pub struct NewInvolvement<'a> {
    pub pupil_id: &'a str,
    pub school_id: &'a str,
    pub agency_id: &'a str,
    pub person_id: Option<&'a str>,
    pub specialist_user_id: Option<&'a str>,
    pub referral_on: Date,
    pub reason: &'a str,
    pub consent: Option<(Date, &'a str)>,
    pub created_by: Option<&'a str>,
}

/// An involvement's status and consent, as changed together.
#[derive(Debug, Clone)]
pub struct InvolvementState<'a> {
    pub status: InvolvementStatus,
    pub consent: Option<(Date, &'a str)>,
    pub consent_withdrawn_on: Option<Date>,
    pub closed_on: Option<Date>,
}

/// A note of an involvement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: String,
    pub involvement_id: String,
    pub kind: NoteKind,
    pub on: Date,
    pub body: String,
    pub author_name: Option<String>,
    pub strategy_target_id: Option<String>,
}

/// A report's description (its contents are read separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: String,
    pub involvement_id: String,
    pub pupil_id: String,
    pub school_id: String,
    pub title: String,
    pub file_name: String,
    /// `pdf`, `docx`, `png` or `jpeg`.
    pub kind: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub shared_with_parents: bool,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: OffsetDateTime,
}

/// A note to add to an involvement.
#[derive(Debug, Clone)]
pub struct NewNote<'a> {
    pub involvement: &'a Involvement,
    pub kind: NoteKind,
    pub on: Date,
    pub body: &'a str,
    pub author: Option<&'a str>,
}

/// A report to store.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub involvement: &'a Involvement,
    pub title: &'a str,
    pub file_name: &'a str,
    pub kind: &'a str,
    pub sha256: &'a str,
    pub data: &'a [u8],
    pub uploaded_by: Option<&'a str>,
}

const INVOLVEMENT_COLUMNS: &str = "i.id, i.pupil_id, i.school_id, i.agency_id, ag.name AS agency_name, \
    ag.kind AS agency_kind, i.person_id, ap.name AS person_name, i.specialist_user_id, u.name AS specialist_name, \
    i.status, i.referral_on, i.reason, i.consent_recorded_on, i.consent_by, i.consent_withdrawn_on, i.closed_on, \
    i.version, i.created_at, p.legal_forename, p.legal_surname, p.preferred_forename, p.preferred_surname";

const INVOLVEMENT_FROM: &str = "FROM involvements i JOIN pupils p ON p.id = i.pupil_id \
    LEFT JOIN agencies ag ON ag.id = i.agency_id LEFT JOIN agency_people ap ON ap.id = i.person_id \
    LEFT JOIN users u ON u.id = i.specialist_user_id";

fn involvement_from_row(r: &AnyRow) -> Result<Involvement> {
    let status: String = r.try_get("status")?;
    let kind: Option<String> = r.try_get("agency_kind")?;
    let forename: Option<String> = r.try_get("preferred_forename")?;
    let surname: Option<String> = r.try_get("preferred_surname")?;
    let pupil_name = format!(
        "{} {}",
        forename
            .map(Ok)
            .unwrap_or_else(|| r.try_get::<String, _>("legal_forename"))?,
        surname
            .map(Ok)
            .unwrap_or_else(|| r.try_get::<String, _>("legal_surname"))?
    );
    let consent_on = opt_date(r, "consent_recorded_on")?;
    let consent_by: Option<String> = r.try_get("consent_by")?;
    Ok(Involvement {
        id: r.try_get("id")?,
        pupil_id: r.try_get("pupil_id")?,
        pupil_name,
        school_id: r.try_get("school_id")?,
        agency_id: r.try_get("agency_id")?,
        agency_name: r.try_get("agency_name")?,
        agency_kind: kind.as_deref().and_then(AgencyKind::parse),
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        specialist_user_id: r.try_get("specialist_user_id")?,
        specialist_name: r.try_get("specialist_name")?,
        status: InvolvementStatus::parse(&status)
            .ok_or_else(|| StoreError::Malformed(format!("involvement status {status:?}")))?,
        referral_on: opt_date(r, "referral_on")?,
        reason: r.try_get("reason")?,
        consent_on,
        consent_by,
        consent_withdrawn_on: opt_date(r, "consent_withdrawn_on")?,
        closed_on: opt_date(r, "closed_on")?,
        version: r.try_get("version")?,
        created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
    })
}

const REPORT_COLUMNS: &str = "r.id, r.involvement_id, r.pupil_id, r.school_id, r.title, r.file_name, r.kind, \
    r.size_bytes, r.sha256, r.shared_with_parents, u.name AS uploaded_by_name, r.uploaded_at";

fn report_from_row(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        id: r.try_get("id")?,
        involvement_id: r.try_get("involvement_id")?,
        pupil_id: r.try_get("pupil_id")?,
        school_id: r.try_get("school_id")?,
        title: r.try_get("title")?,
        file_name: r.try_get("file_name")?,
        kind: r.try_get("kind")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        shared_with_parents: r.try_get::<i64, _>("shared_with_parents")? != 0,
        uploaded_by_name: r.try_get("uploaded_by_name")?,
        uploaded_at: parse_ts(&r.try_get::<String, _>("uploaded_at")?)?,
    })
}

impl Store {
    /// Adds an agency to a school's list. A name already used is a duplicate.
    pub async fn insert_agency(
        tx: &mut Tx,
        school_id: &str,
        kind: AgencyKind,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO agencies (id, school_id, kind, name, email, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(school_id)
        .bind(kind.as_str())
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "agency_name"))?;
        Ok(id)
    }

    /// A school's agencies by name.
    pub async fn agencies(&self, school_id: &str) -> Result<Vec<Agency>> {
        let rows = sqlx::query(
            "SELECT id, school_id, kind, name, email, phone FROM agencies WHERE school_id = $1 ORDER BY name",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(agency_from_row).collect()
    }

    /// The agencies with these ids, whichever school's list holds them: a pupil's
    /// involvements keep naming the agency of the school that referred them after the pupil
    /// moves (a pupil's portable record and subject-access bundle).
    pub async fn agencies_by_ids(&self, ids: &[String]) -> Result<Vec<Agency>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::Sql::new(
            "SELECT id, school_id, kind, name, email, phone FROM agencies WHERE id IN (",
        );
        q.bind_list(ids).push(") ORDER BY name");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(agency_from_row).collect()
    }

    /// The agencies' people with these ids, whichever school's list holds them.
    pub async fn people_by_ids(&self, ids: &[String]) -> Result<Vec<Person>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::Sql::new(
            "SELECT id, agency_id, name, role, email, user_id FROM agency_people WHERE id IN (",
        );
        q.bind_list(ids).push(") ORDER BY name");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(person_from_row).collect()
    }
}

fn agency_from_row(r: &sqlx::any::AnyRow) -> Result<Agency> {
    let kind: String = r.try_get("kind")?;
    Ok(Agency {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        kind: AgencyKind::parse(&kind)
            .ok_or_else(|| StoreError::Malformed(format!("agency kind {kind:?}")))?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
    })
}

fn person_from_row(r: &sqlx::any::AnyRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        agency_id: r.try_get("agency_id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        email: r.try_get("email")?,
        user_id: r.try_get("user_id")?,
    })
}

impl Store {
    /// Adds a person to an agency, linked to the specialist account with their address if
    /// there is one.
    pub async fn insert_person(
        tx: &mut Tx,
        agency: &Agency,
        name: &str,
        role: &str,
        email: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let user: Option<String> = match email {
            Some(e) => sqlx::query(
                "SELECT id FROM users WHERE email = $1 AND role = 'specialist' AND disabled_at IS NULL",
            )
            .bind(e)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?,
            None => None,
        };
        let id = new_id();
        sqlx::query(
            "INSERT INTO agency_people (id, agency_id, school_id, name, role, email, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&agency.id)
        .bind(&agency.school_id)
        .bind(name)
        .bind(role)
        .bind(email)
        .bind(user)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// The people of a school's agencies by name.
    pub async fn people(&self, school_id: &str) -> Result<Vec<Person>> {
        let rows = sqlx::query(
            "SELECT id, agency_id, name, role, email, user_id FROM agency_people WHERE school_id = $1 ORDER BY name",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(person_from_row).collect()
    }

    /// Records a referral.
    pub async fn insert_referral(
        tx: &mut Tx,
        n: &NewInvolvement<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO involvements (id, pupil_id, school_id, agency_id, person_id, specialist_user_id, status, \
             referral_on, reason, consent_recorded_on, consent_by, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(&id)
        .bind(n.pupil_id)
        .bind(n.school_id)
        .bind(n.agency_id)
        .bind(n.person_id)
        .bind(n.specialist_user_id)
        .bind(ds(n.referral_on))
        .bind(n.reason)
        .bind(n.consent.map(|(d, _)| ds(d)))
        .bind(n.consent.map(|(_, by)| by.to_string()))
        .bind(n.created_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Changes an involvement's status and consent if `expected_version` is current.
    pub async fn update_involvement(
        tx: &mut Tx,
        id: &str,
        expected_version: i64,
        s: &InvolvementState<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE involvements SET status = $3, consent_recorded_on = $4, consent_by = $5, \
             consent_withdrawn_on = $6, closed_on = $7, updated_at = $8, version = version + 1 \
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(s.status.as_str())
        .bind(s.consent.map(|(d, _)| ds(d)))
        .bind(s.consent.map(|(_, by)| by.to_string()))
        .bind(s.consent_withdrawn_on.map(ds))
        .bind(s.closed_on.map(ds))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Involvements whose pupil is in `scope`: of one pupil, or one by id. With
    /// `only_specialist`, only those of that specialist.
    pub async fn involvements(
        &self,
        scope: &Scope,
        pupil_id: Option<&str>,
        id: Option<&str>,
        only_specialist: Option<&str>,
    ) -> Result<Vec<Involvement>> {
        let mut q = Sql::new(format!(
            "SELECT {INVOLVEMENT_COLUMNS} {INVOLVEMENT_FROM} WHERE 1 = 1"
        ));
        if let Some(p) = pupil_id {
            q.push(" AND i.pupil_id = ").bind(p);
        }
        if let Some(i) = id {
            q.push(" AND i.id = ").bind(i);
        }
        if let Some(s) = only_specialist {
            q.push(" AND i.specialist_user_id = ").bind(s);
        }
        scope.push_predicate(&mut q);
        q.push(" ORDER BY i.referral_on DESC, i.created_at DESC");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(involvement_from_row).collect()
    }

    /// The pupil of an involvement, for auditing a refused attempt (no other detail).
    pub async fn involvement_pupil_unscoped_for_audit(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT pupil_id FROM involvements WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("pupil_id")).transpose()?)
    }

    /// Adds a note to an involvement.
    pub async fn insert_note(tx: &mut Tx, n: &NewNote<'_>, now: OffsetDateTime) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO involvement_notes (id, involvement_id, pupil_id, school_id, kind, on_date, body, \
             author_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&n.involvement.id)
        .bind(&n.involvement.pupil_id)
        .bind(&n.involvement.school_id)
        .bind(n.kind.as_str())
        .bind(ds(n.on))
        .bind(n.body)
        .bind(n.author)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Marks a recommendation as turned into a strategy of a plan target.
    pub async fn set_note_strategy(tx: &mut Tx, note_id: &str, target_id: &str) -> Result<()> {
        sqlx::query("UPDATE involvement_notes SET strategy_target_id = $2 WHERE id = $1")
            .bind(note_id)
            .bind(target_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The notes of some involvements (already reached through a scope), by date.
    pub async fn notes(&self, involvement_ids: &[String]) -> Result<Vec<Note>> {
        let mut out = Vec::new();
        for chunk in involvement_ids.chunks(500) {
            let mut q = Sql::new(
                "SELECT n.id, n.involvement_id, n.kind, n.on_date, n.body, u.name AS author_name, n.strategy_target_id \
                 FROM involvement_notes n LEFT JOIN users u ON u.id = n.author_user_id WHERE n.involvement_id IN (",
            );
            q.bind_list(chunk)
                .push(") ORDER BY n.on_date, n.created_at");
            for r in q.build().fetch_all(self.pool()).await? {
                let kind: String = r.try_get("kind")?;
                out.push(Note {
                    id: r.try_get("id")?,
                    involvement_id: r.try_get("involvement_id")?,
                    kind: NoteKind::parse(&kind)
                        .ok_or_else(|| StoreError::Malformed(format!("note kind {kind:?}")))?,
                    on: parse_ds(&r.try_get::<String, _>("on_date")?)?,
                    body: r.try_get("body")?,
                    author_name: r.try_get("author_name")?,
                    strategy_target_id: r.try_get("strategy_target_id")?,
                });
            }
        }
        Ok(out)
    }

    /// Stores an uploaded report.
    pub async fn insert_report(
        tx: &mut Tx,
        r: &NewReport<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO involvement_reports (id, involvement_id, pupil_id, school_id, title, file_name, kind, \
             size_bytes, sha256, data, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&r.involvement.id)
        .bind(&r.involvement.pupil_id)
        .bind(&r.involvement.school_id)
        .bind(r.title)
        .bind(r.file_name)
        .bind(r.kind)
        .bind(i64::try_from(r.data.len()).unwrap_or(i64::MAX))
        .bind(r.sha256)
        .bind(r.data.to_vec())
        .bind(r.uploaded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// The reports of some involvements (already reached through a scope), newest first.
    pub async fn reports(&self, involvement_ids: &[String]) -> Result<Vec<Report>> {
        let mut out = Vec::new();
        for chunk in involvement_ids.chunks(500) {
            let mut q = Sql::new(format!(
                "SELECT {REPORT_COLUMNS} FROM involvement_reports r LEFT JOIN users u ON u.id = r.uploaded_by \
                 WHERE r.involvement_id IN ("
            ));
            q.bind_list(chunk).push(") ORDER BY r.uploaded_at DESC");
            for r in q.build().fetch_all(self.pool()).await? {
                out.push(report_from_row(&r)?);
            }
        }
        Ok(out)
    }

    /// One report's description, without its contents (the caller checks access to its
    /// involvement).
    pub async fn report(&self, id: &str) -> Result<Report> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM involvement_reports r LEFT JOIN users u ON u.id = r.uploaded_by WHERE r.id = $1"
        );
        self.one_by_id(sql, id, report_from_row).await
    }

    /// A report's contents.
    pub async fn report_data(&self, id: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT data FROM involvement_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get("data")?)
    }

    /// Shares a report with the pupil's parents, or stops sharing it.
    pub async fn set_report_shared(tx: &mut Tx, id: &str, shared: bool) -> Result<()> {
        sqlx::query("UPDATE involvement_reports SET shared_with_parents = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(shared))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
