//! Authorities and schools for administrators (issue 19, point 1), as on the pages under
//! `/admin/`: `GET`/`POST /api/v1/admin/authorities`, `GET`/`PATCH
//! /api/v1/admin/authorities/{id}`, the same for `/api/v1/admin/schools`, and `POST
//! /api/v1/admin/schools/import` (a register's CSV as the body; `?dry_run=true` previews).
//! A `PATCH` with a stale `If-Match` is refused with 412; anyone else is answered 404 and
//! the refusal is audited.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use senco_app::school_register::{
    self as register, ChangeError, FieldChange, ImportError, RegisterPreview,
};
use senco_domain::establishment::{AuthorityDraft, SchoolDraft};
use senco_domain::policy::Action;
use senco_store::school_register::{AuthorityRecord, SchoolFilter, SchoolRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ApiQuery, FieldProblem, List, paging};
use super::{etag, if_match};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;

#[allow(unused_imports)]
use super::Problem;

/// A local authority.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorityOut {
    pub id: String,
    /// The three-digit code.
    pub code: String,
    pub name: String,
    /// `england` or `wales`.
    pub country: String,
    /// How many schools it has, open and closed.
    pub schools: i64,
    /// The version, as in the ETag.
    pub version: i64,
}

/// A new local authority.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorityIn {
    pub code: String,
    pub name: String,
    /// `england` or `wales`; by default the country of the code (660-681 are Welsh).
    #[serde(default)]
    pub country: Option<String>,
}

/// Changes to a local authority: the members given.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorityPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
}

/// A school with every detail the administrator keeps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolDetailOut {
    pub id: String,
    pub urn: String,
    pub la_code: String,
    pub la_name: String,
    pub establishment_number: String,
    pub name: String,
    /// `nursery`, `primary`, `secondary`, `special` or `all_through`.
    pub phase: String,
    pub country: String,
    pub maintained: bool,
    pub street: String,
    pub locality: String,
    pub town: String,
    pub postcode: String,
    pub telephone: String,
    pub website: String,
    /// Schools in Wales: `english`, `dual`, `transitional` or `welsh`.
    pub language_medium: Option<String>,
    /// Closed schools are kept, with their records.
    pub closed: bool,
    /// `YYYY-MM-DD`.
    pub closed_on: Option<String>,
    pub version: i64,
}

/// A new school.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolIn {
    /// The code of an authority already in Senco.
    pub la_code: String,
    pub urn: String,
    pub establishment_number: String,
    pub name: String,
    pub phase: String,
    /// Maintained by the local authority (by default, yes).
    pub maintained: Option<bool>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub telephone: Option<String>,
    pub website: Option<String>,
    pub language_medium: Option<String>,
    pub closed: Option<bool>,
    pub closed_on: Option<String>,
}

/// Changes to a school: the members given. Closing is `closed: true` with `closed_on`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolPatch {
    pub la_code: Option<String>,
    pub urn: Option<String>,
    pub establishment_number: Option<String>,
    pub name: Option<String>,
    pub phase: Option<String>,
    pub maintained: Option<bool>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub telephone: Option<String>,
    pub website: Option<String>,
    pub language_medium: Option<String>,
    pub closed: Option<bool>,
    pub closed_on: Option<String>,
}

/// The query of a list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub search: String,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// The query of an import.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    pub dry_run: bool,
}

/// A value that would change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChangeOut {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A problem with a row of the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblemOut {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub column: String,
    pub value: String,
    pub code: String,
    pub message: String,
}

/// A school of the file not yet in Senco.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewSchoolOut {
    pub line: u64,
    pub urn: String,
    pub name: String,
}

/// A school of the file whose details would change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangedSchoolOut {
    pub line: u64,
    pub urn: String,
    pub name: String,
    /// Open in Senco, closed in the file.
    pub closes: bool,
    pub changes: Vec<FieldChangeOut>,
}

/// What an import does (or would do, with `dry_run`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportOut {
    /// `gias` or `wales`.
    pub format: String,
    pub rows: usize,
    /// Whether anything was written.
    pub written: bool,
    pub problems: Vec<RowProblemOut>,
    pub new: Vec<NewSchoolOut>,
    pub changed: Vec<ChangedSchoolOut>,
    pub unchanged: usize,
    /// Rows of authorities not in Senco, left out.
    pub other_authorities: usize,
    /// Rows that are not schools Senco serves, left out.
    pub not_schools: usize,
}

