//! The graduated response: concerns, the append-only stage history (with the parents-told
//! records beside it), the current stage of each pupil, needs and statutory processes.
//!
//! `current_stages` is derived from `stage_changes` by the domain's history rules and written
//! in the same transaction as every change, so the register and dashboards read one row per
//! pupil instead of replaying histories.

use senco_domain::Date;
use senco_domain::concern::ConcernStatus;
use senco_domain::framework::{ProcessKind, Stage};
use senco_domain::history::StageReason;
use senco_domain::process::ProcessNotes;
use senco_domain::school::FrameworkKey;
use sqlx::Row;
use time::OffsetDateTime;

use crate::pupils::{PUPIL_COLUMNS, Pupil, PupilFilter, pupil_from_row};
use crate::scope::Scope;
use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, closed, ds, flag, get_flag, new_id, parse_ds,
    parse_ts, ts,
};

fn framework_of(s: String) -> Result<FrameworkKey> {
    FrameworkKey::parse(&s).ok_or_else(|| StoreError::Malformed(format!("framework {s:?}")))
}

fn stage_of(s: String) -> Result<Stage> {
    Stage::parse(&s).ok_or_else(|| StoreError::Malformed(format!("stage {s:?}")))
}

pub(crate) fn opt_date(row: &AnyRow, col: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(col)?
        .map(|s| parse_ds(&s))
        .transpose()
}

/// One entry of a pupil's stage history, with the record of parents being told, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    pub id: String,
    /// The order in which entries were recorded for this pupil (1, 2, ...).
    pub seq: i64,
    pub pupil_id: String,
    pub school_id: String,
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub effective_on: Date,
    pub reason: StageReason,
    pub decided_by: Option<String>,
    pub decided_with: Option<String>,
    pub specialists: Option<String>,
    pub supersedes: Option<String>,
    pub imported: bool,
    pub recorded_at: OffsetDateTime,
    /// When and how parents were told (the latest record).
    pub parents_told: Option<(Date, String)>,
}

/// Input for a new stage-history entry.
#[derive(Debug, Clone)]
pub struct NewStageChange<'a> {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub effective_on: Date,
    pub reason: &'a StageReason,
    pub decided_by: Option<&'a str>,
    pub decided_with: Option<&'a str>,
    pub specialists: Option<&'a str>,
    pub supersedes: Option<&'a str>,
    pub imported: bool,
    pub recorded_by: Option<&'a str>,
}

/// Input for a record of when and how parents were told of a stage change.
#[derive(Debug, Clone)]
pub struct NewParentNotification<'a> {
    pub stage_change_id: &'a str,
    pub informed_on: Date,
    pub method: &'a str,
    pub recorded_by: Option<&'a str>,
}

/// Input for a new need.
#[derive(Debug, Clone)]
pub struct NewNeed<'a> {
    pub code: &'a str,
    pub rank: i64,
    pub starts_on: Date,
    pub recorded_by: Option<&'a str>,
}

/// Input for a new statutory process.
#[derive(Debug, Clone)]
pub struct NewProcess<'a> {
    pub kind: ProcessKind,
    pub started_on: Date,
    pub decided_on: Option<Date>,
    pub outcome: Option<&'a str>,
    pub notes: Option<ProcessNotes>,
    pub recorded_by: Option<&'a str>,
}

/// What triaging a concern decides.
#[derive(Debug, Clone)]
pub struct ConcernTriage<'a> {
    pub status: ConcernStatus,
    pub reason: Option<&'a str>,
    pub stage_change_id: Option<&'a str>,
    pub triaged_by: &'a str,
}

/// A concern raised about a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concern {
    pub id: String,
    pub pupil_id: String,
    pub school_id: String,
    pub raised_by: String,
    pub raised_by_name: String,
    pub raised_on: Date,
    pub framework: FrameworkKey,
    /// Area-of-need keys, comma-separated.
    pub areas: String,
    pub details: Option<String>,
    /// Trigger ids, comma-separated.
    pub triggers: String,
    pub tried: String,
    pub result: String,
    pub status: ConcernStatus,
    pub outcome_reason: Option<String>,
    pub stage_change_id: Option<String>,
    pub version: i64,
    pub recorded_at: OffsetDateTime,
}

