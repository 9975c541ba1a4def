//! Plans and reviews through the API: `POST /api/v1/pupils/{id}/plans`, `GET` and `PATCH`
//! `/api/v1/plans/{id}` (ETag and If-Match: 412 on a stale version), `POST
//! /api/v1/plans/{id}/reviews`, `GET /api/v1/plans/{id}/pdf` and `GET /api/v1/reviews/due`.
//! Responses carry the plan-quality warnings; they never block a save.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use senco_domain::entry::Entry;
use senco_domain::plan::{PlanStatus, QualityWarning};
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::date_from_iso;
use senco_store::plans::Plan;
use senco_store::pupils::Pupil;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, FieldProblem, List, if_match, paging_of};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, pupil_for};
use senco_app::plans::{PlanError, PlanInput, ProvisionInput, ReviewInput, TargetInput};

#[allow(unused_imports)]
use super::Problem;

/// A plan-quality warning (it never blocks a save).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarningOut {
    /// The check's stable id, such as `vague_wording`.
    pub check: String,
    /// The field, such as `targets[1].success_criteria`.
    pub field: Option<String>,
    pub message: String,
}

/// A target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetJson {
    /// Absent for a new target; keep it to change an existing one.
    #[serde(default)]
    pub id: Option<String>,
    /// `communication_and_interaction`, `cognition_and_learning`, `social_emotional_and_mental_health` or `sensory_and_or_physical`.
    #[serde(default)]
    pub area: Option<String>,
    pub target: String,
    #[serde(default)]
    pub strategies: String,
    pub success_criteria: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub by_when: Option<String>,
    /// The target of an earlier plan this one carries forward.
    #[serde(default)]
    pub carried_from: Option<String>,
}

/// A line of provision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProvisionJson {
    pub what: String,
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub how_often: String,
    #[serde(default)]
    pub group_size: Option<i64>,
}

/// A plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanOut {
    pub id: String,
    pub pupil_id: String,
    #[schema(value_type = super::schools::Framework)]
    pub framework: String,
    #[schema(value_type = super::sen_read::Stage)]
    pub stage: String,
    /// `draft`, `agreed_with_parents`, `active`, `under_review` or `closed`.
    pub status: String,
    pub starts_on: String,
    pub review_on: String,
    pub nature: String,
    pub help_at_home: String,
    pub pastoral: String,
    pub pupil_views: String,
    pub parent_views: String,
    pub consulted: String,
    pub agreed_on: Option<String>,
    pub agreed_how: Option<String>,
    pub targets: Vec<TargetJson>,
    pub provision: Vec<ProvisionJson>,
    pub previous_plan_id: Option<String>,
    pub version: i64,
    pub warnings: Vec<WarningOut>,
}

/// A new plan (the framework and stage are the pupil's current ones).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub starts_on: String,
    /// At most the plan type's limit after the start (six months for an IEP).
    pub review_on: String,
    #[serde(default)]
    pub nature: String,
    #[serde(default)]
    pub help_at_home: String,
    #[serde(default)]
    pub pastoral: String,
    #[serde(default)]
    pub pupil_views: String,
    #[serde(default)]
    pub parent_views: String,
    #[serde(default)]
    pub consulted: String,
    #[serde(default)]
    pub targets: Vec<TargetJson>,
    #[serde(default)]
    pub provision: Vec<ProvisionJson>,
}

/// Changes to a plan: only the members sent change; `targets` and `provision` replace the
/// lists (keep a target's `id` to keep the target). `status` moves the plan on.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    pub starts_on: Option<String>,
    pub review_on: Option<String>,
    pub nature: Option<String>,
    pub help_at_home: Option<String>,
    pub pastoral: Option<String>,
    pub pupil_views: Option<String>,
    pub parent_views: Option<String>,
    pub consulted: Option<String>,
    pub targets: Option<Vec<TargetJson>>,
    pub provision: Option<Vec<ProvisionJson>>,
    /// `agreed_with_parents` (with `agreed_on` and `agreed_how`), `active`, `under_review`.
    pub status: Option<String>,
    pub agreed_on: Option<String>,
    pub agreed_how: Option<String>,
}