fn authority_out(a: AuthorityRecord) -> AuthorityOut {
    AuthorityOut {
        id: a.id,
        code: a.code,
        name: a.name,
        country: a.country.as_str().to_string(),
        schools: a.schools,
        version: a.version,
    }
}

fn school_out(s: SchoolRecord) -> SchoolDetailOut {
    SchoolDetailOut {
        id: s.id,
        urn: s.urn,
        la_code: s.la_code,
        la_name: s.la_name,
        establishment_number: s.estab_number,
        name: s.name,
        phase: s.phase.as_str().to_string(),
        country: s.country.as_str().to_string(),
        maintained: s.maintained,
        street: s.street,
        locality: s.locality,
        town: s.town,
        postcode: s.postcode,
        telephone: s.telephone,
        website: s.website,
        language_medium: s.language_medium.map(|m| m.as_str().to_string()),
        closed: s.closed,
        closed_on: s.closed_on.map(senco_store::ds),
        version: s.version,
    }
}

fn tagged<T: Serialize>(status: StatusCode, body: T, version: i64) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(header::ETAG, etag(version));
    r
}

fn change_error(e: ChangeError) -> ApiError {
    match e {
        ChangeError::Invalid(problems) => ApiError::invalid(
            problems
                .into_iter()
                .map(|(f, p)| FieldProblem {
                    field: f.key().to_string(),
                    reason: p.code().to_string(),
                    message: register::reason(words(), f, p).to_string(),
                })
                .collect(),
        ),
        ChangeError::Duplicate(what) => {
            let field = if what.contains("authority") {
                "code"
            } else {
                "urn"
            };
            ApiError::field(
                field,
                "duplicate",
                register::duplicate_reason(words(), what),
            )
        }
        ChangeError::Conflict => ApiError::precondition_failed(),
        ChangeError::NotFound => ApiError::not_found(),
        ChangeError::Store(e) => e.into(),
    }
}

/// List local authorities.
#[utoipa::path(
    operation_id = "admin_authorities_list",
    get,
    path = "/api/v1/admin/authorities",
    params(
        ("search" = Option<String>, Query, description = "Part of the code or name"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "Items per page, at most 200"),
    ),
    responses(
        (status = 200, body = AuthorityList),
        super::problems::Write,
    )
)]
pub async fn authorities(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<List<AuthorityOut>>, ApiError> {
    register::require_admin(&state, &rid.actor(&p), Action::Read, "authority").await?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let list = state
        .store
        .authority_records(&q.search, page, per_page)
        .await?;
    Ok(Json(List {
        items: list.items.into_iter().map(authority_out).collect(),
        total: list.total,
    }))
}

/// A page of authorities.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorityList {
    pub items: Vec<AuthorityOut>,
    pub total: i64,
}

/// A page of schools with their details.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolDetailList {
    pub items: Vec<SchoolDetailOut>,
    pub total: i64,
}

/// Add a local authority.
#[utoipa::path(
    operation_id = "admin_authorities_create",
    post,
    path = "/api/v1/admin/authorities",
    request_body = AuthorityIn,
    responses(
        (status = 201, body = AuthorityOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Write,
    )
)]
pub async fn create_authority(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiJson(body): ApiJson<AuthorityIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    register::require_admin(&state, &actor, Action::Create, "authority").await?;
    let draft = AuthorityDraft {
        code: body.code,
        name: body.name,
        country: body.country.unwrap_or_default(),
    };
    let audit = actor.event(&state, "authority", "create", "allowed");
    let id = register::create_authority(&state.store, &audit, &draft, state.now())
        .await
        .map_err(change_error)?;
    let a = state.store.authority_record(&id).await?;
    let version = a.version;
    Ok(tagged(StatusCode::CREATED, authority_out(a), version))
}

/// One local authority.
#[utoipa::path(
    operation_id = "admin_authorities_get",
    get,
    path = "/api/v1/admin/authorities/{id}",
    params(("id" = String, Path, description = "The authority's id")),
    responses(
        (status = 200, body = AuthorityOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Read,
    )
)]
pub async fn authority(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    register::require_admin(&state, &rid.actor(&p), Action::Read, "authority").await?;
    let a = state.store.authority_record(&id).await?;
    let version = a.version;
    Ok(tagged(StatusCode::OK, authority_out(a), version))
}

