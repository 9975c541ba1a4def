//! Inviting staff from a CSV file (issue 19, point 4): upload, a preview of every row, then
//! one confirmation that invites everyone or nobody. The file travels back with the
//! confirmation (a staff file is small), so nothing is kept on the server between the two;
//! the confirmation checks it all again.

use crate::lang::words;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use senco_app::access::require;
use senco_app::principal::Principal;
use senco_app::staff::{self, StaffImportError, StaffPreview, file_reason, scope_of, summary};
use senco_domain::policy::{Action, Resource};
use serde::Deserialize;

use super::forms::{Checked, csrf_field, status_of};
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::{SessionExt, SignedIn};
use crate::http::RequestId;

#[derive(Template, WebTemplate)]
#[template(path = "staff_import_upload.html")]
struct UploadPage {
    page: PageChrome,
    errors: FormErrors,
}

fn upload_page(state: &AppState, p: &Principal, errors: FormErrors) -> Response {
    let page = UploadPage {
        page: PageChrome::signed_in(state, p, words().staff_import_title, Section::Users)
            .with_errors(&errors),
        errors,
    };
    (status_of(&page.errors), page).into_response()
}

/// GET /admin/users/import
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> Result<Response, PageError> {
    require(&p, Resource::Users, Action::Create)?;
    Ok(upload_page(&state, &p, FormErrors::default()))
}

/// A row of the preview, in words.
struct Row {
    line: u64,
    name: String,
    email: String,
    role: &'static str,
    place: String,
    groups: String,
    pending: bool,
}

/// A problem of the preview, in words.
struct ProblemRow {
    line: u64,
    column: &'static str,
    value: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_import_preview.html")]
struct PreviewPage {
    page: PageChrome,
    errors: FormErrors,
    summary: String,
    rows: Vec<Row>,
    problems: Vec<ProblemRow>,
    ready: bool,
    /// The file, sent back with the confirmation.
    csv: String,
}

fn preview_page(state: &AppState, p: &Principal, preview: &StaffPreview, csv: String) -> Response {
    let m = words();
    let mut errors = FormErrors::default();
    if !preview.problems.is_empty() {
        errors.add_linked("problems", "problems", m.staff_preview_refused);
    }
    let page = PreviewPage {
        page: PageChrome::signed_in(state, p, m.staff_preview_title, Section::Users)
            .with_errors(&errors),
        errors,
        summary: summary(m, preview),
        rows: preview
            .rows
            .iter()
            .map(|r| Row {
                line: r.row.line,
                name: r.row.name.as_str().to_string(),
                email: r.row.email.as_str().to_string(),
                role: r.row.role.label(),
                place: match (&r.school, &r.authority) {
                    (_, Some(a)) => a.name.clone(),
                    (Some(s), None) => s.name.clone(),
                    (None, None) => String::new(),
                },
                groups: r
                    .groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                pending: r.pending,
            })
            .collect(),
        problems: preview
            .problems
            .iter()
            .map(|x| ProblemRow {
                line: x.line,
                column: x.column,
                value: x.value.clone(),
                reason: m.staff_problem(x.code),
            })
            .collect(),
        ready: preview.ready(),
        csv,
    };
    (status_of(&page.errors), page).into_response()
}

fn refused(
    state: &AppState,
    p: &Principal,
    e: StaffImportError,
    csv: String,
) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    match e {
        StaffImportError::File(e) => errors.add("file", file_reason(words(), &e)),
        StaffImportError::Problems(preview) => return Ok(preview_page(state, p, &preview, csv)),
        StaffImportError::Store(e) => return Err(e.into()),
    }
    Ok(upload_page(state, p, errors))
}

/// POST /admin/users/import/upload (multipart): shows what the file would do.
pub async fn upload(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let relation = require(&p, Resource::Users, Action::Create)?;
    let mut errors = FormErrors::default();
    let Some((csrf, _name, bytes)) = super::school_register::read_upload(multipart).await else {
        errors.add("file", words().spec_upload_unreadable);
        return Ok(upload_page(&state, &p, errors));
    };
    if !p.csrf_ok(&csrf) {
        errors.add("file", words().form_expired);
        return Ok(upload_page(&state, &p, errors));
    }
    if bytes.is_empty() {
        errors.add("file", words().staff_choose_file);
        return Ok(upload_page(&state, &p, errors));
    }
    let scope = scope_of(&state.store, &p, relation).await?;
    let csv = String::from_utf8_lossy(&bytes).into_owned();
    match staff::preview(&state.store, &scope, p.user.role, &bytes).await {
        Ok(preview) => Ok(preview_page(&state, &p, &preview, csv)),
        Err(e) => refused(&state, &p, e, csv),
    }
}

/// The confirmation: the file as previewed.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    csv: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_import_done.html")]
struct DonePage {
    page: PageChrome,
    summary: String,
    invited: Vec<String>,
    pending: Vec<String>,
}

/// POST /admin/users/import: invites everyone in the file, or nobody.
pub async fn confirm(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<ConfirmForm>,
) -> Result<Response, PageError> {
    let relation = require(&p, Resource::Users, Action::Create)?;
    let scope = scope_of(&state.store, &p, relation).await?;
    let bytes = form.csv.as_bytes();
    if !fresh {
        // Show the preview again, with a fresh token: nothing was written.
        return match staff::preview(&state.store, &scope, p.user.role, bytes).await {
            Ok(preview) => Ok(preview_page(&state, &p, &preview, form.csv)),
            Err(e) => refused(&state, &p, e, form.csv),
        };
    }
    let event = rid.actor(&p).event(&state, "user", "create", "allowed");
    let maker = (p.user.role, Some(p.user.id.as_str()));
    match staff::apply(
        &state.store,
        &state.settings.public_url,
        &scope,
        &event,
        maker,
        bytes,
        state.now(),
    )
    .await
    {
        Ok(done) => {
            let (pending, invited): (Vec<_>, Vec<_>) = done.rows.iter().partition(|r| r.pending);
            let email = |r: &&senco_app::staff::PreviewRow| r.row.email.as_str().to_string();
            Ok(DonePage {
                page: PageChrome::signed_in(&state, &p, words().staff_done_title, Section::Users),
                summary: summary(words(), &done),
                invited: invited.iter().map(email).collect(),
                pending: pending.iter().map(email).collect(),
            }
            .into_response())
        }
        Err(e) => refused(&state, &p, e, form.csv),
    }
}

csrf_field!(ConfirmForm);
