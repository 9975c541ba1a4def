//! Retention (SR-30): how pupils left, the reviews of records due for destruction, the
//! destruction itself (every row of the pupil, in one transaction), the destruction log, and
//! on SQLite the checkpoint and `VACUUM` that take deleted pages out of the file and the WAL.
//!
//! The rules (which class, which date) are `senco_domain::retention`'s; this module reads
//! the facts and writes the outcome.

use std::collections::HashSet;

use senco_domain::Date;
use senco_domain::retention::{PupilFacts, RecordClass, RetentionSettings, Roll};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::pupil_tables::PUPIL_RECORD_TABLES;
use crate::scope::Scope;
use crate::{
    Backend, Result, Sql, Store, StoreError, Tx, closed, ds, new_id, parse_ds, parse_ts, ts,
};

/// The settings keys of the retention periods, with what they take.
pub const SETTING_SEN_FILE_YEARS: &str = "retention.sen_file_years";
pub const SETTING_PUPIL_RECORD_YEARS: &str = "retention.pupil_record_years";
pub const SETTING_TRANSFERRED_OUT_DAYS: &str = "retention.transferred_out_days";
pub const SETTING_AUDIT_YEARS: &str = "audit.retention_years";

pub use crate::pupil_tables::{DESTROYED_TABLES, ID_ONLY_LOGS};

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    /// Flagged, waiting for the SENCO or head teacher.
    Pending,
    /// Destruction approved; the next run destroys the records.
    Approved,
    /// Kept for a documented reason until a later date.
    Kept,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Kept => "kept",
        }
    }

    fn parse(s: &str) -> Result<ReviewStatus> {
        match s {
            "pending" => Ok(ReviewStatus::Pending),
            "approved" => Ok(ReviewStatus::Approved),
            "kept" => Ok(ReviewStatus::Kept),
            _ => Err(StoreError::Malformed(format!("review status {s:?}"))),
        }
    }
}

/// A retention review with what the page shows of the pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionReview {
    pub id: String,
    pub pupil_id: String,
    pub school_id: String,
    /// The pupil's name, for the person deciding (not for the destruction log).
    pub pupil_name: String,
    pub date_of_birth: Date,
    pub class: RecordClass,
    pub due_on: Date,
    pub flagged_at: OffsetDateTime,
    pub status: ReviewStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub reason: Option<String>,
    pub keep_until: Option<Date>,
}

/// A decision on a pending review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Destroy the records (at the next run, or `senco retention destroy`).
    Approve,
    /// Keep them, for a documented reason, until a date when they are reviewed again.
    Keep { reason: String, until: Date },
}

/// What the daily review did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewOutcome {
    /// Pupils newly flagged.
    pub flagged: usize,
    /// Kept records whose date has come, back to pending.
    pub reopened: usize,
}

/// One destruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destroyed {
    pub log_id: String,
    pub pupil_id: String,
    pub school_id: String,
    pub class: RecordClass,
    pub rows_removed: i64,
    /// The pupil's plans (so that caches of their documents can be dropped).
    pub plan_ids: Vec<String>,
}

/// A destruction log row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestructionEntry {
    pub id: String,
    pub school_id: String,
    pub pupil_id: String,
    pub class: RecordClass,
    pub due_on: Date,
    pub approved_by: String,
    pub approved_at: OffsetDateTime,
    pub destroyed_at: OffsetDateTime,
    pub rows_removed: i64,
}

/// What compaction found (SQLite: the WAL checkpoints before and after `VACUUM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Whether every checkpoint completed and truncated the WAL.
    pub complete: bool,
}

/// What an audit prune did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPrune {
    pub removed: i64,
    /// The chain's anchor now: the last removed row's sequence number and hash.
    pub anchor_seq: i64,
}

const REVIEW_COLUMNS: &str = "r.id, r.pupil_id, r.school_id, p.legal_forename, p.legal_surname, \
    p.preferred_forename, p.preferred_surname, p.date_of_birth, r.class, r.due_on, r.flagged_at, \
    r.status, r.decided_by, r.decided_at, r.reason, r.keep_until";

