//! `GET /api/v1/schools`: the schools the caller works with.

use std::collections::HashMap;

use axum::extract::{Query, State};
use senco_domain::role::Role;
use senco_store::pupils::PupilFilter;
use senco_store::schools::{School, SchoolScope};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, List, paging_of};
use crate::AppState;
use crate::auth::ApiCaller;
use senco_app::principal::Principal;

/// The countries Senco serves.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Country {
    England,
    Wales,
}

/// A school's phase of education.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Nursery,
    Primary,
    Secondary,
    Special,
    AllThrough,
}

/// A special educational needs framework.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    #[serde(rename = "england_2001")]
    England2001,
    #[serde(rename = "wales_2002")]
    Wales2002,
    #[serde(rename = "england_2014")]
    England2014,
    #[serde(rename = "wales_aln_2021")]
    WalesAln2021,
}

impl From<senco_domain::school::Country> for Country {
    fn from(c: senco_domain::school::Country) -> Self {
        match c {
            senco_domain::school::Country::England => Country::England,
            senco_domain::school::Country::Wales => Country::Wales,
        }
    }
}

impl From<senco_domain::school::Phase> for Phase {
    fn from(p: senco_domain::school::Phase) -> Self {
        use senco_domain::school::Phase as P;
        match p {
            P::Nursery => Phase::Nursery,
            P::Primary => Phase::Primary,
            P::Secondary => Phase::Secondary,
            P::Special => Phase::Special,
            P::AllThrough => Phase::AllThrough,
        }
    }
}

impl From<senco_domain::school::FrameworkKey> for Framework {
    fn from(f: senco_domain::school::FrameworkKey) -> Self {
        use senco_domain::school::FrameworkKey as F;
        match f {
            F::England2001 => Framework::England2001,
            F::Wales2002 => Framework::Wales2002,
            F::England2014 => Framework::England2014,
            F::WalesAln2021 => Framework::WalesAln2021,
        }
    }
}

/// A framework and the date the school started working under it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatedFramework {
    pub framework: Framework,
    /// `YYYY-MM-DD`.
    pub since: String,
}

/// A school.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolOut {
    pub id: String,
    /// The six-digit unique reference number.
    pub urn: String,
    /// The local authority's three-digit code.
    pub la_code: String,
    pub establishment_number: String,
    pub name: String,
    pub country: Country,
    pub phase: Phase,
    pub maintained: bool,
    /// The framework in force today.
    pub framework: Option<Framework>,
    /// Every working framework with its start date (Welsh schools ran two side by side).
    pub frameworks: Vec<DatedFramework>,
}

/// A page of schools.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolList {
    pub items: Vec<SchoolOut>,
    pub total: i64,
}

/// The wire form of a school.
pub fn school_out(s: &School, today: senco_domain::Date) -> SchoolOut {
    SchoolOut {
        id: s.id.clone(),
        urn: s.urn.clone(),
        la_code: s.la_code.clone(),
        establishment_number: s.estab_number.clone(),
        name: s.name.clone(),
        country: s.country.into(),
        phase: s.phase.into(),
        maintained: s.maintained,
        framework: s.framework_on(today).map(Into::into),
        frameworks: s
            .frameworks
            .iter()
            .map(|(f, since)| DatedFramework {
                framework: (*f).into(),
                since: senco_store::ds(*since),
            })
            .collect(),
    }
}

/// The schools a person works with: all for those who may read the installation
/// (administrators), their authority's for officers,
/// their own for school staff, and those of the pupils they may see for everyone else.
pub async fn visible_schools(state: &AppState, p: &Principal) -> Result<Vec<School>, ApiError> {
    let installation = senco_app::access::require(
        p,
        senco_domain::policy::Resource::Installation,
        senco_domain::policy::Action::Read,
    )
    .is_ok();
    let scope = match p.user.role {
        _ if installation => SchoolScope::All,
        Role::LaOfficer => SchoolScope::Authority(p.user.la_id.clone().unwrap_or_default()),
        r if r.requires_school() => {
            SchoolScope::Schools(p.user.school_id.clone().into_iter().collect())
        }
        _ => {
            let pupils = state
                .store
                .pupils(&p.scope(), &PupilFilter::default(), 1, 10_000)
                .await?;
            let mut ids: Vec<String> = pupils.items.into_iter().map(|p| p.school_id).collect();
            ids.sort();
            ids.dedup();
            SchoolScope::Schools(ids)
        }
    };
    Ok(state.store.schools(&scope).await?)
}

/// List the schools you work with.
#[utoipa::path(
    operation_id = "schools_list",
    get,
    path = "/api/v1/schools",
    params(
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "Items per page, at most 200"),
    ),
    responses(
        (status = 200, body = SchoolList),
        super::problems::Create,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<axum::Json<List<SchoolOut>>, ApiError> {
    let (page, per_page) = paging_of(&q)?;
    let schools = visible_schools(&state, &p).await?;
    let today = state.today();
    let total = schools.len() as i64;
    let items = schools
        .iter()
        .skip(usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX))
        .take(per_page as usize)
        .map(|s| school_out(s, today))
        .collect();
    Ok(axum::Json(List { items, total }))
}

#[allow(unused_imports)]
use super::Problem;
