//! Outside specialists through the API: a pupil's involvements
//! (`/api/v1/pupils/{id}/involvements`), one involvement's status and consent
//! (`/api/v1/involvements/{id}`, ETag and If-Match), its notes, report uploads (the file as
//! the request body) and downloads (`/api/v1/reports/{id}`, audited). Same rules and access
//! as the pages.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::date_from_iso;
use senco_store::specialists::{Involvement, Report};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::if_match;
use super::sen::Created;
use super::sen::sen_error;
use super::{ApiError, ApiJson, ApiQuery};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use senco_app::access::pupil_for;
use senco_app::specialists::{
    NoteInput, ReferralInput, StatusInput, add_note, change_involvement, reach_involvement, refer,
    upload_report, visible_involvement, visible_involvements, visible_reports,
};

#[allow(unused_imports)]
use super::Problem;

/// A report's description.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportOut {
    pub id: String,
    pub title: String,
    pub file_name: String,
    /// `pdf`, `docx`, `png` or `jpeg`.
    pub kind: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub shared_with_parents: bool,
    /// UTC, RFC 3339.
    pub uploaded_at: String,
}

/// A specialist's involvement with a pupil.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvolvementOut {
    pub id: String,
    pub pupil_id: String,
    pub agency_id: Option<String>,
    pub agency_name: Option<String>,
    /// `educational_psychology`, `speech_and_language_therapy`, `specialist_teaching`,
    /// `occupational_therapy`, `physiotherapy`, `camhs`, `sensory_service`,
    /// `behaviour_support`, `school_nurse` or `social_care`.
    pub agency_kind: Option<String>,
    pub person_name: Option<String>,
    /// `requested`, `accepted`, `active` or `closed`.
    pub status: String,
    pub referral_on: Option<String>,
    pub reason: String,
    pub consent_on: Option<String>,
    pub consent_by: Option<String>,
    pub consent_withdrawn_on: Option<String>,
    pub closed_on: Option<String>,
    /// Only for those who may read specialists' reports (not teachers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<Vec<ReportOut>>,
    pub version: i64,
}

/// Involvements.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvolvementList {
    pub items: Vec<InvolvementOut>,
    pub total: i64,
}

fn report_out(r: &Report) -> ReportOut {
    ReportOut {
        id: r.id.clone(),
        title: r.title.clone(),
        file_name: r.file_name.clone(),
        kind: r.kind.clone(),
        size_bytes: r.size_bytes,
        sha256: r.sha256.clone(),
        shared_with_parents: r.shared_with_parents,
        uploaded_at: senco_store::ts(r.uploaded_at),
    }
}

async fn out(
    state: &AppState,
    p: &senco_app::principal::Principal,
    list: &[Involvement],
) -> Result<Vec<InvolvementOut>, ApiError> {
    let reports = visible_reports(state, p, list).await?;
    let may_read_reports = senco_app::access::may(p, Resource::SpecialistReports, Action::Read);
    Ok(list
        .iter()
        .map(|i| InvolvementOut {
            id: i.id.clone(),
            pupil_id: i.pupil_id.clone(),
            agency_id: i.agency_id.clone(),
            agency_name: i.agency_name.clone(),
            agency_kind: i.agency_kind.map(|k| k.as_str().to_string()),
            person_name: i.person_name.clone(),
            status: i.status.as_str().to_string(),
            referral_on: i.referral_on.map(senco_store::ds),
            reason: i.reason.clone(),
            consent_on: i.consent_on.map(senco_store::ds),
            consent_by: i.consent_by.clone(),
            consent_withdrawn_on: i.consent_withdrawn_on.map(senco_store::ds),
            closed_on: i.closed_on.map(senco_store::ds),
            reports: may_read_reports.then(|| {
                reports
                    .iter()
                    .filter(|r| r.involvement_id == i.id)
                    .map(report_out)
                    .collect()
            }),
            version: i.version,
        })
        .collect())
}

/// A pupil's involvements (a specialist sees only their own).
#[utoipa::path(
    operation_id = "specialists_list",
    get,
    path = "/api/v1/pupils/{id}/involvements",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = InvolvementList),
        super::problems::Read,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<InvolvementList>, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Involvement, Action::Read).await?;
    let list = visible_involvements(&state, &p, &pupil.id).await?;
    let items = out(&state, &p, &list).await?;
    Ok(Json(InvolvementList {
        total: items.len() as i64,
        items,
    }))
}

/// A referral to an outside agency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralIn {
    pub agency_id: String,
    #[serde(default)]
    pub person_id: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    pub referral_on: String,
    pub reason: String,
    /// `YYYY-MM-DD`, with `consent_by`.
    #[serde(default)]
    pub consent_on: Option<String>,
    #[serde(default)]
    pub consent_by: Option<String>,
}

/// Refer a pupil to an outside agency.
#[utoipa::path(
    operation_id = "specialists_create",
    post,
    path = "/api/v1/pupils/{id}/involvements",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = ReferralIn,
    responses(
        (status = 201, body = InvolvementOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Write,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReferralIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Involvement, Action::Create).await?;
    let input = ReferralInput {
        agency_id: body.agency_id,
        person_id: body.person_id.unwrap_or_default(),
        referral_on: date_from_iso(&body.referral_on),
        reason: body.reason,
        consent_on: body
            .consent_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        consent_by: body.consent_by.unwrap_or_default(),
    };
    let id = refer(&state, &actor, &pupil, &input)
        .await
        .map_err(sen_error)?;
    one(&state, &p, &id, StatusCode::CREATED).await
}

