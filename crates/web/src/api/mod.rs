//! The JSON API under `/api/v1`, described by an OpenAPI 3.1 document generated from the code.
//!
//! Wire types live here, separate from the domain and store types, and are converted by
//! hand, so the published format changes only on purpose. Errors are
//! `application/problem+json` (RFC 9457); the request id travels in the `x-request-id`
//! header, never in the body, so that refusals and missing records are byte-identical.

pub mod calendars;
pub mod pupils;
pub mod school_frameworks;
pub mod school_register;
pub mod schools;
pub mod staff;
// @sen-api-modules
pub mod plans;
pub mod provision;
pub mod sen;
pub mod specialists;
// @register-api-modules
pub mod sen_read;
// Parity with the pages (issue 17, point 12).
pub mod agencies;
pub mod census;
pub mod concerns;
pub mod sen_records;
// Leavers (issue 19, point 6).
pub mod leavers;

use crate::lang::words;
use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use senco_app::access::AccessError;

/// The largest page of a list.
pub const MAX_PER_PAGE: i64 = 200;
/// The page size when none is asked for.
pub const DEFAULT_PER_PAGE: i64 = 50;

/// A problem with one field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name, as in the request (query parameter or JSON member).
    pub field: String,
    /// A stable reason code, such as `missing`, `check_letter`, `la_code`, `format`.
    pub reason: String,
    /// A sentence for people.
    pub message: String,
}

impl FieldProblem {
    /// A use case's problem on the wire as `field`: its reason, and its code's words from
    /// the catalogue.
    pub fn of(problem: &senco_domain::problem::Problem, field: String) -> Self {
        FieldProblem {
            field,
            reason: problem.reason.to_string(),
            message: words().problem(problem),
        }
    }
}

/// The problem answers that operations share, for `responses(..)` in `#[utoipa::path]`:
/// each is one status with a [`Problem`] body and no description, as the operations wrote
/// it by hand before (plain comments, not doc comments: utoipa would publish those).
pub mod problems {
    use super::Problem;

    // 401: no valid token or session.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 401, content_type = "application/problem+json")]
    pub struct Unauthorized(#[allow(dead_code)] Problem);

    // 404: no such record, or one the caller may not see (the same answer for both).
    #[derive(utoipa::IntoResponses)]
    #[response(status = 404, content_type = "application/problem+json")]
    pub struct NotFound(#[allow(dead_code)] Problem);

    // 412: the `If-Match` version is not the record's.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 412, content_type = "application/problem+json")]
    pub struct PreconditionFailed(#[allow(dead_code)] Problem);

    // 422: the body or a parameter is invalid.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 422, content_type = "application/problem+json")]
    pub struct Unprocessable(#[allow(dead_code)] Problem);

    // The sets most operations answer, so that each names one instead of repeating the
    // lines above (issue 18, point 4).

    // A read of a record: 401 and 404.
    #[derive(utoipa::IntoResponses)]
    #[allow(dead_code)]
    pub enum Read {
        #[response(status = 401, content_type = "application/problem+json")]
        Unauthorized(Problem),
        #[response(status = 404, content_type = "application/problem+json")]
        NotFound(Problem),
    }

    // A new record with no record above it: 401 and 422.
    #[derive(utoipa::IntoResponses)]
    #[allow(dead_code)]
    pub enum Create {
        #[response(status = 401, content_type = "application/problem+json")]
        Unauthorized(Problem),
        #[response(status = 422, content_type = "application/problem+json")]
        Unprocessable(Problem),
    }

    // A write to or under a record: 401, 404 and 422.
    #[derive(utoipa::IntoResponses)]
    #[allow(dead_code)]
    pub enum Write {
        #[response(status = 401, content_type = "application/problem+json")]
        Unauthorized(Problem),
        #[response(status = 404, content_type = "application/problem+json")]
        NotFound(Problem),
        #[response(status = 422, content_type = "application/problem+json")]
        Unprocessable(Problem),
    }

    // A change to a versioned record: 401, 404, 412 and 422.
    #[derive(utoipa::IntoResponses)]
    #[allow(dead_code)]
    pub enum Update {
        #[response(status = 401, content_type = "application/problem+json")]
        Unauthorized(Problem),
        #[response(status = 404, content_type = "application/problem+json")]
        NotFound(Problem),
        #[response(status = 412, content_type = "application/problem+json")]
        PreconditionFailed(Problem),
        #[response(status = 422, content_type = "application/problem+json")]
        Unprocessable(Problem),
    }
}

// A file sent as the raw request body, described as binary (`string`, `format: binary`);
// a plain comment, since utoipa would publish a doc comment as the schema's description.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(#[allow(dead_code)] Vec<u8>);

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// An error answered by the API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: Option<String>,
    pub errors: Vec<FieldProblem>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str) -> Self {
        ApiError {
            status,
            title,
            detail: None,
            errors: Vec::new(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Sign in or send a valid API token",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found")
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "The record has changed since you read it",
        )
    }

    /// 422 with the failing fields.
    pub fn invalid(errors: Vec<FieldProblem>) -> Self {
        ApiError {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The request has invalid fields",
            )
        }
    }

    /// 422 for one field.
    pub fn field(field: &str, reason: &str, message: &str) -> Self {
        Self::invalid(vec![FieldProblem {
            field: field.to_string(),
            reason: reason.to_string(),
            message: message.to_string(),
        }])
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank".to_string(),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut headers = vec![(header::CONTENT_TYPE, "application/problem+json")];
        if self.status == StatusCode::UNAUTHORIZED {
            headers.push((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let mut response = (self.status, json).into_response();
        for (name, value) in headers {
            response
                .headers_mut()
                .insert(name, header::HeaderValue::from_static(value));
        }
        response
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => ApiError::not_found(),
            AccessError::Store(e) => ApiError::internal(e),
        }
    }
}

impl From<senco_store::StoreError> for ApiError {
    fn from(e: senco_store::StoreError) -> Self {
        match e {
            senco_store::StoreError::NotFound => ApiError::not_found(),
            e => ApiError::internal(e),
        }
    }
}

/// A query string whose rejections are problem documents naming what is wrong (axum's
/// own answers a plain-text 400; issue 17, point 11).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError {
                detail: Some(rejection.body_text()),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The query string is missing a value or has a wrong one",
                )
            }),
        }
    }
}

