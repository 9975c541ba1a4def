//! Concerns through the API, as on the concern pages: the school's list of concerns awaiting
//! triage or being monitored (`GET /api/v1/concerns`), one concern (`GET
//! /api/v1/concerns/{id}`, with an ETag) and the SENCO's decision on it (`POST
//! /api/v1/concerns/{id}/triage`: keep monitoring, close with a reason, or place the pupil on
//! a stage, checked by the framework's rules like any stage change).
//!
//! Raising a concern is `POST /api/v1/pupils/{id}/concerns` ([`super::sen`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use senco_domain::entry::Entry;
use senco_domain::framework::Stage;
use senco_domain::policy::Action;
use senco_domain::pupil::date_from_iso;
use senco_domain::school::FrameworkKey;
use senco_store::sen::Concern;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::if_match;
use super::schools::Framework;
use super::sen::sen_error;
use super::{ApiError, ApiJson, List};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::sen::{StageChangeInput, Triage, triage_concern};
use senco_app::sen::{audit_concern_list, reach_concern, school_concerns};

#[allow(unused_imports)]
use super::Problem;

/// A concern raised about a pupil.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConcernOut {
    pub id: String,
    pub pupil_id: String,
    /// The pupil's name as the school uses it.
    pub pupil_name: String,
    /// `YYYY-MM-DD`.
    pub raised_on: String,
    /// The name of the member of staff who raised it.
    pub raised_by: String,
    /// The framework in force when it was raised.
    pub framework: Framework,
    /// Broad areas of need: `communication_and_interaction`, `cognition_and_learning`,
    /// `social_emotional_and_mental_health`, `sensory_and_or_physical`.
    pub areas: Vec<String>,
    /// Trigger ids from the framework's lists.
    pub triggers: Vec<String>,
    pub details: Option<String>,
    pub tried: String,
    pub result: String,
    /// `awaiting_triage`, `monitoring`, `placed` or `closed`.
    pub status: String,
    /// Why it was closed, or the reason for the placement.
    pub outcome_reason: Option<String>,
    /// The stage change a placement recorded.
    pub stage_change_id: Option<String>,
    pub version: i64,
}

/// The school's open concerns, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernList {
    pub items: Vec<ConcernOut>,
    pub total: i64,
}

/// The SENCO's decision on a concern.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernDecision {
    /// `monitor` (keep watching), `close` (with `reason`) or `place` (on `stage`, with
    /// `effective_on` and `reason`, as a stage change).
    pub decision: String,
    /// Why the concern is closed, or the reason for the placement.
    #[serde(default)]
    pub reason: Option<String>,
    /// For `place`: the framework, when the school works under more than one.
    #[serde(default)]
    #[schema(value_type = Option<Framework>)]
    pub framework: Option<String>,
    /// For `place`: the stage.
    #[serde(default)]
    #[schema(value_type = Option<super::sen_read::Stage>)]
    pub stage: Option<String>,
    /// For `place`: `YYYY-MM-DD`.
    #[serde(default)]
    pub effective_on: Option<String>,
    /// For `place`: the class teacher who took part in the decision.
    #[serde(default)]
    pub decided_with: Option<String>,
    /// For `place`: the outside specialists involved (required for School Action Plus).
    #[serde(default)]
    pub specialists: Option<String>,
    /// For `place`: `YYYY-MM-DD`, with `parents_told_how`.
    #[serde(default)]
    pub parents_told_on: Option<String>,
    /// For `place`: `meeting`, `letter`, `phone` or `email`.
    #[serde(default)]
    pub parents_told_how: Option<String>,
}