/// Change a local authority.
#[utoipa::path(
    operation_id = "admin_authorities_patch",
    patch,
    path = "/api/v1/admin/authorities/{id}",
    params(
        ("id" = String, Path, description = "The authority's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = AuthorityPatch,
    responses(
        (status = 200, body = AuthorityOut, headers(("ETag" = String, description = "The new version"))),
        super::problems::Update,
    )
)]
pub async fn patch_authority(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AuthorityPatch>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    register::require_admin(&state, &actor, Action::Update, "authority").await?;
    let old = state.store.authority_record(&id).await?;
    let version = if_match(&headers, old.version)?;
    let draft = AuthorityDraft {
        code: body.code.unwrap_or(old.code),
        name: body.name.unwrap_or(old.name),
        country: body
            .country
            .unwrap_or_else(|| old.country.as_str().to_string()),
    };
    let audit = actor.event(&state, "authority", "update", "allowed");
    register::edit_authority(&state.store, &audit, &id, version, &draft, state.now())
        .await
        .map_err(change_error)?;
    let a = state.store.authority_record(&id).await?;
    let version = a.version;
    Ok(tagged(StatusCode::OK, authority_out(a), version))
}

/// List schools with their details (closed ones too, after the open).
#[utoipa::path(
    operation_id = "admin_schools_list",
    get,
    path = "/api/v1/admin/schools",
    params(
        ("search" = Option<String>, Query, description = "Part of the name or URN, or an authority code"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "Items per page, at most 200"),
    ),
    responses(
        (status = 200, body = SchoolDetailList),
        super::problems::Write,
    )
)]
pub async fn schools(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<List<SchoolDetailOut>>, ApiError> {
    register::require_admin(&state, &rid.actor(&p), Action::Read, "school").await?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let filter = SchoolFilter {
        search: q.search,
        la_id: None,
    };
    let list = state.store.school_records(&filter, page, per_page).await?;
    Ok(Json(List {
        items: list.items.into_iter().map(school_out).collect(),
        total: list.total,
    }))
}

/// Add a school (the country's current SEN framework applies from the start).
#[utoipa::path(
    operation_id = "admin_schools_create",
    post,
    path = "/api/v1/admin/schools",
    request_body = SchoolIn,
    responses(
        (status = 201, body = SchoolDetailOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Write,
    )
)]
pub async fn create_school(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiJson(body): ApiJson<SchoolIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    register::require_admin(&state, &actor, Action::Create, "school").await?;
    let draft = SchoolDraft {
        urn: body.urn,
        estab_number: body.establishment_number,
        name: body.name,
        phase: body.phase,
        maintained: body.maintained.unwrap_or(true),
        street: body.street.unwrap_or_default(),
        locality: body.locality.unwrap_or_default(),
        town: body.town.unwrap_or_default(),
        postcode: body.postcode.unwrap_or_default(),
        telephone: body.telephone.unwrap_or_default(),
        website: body.website.unwrap_or_default(),
        language_medium: body.language_medium.unwrap_or_default(),
        closed: body.closed.unwrap_or(false),
        closed_on: body.closed_on.unwrap_or_default(),
    };
    let audit = actor.event(&state, "school", "create", "allowed");
    let id = register::create_school(&state.store, &audit, &body.la_code, &draft, state.now())
        .await
        .map_err(change_error)?;
    let s = state.store.school_record(&id).await?;
    let version = s.version;
    Ok(tagged(StatusCode::CREATED, school_out(s), version))
}

/// One school with its details.
#[utoipa::path(
    operation_id = "admin_schools_get",
    get,
    path = "/api/v1/admin/schools/{id}",
    params(("id" = String, Path, description = "The school's id")),
    responses(
        (status = 200, body = SchoolDetailOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Read,
    )
)]
pub async fn school(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    register::require_admin(&state, &rid.actor(&p), Action::Read, "school").await?;
    let s = state.store.school_record(&id).await?;
    let version = s.version;
    Ok(tagged(StatusCode::OK, school_out(s), version))
}

/// The draft of a stored school with a patch's members put over it.
fn patched(old: &SchoolRecord, b: SchoolPatch) -> SchoolDraft {
    let medium = old
        .language_medium
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let reopened = b.closed == Some(false);
    SchoolDraft {
        urn: b.urn.unwrap_or_else(|| old.urn.clone()),
        estab_number: b
            .establishment_number
            .unwrap_or_else(|| old.estab_number.clone()),
        name: b.name.unwrap_or_else(|| old.name.clone()),
        phase: b.phase.unwrap_or_else(|| old.phase.as_str().to_string()),
        maintained: b.maintained.unwrap_or(old.maintained),
        street: b.street.unwrap_or_else(|| old.street.clone()),
        locality: b.locality.unwrap_or_else(|| old.locality.clone()),
        town: b.town.unwrap_or_else(|| old.town.clone()),
        postcode: b.postcode.unwrap_or_else(|| old.postcode.clone()),
        telephone: b.telephone.unwrap_or_else(|| old.telephone.clone()),
        website: b.website.unwrap_or_else(|| old.website.clone()),
        language_medium: b.language_medium.unwrap_or(medium),
        closed: b.closed.unwrap_or(old.closed),
        closed_on: match b.closed_on {
            Some(d) => d,
            None if reopened => String::new(),
            None => old.closed_on.map(senco_store::ds).unwrap_or_default(),
        },
    }
}

