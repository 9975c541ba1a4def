//! Plans (IEPs, SEN support plans, IDPs) with their targets and provision, every saved
//! version, reviews with target outcomes, parents' contributions, and the target bank.
//!
//! A plan is saved whole: its fields, targets and provision change together in one
//! transaction guarded by the plan's version, and the new version is kept as JSON.

use senco_domain::Date;
use senco_domain::framework::Stage;
use senco_domain::plan::{PlanStatus, ReviewDecision};
use senco_domain::school::FrameworkKey;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, closed, ds, new_id, parse_ds, parse_ts, ts,
};

fn opt_date(row: &AnyRow, col: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(col)?
        .map(|s| parse_ds(&s))
        .transpose()
}

/// A target of a plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanTarget {
    /// Empty for a target not saved yet.
    pub id: String,
    pub area: Option<String>,
    pub target: String,
    pub strategies: String,
    pub success_criteria: String,
    pub by_when: Option<Date>,
    /// The target of an earlier plan this one carries forward.
    pub carried_from: Option<String>,
}

/// A line of a plan's provision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanProvision {
    pub id: String,
    pub what: String,
    pub who: String,
    pub how_often: String,
    pub group_size: Option<i64>,
    pub from_on: Option<Date>,
    pub to_on: Option<Date>,
}

/// Everything about a plan that people edit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanFields {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub status: PlanStatus,
    pub starts_on: Date,
    pub review_on: Date,
    pub nature: String,
    pub help_at_home: String,
    pub pastoral: String,
    pub pupil_views: String,
    pub parent_views: String,
    pub consulted: String,
    pub agreed_on: Option<Date>,
    pub agreed_how: Option<String>,
    pub targets: Vec<PlanTarget>,
    pub provision: Vec<PlanProvision>,
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub pupil_id: String,
    pub school_id: String,
    pub previous_plan_id: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub fields: PlanFields,
}

/// A saved version of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersion {
    pub version: i64,
    pub changed_fields: String,
    pub changed_by: Option<String>,
    pub changed_at: OffsetDateTime,
    pub data: String,
}

/// A review of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: String,
    pub plan_id: String,
    pub held_on: Date,
    pub invited: String,
    pub attended: String,
    pub copy_sent_on: Option<Date>,
    pub progress: String,
    pub parent_views: String,
    pub pupil_views: String,
    pub decision: ReviewDecision,
    pub stage_change_id: Option<String>,
    pub next_plan_id: Option<String>,
    pub outcomes: Vec<(String, String, String)>,
}

/// Who a new plan is for and where it comes from (its targets and provision are the
/// [`PlanFields`] given alongside).
#[derive(Debug, Clone)]
pub struct NewPlan<'a> {
    pub pupil_id: &'a str,
    pub school_id: &'a str,
    /// The plan it follows on from, after a review.
    pub previous_plan_id: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// Input for a target in the bank.
#[derive(Debug, Clone)]
pub struct NewBankTarget<'a> {
    /// `None`: built in.
    pub school_id: Option<&'a str>,
    pub area: &'a str,
    pub stage: Option<&'a str>,
    pub target: &'a str,
    pub strategies: &'a str,
    pub success_criteria: &'a str,
    pub created_by: Option<&'a str>,
}

/// Input for a review.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub held_on: Date,
    pub invited: &'a str,
    pub attended: &'a str,
    pub copy_sent_on: Option<Date>,
    pub progress: &'a str,
    pub parent_views: &'a str,
    pub pupil_views: &'a str,
    pub decision: ReviewDecision,
    pub stage_change_id: Option<&'a str>,
    /// (target id, outcome, evidence)
    pub outcomes: Vec<(String, String, String)>,
}

/// A parent's contribution before a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub id: String,
    pub author_name: String,
    pub parent_views: String,
    pub child_views: String,
    pub submitted_at: OffsetDateTime,
}

/// An example target from the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankTarget {
    pub id: String,
    pub school_id: Option<String>,
    pub area: String,
    pub stage: Option<String>,
    pub target: String,
    pub strategies: String,
    pub success_criteria: String,
}

/// A plan whose review is due, with its pupil's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReview {
    pub plan_id: String,
    pub pupil_id: String,
    pub pupil_name: String,
    pub review_on: Date,
    pub status: PlanStatus,
}

