//! Calendars for administrators (issue 19, point 3), as on the pages: `GET`/`POST
//! /api/v1/admin/authorities/{id}/calendar` (an authority's entries), the same under
//! `/api/v1/admin/schools/{id}/calendar` (a school's own entries), `GET`/`PATCH`/`DELETE
//! /api/v1/admin/calendar/{id}` (one entry) and `GET /api/v1/admin/bank-holidays` (the bank
//! holidays in force, in the format gov.uk publishes). Anyone else is answered 404 and the
//! refusal is audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use senco_app::calendars::{self, CalendarError, Owner};
use senco_app::school_register::require_admin;
use senco_domain::calendar_entry::{EntryDraft, EntryKind};
use senco_domain::policy::Action;
use senco_domain::pupil::date_from_iso;
use senco_store::calendar::CalendarEntry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, FieldProblem};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;

#[allow(unused_imports)]
use super::Problem;

/// An entry of a calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarEntryOut {
    pub id: String,
    /// `term`, `inset` or `closure`.
    pub kind: String,
    pub name: String,
    /// The first day, `YYYY-MM-DD`.
    pub start: String,
    /// The last day (inclusive), `YYYY-MM-DD`.
    pub end: String,
    /// The school whose own entry it is; empty for the authority's.
    pub school_id: Option<String>,
}

/// A new entry, or an entry's new values (all of them).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarEntryIn {
    /// `term`, `inset` or `closure`.
    pub kind: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub start: String,
    /// `YYYY-MM-DD`, the last day (inclusive).
    pub end: String,
}

/// The entries of a calendar, by first day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    pub items: Vec<CalendarEntryOut>,
}

fn entry_out(e: CalendarEntry) -> CalendarEntryOut {
    CalendarEntryOut {
        id: e.id,
        kind: e.entry.kind.as_str().to_string(),
        name: e.entry.name,
        start: senco_store::ds(e.entry.range.start),
        end: senco_store::ds(e.entry.range.end),
        school_id: e.school_id,
    }
}

fn draft_of(body: &CalendarEntryIn) -> EntryDraft {
    EntryDraft {
        kind: EntryKind::parse(&body.kind),
        name: body.name.clone(),
        start: date_from_iso(&body.start),
        end: date_from_iso(&body.end),
    }
}

fn calendar_error(e: CalendarError) -> ApiError {
    match e {
        CalendarError::Invalid(problems) => ApiError::invalid(
            problems
                .iter()
                .map(|p| FieldProblem::of(p, p.field.to_string()))
                .collect(),
        ),
        CalendarError::NotFound => ApiError::not_found(),
        CalendarError::Store(e) => e.into(),
    }
}

/// The owner's id pair: an authority's (`school` false) or a school's.
async fn owner_ids(
    state: &AppState,
    id: &str,
    school: bool,
) -> Result<(String, Option<String>), ApiError> {
    if school {
        let s = state.store.school_record(id).await?;
        Ok((s.la_id, Some(s.id)))
    } else {
        let a = state.store.authority_record(id).await?;
        Ok((a.id, None))
    }
}

async fn list(
    state: &AppState,
    p: &senco_app::principal::Principal,
    rid: &RequestId,
    id: &str,
    school: bool,
) -> Result<Json<CalendarOut>, ApiError> {
    require_admin(state, &rid.actor(p), Action::Read, "calendar_entry").await?;
    let (la_id, school_id) = owner_ids(state, id, school).await?;
    let items = state
        .store
        .calendar_entries(&la_id, school_id.as_deref())
        .await?;
    Ok(Json(CalendarOut {
        items: items.into_iter().map(entry_out).collect(),
    }))
}

async fn create(
    state: &AppState,
    p: &senco_app::principal::Principal,
    rid: &RequestId,
    id: &str,
    school: bool,
    body: &CalendarEntryIn,
) -> Result<Response, ApiError> {
    let actor = rid.actor(p);
    require_admin(state, &actor, Action::Create, "calendar_entry").await?;
    let (la_id, school_id) = owner_ids(state, id, school).await?;
    let owner = match &school_id {
        None => Owner::Authority { la_id: &la_id },
        Some(school_id) => Owner::School {
            la_id: &la_id,
            school_id,
        },
    };
    let audit = actor.event(state, "calendar_entry", "create", "allowed");
    let new_id = calendars::add_entry(&state.store, &audit, owner, &draft_of(body), state.now())
        .await
        .map_err(calendar_error)?;
    let entry = state.store.calendar_entry(&new_id).await?;
    Ok((StatusCode::CREATED, Json(entry_out(entry))).into_response())
}

