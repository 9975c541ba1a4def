//! Provision through the API: the school's catalogue (`/api/v1/provisions`), a pupil's
//! allocations (`/api/v1/pupils/{id}/allocations`), an allocation with its end and exit
//! measure (`/api/v1/allocations/{id}`, ETag and If-Match) and its delivered sessions
//! (`/api/v1/allocations/{id}/sessions`). The same rules and access as the pages; costs only
//! for those the matrix lets see them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::date_from_iso;
use senco_store::provision::{Allocation, AllocationsOf, Provision};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::if_match;
use super::sen::sen_error;
use super::{ApiError, ApiJson};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use senco_app::access::{pupil_for, require};
use senco_app::provision::{
    AllocationInput, DeliveryFacts, ExitInput, ProvisionInput, SessionInput, allocate,
    create_provision, reach_allocation, record_exit, record_sessions, update_provision,
};

#[allow(unused_imports)]
use super::Problem;

/// A catalogue entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvisionOut {
    pub id: String,
    pub name: String,
    /// `small_group`, `one_to_one`, `equipment`, `teaching_programme`,
    /// `specialist_teaching` or `therapy`.
    pub kind: String,
    /// A broad area of need.
    pub area: String,
    pub description: String,
    pub staff_role: String,
    pub staff_user_id: Option<String>,
    pub group_size: i64,
    pub sessions_per_week: i64,
    pub minutes_per_session: i64,
    /// `staff_time` (hourly), `per_item` or `per_term`.
    pub cost_basis: String,
    /// Only for those who may see costs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_pence: Option<i64>,
    pub expected_gain: Option<f64>,
    pub active: bool,
    pub version: i64,
}

fn provision_out(p: &Provision, costs: bool) -> ProvisionOut {
    let f = &p.fields;
    ProvisionOut {
        id: p.id.clone(),
        name: f.name.clone(),
        kind: f.kind.as_str().to_string(),
        area: f.area.as_str().to_string(),
        description: f.description.clone(),
        staff_role: f.staff_role.clone(),
        staff_user_id: f.staff_user_id.clone(),
        group_size: f.group_size,
        sessions_per_week: f.sessions_per_week,
        minutes_per_session: f.minutes_per_session,
        cost_basis: f.cost_basis.as_str().to_string(),
        cost_pence: costs.then_some(f.cost_pence),
        expected_gain: f.expected_gain,
        active: f.active,
        version: p.version,
    }
}

/// A catalogue entry to add, or the whole of one to change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionIn {
    pub name: String,
    pub kind: String,
    pub area: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub staff_role: Option<String>,
    #[serde(default)]
    pub staff_user_id: Option<String>,
    /// 1 to 60; ignored for equipment.
    #[serde(default)]
    pub group_size: Option<i64>,
    /// 1 to 25; ignored for equipment.
    #[serde(default)]
    pub sessions_per_week: Option<i64>,
    /// 1 to 600; ignored for equipment.
    #[serde(default)]
    pub minutes_per_session: Option<i64>,
    pub cost_basis: String,
    /// Pence: the hourly staff cost, or the price per pupil (per term).
    pub cost_pence: i64,
    #[serde(default)]
    pub expected_gain: Option<f64>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<ProvisionIn> for ProvisionInput {
    fn from(b: ProvisionIn) -> Self {
        ProvisionInput {
            name: b.name,
            kind: b.kind,
            area: b.area,
            description: b.description.unwrap_or_default(),
            staff_role: b.staff_role.unwrap_or_default(),
            staff_user_id: b.staff_user_id.unwrap_or_default(),
            group_size: b.group_size.into(),
            sessions_per_week: b.sessions_per_week.into(),
            minutes_per_session: b.minutes_per_session.into(),
            cost_basis: b.cost_basis,
            cost_pence: Entry::Valid(b.cost_pence),
            expected_gain: b.expected_gain.into(),
            active: b.active.unwrap_or(true),
        }
    }
}

fn school_for(p: &senco_app::principal::Principal, action: Action) -> Result<String, ApiError> {
    super::school_of(p, Resource::Provision, action)
}

fn costs(p: &senco_app::principal::Principal) -> bool {
    require(p, Resource::ProvisionCosts, Action::Read).is_ok()
}