const PLAN_COLUMNS: &str = "id, pupil_id, school_id, framework, stage, status, starts_on, review_on, nature, \
    help_at_home, pastoral, pupil_views, parent_views, consulted, agreed_on, agreed_how, previous_plan_id, \
    version, created_at, updated_at";

fn plan_from_row(r: &AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: r.try_get("id")?,
        pupil_id: r.try_get("pupil_id")?,
        school_id: r.try_get("school_id")?,
        previous_plan_id: r.try_get("previous_plan_id")?,
        version: r.try_get("version")?,
        created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
        updated_at: parse_ts(&r.try_get::<String, _>("updated_at")?)?,
        fields: PlanFields {
            framework: closed(r, "plans", "framework", FrameworkKey::parse)?,
            stage: closed(r, "plans", "stage", Stage::parse)?,
            status: closed(r, "plans", "status", PlanStatus::parse)?,
            starts_on: parse_ds(&r.try_get::<String, _>("starts_on")?)?,
            review_on: parse_ds(&r.try_get::<String, _>("review_on")?)?,
            nature: r.try_get("nature")?,
            help_at_home: r.try_get("help_at_home")?,
            pastoral: r.try_get("pastoral")?,
            pupil_views: r.try_get("pupil_views")?,
            parent_views: r.try_get("parent_views")?,
            consulted: r.try_get("consulted")?,
            agreed_on: opt_date(r, "agreed_on")?,
            agreed_how: r.try_get("agreed_how")?,
            targets: Vec::new(),
            provision: Vec::new(),
        },
    })
}

impl PlanFields {
    /// The names of the parts that differ from `other` (for the audit log and versions).
    pub fn changed(&self, other: &PlanFields) -> Vec<String> {
        let mut out = Vec::new();
        macro_rules! cmp {
            ($($f:ident),*) => { $( if self.$f != other.$f { out.push(stringify!($f).to_string()); } )* };
        }
        cmp!(
            framework,
            stage,
            status,
            starts_on,
            review_on,
            nature,
            help_at_home,
            pastoral,
            pupil_views,
            parent_views,
            consulted,
            agreed_on,
            agreed_how
        );
        for (i, t) in self.targets.iter().enumerate() {
            match other
                .targets
                .iter()
                .find(|o| !t.id.is_empty() && o.id == t.id)
            {
                Some(o) if o == t => {}
                Some(_) => out.push(format!("targets[{}]", i + 1)),
                None => out.push(format!("targets[{}] (new)", i + 1)),
            }
        }
        let removed = other
            .targets
            .iter()
            .filter(|o| !self.targets.iter().any(|t| t.id == o.id))
            .count();
        if removed > 0 {
            out.push(format!("targets ({removed} removed)"));
        }
        if self.provision != other.provision {
            out.push("provision".into());
        }
        out
    }
}