/// A review.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    pub held_on: String,
    /// Among `parent`, `pupil`, `teacher`, `senco`, `specialists`.
    #[serde(default)]
    pub invited: Vec<String>,
    #[serde(default)]
    pub attended: Vec<String>,
    /// Required when the parent was invited and did not come.
    #[serde(default)]
    pub copy_sent_on: Option<String>,
    #[serde(default)]
    pub progress: String,
    #[serde(default)]
    pub parent_views: String,
    #[serde(default)]
    pub pupil_views: String,
    /// One per target of the plan.
    pub outcomes: Vec<OutcomeIn>,
    /// `continue_same_stage`, `move_up`, `move_down`, `off_register` or `request_statutory_assessment`.
    pub decision: String,
    /// Ids of unmet targets to carry into the next plan.
    #[serde(default)]
    pub carry_forward: Vec<String>,
    #[serde(default)]
    pub specialists: String,
}

/// The outcome of one target.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeIn {
    pub target_id: String,
    /// `achieved`, `partly_achieved`, `not_achieved` or `no_longer_relevant`.
    pub outcome: String,
    #[serde(default)]
    pub evidence: String,
}

/// What a review did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewOut {
    pub review_id: String,
    pub stage_change_id: Option<String>,
    pub next_plan_id: Option<String>,
}

/// A plan whose review is due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DueOut {
    pub plan_id: String,
    pub pupil_id: String,
    pub review_on: String,
    pub status: String,
    pub overdue: bool,
}

fn warnings_out(w: &[QualityWarning]) -> Vec<WarningOut> {
    w.iter()
        .map(|w| WarningOut {
            check: w.check.to_string(),
            field: w.field.clone(),
            message: words().quality_warning(w),
        })
        .collect()
}

fn plan_out(plan: &Plan, warnings: &[QualityWarning]) -> PlanOut {
    let f = &plan.fields;
    PlanOut {
        id: plan.id.clone(),
        pupil_id: plan.pupil_id.clone(),
        framework: f.framework.as_str().to_string(),
        stage: f.stage.as_str().to_string(),
        status: f.status.as_str().to_string(),
        starts_on: senco_store::ds(f.starts_on),
        review_on: senco_store::ds(f.review_on),
        nature: f.nature.clone(),
        help_at_home: f.help_at_home.clone(),
        pastoral: f.pastoral.clone(),
        pupil_views: f.pupil_views.clone(),
        parent_views: f.parent_views.clone(),
        consulted: f.consulted.clone(),
        agreed_on: f.agreed_on.map(senco_store::ds),
        agreed_how: f.agreed_how.clone(),
        targets: f
            .targets
            .iter()
            .map(|t| TargetJson {
                id: Some(t.id.clone()),
                area: t.area.clone(),
                target: t.target.clone(),
                strategies: t.strategies.clone(),
                success_criteria: t.success_criteria.clone(),
                by_when: t.by_when.map(senco_store::ds),
                carried_from: t.carried_from.clone(),
            })
            .collect(),
        provision: f
            .provision
            .iter()
            .map(|p| ProvisionJson {
                what: p.what.clone(),
                who: p.who.clone(),
                how_often: p.how_often.clone(),
                group_size: p.group_size,
            })
            .collect(),
        previous_plan_id: plan.previous_plan_id.clone(),
        version: plan.version,
        warnings: warnings_out(warnings),
    }
}

fn with_etag(status: StatusCode, plan: &Plan, warnings: &[QualityWarning]) -> Response {
    super::tagged(status, plan_out(plan, warnings), plan.version)
}

fn plan_error(e: PlanError) -> ApiError {
    match e {
        PlanError::Invalid(issues) => ApiError::invalid(
            issues
                .into_iter()
                .map(|p| FieldProblem::of(&p, api_field(&p.field)))
                .collect(),
        ),
        PlanError::Conflict => ApiError::precondition_failed(),
        PlanError::ReadOnly => ApiError {
            detail: Some("A closed plan cannot change".into()),
            ..ApiError::new(StatusCode::CONFLICT, "The plan is closed")
        },
        PlanError::Store(e) => e.into(),
    }
}

/// Page field names (`target_2_success`) as API paths (`targets[1].success_criteria`).
fn api_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("target_")
        && let Some((n, f)) = rest.split_once('_')
        && let Ok(n) = n.parse::<usize>()
    {
        let name = match f {
            "text" => "target",
            "success" => "success_criteria",
            "by" => "by_when",
            other => other,
        };
        return format!("targets[{}].{name}", n.saturating_sub(1));
    }
    if let Some(rest) = field.strip_prefix("provision_")
        && let Some((n, f)) = rest.split_once('_')
        && let Ok(n) = n.parse::<usize>()
    {
        let name = match f {
            "often" => "how_often",
            "group" => "group_size",
            other => other,
        };
        return format!("provision[{}].{name}", n.saturating_sub(1));
    }
    field.to_string()
}