/// The school's provision catalogue.
#[utoipa::path(
    operation_id = "provision_list",
    get,
    path = "/api/v1/provisions",
    responses(
        (status = 200, body = ProvisionList),
        super::problems::Read,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
) -> Result<Json<ProvisionList>, ApiError> {
    let school = school_for(&p, Action::Read)?;
    let items: Vec<ProvisionOut> = state
        .store
        .provisions(&school)
        .await?
        .iter()
        .map(|pv| provision_out(pv, costs(&p)))
        .collect();
    let actor = rid.actor(&p);
    let e = actor
        .event(&state, "provision", "list", "allowed")
        .school(school);
    state.audit.read(e).await;
    Ok(Json(ProvisionList {
        total: items.len() as i64,
        items,
    }))
}

/// The catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisionList {
    pub items: Vec<ProvisionOut>,
    pub total: i64,
}

/// Add a provision to the school's catalogue.
#[utoipa::path(
    operation_id = "provision_create",
    post,
    path = "/api/v1/provisions",
    request_body = ProvisionIn,
    responses(
        (status = 201, body = ProvisionOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Write,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiJson(body): ApiJson<ProvisionIn>,
) -> Result<Response, ApiError> {
    let school = school_for(&p, Action::Create)?;
    let actor = rid.actor(&p);
    let id = create_provision(&state, &actor, &school, &body.into())
        .await
        .map_err(sen_error)?;
    let pv = state.store.provision(&school, &id).await?;
    Ok(super::tagged(
        StatusCode::CREATED,
        provision_out(&pv, costs(&p)),
        pv.version,
    ))
}

/// A catalogue entry.
#[utoipa::path(
    operation_id = "provision_get",
    get,
    path = "/api/v1/provisions/{id}",
    params(("id" = String, Path, description = "The provision's id")),
    responses(
        (status = 200, body = ProvisionOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Read,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let school = school_for(&p, Action::Read)?;
    let pv = state.store.provision(&school, &id).await?;
    Ok(super::tagged(
        StatusCode::OK,
        provision_out(&pv, costs(&p)),
        pv.version,
    ))
}

/// Change a catalogue entry (the whole entry is sent).
#[utoipa::path(
    operation_id = "provision_patch",
    patch,
    path = "/api/v1/provisions/{id}",
    params(
        ("id" = String, Path, description = "The provision's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = ProvisionIn,
    responses(
        (status = 200, body = ProvisionOut, headers(("ETag" = String, description = "The new version"))),
        super::problems::Update,
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProvisionIn>,
) -> Result<Response, ApiError> {
    let school = school_for(&p, Action::Update)?;
    let pv = state.store.provision(&school, &id).await?;
    let expected = if_match(&headers, pv.version)?;
    let actor = rid.actor(&p);
    update_provision(&state, &actor, &pv, expected, &body.into())
        .await
        .map_err(sen_error)?;
    let pv = state.store.provision(&school, &id).await?;
    Ok(super::tagged(
        StatusCode::OK,
        provision_out(&pv, costs(&p)),
        pv.version,
    ))
}

/// An entry or exit measure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasureOut {
    pub name: String,
    /// `months`, `standardised_score`, `words_per_minute` or `school_scale`.
    pub unit: String,
    pub entry_value: Option<f64>,
    pub entry_on: Option<String>,
    pub exit_value: Option<f64>,
    pub exit_on: Option<String>,
}

/// Delivered against planned so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryOut {
    /// Sessions planned up to today (or the end of the allocation).
    pub planned: u32,
    pub delivered: u32,
    pub pupil_absent: u32,
    pub cancelled: u32,
    /// Planned sessions with no record (counted against the school).
    pub unrecorded: u32,
    pub minutes_delivered: u32,
    /// Sessions provided (delivered or missed by the pupil) as a share of those planned.
    pub school_percent: Option<u32>,
    /// Below the school's threshold (90% unless set otherwise).
    pub shortfall: bool,
}

/// A pupil's allocation to a provision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationOut {
    pub id: String,
    pub provision_id: String,
    pub provision_name: String,
    pub pupil_id: String,
    pub from_on: String,
    pub to_on: String,
    pub sessions_per_week: i64,
    /// Ids of plan targets it works towards.
    pub targets: Vec<String>,
    pub measure: Option<MeasureOut>,
    pub delivery: DeliveryOut,
    /// The cost for this pupil in pence (only for those who may see costs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_pence: Option<i64>,
    pub version: i64,
}

/// Allocations.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationList {
    pub items: Vec<AllocationOut>,
    pub total: i64,
}