/// A JSON body whose rejections are problem documents naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        let (parts, body) = req.into_parts();
        let bytes =
            match axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
            {
                Ok(bytes) => bytes,
                Err(rejection) => {
                    return Err(ApiError {
                        detail: Some(rejection.body_text()),
                        ..ApiError::new(rejection.status(), "The request body could not be read")
                    });
                }
            };
        if json_depth(&bytes) > MAX_JSON_DEPTH {
            return Err(ApiError {
                detail: Some(format!(
                    "Objects and arrays may be nested at most {MAX_JSON_DEPTH} levels deep"
                )),
                ..ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "The request body is nested too deeply",
                )
            });
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let (status, title) = match &rejection {
                    JsonRejection::JsonDataError(_) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "The request body has invalid fields",
                    ),
                    JsonRejection::JsonSyntaxError(_) => (
                        StatusCode::BAD_REQUEST,
                        "The request body is not valid JSON",
                    ),
                    JsonRejection::MissingJsonContentType(_) => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "Send the body as application/json",
                    ),
                    _ => (
                        StatusCode::BAD_REQUEST,
                        "The request body could not be read",
                    ),
                };
                Err(ApiError {
                    detail: Some(rejection.body_text()),
                    ..ApiError::new(status, title)
                })
            }
        }
    }
}

/// How deeply objects and arrays may nest in a request body (SR-25). Senco's own bodies
/// nest three levels at most; serde_json's own limit (128) would still let a body cost a
/// deep recursion in every layer that walks it.
pub const MAX_JSON_DEPTH: usize = 32;

/// The deepest nesting of objects and arrays in `bytes`, read as JSON text (brackets inside
/// strings do not count). Stops counting once past the limit, so a deep body costs one pass.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_JSON_DEPTH {
                    return deepest;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> List<T> {
    /// A whole list, not a page of one: its total is its length.
    pub fn whole(items: Vec<T>) -> Self {
        List {
            total: i64::try_from(items.len()).unwrap_or(i64::MAX),
            items,
        }
    }
}

/// The `ETag` of a record's version, as `If-Match` must send it back.
pub fn etag(version: i64) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!("\"v{version}\""))
        .unwrap_or(axum::http::HeaderValue::from_static("\"v0\""))
}

