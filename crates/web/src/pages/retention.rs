//! Records due for destruction (SR-30): the school's retention reviews for the SENCO and the
//! head teacher, each decided on its own page: approve destruction (with a confirmation), or
//! keep the records for a documented reason until a date when they are reviewed again.
//! Approved records are destroyed by the daily run (or `senco retention destroy`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Resource};
use senco_domain::retention::RecordClass;
use senco_store::StoreError;
use senco_store::retention::{Decision, RetentionReview, ReviewStatus};
use serde::Deserialize;

use super::forms::Checked;
use super::forms::Fields;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::require;
use senco_app::principal::Principal;
use senco_i18n::Messages;

/// `?flash=...`
#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    pub flash: Option<String>,
}

/// A review as a table row.
struct Row {
    id: String,
    name: String,
    dob: String,
    class: &'static str,
    due: String,
    status: String,
    open: bool,
}

/// A destruction log row as shown.
struct LogRow {
    pupil_id: String,
    class: &'static str,
    destroyed: String,
    rows: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "retention.html")]
struct ListPage {
    page: PageChrome,
    rows: Vec<Row>,
    log: Vec<LogRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "retention_review.html")]
struct ReviewPage {
    page: PageChrome,
    errors: FormErrors,
    row: Row,
    reason: String,
    kept_reason: Option<String>,
    until_day: String,
    until_month: String,
    until_year: String,
}

fn class_label(m: &Messages, class: RecordClass) -> &'static str {
    match class {
        RecordClass::SenFile => m.ret_class_sen_file,
        RecordClass::PupilRecord => m.ret_class_pupil_record,
        RecordClass::TransferredOut => m.ret_class_transferred_out,
    }
}

fn row_of(r: &RetentionReview) -> Row {
    let m = words();
    let status = match (r.status, r.keep_until) {
        (ReviewStatus::Pending, _) => m.ret_status_pending.to_string(),
        (ReviewStatus::Approved, _) => m.ret_status_approved.to_string(),
        (ReviewStatus::Kept, Some(d)) => format!("{} {}", m.ret_status_kept, words().long_date(d)),
        (ReviewStatus::Kept, None) => m.ret_status_kept.to_string(),
    };
    Row {
        id: r.id.clone(),
        name: r.pupil_name.clone(),
        dob: words().long_date(r.date_of_birth),
        class: class_label(m, r.class),
        due: words().long_date(r.due_on),
        status,
        open: r.status != ReviewStatus::Approved,
    }
}

/// The caller's school, if they may act on its retention reviews.
fn retention_school(p: &Principal, action: Action) -> Result<String, PageError> {
    require(p, Resource::Retention, action)?;
    p.user.school_id.clone().ok_or(PageError::NotFound)
}

fn internal(e: StoreError) -> PageError {
    PageError::Internal(e.into())
}

/// GET /retention
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school_id = retention_school(&p, Action::Read)?;
    let reviews = state
        .store
        .retention_reviews(&p.scope(), Some(&school_id))
        .await
        .map_err(internal)?;
    let log = state
        .store
        .destruction_log(Some(&school_id))
        .await
        .map_err(internal)?;
    let e = actor
        .event(&state, "retention_review", "list", "allowed")
        .school(school_id.clone());
    state.audit.read(e).await;
    let page = PageChrome::signed_in(&state, &p, words().ret_title, Section::None)
        .with_flash(super::flash_message(q.flash.as_deref()));
    Ok(ListPage {
        page,
        rows: reviews.iter().map(row_of).collect(),
        log: log
            .iter()
            .map(|l| LogRow {
                pupil_id: l.pupil_id.clone(),
                class: class_label(words(), l.class),
                destroyed: words().long_date(senco_domain::calendar::london_date(l.destroyed_at)),
                rows: l.rows_removed,
            })
            .collect(),
    }
    .into_response())
}

/// A review of the caller's school, through their scope.
async fn load(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> Result<RetentionReview, PageError> {
    let school_id = retention_school(p, action)?;
    match state.store.retention_review(&p.scope(), id).await {
        Ok(r) if r.school_id == school_id => Ok(r),
        Ok(_) | Err(StoreError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(internal(e)),
    }
}

fn review_page(
    state: &AppState,
    p: &Principal,
    r: &RetentionReview,
    form: &Fields,
    errors: FormErrors,
) -> Response {
    let page = PageChrome::signed_in(state, p, words().ret_review_title, Section::None)
        .with_errors(&errors);
    let status = super::forms::status_of(&errors);
    (
        status,
        ReviewPage {
            page,
            errors,
            row: row_of(r),
            reason: form.get("reason"),
            kept_reason: r.reason.clone(),
            until_day: form.get("keep_until_day"),
            until_month: form.get("keep_until_month"),
            until_year: form.get("keep_until_year"),
        },
    )
        .into_response()
}

/// GET /retention/{id}
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let r = load(&state, &p, &id, Action::Read).await?;
    let e = actor
        .event(&state, "retention_review", "read", "allowed")
        .school(r.school_id.clone())
        .pupil(r.pupil_id.clone())
        .record(r.id.clone());
    state.audit.read(e).await;
    Ok(review_page(
        &state,
        &p,
        &r,
        &Fields::default(),
        FormErrors::default(),
    ))
}

/// POST /retention/{id}: `action=approve` (with `confirm=yes`) or `action=keep` (with a
/// reason and a date after today).
pub async fn decide(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let r = load(&state, &p, &id, Action::Update).await?;
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("confirm", words().form_expired);
        return Ok(review_page(&state, &p, &r, &form, errors));
    }
    let decision = match form.get("action").as_str() {
        "approve" => {
            if !form.has("confirm", "yes") {
                errors.add("confirm", words().ret_confirm_error);
            }
            Decision::Approve
        }
        _ => {
            let reason = form.get("reason").trim().to_string();
            if reason.is_empty() {
                errors.add("reason", words().ret_reason_error);
            }
            let until = match form.date("keep_until") {
                Entry::Valid(d) if d > state.today() => Some(d),
                _ => {
                    errors.add_linked("keep_until", "keep_until-day", words().ret_until_error);
                    None
                }
            };
            match until {
                Some(until) => Decision::Keep { reason, until },
                None => Decision::Approve,
            }
        }
    };
    if !errors.is_empty() {
        return Ok(review_page(&state, &p, &r, &form, errors));
    }
    let mut tx = state.store.begin().await.map_err(internal)?;
    match senco_store::Store::decide_retention(&mut tx, &r.id, &decision, &p.user.id, state.now())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            errors.add("confirm", words().ret_decided_meanwhile);
            let mut response = review_page(&state, &p, &r, &form, errors);
            *response.status_mut() = StatusCode::CONFLICT;
            return Ok(response);
        }
        Err(e) => return Err(internal(e)),
    }
    let mut e = actor
        .event(&state, "retention_review", "update", "allowed")
        .school(r.school_id.clone())
        .pupil(r.pupil_id.clone())
        .record(r.id.clone());
    e.fields = Some(match decision {
        Decision::Approve => "status".into(),
        Decision::Keep { .. } => "status,reason,keep_until".into(),
    });
    senco_store::Store::audit_in(&mut tx, &e)
        .await
        .map_err(internal)?;
    senco_store::commit(tx).await.map_err(internal)?;
    let flash = match decision {
        Decision::Approve => "retention_approved",
        Decision::Keep { .. } => "retention_kept",
    };
    Ok(Redirect::to(&format!("/retention?flash={flash}")).into_response())
}
