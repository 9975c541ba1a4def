//! A school's outside agencies and their people through the API, as on the specialists
//! page: `GET` and `POST /api/v1/agencies`, and `POST /api/v1/agencies/{id}/people`. The
//! list belongs to the school: its staff who may read it see it, the SENCO adds to it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use senco_domain::policy::{Action, Resource};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sen::{Created, sen_error};
use super::{ApiError, ApiJson, List};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use senco_app::principal::Principal;
use senco_app::sen::SenError;
use senco_app::specialists::{AgencyInput, PersonInput, add_agency, add_person};

#[allow(unused_imports)]
use super::Problem;

/// A person of an agency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonOut {
    pub id: String,
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    /// The person has a Senco account (and so sees the pupils referred to them).
    pub has_account: bool,
}

/// An outside agency on the school's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyOut {
    pub id: String,
    /// `educational_psychology`, `speech_and_language_therapy`, `specialist_teaching`,
    /// `occupational_therapy`, `physiotherapy`, `camhs`, `sensory_service`,
    /// `behaviour_support`, `school_nurse` or `social_care`.
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub people: Vec<PersonOut>,
}

/// The school's agencies, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyList {
    pub items: Vec<AgencyOut>,
    pub total: i64,
}

/// A new agency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyIn {
    /// One of the agency kinds listed on [`AgencyOut::kind`].
    pub kind: String,
    /// Unique on the school's list.
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A new person of an agency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    /// A person whose address matches a specialist's account is linked to it.
    #[serde(default)]
    pub email: Option<String>,
}

/// The caller's school, if they may act on its agencies.
fn school(p: &Principal, action: Action) -> Result<String, ApiError> {
    super::school_of(p, Resource::Agencies, action)
}

/// The service's field names (the page's inputs) as the request's members.
fn renamed(e: SenError) -> ApiError {
    let mut e = sen_error(e);
    for f in &mut e.errors {
        let name = match f.field.as_str() {
            "agency_name" | "person_name" => "name",
            "agency_email" | "person_email" => "email",
            "agency_phone" => "phone",
            "person_role" => "role",
            _ => continue,
        };
        f.field = name.to_string();
    }
    e
}

/// The school's outside agencies with their people.
#[utoipa::path(
    operation_id = "agencies_list",
    get,
    path = "/api/v1/agencies",
    responses(
        (status = 200, body = AgencyList),
        super::problems::Unauthorized,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "You have no school's list of agencies"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
) -> Result<Json<List<AgencyOut>>, ApiError> {
    let school = school(&p, Action::Read)?;
    let agencies = state.store.agencies(&school).await?;
    let people = state.store.people(&school).await?;
    let items: Vec<AgencyOut> = agencies
        .into_iter()
        .map(|a| AgencyOut {
            people: people
                .iter()
                .filter(|x| x.agency_id == a.id)
                .map(|x| PersonOut {
                    id: x.id.clone(),
                    name: x.name.clone(),
                    role: x.role.clone(),
                    email: x.email.clone(),
                    has_account: x.user_id.is_some(),
                })
                .collect(),
            id: a.id,
            kind: a.kind.as_str().to_string(),
            name: a.name,
            email: a.email,
            phone: a.phone,
        })
        .collect();
    Ok(Json(List::whole(items)))
}

/// Add an agency to the school's list.
#[utoipa::path(
    operation_id = "agencies_create",
    post,
    path = "/api/v1/agencies",
    request_body = AgencyIn,
    responses(
        (status = 201, body = Created),
        super::problems::Read,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, or a name already on the list (`duplicate`)"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiJson(body): ApiJson<AgencyIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let school = school(&p, Action::Create)?;
    let input = AgencyInput {
        kind: body.kind,
        name: body.name,
        email: body.email.unwrap_or_default(),
        phone: body.phone.unwrap_or_default(),
    };
    let id = add_agency(&state, &actor, &school, &input)
        .await
        .map_err(renamed)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Add a person to one of the school's agencies.
#[utoipa::path(
    operation_id = "agencies_create_person",
    post,
    path = "/api/v1/agencies/{id}/people",
    params(("id" = String, Path, description = "The agency's id")),
    request_body = PersonIn,
    responses(
        (status = 201, body = Created),
        super::problems::Write,
    )
)]
pub async fn create_person(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PersonIn>,
) -> Result<Response, ApiError> {
    let actor = rid.actor(&p);
    let school = school(&p, Action::Create)?;
    // An agency of another school's list is not there for this caller.
    if !state
        .store
        .agencies(&school)
        .await?
        .iter()
        .any(|a| a.id == id)
    {
        return Err(ApiError::not_found());
    }
    let input = PersonInput {
        agency_id: id,
        name: body.name,
        role: body.role.unwrap_or_default(),
        email: body.email.unwrap_or_default(),
    };
    let id = add_person(&state, &actor, &school, &input)
        .await
        .map_err(renamed)?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}