/// A JSON answer carrying the record's version as its `ETag`.
pub fn tagged<T: Serialize>(status: StatusCode, body: T, version: i64) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(header::ETAG, etag(version));
    r
}

/// Adds the `Location` of a record just made.
pub fn located(mut r: Response, location: &str) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The caller's school, when they may do `action` to `resource` there; 404 otherwise.
pub fn school_of(
    p: &senco_app::principal::Principal,
    resource: senco_domain::policy::Resource,
    action: senco_domain::policy::Action,
) -> Result<String, ApiError> {
    senco_app::access::require(p, resource, action)?;
    p.user.school_id.clone().ok_or_else(ApiError::not_found)
}

/// The version `If-Match` names (the record's own when there is none); 412 if unreadable.
pub fn if_match(headers: &axum::http::HeaderMap, current: i64) -> Result<i64, ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(current),
        Some(tag) => tag
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(ApiError::precondition_failed),
    }
}

/// Reads `page` and `per_page`, answering 422 for values that are not positive numbers.
/// `per_page` above the cap is lowered to it.
pub fn paging(page: Option<&str>, per_page: Option<&str>) -> Result<(i64, i64), ApiError> {
    let parse = |name: &str, v: Option<&str>, default: i64| -> Result<i64, ApiError> {
        match v.map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(ApiError::field(
                    name,
                    "not_a_positive_number",
                    "Must be a whole number of 1 or more",
                )),
            },
        }
    };
    Ok((
        parse("page", page, 1)?,
        parse("per_page", per_page, DEFAULT_PER_PAGE)?.min(MAX_PER_PAGE),
    ))
}