fn targets_in(targets: &[TargetJson]) -> Vec<TargetInput> {
    targets
        .iter()
        .map(|t| TargetInput {
            id: t.id.clone().unwrap_or_default(),
            carried_from: t.carried_from.clone().unwrap_or_default(),
            area: t.area.clone().unwrap_or_default(),
            target: t.target.clone(),
            strategies: t.strategies.clone(),
            success_criteria: t.success_criteria.clone(),
            by_when: t.by_when.as_deref().map_or(Entry::Blank, date_from_iso),
        })
        .collect()
}

fn provision_in(p: &[ProvisionJson]) -> Vec<ProvisionInput> {
    p.iter()
        .map(|p| ProvisionInput {
            what: p.what.clone(),
            who: p.who.clone(),
            how_often: p.how_often.clone(),
            group_size: p.group_size.map(|g| g.to_string()).unwrap_or_default(),
        })
        .collect()
}

async fn load(
    state: &AppState,
    actor: &Actor<'_>,
    id: &str,
    action: Action,
) -> Result<(Plan, Pupil), ApiError> {
    let plan = match state.store.plan(id).await {
        Ok(plan) => plan,
        Err(senco_store::StoreError::NotFound) => {
            senco_app::access::deny_missing(state, actor, id, Resource::PupilSen, action).await;
            return Err(ApiError::not_found());
        }
        Err(e) => return Err(e.into()),
    };
    let pupil = pupil_for(state, actor, &plan.pupil_id, Resource::PupilSen, action).await?;
    if !senco_app::plans::plan_visible(actor.principal, &plan) {
        return Err(ApiError::not_found());
    }
    Ok((plan, pupil))
}

async fn warnings_of(state: &AppState, plan: &Plan, pupil: &Pupil) -> Vec<QualityWarning> {
    let (fw, stage) = (plan.fields.framework, plan.fields.stage);
    let Some(plan_type) = senco_domain::framework::framework(fw).plan(stage) else {
        return Vec::new();
    };
    let kind = senco_app::plans::PlanKindFor {
        framework: fw,
        stage,
        plan: plan_type,
    };
    let status = plan.fields.status;
    let input = senco_app::plans::PlanInput::from_stored(&plan.fields);
    senco_app::plans::check(
        state,
        pupil,
        &kind,
        status,
        &input,
        &senco_app::plans::own_target_ids(plan),
    )
    .await
    .map(|(_, w)| w)
    .unwrap_or_default()
}

/// Write a plan for a pupil.
#[utoipa::path(
    operation_id = "plans_create",
    post,
    path = "/api/v1/pupils/{id}/plans",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = NewPlan,
    responses(
        (status = 201, body = PlanOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Read,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, or a review date past the plan type's limit (`review_past_limit`)"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewPlan>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let input = PlanInput {
        starts_on: date_from_iso(&body.starts_on),
        review_on: date_from_iso(&body.review_on),
        nature: body.nature,
        help_at_home: body.help_at_home,
        pastoral: body.pastoral,
        pupil_views: body.pupil_views,
        parent_views: body.parent_views,
        consulted: body.consulted,
        targets: targets_in(&body.targets),
        provision: provision_in(&body.provision),
    };
    let (plan_id, warnings) = senco_app::plans::create_plan(&state, &actor, &pupil, &input)
        .await
        .map_err(plan_error)?;
    let plan = state.store.plan(&plan_id).await?;
    Ok(super::located(
        with_etag(StatusCode::CREATED, &plan, &warnings),
        &format!("/api/v1/plans/{plan_id}"),
    ))
}

/// Read a plan.
#[utoipa::path(
    operation_id = "plans_get",
    get,
    path = "/api/v1/plans/{id}",
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, body = PlanOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Read,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Action::Read).await?;
    let warnings = if senco_app::access::may(&p, Resource::PupilSen, Action::Create) {
        warnings_of(&state, &plan, &pupil).await
    } else {
        Vec::new()
    };
    Ok(with_etag(StatusCode::OK, &plan, &warnings))
}

