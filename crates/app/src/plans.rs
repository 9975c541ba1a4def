//! Plans and reviews, shared by pages and API: checking a plan against the domain's rules
//! (hard errors) and quality checks (warnings that never block), saving it whole under
//! optimistic locking, changing its status, recording reviews (which make the stage change
//! through the graduated-response rules and draft the next plan), and parents' views.

use senco_domain::Date;
use senco_domain::census::AreaOfNeed;
use senco_domain::entry::{DateEntry, Entry};
use senco_domain::framework::{MoveContext, PlanType, ProcessKind, Stage, framework};
use senco_domain::plan::{
    MAX_TARGETS, PlanDateError, PlanDates, PlanDraftForChecks, PlanStatus, ProvisionDraft,
    QualityWarning, ReviewDecision, ReviewPolicy, TargetDraft, TargetField, TargetForChecks,
    TargetId, TargetOutcome, check_plan, check_transition, check_views, review_limit, stage_after,
    targets_to_carry_forward,
};
use senco_domain::school::FrameworkKey;
use senco_store::plans::{
    NewBankTarget, NewPlan, NewReview, Plan, PlanFields, PlanProvision, PlanTarget,
};
use senco_store::pupils::Pupil;
use senco_store::sen::{CurrentStage, NewProcess};
use senco_store::{Store, StoreError, Tx};
use time::OffsetDateTime;

use crate::App;
use crate::access::Actor;
use crate::sen::{StageChangeInput, stage_change_in};
use senco_domain::history::StageReason;
use senco_domain::problem::Problem;

/// Why a plan change was not made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("invalid plan")]
    /// The problems, on the page's field names (`review_on`, `target_2_success`).
    Invalid(Vec<Problem>),
    /// Someone saved the plan meanwhile.
    #[error("conflict")]
    Conflict,
    /// A closed plan cannot change.
    #[error("read only")]
    ReadOnly,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::sen::SenError> for PlanError {
    fn from(e: crate::sen::SenError) -> Self {
        match e {
            crate::sen::SenError::Invalid(issues) => PlanError::Invalid(
                issues
                    .into_iter()
                    .map(|p| {
                        let field = format!("decision.{}", p.field);
                        p.in_field(field)
                    })
                    .collect(),
            ),
            crate::sen::SenError::Conflict => PlanError::Conflict,
            crate::sen::SenError::Store(e) => PlanError::Store(e),
        }
    }
}

/// A target as entered (slot `n`, counted from 1 on the page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInput {
    pub id: String,
    pub carried_from: String,
    pub area: String,
    pub target: String,
    pub strategies: String,
    pub success_criteria: String,
    pub by_when: DateEntry,
}

impl TargetInput {
    /// Whether nothing was typed in this slot.
    pub fn is_blank(&self) -> bool {
        self.target.trim().is_empty()
            && self.strategies.trim().is_empty()
            && self.success_criteria.trim().is_empty()
    }
}

/// A line of provision as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionInput {
    pub what: String,
    pub who: String,
    pub how_often: String,
    pub group_size: String,
}

impl ProvisionInput {
    pub fn is_blank(&self) -> bool {
        self.what.trim().is_empty()
            && self.who.trim().is_empty()
            && self.how_often.trim().is_empty()
    }
}

/// A whole plan as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    pub starts_on: DateEntry,
    pub review_on: DateEntry,
    pub nature: String,
    pub help_at_home: String,
    pub pastoral: String,
    pub pupil_views: String,
    pub parent_views: String,
    pub consulted: String,
    pub targets: Vec<TargetInput>,
    pub provision: Vec<ProvisionInput>,
}

