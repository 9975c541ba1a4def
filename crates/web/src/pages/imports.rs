//! Importing pupils from an MIS CSV export: upload, columns, preview, confirm.
//!
//! The uploaded file is kept (table `pupil_imports`, for its uploader at their school, a
//! day at most) so that the columns can be adjusted and the preview shown as often as
//! needed; confirming runs [`senco_app::imports::commit`], one transaction or nothing.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::policy::{Action, Resource};
use senco_interop::pupils_csv::{self, Field, MAX_BYTES, RowProblem};
use senco_store::imports::{FieldChange, ImportOutcome};
use senco_store::schools::School;

use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SessionExt;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, require};
use senco_app::imports::{CommitError, Preview, PreviewError};
use senco_app::principal::Principal;
use senco_app::transfers::ProbeGuard;

#[derive(Template, WebTemplate)]
#[template(path = "import_upload.html")]
struct UploadPage {
    page: PageChrome,
    errors: FormErrors,
}

/// One field's row of the columns form.
struct MapRow {
    key: &'static str,
    label: &'static str,
    required: bool,
    /// The chosen column, 1-based; 0 for none.
    selected: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    page: PageChrome,
    errors: FormErrors,
    id: String,
    file_name: String,
    encoding: &'static str,
    fields: Vec<MapRow>,
    columns: Vec<(usize, String)>,
    ignored: String,
    rows: usize,
    creates: usize,
    updated: usize,
    unchanged: usize,
    /// Row, UPN and whether the surname differs from the holding school's.
    transfers: Vec<(u64, String, bool)>,
    problems: Vec<RowProblem>,
    updates: Vec<(u64, Vec<FieldChange>)>,
    new_groups: String,
    ready: bool,
    accept: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "import_done.html")]
struct DonePage {
    page: PageChrome,
    outcome: ImportOutcome,
}

/// The caller's school, if they may import pupils into it.
async fn school_of(state: &AppState, p: &Principal) -> Result<School, PageError> {
    require(p, Resource::PupilImport, Action::Create)?;
    let id = p.user.school_id.as_deref().ok_or(PageError::NotFound)?;
    Ok(state.store.school(id).await?)
}

fn upload_page(state: &AppState, p: &Principal, errors: FormErrors) -> Response {
    let status = super::forms::status_of(&errors);
    upload_page_with(state, p, errors, status)
}

/// The account named too many UPNs of other schools' pupils (SR-07): the upload page with
/// the reason, and nothing of the file.
fn too_many_probes(state: &AppState, p: &Principal) -> Response {
    let mut errors = FormErrors::default();
    errors.add("file", words().imp_too_many_probes);
    upload_page_with(state, p, errors, StatusCode::TOO_MANY_REQUESTS)
}

/// The probe guard for this person's imports.
fn guard(state: &AppState, actor: &Actor<'_>) -> ProbeGuard {
    ProbeGuard::new(
        actor.event(state, "pupil", "create", "allowed"),
        &state.settings,
    )
}

fn upload_page_with(
    state: &AppState,
    p: &Principal,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let page = UploadPage {
        page: PageChrome::signed_in(state, p, words().imp_title, Section::Pupils)
            .with_errors(&errors),
        errors,
    };
    (status, page).into_response()
}

/// GET /pupils/import
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> Result<Response, PageError> {
    school_of(&state, &p).await?;
    Ok(upload_page(&state, &p, FormErrors::default()))
}

async fn read_upload(mut multipart: Multipart) -> Option<(String, String, Vec<u8>)> {
    let (mut csrf, mut name, mut bytes) = (String::new(), String::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or("") {
            "file" => {
                name = field.file_name().unwrap_or("").to_string();
                bytes = field.bytes().await.ok()?.to_vec();
            }
            "csrf_token" => csrf = field.text().await.ok()?,
            _ => {}
        }
    }
    Some((csrf, name, bytes))
}