/// Change a plan.
#[utoipa::path(
    operation_id = "plans_patch",
    patch,
    path = "/api/v1/plans/{id}",
    params(
        ("id" = String, Path, description = "The plan's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = PlanPatch,
    responses(
        (status = 200, body = PlanOut),
        super::problems::Update,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The plan is closed"),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PlanPatch>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Action::Update).await?;
    let expected = if_match(&headers, plan.version)?;
    if expected != plan.version {
        return Err(ApiError::precondition_failed());
    }
    let content_changes = body.starts_on.is_some()
        || body.review_on.is_some()
        || body.nature.is_some()
        || body.help_at_home.is_some()
        || body.pastoral.is_some()
        || body.pupil_views.is_some()
        || body.parent_views.is_some()
        || body.consulted.is_some()
        || body.targets.is_some()
        || body.provision.is_some();
    // Everything is parsed and checked before anything is written, and content and status
    // are saved together or not at all (issue 17, point 1).
    let to = match &body.status {
        Some(status) => {
            let to = PlanStatus::parse(status).ok_or_else(|| {
                ApiError::field(
                    "status",
                    "unknown_value",
                    "Use draft, agreed_with_parents, active, under_review or closed",
                )
            })?;
            let agreed = body
                .agreed_on
                .as_deref()
                .and_then(|s| date_from_iso(s).valid())
                .map(|d| (d, body.agreed_how.clone().unwrap_or_default()));
            Some((to, agreed))
        }
        None => None,
    };
    let input = if content_changes {
        let current = senco_app::plans::PlanInput::from_stored(&plan.fields);
        Some(PlanInput {
            starts_on: body
                .starts_on
                .as_deref()
                .map_or(current.starts_on, date_from_iso),
            review_on: body
                .review_on
                .as_deref()
                .map_or(current.review_on, date_from_iso),
            nature: body.nature.clone().unwrap_or(current.nature),
            help_at_home: body.help_at_home.clone().unwrap_or(current.help_at_home),
            pastoral: body.pastoral.clone().unwrap_or(current.pastoral),
            pupil_views: body.pupil_views.clone().unwrap_or(current.pupil_views),
            parent_views: body.parent_views.clone().unwrap_or(current.parent_views),
            consulted: body.consulted.clone().unwrap_or(current.consulted),
            targets: body.targets.as_deref().map_or(current.targets, targets_in),
            provision: body
                .provision
                .as_deref()
                .map_or(current.provision, provision_in),
        })
    } else {
        None
    };
    let mut warnings = Vec::new();
    if input.is_some() || to.is_some() {
        let (_, w) = senco_app::plans::change_plan(
            &state,
            &actor,
            &pupil,
            &plan,
            input.as_ref(),
            to,
            expected,
        )
        .await
        .map_err(plan_error)?;
        warnings = w;
    }
    let after = state.store.plan(&plan.id).await?;
    if warnings.is_empty() {
        warnings = warnings_of(&state, &after, &pupil).await;
    }
    Ok(with_etag(StatusCode::OK, &after, &warnings))
}

/// Record a review of a plan.
#[utoipa::path(
    operation_id = "plans_review",
    post,
    path = "/api/v1/plans/{id}/reviews",
    params(("id" = String, Path, description = "The plan's id")),
    request_body = NewReview,
    responses(
        (status = 201, body = ReviewOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
        super::problems::PreconditionFailed,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, or a decision the framework does not allow (the reason names the rule)"),
    )
)]
pub async fn review(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewReview>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Action::Create).await?;
    let expected = if_match(&headers, plan.version)?;
    let input = ReviewInput {
        held_on: date_from_iso(&body.held_on),
        invited: body.invited,
        attended: body.attended,
        copy_sent_on: body
            .copy_sent_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        progress: body.progress,
        parent_views: body.parent_views,
        pupil_views: body.pupil_views,
        outcomes: body
            .outcomes
            .into_iter()
            .map(|o| (o.target_id, o.outcome, o.evidence))
            .collect(),
        decision: body.decision,
        carry_forward: body.carry_forward,
        specialists: body.specialists,
    };
    let done = senco_app::plans::record_review(&state, &actor, &pupil, &plan, &input, expected)
        .await
        .map_err(plan_error)?;
    Ok((
        StatusCode::CREATED,
        Json(ReviewOut {
            review_id: done.review_id,
            stage_change_id: done.stage_change_id,
            next_plan_id: done.next_plan_id,
        }),
    )
        .into_response())
}

/// A plan as PDF.
#[utoipa::path(
    operation_id = "plans_pdf",
    get,
    path = "/api/v1/plans/{id}/pdf",
    params(("id" = String, Path, description = "The plan's id"), ("parent" = Option<bool>, Query, description = "The parent-friendly version")),
    responses(
        (status = 200, content_type = "application/pdf", description = "The plan, A4"),
        super::problems::Read,
    )
)]
pub async fn pdf(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Action::Read).await?;
    let parent = q.get("parent").is_some_and(|v| v == "true" || v == "1")
        || !senco_app::access::may(&p, Resource::PupilSen, Action::Create);
    let bytes = senco_app::documents::plan_pdf(&state, &plan, &pupil, parent)
        .await
        .map_err(|_| ApiError::internal("rendering the plan failed"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"plan.pdf\"",
            ),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}

