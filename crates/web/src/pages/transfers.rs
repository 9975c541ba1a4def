//! Transfers between schools (SR-07): the requests a school's imports filed, and those it
//! must decide because it holds the pupil's record. The holding school's SENCO or head
//! teacher releases the record (the pupil and everything of theirs move) or declines; an
//! officer of the holding school's authority may decide for it. Everyone else who may read
//! them (the requesting school's staff who import) follows their progress.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::policy::{Action, Relation, Resource};
use senco_domain::role::Role;
use senco_store::StoreError;
use senco_store::schools::SchoolScope;
use senco_store::transfers::{DecidedAs, TransferRequest, TransferStatus};

use super::forms::Checked;
use super::forms::Fields;
use super::retention::FlashQuery;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, require};
use senco_app::principal::Principal;
use senco_app::transfers::{DecideError, decide};

/// A request as a table row.
struct Row {
    id: String,
    upn: String,
    name: String,
    other_school: String,
    asked: String,
    status: &'static str,
    surname_differs: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "transfers.html")]
struct ListPage {
    page: PageChrome,
    to_decide: Vec<Row>,
    asked: Vec<Row>,
    decided: Vec<Row>,
}

#[derive(Template, WebTemplate)]
#[template(path = "transfer.html")]
struct RequestPage {
    page: PageChrome,
    errors: FormErrors,
    row: Row,
    /// The holding school's own record of the pupil, for those who may read it.
    held_name: Option<String>,
    held_dob: Option<String>,
    requested_by: String,
    from_school: String,
    to_school: String,
    may_decide: bool,
}

/// The schools whose requests the caller sees, and how they stand to them.
async fn schools_of(
    state: &AppState,
    p: &Principal,
    action: Action,
) -> Result<(Vec<String>, Relation), PageError> {
    let relation = require(p, Resource::PupilTransfers, action)?;
    let schools = match (relation, &p.user.school_id, &p.user.la_id) {
        (Relation::OwnSchool, Some(school), _) => vec![school.clone()],
        (Relation::OwnAuthority, _, Some(la)) => state
            .store
            .schools(&SchoolScope::Authority(la.clone()))
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect(),
        _ => return Err(PageError::NotFound),
    };
    Ok((schools, relation))
}

fn status_label(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Pending => words().tr_status_pending,
        TransferStatus::Released => words().tr_status_released,
        TransferStatus::Declined => words().tr_status_declined,
    }
}

