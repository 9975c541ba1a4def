//! `/api/v1/pupils`: listing, adding, reading and changing pupils.
//!
//! Reads and changes go through [`senco_app::access`], exactly as the pages do. A pupil the caller
//! may not see answers 404 with the same body as a pupil that does not exist. `PATCH`
//! honours `If-Match` with the `ETag` from `GET` and answers 412 on a stale version.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::{Problem as DomainProblem, PupilDraft, PupilField, date_from_iso};
use senco_domain::year_group::YearGroup;
use senco_store::pupils::{Pupil, PupilFilter};
use senco_store::schools::{RegGroup, SchoolScope};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, FieldProblem, List, paging_of};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{may_create_pupil_at, pupil_for};
use senco_app::pupils::{
    ChangeError, Circumstances, create_pupil, fields, update_pupil, year_dob_range, year_group,
};

#[allow(unused_imports)]
use super::Problem;

/// Sex as recorded in the school census.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub enum Sex {
    F,
    M,
}

/// The language for letters home.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    English,
    Welsh,
}

/// The roles of Senco's accounts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Senco,
    Teacher,
    TeachingAssistant,
    Head,
    SchoolAdmin,
    Parent,
    Specialist,
    LaOfficer,
    Admin,
}

/// A pupil.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PupilOut {
    pub id: String,
    pub school_urn: String,
    pub upn: Option<String>,
    pub former_upn: Option<String>,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_forename: Option<String>,
    pub preferred_surname: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub sex: Sex,
    /// National Curriculum year as in the census: `N1`, `N2`, `R`, `1` to `14`.
    pub year_group: Option<String>,
    /// Whether the school set the year group rather than it being worked out from the date of birth.
    pub year_group_overridden: bool,
    pub registration_group: Option<String>,
    pub looked_after: bool,
    pub eal: bool,
    pub fsm: bool,
    pub correspondence_language: Language,
    /// Changes with every update; send it back in `If-Match` as the `ETag`.
    pub version: i64,
}

/// A page of pupils.
#[derive(Debug, Serialize, ToSchema)]
pub struct PupilList {
    pub items: Vec<PupilOut>,
    pub total: i64,
}

/// A new pupil.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPupil {
    pub school_urn: String,
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub former_upn: Option<String>,
    pub legal_forename: String,
    pub legal_surname: String,
    #[serde(default)]
    pub preferred_forename: Option<String>,
    #[serde(default)]
    pub preferred_surname: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub sex: Sex,
    #[serde(default)]
    pub correspondence_language: Option<Language>,
    /// The registration group's name at the school.
    #[serde(default)]
    pub registration_group: Option<String>,
    /// A census year code, only when the pupil is taught out of their year group.
    #[serde(default)]
    pub year_group_override: Option<String>,
    #[serde(default)]
    pub looked_after: bool,
    #[serde(default)]
    pub eal: bool,
    #[serde(default)]
    pub fsm: bool,
    /// The date the pupil joined the school (`YYYY-MM-DD`); today when absent.
    #[serde(default)]
    pub enrolled_on: Option<String>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a pupil: only the members sent are changed; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PupilPatch {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub upn: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub former_upn: Option<Option<String>>,
    #[serde(default)]
    pub legal_forename: Option<String>,
    #[serde(default)]
    pub legal_surname: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub preferred_forename: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub preferred_surname: Option<Option<String>>,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub correspondence_language: Option<Language>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub registration_group: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub year_group_override: Option<Option<String>>,
    #[serde(default)]
    pub looked_after: Option<bool>,
    #[serde(default)]
    pub eal: Option<bool>,
    #[serde(default)]
    pub fsm: Option<bool>,
}

fn sex_code(s: Sex) -> &'static str {
    match s {
        Sex::F => "F",
        Sex::M => "M",
    }
}

fn language_code(l: Language) -> &'static str {
    match l {
        Language::English => "english",
        Language::Welsh => "welsh",
    }
}

fn pupil_out(p: &Pupil, urn: &str, today: senco_domain::Date) -> PupilOut {
    PupilOut {
        id: p.id.clone(),
        school_urn: urn.to_string(),
        upn: p.upn.clone(),
        former_upn: p.former_upn.clone(),
        legal_forename: p.legal_forename.clone(),
        legal_surname: p.legal_surname.clone(),
        preferred_forename: p.preferred_forename.clone(),
        preferred_surname: p.preferred_surname.clone(),
        date_of_birth: senco_store::ds(p.date_of_birth),
        sex: if p.sex.code() == "F" { Sex::F } else { Sex::M },
        year_group: year_group(p, today).map(|y| y.census()),
        year_group_overridden: p.year_override.is_some(),
        registration_group: p.reg_group_name.clone(),
        looked_after: p.looked_after,
        eal: p.eal,
        fsm: p.fsm,
        correspondence_language: match p.language {
            senco_domain::person::CorrespondenceLanguage::Welsh => Language::Welsh,
            senco_domain::person::CorrespondenceLanguage::English => Language::English,
        },
        version: p.version,
    }
}