/// An authority's calendar entries.
#[utoipa::path(
    operation_id = "admin_authority_calendar",
    get,
    path = "/api/v1/admin/authorities/{id}/calendar",
    params(("id" = String, Path, description = "The authority's id")),
    responses(
        (status = 200, body = CalendarOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
    )
)]
pub async fn authority_calendar(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<CalendarOut>, ApiError> {
    list(&state, &p, &rid, &id, false).await
}

/// Add an entry to an authority's calendar.
#[utoipa::path(
    operation_id = "admin_authority_calendar_add",
    post,
    path = "/api/v1/admin/authorities/{id}/calendar",
    params(("id" = String, Path, description = "The authority's id")),
    request_body = CalendarEntryIn,
    responses(
        (status = 201, body = CalendarEntryOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
        super::problems::Unprocessable,
    )
)]
pub async fn authority_calendar_add(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CalendarEntryIn>,
) -> Result<Response, ApiError> {
    create(&state, &p, &rid, &id, false, &body).await
}

/// A school's own calendar entries (over its authority's).
#[utoipa::path(
    operation_id = "admin_school_calendar",
    get,
    path = "/api/v1/admin/schools/{id}/calendar",
    params(("id" = String, Path, description = "The school's id")),
    responses(
        (status = 200, body = CalendarOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
    )
)]
pub async fn school_calendar(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<CalendarOut>, ApiError> {
    list(&state, &p, &rid, &id, true).await
}

/// Add an entry of a school's own.
#[utoipa::path(
    operation_id = "admin_school_calendar_add",
    post,
    path = "/api/v1/admin/schools/{id}/calendar",
    params(("id" = String, Path, description = "The school's id")),
    request_body = CalendarEntryIn,
    responses(
        (status = 201, body = CalendarEntryOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
        super::problems::Unprocessable,
    )
)]
pub async fn school_calendar_add(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CalendarEntryIn>,
) -> Result<Response, ApiError> {
    create(&state, &p, &rid, &id, true, &body).await
}

/// One calendar entry.
#[utoipa::path(
    operation_id = "admin_calendar_entry",
    get,
    path = "/api/v1/admin/calendar/{id}",
    params(("id" = String, Path, description = "The entry's id")),
    responses(
        (status = 200, body = CalendarEntryOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
    )
)]
pub async fn entry(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<CalendarEntryOut>, ApiError> {
    require_admin(&state, &rid.actor(&p), Action::Read, "calendar_entry").await?;
    Ok(Json(entry_out(state.store.calendar_entry(&id).await?)))
}

/// Change a calendar entry (every value given).
#[utoipa::path(
    operation_id = "admin_calendar_entry_change",
    patch,
    path = "/api/v1/admin/calendar/{id}",
    params(("id" = String, Path, description = "The entry's id")),
    request_body = CalendarEntryIn,
    responses(
        (status = 200, body = CalendarEntryOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
        super::problems::Unprocessable,
    )
)]
pub async fn patch_entry(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CalendarEntryIn>,
) -> Result<Json<CalendarEntryOut>, ApiError> {
    let actor = rid.actor(&p);
    require_admin(&state, &actor, Action::Update, "calendar_entry").await?;
    let current = state.store.calendar_entry(&id).await?;
    let audit = actor.event(&state, "calendar_entry", "update", "allowed");
    calendars::edit_entry(
        &state.store,
        &audit,
        &current,
        &draft_of(&body),
        state.now(),
    )
    .await
    .map_err(calendar_error)?;
    Ok(Json(entry_out(state.store.calendar_entry(&id).await?)))
}

/// Delete a calendar entry.
#[utoipa::path(
    operation_id = "admin_calendar_entry_delete",
    delete,
    path = "/api/v1/admin/calendar/{id}",
    params(("id" = String, Path, description = "The entry's id")),
    responses(
        (status = 204),
        super::problems::Unauthorized,
        super::problems::NotFound,
    )
)]
pub async fn delete_entry(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = rid.actor(&p);
    require_admin(&state, &actor, Action::Update, "calendar_entry").await?;
    let current = state.store.calendar_entry(&id).await?;
    let audit = actor.event(&state, "calendar_entry", "delete", "allowed");
    calendars::delete_entry(&state.store, &audit, &current, state.now())
        .await
        .map_err(calendar_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The bank holidays in force, in the format gov.uk publishes
/// (`{"england-and-wales": {"division": .., "events": [{title, date, notes, bunting}]}, ..}`).
#[utoipa::path(
    operation_id = "admin_bank_holidays",
    get,
    path = "/api/v1/admin/bank-holidays",
    responses(
        (status = 200, body = Object),
        super::problems::Unauthorized,
        super::problems::NotFound,
    )
)]
pub async fn bank_holidays(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
) -> Result<Response, ApiError> {
    require_admin(&state, &rid.actor(&p), Action::Read, "bank_holidays").await?;
    let set = calendars::bank_holidays(&state.store).await?;
    let body = senco_interop::bank_holidays::write(&set);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