/// Input for a new concern.
#[derive(Debug, Clone)]
pub struct NewConcern<'a> {
    pub raised_by: &'a str,
    pub raised_on: Date,
    pub framework: FrameworkKey,
    pub areas: &'a str,
    pub details: Option<&'a str>,
    pub triggers: &'a str,
    pub tried: &'a str,
    pub result: &'a str,
}

/// A ranked need (primary = 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub id: String,
    pub code: String,
    pub rank: i64,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub recorded_at: OffsetDateTime,
}

/// A statutory process beside the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub id: String,
    pub kind: ProcessKind,
    pub started_on: Date,
    pub decided_on: Option<Date>,
    pub outcome: Option<String>,
    pub notes: Option<ProcessNotes>,
    pub recorded_at: OffsetDateTime,
}

/// A pupil's stage in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentStage {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub since: Date,
    pub stage_change_id: String,
}

/// A row of the SEN register.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    pub pupil: Pupil,
    pub current: CurrentStage,
    pub primary_need: Option<String>,
    pub needs: Vec<String>,
}

/// Filters of the SEN register (on top of the pupil filters).
#[derive(Debug, Clone, Default)]
pub struct RegisterFilter {
    pub pupils: PupilFilter,
    pub stage: Option<Stage>,
    pub need: Option<String>,
    pub teacher_user_id: Option<String>,
}

/// A stage change whose parents have not been recorded as told.
#[derive(Debug, Clone)]
pub struct UntoldChange {
    pub pupil: Pupil,
    pub stage_change_id: String,
    pub stage: Stage,
    pub effective_on: Date,
}

pub(crate) const CHANGE_COLUMNS: &str = "c.id, c.seq, c.pupil_id, c.school_id, c.framework, c.stage, c.effective_on, \
    c.reason, c.reason_code, c.decided_by, c.decided_with, c.specialists, c.supersedes, c.imported, c.recorded_at, \
    (SELECT n.informed_on FROM parent_notifications n WHERE n.stage_change_id = c.id ORDER BY n.recorded_at DESC LIMIT 1) AS told_on, \
    (SELECT n.method FROM parent_notifications n WHERE n.stage_change_id = c.id ORDER BY n.recorded_at DESC LIMIT 1) AS told_how";

pub(crate) fn change_from_row(r: &AnyRow) -> Result<StageChange> {
    let told_on = opt_date(r, "told_on")?;
    let told_how: Option<String> = r.try_get("told_how")?;
    let effective_on = parse_ds(&r.try_get::<String, _>("effective_on")?)?;
    let reason_code: Option<String> = r.try_get("reason_code")?;
    Ok(StageChange {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        pupil_id: r.try_get("pupil_id")?,
        school_id: r.try_get("school_id")?,
        framework: framework_of(r.try_get("framework")?)?,
        stage: stage_of(r.try_get("stage")?)?,
        effective_on,
        reason: StageReason::from_stored(
            reason_code.as_deref(),
            r.try_get("reason")?,
            effective_on,
        ),
        decided_by: r.try_get("decided_by")?,
        decided_with: r.try_get("decided_with")?,
        specialists: r.try_get("specialists")?,
        supersedes: r.try_get("supersedes")?,
        imported: get_flag(r, "imported")?,
        recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
        parents_told: told_on.zip(told_how),
    })
}

const CONCERN_COLUMNS: &str = "c.id, c.pupil_id, c.school_id, c.raised_by, u.name AS raised_by_name, c.raised_on, \
    c.framework, c.areas, c.details, c.triggers, c.tried, c.result, c.status, c.outcome_reason, \
    c.stage_change_id, c.version, c.recorded_at";