fn problems(list: &[(PupilField, DomainProblem)]) -> ApiError {
    ApiError::invalid(
        list.iter()
            .map(|(f, p)| FieldProblem {
                field: f.as_str().to_string(),
                reason: p.code().to_string(),
                message: words().pupil_problem(*f, p).to_string(),
            })
            .collect(),
    )
}

fn change_error(e: ChangeError) -> ApiError {
    match e {
        ChangeError::Invalid(list) => problems(&list),
        ChangeError::Conflict => ApiError::precondition_failed(),
        ChangeError::Store(e) => ApiError::internal(e),
    }
}

async fn urn_of(state: &AppState, school_id: &str) -> Result<String, ApiError> {
    Ok(state.store.school(school_id).await?.urn)
}

fn find_group(groups: &[RegGroup], name: Option<&str>) -> Result<Option<String>, ApiError> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => groups
            .iter()
            .find(|g| g.name == n)
            .map(|g| Some(g.id.clone()))
            .ok_or_else(|| {
                ApiError::field(
                    "registration_group",
                    "unknown_value",
                    "No registration group of that name at the pupil's school",
                )
            }),
    }
}

fn year_code(value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => YearGroup::parse(v)
            .map(|y| Some(i64::from(y.code())))
            .ok_or_else(|| {
                ApiError::field(
                    "year_group_override",
                    "unknown_value",
                    "Use a census year code: N1, N2, R or 1 to 14",
                )
            }),
    }
}

/// List the pupils you may see.
#[utoipa::path(
    operation_id = "pupils_list",
    get,
    path = "/api/v1/pupils",
    params(
        ("school" = Option<String>, Query, description = "Only this school (URN)"),
        ("q" = Option<String>, Query, description = "Part of a name, or a whole UPN"),
        ("year" = Option<String>, Query, description = "Census year code: N1, N2, R, 1 to 14"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "Items per page, at most 200"),
    ),
    responses(
        (status = 200, body = PupilList),
        super::problems::Create,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<List<PupilOut>>, ApiError> {
    let (page, per_page) = paging_of(&q)?;
    let today = state.today();
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
    let year = match q.get("year").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(y) => {
            let y = YearGroup::parse(y).ok_or_else(|| {
                ApiError::field(
                    "year",
                    "unknown_value",
                    "Use a census year code: N1, N2, R or 1 to 14",
                )
            })?;
            year_dob_range(y.code(), today).map(|(a, b)| (i64::from(y.code()), a, b))
        }
    };
    let filter = PupilFilter {
        q: q.get("q").cloned(),
        school_id,
        year,
        reg_group_id: None,
    };
    let result = state
        .store
        .pupils(&p.scope(), &filter, page, per_page)
        .await?;
    let actor = rid.actor(&p);
    state
        .audit
        .read(actor.event(&state, "pupil_list", "list", "allowed"))
        .await;
    // The page's schools in one query (an officer's page spans many schools).
    let mut school_ids: Vec<String> = result.items.iter().map(|p| p.school_id.clone()).collect();
    school_ids.sort();
    school_ids.dedup();
    let urns: HashMap<String, String> = if school_ids.is_empty() {
        HashMap::new()
    } else {
        state
            .store
            .schools(&SchoolScope::Schools(school_ids))
            .await?
            .into_iter()
            .map(|s| (s.id, s.urn))
            .collect()
    };
    let items = result
        .items
        .iter()
        .map(|pupil| {
            let urn = urns
                .get(&pupil.school_id)
                .map(String::as_str)
                .unwrap_or_default();
            pupil_out(pupil, urn, today)
        })
        .collect();
    Ok(Json(List {
        items,
        total: result.total,
    }))
}