async fn write_children(
    tx: &mut Tx,
    plan_id: &str,
    pupil_id: &str,
    school_id: &str,
    f: &mut PlanFields,
) -> Result<()> {
    let existing: Vec<String> = sqlx::query("SELECT id FROM plan_targets WHERE plan_id = $1")
        .bind(plan_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
    for old in existing
        .iter()
        .filter(|id| !f.targets.iter().any(|t| &t.id == *id))
    {
        sqlx::query("DELETE FROM plan_targets WHERE id = $1")
            .bind(old)
            .execute(&mut **tx)
            .await?;
    }
    for (i, t) in f.targets.iter_mut().enumerate() {
        if t.id.is_empty() || !existing.contains(&t.id) {
            if t.id.is_empty() {
                t.id = new_id();
            }
            sqlx::query(
                "INSERT INTO plan_targets (id, plan_id, pupil_id, school_id, position, area, target, strategies, \
                 success_criteria, by_when, carried_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&t.id)
            .bind(plan_id)
            .bind(pupil_id)
            .bind(school_id)
            .bind(i as i64)
            .bind(&t.area)
            .bind(&t.target)
            .bind(&t.strategies)
            .bind(&t.success_criteria)
            .bind(t.by_when.map(ds))
            .bind(&t.carried_from)
            .execute(&mut **tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE plan_targets SET position = $2, area = $3, target = $4, strategies = $5, success_criteria = $6, \
                 by_when = $7 WHERE id = $1",
            )
            .bind(&t.id)
            .bind(i as i64)
            .bind(&t.area)
            .bind(&t.target)
            .bind(&t.strategies)
            .bind(&t.success_criteria)
            .bind(t.by_when.map(ds))
            .execute(&mut **tx)
            .await?;
        }
    }
    sqlx::query("DELETE FROM plan_provision WHERE plan_id = $1")
        .bind(plan_id)
        .execute(&mut **tx)
        .await?;
    for (i, p) in f.provision.iter_mut().enumerate() {
        if p.id.is_empty() {
            p.id = new_id();
        }
        sqlx::query(
            "INSERT INTO plan_provision (id, plan_id, pupil_id, school_id, position, what, who, how_often, group_size, from_on, to_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&p.id)
        .bind(plan_id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(i as i64)
        .bind(&p.what)
        .bind(&p.who)
        .bind(&p.how_often)
        .bind(p.group_size)
        .bind(p.from_on.map(ds))
        .bind(p.to_on.map(ds))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// One version of a plan as kept in `plan_versions`.
struct PlanSnapshot<'a> {
    plan_id: &'a str,
    pupil_id: &'a str,
    school_id: &'a str,
    version: i64,
    fields: &'a PlanFields,
    /// The names of the fields that changed, comma-separated ("created" for version 1).
    changed: &'a str,
    by: Option<&'a str>,
}

async fn snapshot(tx: &mut Tx, s: &PlanSnapshot<'_>, now: OffsetDateTime) -> Result<()> {
    let data = serde_json::to_string(s.fields).map_err(|e| StoreError::Malformed(e.to_string()))?;
    sqlx::query(
        "INSERT INTO plan_versions (id, plan_id, pupil_id, school_id, version, data, changed_fields, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(s.plan_id)
    .bind(s.pupil_id)
    .bind(s.school_id)
    .bind(s.version)
    .bind(data)
    .bind(s.changed)
    .bind(s.by)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Adds a plan with its targets and provision (version 1). Returns its id; fills in the
    /// ids of new targets and provision in `f`.
    pub async fn insert_plan(
        tx: &mut Tx,
        p: &NewPlan<'_>,
        f: &mut PlanFields,
        now: OffsetDateTime,
    ) -> Result<String> {
        let (pupil_id, school_id, by) = (p.pupil_id, p.school_id, p.created_by);
        let id = new_id();
        sqlx::query(
            "INSERT INTO plans (id, pupil_id, school_id, framework, stage, status, starts_on, review_on, nature, help_at_home, \
             pastoral, pupil_views, parent_views, consulted, agreed_on, agreed_how, previous_plan_id, version, created_by, \
             created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, 1, $18, $19, $18, $19)",
        )
        .bind(&id)
        .bind(pupil_id)
        .bind(school_id)
        .bind(f.framework.as_str())
        .bind(f.stage.as_str())
        .bind(f.status.as_str())
        .bind(ds(f.starts_on))
        .bind(ds(f.review_on))
        .bind(&f.nature)
        .bind(&f.help_at_home)
        .bind(&f.pastoral)
        .bind(&f.pupil_views)
        .bind(&f.parent_views)
        .bind(&f.consulted)
        .bind(f.agreed_on.map(ds))
        .bind(&f.agreed_how)
        .bind(p.previous_plan_id)
        .bind(by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        write_children(tx, &id, pupil_id, school_id, f).await?;
        let first = PlanSnapshot {
            plan_id: &id,
            pupil_id,
            school_id,
            version: 1,
            fields: f,
            changed: "created",
            by,
        };
        snapshot(tx, &first, now).await?;
        Ok(id)
    }

    /// Saves a plan whole if `expected_version` is still current; keeps the new version.
    /// Returns the new version number.
    pub async fn update_plan(
        tx: &mut Tx,
        before: &Plan,
        f: &mut PlanFields,
        expected_version: i64,
        by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE plans SET framework = $3, stage = $4, status = $5, starts_on = $6, review_on = $7, nature = $8, \
             help_at_home = $9, pastoral = $10, pupil_views = $11, parent_views = $12, consulted = $13, agreed_on = $14, \
             agreed_how = $15, version = version + 1, updated_by = $16, updated_at = $17 WHERE id = $1 AND version = $2",
        )
        .bind(&before.id)
        .bind(expected_version)
        .bind(f.framework.as_str())
        .bind(f.stage.as_str())
        .bind(f.status.as_str())
        .bind(ds(f.starts_on))
        .bind(ds(f.review_on))
        .bind(&f.nature)
        .bind(&f.help_at_home)
        .bind(&f.pastoral)
        .bind(&f.pupil_views)
        .bind(&f.parent_views)
        .bind(&f.consulted)
        .bind(f.agreed_on.map(ds))
        .bind(&f.agreed_how)
        .bind(by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        let changed = f.changed(&before.fields).join(", ");
        write_children(tx, &before.id, &before.pupil_id, &before.school_id, f).await?;
        let version = expected_version + 1;
        let next = PlanSnapshot {
            plan_id: &before.id,
            pupil_id: &before.pupil_id,
            school_id: &before.school_id,
            version,
            fields: f,
            changed: &changed,
            by,
        };
        snapshot(tx, &next, now).await?;
        Ok(version)
    }

    /// One plan with its targets and provision (the caller checks access to its pupil).
    pub async fn plan(&self, id: &str) -> Result<Plan> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1");
        let mut plan = self.one_by_id(sql, id, plan_from_row).await?;
        let targets = sqlx::query(
            "SELECT id, area, target, strategies, success_criteria, by_when, carried_from FROM plan_targets \
             WHERE plan_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        for r in &targets {
            plan.fields.targets.push(PlanTarget {
                id: r.try_get("id")?,
                area: r.try_get("area")?,
                target: r.try_get("target")?,
                strategies: r.try_get("strategies")?,
                success_criteria: r.try_get("success_criteria")?,
                by_when: opt_date(r, "by_when")?,
                carried_from: r.try_get("carried_from")?,
            });
        }
        let provision = sqlx::query(
            "SELECT id, what, who, how_often, group_size, from_on, to_on FROM plan_provision WHERE plan_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        for r in &provision {
            plan.fields.provision.push(PlanProvision {
                id: r.try_get("id")?,
                what: r.try_get("what")?,
                who: r.try_get("who")?,
                how_often: r.try_get("how_often")?,
                group_size: r.try_get("group_size")?,
                from_on: opt_date(r, "from_on")?,
                to_on: opt_date(r, "to_on")?,
            });
        }
        Ok(plan)
    }

    /// Whether `target_id` is a target of one of this pupil's plans (a target carried
    /// forward must be).
    pub async fn is_pupils_target(&self, pupil_id: &str, target_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM plan_targets WHERE id = $1 AND pupil_id = $2")
            .bind(target_id)
            .bind(pupil_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// The targets of a pupil's plans that are not closed, newest plan first: (id, target).
    pub async fn open_targets(&self, pupil_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT t.id, t.target FROM plan_targets t JOIN plans p ON p.id = t.plan_id \
             WHERE t.pupil_id = $1 AND p.status <> 'closed' \
             ORDER BY p.starts_on DESC, p.created_at DESC, t.position",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("target")?)))
            .collect()
    }

    /// A pupil's plans, newest first (without targets).
    pub async fn plans_for_pupil(&self, pupil_id: &str) -> Result<Vec<Plan>> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE pupil_id = $1 ORDER BY starts_on DESC, created_at DESC"
        );
        self.all_by_id(sql, pupil_id, plan_from_row).await
    }

    /// Every saved version of a plan, newest first, with who saved it.
    pub async fn plan_versions(&self, plan_id: &str) -> Result<Vec<PlanVersion>> {
        let rows = sqlx::query(
            "SELECT v.version, v.changed_fields, u.name AS changed_by, v.changed_at, v.data FROM plan_versions v \
             LEFT JOIN users u ON u.id = v.changed_by WHERE v.plan_id = $1 ORDER BY v.version DESC",
        )
        .bind(plan_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PlanVersion {
                    version: r.try_get("version")?,
                    changed_fields: r.try_get("changed_fields")?,
                    changed_by: r.try_get("changed_by")?,
                    changed_at: parse_ts(&r.try_get::<String, _>("changed_at")?)?,
                    data: r.try_get("data")?,
                })
            })
            .collect()
    }

    /// Records a review with its target outcomes.
    pub async fn insert_review(
        tx: &mut Tx,
        plan: &Plan,
        r: &NewReview<'_>,
        by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO reviews (id, plan_id, pupil_id, school_id, held_on, invited, attended, copy_sent_on, progress, \
             parent_views, pupil_views, decision, stage_change_id, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&id)
        .bind(&plan.id)
        .bind(&plan.pupil_id)
        .bind(&plan.school_id)
        .bind(ds(r.held_on))
        .bind(r.invited)
        .bind(r.attended)
        .bind(r.copy_sent_on.map(ds))
        .bind(r.progress)
        .bind(r.parent_views)
        .bind(r.pupil_views)
        .bind(r.decision.as_str())
        .bind(r.stage_change_id)
        .bind(by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        for (target, outcome, evidence) in &r.outcomes {
            sqlx::query(
                "INSERT INTO target_outcomes (id, review_id, target_id, pupil_id, school_id, outcome, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(target)
            .bind(&plan.pupil_id)
            .bind(&plan.school_id)
            .bind(outcome)
            .bind(evidence)
            .execute(&mut **tx)
            .await?;
        }
        Ok(id)
    }

    /// Links a review to the plan drafted from it.
    pub async fn set_review_next_plan(
        tx: &mut Tx,
        review_id: &str,
        next_plan_id: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE reviews SET next_plan_id = $2 WHERE id = $1")
            .bind(review_id)
            .bind(next_plan_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A plan's reviews, oldest first, with their outcomes.
    pub async fn reviews(&self, plan_id: &str) -> Result<Vec<Review>> {
        let rows = sqlx::query(
            "SELECT id, plan_id, held_on, invited, attended, copy_sent_on, progress, parent_views, pupil_views, decision, \
             stage_change_id, next_plan_id FROM reviews WHERE plan_id = $1 ORDER BY held_on, recorded_at",
        )
        .bind(plan_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let id: String = r.try_get("id")?;
            let outcomes = sqlx::query(
                "SELECT target_id, outcome, evidence FROM target_outcomes WHERE review_id = $1",
            )
            .bind(&id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|o| {
                Ok((
                    o.try_get("target_id")?,
                    o.try_get("outcome")?,
                    o.try_get("evidence")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
            out.push(Review {
                id,
                plan_id: r.try_get("plan_id")?,
                held_on: parse_ds(&r.try_get::<String, _>("held_on")?)?,
                invited: r.try_get("invited")?,
                attended: r.try_get("attended")?,
                copy_sent_on: opt_date(r, "copy_sent_on")?,
                progress: r.try_get("progress")?,
                parent_views: r.try_get("parent_views")?,
                pupil_views: r.try_get("pupil_views")?,
                decision: closed(r, "reviews", "decision", ReviewDecision::parse)?,
                stage_change_id: r.try_get("stage_change_id")?,
                next_plan_id: r.try_get("next_plan_id")?,
                outcomes,
            });
        }
        Ok(out)
    }

    /// The outcomes recorded for a target and the targets it carries forward, oldest first.
    pub async fn target_outcome_history(&self, target_id: &str) -> Result<Vec<String>> {
        let mut chain = Vec::new();
        let mut current = Some(target_id.to_string());
        while let Some(id) = current.take() {
            if chain.len() > 50 {
                break;
            }
            let row = sqlx::query("SELECT carried_from FROM plan_targets WHERE id = $1")
                .bind(&id)
                .fetch_optional(self.pool())
                .await?;
            current = row
                .map(|r| r.try_get::<Option<String>, _>("carried_from"))
                .transpose()?
                .flatten();
            chain.push(id);
        }
        let mut outcomes = Vec::new();
        for id in chain.iter().rev() {
            let rows = sqlx::query(
                "SELECT o.outcome FROM target_outcomes o JOIN reviews r ON r.id = o.review_id WHERE o.target_id = $1 \
                 ORDER BY r.held_on",
            )
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            for r in rows {
                outcomes.push(r.try_get("outcome")?);
            }
        }
        Ok(outcomes)
    }

    /// Records a parent's views (and their child's) before a review.
    pub async fn insert_contribution(
        tx: &mut Tx,
        plan: &Plan,
        author: &str,
        parent_views: &str,
        child_views: &str,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO parent_contributions (id, plan_id, pupil_id, school_id, author_user_id, parent_views, child_views, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&plan.id)
        .bind(&plan.pupil_id)
        .bind(&plan.school_id)
        .bind(author)
        .bind(parent_views)
        .bind(child_views)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Parents' contributions to a plan, newest first.
    pub async fn contributions(&self, plan_id: &str) -> Result<Vec<Contribution>> {
        let rows = sqlx::query(
            "SELECT c.id, u.name AS author_name, c.parent_views, c.child_views, c.submitted_at FROM parent_contributions c \
             JOIN users u ON u.id = c.author_user_id WHERE c.plan_id = $1 ORDER BY c.submitted_at DESC",
        )
        .bind(plan_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Contribution {
                    id: r.try_get("id")?,
                    author_name: r.try_get("author_name")?,
                    parent_views: r.try_get("parent_views")?,
                    child_views: r.try_get("child_views")?,
                    submitted_at: parse_ts(&r.try_get::<String, _>("submitted_at")?)?,
                })
            })
            .collect()
    }

    /// Plans of the scope's pupils not yet closed whose review date is on or before `until`.
    pub async fn reviews_due(
        &self,
        scope: &crate::scope::Scope,
        school_id: Option<&str>,
        until: Date,
    ) -> Result<Vec<DueReview>> {
        let mut q = Sql::new(
            "SELECT pl.id AS plan_id, p.id AS pupil_id, p.legal_forename, p.legal_surname, p.preferred_forename, pl.review_on, pl.status \
             FROM plans pl JOIN pupils p ON p.id = pl.pupil_id AND pl.school_id = p.school_id \
             WHERE pl.status <> 'closed' AND pl.review_on <= ",
        );
        // A plan moves with its pupil (`PUPIL_RECORD_TABLES`), so `pl.school_id = p.school_id`
        // always holds; saying so lets the database start from the school's plans
        // (`plans_school_review`): on PostgreSQL this list took 15 ms of the SENCO dashboard.
        q.bind(ds(until));
        scope.push_predicate(&mut q);
        if let Some(school) = school_id {
            q.push(" AND p.school_id = ").bind(school.to_string());
        }
        q.push(" ORDER BY pl.review_on, p.legal_surname");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let forename: Option<String> = r.try_get("preferred_forename")?;
                let forename = match forename {
                    Some(f) => f,
                    None => r.try_get("legal_forename")?,
                };
                Ok(DueReview {
                    plan_id: r.try_get("plan_id")?,
                    pupil_id: r.try_get("pupil_id")?,
                    pupil_name: format!("{forename} {}", r.try_get::<String, _>("legal_surname")?),
                    review_on: parse_ds(&r.try_get::<String, _>("review_on")?)?,
                    status: closed(r, "plans", "status", PlanStatus::parse)?,
                })
            })
            .collect()
    }

    /// Targets of the bank: built in and the school's own, optionally of one area and
    /// matching words.
    pub async fn target_bank(
        &self,
        school_id: Option<&str>,
        area: Option<&str>,
        q: Option<&str>,
    ) -> Result<Vec<BankTarget>> {
        let mut sql = Sql::new(
            "SELECT id, school_id, area, stage, target, strategies, success_criteria FROM target_bank WHERE (school_id IS NULL",
        );
        if let Some(s) = school_id {
            sql.push(" OR school_id = ").bind(s.to_string());
        }
        sql.push(")");
        if let Some(a) = area.filter(|a| !a.is_empty()) {
            sql.push(" AND area = ").bind(a.to_string());
        }
        if let Some(words) = q.map(str::trim).filter(|w| !w.is_empty()) {
            sql.push(" AND LOWER(target) LIKE ").bind(format!(
                "%{}%",
                words.to_lowercase().replace(['%', '_'], "")
            ));
        }
        sql.push(" ORDER BY area, target");
        let rows = sql.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(BankTarget {
                    id: r.try_get("id")?,
                    school_id: r.try_get("school_id")?,
                    area: r.try_get("area")?,
                    stage: r.try_get("stage")?,
                    target: r.try_get("target")?,
                    strategies: r.try_get("strategies")?,
                    success_criteria: r.try_get("success_criteria")?,
                })
            })
            .collect()
    }

    /// Adds a target to the bank (`school_id` None: built in).
    pub async fn insert_bank_target(
        tx: &mut Tx,
        t: &NewBankTarget<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO target_bank (id, school_id, area, stage, target, strategies, success_criteria, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(t.school_id)
        .bind(t.area)
        .bind(t.stage)
        .bind(t.target)
        .bind(t.strategies)
        .bind(t.success_criteria)
        .bind(t.created_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// How many targets the bank holds (to seed the built-in ones once).
    pub async fn target_bank_size(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM target_bank")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }
}