fn concern_from_row(r: &AnyRow) -> Result<Concern> {
    Ok(Concern {
        id: r.try_get("id")?,
        pupil_id: r.try_get("pupil_id")?,
        school_id: r.try_get("school_id")?,
        raised_by: r.try_get("raised_by")?,
        raised_by_name: r.try_get("raised_by_name")?,
        raised_on: parse_ds(&r.try_get::<String, _>("raised_on")?)?,
        framework: framework_of(r.try_get("framework")?)?,
        areas: r.try_get("areas")?,
        details: r.try_get("details")?,
        triggers: r.try_get("triggers")?,
        tried: r.try_get("tried")?,
        result: r.try_get("result")?,
        status: closed(r, "concerns", "status", ConcernStatus::parse)?,
        outcome_reason: r.try_get("outcome_reason")?,
        stage_change_id: r.try_get("stage_change_id")?,
        version: r.try_get("version")?,
        recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
    })
}

impl Store {
    /// A pupil's stage history in recording order.
    pub async fn stage_changes(&self, pupil_id: &str) -> Result<Vec<StageChange>> {
        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM stage_changes c WHERE c.pupil_id = $1 ORDER BY c.seq"
        );
        self.all_by_id(sql, pupil_id, change_from_row).await
    }

    /// The same, inside a transaction (to check a new entry against the latest history).
    pub async fn stage_changes_in(tx: &mut Tx, pupil_id: &str) -> Result<Vec<StageChange>> {
        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM stage_changes c WHERE c.pupil_id = $1 ORDER BY c.seq"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(pupil_id)
            .fetch_all(&mut **tx)
            .await?;
        rows.iter().map(change_from_row).collect()
    }

    /// Appends an entry to a pupil's stage history. Returns its id.
    pub async fn insert_stage_change(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        c: &NewStageChange<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        let seq: i64 = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM stage_changes WHERE pupil_id = $1",
        )
        .bind(pupil_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
        sqlx::query(
            "INSERT INTO stage_changes (id, seq, pupil_id, school_id, framework, stage, effective_on, reason, \
             reason_code, decided_by, decided_with, specialists, supersedes, imported, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&id)
        .bind(seq)
        .bind(pupil_id)
        .bind(school_id)
        .bind(c.framework.as_str())
        .bind(c.stage.as_str())
        .bind(ds(c.effective_on))
        .bind(c.reason.given())
        .bind(c.reason.code())
        .bind(c.decided_by)
        .bind(c.decided_with)
        .bind(c.specialists)
        .bind(c.supersedes)
        .bind(flag(c.imported))
        .bind(c.recorded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Sets (or clears) the derived current stage of a pupil.
    pub async fn set_current_stage(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        current: Option<&CurrentStage>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM current_stages WHERE pupil_id = $1")
            .bind(pupil_id)
            .execute(&mut **tx)
            .await?;
        if let Some(c) = current {
            sqlx::query(
                "INSERT INTO current_stages (pupil_id, school_id, framework, stage, since, stage_change_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(pupil_id)
            .bind(school_id)
            .bind(c.framework.as_str())
            .bind(c.stage.as_str())
            .bind(ds(c.since))
            .bind(&c.stage_change_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// A pupil's stage in force, if any.
    pub async fn current_stage(&self, pupil_id: &str) -> Result<Option<CurrentStage>> {
        let row = sqlx::query("SELECT framework, stage, since, stage_change_id FROM current_stages WHERE pupil_id = $1")
            .bind(pupil_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| current_from_row(&r)).transpose()
    }

    /// Records when and how parents were told of a stage change.
    pub async fn insert_parent_notification(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        n: &NewParentNotification<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO parent_notifications (id, stage_change_id, pupil_id, school_id, informed_on, method, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(n.stage_change_id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(ds(n.informed_on))
        .bind(n.method)
        .bind(n.recorded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Adds a concern, awaiting triage.
    pub async fn insert_concern(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        c: &NewConcern<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO concerns (id, pupil_id, school_id, raised_by, raised_on, framework, areas, details, triggers, \
             tried, result, status, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'awaiting_triage', $12)",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(c.raised_by)
        .bind(ds(c.raised_on))
        .bind(c.framework.as_str())
        .bind(c.areas)
        .bind(c.details)
        .bind(c.triggers)
        .bind(c.tried)
        .bind(c.result)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// One concern by id (the caller checks access to its pupil).
    pub async fn concern(&self, id: &str) -> Result<Concern> {
        let sql = format!(
            "SELECT {CONCERN_COLUMNS} FROM concerns c JOIN users u ON u.id = c.raised_by WHERE c.id = $1"
        );
        self.one_by_id(sql, id, concern_from_row).await
    }

    /// A pupil's concerns, newest first.
    pub async fn concerns_for_pupil(&self, pupil_id: &str) -> Result<Vec<Concern>> {
        let sql = format!(
            "SELECT {CONCERN_COLUMNS} FROM concerns c JOIN users u ON u.id = c.raised_by WHERE c.pupil_id = $1 \
             ORDER BY c.raised_on DESC, c.recorded_at DESC"
        );
        self.all_by_id(sql, pupil_id, concern_from_row).await
    }

    /// A school's concerns with the given statuses, oldest first, with each pupil's name.
    pub async fn concerns_for_school(
        &self,
        school_id: &str,
        statuses: &[ConcernStatus],
    ) -> Result<Vec<(Concern, String)>> {
        let mut q = Sql::new(format!(
            "SELECT {CONCERN_COLUMNS}, p.legal_forename, p.legal_surname, p.preferred_forename FROM concerns c \
             JOIN users u ON u.id = c.raised_by JOIN pupils p ON p.id = c.pupil_id WHERE c.school_id = "
        ));
        q.bind(school_id.to_string()).push(" AND c.status IN (");
        let statuses: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
        q.bind_list(&statuses)
            .push(") ORDER BY c.raised_on, c.recorded_at");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let forename: Option<String> = r.try_get("preferred_forename")?;
                let name = format!(
                    "{} {}",
                    forename
                        .map(Ok)
                        .unwrap_or_else(|| r.try_get::<String, _>("legal_forename"))?,
                    r.try_get::<String, _>("legal_surname")?
                );
                Ok((concern_from_row(r)?, name))
            })
            .collect()
    }

    /// Triages a concern if `expected_version` is still current.
    pub async fn triage_concern(
        tx: &mut Tx,
        id: &str,
        expected_version: i64,
        t: &ConcernTriage<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE concerns SET status = $3, outcome_reason = $4, stage_change_id = $5, triaged_by = $6, \
             triaged_at = $7, version = version + 1 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(t.status.as_str())
        .bind(t.reason)
        .bind(t.stage_change_id)
        .bind(t.triaged_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Adds a need.
    pub async fn insert_need(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        n: &NewNeed<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO needs (id, pupil_id, school_id, code, rank, starts_on, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(n.code)
        .bind(n.rank)
        .bind(ds(n.starts_on))
        .bind(n.recorded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Ends a need on a date.
    pub async fn end_need(tx: &mut Tx, pupil_id: &str, id: &str, ends_on: Date) -> Result<()> {
        let done = sqlx::query(
            "UPDATE needs SET ends_on = $3 WHERE id = $1 AND pupil_id = $2 AND ends_on IS NULL",
        )
        .bind(id)
        .bind(pupil_id)
        .bind(ds(ends_on))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// A pupil's needs: open ones by rank first, then ended ones.
    pub async fn needs(&self, pupil_id: &str) -> Result<Vec<Need>> {
        let rows = sqlx::query(
            "SELECT id, code, rank, starts_on, ends_on, recorded_at FROM needs WHERE pupil_id = $1 \
             ORDER BY CASE WHEN ends_on IS NULL THEN 0 ELSE 1 END, rank, starts_on",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Need {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    rank: r.try_get("rank")?,
                    starts_on: parse_ds(&r.try_get::<String, _>("starts_on")?)?,
                    ends_on: opt_date(r, "ends_on")?,
                    recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }

    /// Records a statutory process.
    pub async fn insert_process(
        tx: &mut Tx,
        pupil_id: &str,
        school_id: &str,
        p: &NewProcess<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO processes (id, pupil_id, school_id, kind, started_on, decided_on, outcome, notes, notes_code, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(p.kind.as_str())
        .bind(ds(p.started_on))
        .bind(p.decided_on.map(ds))
        .bind(p.outcome)
        .bind(p.notes.as_ref().and_then(ProcessNotes::given))
        .bind(p.notes.as_ref().and_then(ProcessNotes::code))
        .bind(p.recorded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// A pupil's statutory processes, newest first.
    pub async fn processes(&self, pupil_id: &str) -> Result<Vec<Process>> {
        let rows = sqlx::query(
            "SELECT id, kind, started_on, decided_on, outcome, notes, notes_code, recorded_at FROM processes \
             WHERE pupil_id = $1 ORDER BY started_on DESC",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Process {
                    id: r.try_get("id")?,
                    kind: closed(r, "processes", "kind", ProcessKind::parse)?,
                    started_on: parse_ds(&r.try_get::<String, _>("started_on")?)?,
                    decided_on: opt_date(r, "decided_on")?,
                    outcome: r.try_get("outcome")?,
                    notes: ProcessNotes::from_stored(
                        r.try_get::<Option<String>, _>("notes_code")?.as_deref(),
                        r.try_get("notes")?,
                    ),
                    recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }

    /// The SEN register: pupils in scope with a stage in force other than "no SEN", by
    /// surname, with their open needs (primary first).
    pub async fn register(
        &self,
        scope: &Scope,
        filter: &RegisterFilter,
    ) -> Result<Vec<RegisterRow>> {
        // One query for the rows and their pupils (the pupils were a second query by id, and
        // at a school's register that doubled the rows crossing from the database). A current
        // stage moves with its pupil (`PUPIL_RECORD_TABLES`), so `cs.school_id = p.school_id`
        // always holds; saying so lets the database start from the school's stages
        // (`current_stages_school`) instead of probing every pupil of the school.
        let mut q = Sql::new(format!(
            "SELECT cs.framework AS cs_framework, cs.stage AS cs_stage, cs.since AS cs_since, \
             cs.stage_change_id AS cs_change, {PUPIL_COLUMNS} FROM current_stages cs \
             JOIN pupils p ON p.id = cs.pupil_id AND cs.school_id = p.school_id \
             LEFT JOIN reg_groups g ON g.id = p.reg_group_id \
             WHERE cs.stage <> 'no_sen'"
        ));
        scope.push_predicate(&mut q);
        if let Some(stage) = filter.stage {
            q.push(" AND cs.stage = ").bind(stage.as_str());
        }
        if let Some(need) = &filter.need {
            q.push(" AND EXISTS (SELECT 1 FROM needs n WHERE n.pupil_id = p.id AND n.ends_on IS NULL AND n.code = ")
                .bind(need.clone())
                .push(")");
        }
        if let Some(teacher) = &filter.teacher_user_id {
            q.push(" AND (EXISTS (SELECT 1 FROM reg_groups g WHERE g.id = p.reg_group_id AND g.teacher_user_id = ")
                .bind(teacher.clone())
                .push(") OR EXISTS (SELECT 1 FROM teaching_assignments ta WHERE ta.pupil_id = p.id AND ta.user_id = ")
                .bind(teacher.clone())
                .push("))");
        }
        crate::pupils::push_filter(&mut q, &filter.pupils);
        let rows = q.build().fetch_all(self.pool()).await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(RegisterRow {
                    current: current_from_prefixed(r)?,
                    pupil: pupil_from_row(r)?,
                    primary_need: None,
                    needs: Vec::new(),
                })
            })
            .collect::<Result<Vec<RegisterRow>>>()?;
        let ids: Vec<String> = out.iter().map(|r| r.pupil.id.clone()).collect();
        let mut needs: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for (pupil, code) in self.open_needs(&ids).await? {
            needs.entry(pupil).or_default().push(code);
        }
        for row in &mut out {
            row.needs = needs.remove(&row.pupil.id).unwrap_or_default();
            row.primary_need = row.needs.first().cloned();
        }
        out.sort_by(|a, b| {
            (&a.pupil.legal_surname, &a.pupil.legal_forename)
                .cmp(&(&b.pupil.legal_surname, &b.pupil.legal_forename))
        });
        Ok(out)
    }

    async fn open_needs(&self, pupil_ids: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in pupil_ids.chunks(500) {
            let mut q = Sql::new(
                "SELECT pupil_id, code FROM needs WHERE ends_on IS NULL AND pupil_id IN (",
            );
            q.bind_list(chunk).push(") ORDER BY pupil_id, rank");
            for r in q.build().fetch_all(self.pool()).await? {
                out.push((r.try_get("pupil_id")?, r.try_get("code")?));
            }
        }
        Ok(out)
    }

    /// How many pupils of a school are on each stage (including `no_sen`).
    pub async fn stage_counts(&self, school_id: &str) -> Result<Vec<(Stage, i64)>> {
        let rows = sqlx::query(
            "SELECT stage, COUNT(*) AS n FROM current_stages WHERE school_id = $1 GROUP BY stage",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((stage_of(r.try_get("stage")?)?, r.try_get("n")?)))
            .collect()
    }

    /// Current stages of a school's pupils (for the "stages to map" list).
    pub async fn current_stages_for_school(
        &self,
        school_id: &str,
    ) -> Result<Vec<(String, CurrentStage)>> {
        let rows = sqlx::query(
            "SELECT pupil_id, framework, stage, since, stage_change_id FROM current_stages WHERE school_id = $1 AND stage <> 'no_sen'",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("pupil_id")?, current_from_row(r)?)))
            .collect()
    }

    /// A school's stage changes that no record says parents were told about (the
    /// outstanding duty on the SENCO's dashboard): current, not imported entries.
    pub async fn untold_changes(
        &self,
        school_id: &str,
    ) -> Result<Vec<(String, String, Stage, Date)>> {
        let rows = sqlx::query(
            "SELECT c.pupil_id, c.id, c.stage, c.effective_on FROM stage_changes c WHERE c.school_id = $1 \
             AND c.imported = 0 AND NOT EXISTS (SELECT 1 FROM stage_changes s WHERE s.supersedes = c.id) \
             AND NOT EXISTS (SELECT 1 FROM parent_notifications n WHERE n.stage_change_id = c.id) \
             ORDER BY c.effective_on",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("pupil_id")?,
                    r.try_get("id")?,
                    stage_of(r.try_get("stage")?)?,
                    parse_ds(&r.try_get::<String, _>("effective_on")?)?,
                ))
            })
            .collect()
    }
}

fn current_from_row(r: &AnyRow) -> Result<CurrentStage> {
    Ok(CurrentStage {
        framework: framework_of(r.try_get("framework")?)?,
        stage: stage_of(r.try_get("stage")?)?,
        since: parse_ds(&r.try_get::<String, _>("since")?)?,
        stage_change_id: r.try_get("stage_change_id")?,
    })
}

fn current_from_prefixed(r: &AnyRow) -> Result<CurrentStage> {
    Ok(CurrentStage {
        framework: framework_of(r.try_get("cs_framework")?)?,
        stage: stage_of(r.try_get("cs_stage")?)?,
        since: parse_ds(&r.try_get::<String, _>("cs_since")?)?,
        stage_change_id: r.try_get("cs_change")?,
    })
}
