//! `POST /api/v1/pupils/{id}/concerns` and `POST /api/v1/pupils/{id}/stage-changes`: the
//! graduated response through the API, with the same rules as the pages. A move the
//! framework does not allow answers 422 naming the rule.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use senco_domain::entry::Entry;
use senco_domain::framework::Stage;
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::date_from_iso;
use senco_domain::school::FrameworkKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, FieldProblem};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::pupil_for;
use senco_app::sen::{
    ConcernInput, SenError, StageChangeInput, raise_concern, record_stage_change,
};

#[allow(unused_imports)]
use super::Problem;

/// A problem document for a refused graduated-response, provision or specialists change.
pub(crate) fn sen_error(e: SenError) -> ApiError {
    match e {
        SenError::Invalid(issues) => ApiError::invalid(
            issues
                .iter()
                .map(|p| FieldProblem::of(p, p.field.to_string()))
                .collect(),
        ),
        SenError::Conflict => ApiError::precondition_failed(),
        SenError::Store(e) => e.into(),
    }
}

/// A new concern.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConcern {
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub raised_on: Option<String>,
    /// Broad areas of need: `communication_and_interaction`, `cognition_and_learning`,
    /// `social_emotional_and_mental_health`, `sensory_and_or_physical`.
    pub areas: Vec<String>,
    /// Trigger ids from the school's framework (see the framework's trigger lists).
    #[serde(default)]
    pub triggers: Vec<String>,
    #[serde(default)]
    pub details: Option<String>,
    /// What has been tried already.
    pub tried: String,
    /// What happened when it was tried.
    pub result: String,
}

/// A created record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Raise a concern about a pupil.
#[utoipa::path(
    operation_id = "sen_create_concern",
    post,
    path = "/api/v1/pupils/{id}/concerns",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = NewConcern,
    responses(
        (status = 201, body = Created),
        super::problems::Write,
    )
)]
pub async fn create_concern(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewConcern>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Concern, Action::Create).await?;
    let input = ConcernInput {
        raised_on: body
            .raised_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        areas: body.areas,
        details: body.details.unwrap_or_default(),
        triggers: body.triggers,
        tried: body.tried,
        result: body.result,
    };
    let id = raise_concern(&state, &actor, &pupil, &input)
        .await
        .map_err(sen_error)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// A change of stage (or, with `supersedes`, a correction of an earlier entry).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStageChange {
    /// The framework, when the school works under more than one; otherwise the one in force.
    #[serde(default)]
    #[schema(value_type = Option<super::schools::Framework>)]
    pub framework: Option<String>,
    #[schema(value_type = super::sen_read::Stage)]
    pub stage: String,
    /// `YYYY-MM-DD`: may be in the past, not before the pupil joined, not in the future.
    pub effective_on: String,
    pub reason: String,
    /// The class teacher who took part in the decision.
    #[serde(default)]
    pub decided_with: Option<String>,
    /// The outside specialists involved (required for School Action Plus).
    #[serde(default)]
    pub specialists: Option<String>,
    /// The id of the history entry this one corrects.
    #[serde(default)]
    pub supersedes: Option<String>,
    /// `YYYY-MM-DD`, with `parents_told_how`.
    #[serde(default)]
    pub parents_told_on: Option<String>,
    /// `meeting`, `letter`, `phone` or `email`.
    #[serde(default)]
    pub parents_told_how: Option<String>,
}

/// Record a change of stage.
#[utoipa::path(
    operation_id = "sen_create_stage_change",
    post,
    path = "/api/v1/pupils/{id}/stage-changes",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = NewStageChange,
    responses(
        (status = 201, body = Created),
        super::problems::Read,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, or a move the framework does not allow: `reason` names the rule"),
    )
)]
pub async fn create_stage_change(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewStageChange>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let framework = match body.framework.as_deref() {
        None => None,
        Some(f) => Some(FrameworkKey::parse(f).ok_or_else(|| {
            ApiError::field("framework", "unknown_value", words().api_framework_id)
        })?),
    };
    let stage = Stage::parse(&body.stage)
        .ok_or_else(|| ApiError::field("stage", "unknown_value", words().api_stage_id))?;
    let input = StageChangeInput {
        framework,
        stage: Some(stage),
        effective_on: date_from_iso(&body.effective_on),
        reason: body.reason,
        decided_with: body.decided_with.unwrap_or_default(),
        specialists: body.specialists.unwrap_or_default(),
        supersedes: body.supersedes,
        parents_told_on: body
            .parents_told_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        parents_told_how: body.parents_told_how.unwrap_or_default(),
    };
    let id = record_stage_change(&state, &actor, &pupil, &input)
        .await
        .map_err(sen_error)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}
