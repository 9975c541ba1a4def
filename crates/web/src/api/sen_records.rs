//! A pupil's graduated-response records through the API, as on the pupil's page: the stage
//! history (`GET /api/v1/pupils/{id}/stage-changes`) and parents being told of an entry
//! (`POST .../stage-changes/{change}/parents-told`), needs (`/api/v1/pupils/{id}/needs`)
//! and statutory processes (`/api/v1/pupils/{id}/processes`).
//!
//! The same service functions as the pages make the changes, so the rules, refusals and
//! audit rows are the pages' own; who may read what is the page's too: needs for those who
//! may read needs (not teaching assistants), the history and processes for those who may
//! read the SEN history (not specialists).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use senco_domain::entry::Entry;
use senco_domain::framework::ProcessKind;
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::date_from_iso;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schools::Framework;
use super::sen::{Created, sen_error};
use super::sen_read::Stage;
use super::{ApiError, ApiJson, List};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, pupil_for};
use senco_app::sen::{ProcessInput, add_need, add_process, record_parents_told};

#[allow(unused_imports)]
use super::Problem;

/// An entry of a pupil's stage history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageChangeOut {
    pub id: String,
    pub framework: Framework,
    pub stage: Stage,
    /// `YYYY-MM-DD`.
    pub effective_on: String,
    pub reason: String,
    pub decided_with: Option<String>,
    pub specialists: Option<String>,
    /// The id of the entry this one corrects.
    pub supersedes: Option<String>,
    /// A later entry corrects this one.
    pub corrected: bool,
    /// Brought in from another school's record.
    pub imported: bool,
    /// `YYYY-MM-DD`: when parents were told (the latest record), with `parents_told_how`.
    pub parents_told_on: Option<String>,
    /// `meeting`, `letter`, `phone` or `email`.
    pub parents_told_how: Option<String>,
}

/// A pupil's stage history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageChangeList {
    pub items: Vec<StageChangeOut>,
    pub total: i64,
}

/// A need of a pupil.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedOut {
    pub id: String,
    /// The census code (England's SEN types, such as `SPLD`, or the Welsh categories).
    pub code: String,
    /// 1 for the primary need, 2 for the secondary, more for others.
    pub rank: i64,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    /// `YYYY-MM-DD`; absent while the need is open.
    pub ends_on: Option<String>,
}

/// A pupil's needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedList {
    pub items: Vec<NeedOut>,
    pub total: i64,
}

/// A new need.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNeed {
    /// A code valid on the start date (England: `SPLD`, `SLCN`, ...; Wales: the categories).
    pub code: String,
    /// 1 primary, 2 secondary, 3 to 9 others; one open need per rank 1 and 2.
    pub rank: i64,
    /// `YYYY-MM-DD`, not in the future; today when absent.
    #[serde(default)]
    pub starts_on: Option<String>,
}

/// A statutory process beside the stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcessOut {
    pub id: String,
    /// `statutory_assessment` or (Wales) `aln_decision`.
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub started_on: String,
    /// `YYYY-MM-DD`.
    pub decided_on: Option<String>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
}

/// A pupil's statutory processes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcessList {
    pub items: Vec<ProcessOut>,
    pub total: i64,
}

/// A new statutory process.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProcess {
    /// `statutory_assessment`, or `aln_decision` in a Welsh school.
    pub kind: String,
    /// `YYYY-MM-DD`, not in the future.
    pub started_on: String,
    /// `YYYY-MM-DD`, on or after the start, not in the future.
    #[serde(default)]
    pub decided_on: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Parents told of a stage change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParentsTold {
    /// `YYYY-MM-DD`, not in the future.
    pub parents_told_on: String,
    /// `meeting`, `letter`, `phone` or `email`.
    pub parents_told_how: String,
}

fn actor<'a>(p: &'a senco_app::principal::Principal, headers: &HeaderMap) -> Actor<'a> {
    RequestId::of(headers).actor(p)
}