fn keys(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn concern_out(c: Concern, pupil_name: String) -> ConcernOut {
    ConcernOut {
        pupil_name,
        raised_on: senco_store::ds(c.raised_on),
        framework: c.framework.into(),
        areas: keys(&c.areas),
        triggers: keys(&c.triggers),
        id: c.id,
        pupil_id: c.pupil_id,
        raised_by: c.raised_by_name,
        details: c.details,
        tried: c.tried,
        result: c.result,
        status: c.status.as_str().to_string(),
        outcome_reason: c.outcome_reason,
        stage_change_id: c.stage_change_id,
        version: c.version,
    }
}

fn with_etag(status: StatusCode, c: Concern, pupil_name: String) -> Response {
    let version = c.version;
    super::tagged(status, concern_out(c, pupil_name), version)
}

/// The school's concerns awaiting triage and being monitored (the SENCO and head teacher).
#[utoipa::path(
    operation_id = "concerns_list",
    get,
    path = "/api/v1/concerns",
    responses(
        (status = 200, body = ConcernList),
        super::problems::Unauthorized,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "You may not read concerns"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
) -> Result<Json<List<ConcernOut>>, ApiError> {
    let actor = rid.actor(&p);
    let rows = school_concerns(&state, &p).await?;
    audit_concern_list(&state, &actor).await;
    let items: Vec<ConcernOut> = rows
        .into_iter()
        .map(|(c, name)| concern_out(c, name))
        .collect();
    Ok(Json(List::whole(items)))
}

/// A concern.
#[utoipa::path(
    operation_id = "concerns_get",
    get,
    path = "/api/v1/concerns/{id}",
    params(("id" = String, Path, description = "The concern's id")),
    responses(
        (status = 200, body = ConcernOut, headers(("ETag" = String, description = "The version, for If-Match"))),
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
    let (concern, pupil) = reach_concern(&state, &actor, &id, Action::Read).await?;
    Ok(with_etag(StatusCode::OK, concern, pupil.display_name()))
}

fn placement(body: &ConcernDecision) -> Result<StageChangeInput, ApiError> {
    let framework = match body.framework.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(f) => Some(FrameworkKey::parse(f).ok_or_else(|| {
            ApiError::field("framework", "unknown_value", words().api_framework_id)
        })?),
    };
    let stage = match body.stage.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            Stage::parse(s)
                .ok_or_else(|| ApiError::field("stage", "unknown_value", words().api_stage_id))?,
        ),
    };
    Ok(StageChangeInput {
        framework,
        stage,
        effective_on: body
            .effective_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        reason: body.reason.clone().unwrap_or_default(),
        decided_with: body.decided_with.clone().unwrap_or_default(),
        specialists: body.specialists.clone().unwrap_or_default(),
        supersedes: None,
        parents_told_on: body
            .parents_told_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        parents_told_how: body.parents_told_how.clone().unwrap_or_default(),
    })
}

/// Triage a concern: keep monitoring, close it with a reason, or place the pupil on a stage.
#[utoipa::path(
    operation_id = "concerns_triage",
    post,
    path = "/api/v1/concerns/{id}/triage",
    params(
        ("id" = String, Path, description = "The concern's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = ConcernDecision,
    responses(
        (status = 200, body = ConcernOut, headers(("ETag" = String, description = "The new version"))),
        super::problems::Unauthorized,
        super::problems::NotFound,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The concern is already placed or closed"),
        super::problems::PreconditionFailed,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, or a placement the framework does not allow: `reason` names the rule"),
    )
)]
pub async fn triage(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConcernDecision>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (concern, pupil) = reach_concern(&state, &actor, &id, Action::Update).await?;
    if concern.status.is_final() {
        return Err(ApiError {
            detail: Some(words().api_concern_not_triaged_again.into()),
            ..ApiError::new(StatusCode::CONFLICT, words().api_concern_decided)
        });
    }
    let expected = if_match(&headers, concern.version)?;
    let decision = match body.decision.trim() {
        "monitor" => Triage::Monitor,
        "close" => Triage::Close(body.reason.clone().unwrap_or_default()),
        "place" => Triage::Place(placement(&body)?),
        _ => {
            return Err(ApiError::field(
                "decision",
                "unknown_value",
                words().api_triage_decision,
            ));
        }
    };
    triage_concern(&state, &actor, &pupil, &concern.id, expected, &decision)
        .await
        .map_err(sen_error)?;
    let after = state.store.concern(&concern.id).await?;
    Ok(with_etag(StatusCode::OK, after, pupil.display_name()))
}