/// Change a school's details, or close it (nothing is deleted).
#[utoipa::path(
    operation_id = "admin_schools_patch",
    patch,
    path = "/api/v1/admin/schools/{id}",
    params(
        ("id" = String, Path, description = "The school's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = SchoolPatch,
    responses(
        (status = 200, body = SchoolDetailOut, headers(("ETag" = String, description = "The new version"))),
        super::problems::Update,
    )
)]
pub async fn patch_school(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SchoolPatch>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    register::require_admin(&state, &actor, Action::Update, "school").await?;
    let old = state.store.school_record(&id).await?;
    let version = if_match(&headers, old.version)?;
    let la = body.la_code.clone().unwrap_or_else(|| old.la_code.clone());
    let draft = patched(&old, body);
    let audit = actor.event(&state, "school", "update", "allowed");
    register::edit_school(&state.store, &audit, &id, version, &la, &draft, state.now())
        .await
        .map_err(change_error)?;
    let s = state.store.school_record(&id).await?;
    let version = s.version;
    Ok(tagged(StatusCode::OK, school_out(s), version))
}

fn change_out(c: &FieldChange) -> FieldChangeOut {
    FieldChangeOut {
        field: c.field.to_string(),
        before: c.before.clone(),
        after: c.after.clone(),
    }
}

fn import_out(p: &RegisterPreview, written: bool) -> ImportOut {
    ImportOut {
        format: p.format.as_str().to_string(),
        rows: p.rows,
        written,
        problems: p
            .problems
            .iter()
            .map(|x| RowProblemOut {
                line: x.line,
                column: x.column.clone(),
                value: x.value.clone(),
                code: x.code.to_string(),
                message: register::row_reason(words(), x.code).to_string(),
            })
            .collect(),
        new: p
            .new
            .iter()
            .map(|(r, _)| NewSchoolOut {
                line: r.line,
                urn: r.school.urn.to_string(),
                name: r.school.name.clone(),
            })
            .collect(),
        changed: p
            .changed
            .iter()
            .map(|c| ChangedSchoolOut {
                line: c.line,
                urn: c.school.urn.to_string(),
                name: c.school.name.clone(),
                closes: c.closes,
                changes: c.changes.iter().map(change_out).collect(),
            })
            .collect(),
        unchanged: p.unchanged,
        other_authorities: p.other_authorities,
        not_schools: p.not_schools,
    }
}

/// Import schools from a national register's CSV extract (the body): matched by URN, only
/// schools of authorities already in Senco, all or nothing. With `dry_run`, nothing is
/// written. A file with bad rows is answered 422 with every row's problem, and nothing
/// changes.
#[utoipa::path(
    operation_id = "admin_schools_import",
    post,
    path = "/api/v1/admin/schools/import",
    params(("dry_run" = Option<bool>, Query, description = "Only say what would change")),
    request_body(content = inline(super::FileBody), content_type = "text/csv"),
    responses(
        (status = 200, body = ImportOut),
        super::problems::Read,
        (status = 422, body = ImportOut, description = "Rows with problems: nothing was written"),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    register::require_admin(&state, &actor, Action::Update, "school").await?;
    let result = if q.dry_run {
        register::preview_import(&state.store, &body).await
    } else {
        let audit = actor.event(&state, "school", "update", "allowed");
        register::apply_import(&state.store, &audit, &body, state.now()).await
    };
    match result {
        Ok(preview) if preview.ready() => {
            Ok((StatusCode::OK, Json(import_out(&preview, !q.dry_run))).into_response())
        }
        Ok(preview) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(import_out(&preview, false)),
        )
            .into_response()),
        Err(ImportError::Problems(preview)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(import_out(&preview, false)),
        )
            .into_response()),
        Err(ImportError::File(e)) => Err(ApiError::field(
            "file",
            e.code(),
            &register::file_reason(words(), &e),
        )),
        Err(ImportError::Duplicate(what)) => Err(ApiError::field(
            "file",
            "duplicate",
            register::duplicate_reason(words(), what),
        )),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
