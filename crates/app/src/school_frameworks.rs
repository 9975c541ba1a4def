//! Frameworks by date (issue 19, point 2): the administrator changes a school's working
//! framework from a date, after a preview of what it means for the pupils on its SEN
//! register. Shared by the pages, the API and `senco school framework`.
//!
//! The rule is the domain's (`framework_periods::check_change`); the preview counts the
//! pupils on roll at each current stage and says, from the new framework's conversions,
//! which stage each maps to or whether it needs a decision. Confirming checks everything
//! again in the transaction that adds the new period, with its audit row. Nothing else is
//! written: pupils keep their dated stage entries, and each moves when their own change is
//! recorded (a replaced framework takes no new learners from the change's date).

use senco_domain::Date;
use senco_domain::entry::DateEntry;
use senco_domain::framework::Stage;
use senco_domain::framework_periods::{
    self as rule, Change, ChangeContext, Outcome, Period, after_change, check_change, periods,
};
use senco_domain::problem::Problem;
use senco_domain::school::{Country, FrameworkKey};
use senco_store::audit::AuditEvent;
use senco_store::tenancy::{Tenant, within};
use senco_store::{Store, StoreError};
use time::OffsetDateTime;

/// A change as given: the framework (`None` when none or an unknown one was chosen) and
/// the date it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeInput {
    pub framework: Option<FrameworkKey>,
    pub starts_on: DateEntry,
}

/// The pupils at one current stage and what the change means for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub pupils: i64,
    pub outcome: Outcome,
}

/// What a change would do (or did, when `written`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkPreview {
    pub change: Change,
    pub before: Vec<Period>,
    pub after: Vec<Period>,
    pub rows: Vec<PreviewRow>,
    pub written: bool,
}

impl FrameworkPreview {
    /// Pupils whose stage needs someone's decision under the new framework.
    pub fn needing_decision(&self) -> i64 {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::NeedsDecision(_)))
            .map(|r| r.pupils)
            .sum()
    }
}

/// Why a change was not made (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    /// Every problem of the change, as codes.
    #[error("the change has problems")]
    Invalid(Vec<Problem>),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for FrameworkError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FrameworkError::NotFound,
            e => FrameworkError::Store(e),
        }
    }
}

/// The frameworks a school of `country` may work under, in the order they were made.
pub fn choices(country: Country) -> Vec<FrameworkKey> {
    FrameworkKey::ALL
        .into_iter()
        .filter(|k| k.country() == country)
        .collect()
}

/// A school's periods, oldest first.
pub async fn school_periods(store: &Store, school_id: &str) -> Result<Vec<Period>, StoreError> {
    Ok(periods(&store.school(school_id).await?.frameworks))
}

/// The change the input describes, or every problem of it as typed.
fn read_input(input: &ChangeInput) -> Result<Change, Vec<Problem>> {
    let mut problems = Vec::new();
    if input.framework.is_none() {
        problems.push(Problem::new(
            "framework",
            "missing",
            "frameworks.framework_missing",
        ));
    }
    let starts_on = match input.starts_on {
        DateEntry::Valid(d) => Some(d),
        DateEntry::Blank => {
            problems.push(Problem::new(
                "starts_on",
                "missing",
                "frameworks.starts_on_missing",
            ));
            None
        }
        DateEntry::Invalid => {
            problems.push(Problem::new(
                "starts_on",
                "not_a_date",
                "frameworks.starts_on_not_a_date",
            ));
            None
        }
    };
    match (input.framework, starts_on, problems.is_empty()) {
        (Some(framework), Some(starts_on), true) => Ok(Change {
            framework,
            starts_on,
        }),
        _ => Err(problems),
    }
}

/// The preview rows: the pupils at each current stage and the stage each goes to.
fn rows(
    counts: &[senco_store::school_frameworks::StageCount],
    to: FrameworkKey,
) -> Vec<PreviewRow> {
    counts
        .iter()
        .map(|c| PreviewRow {
            framework: c.framework,
            stage: c.stage,
            pupils: c.pupils,
            outcome: rule::outcome(c.framework, c.stage, to),
        })
        .collect()
}

/// Checks the change against the school as the database holds it and, unless `dry_run`,
/// adds the new period with its audit row, all in one transaction. The pupils on the
/// register are counted as on `today`.
pub async fn change_framework(
    store: &Store,
    audit: &AuditEvent,
    school_id: &str,
    input: &ChangeInput,
    dry_run: bool,
    today: Date,
    now: OffsetDateTime,
) -> Result<FrameworkPreview, FrameworkError> {
    let school = store.school(school_id).await?;
    let change = read_input(input).map_err(FrameworkError::Invalid)?;
    let counts = store.register_stage_counts(school_id, today).await?;
    // Stage changes are pupil rows: the check reads their latest date, a number, as the
    // installation, in the transaction that writes the period.
    within(Tenant::Installation, async {
        let mut tx = store.begin().await?;
        let starts = Store::school_framework_starts_in(&mut tx, school_id).await?;
        let before = periods(&starts);
        let ctx = ChangeContext {
            country: school.country,
            last_stage_change: Store::last_stage_change_on(&mut tx, school_id).await?,
        };
        let problems = check_change(&before, &change, &ctx);
        if !problems.is_empty() {
            return Err(FrameworkError::Invalid(problems));
        }
        let preview = FrameworkPreview {
            after: after_change(&before, &change),
            before,
            rows: rows(&counts, change.framework),
            change,
            written: !dry_run,
        };
        if dry_run {
            return Ok(preview);
        }
        Store::insert_school_framework(&mut tx, school_id, change.framework, change.starts_on)
            .await?;
        let event = AuditEvent {
            at: now,
            record_type: "school_framework",
            action: "create",
            record_id: Some(school_id.to_string()),
            school_id: Some(school_id.to_string()),
            outcome: "allowed",
            fields: Some("framework,started_on".into()),
            ..audit.clone()
        };
        Store::audit_in(&mut tx, &event).await?;
        senco_store::commit(tx).await?;
        Ok(preview)
    })
    .await
}
