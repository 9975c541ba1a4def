//! Reading the graduated response through the API: the SEN register
//! (`GET /api/v1/register`) and a pupil's chronology (`GET /api/v1/pupils/{id}/chronology`).
//!
//! Both read through the same functions and access rules as the pages: the register for
//! school staff who may read SEN records, the chronology through
//! [`senco_app::access::pupil_for`], with concerns only for those who may read them.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use senco_domain::policy::{Action, Resource};
use senco_domain::year_group::YearGroup;
use senco_store::sen::RegisterRow;
use serde::Serialize;
use utoipa::ToSchema;

use super::schools::Framework;
use super::{ApiError, List, paging_of};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{may, pupil_for};
use senco_app::pupils::year_group;
use senco_app::register::{
    Filters, Sort, audit_read, audit_refusal, known_need, register_allowed, rows,
};

#[allow(unused_imports)]
use super::Problem;

/// A stage of the graduated response (`no_sen` is an explicit interval off the register).
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    NoSen,
    EarlyYearsAction,
    EarlyYearsActionPlus,
    SchoolAction,
    SchoolActionPlus,
    Statement,
    SenSupport,
    EhcPlan,
    SchoolIdp,
    LaIdp,
}

impl From<senco_domain::framework::Stage> for Stage {
    fn from(s: senco_domain::framework::Stage) -> Self {
        use senco_domain::framework::Stage as S;
        match s {
            S::NoSen => Stage::NoSen,
            S::EarlyYearsAction => Stage::EarlyYearsAction,
            S::EarlyYearsActionPlus => Stage::EarlyYearsActionPlus,
            S::SchoolAction => Stage::SchoolAction,
            S::SchoolActionPlus => Stage::SchoolActionPlus,
            S::Statement => Stage::Statement,
            S::SenSupport => Stage::SenSupport,
            S::EhcPlan => Stage::EhcPlan,
            S::SchoolIdp => Stage::SchoolIdp,
            S::LaIdp => Stage::LaIdp,
        }
    }
}

/// A pupil on the SEN register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterItem {
    pub pupil_id: String,
    pub upn: Option<String>,
    pub legal_forename: String,
    pub legal_surname: String,
    /// National Curriculum year as in the census: `N1`, `N2`, `R`, `1` to `14`.
    pub year_group: Option<String>,
    pub registration_group: Option<String>,
    /// The framework of the stage in force.
    pub framework: Framework,
    pub stage: Stage,
    /// The date the stage took effect (`YYYY-MM-DD`).
    pub since: String,
    /// The primary need's code, if one is recorded (absent for those who may not see needs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_need: Option<String>,
    /// Every open need's code, primary first (absent for those who may not see needs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<String>>,
}

/// A page of the SEN register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterList {
    pub items: Vec<RegisterItem>,
    pub total: i64,
}

/// An event of a pupil's SEN chronology.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChronologyItemOut {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `concern`, `stage_change`, `parents_told`, `need`, `need_ended`, `process` or
    /// `process_decided`.
    pub kind: String,
    pub title: String,
    pub detail: String,
    /// The id of the record the event comes from.
    pub record_id: String,
}

/// A pupil's SEN chronology, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChronologyList {
    pub items: Vec<ChronologyItemOut>,
    pub total: i64,
}

fn item(r: &RegisterRow, today: senco_domain::Date, needs: bool) -> RegisterItem {
    let p = &r.pupil;
    RegisterItem {
        pupil_id: p.id.clone(),
        upn: p.upn.clone(),
        legal_forename: p.legal_forename.clone(),
        legal_surname: p.legal_surname.clone(),
        year_group: year_group(p, today).map(|y| y.census()),
        registration_group: p.reg_group_name.clone(),
        framework: r.current.framework.into(),
        stage: r.current.stage.into(),
        since: senco_store::ds(r.current.since),
        primary_need: r.primary_need.clone().filter(|_| needs),
        needs: needs.then(|| r.needs.clone()),
    }
}

fn filters(q: &HashMap<String, String>) -> Result<Filters, ApiError> {
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let stage = match get("stage") {
        None => None,
        Some(s) => Some(senco_domain::framework::Stage::parse(s).ok_or_else(|| {
            ApiError::field("stage", "unknown_value", words().reg_api_unknown_stage)
        })?),
    };
    let need = match get("need").map(str::to_ascii_uppercase) {
        None => None,
        Some(n) if known_need(&n) => Some(n),
        Some(_) => {
            return Err(ApiError::field(
                "need",
                "unknown_value",
                words().reg_api_unknown_need,
            ));
        }
    };
    let year = match get("year") {
        None => None,
        Some(y) => Some(YearGroup::parse(y).ok_or_else(|| {
            ApiError::field("year", "unknown_value", words().reg_api_unknown_year)
        })?),
    };
    Ok(Filters {
        stage,
        need,
        year,
        group: None,
        teacher: None,
    })
}

/// List the pupils on the SEN register that you may see.
#[utoipa::path(
    operation_id = "sen_read_register",
    get,
    path = "/api/v1/register",
    params(
        ("school" = Option<String>, Query, description = "Only this school (URN); a school outside your view gives an empty list"),
        ("stage" = Option<Stage>, Query, description = "Only pupils on this stage"),
        ("need" = Option<String>, Query, description = "Only pupils with this open need (code, such as SPLD)"),
        ("year" = Option<String>, Query, description = "Census year code: N1, N2, R, 1 to 14"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "Items per page, at most 200"),
    ),
    responses(
        (status = 200, body = RegisterList),
        super::problems::Create,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "You have no SEN register"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<List<RegisterItem>>, ApiError> {
    let actor = rid.actor(&p);
    if !register_allowed(&p) {
        audit_refusal(&state, &actor).await;
        return Err(ApiError::not_found());
    }
    let (page, per_page) = paging_of(&q)?;
    let filters = filters(&q)?;
    let school_id = match q.get("school").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(urn) => Some(
            state
                .store
                .school_id_by_urn(urn)
                .await?
                .unwrap_or_else(|| "none".to_string()),
        ),
    };
    let all = rows(&state, &p, &filters, school_id, Sort::default()).await?;
    audit_read(&state, &actor, "list", p.user.school_id.clone()).await;
    let today = state.today();
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(0);
    Ok(Json(List {
        total: i64::try_from(all.len()).unwrap_or(i64::MAX),
        items: all
            .iter()
            .skip(skip)
            .take(take)
            .map(|r| item(r, today, may(&p, Resource::PupilNeeds, Action::Read)))
            .collect(),
    }))
}

/// Read a pupil's SEN chronology, oldest first.
#[utoipa::path(
    operation_id = "sen_read_chronology",
    get,
    path = "/api/v1/pupils/{id}/chronology",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = ChronologyList),
        super::problems::Read,
    )
)]
pub async fn chronology(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<List<ChronologyItemOut>>, ApiError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let items = senco_app::sen::pupil_chronology(&state, &p, &pupil, words()).await?;
    let items: Vec<ChronologyItemOut> = items
        .into_iter()
        .map(|i| ChronologyItemOut {
            date: senco_store::ds(i.date),
            kind: i.kind.to_string(),
            title: i.title,
            detail: i.detail,
            record_id: i.record_id,
        })
        .collect();
    Ok(Json(List::whole(items)))
}