fn review_from_row(r: &crate::AnyRow) -> Result<RetentionReview> {
    let fore: String = r.try_get("legal_forename")?;
    let sur: String = r.try_get("legal_surname")?;
    let pf: Option<String> = r.try_get("preferred_forename")?;
    let ps: Option<String> = r.try_get("preferred_surname")?;
    let opt_date = |c: &str| -> Result<Option<Date>> {
        r.try_get::<Option<String>, _>(c)?
            .map(|s| parse_ds(&s))
            .transpose()
    };
    Ok(RetentionReview {
        id: r.try_get("id")?,
        pupil_id: r.try_get("pupil_id")?,
        school_id: r.try_get("school_id")?,
        pupil_name: format!("{} {}", pf.unwrap_or(fore), ps.unwrap_or(sur)),
        date_of_birth: parse_ds(&r.try_get::<String, _>("date_of_birth")?)?,
        class: closed(r, "retention_reviews", "class", RecordClass::parse)?,
        due_on: parse_ds(&r.try_get::<String, _>("due_on")?)?,
        flagged_at: parse_ts(&r.try_get::<String, _>("flagged_at")?)?,
        status: ReviewStatus::parse(&r.try_get::<String, _>("status")?)?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r
            .try_get::<Option<String>, _>("decided_at")?
            .map(|s| parse_ts(&s))
            .transpose()?,
        reason: r.try_get("reason")?,
        keep_until: opt_date("keep_until")?,
    })
}

/// Parses a whole number of at least 1 for a retention setting.
pub fn parse_period(value: &str) -> Option<u16> {
    value.trim().parse::<u16>().ok().filter(|n| *n >= 1)
}

impl Store {
    /// The installation's retention periods: the settings where set, §4's defaults otherwise.
    pub async fn retention_settings(&self) -> Result<RetentionSettings> {
        self.retention_settings_over(RetentionSettings::default(), "")
            .await
    }

    /// A school's retention periods: its own settings (`retention.KEY.SCHOOL_ID`, set with
    /// `senco settings set retention.KEY.URN N`) over the installation's.
    pub async fn retention_settings_for(&self, school_id: &str) -> Result<RetentionSettings> {
        let installation = self.retention_settings().await?;
        self.retention_settings_over(installation, &format!(".{school_id}"))
            .await
    }

    async fn retention_settings_over(
        &self,
        mut s: RetentionSettings,
        suffix: &str,
    ) -> Result<RetentionSettings> {
        for (key, field) in [
            (SETTING_SEN_FILE_YEARS, &mut s.sen_file_years),
            (SETTING_PUPIL_RECORD_YEARS, &mut s.pupil_record_years),
            (SETTING_TRANSFERRED_OUT_DAYS, &mut s.transferred_out_days),
        ] {
            let key = format!("{key}{suffix}");
            if let Some(v) = self.setting(&key).await? {
                *field = parse_period(&v)
                    .ok_or_else(|| StoreError::Malformed(format!("setting {key} = {v:?}")))?;
            }
        }
        Ok(s)
    }

    /// The audit log's retention in years (setting `audit.retention_years`, default 6).
    pub async fn audit_retention_years(&self) -> Result<u16> {
        match self.setting(SETTING_AUDIT_YEARS).await? {
            Some(v) => parse_period(&v).ok_or_else(|| {
                StoreError::Malformed(format!("setting {SETTING_AUDIT_YEARS} = {v:?}"))
            }),
            None => Ok(senco_domain::retention::AUDIT_RETENTION_YEARS_DEFAULT),
        }
    }

