//! The school census SEN return through the API, as on the census page: `GET
//! /api/v1/census?date=` gives each pupil's worked-out codes and problems with the counts,
//! and `GET /api/v1/census.csv` and `/api/v1/census.xml` the files the page downloads. The
//! return is built by the same function for the page, the API and the command line, for the
//! pupils the caller may see, and every reading is audited as the page's is.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use senco_domain::Date;
use senco_interop::census::CensusReturn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::sen_read::Stage;
use super::{ApiError, ApiQuery};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::AccessError;
use senco_app::census::{audit, census_school, parse_date, the_return};
use senco_app::principal::Principal;

#[allow(unused_imports)]
use super::Problem;

/// `?date=YYYY-MM-DD`: the census date; today when absent.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CensusQuery {
    /// The census date, `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub date: Option<String>,
}

/// How many pupils have a provision code (`?` when none could be worked out).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeCount {
    pub code: String,
    pub pupils: i64,
}

/// A need as the census reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CensusNeedOut {
    pub rank: i64,
    pub code: String,
    /// A configured code not yet confirmed from an official list (Welsh categories).
    pub unconfirmed: bool,
}

/// Something the census would reject (`error`) or query (`warning`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CensusProblemOut {
    /// `error` or `warning`.
    pub severity: String,
    /// A stable snake_case id of the rule.
    pub rule: String,
    pub message: String,
}

/// One pupil's line of the return.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CensusPupilOut {
    pub pupil_id: String,
    pub upn: Option<String>,
    pub forename: String,
    pub surname: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// The census year code (N1, N2, R, 1 to 14), when known.
    pub year: Option<String>,
    /// The provision code, when one could be worked out.
    pub provision: Option<String>,
    /// A note on the code (for example a legacy stage reported under a later code).
    pub provision_note: Option<String>,
    /// The code is a configured default not yet confirmed.
    pub provision_unconfirmed: bool,
    /// The stage the code comes from; absent when never on the register.
    pub stage: Option<Stage>,
    pub needs: Vec<CensusNeedOut>,
    pub problems: Vec<CensusProblemOut>,
}

/// A school's census SEN return.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CensusOut {
    pub school_urn: String,
    /// `YYYY-MM-DD`.
    pub census_date: String,
    /// UTC, RFC 3339.
    pub generated_at: String,
    /// Pupils in the return.
    pub total: i64,
    pub counts: Vec<CodeCount>,
    /// Pupils with at least one error.
    pub with_errors: i64,
    /// Pupils with warnings only.
    pub with_warnings: i64,
    pub pupils: Vec<CensusPupilOut>,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn census_out(ret: &CensusReturn) -> CensusOut {
    let (with_errors, with_warnings) = ret.problem_counts();
    CensusOut {
        school_urn: ret.school.urn.clone(),
        census_date: senco_store::ds(ret.census_date),
        generated_at: ret.generated_at.clone(),
        total: count(ret.pupils.len()),
        counts: ret
            .counts()
            .into_iter()
            .map(|(code, n)| CodeCount {
                code,
                pupils: count(n),
            })
            .collect(),
        with_errors: count(with_errors),
        with_warnings: count(with_warnings),
        pupils: ret
            .pupils
            .iter()
            .map(|p| CensusPupilOut {
                pupil_id: p.pupil_id.clone(),
                upn: p.upn.clone(),
                forename: p.forename.clone(),
                surname: p.surname.clone(),
                date_of_birth: senco_store::ds(p.date_of_birth),
                year: p.year.clone(),
                provision: p.result.provision.as_ref().map(|c| c.code.clone()),
                provision_note: p.result.provision.as_ref().and_then(|c| c.note.clone()),
                provision_unconfirmed: p.result.provision.as_ref().is_some_and(|c| c.unconfirmed),
                stage: p.result.stage.map(Stage::from),
                needs: p
                    .result
                    .needs
                    .iter()
                    .map(|n| CensusNeedOut {
                        rank: n.rank,
                        code: n.code.clone(),
                        unconfirmed: n.unconfirmed,
                    })
                    .collect(),
                problems: p
                    .result
                    .problems
                    .iter()
                    .map(|pr| CensusProblemOut {
                        severity: pr.severity.as_str().to_string(),
                        rule: pr.rule.to_string(),
                        message: pr.message.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn access_error(e: AccessError) -> ApiError {
    match e {
        AccessError::NotFound => ApiError::not_found(),
        AccessError::Store(e) => ApiError::internal(e),
    }
}

/// The caller's school and the census date asked for, or why not.
fn school_and_date(
    state: &AppState,
    p: &Principal,
    q: &CensusQuery,
) -> Result<(String, Date), ApiError> {
    let school_id = census_school(p).map_err(access_error)?;
    let on = match q.date.as_deref().map(str::trim) {
        None | Some("") => state.today(),
        Some(d) => parse_date(d)
            .ok_or_else(|| ApiError::field("date", "not_a_date", words().api_census_date))?,
    };
    Ok((school_id, on))
}

/// The school's census SEN return on a date: each pupil's codes and problems.
#[utoipa::path(
    operation_id = "census_show",
    get,
    path = "/api/v1/census",
    params(CensusQuery),
    responses(
        (status = 200, body = CensusOut),
        super::problems::Create,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "You may not read the census return"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiQuery(q): ApiQuery<CensusQuery>,
) -> Result<Json<CensusOut>, ApiError> {
    let actor = rid.actor(&p);
    let (school_id, on) = school_and_date(&state, &p, &q)?;
    let ret = the_return(&state, &p, &school_id, on)
        .await
        .map_err(ApiError::internal)?;
    audit(&state, &actor, "list").await;
    Ok(Json(census_out(&ret)))
}

async fn download(
    state: AppState,
    p: Principal,
    headers: HeaderMap,
    q: CensusQuery,
    xml: bool,
) -> Result<Response, ApiError> {
    let actor = RequestId::of(&headers).actor(&p);
    let (school_id, on) = school_and_date(&state, &p, &q)?;
    let ret = the_return(&state, &p, &school_id, on)
        .await
        .map_err(ApiError::internal)?;
    audit(&state, &actor, "export").await;
    Ok(crate::http::census_file(&ret, on, xml))
}

/// The census SEN return as CSV, for the MIS.
#[utoipa::path(
    operation_id = "census_csv",
    get,
    path = "/api/v1/census.csv",
    params(CensusQuery),
    responses(
        (status = 200, description = "The return, as an attachment", content_type = "text/csv"),
        super::problems::Write,
    )
)]
pub async fn csv(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CensusQuery>,
) -> Result<Response, ApiError> {
    download(state, p, headers, q, false).await
}

/// The census SEN return as XML.
#[utoipa::path(
    operation_id = "census_xml",
    get,
    path = "/api/v1/census.xml",
    params(CensusQuery),
    responses(
        (status = 200, description = "The return, as an attachment", content_type = "application/xml"),
        super::problems::Write,
    )
)]
pub async fn xml(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CensusQuery>,
) -> Result<Response, ApiError> {
    download(state, p, headers, q, true).await
}