async fn school_names(
    state: &AppState,
    requests: &[TransferRequest],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut ids: Vec<String> = requests
        .iter()
        .flat_map(|r| [r.from_school_id.clone(), r.to_school_id.clone()])
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(state
        .store
        .schools(&SchoolScope::Schools(ids))
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

fn row_of(
    r: &TransferRequest,
    names: &std::collections::HashMap<String, String>,
    ours: &[String],
) -> Row {
    // The other school: who asked, on the holding side; who holds, on the asking side.
    let other = if ours.contains(&r.from_school_id) {
        &r.to_school_id
    } else {
        &r.from_school_id
    };
    Row {
        id: r.id.clone(),
        upn: r.upn.clone(),
        name: format!("{} {}", r.legal_forename, r.legal_surname),
        other_school: names.get(other).cloned().unwrap_or_default(),
        asked: words().long_date(senco_domain::calendar::london_date(r.requested_at)),
        status: status_label(r.status),
        surname_differs: r.surname_differs,
    }
}

/// GET /transfers
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (schools, _) = schools_of(&state, &p, Action::Read).await?;
    let requests = state.store.transfer_requests(&schools).await?;
    let names = school_names(&state, &requests).await?;
    let (mut to_decide, mut asked, mut decided) = (Vec::new(), Vec::new(), Vec::new());
    for r in &requests {
        let row = row_of(r, &names, &schools);
        if schools.contains(&r.from_school_id) {
            if r.status == TransferStatus::Pending {
                to_decide.push(row);
            } else {
                decided.push(row);
            }
        } else {
            asked.push(row);
        }
    }
    let e = actor
        .event(&state, "transfer_request", "list", "allowed")
        .school(p.user.school_id.clone());
    state.audit.read(e).await;
    let page = PageChrome::signed_in(&state, &p, words().tr_title, Section::None)
        .with_flash(super::flash_message(q.flash.as_deref()));
    Ok(ListPage {
        page,
        to_decide,
        asked,
        decided,
    }
    .into_response())
}

/// A request the caller may see, or 404 (audited as a refusal, like a missing one).
async fn load(
    state: &AppState,
    actor: &Actor<'_>,
    id: &str,
    action: Action,
) -> Result<(TransferRequest, Vec<String>), PageError> {
    let p = actor.principal;
    let (schools, _) = schools_of(state, p, action).await?;
    match state.store.transfer_request(id, &schools).await {
        Ok(r) => Ok((r, schools)),
        Err(StoreError::NotFound) => {
            let e = actor
                .event(state, "transfer_request", "read", "denied")
                .record(id.chars().take(64).collect::<String>());
            state.store.audit(&e).await?;
            Err(PageError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

async fn request_page(
    state: &AppState,
    p: &Principal,
    r: &TransferRequest,
    schools: &[String],
    errors: FormErrors,
) -> Result<Response, PageError> {
    let names = school_names(state, std::slice::from_ref(r)).await?;
    let holds = schools.contains(&r.from_school_id);
    let may_decide = holds
        && r.status == TransferStatus::Pending
        && require(p, Resource::PupilTransfers, Action::Update).is_ok();
    // The holding school's own record, through the caller's scope (an officer's reaches it
    // only where the school has shared it).
    let held = if holds {
        state
            .store
            .pupils_by_ids(&p.scope(), std::slice::from_ref(&r.pupil_id))
            .await?
            .remove(&r.pupil_id)
            .filter(|pupil| pupil.school_id == r.from_school_id)
    } else {
        None
    };
    let status = super::forms::status_of(&errors);
    let page = PageChrome::signed_in(state, p, words().tr_request_title, Section::None)
        .with_errors(&errors);
    Ok((
        status,
        RequestPage {
            page,
            errors,
            row: row_of(r, &names, schools),
            held_name: held
                .as_ref()
                .map(|h| format!("{} {}", h.legal_forename, h.legal_surname)),
            held_dob: held.as_ref().map(|h| words().long_date(h.date_of_birth)),
            requested_by: r.requested_label.clone(),
            from_school: names.get(&r.from_school_id).cloned().unwrap_or_default(),
            to_school: names.get(&r.to_school_id).cloned().unwrap_or_default(),
            may_decide,
        },
    )
        .into_response())
}

/// GET /transfers/{id}
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (r, schools) = load(&state, &actor, &id, Action::Read).await?;
    let e = actor
        .event(&state, "transfer_request", "read", "allowed")
        .school(r.from_school_id.clone())
        .pupil(r.pupil_id.clone())
        .record(r.id.clone());
    state.audit.read(e).await;
    request_page(&state, &p, &r, &schools, FormErrors::default()).await
}

/// POST /transfers/{id}: `action=release` (with `confirm=yes`) or `action=decline`, by the
/// holding school's SENCO or head teacher, or an officer of its authority.
pub async fn decide_request(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (r, schools) = load(&state, &actor, &id, Action::Update).await?;
    // Only the holding side decides: the asking school sees the request, never decides it.
    if !schools.contains(&r.from_school_id) {
        let e = actor
            .event(&state, "transfer_request", "update", "denied")
            .school(r.from_school_id.clone())
            .pupil(r.pupil_id.clone())
            .record(r.id.clone());
        state.store.audit(&e).await?;
        return Err(PageError::NotFound);
    }
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("confirm", words().form_expired);
        return request_page(&state, &p, &r, &schools, errors).await;
    }
    let release = match form.get("action").as_str() {
        "release" => true,
        "decline" => false,
        _ => {
            errors.add("confirm", words().tr_choose);
            return request_page(&state, &p, &r, &schools, errors).await;
        }
    };
    if release && !form.has("confirm", "yes") {
        errors.add("confirm", words().tr_confirm_error);
        return request_page(&state, &p, &r, &schools, errors).await;
    }
    let decided_as = if p.user.role == Role::LaOfficer {
        DecidedAs::Authority
    } else {
        DecidedAs::School
    };
    let audit = actor.event(&state, "transfer_request", "update", "allowed");
    match decide(&state.store, &r, release, decided_as, &audit, state.today()).await {
        Ok(()) => {}
        Err(DecideError::NotPending) => {
            errors.add("confirm", words().tr_decided_meanwhile);
            let mut response = request_page(&state, &p, &r, &schools, errors).await?;
            *response.status_mut() = StatusCode::CONFLICT;
            return Ok(response);
        }
        Err(DecideError::Store(e)) => return Err(e.into()),
    }
    let flash = if release {
        "transfer_released"
    } else {
        "transfer_declined"
    };
    Ok(Redirect::to(&format!("/transfers?flash={flash}")).into_response())
}