    /// Records that a pupil left their school on `on`: the open enrolment there ends, marked
    /// as a transfer to another school (so this school is not the last) or not, with the
    /// destination's DfE number when known. `NotFound` when the pupil is not on roll there;
    /// `Malformed` when `on` is before the enrolment started.
    pub async fn record_leaving(
        tx: &mut Tx,
        pupil_id: &str,
        on: Date,
        transferred_out: bool,
        destination_laestab: Option<&str>,
    ) -> Result<()> {
        let open = sqlx::query(
            "SELECT starts_on FROM enrolments WHERE pupil_id = $1 AND ends_on IS NULL \
             AND school_id = (SELECT school_id FROM pupils WHERE id = $1)",
        )
        .bind(pupil_id)
        .fetch_all(&mut **tx)
        .await?;
        if open.is_empty() {
            return Err(StoreError::NotFound);
        }
        for r in &open {
            let starts_on = parse_ds(&r.try_get::<String, _>("starts_on")?)?;
            if on < starts_on {
                return Err(StoreError::Malformed(format!(
                    "the leaving date is before the enrolment started on {starts_on}"
                )));
            }
        }
        let done = sqlx::query(
            "UPDATE enrolments SET ends_on = $2, leaving = $3, destination_laestab = $4 \
             WHERE pupil_id = $1 AND ends_on IS NULL \
             AND school_id = (SELECT school_id FROM pupils WHERE id = $1)",
        )
        .bind(pupil_id)
        .bind(ds(on))
        .bind(if transferred_out {
            "transferred_out"
        } else {
            "left"
        })
        .bind(destination_laestab)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The retention facts of every pupil who is not on roll at the school holding their
    /// record: (pupil id, school id, facts). A pupil with an open enrolment there is on roll
    /// and not read. A confirmed transfer inside Senco moves the record and opens an
    /// enrolment at the new school, so such a pupil is on roll there and the old school holds
    /// nothing.
    pub async fn retention_candidates(&self) -> Result<Vec<(String, String, PupilFacts)>> {
        let rows = sqlx::query(
            "SELECT p.id, p.school_id, p.date_of_birth, \
             (SELECT e.ends_on FROM enrolments e WHERE e.pupil_id = p.id AND e.school_id = p.school_id \
                ORDER BY e.ends_on DESC LIMIT 1) AS left_on, \
             (SELECT e.leaving FROM enrolments e WHERE e.pupil_id = p.id AND e.school_id = p.school_id \
                ORDER BY e.ends_on DESC LIMIT 1) AS leaving, \
             CASE WHEN EXISTS (SELECT 1 FROM stage_changes x WHERE x.pupil_id = p.id) \
               OR EXISTS (SELECT 1 FROM plans x WHERE x.pupil_id = p.id) \
               OR EXISTS (SELECT 1 FROM needs x WHERE x.pupil_id = p.id) \
               OR EXISTS (SELECT 1 FROM processes x WHERE x.pupil_id = p.id) \
               OR EXISTS (SELECT 1 FROM allocations x WHERE x.pupil_id = p.id) \
               OR EXISTS (SELECT 1 FROM involvements x WHERE x.pupil_id = p.id) \
               OR EXISTS (SELECT 1 FROM concerns x WHERE x.pupil_id = p.id) \
             THEN 1 ELSE 0 END AS sen \
             FROM pupils p \
             WHERE NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.pupil_id = p.id \
                AND e.school_id = p.school_id AND e.ends_on IS NULL) \
             AND EXISTS (SELECT 1 FROM enrolments e WHERE e.pupil_id = p.id AND e.school_id = p.school_id) \
             ORDER BY p.id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let left_on = parse_ds(&r.try_get::<String, _>("left_on")?)?;
                let leaving: Option<String> = r.try_get("leaving")?;
                Ok((
                    r.try_get("id")?,
                    r.try_get("school_id")?,
                    PupilFacts {
                        date_of_birth: parse_ds(&r.try_get::<String, _>("date_of_birth")?)?,
                        has_sen_file: r.try_get::<i64, _>("sen")? != 0,
                        roll: Roll::Left {
                            on: left_on,
                            transferred_out: leaving.as_deref() == Some("transferred_out"),
                        },
                    },
                ))
            })
            .collect()
    }

