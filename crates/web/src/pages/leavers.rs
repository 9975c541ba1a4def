//! Recording that a pupil has left (issue 19, point 6): `/pupils/{id}/leaving`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use senco_app::leavers::{LeaveError, leaver, record_leaving};
use senco_app::principal::Principal;
use senco_domain::Date;
use senco_domain::leaving::LeavingEntry;

use super::forms::{Checked, Fields, status_of};
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;

#[derive(Template, WebTemplate)]
#[template(path = "leaving_form.html")]
struct LeavingPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    form: Fields,
    errors: FormErrors,
}

fn leaving_page(
    state: &AppState,
    p: &Principal,
    pupil: &senco_store::pupils::Pupil,
    form: Fields,
    errors: FormErrors,
) -> Response {
    let status = status_of(&errors);
    let page = LeavingPage {
        page: PageChrome::signed_in(state, p, words().leaving_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        form,
        errors,
    };
    (status, page).into_response()
}

/// The errors of a refused leaving, each on its field; `joined_on` words "before joining".
fn leaving_errors(e: LeaveError, joined_on: Date) -> Result<FormErrors, PageError> {
    let mut errors = FormErrors::default();
    match e {
        LeaveError::Invalid(problems) => {
            for problem in problems {
                errors.add(problem.field(), words().leaving_problem(problem, joined_on));
            }
        }
        // Someone recorded the leaving meanwhile.
        LeaveError::NotOnRoll => errors.add("left_on", words().leaving_not_on_roll),
        LeaveError::NotFound => return Err(PageError::NotFound),
        LeaveError::Store(e) => return Err(e.into()),
    }
    Ok(errors)
}

fn page_error(e: LeaveError) -> PageError {
    match e {
        // Already left: nothing to record, as for a pupil one may not change.
        LeaveError::NotFound | LeaveError::NotOnRoll | LeaveError::Invalid(_) => {
            PageError::NotFound
        }
        LeaveError::Store(e) => e.into(),
    }
}

/// GET /pupils/{id}/leaving: the form, dated today.
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (pupil, _) = leaver(&state, &actor, &id).await.map_err(page_error)?;
    let form = Fields::with_date("left_on", state.today());
    Ok(leaving_page(
        &state,
        &p,
        &pupil,
        form,
        FormErrors::default(),
    ))
}

/// POST /pupils/{id}/leaving: records the leaving, or shows the form again with what was
/// typed and what is wrong; a refused form changes nothing.
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (pupil, open) = leaver(&state, &actor, &id).await.map_err(page_error)?;
    if !fresh {
        let errors = FormErrors::expired("left_on");
        return Ok(leaving_page(&state, &p, &pupil, form, errors));
    }
    let destination = form.get("destination");
    let entry = LeavingEntry {
        on: form.date("left_on"),
        destination: &destination,
        transferred_out: form.get("transferred_out") == "yes",
    };
    match record_leaving(&state, &actor, &pupil.id, &entry).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/pupils/{}?flash=leaving_recorded", pupil.id)).into_response(),
        ),
        Err(e) => {
            let errors = leaving_errors(e, open.starts_on)?;
            Ok(leaving_page(&state, &p, &pupil, form, errors))
        }
    }
}