/// Plans whose review is due within a period (overdue ones included).
#[utoipa::path(
    operation_id = "plans_due",
    get,
    path = "/api/v1/reviews/due",
    params(
        ("school" = Option<String>, Query, description = "Only this school (URN)"),
        ("within" = Option<String>, Query, description = "A number of days such as 14d (default 14d)"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "Items per page, at most 200"),
    ),
    responses(
        (status = 200, body = DueList),
        super::problems::Create,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "The caller may not read plans"),
    )
)]
pub async fn due(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<List<DueOut>>, ApiError> {
    let actor = rid.actor(&p);
    // Which children have plans, and when they are reviewed, is SEN content (SR-26): the
    // matrix decides, and a refusal is audited and answered as not found.
    if !senco_app::plans::reviews_due_allowed(&p) {
        senco_app::plans::audit_reviews_due(&state, &actor, "denied").await;
        return Err(ApiError::not_found());
    }
    let (page, per_page) = paging_of(&q)?;
    let days = match q.get("within").map(|s| s.trim()) {
        None | Some("") => 14,
        Some(w) => w
            .trim_end_matches('d')
            .parse::<i64>()
            .ok()
            .filter(|d| (0..=366).contains(d))
            .ok_or_else(|| {
                ApiError::field(
                    "within",
                    "not_a_period",
                    "Use a number of days from 0 to 366, such as 14d",
                )
            })?,
    };
    let school_id = match q.get("school").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(urn) => Some(
            state
                .store
                .school_id_by_urn(urn)
                .await?
                .unwrap_or_else(|| "none".into()),
        ),
    };
    let today = state.today();
    let due = state
        .store
        .reviews_due(
            &p.scope(),
            school_id.as_deref(),
            today + time::Duration::days(days),
        )
        .await?;
    senco_app::plans::audit_reviews_due(&state, &actor, "allowed").await;
    let total = due.len() as i64;
    let items = due
        .into_iter()
        .skip(usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX))
        .take(per_page as usize)
        .map(|d| DueOut {
            plan_id: d.plan_id,
            pupil_id: d.pupil_id,
            overdue: d.review_on < today,
            review_on: senco_store::ds(d.review_on),
            status: d.status.as_str().to_string(),
        })
        .collect();
    Ok(Json(List { items, total }))
}

/// A page of due reviews.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueList {
    pub items: Vec<DueOut>,
    pub total: i64,
}

/// A plan as listed on the pupil's page (read the whole plan at `/api/v1/plans/{id}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanSummaryOut {
    pub id: String,
    #[schema(value_type = super::schools::Framework)]
    pub framework: String,
    #[schema(value_type = super::sen_read::Stage)]
    pub stage: String,
    /// The plan type's name under its framework, such as "Individual education plan".
    pub plan_type: String,
    /// `draft`, `agreed_with_parents`, `active`, `under_review` or `closed`.
    pub status: String,
    pub starts_on: String,
    pub review_on: String,
    pub agreed_on: Option<String>,
    pub previous_plan_id: Option<String>,
    pub version: i64,
}

/// A pupil's plans, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanSummaryOut>,
    pub total: i64,
}

/// A pupil's plans, newest first: closed ones only for those who may read the SEN history
/// (as on the pupil's page).
#[utoipa::path(
    operation_id = "plans_list",
    get,
    path = "/api/v1/pupils/{id}/plans",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = PlanList),
        super::problems::Read,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<List<PlanSummaryOut>>, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Read).await?;
    let items: Vec<PlanSummaryOut> = state
        .store
        .plans_for_pupil(&pupil.id)
        .await?
        .into_iter()
        .filter(|plan| senco_app::plans::plan_visible(&p, plan))
        .map(|plan| {
            let f = &plan.fields;
            let plan_type = senco_domain::framework::framework(f.framework)
                .plan(f.stage)
                .map(|t| t.name)
                .unwrap_or("");
            PlanSummaryOut {
                id: plan.id.clone(),
                framework: f.framework.as_str().to_string(),
                stage: f.stage.as_str().to_string(),
                plan_type: plan_type.to_string(),
                status: f.status.as_str().to_string(),
                starts_on: senco_store::ds(f.starts_on),
                review_on: senco_store::ds(f.review_on),
                agreed_on: f.agreed_on.map(senco_store::ds),
                previous_plan_id: plan.previous_plan_id.clone(),
                version: plan.version,
            }
        })
        .collect();
    Ok(Json(List::whole(items)))
}