    /// The daily review: flags every pupil whose records are due on `today` under their
    /// school's periods and who has no review yet, reopens kept reviews whose date has come,
    /// and ends reviews of pupils back on roll. Each change is audited from `audit` (the
    /// job's or the operator's event), in one transaction.
    pub async fn review_retention(
        &self,
        today: Date,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<ReviewOutcome> {
        let candidates = self.retention_candidates().await?;
        let mut by_school: std::collections::HashMap<String, RetentionSettings> =
            Default::default();
        for (_, school_id, _) in &candidates {
            if !by_school.contains_key(school_id) {
                let s = self.retention_settings_for(school_id).await?;
                by_school.insert(school_id.clone(), s);
            }
        }
        let mut tx = self.begin().await?;
        let existing: HashSet<String> = sqlx::query("SELECT pupil_id FROM retention_reviews")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("pupil_id"))
            .collect::<Result<_, _>>()?;
        let mut outcome = ReviewOutcome::default();
        let mut events = Vec::new();
        // A pupil back on roll at the school holding the record is no longer due: an
        // undecided or kept review of theirs ends.
        let back = sqlx::query(
            "SELECT r.id, r.pupil_id, r.school_id FROM retention_reviews r WHERE r.status <> 'approved' \
             AND EXISTS (SELECT 1 FROM enrolments e JOIN pupils p ON p.id = e.pupil_id \
             WHERE e.pupil_id = r.pupil_id AND e.school_id = p.school_id AND e.ends_on IS NULL)",
        )
        .fetch_all(&mut *tx)
        .await?;
        for r in &back {
            let id: String = r.try_get("id")?;
            sqlx::query("DELETE FROM retention_reviews WHERE id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let mut e = audit.clone();
            e.school_id = r.try_get("school_id")?;
            e.pupil_id = r.try_get("pupil_id")?;
            e.record_type = "retention_review";
            e.record_id = Some(id);
            e.action = "delete";
            events.push(e);
        }
        for (pupil_id, school_id, facts) in &candidates {
            if existing.contains(pupil_id) {
                continue;
            }
            let settings = by_school.get(school_id).copied().unwrap_or_default();
            let Some(r) = senco_domain::retention::assess(facts, &settings) else {
                continue;
            };
            if !r.is_due(today) {
                continue;
            }
            let id =
                Self::insert_retention_review(&mut tx, pupil_id, school_id, r.class, r.due_on, now)
                    .await?;
            outcome.flagged += 1;
            let mut e = audit.clone();
            e.school_id = Some(school_id.clone());
            e.pupil_id = Some(pupil_id.clone());
            e.record_type = "retention_review";
            e.record_id = Some(id);
            e.action = "create";
            e.fields = Some(r.class.as_str().to_string());
            events.push(e);
        }
        let reopen = sqlx::query(
            "SELECT id, pupil_id, school_id FROM retention_reviews WHERE status = 'kept' AND keep_until <= $1",
        )
        .bind(ds(today))
        .fetch_all(&mut *tx)
        .await?;
        for r in &reopen {
            let id: String = r.try_get("id")?;
            sqlx::query(
                "UPDATE retention_reviews SET status = 'pending', flagged_at = $2, decided_by = NULL, \
                 decided_at = NULL, reason = NULL, keep_until = NULL WHERE id = $1",
            )
            .bind(&id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
            outcome.reopened += 1;
            let mut e = audit.clone();
            e.school_id = r.try_get("school_id")?;
            e.pupil_id = r.try_get("pupil_id")?;
            e.record_type = "retention_review";
            e.record_id = Some(id);
            e.action = "update";
            e.fields = Some("status".into());
            events.push(e);
        }
        Self::audit_many_in(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Adds a pending review (the daily review, and tests).
    pub async fn insert_retention_review(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        class: RecordClass,
        due_on: Date,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO retention_reviews (id, pupil_id, school_id, class, due_on, flagged_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending')",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(class.as_str())
        .bind(ds(due_on))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// The reviews of `school_id` (all schools for the operator) that `scope` may see, due
    /// first.
    pub async fn retention_reviews(
        &self,
        scope: &Scope,
        school_id: Option<&str>,
    ) -> Result<Vec<RetentionReview>> {
        let mut q = Sql::new(format!(
            "SELECT {REVIEW_COLUMNS} FROM retention_reviews r JOIN pupils p ON p.id = r.pupil_id WHERE 1 = 1"
        ));
        if let Some(s) = school_id {
            q.push(" AND r.school_id = ").bind(s.to_string());
        }
        scope.push_predicate(&mut q);
        q.push(" ORDER BY r.due_on, r.id");
        q.build()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(review_from_row)
            .collect()
    }

    /// One review, through `scope`.
    pub async fn retention_review(&self, scope: &Scope, id: &str) -> Result<RetentionReview> {
        let mut q = Sql::new(format!(
            "SELECT {REVIEW_COLUMNS} FROM retention_reviews r JOIN pupils p ON p.id = r.pupil_id WHERE r.id = "
        ));
        q.bind(id.to_string());
        scope.push_predicate(&mut q);
        let row = q
            .build()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        review_from_row(&row)
    }

    /// Decides a pending or kept review (a kept one may be approved, or kept longer). `by` is the deciding
    /// account's id, or `os:NAME` at the command line. `Conflict` when it is already decided.
    pub async fn decide_retention(
        tx: &mut Tx,
        id: &str,
        decision: &Decision,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = match decision {
            Decision::Approve => sqlx::query(
                "UPDATE retention_reviews SET status = 'approved', decided_by = $2, decided_at = $3, \
                     reason = NULL, keep_until = NULL WHERE id = $1 AND status IN ('pending', 'kept')",
            )
            .bind(id)
            .bind(by)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?,
            Decision::Keep { reason, until } => sqlx::query(
                "UPDATE retention_reviews SET status = 'kept', decided_by = $2, decided_at = $3, \
                     reason = $4, keep_until = $5 WHERE id = $1 AND status IN ('pending', 'kept')",
            )
            .bind(id)
            .bind(by)
            .bind(ts(now))
            .bind(reason)
            .bind(ds(*until))
            .execute(&mut **tx)
            .await?,
        };
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// The ids of the approved reviews, oldest decision first.
    pub async fn approved_retention_reviews(&self) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT id FROM retention_reviews WHERE status = 'approved' ORDER BY decided_at, id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok(r.try_get("id")?))
        .collect()
    }

    /// Destroys the records of an approved review's pupil in one transaction: every row in
    /// every table of [`DESTROYED_TABLES`] (uploads are stored in `involvement_reports`, so
    /// they go too), the pupil, forms kept for someone that mention any of those records,
    /// and the school's kept import files (a day old at most; they may list the pupil).
    /// Writes the destruction log row and the audit row (`audit` filled in here).
    /// `Conflict` unless the review is approved; also when the pupil is back on roll, and the
    /// review then ends without anything destroyed.
    pub async fn destroy_approved(
        &self,
        review_id: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Destroyed> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT pupil_id, school_id, class, due_on, status, decided_by, decided_at \
             FROM retention_reviews WHERE id = $1",
        )
        .bind(review_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        if row.try_get::<String, _>("status")? != "approved" {
            return Err(StoreError::Conflict);
        }
        let pupil_id: String = row.try_get("pupil_id")?;
        let school_id: String = row.try_get("school_id")?;
        // Back on roll since the approval: nothing is destroyed and the review ends.
        let on_roll = sqlx::query(
            "SELECT 1 AS x FROM enrolments WHERE pupil_id = $1 AND school_id = $2 AND ends_on IS NULL",
        )
        .bind(&pupil_id)
        .bind(&school_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if on_roll {
            sqlx::query("DELETE FROM retention_reviews WHERE id = $1")
                .bind(review_id)
                .execute(&mut *tx)
                .await?;
            let mut e = audit.clone();
            e.school_id = Some(school_id);
            e.pupil_id = Some(pupil_id);
            e.record_type = "retention_review";
            e.record_id = Some(review_id.to_string());
            e.action = "delete";
            e.fields = None;
            Self::audit_in(&mut tx, &e).await?;
            tx.commit().await?;
            return Err(StoreError::Conflict);
        }
        let class = closed(&row, "retention_reviews", "class", RecordClass::parse)?;
        let due_on: String = row.try_get("due_on")?;
        let approved_by: String = row
            .try_get::<Option<String>, _>("decided_by")?
            .unwrap_or_default();
        let approved_at: String = row
            .try_get::<Option<String>, _>("decided_at")?
            .unwrap_or_else(|| ts(now));

        // Every id of the pupil's records, to find forms kept that mention them.
        let mut ids: HashSet<String> = HashSet::from([pupil_id.clone()]);
        for table in PUPIL_RECORD_TABLES
            .iter()
            .filter(|t| **t != "current_stages")
        {
            // SQL-SAFE: table names from the constant PUPIL_RECORD_TABLES.
            let q = format!("SELECT id FROM {table} WHERE pupil_id = $1");
            for r in sqlx::query(sqlx::AssertSqlSafe(q))
                .bind(&pupil_id)
                .fetch_all(&mut *tx)
                .await?
            {
                ids.insert(r.try_get("id")?);
            }
        }
        let plan_ids: Vec<String> = sqlx::query("SELECT id FROM plans WHERE pupil_id = $1")
            .bind(&pupil_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;

        let mut removed: i64 = 0;
        for r in sqlx::query("SELECT id, path, body FROM form_drafts")
            .fetch_all(&mut *tx)
            .await?
        {
            let (path, body): (String, String) = (r.try_get("path")?, r.try_get("body")?);
            if ids.iter().any(|id| path.contains(id) || body.contains(id)) {
                let id: String = r.try_get("id")?;
                removed += sqlx::query("DELETE FROM form_drafts WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as i64;
            }
        }
        removed += sqlx::query("DELETE FROM pupil_imports WHERE school_id = $1")
            .bind(&school_id)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
        for table in DESTROYED_TABLES {
            // SQL-SAFE: table names from the constant DESTROYED_TABLES.
            let q = format!("DELETE FROM {table} WHERE pupil_id = $1");
            removed += sqlx::query(sqlx::AssertSqlSafe(q))
                .bind(&pupil_id)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
        }
        removed += sqlx::query("DELETE FROM pupils WHERE id = $1")
            .bind(&pupil_id)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;

        let log_id = new_id();
        sqlx::query(
            "INSERT INTO destruction_log (id, school_id, pupil_id, class, due_on, approved_by, approved_at, \
             destroyed_at, rows_removed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&log_id)
        .bind(&school_id)
        .bind(&pupil_id)
        .bind(class.as_str())
        .bind(&due_on)
        .bind(&approved_by)
        .bind(&approved_at)
        .bind(ts(now))
        .bind(removed)
        .execute(&mut *tx)
        .await?;
        let mut e = audit.clone();
        e.school_id = Some(school_id.clone());
        e.pupil_id = Some(pupil_id.clone());
        e.record_type = "pupil";
        e.record_id = Some(log_id.clone());
        e.action = "destroy";
        e.fields = Some(class.as_str().to_string());
        Self::audit_in(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(Destroyed {
            log_id,
            pupil_id,
            school_id,
            class,
            rows_removed: removed,
            plan_ids,
        })
    }

    /// Takes deleted data out of the database files. SQLite (with `secure_delete` on, SR-34,
    /// freed pages are zeroed): checkpoint the WAL into the file and truncate it, `VACUUM` to
    /// rebuild the file without free pages, and checkpoint again. PostgreSQL: a plain
    /// `VACUUM` of the pupil tables where this role may (dead rows then leave the tables'
    /// pages as they are reused; PostgreSQL has no secure delete, see SECURITY.md).
    pub async fn compact(&self) -> Result<Compaction> {
        match self.backend() {
            Backend::Sqlite => {
                let first = self.checkpoint().await?;
                sqlx::raw_sql("VACUUM").execute(self.pool()).await?;
                let second = self.checkpoint().await?;
                Ok(Compaction {
                    complete: first && second,
                })
            }
            Backend::Postgres => {
                let tables: Vec<&str> = DESTROYED_TABLES
                    .iter()
                    .copied()
                    .chain(["pupils", "form_drafts", "pupil_imports"])
                    .collect();
                // SQL-SAFE: table names from the constant list and literals just above.
                let sql = format!("VACUUM {}", tables.join(", "));
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(self.pool())
                    .await?;
                Ok(Compaction { complete: true })
            }
        }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: whether it completed (no reader held it back).
    async fn checkpoint(&self) -> Result<bool> {
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(self.pool())
            .await?;
        let busy: i64 = row.try_get(0)?;
        Ok(busy == 0)
    }

    /// The destruction log, newest first (one school, or all).
    pub async fn destruction_log(&self, school_id: Option<&str>) -> Result<Vec<DestructionEntry>> {
        let rows = sqlx::query(
            "SELECT id, school_id, pupil_id, class, due_on, approved_by, approved_at, destroyed_at, rows_removed \
             FROM destruction_log WHERE ($1 = '' OR school_id = $1) ORDER BY destroyed_at DESC, id",
        )
        .bind(school_id.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DestructionEntry {
                    id: r.try_get("id")?,
                    school_id: r.try_get("school_id")?,
                    pupil_id: r.try_get("pupil_id")?,
                    class: closed(r, "destruction_log", "class", RecordClass::parse)?,
                    due_on: parse_ds(&r.try_get::<String, _>("due_on")?)?,
                    approved_by: r.try_get("approved_by")?,
                    approved_at: parse_ts(&r.try_get::<String, _>("approved_at")?)?,
                    destroyed_at: parse_ts(&r.try_get::<String, _>("destroyed_at")?)?,
                    rows_removed: r.try_get("rows_removed")?,
                })
            })
            .collect()
    }

    /// Removes the audit rows older than `before` (the chain's oldest part, up to the last
    /// row dated before it) in one transaction: a permit naming that row lets the delete
    /// trigger pass, the row's hash becomes the chain's anchor, and the permit is removed
    /// before commit, so every other delete is still refused. `audit` (the operator's event)
    /// is appended afterwards in the same transaction, so the prune itself is on record.
    pub async fn prune_audit(
        &self,
        before: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<AuditPrune> {
        let mut tx = self.begin().await?;
        let lock = match self.backend() {
            Backend::Postgres => "SELECT anchor_seq FROM audit_chain_head WHERE id = 1 FOR UPDATE",
            Backend::Sqlite => "SELECT anchor_seq FROM audit_chain_head WHERE id = 1",
        };
        let anchor: i64 = sqlx::query(lock)
            .fetch_one(&mut *tx)
            .await?
            .try_get("anchor_seq")?;
        let last = sqlx::query(
            "SELECT seq, hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log WHERE at < $1)",
        )
        .bind(ts(before))
        .fetch_optional(&mut *tx)
        .await?;
        let mut removed = 0;
        let mut anchor_seq = anchor;
        if let Some(last) = last {
            let seq: i64 = last.try_get("seq")?;
            let hash: Option<String> = last.try_get("hash")?;
            // Rows from before the chain existed have no hash; the anchor then stays where it
            // is until a sealed row is pruned.
            sqlx::query("INSERT INTO audit_prune_permit (id, up_to_seq) VALUES (1, $1)")
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            removed = sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
                .bind(seq)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
            sqlx::query("DELETE FROM audit_prune_permit WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            if let Some(hash) = hash {
                sqlx::query(
                    "UPDATE audit_chain_head SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1",
                )
                .bind(seq)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
                anchor_seq = seq;
            }
        }
        let mut e = audit.clone();
        e.record_type = "audit_trail";
        e.record_id = Some(anchor_seq.to_string());
        e.action = "prune";
        Self::audit_in(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(AuditPrune {
            removed,
            anchor_seq,
        })
    }
}

impl Store {
    /// Which of these plans still exist (for dropping cached documents of destroyed ones).
    pub async fn plans_existing(&self, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("SELECT id FROM plans WHERE id IN (");
        q.bind_list(ids).push(")");
        q.build()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok(r.try_get("id")?))
            .collect()
    }
}