/// POST /pupils/import/upload (multipart): keeps the file and shows its preview.
pub async fn upload(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let school = school_of(&state, &p).await?;
    let mut errors = FormErrors::default();
    let Some((csrf, name, bytes)) = read_upload(multipart).await else {
        errors.add("file", words().spec_upload_unreadable);
        return Ok(upload_page(&state, &p, errors));
    };
    if !p.csrf_ok(&csrf) {
        errors.add("file", words().form_expired);
        return Ok(upload_page(&state, &p, errors));
    }
    if bytes.is_empty() && name.is_empty() {
        errors.add("file", words().imp_choose_file);
        return Ok(upload_page(&state, &p, errors));
    }
    if bytes.len() > MAX_BYTES {
        errors.add(
            "file",
            pupils_csv::FileError::TooLarge { limit: MAX_BYTES }.to_string(),
        );
        return Ok(upload_page(&state, &p, errors));
    }
    if let Err(e) = pupils_csv::parse(&bytes) {
        errors.add("file", e.to_string());
        return Ok(upload_page(&state, &p, errors));
    }
    let name: String = name.chars().take(200).collect();
    let id = state
        .store
        .keep_pupil_import(&school.id, &p.user.id, &name, &bytes, state.now())
        .await?;
    Ok(Redirect::to(&format!("/pupils/import/{id}")).into_response())
}

/// An upload kept for its preview: its id, the name of the file, and what it would do.
struct Upload<'a> {
    id: &'a str,
    file_name: String,
    preview: &'a Preview,
}

fn preview_page(
    state: &AppState,
    p: &Principal,
    upload: Upload<'_>,
    mut errors: FormErrors,
    accept: bool,
    status: StatusCode,
) -> Response {
    let Upload {
        id,
        file_name,
        preview,
    } = upload;
    for m in &preview.mapping_problems {
        let key = m.field().map(Field::key).unwrap_or("upn");
        errors.add(format!("map_{key}"), m.to_string());
    }
    if !preview.problems.is_empty() {
        errors.add_linked("problems", "problems", words().imp_problems_hint);
    }
    let status = if errors.is_empty() {
        status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PreviewPage {
        page: PageChrome::signed_in(state, p, words().imp_title, Section::Pupils)
            .with_errors(&errors),
        errors,
        id: id.to_string(),
        file_name,
        encoding: preview.encoding.label(),
        fields: Field::ALL
            .into_iter()
            .map(|f| MapRow {
                key: f.key(),
                label: f.label(),
                required: f.required(),
                selected: preview.mapping.columns.get(&f).map_or(0, |c| c + 1),
            })
            .collect(),
        columns: preview
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| (i + 1, h.clone()))
            .collect(),
        ignored: preview.ignored.join(", "),
        rows: preview.rows,
        creates: preview.plan.creates.len(),
        updated: preview.plan.updates.len(),
        unchanged: preview.plan.unchanged.len(),
        transfers: preview
            .plan
            .transfers
            .iter()
            .map(|t| (t.row, t.upn.clone(), t.surname_differs))
            .collect(),
        problems: preview.problems.clone(),
        updates: preview
            .plan
            .updates
            .iter()
            .map(|u| (u.row, u.changes.clone()))
            .collect(),
        new_groups: preview.plan.new_reg_groups.join(", "),
        ready: preview.ready(),
        accept,
    };
    (status, page).into_response()
}

/// GET /pupils/import/{id}: the columns as recognised, and the preview.
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school = school_of(&state, &p).await?;
    let (name, bytes) = state
        .store
        .kept_pupil_import(&id, &school.id, &p.user.id)
        .await?;
    let guard = guard(&state, &actor);
    let preview = match senco_app::imports::preview(
        &state.store,
        &school,
        &bytes,
        &[],
        state.today(),
        &guard,
    )
    .await
    {
        Ok(preview) => preview,
        Err(PreviewError::TooManyProbes) => return Ok(too_many_probes(&state, &p)),
        Err(e) => return Err(preview_failure(e)),
    };
    Ok(preview_page(
        &state,
        &p,
        Upload {
            id: &id,
            file_name: name,
            preview: &preview,
        },
        FormErrors::default(),
        false,
        StatusCode::OK,
    ))
}