/// [`paging`] of a query string read as a map.
pub fn paging_of(q: &std::collections::HashMap<String, String>) -> Result<(i64, i64), ApiError> {
    paging(
        q.get("page").map(String::as_str),
        q.get("per_page").map(String::as_str),
    )
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Senco API", description = "Special educational needs records for schools and local authorities."),
    paths(
        schools::list, pupils::list, pupils::create, pupils::get, pupils::patch,
        // @sen-api-paths
        plans::create, plans::get, plans::patch, plans::review, plans::pdf, plans::due,
        sen::create_concern, sen::create_stage_change,
        provision::list, provision::create, provision::get, provision::patch,
        provision::pupil_allocations, provision::create_allocation, provision::get_allocation,
        provision::patch_allocation, provision::sessions, provision::create_session,
        specialists::list, specialists::create, specialists::get, specialists::patch,
        specialists::create_note, specialists::upload, specialists::download,
        // @register-api-paths
        sen_read::register, sen_read::chronology,
        // Parity with the pages (issue 17, point 12).
        plans::list, specialists::share,
        sen_records::stage_changes, sen_records::parents_told, sen_records::needs,
        sen_records::create_need, sen_records::processes, sen_records::create_process,
        concerns::list, concerns::get, concerns::triage,
        census::show, census::csv, census::xml,
        agencies::list, agencies::create, agencies::create_person,
        leavers::create,
        // Authorities and schools (issue 19, point 1).
        school_register::authorities, school_register::create_authority,
        school_register::authority, school_register::patch_authority,
        school_register::schools, school_register::create_school, school_register::school,
        school_register::patch_school, school_register::import, staff::import,
        // Calendars (issue 19, point 3).
        calendars::authority_calendar, calendars::authority_calendar_add,
        calendars::school_calendar, calendars::school_calendar_add, calendars::entry,
        calendars::patch_entry, calendars::delete_entry, calendars::bank_holidays,
        school_frameworks::list, school_frameworks::change,
    ),
    components(schemas(
        Problem, FieldProblem, schools::SchoolOut, schools::Country, schools::Phase, schools::Framework,
        schools::DatedFramework, schools::SchoolList, pupils::PupilOut, pupils::PupilList, pupils::NewPupil,
        pupils::PupilPatch, pupils::Sex, pupils::Language, pupils::Role,
        // @sen-api-schemas
        plans::PlanOut, plans::NewPlan, plans::PlanPatch, plans::NewReview, plans::OutcomeIn, plans::ReviewOut, plans::TargetJson, plans::ProvisionJson, plans::WarningOut, plans::DueOut, plans::DueList,
        sen::NewConcern, sen::NewStageChange, sen::Created,
        provision::ProvisionOut, provision::ProvisionIn, provision::ProvisionList, provision::MeasureOut,
        provision::DeliveryOut, provision::AllocationOut, provision::AllocationList, provision::AllocationIn,
        provision::AllocationPatch, provision::SessionOut, provision::SessionList, provision::SessionIn,
        specialists::ReportOut, specialists::InvolvementOut, specialists::InvolvementList, specialists::ReferralIn,
        specialists::InvolvementPatch, specialists::NoteIn,
        // @register-api-schemas
        sen_read::Stage, sen_read::RegisterItem, sen_read::RegisterList, sen_read::ChronologyItemOut,
        sen_read::ChronologyList,
        plans::PlanSummaryOut, plans::PlanList, specialists::ReportPatch,
        sen_records::StageChangeOut, sen_records::StageChangeList, sen_records::NeedOut,
        sen_records::NeedList, sen_records::NewNeed, sen_records::ProcessOut,
        sen_records::ProcessList, sen_records::NewProcess, sen_records::ParentsTold,
        concerns::ConcernOut, concerns::ConcernList, concerns::ConcernDecision,
        census::CensusOut, census::CensusPupilOut, census::CensusNeedOut,
        census::CensusProblemOut, census::CodeCount,
        agencies::AgencyOut, agencies::AgencyList, agencies::PersonOut, agencies::AgencyIn,
        agencies::PersonIn,
        leavers::LeavingIn, leavers::LeavingOut,
        school_register::AuthorityOut, school_register::AuthorityIn, school_register::AuthorityPatch,
        school_register::AuthorityList, school_register::SchoolDetailOut, school_register::SchoolDetailList,
        school_register::SchoolIn, school_register::SchoolPatch, school_register::ImportOut,
        school_register::RowProblemOut, school_register::NewSchoolOut, school_register::ChangedSchoolOut,
        school_register::FieldChangeOut, staff::StaffOut, staff::StaffImportOut,
        calendars::CalendarEntryOut, calendars::CalendarEntryIn, calendars::CalendarOut,
        school_frameworks::FrameworkPeriodOut, school_frameworks::FrameworkPeriodList,
        school_frameworks::FrameworkChangeIn, school_frameworks::StageOutcomeOut,
        school_frameworks::FrameworkChangeOut,
    )),
    modifiers(&Security),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// GET /api/v1/openapi.json
pub async fn openapi() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_capped_and_checked() {
        assert_eq!(paging(None, None).unwrap(), (1, DEFAULT_PER_PAGE));
        assert_eq!(
            paging(Some("3"), Some("100000")).unwrap(),
            (3, MAX_PER_PAGE)
        );
        assert!(paging(Some("0"), None).is_err());
        assert!(paging(None, Some("-1")).is_err());
        assert!(paging(None, Some("x")).is_err());
    }

    #[test]
    fn json_depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth(b"1"), 0);
        assert_eq!(json_depth(br#"{"a": [1, {"b": 2}]}"#), 3);
        assert_eq!(json_depth(br#"{"a": "[[[[{{{{\"[["}"#), 1);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(json_depth(deep.as_bytes()), MAX_JSON_DEPTH + 1);
    }

    #[test]
    fn operations_have_unique_ids_and_uploads_are_binary() {
        let doc: serde_json::Value =
            serde_json::from_str(&ApiDoc::openapi().to_json().unwrap()).unwrap();
        let mut ids = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str();
                assert!(id.is_some(), "{method} {path} has an operationId");
                ids.push(id.unwrap().to_string());
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "operationIds are unique");
        let upload = &doc["paths"]["/api/v1/involvements/{id}/reports"]["post"]["requestBody"]["content"]
            ["application/octet-stream"]["schema"];
        assert_eq!(upload["type"], "string");
        assert_eq!(upload["format"], "binary");
        let unauthorized = &doc["paths"]["/api/v1/pupils"]["get"]["responses"]["401"];
        assert_eq!(
            unauthorized["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1() {
        let json = ApiDoc::openapi().to_json().unwrap();
        assert!(json.contains("\"openapi\":\"3.1.0\""));
        assert!(json.contains("/api/v1/pupils/{id}"));
    }
}
