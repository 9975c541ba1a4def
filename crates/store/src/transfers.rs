//! Transfers between schools (SR-07, SR-26): a school that names another school's pupil in
//! an import (with the pupil's date of birth) files a request; the record moves only when
//! the school holding it releases it, or an officer of that school's authority approves.
//! Declining leaves everything where it is. Both schools see the request; nothing of the
//! pupil's record is read by the requesting school until the move.

use senco_domain::Date;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Result, Store, StoreError, Tx, get_flag, new_id, parse_ts, ts};

/// A request as the import files it.
#[derive(Debug, Clone)]
pub struct NewTransferRequest<'a> {
    pub pupil_id: &'a str,
    pub from_school_id: &'a str,
    pub to_school_id: &'a str,
    pub upn: &'a str,
    /// The names as the requesting school's file gives them.
    pub legal_forename: &'a str,
    pub legal_surname: &'a str,
    pub surname_differs: bool,
    /// `pupil_import` or `ctf_import`.
    pub source: &'static str,
    pub requested_by: Option<&'a str>,
    /// The account's email, or `os:NAME` at the command line.
    pub requested_label: &'a str,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferStatus {
    Pending,
    Released,
    Declined,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Released => "released",
            TransferStatus::Declined => "declined",
        }
    }

    fn parse(s: &str) -> Result<TransferStatus> {
        match s {
            "pending" => Ok(TransferStatus::Pending),
            "released" => Ok(TransferStatus::Released),
            "declined" => Ok(TransferStatus::Declined),
            other => Err(StoreError::Malformed(format!("transfer status {other:?}"))),
        }
    }
}

/// Who decided a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedAs {
    /// The holding school's SENCO or head teacher.
    School,
    /// An officer of the holding school's local authority.
    Authority,
}

impl DecidedAs {
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedAs::School => "school",
            DecidedAs::Authority => "authority",
        }
    }
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub id: String,
    pub pupil_id: String,
    /// The school holding the record when the request was made.
    pub from_school_id: String,
    pub to_school_id: String,
    pub upn: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub surname_differs: bool,
    pub source: String,
    pub status: TransferStatus,
    pub requested_label: String,
    pub requested_at: OffsetDateTime,
    pub decided_as: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "id, pupil_id, school_id, to_school_id, upn, legal_forename, legal_surname, \
     surname_differs, source, status, requested_label, requested_at, decided_as, decided_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<TransferRequest> {
    Ok(TransferRequest {
        id: r.try_get("id")?,
        pupil_id: r.try_get("pupil_id")?,
        from_school_id: r.try_get("school_id")?,
        to_school_id: r.try_get("to_school_id")?,
        upn: r.try_get("upn")?,
        legal_forename: r.try_get("legal_forename")?,
        legal_surname: r.try_get("legal_surname")?,
        surname_differs: get_flag(r, "surname_differs")?,
        source: r.try_get("source")?,
        status: TransferStatus::parse(&r.try_get::<String, _>("status")?)?,
        requested_label: r.try_get("requested_label")?,
        requested_at: parse_ts(&r.try_get::<String, _>("requested_at")?)?,
        decided_as: r.try_get("decided_as")?,
        decided_at: r
            .try_get::<Option<String>, _>("decided_at")?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
    })
}

