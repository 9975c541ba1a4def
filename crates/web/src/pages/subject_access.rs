//! Answering a subject access request (SR-31): a confirmation page on the pupil's record for
//! the SENCO, and its form, which downloads the bundle (`senco_app::subject_access`) as a PDF or
//! JSON attachment. The pupil's id is in the path, as elsewhere; their name never is.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Resource};
use senco_store::pupils::Pupil;

use super::forms::Checked;
use super::forms::Fields;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, pupil_for};
use senco_app::principal::Principal;
use senco_app::subject_access::{self as sar, Preparer, Request};

#[derive(Template, WebTemplate)]
#[template(path = "subject_access.html")]
struct ConfirmPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    form: Fields,
    errors: FormErrors,
}

fn confirm_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Response {
    let status = super::forms::status_of(&errors);
    let page = ConfirmPage {
        page: PageChrome::signed_in(state, p, words().sar_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        form,
        errors,
    };
    (status, page).into_response()
}

/// The pupil, if the caller may export their bundle. The confirmation page shows the pupil's
/// name, so reaching it is audited as a read.
async fn reach(state: &AppState, actor: &Actor<'_>, id: &str) -> Result<Pupil, PageError> {
    let pupil = pupil_for(
        state,
        actor,
        id,
        Resource::SubjectAccessExport,
        Action::Export,
    )
    .await?;
    Ok(pupil)
}

/// GET /pupils/{id}/subject-access
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = reach(&state, &actor, &id).await?;
    let e = actor
        .event(&state, "subject_access", "read", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(pupil.id.clone());
    state.audit.read(e).await;
    let form = Fields::with_date("received_on", state.today());
    Ok(confirm_page(
        &state,
        &p,
        &pupil,
        form,
        FormErrors::default(),
    ))
}

/// POST /pupils/{id}/subject-access: `format` is `pdf` or `json`.
pub async fn download(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = reach(&state, &actor, &id).await?;
    let m = words();
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("requested_by", m.form_expired);
    }
    let received = match form.date("received_on") {
        Entry::Valid(d) if d <= state.today() => Some(d),
        _ => {
            errors.add_linked("received_on", "received_on-day", m.sar_received_real);
            None
        }
    };
    let requested_by = form.get("requested_by").trim().to_string();
    if requested_by.chars().count() > 200 || requested_by.chars().any(char::is_control) {
        errors.add("requested_by", m.sar_requested_by_too_long);
    }
    let format = form.get("format");
    let pdf = match format.as_str() {
        "pdf" => true,
        "json" => false,
        _ => return Err(PageError::NotFound),
    };
    let (Some(received_on), true) = (received, errors.is_empty()) else {
        return Ok(confirm_page(&state, &p, &pupil, form, errors));
    };
    let user = &p.user;
    let bundle = sar::build(
        &state.store,
        &p.scope(),
        &pupil.id,
        Preparer {
            name: user.name.clone(),
            account: user.email.clone(),
            role: Some(user.role.as_str().to_string()),
        },
        Request {
            requested_by: (!requested_by.is_empty()).then_some(requested_by),
            received_on,
        },
        state.now(),
    )
    .await?;
    let (body, kind, name) = if pdf {
        (
            sar::pdf(&bundle, state.today())
                .await
                .map_err(PageError::Internal)?,
            "application/pdf",
            "attachment; filename=\"subject-access.pdf\"",
        )
    } else {
        (
            sar::to_json(&bundle).map_err(|e| PageError::Internal(e.into()))?,
            "application/json",
            "attachment; filename=\"subject-access.json\"",
        )
    };
    // A disclosure: written at once, before the file is handed over.
    let e = actor
        .event(&state, "subject_access", "export", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(pupil.id.clone())
        .fields(if pdf { "pdf" } else { "json" }.to_string());
    state.store.audit(&e).await?;
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