/// A pupil's stage history, oldest first (not for specialists, as on the page).
#[utoipa::path(
    operation_id = "sen_records_stage_changes",
    get,
    path = "/api/v1/pupils/{id}/stage-changes",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = StageChangeList),
        super::problems::Read,
    )
)]
pub async fn stage_changes(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<List<StageChangeOut>>, ApiError> {
    let actor = actor(&p, &headers);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let history = state.store.stage_changes(&pupil.id).await?;
    let items = history
        .iter()
        .map(|c| StageChangeOut {
            id: c.id.clone(),
            framework: c.framework.into(),
            stage: c.stage.into(),
            effective_on: senco_store::ds(c.effective_on),
            reason: words().stage_reason(&c.reason),
            decided_with: c.decided_with.clone(),
            specialists: c.specialists.clone(),
            supersedes: c.supersedes.clone(),
            corrected: history
                .iter()
                .any(|h| h.supersedes.as_deref() == Some(c.id.as_str())),
            imported: c.imported,
            parents_told_on: c.parents_told.as_ref().map(|(on, _)| senco_store::ds(*on)),
            parents_told_how: c.parents_told.as_ref().map(|(_, how)| how.clone()),
        })
        .collect();
    Ok(Json(List::whole(items)))
}

/// Record that parents were told of a stage change.
#[utoipa::path(
    operation_id = "sen_records_parents_told",
    post,
    path = "/api/v1/pupils/{id}/stage-changes/{change}/parents-told",
    params(
        ("id" = String, Path, description = "The pupil's id"),
        ("change" = String, Path, description = "The stage change's id"),
    ),
    request_body = ParentsTold,
    responses(
        (status = 204, description = "Recorded"),
        super::problems::Write,
    )
)]
pub async fn parents_told(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    Path((id, change)): Path<(String, String)>,
    ApiJson(body): ApiJson<ParentsTold>,
) -> Result<Response, ApiError> {
    let actor = actor(&p, &headers);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    record_parents_told(
        &state,
        &actor,
        &pupil,
        &change,
        date_from_iso(&body.parents_told_on),
        body.parents_told_how.trim(),
    )
    .await
    .map_err(sen_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A pupil's needs, primary first (not for teaching assistants, as on the page).
#[utoipa::path(
    operation_id = "sen_records_needs",
    get,
    path = "/api/v1/pupils/{id}/needs",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = NeedList),
        super::problems::Read,
    )
)]
pub async fn needs(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<List<NeedOut>>, ApiError> {
    let actor = actor(&p, &headers);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilNeeds, Action::Read).await?;
    let items = state
        .store
        .needs(&pupil.id)
        .await?
        .into_iter()
        .map(|n| NeedOut {
            id: n.id,
            code: n.code,
            rank: n.rank,
            starts_on: senco_store::ds(n.starts_on),
            ends_on: n.ends_on.map(senco_store::ds),
        })
        .collect();
    Ok(Json(List::whole(items)))
}

/// Add a need, from the code list valid on its start date.
#[utoipa::path(
    operation_id = "sen_records_create_need",
    post,
    path = "/api/v1/pupils/{id}/needs",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = NewNeed,
    responses(
        (status = 201, body = Created),
        super::problems::Read,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, a code not valid on the date, or a rank already taken (`rank_taken`)"),
    )
)]
pub async fn create_need(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewNeed>,
) -> Result<Response, ApiError> {
    let actor = actor(&p, &headers);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let id = add_need(
        &state,
        &actor,
        &pupil,
        body.code.trim(),
        body.rank,
        body.starts_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
    )
    .await
    .map_err(sen_error)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// A pupil's statutory processes (not for specialists, as on the page).
#[utoipa::path(
    operation_id = "sen_records_processes",
    get,
    path = "/api/v1/pupils/{id}/processes",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = ProcessList),
        super::problems::Read,
    )
)]
pub async fn processes(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<List<ProcessOut>>, ApiError> {
    let actor = actor(&p, &headers);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let items = state
        .store
        .processes(&pupil.id)
        .await?
        .into_iter()
        .map(|pr| ProcessOut {
            id: pr.id,
            kind: pr.kind.as_str().to_string(),
            started_on: senco_store::ds(pr.started_on),
            decided_on: pr.decided_on.map(senco_store::ds),
            outcome: pr.outcome,
            notes: pr
                .notes
                .as_ref()
                .map(|n| crate::lang::words().process_notes(n)),
        })
        .collect();
    Ok(Json(List::whole(items)))
}

/// Record a statutory assessment request or (Wales) an ALN decision.
#[utoipa::path(
    operation_id = "sen_records_create_process",
    post,
    path = "/api/v1/pupils/{id}/processes",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = NewProcess,
    responses(
        (status = 201, body = Created),
        super::problems::Write,
    )
)]
pub async fn create_process(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewProcess>,
) -> Result<Response, ApiError> {
    let actor = actor(&p, &headers);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let input = ProcessInput {
        kind: ProcessKind::parse(body.kind.trim()),
        started_on: date_from_iso(&body.started_on),
        decided_on: body
            .decided_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        outcome: body.outcome.unwrap_or_default(),
        notes: body.notes.unwrap_or_default(),
    };
    let id = add_process(&state, &actor, &pupil, &input)
        .await
        .map_err(sen_error)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}