async fn allocation_out(
    state: &AppState,
    p: &senco_app::principal::Principal,
    list: &[Allocation],
) -> Result<Vec<AllocationOut>, ApiError> {
    let facts = DeliveryFacts::load(state, list).await?;
    // The catalogues of the allocations' schools, read once each (for costs).
    let mut catalogue: Vec<Provision> = Vec::new();
    if costs(p) {
        let mut schools: Vec<&str> = list.iter().map(|a| a.school_id.as_str()).collect();
        schools.sort_unstable();
        schools.dedup();
        for school in schools {
            catalogue.extend(state.store.provisions(school).await?);
        }
    }
    let mut out = Vec::new();
    for a in list {
        let s = facts.summary(a);
        let cost_pence = catalogue
            .iter()
            .find(|pv| pv.id == a.provision_id)
            .map(|pv| facts.cost(a, pv));
        out.push(AllocationOut {
            id: a.id.clone(),
            provision_id: a.provision_id.clone(),
            provision_name: a.provision_name.clone(),
            pupil_id: a.pupil_id.clone(),
            from_on: senco_store::ds(a.from_on),
            to_on: senco_store::ds(a.to_on),
            sessions_per_week: a.sessions_per_week,
            targets: a.targets.clone(),
            measure: a.measure.as_ref().map(|m| MeasureOut {
                name: m.name.clone(),
                unit: m.unit.as_str().to_string(),
                entry_value: a.entry.map(|(v, _)| v),
                entry_on: a.entry.map(|(_, d)| senco_store::ds(d)),
                exit_value: a.exit.map(|(v, _)| v),
                exit_on: a.exit.map(|(_, d)| senco_store::ds(d)),
            }),
            delivery: DeliveryOut {
                planned: s.planned,
                delivered: s.delivered,
                pupil_absent: s.pupil_absent,
                cancelled: s.cancelled,
                unrecorded: s.unrecorded,
                minutes_delivered: s.minutes_delivered,
                school_percent: s.school_percent,
                shortfall: s.shortfall,
            },
            cost_pence,
            version: a.version,
        });
    }
    Ok(out)
}

/// A pupil's allocations, newest first.
#[utoipa::path(
    operation_id = "provision_pupil_allocations",
    get,
    path = "/api/v1/pupils/{id}/allocations",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = AllocationList),
        super::problems::Read,
    )
)]
pub async fn pupil_allocations(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<AllocationList>, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let list = state
        .store
        .allocations(&p.scope(), AllocationsOf::Pupil(&pupil.id))
        .await?;
    let items = allocation_out(&state, &p, &list).await?;
    Ok(Json(AllocationList {
        total: items.len() as i64,
        items,
    }))
}

/// A new allocation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationIn {
    pub provision_id: String,
    /// `YYYY-MM-DD`.
    pub from_on: String,
    /// `YYYY-MM-DD`, on or after `from_on`.
    pub to_on: String,
    /// Defaults to the provision's.
    #[serde(default)]
    pub sessions_per_week: Option<i64>,
    /// Ids of the pupil's plan targets.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub measure_name: Option<String>,
    /// `months`, `standardised_score`, `words_per_minute` or `school_scale`.
    #[serde(default)]
    pub measure_unit: Option<String>,
    #[serde(default)]
    pub entry_value: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub entry_on: Option<String>,
}

/// Allocate a pupil to a provision.
#[utoipa::path(
    operation_id = "provision_create_allocation",
    post,
    path = "/api/v1/pupils/{id}/allocations",
    params(("id" = String, Path, description = "The pupil's id")),
    request_body = AllocationIn,
    responses(
        (status = 201, body = AllocationOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Write,
    )
)]
pub async fn create_allocation(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AllocationIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let input = AllocationInput {
        provision_id: body.provision_id,
        from_on: date_from_iso(&body.from_on),
        to_on: date_from_iso(&body.to_on),
        sessions_per_week: body.sessions_per_week.into(),
        targets: body.targets,
        measure_name: body.measure_name.unwrap_or_default(),
        measure_unit: body.measure_unit.unwrap_or_default(),
        entry_value: body.entry_value.map(|v| v.to_string()).unwrap_or_default(),
        entry_on: body.entry_on.as_deref().map_or(Entry::Blank, date_from_iso),
    };
    let id = allocate(&state, &actor, &pupil, &input)
        .await
        .map_err(sen_error)?;
    let a = state.store.allocation(&p.scope(), &id).await?;
    let out = allocation_out(&state, &p, std::slice::from_ref(&a)).await?;
    let version = a.version;
    Ok(super::tagged(
        StatusCode::CREATED,
        out.into_iter().next(),
        version,
    ))
}

