//! `POST /api/v1/pupils/{id}/leaving`: the pupil page's "Record that this pupil has left"
//! (issue 19, point 6), through the same use case.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use senco_app::leavers::{LeaveError, leaver, record_leaving};
use senco_domain::leaving::LeavingEntry;
use senco_domain::pupil::date_from_iso;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, FieldProblem};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;

/// A pupil leaving their school.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavingIn {
    /// The day they left, YYYY-MM-DD: today or earlier, not before they joined.
    pub left_on: Option<String>,
    /// The destination school's DfE number (LA code and establishment number, 7 digits),
    /// when known: the pupil's CTF is addressed to it.
    #[serde(default)]
    pub destination: Option<String>,
    /// They moved to another school (implied by a destination).
    #[serde(default)]
    pub transferred_out: bool,
}

/// The leaving as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeavingOut {
    pub left_on: String,
    pub destination: Option<String>,
    pub transferred_out: bool,
}

/// Record that a pupil has left their school: their enrolment ends.
#[utoipa::path(
    operation_id = "pupils_leaving",
    post,
    path = "/api/v1/pupils/{id}/leaving",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = LeavingIn,
    responses(
        (status = 201, body = LeavingOut),
        super::problems::Write,
        (status = 409, body = super::Problem, content_type = "application/problem+json", description = "The pupil is not on roll: their leaving is already recorded"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LeavingIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (pupil, open) = leaver(&state, &actor, &id).await.map_err(api_error)?;
    let destination = body.destination.unwrap_or_default();
    let entry = LeavingEntry {
        on: date_from_iso(body.left_on.as_deref().unwrap_or("")),
        destination: &destination,
        transferred_out: body.transferred_out,
    };
    let leaving = record_leaving(&state, &actor, &pupil.id, &entry)
        .await
        .map_err(|e| match e {
            LeaveError::Invalid(problems) => ApiError::invalid(
                problems
                    .into_iter()
                    .map(|problem| FieldProblem {
                        field: problem.field().to_string(),
                        reason: problem.code().to_string(),
                        message: words().leaving_problem(problem, open.starts_on),
                    })
                    .collect(),
            ),
            other => api_error(other),
        })?;
    let out = LeavingOut {
        left_on: senco_store::ds(leaving.on),
        destination: leaving.destination.map(|d| d.to_string()),
        transferred_out: leaving.transferred_out,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

fn api_error(e: LeaveError) -> ApiError {
    match e {
        LeaveError::NotFound => ApiError::not_found(),
        LeaveError::NotOnRoll => ApiError::new(StatusCode::CONFLICT, words().leaving_not_on_roll),
        LeaveError::Invalid(_) => ApiError::not_found(),
        LeaveError::Store(e) => ApiError::internal(e),
    }
}