async fn one(
    state: &AppState,
    p: &senco_app::principal::Principal,
    id: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let inv = visible_involvement(state, p, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let body = out(state, p, std::slice::from_ref(&inv)).await?;
    Ok(super::tagged(status, body.into_iter().next(), inv.version))
}

/// An involvement with its reports.
#[utoipa::path(
    operation_id = "specialists_get",
    get,
    path = "/api/v1/involvements/{id}",
    params(("id" = String, Path, description = "The involvement's id")),
    responses(
        (status = 200, body = InvolvementOut, headers(("ETag" = String, description = "The version, for If-Match"))),
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
    let (inv, _) =
        reach_involvement(&state, &actor, &id, Resource::Involvement, Action::Read).await?;
    one(&state, &p, &inv.id, StatusCode::OK).await
}

/// A change of status or consent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvolvementPatch {
    /// `requested`, `accepted`, `active` or `closed` (forward only).
    #[serde(default)]
    pub status: Option<String>,
    /// `YYYY-MM-DD`, with `consent_by`.
    #[serde(default)]
    pub consent_on: Option<String>,
    #[serde(default)]
    pub consent_by: Option<String>,
    /// The parents withdrew consent: the specialist loses access at once.
    #[serde(default)]
    pub withdraw_consent: bool,
}

/// Move an involvement on, or record or withdraw consent.
#[utoipa::path(
    operation_id = "specialists_patch",
    patch,
    path = "/api/v1/involvements/{id}",
    params(
        ("id" = String, Path, description = "The involvement's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = InvolvementPatch,
    responses(
        (status = 200, body = InvolvementOut, headers(("ETag" = String, description = "The new version"))),
        super::problems::Update,
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InvolvementPatch>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (inv, _) =
        reach_involvement(&state, &actor, &id, Resource::Involvement, Action::Update).await?;
    let expected = if_match(&headers, inv.version)?;
    let input = StatusInput {
        status: body.status.unwrap_or_default(),
        consent_on: body
            .consent_on
            .as_deref()
            .map_or(Entry::Blank, date_from_iso),
        consent_by: body.consent_by.unwrap_or_default(),
        withdraw_consent: body.withdraw_consent,
    };
    change_involvement(&state, &actor, &inv, expected, &input)
        .await
        .map_err(sen_error)?;
    one(&state, &p, &inv.id, StatusCode::OK).await
}

/// A visit, assessment, advice or recommendation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// `visit`, `assessment`, `advice` or `recommendation`.
    pub kind: String,
    /// `YYYY-MM-DD`, not in the future.
    pub on: String,
    pub body: String,
}

/// Add a note to an involvement (the SENCO, or the specialist involved).
#[utoipa::path(
    operation_id = "specialists_create_note",
    post,
    path = "/api/v1/involvements/{id}/notes",
    params(("id" = String, Path, description = "The involvement's id")),
    request_body = NoteIn,
    responses(
        (status = 201, body = Created),
        super::problems::Write,
    )
)]
pub async fn create_note(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (inv, _) = reach_involvement(
        &state,
        &actor,
        &id,
        Resource::InvolvementNotes,
        Action::Create,
    )
    .await?;
    let input = NoteInput {
        kind: body.kind,
        on: date_from_iso(&body.on),
        body: body.body,
    };
    let id = add_note(&state, &actor, &inv, &input)
        .await
        .map_err(sen_error)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// The report's title and file name, in the query string of an upload.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    pub title: String,
    /// The original file name (its extension must match the contents).
    pub file_name: String,
}

/// Upload a report: the file is the request body (a PDF, DOCX, PNG or JPEG; type, magic
/// bytes and size are checked; image metadata such as GPS is removed).
#[utoipa::path(
    operation_id = "specialists_upload",
    post,
    path = "/api/v1/involvements/{id}/reports",
    params(("id" = String, Path, description = "The involvement's id"), UploadQuery),
    request_body(content = inline(super::FileBody), content_type = "application/octet-stream"),
    responses(
        (status = 201, body = Created),
        super::problems::Write,
        (status = 413, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (inv, _) = reach_involvement(
        &state,
        &actor,
        &id,
        Resource::SpecialistReports,
        Action::Create,
    )
    .await?;
    let id = upload_report(&state, &actor, &inv, &q.title, &q.file_name, &body)
        .await
        .map_err(sen_error)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Download a report (audited).
#[utoipa::path(
    operation_id = "specialists_download",
    get,
    path = "/api/v1/reports/{id}",
    params(("id" = String, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        super::problems::Read,
    )
)]
pub async fn download(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (report, _, _) =
        senco_app::specialists::reach_report(&state, &actor, &id, Action::Read).await?;
    senco_app::specialists::audit_download(&state, &actor, &report).await?;
    let data = state.store.report_data(&report.id).await?;
    let mut r = (StatusCode::OK, data).into_response();
    for (k, v) in crate::http::download_headers(&report) {
        r.headers_mut().insert(k, v);
    }
    Ok(r)
}

/// Whether parents see a report.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPatch {
    pub shared_with_parents: bool,
}

/// Share a report with the pupil's parents, or stop sharing it (the SENCO).
#[utoipa::path(
    operation_id = "specialists_share",
    patch,
    path = "/api/v1/reports/{id}",
    params(("id" = String, Path, description = "The report's id")),
    request_body = ReportPatch,
    responses(
        (status = 200, body = ReportOut),
        super::problems::Write,
    )
)]
pub async fn share(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReportPatch>,
) -> Result<Json<ReportOut>, ApiError> {
    let actor = rid.actor(&p);
    let (report, _, _) =
        senco_app::specialists::reach_report(&state, &actor, &id, Action::Update).await?;
    senco_app::specialists::share_report(&state, &actor, &report, body.shared_with_parents)
        .await
        .map_err(sen_error)?;
    let after = state.store.report(&report.id).await?;
    Ok(Json(report_out(&after)))
}