impl PlanInput {
    /// A stored plan as input, to change one part of it and save it again.
    pub fn from_stored(plan: &senco_store::plans::PlanFields) -> PlanInput {
        PlanInput {
            starts_on: Entry::Valid(plan.starts_on),
            review_on: Entry::Valid(plan.review_on),
            nature: plan.nature.clone(),
            help_at_home: plan.help_at_home.clone(),
            pastoral: plan.pastoral.clone(),
            pupil_views: plan.pupil_views.clone(),
            parent_views: plan.parent_views.clone(),
            consulted: plan.consulted.clone(),
            targets: plan
                .targets
                .iter()
                .map(|t| TargetInput {
                    id: t.id.clone(),
                    carried_from: t.carried_from.clone().unwrap_or_default(),
                    area: t.area.clone().unwrap_or_default(),
                    target: t.target.clone(),
                    strategies: t.strategies.clone(),
                    success_criteria: t.success_criteria.clone(),
                    by_when: t.by_when.into(),
                })
                .collect(),
            provision: plan
                .provision
                .iter()
                .map(|p| ProvisionInput {
                    what: p.what.clone(),
                    who: p.who.clone(),
                    how_often: p.how_often.clone(),
                    group_size: p.group_size.map(|g| g.to_string()).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// Whether the caller may read this plan: those without the SEN history (specialists) read
/// only plans that are not closed.
pub fn plan_visible(p: &crate::principal::Principal, plan: &senco_store::plans::Plan) -> bool {
    plan.fields.status != PlanStatus::Closed
        || crate::access::may(
            p,
            senco_domain::policy::Resource::PupilSenHistory,
            senco_domain::policy::Action::Read,
        )
}

/// The ids of a plan's targets as stored: the only ids a change of the plan may name.
pub fn own_target_ids(plan: &Plan) -> Vec<String> {
    plan.fields.targets.iter().map(|t| t.id.clone()).collect()
}

/// Whether the caller may list due reviews: the list names children with plans and their
/// review dates, so it needs the right to read SEN records (a school administrator has
/// none, SR-26).
pub fn reviews_due_allowed(p: &crate::principal::Principal) -> bool {
    crate::access::may(
        p,
        senco_domain::policy::Resource::PupilSen,
        senco_domain::policy::Action::Read,
    )
}

/// Audits one answer of the due-reviews list (API or home page): a refusal at once, a read
/// through the queue. One row for the list, as for the register.
pub async fn audit_reviews_due(state: &App, actor: &Actor<'_>, outcome: &'static str) {
    let e = actor
        .event(state, "reviews_due", "list", outcome)
        .school(actor.principal.user.school_id.clone());
    if outcome == "allowed" {
        state.audit.read(e).await;
    } else if let Err(err) = state.store.audit(&e).await {
        tracing::error!(error = %err, "auditing a refusal failed");
    }
}

/// The plan a pupil's current stage calls for.
pub struct PlanKindFor {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub plan: &'static PlanType,
}

/// The stage in force and its plan type, or why there is none.
pub async fn plan_kind_for(state: &App, pupil: &Pupil) -> Result<Option<PlanKindFor>, StoreError> {
    Ok(state
        .store
        .current_stage(&pupil.id)
        .await?
        .and_then(|c| plan_kind_of(&c)))
}

/// The kind of plan a pupil's current stage calls for, if any (for a caller that has the
/// current stage already).
pub fn plan_kind_of(current: &senco_store::sen::CurrentStage) -> Option<PlanKindFor> {
    framework(current.framework)
        .plan(current.stage)
        .map(|plan| PlanKindFor {
            framework: current.framework,
            stage: current.stage,
            plan,
        })
}

/// The field name on the page of a target's field.
pub fn target_field(n: usize, field: &str) -> String {
    format!("target_{n}_{field}")
}

/// Maps a quality warning's field (`targets[1].success_criteria`) to the page's field name.
pub fn warning_field(w: &QualityWarning) -> Option<String> {
    let f = w.field.as_deref()?;
    if let Some(rest) = f.strip_prefix("targets[") {
        let (index, field) = rest.split_once("].")?;
        let n = index.parse::<usize>().ok()? + 1;
        let name = match field {
            "success_criteria" => "success",
            "by_when" => "by",
            other => other,
        };
        return Some(target_field(n, name));
    }
    if let Some(rest) = f.strip_prefix("provision[") {
        let (index, field) = rest.split_once("].")?;
        let n = index.parse::<usize>().ok()? + 1;
        let name = if field == "how_often" { "often" } else { field };
        return Some(format!("provision_{n}_{name}"));
    }
    match f {
        "review_date" => Some("review_on".into()),
        _ => None,
    }
}

/// Checks a plan as entered: hard errors, or the stored form with its quality warnings.
///
/// `own_targets` are the ids of the plan's targets as stored (none for a new plan): a
/// target sent with any other id is refused, since the server chooses the ids of new
/// targets (SR-10). A plan holds at most [`MAX_TARGETS`] targets (SR-25).
pub async fn check(
    state: &App,
    pupil: &Pupil,
    kind: &PlanKindFor,
    status: PlanStatus,
    input: &PlanInput,
    own_targets: &[String],
) -> Result<(PlanFields, Vec<QualityWarning>), PlanError> {
    let mut issues = Vec::new();
    let given = input.targets.iter().filter(|t| !t.is_blank()).count();
    if given > MAX_TARGETS {
        // Nothing else is checked: each target would cost queries.
        return Err(PlanError::Invalid(vec![
            Problem::new("targets", "too_many_targets", "plans.too_many_targets")
                .with("max", MAX_TARGETS),
        ]));
    }
    let dates = check_dates(kind, input, &mut issues);
    check_plan_views(input, &mut issues);
    let (targets, for_checks) = check_targets(
        state,
        pupil,
        input,
        own_targets,
        dates.as_ref(),
        &mut issues,
    )
    .await?;
    let (provision, provision_checks) = check_provision(input, &mut issues);
    let (Some(dates), true) = (dates, issues.is_empty()) else {
        return Err(PlanError::Invalid(issues));
    };
    let school = state.store.school(&pupil.school_id).await?;
    let calendar = crate::calendars::school_calendar(&state.store, &school).await?;
    let school_policy = state
        .store
        .setting(&format!("review_policy.{}", school.id))
        .await?
        .and_then(|v| ReviewPolicy::parse(&v));
    let policy = senco_domain::plan::dates::policy_for(kind.plan, kind.stage, school_policy);
    let warnings = check_plan(&PlanDraftForChecks {
        start: Some(dates.start()),
        review: Some(dates.review()),
        policy,
        calendar: Some(&calendar),
        targets: for_checks,
        provision: provision_checks,
    });
    let fields = PlanFields {
        framework: kind.framework,
        stage: kind.stage,
        status,
        starts_on: dates.start(),
        review_on: dates.review(),
        nature: input.nature.trim().to_string(),
        help_at_home: input.help_at_home.trim().to_string(),
        pastoral: input.pastoral.trim().to_string(),
        pupil_views: input.pupil_views.trim().to_string(),
        parent_views: input.parent_views.trim().to_string(),
        consulted: input.consulted.trim().to_string(),
        agreed_on: None,
        agreed_how: None,
        targets,
        provision,
    };
    Ok((fields, warnings))
}

/// The plan's start and review dates, which must be real dates and keep the framework's
/// limit on the time to the review.
fn check_dates(
    kind: &PlanKindFor,
    input: &PlanInput,
    issues: &mut Vec<Problem>,
) -> Option<PlanDates> {
    let date =
        |v: &DateEntry, field: &str, missing: &'static str, issues: &mut Vec<Problem>| match v {
            Entry::Valid(d) => Some(*d),
            Entry::Invalid => {
                issues.push(Problem::new(
                    field.to_string(),
                    "not_a_date",
                    "date.not_real",
                ));
                None
            }
            Entry::Blank => {
                issues.push(Problem::new(field.to_string(), "missing", missing));
                None
            }
        };
    let start = date(
        &input.starts_on,
        "starts_on",
        "plans.starts_on_missing",
        issues,
    );
    let review = date(
        &input.review_on,
        "review_on",
        "plans.review_on_missing",
        issues,
    );
    match (start, review) {
        (Some(s), Some(r)) => match PlanDates::new(kind.plan, s, r) {
            Ok(d) => Some(d),
            Err(e) => {
                issues.push(match &e {
                    PlanDateError::ReviewBeforeStart => {
                        Problem::new("review_on", e.rule(), "plans.review_before_start")
                    }
                    PlanDateError::ReviewPastLimit { limit } => {
                        Problem::new("review_on", e.rule(), "plans.review_past_limit")
                            .with("plan", kind.plan.name)
                            .with("months", kind.plan.review_within_months)
                            .with("limit", *limit)
                    }
                });
                None
            }
        },
        _ => None,
    }
}

/// The plan's free-text sections, none of which may hold what a view must not.
fn check_plan_views(input: &PlanInput, issues: &mut Vec<Problem>) {
    for (field, text) in [
        ("nature", &input.nature),
        ("help_at_home", &input.help_at_home),
        ("pastoral", &input.pastoral),
        ("pupil_views", &input.pupil_views),
        ("parent_views", &input.parent_views),
        ("consulted", &input.consulted),
    ] {
        if let Err(e) = check_views(text) {
            issues.push(e.problem(field));
        }
    }
}

/// The targets entered (blank ones skipped): each checked as a draft, its id one of the
/// plan's own at most once, and a carried target one of the pupil's, whose history of
/// outcomes the quality checks read.
async fn check_targets(
    state: &App,
    pupil: &Pupil,
    input: &PlanInput,
    own_targets: &[String],
    dates: Option<&PlanDates>,
    issues: &mut Vec<Problem>,
) -> Result<(Vec<PlanTarget>, Vec<TargetForChecks>), PlanError> {
    let mut seen_ids: Vec<&str> = Vec::new();
    let mut targets = Vec::new();
    let mut for_checks = Vec::new();
    for (i, t) in input
        .targets
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_blank())
    {
        let n = i + 1;
        let by_when = match t.by_when {
            Entry::Blank => None,
            Entry::Valid(d) => Some(d),
            Entry::Invalid => {
                issues.push(Problem::new(
                    target_field(n, "by"),
                    "not_a_date",
                    "date.not_real",
                ));
                None
            }
        };
        let draft = TargetDraft {
            area: AreaOfNeed::parse(&t.area),
            target: t.target.clone(),
            strategies: t.strategies.clone(),
            success_criteria: t.success_criteria.clone(),
            by_when,
        };
        for (field, problem) in draft.problems(dates) {
            let name = match field {
                TargetField::Target => "text",
                TargetField::Strategies => "strategies",
                TargetField::SuccessCriteria => "success",
                TargetField::ByWhen => "by",
            };
            issues.push(
                Problem::new(target_field(n, name), problem.code(), "plans.target")
                    .with("n", n)
                    .with("problem", problem.problem(field)),
            );
        }
        // A kept target names one of this plan's own; a new one has no id (the server
        // chooses it when saving). Anything else would store a target under an id the
        // client made up, or collide with another school's.
        if !t.id.is_empty() {
            if !own_targets.contains(&t.id) {
                issues.push(
                    Problem::new(
                        target_field(n, "id"),
                        "unknown_target",
                        "plans.target_unknown_id",
                    )
                    .with("n", n),
                );
            } else if seen_ids.contains(&t.id.as_str()) {
                issues.push(
                    Problem::new(
                        target_field(n, "id"),
                        "duplicate_target",
                        "plans.target_twice",
                    )
                    .with("n", n),
                );
            } else {
                seen_ids.push(&t.id);
            }
        }
        // A carried target must be one of this pupil's own: anything else would link
        // another child's record (or nothing, which the database refuses).
        let carried_ok = t.carried_from.is_empty()
            || state
                .store
                .is_pupils_target(&pupil.id, &t.carried_from)
                .await?;
        if !carried_ok {
            issues.push(
                Problem::new(
                    target_field(n, "carried_from"),
                    "unknown_target",
                    "plans.target_carried_unknown",
                )
                .with("n", n),
            );
        }
        let history = if t.carried_from.is_empty() || !carried_ok {
            Vec::new()
        } else {
            state
                .store
                .target_outcome_history(&t.carried_from)
                .await?
                .iter()
                .filter_map(|o| TargetOutcome::parse(o))
                .collect()
        };
        for_checks.push(TargetForChecks {
            draft: draft.clone(),
            history,
        });
        targets.push(PlanTarget {
            id: t.id.clone(),
            area: draft.area.map(|a| a.as_str().to_string()),
            target: t.target.trim().to_string(),
            strategies: t.strategies.trim().to_string(),
            success_criteria: t.success_criteria.trim().to_string(),
            by_when,
            carried_from: Some(t.carried_from.clone()).filter(|s| !s.is_empty()),
        });
    }
    Ok((targets, for_checks))
}

/// The provision entered (blank rows skipped), with the group size a whole number.
fn check_provision(
    input: &PlanInput,
    issues: &mut Vec<Problem>,
) -> (Vec<PlanProvision>, Vec<ProvisionDraft>) {
    let mut provision = Vec::new();
    let mut provision_checks = Vec::new();
    for (i, p) in input
        .provision
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_blank())
    {
        let n = i + 1;
        if p.what.trim().is_empty() {
            issues.push(
                Problem::new(
                    format!("provision_{n}_what"),
                    "missing",
                    "plans.provision_what_missing",
                )
                .with("n", n),
            );
        }
        let group_size = match p.group_size.trim() {
            "" => None,
            g => match g.parse::<u32>() {
                Ok(v) if v >= 1 => Some(v),
                _ => {
                    issues.push(
                        Problem::new(
                            format!("provision_{n}_group"),
                            "not_a_number",
                            "plans.provision_group_not_whole",
                        )
                        .with("n", n),
                    );
                    None
                }
            },
        };
        provision_checks.push(ProvisionDraft {
            what: p.what.clone(),
            who: p.who.clone(),
            how_often: p.how_often.clone(),
            group_size,
            from: None,
            to: None,
        });
        provision.push(PlanProvision {
            id: String::new(),
            what: p.what.trim().to_string(),
            who: p.who.trim().to_string(),
            how_often: p.how_often.trim().to_string(),
            group_size: group_size.map(i64::from),
            from_on: None,
            to_on: None,
        });
    }
    (provision, provision_checks)
}

fn audit_plan(
    state: &App,
    actor: &Actor<'_>,
    plan_id: &str,
    pupil: &Pupil,
    action: &'static str,
    fields: Option<String>,
) -> senco_store::audit::AuditEvent {
    actor
        .event(state, "plan", action, "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(plan_id.to_string())
        .fields(fields)
}

/// Adds a draft plan. Returns its id and the quality warnings.
pub async fn create_plan(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &PlanInput,
) -> Result<(String, Vec<QualityWarning>), PlanError> {
    let Some(kind) = plan_kind_for(state, pupil).await? else {
        return Err(PlanError::Invalid(vec![Problem::new(
            "stage",
            "no_plan_for_stage",
            "plans.stage_no_plan_for_stage",
        )]));
    };
    let (mut fields, warnings) = check(state, pupil, &kind, PlanStatus::Draft, input, &[]).await?;
    let mut tx = state.store.begin().await?;
    let id = Store::insert_plan(
        &mut tx,
        &NewPlan {
            pupil_id: &pupil.id,
            school_id: &pupil.school_id,
            previous_plan_id: None,
            created_by: Some(&actor.principal.user.id),
        },
        &mut fields,
        state.now(),
    )
    .await?;
    Store::audit_in(
        &mut tx,
        &audit_plan(state, actor, &id, pupil, "create", None),
    )
    .await?;
    senco_store::commit(tx).await?;
    Ok((id, warnings))
}

/// Saves a plan whole if `expected_version` is still current.
pub async fn save_plan(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    before: &Plan,
    input: &PlanInput,
    expected_version: i64,
) -> Result<(i64, Vec<QualityWarning>), PlanError> {
    change_plan(
        state,
        actor,
        pupil,
        before,
        Some(input),
        None,
        expected_version,
    )
    .await
}

/// Moves a plan to another status (agreeing it with parents needs the date and how).
pub async fn change_status(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    before: &Plan,
    to: PlanStatus,
    agreed: Option<(Date, String)>,
    expected_version: i64,
) -> Result<i64, PlanError> {
    change_plan(
        state,
        actor,
        pupil,
        before,
        None,
        Some((to, agreed)),
        expected_version,
    )
    .await
    .map(|(version, _)| version)
}

/// Changes a plan's content (`input`, the whole plan) and/or moves it to another status
/// (`to`, with the date and how it was agreed with parents where that is the move), if
/// `expected_version` is still current: every check first, then one transaction with one
/// new version and its audit row, so a request refused for any reason changes nothing
/// (issue 17, point 1: the content was saved before a bad status was refused).
pub async fn change_plan(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    before: &Plan,
    input: Option<&PlanInput>,
    to: Option<(PlanStatus, Option<(Date, String)>)>,
    expected_version: i64,
) -> Result<(i64, Vec<QualityWarning>), PlanError> {
    let status = before.fields.status;
    if input.is_some() && !status.is_editable() {
        return Err(PlanError::ReadOnly);
    }
    if expected_version != before.version {
        return Err(PlanError::Conflict);
    }
    let mut issues = Vec::new();
    let mut fields = before.fields.clone();
    let mut warnings = Vec::new();
    if let Some(input) = input {
        let kind = PlanKindFor {
            framework: before.fields.framework,
            stage: before.fields.stage,
            plan: framework(before.fields.framework)
                .plan(before.fields.stage)
                .unwrap_or(&senco_domain::framework::IEP),
        };
        match check(state, pupil, &kind, status, input, &own_target_ids(before)).await {
            Ok((checked, w)) => {
                fields = checked;
                fields.agreed_on = before.fields.agreed_on;
                fields.agreed_how = before.fields.agreed_how.clone();
                fields.status = before.fields.status;
                warnings = w;
            }
            Err(PlanError::Invalid(list)) => issues.extend(list),
            Err(e) => return Err(e),
        }
    }
    if let Some((to, agreed)) = to {
        match check_transition(status, to) {
            Err(e) => issues.push(e.problem("status")),
            Ok(()) => {
                fields.status = to;
                if to == PlanStatus::AgreedWithParents {
                    match agreed {
                        Some((on, how)) if !how.trim().is_empty() && on <= state.today() => {
                            fields.agreed_on = Some(on);
                            fields.agreed_how = Some(how.trim().to_string());
                        }
                        _ => issues.push(Problem::new(
                            "agreed_on",
                            "missing",
                            "plans.agreed_on_missing",
                        )),
                    }
                }
            }
        }
    }
    if !issues.is_empty() {
        return Err(PlanError::Invalid(issues));
    }
    let mut tx = state.store.begin().await?;
    let version = match Store::update_plan(
        &mut tx,
        before,
        &mut fields,
        expected_version,
        Some(&actor.principal.user.id),
        state.now(),
    )
    .await
    {
        Err(StoreError::Conflict) => return Err(PlanError::Conflict),
        other => other?,
    };
    let changed = fields.changed(&before.fields).join(",");
    Store::audit_in(
        &mut tx,
        &audit_plan(state, actor, &before.id, pupil, "update", Some(changed)),
    )
    .await?;
    senco_store::commit(tx).await?;
    Ok((version, warnings))
}

/// A review as entered.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub held_on: DateEntry,
    pub invited: Vec<String>,
    pub attended: Vec<String>,
    pub copy_sent_on: DateEntry,
    pub progress: String,
    pub parent_views: String,
    pub pupil_views: String,
    /// (target id, outcome, evidence)
    pub outcomes: Vec<(String, String, String)>,
    pub decision: String,
    /// Target ids to carry forward into the next plan.
    pub carry_forward: Vec<String>,
    pub specialists: String,
}

/// The people who can be invited to a review.
pub const REVIEW_PEOPLE: [&str; 5] = ["parent", "pupil", "teacher", "senco", "specialists"];

/// What a review did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDone {
    pub review_id: String,
    pub stage_change_id: Option<String>,
    pub next_plan_id: Option<String>,
}

/// Records a review: outcomes for every target, the decision (a stage change through the
/// graduated-response rules, or a statutory assessment request), closes the plan and drafts
/// the next one with the chosen unmet targets carried forward. One transaction.
pub async fn record_review(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    plan: &Plan,
    input: &ReviewInput,
    expected_version: i64,
) -> Result<ReviewDone, PlanError> {
    let status = plan.fields.status;
    if !matches!(status, PlanStatus::Active | PlanStatus::UnderReview) {
        return Err(PlanError::Invalid(vec![Problem::new(
            "status",
            "not_active",
            "plans.status_not_active",
        )]));
    }
    if expected_version != plan.version {
        return Err(PlanError::Conflict);
    }
    let today = state.today();
    let checked = check_review(plan, input, today)?;
    let CheckedReview {
        held_on,
        copy_sent_on,
        ref outcomes,
        decision,
    } = checked;
    let (current, new_stage) = stage_after_review(state, pupil, held_on, decision).await?;
    let review = Reviewing {
        state,
        actor,
        pupil,
        plan,
        input,
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let stage_change_id = match new_stage {
        Some(stage) => Some(
            review
                .stage_change(
                    &mut tx,
                    current.as_ref().map(|c| c.framework),
                    stage,
                    held_on,
                )
                .await?,
        ),
        None => None,
    };
    if decision == ReviewDecision::RequestStatutoryAssessment {
        Store::insert_process(
            &mut tx,
            &pupil.id,
            &pupil.school_id,
            &NewProcess {
                kind: ProcessKind::StatutoryAssessment,
                started_on: held_on,
                decided_on: None,
                outcome: None,
                notes: Some(senco_domain::process::ProcessNotes::PlanReviewRequest),
                recorded_by: Some(&actor.principal.user.id),
            },
            now,
        )
        .await?;
    }
    let review_id = Store::insert_review(
        &mut tx,
        plan,
        &NewReview {
            held_on,
            invited: &input.invited.join(","),
            attended: &input.attended.join(","),
            copy_sent_on,
            progress: input.progress.trim(),
            parent_views: input.parent_views.trim(),
            pupil_views: input.pupil_views.trim(),
            decision,
            stage_change_id: stage_change_id.as_deref(),
            outcomes: outcomes.clone(),
        },
        Some(&actor.principal.user.id),
        now,
    )
    .await?;
    let mut closed = plan.fields.clone();
    closed.status = PlanStatus::Closed;
    match Store::update_plan(
        &mut tx,
        plan,
        &mut closed,
        expected_version,
        Some(&actor.principal.user.id),
        now,
    )
    .await
    {
        Err(StoreError::Conflict) => return Err(PlanError::Conflict),
        other => other?,
    };
    // The next plan: drafted for the stage now in force, carrying forward the chosen unmet targets.
    let next_plan_id = review
        .draft_next_plan(&mut tx, &checked, &review_id, today, now)
        .await?;
    let e = actor
        .event(state, "review", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(review_id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(ReviewDone {
        review_id,
        stage_change_id,
        next_plan_id,
    })
}

/// A review as entered, checked.
struct CheckedReview {
    held_on: Date,
    copy_sent_on: Option<Date>,
    /// (target id, outcome, evidence) for every target of the plan.
    outcomes: Vec<(String, String, String)>,
    decision: ReviewDecision,
}

/// Checks a review as entered: the meeting's date within the plan, a copy sent home when
/// the parent missed it, an outcome for every target, a decision, and the views.
fn check_review(plan: &Plan, input: &ReviewInput, today: Date) -> Result<CheckedReview, PlanError> {
    let mut issues = Vec::new();
    let held_on = match input.held_on {
        Entry::Valid(d) if d <= today && d >= plan.fields.starts_on => Some(d),
        Entry::Valid(_) => {
            issues.push(Problem::new(
                "held_on",
                "out_of_range",
                "plans.held_on_out_of_range",
            ));
            None
        }
        Entry::Invalid => {
            issues.push(Problem::new(
                "held_on",
                "not_a_date",
                "plans.held_on_not_a_date",
            ));
            None
        }
        Entry::Blank => {
            issues.push(Problem::new("held_on", "missing", "plans.held_on_missing"));
            None
        }
    };
    let parent_missed = input.invited.iter().any(|p| p == "parent")
        && !input.attended.iter().any(|p| p == "parent");
    let copy_sent_on = match input.copy_sent_on {
        Entry::Valid(d) => Some(d),
        Entry::Invalid => {
            issues.push(Problem::new("copy_sent_on", "not_a_date", "date.not_real"));
            None
        }
        Entry::Blank if parent_missed => {
            issues.push(Problem::new(
                "copy_sent_on",
                "missing",
                "plans.copy_sent_on_missing",
            ));
            None
        }
        Entry::Blank => None,
    };
    let mut outcomes = Vec::new();
    for (i, t) in plan.fields.targets.iter().enumerate() {
        match input.outcomes.iter().find(|(id, _, _)| *id == t.id) {
            Some((_, o, evidence)) if TargetOutcome::parse(o).is_some() => {
                outcomes.push((t.id.clone(), o.clone(), evidence.trim().to_string()))
            }
            _ => issues.push(
                Problem::new(
                    format!("outcome_{}", t.id),
                    "missing",
                    "plans.outcome_missing",
                )
                .with("n", i + 1),
            ),
        }
    }
    let decision = ReviewDecision::parse(&input.decision);
    if decision.is_none() {
        issues.push(Problem::new(
            "decision",
            "missing",
            "plans.decision_missing",
        ));
    }
    for (field, text) in [
        ("progress", &input.progress),
        ("parent_views", &input.parent_views),
        ("pupil_views", &input.pupil_views),
    ] {
        if let Err(e) = check_views(text) {
            issues.push(e.problem(field));
        }
    }
    let (Some(held_on), Some(decision), true) = (held_on, decision, issues.is_empty()) else {
        return Err(PlanError::Invalid(issues));
    };
    Ok(CheckedReview {
        held_on,
        copy_sent_on,
        outcomes,
        decision,
    })
}

/// The stage the pupil is on and the stage the review's decision moves them to (`None`:
/// they stay), by the graduated-response rules of their framework.
async fn stage_after_review(
    state: &App,
    pupil: &Pupil,
    held_on: Date,
    decision: ReviewDecision,
) -> Result<(Option<CurrentStage>, Option<Stage>), PlanError> {
    let school = state.store.school(&pupil.school_id).await?;
    let current = state.store.current_stage(&pupil.id).await?;
    let csa = state.store.compulsory_school_age(school.country).await?;
    let ctx = MoveContext {
        early_years_setting: school.phase.is_early_years(),
        below_compulsory_school_age: csa.is_below(pupil.date_of_birth, held_on),
    };
    let new_stage = match &current {
        Some(c) => stage_after(framework(c.framework), c.stage, decision, &ctx)
            .map_err(|e| PlanError::Invalid(vec![e.problem("decision")]))?,
        None => {
            return Err(PlanError::Invalid(vec![Problem::new(
                "decision",
                "not_on_register",
                "plans.decision_not_on_register",
            )]));
        }
    };
    Ok((current, new_stage))
}

/// A review being recorded: who records it, of which pupil and plan, and what was entered.
#[derive(Clone, Copy)]
struct Reviewing<'a> {
    state: &'a App,
    actor: &'a Actor<'a>,
    pupil: &'a Pupil,
    plan: &'a Plan,
    input: &'a ReviewInput,
}

impl Reviewing<'_> {
    /// The stage change the review decided, on the day of the meeting; the parents were
    /// told at it if they came.
    async fn stage_change(
        &self,
        tx: &mut Tx,
        framework: Option<FrameworkKey>,
        stage: Stage,
        held_on: Date,
    ) -> Result<String, PlanError> {
        Ok(stage_change_in(
            tx,
            self.state,
            self.actor,
            self.pupil,
            &StageChangeInput {
                framework,
                stage: Some(stage),
                effective_on: Entry::Valid(held_on),
                reason: String::new(),
                decided_with: String::new(),
                specialists: self.input.specialists.clone(),
                supersedes: None,
                parents_told_on: self
                    .input
                    .attended
                    .iter()
                    .any(|p| p == "parent")
                    .then_some(held_on)
                    .into(),
                parents_told_how: if self.input.attended.iter().any(|p| p == "parent") {
                    "meeting".into()
                } else {
                    String::new()
                },
            },
            &StageReason::ReviewDecision { held_on },
        )
        .await?)
    }

    /// The next plan, unless the pupil leaves the register: a draft for the stage in force
    /// after the review, carrying forward the unmet targets chosen, and its audit event.
    async fn draft_next_plan(
        &self,
        tx: &mut Tx,
        checked: &CheckedReview,
        review_id: &str,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Option<String>, PlanError> {
        let Reviewing {
            state,
            actor,
            pupil,
            plan,
            input,
        } = *self;
        let CheckedReview {
            held_on,
            decision,
            ref outcomes,
            ..
        } = *checked;
        let history = Store::stage_changes_in(tx, &pupil.id).await?;
        let in_force = crate::sen::stage_in_force(&history, today);
        let next_kind = in_force.as_ref().and_then(|c| {
            framework(c.framework)
                .plan(c.stage)
                .map(|p| (c.framework, c.stage, p))
        });
        Ok(match next_kind {
            Some((fw, stage, plan_type)) if decision != ReviewDecision::OffRegister => {
                let offered: Vec<TargetId> = targets_to_carry_forward(
                    &outcomes
                        .iter()
                        .filter_map(|(id, o, _)| {
                            TargetOutcome::parse(o).map(|o| (TargetId::new(id.clone()), o))
                        })
                        .collect::<Vec<_>>(),
                );
                let carried: Vec<PlanTarget> = plan
                    .fields
                    .targets
                    .iter()
                    .filter(|t| {
                        offered.iter().any(|o| o.as_str() == t.id)
                            && input.carry_forward.contains(&t.id)
                    })
                    .map(|t| PlanTarget {
                        id: String::new(),
                        carried_from: Some(t.id.clone()),
                        by_when: None,
                        ..t.clone()
                    })
                    .collect();
                let mut next = PlanFields {
                    framework: fw,
                    stage,
                    status: PlanStatus::Draft,
                    starts_on: held_on,
                    review_on: review_limit(plan_type, held_on)
                        .min(held_on + time::Duration::days(366)),
                    nature: plan.fields.nature.clone(),
                    help_at_home: String::new(),
                    pastoral: plan.fields.pastoral.clone(),
                    pupil_views: String::new(),
                    parent_views: String::new(),
                    consulted: String::new(),
                    agreed_on: None,
                    agreed_how: None,
                    targets: carried,
                    provision: plan
                        .fields
                        .provision
                        .iter()
                        .map(|p| PlanProvision {
                            id: String::new(),
                            ..p.clone()
                        })
                        .collect(),
                };
                let id = Store::insert_plan(
                    tx,
                    &NewPlan {
                        pupil_id: &pupil.id,
                        school_id: &pupil.school_id,
                        previous_plan_id: Some(&plan.id),
                        created_by: Some(&actor.principal.user.id),
                    },
                    &mut next,
                    now,
                )
                .await?;
                Store::set_review_next_plan(tx, review_id, &id).await?;
                Store::audit_in(tx, &audit_plan(state, actor, &id, pupil, "create", None)).await?;
                Some(id)
            }
            _ => None,
        })
    }
}

/// Records a parent's views and their child's before a review.
pub async fn add_parent_views(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    plan: &Plan,
    parent_views: &str,
    child_views: &str,
) -> Result<(), PlanError> {
    let mut issues = Vec::new();
    if parent_views.trim().is_empty() && child_views.trim().is_empty() {
        issues.push(Problem::new(
            "parent_views",
            "missing",
            "plans.parent_views_missing",
        ));
    }
    for (field, text) in [("parent_views", parent_views), ("child_views", child_views)] {
        if let Err(e) = check_views(text) {
            issues.push(e.problem(field));
        }
    }
    if plan.fields.status == PlanStatus::Closed {
        issues.push(Problem::new(
            "parent_views",
            "closed",
            "plans.parent_views_closed",
        ));
    }
    if !issues.is_empty() {
        return Err(PlanError::Invalid(issues));
    }
    let mut tx = state.store.begin().await?;
    let id = Store::insert_contribution(
        &mut tx,
        plan,
        &actor.principal.user.id,
        parent_views.trim(),
        child_views.trim(),
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "parent_views", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id);
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// The built-in target bank: well-formed example targets by area of need.
pub const BUILT_IN_TARGETS: &[(&str, &str, &str, &str)] = &[
    (
        "cognition_and_learning",
        "Read the first 100 high-frequency words on sight",
        "Flash cards for 10 minutes a day with the teaching assistant; word games at home",
        "Reads 90 of the 100 words correctly on sight in two checks a week apart",
    ),
    (
        "cognition_and_learning",
        "Blend three-letter CVC words to read them",
        "Phonics group, 20 minutes four times a week; magnetic letters",
        "Reads 8 out of 10 unseen CVC words correctly",
    ),
    (
        "cognition_and_learning",
        "Recall number bonds to 10",
        "Daily 5-minute number-bond game; Numicon at home",
        "Answers 10 out of 10 bonds to 10 within 3 seconds each",
    ),
    (
        "communication_and_interaction",
        "Take turns in a small-group game",
        "Weekly 30-minute turn-taking group with two peers; visual turn cards",
        "Waits for a turn without prompting in 4 out of 5 observed games",
    ),
    (
        "communication_and_interaction",
        "Use sentences of five or more words to describe a picture",
        "Colourful Semantics, 15 minutes three times a week",
        "Uses 5-word sentences for 4 out of 5 pictures",
    ),
    (
        "social_emotional_and_mental_health",
        "Use the calm-down plan when upset",
        "Visual calm-down card; daily check-in with a named adult",
        "Uses the plan without adult prompting on 3 out of 4 occasions in two weeks",
    ),
    (
        "social_emotional_and_mental_health",
        "Stay on task for 10 minutes in independent work",
        "Task board with three steps; timer; praise for each step",
        "Works for 10 minutes without a prompt in 4 out of 5 lessons",
    ),
    (
        "sensory_and_or_physical",
        "Form all lower-case letters correctly",
        "Handwriting programme 15 minutes a day; pencil grip",
        "Forms 26 out of 26 letters correctly in a copied sentence",
    ),
    (
        "sensory_and_or_physical",
        "Organise own equipment for PE",
        "Picture checklist; practise with the teaching assistant once a week",
        "Gets ready for PE within 5 minutes without help in 3 consecutive weeks",
    ),
];

/// Puts the built-in targets in the bank once.
pub async fn seed_target_bank(store: &Store, now: time::OffsetDateTime) -> Result<(), StoreError> {
    if store.target_bank_size().await? > 0 {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for (area, target, strategies, success) in BUILT_IN_TARGETS {
        let built_in = NewBankTarget {
            school_id: None,
            area,
            stage: None,
            target,
            strategies,
            success_criteria: success,
            created_by: None,
        };
        Store::insert_bank_target(&mut tx, &built_in, now).await?;
    }
    senco_store::commit(tx).await
}
