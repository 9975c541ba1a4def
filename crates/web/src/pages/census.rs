//! The school census SEN return: pick a census date, see each provision code's count and
//! every problem the census would reject or query, and download the return as CSV or XML.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use senco_domain::census_return::Severity;
use senco_interop::census::CensusReturn;
use serde::Deserialize;

use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::census::{audit, census_school, parse_date, the_return};
use senco_app::principal::Principal;

/// `?date=YYYY-MM-DD`.
#[derive(Debug, Default, Deserialize)]
pub struct CensusQuery {
    pub date: Option<String>,
}

/// A problem as listed on the page.
pub struct ProblemRow {
    pub pupil_id: String,
    pub name: String,
    pub error: bool,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "census.html")]
struct CensusPage {
    page: PageChrome,
    date_value: String,
    /// The return, when the date is a real date.
    result: Option<Summary>,
    errors: FormErrors,
}

struct Summary {
    iso: String,
    long: String,
    total: usize,
    counts: Vec<(String, usize)>,
    with_errors: usize,
    with_warnings: usize,
    problems: Vec<ProblemRow>,
    unconfirmed: bool,
}

fn summary(ret: &CensusReturn) -> Summary {
    let (with_errors, with_warnings) = ret.problem_counts();
    let mut problems = Vec::new();
    for p in &ret.pupils {
        for pr in &p.result.problems {
            problems.push(ProblemRow {
                pupil_id: p.pupil_id.clone(),
                name: format!("{} {}", p.forename, p.surname),
                error: pr.severity == Severity::Error,
                message: pr.message.clone(),
            });
        }
    }
    // Errors first, then by name.
    problems.sort_by(|a, b| (!a.error, &a.name).cmp(&(!b.error, &b.name)));
    let unconfirmed = ret.pupils.iter().any(|p| {
        p.result.provision.as_ref().is_some_and(|c| c.unconfirmed)
            || p.result.needs.iter().any(|n| n.unconfirmed)
    });
    Summary {
        iso: ret.census_date.to_string(),
        long: words().long_date(ret.census_date),
        total: ret.pupils.len(),
        counts: ret.counts(),
        with_errors,
        with_warnings,
        problems,
        unconfirmed,
    }
}

/// The caller's school, if they may read its census return.
/// GET /census
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<CensusQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school_id = census_school(&p)?;
    let date_value = q.date.clone().unwrap_or_else(|| state.today().to_string());
    let mut errors = FormErrors::default();
    let result = match parse_date(&date_value) {
        Some(on) => {
            let ret = the_return(&state, &p, &school_id, on)
                .await
                .map_err(|e| PageError::Internal(e.into()))?;
            audit(&state, &actor, "list").await;
            Some(summary(&ret))
        }
        None => {
            errors.add("date", words().census_date_invalid);
            None
        }
    };
    let status = super::forms::status_of(&errors);
    let page = PageChrome::signed_in(&state, &p, words().census_title, Section::Register)
        .with_errors(&errors);
    Ok((
        status,
        CensusPage {
            page,
            date_value,
            result,
            errors,
        },
    )
        .into_response())
}

async fn download(
    state: AppState,
    p: Principal,
    headers: HeaderMap,
    q: CensusQuery,
    xml: bool,
) -> Result<Response, PageError> {
    let actor = RequestId::of(&headers).actor(&p);
    let school_id = census_school(&p)?;
    // Without a date, today's (as on the page).
    let date = q.date.unwrap_or_else(|| state.today().to_string());
    let Some(on) = parse_date(&date) else {
        return Ok((StatusCode::BAD_REQUEST, words().census_date_invalid).into_response());
    };
    let ret = the_return(&state, &p, &school_id, on)
        .await
        .map_err(|e| PageError::Internal(e.into()))?;
    audit(&state, &actor, "export").await;
    Ok(crate::http::census_file(&ret, on, xml))
}

/// GET /census.csv?date=
pub async fn csv(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
    Query(q): Query<CensusQuery>,
) -> Result<Response, PageError> {
    download(state, p, headers, q, false).await
}

/// GET /census.xml?date=
pub async fn xml(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
    Query(q): Query<CensusQuery>,
) -> Result<Response, PageError> {
    download(state, p, headers, q, true).await
}