/// An allocation with delivered against planned.
#[utoipa::path(
    operation_id = "provision_get_allocation",
    get,
    path = "/api/v1/allocations/{id}",
    params(("id" = String, Path, description = "The allocation's id")),
    responses(
        (status = 200, body = AllocationOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        super::problems::Read,
    )
)]
pub async fn get_allocation(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (a, _) =
        reach_allocation(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let out = allocation_out(&state, &p, std::slice::from_ref(&a)).await?;
    Ok(super::tagged(
        StatusCode::OK,
        out.into_iter().next(),
        a.version,
    ))
}

/// The end of an allocation and its exit measure.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationPatch {
    /// `YYYY-MM-DD`: a new end date.
    #[serde(default)]
    pub to_on: Option<String>,
    /// In the unit of the entry measure.
    #[serde(default)]
    pub exit_value: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub exit_on: Option<String>,
}

/// End an allocation or record its exit measure.
#[utoipa::path(
    operation_id = "provision_patch_allocation",
    patch,
    path = "/api/v1/allocations/{id}",
    params(
        ("id" = String, Path, description = "The allocation's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; a stale one is refused with 412"),
    ),
    request_body = AllocationPatch,
    responses(
        (status = 200, body = AllocationOut, headers(("ETag" = String, description = "The new version"))),
        super::problems::Update,
    )
)]
pub async fn patch_allocation(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AllocationPatch>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (a, _) = reach_allocation(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    let expected = if_match(&headers, a.version)?;
    let input = ExitInput {
        to_on: body.to_on.as_deref().map_or(Entry::Blank, date_from_iso),
        exit_value: body
            .exit_value
            .or(a.exit.map(|(v, _)| v))
            .map(|v| v.to_string())
            .unwrap_or_default(),
        exit_on: match body.exit_on.as_deref().map_or(Entry::Blank, date_from_iso) {
            Entry::Blank => a.exit.map(|(_, d)| d).into(),
            typed => typed,
        },
    };
    record_exit(&state, &actor, &a, expected, &input)
        .await
        .map_err(sen_error)?;
    let a = state.store.allocation(&p.scope(), &id).await?;
    let out = allocation_out(&state, &p, std::slice::from_ref(&a)).await?;
    Ok(super::tagged(
        StatusCode::OK,
        out.into_iter().next(),
        a.version,
    ))
}

/// A recorded session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionOut {
    pub id: String,
    /// `YYYY-MM-DD`.
    pub on: String,
    pub minutes: i64,
    /// `delivered`, `pupil_absent` or `cancelled` (by the school).
    pub status: String,
    pub reason: Option<String>,
}

/// Sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionOut>,
    pub total: i64,
}

/// The sessions recorded for an allocation, oldest first.
#[utoipa::path(
    operation_id = "provision_sessions",
    get,
    path = "/api/v1/allocations/{id}/sessions",
    params(("id" = String, Path, description = "The allocation's id")),
    responses(
        (status = 200, body = SessionList),
        super::problems::Read,
    )
)]
pub async fn sessions(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<SessionList>, ApiError> {
    let actor = rid.actor(&p);
    let (a, _) =
        reach_allocation(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let items: Vec<SessionOut> = state
        .store
        .sessions(std::slice::from_ref(&a.id))
        .await?
        .into_iter()
        .map(|s| SessionOut {
            id: s.id,
            on: senco_store::ds(s.on),
            minutes: s.minutes,
            status: s.status.as_str().to_string(),
            reason: s.reason,
        })
        .collect();
    Ok(Json(SessionList {
        total: items.len() as i64,
        items,
    }))
}

/// A session to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionIn {
    /// `YYYY-MM-DD`: within the allocation, not in the future.
    pub on: String,
    /// 1 to 600 for a session that took place; omitted or 0 for a cancelled one.
    #[serde(default)]
    pub minutes: Option<i64>,
    /// `delivered`, `pupil_absent` or `cancelled` (by the school).
    pub status: String,
    /// Required when the school cancelled.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Record a session of an allocation.
#[utoipa::path(
    operation_id = "provision_create_session",
    post,
    path = "/api/v1/allocations/{id}/sessions",
    params(("id" = String, Path, description = "The allocation's id")),
    request_body = SessionIn,
    responses(
        (status = 201, body = super::sen::Created),
        super::problems::Write,
    )
)]
pub async fn create_session(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SessionIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let (a, _) = reach_allocation(&state, &actor, &id, Resource::Delivery, Action::Create).await?;
    let input = SessionInput {
        on: date_from_iso(&body.on),
        minutes: body.minutes.into(),
        status: body.status,
        reason: body.reason.unwrap_or_default(),
    };
    let ids = record_sessions(&state, &actor, &[(&a, input)])
        .await
        .map_err(sen_error)?;
    let id = ids.into_iter().next().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(super::sen::Created { id })).into_response())
}