impl Store {
    /// Files a request for `r.pupil_id` to move to `r.to_school_id`, unless one is already
    /// pending for that pupil and school. Returns the new request's id. The caller audits.
    pub async fn request_transfer(
        tx: &mut Tx,
        r: &NewTransferRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let pending = sqlx::query(
            "SELECT COUNT(*) AS n FROM transfer_requests \
             WHERE pupil_id = $1 AND to_school_id = $2 AND status = 'pending'",
        )
        .bind(r.pupil_id)
        .bind(r.to_school_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get::<i64, _>("n")?;
        if pending > 0 {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO transfer_requests (id, pupil_id, school_id, to_school_id, upn, \
             legal_forename, legal_surname, surname_differs, source, status, requested_by, \
             requested_label, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12)",
        )
        .bind(&id)
        .bind(r.pupil_id)
        .bind(r.from_school_id)
        .bind(r.to_school_id)
        .bind(r.upn)
        .bind(r.legal_forename)
        .bind(r.legal_surname)
        .bind(i64::from(r.surname_differs))
        .bind(r.source)
        .bind(r.requested_by)
        .bind(r.requested_label)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(Some(id))
    }

    /// Requests to or from any of `schools`, pending first, then newest first.
    pub async fn transfer_requests(&self, schools: &[String]) -> Result<Vec<TransferRequest>> {
        if schools.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::Sql::new(format!(
            "SELECT {COLUMNS} FROM transfer_requests WHERE school_id IN ("
        ));
        q.bind_list(schools).push(") OR to_school_id IN (");
        q.bind_list(schools).push(
            ") ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, requested_at DESC, id DESC",
        );
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// One request, if it is to or from one of `schools`.
    pub async fn transfer_request(&self, id: &str, schools: &[String]) -> Result<TransferRequest> {
        let r = self
            .transfer_requests_by_id(id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if schools.contains(&r.from_school_id) || schools.contains(&r.to_school_id) {
            Ok(r)
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn transfer_requests_by_id(&self, id: &str) -> Result<Option<TransferRequest>> {
        let q = format!("SELECT {COLUMNS} FROM transfer_requests WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The number of pending requests a school holds (its SENCO's to-do).
    pub async fn pending_transfers_from(&self, school_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM transfer_requests WHERE school_id = $1 AND status = 'pending'",
        )
        .bind(school_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Releases a pending request held by `from_school_id`: the pupil and every record of
    /// theirs move to the requesting school (their old enrolment ends `today`, a new one
    /// starts). `Conflict` when the request is no longer pending (decided meanwhile) or the
    /// pupil is no longer at the holding school. The caller audits and commits.
    pub async fn release_transfer(
        tx: &mut Tx,
        request: &TransferRequest,
        decided_by: Option<&str>,
        decided_as: DecidedAs,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<()> {
        Self::decide(
            tx,
            request,
            TransferStatus::Released,
            decided_by,
            decided_as,
            now,
        )
        .await?;
        // The pupil must still be at the school that released them.
        let here = sqlx::query("SELECT COUNT(*) AS n FROM pupils WHERE id = $1 AND school_id = $2")
            .bind(&request.pupil_id)
            .bind(&request.from_school_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get::<i64, _>("n")?;
        if here != 1 {
            return Err(StoreError::Conflict);
        }
        // The requesting school's rows are outside the holding school's tenancy: widened for
        // the move only.
        let prior = crate::tenancy::widen(tx).await?;
        Self::move_pupil(tx, &request.pupil_id, &request.to_school_id, today, now).await?;
        // Other schools' pending requests for the same pupil end with the move.
        sqlx::query(
            "UPDATE transfer_requests SET status = 'declined', decided_as = $2, decided_at = $3 \
             WHERE pupil_id = $1 AND status = 'pending'",
        )
        .bind(&request.pupil_id)
        .bind(decided_as.as_str())
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        crate::tenancy::narrow(tx, prior).await
    }

    /// Declines a pending request: nothing moves. `Conflict` when it is no longer pending.
    pub async fn decline_transfer(
        tx: &mut Tx,
        request: &TransferRequest,
        decided_by: Option<&str>,
        decided_as: DecidedAs,
        now: OffsetDateTime,
    ) -> Result<()> {
        Self::decide(
            tx,
            request,
            TransferStatus::Declined,
            decided_by,
            decided_as,
            now,
        )
        .await
    }

    async fn decide(
        tx: &mut Tx,
        request: &TransferRequest,
        status: TransferStatus,
        decided_by: Option<&str>,
        decided_as: DecidedAs,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE transfer_requests SET status = $2, decided_by = $3, decided_as = $4, decided_at = $5 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(&request.id)
        .bind(status.as_str())
        .bind(decided_by)
        .bind(decided_as.as_str())
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// The addresses to tell of the requests `to_school_id` filed at `at`: the active
    /// SENCOs and head teachers of the schools holding those records.
    pub async fn holders_to_tell(
        tx: &mut Tx,
        to_school_id: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.email FROM users u WHERE u.role IN ('senco', 'head') \
             AND u.disabled_at IS NULL AND u.school_id IN (SELECT r.school_id FROM transfer_requests r \
             WHERE r.to_school_id = $1 AND r.status = 'pending' AND r.requested_at = $2) ORDER BY u.email",
        )
        .bind(to_school_id)
        .bind(ts(at))
        .fetch_all(&mut **tx)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("email")?))
            .collect()
    }

    /// How many UPN probes `actor_label` made since `since` (SR-07: a burst is refused).
    pub async fn upn_probes_since(&self, actor_label: &str, since: OffsetDateTime) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'upn_probe' AND actor_label = $1 AND at >= $2",
        )
        .bind(actor_label)
        .bind(ts(since))
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }
}