fn preview_failure(e: PreviewError) -> PageError {
    match e {
        PreviewError::Store(e) => e.into(),
        // The file was checked when it was kept, and the form's columns are numbers.
        e => PageError::Internal(anyhow::anyhow!("kept import no longer reads: {e}")),
    }
}

/// POST /pupils/import/{id}: check again with the chosen columns, or confirm.
pub async fn submit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school = school_of(&state, &p).await?;
    let (name, bytes) = state
        .store
        .kept_pupil_import(&id, &school.id, &p.user.id)
        .await?;
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    // Columns are chosen by number; anything else means "not in the file".
    let pairs: Vec<(String, String)> = Field::ALL
        .into_iter()
        .filter_map(|f| {
            form.iter()
                .find(|(k, _)| k.strip_prefix("map_") == Some(f.key()))
                .map(|(_, v)| {
                    let v = v.trim();
                    let column = if v.parse::<usize>().is_ok_and(|n| n > 0) {
                        v.to_string()
                    } else {
                        String::new()
                    };
                    (f.key().to_string(), column)
                })
        })
        .collect();
    let accept = get("accept_transfers") == "yes";
    let today = state.today();
    let guard = guard(&state, &actor);
    let preview =
        match senco_app::imports::preview(&state.store, &school, &bytes, &pairs, today, &guard)
            .await
        {
            Ok(preview) => preview,
            Err(PreviewError::TooManyProbes) => return Ok(too_many_probes(&state, &p)),
            Err(e) => return Err(preview_failure(e)),
        };
    let mut errors = FormErrors::default();
    if !p.csrf_ok(get("csrf_token")) {
        errors.add("map_upn", words().form_expired);
        return Ok(preview_page(
            &state,
            &p,
            Upload {
                id: &id,
                file_name: name,
                preview: &preview,
            },
            errors,
            accept,
            StatusCode::OK,
        ));
    }
    if get("action") != "confirm" || !preview.ready() {
        return Ok(preview_page(
            &state,
            &p,
            Upload {
                id: &id,
                file_name: name,
                preview: &preview,
            },
            errors,
            accept,
            StatusCode::OK,
        ));
    }
    if !preview.plan.transfers.is_empty() && !accept {
        errors.add("accept_transfers", words().imp_accept_required);
        return Ok(preview_page(
            &state,
            &p,
            Upload {
                id: &id,
                file_name: name,
                preview: &preview,
            },
            errors,
            accept,
            StatusCode::OK,
        ));
    }
    match senco_app::imports::commit(
        &state.store,
        &senco_app::imports::CommitImport {
            school: &school,
            bytes: &bytes,
            pairs: &pairs,
            accept_transfers: accept,
            guard: &guard,
            today,
            now: state.now(),
            kept: Some(&id),
        },
    )
    .await
    {
        Ok(outcome) => {
            let page = DonePage {
                page: PageChrome::signed_in(&state, &p, words().imp_done_title, Section::Pupils),
                outcome,
            };
            Ok(page.into_response())
        }
        Err(CommitError::NotReady(again) | CommitError::TransfersNotAccepted(again)) => {
            errors.add("map_upn", words().imp_changed_meanwhile);
            Ok(preview_page(
                &state,
                &p,
                Upload {
                    id: &id,
                    file_name: name,
                    preview: &again,
                },
                errors,
                accept,
                StatusCode::OK,
            ))
        }
        Err(CommitError::Preview(PreviewError::TooManyProbes)) => Ok(too_many_probes(&state, &p)),
        Err(CommitError::Preview(e)) => Err(preview_failure(e)),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}