/// Add a pupil to your school.
#[utoipa::path(
    operation_id = "pupils_create",
    post,
    path = "/api/v1/pupils",
    request_body = NewPupil,
    responses(
        (status = 201, body = PupilOut),
        super::problems::Write,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiJson(body): ApiJson<NewPupil>,
) -> Result<Response, ApiError> {
    let school_id = state
        .store
        .school_id_by_urn(body.school_urn.trim())
        .await?
        .filter(|id| may_create_pupil_at(&p, id))
        .ok_or_else(|| {
            ApiError::field(
                "school_urn",
                "not_your_school",
                "You can add pupils only to your own school",
            )
        })?;
    let today = state.today();
    let draft = PupilDraft {
        upn: body.upn.clone().unwrap_or_default(),
        former_upn: body.former_upn.clone().unwrap_or_default(),
        legal_forename: body.legal_forename.clone(),
        legal_surname: body.legal_surname.clone(),
        preferred_forename: body.preferred_forename.clone().unwrap_or_default(),
        preferred_surname: body.preferred_surname.clone().unwrap_or_default(),
        date_of_birth: date_from_iso(&body.date_of_birth),
        sex: sex_code(body.sex).to_string(),
        correspondence_language: body
            .correspondence_language
            .map(language_code)
            .unwrap_or("english")
            .to_string(),
    };
    let phase = state.store.school(&school_id).await?.phase;
    let valid = draft
        .validate(today, phase)
        .map_err(|list| problems(&list))?;
    let enrolled_on = match body
        .enrolled_on
        .as_deref()
        .map_or(Entry::Blank, date_from_iso)
    {
        Entry::Blank => today,
        Entry::Valid(d) => d,
        Entry::Invalid => {
            return Err(problems(&[(
                PupilField::EnrolledOn,
                DomainProblem::NotADate,
            )]));
        }
    };
    let groups = state.store.reg_groups(&school_id).await?;
    let circumstances = Circumstances {
        year_override: year_code(body.year_group_override.as_deref())?,
        reg_group_id: find_group(&groups, body.registration_group.as_deref())?,
        looked_after: body.looked_after,
        eal: body.eal,
        fsm: body.fsm,
    };
    let actor = rid.actor(&p);
    let id = create_pupil(
        &state,
        &actor,
        &school_id,
        &fields(&valid, &circumstances),
        enrolled_on,
    )
    .await
    .map_err(change_error)?;
    let pupil = state.store.pupil(&p.scope(), &id).await?;
    let out = pupil_out(&pupil, body.school_urn.trim(), today);
    Ok(super::located(
        super::tagged(StatusCode::CREATED, out, pupil.version),
        &format!("/api/v1/pupils/{id}"),
    ))
}

/// Read a pupil.
#[utoipa::path(
    operation_id = "pupils_get",
    get,
    path = "/api/v1/pupils/{id}",
    params(("id" = String, Path, description = "The pupil's id")),
    responses(
        (status = 200, body = PupilOut, headers(("ETag" = String, description = "The version, for If-Match"))),
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
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilDetails, Action::Read).await?;
    let urn = urn_of(&state, &pupil.school_id).await?;
    let out = pupil_out(&pupil, &urn, state.today());
    Ok(super::tagged(StatusCode::OK, out, pupil.version))
}

/// Change a pupil's details.
#[utoipa::path(
    operation_id = "pupils_patch",
    patch,
    path = "/api/v1/pupils/{id}",
    params(
        ("id" = String, Path, description = "The pupil's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from GET; the change is refused with 412 if the pupil changed since"),
    ),
    request_body = PupilPatch,
    responses(
        (status = 200, body = PupilOut),
        super::problems::Update,
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PupilPatch>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let before = pupil_for(&state, &actor, &id, Resource::PupilDetails, Action::Update).await?;
    let expected = match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => before.version,
        Some(tag) => tag
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(ApiError::precondition_failed)?,
    };
    if expected != before.version {
        return Err(ApiError::precondition_failed());
    }
    let or = |new: Option<Option<String>>, old: &Option<String>| match new {
        Some(v) => v.unwrap_or_default(),
        None => old.clone().unwrap_or_default(),
    };
    let draft = PupilDraft {
        upn: or(body.upn.clone(), &before.upn),
        former_upn: or(body.former_upn.clone(), &before.former_upn),
        legal_forename: body
            .legal_forename
            .clone()
            .unwrap_or_else(|| before.legal_forename.clone()),
        legal_surname: body
            .legal_surname
            .clone()
            .unwrap_or_else(|| before.legal_surname.clone()),
        preferred_forename: or(body.preferred_forename.clone(), &before.preferred_forename),
        preferred_surname: or(body.preferred_surname.clone(), &before.preferred_surname),
        date_of_birth: match &body.date_of_birth {
            Some(d) => date_from_iso(d),
            None => Entry::Valid(before.date_of_birth),
        },
        sex: body
            .sex
            .map(sex_code)
            .unwrap_or(before.sex.code())
            .to_string(),
        correspondence_language: body
            .correspondence_language
            .map(language_code)
            .unwrap_or(before.language.as_str())
            .to_string(),
    };
    let valid = draft
        .validate(
            state.today(),
            state.store.school(&before.school_id).await?.phase,
        )
        .map_err(|list| problems(&list))?;
    let groups = state.store.reg_groups(&before.school_id).await?;
    let circumstances = Circumstances {
        year_override: match &body.year_group_override {
            Some(v) => year_code(v.as_deref())?,
            None => before.year_override,
        },
        reg_group_id: match &body.registration_group {
            Some(v) => find_group(&groups, v.as_deref())?,
            None => before.reg_group_id.clone(),
        },
        looked_after: body.looked_after.unwrap_or(before.looked_after),
        eal: body.eal.unwrap_or(before.eal),
        fsm: body.fsm.unwrap_or(before.fsm),
    };
    update_pupil(
        &state,
        &actor,
        &before,
        &fields(&valid, &circumstances),
        expected,
    )
    .await
    .map_err(change_error)?;
    let after = state.store.pupil(&p.scope(), &id).await?;
    let urn = urn_of(&state, &after.school_id).await?;
    let out = pupil_out(&after, &urn, state.today());
    Ok(super::tagged(StatusCode::OK, out, after.version))
}
