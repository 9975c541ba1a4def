//! Waiting for your approval (issue 16, point 2; SR-02): accounts with SEN access asked for
//! by someone without it, and parents' sign-ins linked to a child by someone without it.
//! A school's SENCO or head teacher decides their school's; administrators decide accounts
//! of no school (and of schools with neither), never their own requests. Approving an
//! account enables it and emails its invitation; approving a link gives the parent the
//! child's record (and an invitation when they have no passphrase yet). Each decision is
//! audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::policy::{Action, Relation, Resource};
use senco_store::approvals::{ApprovalScope, PendingAccount};
use senco_store::schools::SchoolScope;
use senco_store::{Store, StoreError};

use super::forms::Checked;
use super::forms::Fields;
use super::retention::FlashQuery;
use super::{PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, require};
use senco_app::approvals::{invite, may_decide_account, may_decide_link};
use senco_app::principal::Principal;

struct AccountRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    asked_by: String,
}

struct LinkRow {
    contact_id: String,
    child: String,
    contact: String,
    email: String,
    asked_by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "approvals.html")]
struct ListPage {
    page: PageChrome,
    accounts: Vec<AccountRow>,
    links: Vec<LinkRow>,
    show_links: bool,
    error: Option<&'static str>,
}

/// What the caller decides: their school's requests, or the installation's.
async fn scope_of(
    state: &AppState,
    p: &Principal,
    action: Action,
) -> Result<ApprovalScope, PageError> {
    match require(p, Resource::AccessApprovals, action)? {
        Relation::OwnSchool => Ok(ApprovalScope::School(
            p.user.school_id.clone().ok_or(PageError::NotFound)?,
        )),
        Relation::Installation => {
            let ids: Vec<String> = state
                .store
                .schools(&SchoolScope::All)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
            Ok(ApprovalScope::Installation {
                orphans: state.store.schools_without_approvers(&ids).await?,
            })
        }
        _ => Err(PageError::NotFound),
    }
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    flash: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<Response, PageError> {
    let scope = scope_of(state, p, Action::Read).await?;
    let accounts = state
        .store
        .pending_accounts(&scope)
        .await?
        .into_iter()
        .filter(|a| a.requested_by.as_deref() != Some(p.user.id.as_str()))
        .map(|a| AccountRow {
            id: a.id,
            name: a.name,
            email: a.email,
            role: a.role.label(),
            asked_by: a.requested_label,
        })
        .collect();
    let (links, show_links) = match &scope {
        ApprovalScope::School(school) => {
            let links = state.store.pending_links(school).await?;
            let ids: Vec<String> = links.iter().map(|l| l.pupil_id.clone()).collect();
            let pupils = state.store.pupils_by_ids(&p.scope(), &ids).await?;
            let rows = links
                .into_iter()
                .filter_map(|l| {
                    let pupil = pupils.get(&l.pupil_id)?;
                    Some(LinkRow {
                        contact_id: l.contact_id,
                        child: pupil.display_name(),
                        contact: format!("{} ({})", l.contact_name, l.relationship),
                        email: l.email,
                        asked_by: l.requested_label,
                    })
                })
                .collect();
            (rows, true)
        }
        ApprovalScope::Installation { .. } => (Vec::new(), false),
    };
    let page = PageChrome::signed_in(state, p, words().appr_title, Section::None).with_flash(flash);
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ListPage {
            page,
            accounts,
            links,
            show_links,
            error,
        },
    )
        .into_response())
}

/// GET /admin/approvals
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let flash = super::flash_message(q.flash.as_deref());
    list_page(&state, &p, flash, None).await
}

fn decision(form: &Fields) -> Option<bool> {
    match form.get("action").as_str() {
        "approve" => Some(true),
        "refuse" => Some(false),
        _ => None,
    }
}

/// An account the caller may decide, or 404 (audited as a refusal).
async fn account_for(
    state: &AppState,
    actor: &Actor<'_>,
    id: &str,
) -> Result<PendingAccount, PageError> {
    let p = actor.principal;
    let scope = scope_of(state, p, Action::Update).await?;
    let account = match state.store.pending_account(id).await {
        Ok(a) => Some(a),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let orphaned = |a: &PendingAccount| match (&scope, &a.approval_school_id) {
        (ApprovalScope::Installation { orphans }, Some(s)) => orphans.contains(s),
        _ => false,
    };
    match account {
        Some(a)
            if may_decide_account(
                p.user.role,
                &p.user.id,
                p.user.school_id.as_deref(),
                &a,
                orphaned(&a),
            ) =>
        {
            Ok(a)
        }
        _ => {
            let e = actor
                .event(state, "user", "update", "denied")
                .record(id.chars().take(64).collect::<String>())
                .fields("approval".to_string());
            state.store.audit(&e).await?;
            Err(PageError::NotFound)
        }
    }
}

/// POST /admin/approvals/accounts/{id}: `action=approve` or `action=refuse`.
pub async fn decide_account(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let account = account_for(&state, &actor, &id).await?;
    let Some(approve) = decision(&form).filter(|_| fresh) else {
        return Ok(Redirect::to("/admin/approvals").into_response());
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    match Store::decide_account(&mut tx, &account.id, approve, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            drop(tx);
            return list_page(&state, &p, None, Some(words().appr_decided_meanwhile)).await;
        }
        Err(e) => return Err(e.into()),
    }
    if approve {
        invite(&mut tx, &state, &account.id, &account.email, now).await?;
    }
    let e = actor
        .event(&state, "user", "update", "allowed")
        .record(account.id.clone())
        .school(account.school_id.clone())
        .fields(if approve { "approved" } else { "refused" }.to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    let flash = if approve {
        "approval_approved"
    } else {
        "approval_refused"
    };
    Ok(Redirect::to(&format!("/admin/approvals?flash={flash}")).into_response())
}

/// POST /admin/approvals/links/{contact_id}: `action=approve` or `action=refuse`.
pub async fn decide_link(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(contact_id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let scope = scope_of(&state, &p, Action::Update).await?;
    let link = match &scope {
        ApprovalScope::School(school) => state.store.pending_link(&contact_id, school).await.ok(),
        ApprovalScope::Installation { .. } => None,
    };
    let Some(link) =
        link.filter(|l| may_decide_link(p.user.role, &p.user.id, p.user.school_id.as_deref(), l))
    else {
        let e = actor
            .event(&state, "contact", "update", "denied")
            .record(contact_id.chars().take(64).collect::<String>())
            .fields("user_id".to_string());
        state.store.audit(&e).await?;
        return Err(PageError::NotFound);
    };
    let Some(approve) = decision(&form).filter(|_| fresh) else {
        return Ok(Redirect::to("/admin/approvals").into_response());
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    match Store::decide_link(&mut tx, &link.contact_id, &link.user_id, approve, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            drop(tx);
            return list_page(&state, &p, None, Some(words().appr_decided_meanwhile)).await;
        }
        Err(e) => return Err(e.into()),
    }
    if approve && !state.store.has_passphrase(&link.user_id).await? {
        invite(&mut tx, &state, &link.user_id, &link.email, now).await?;
    }
    let e = actor
        .event(&state, "contact", "update", "allowed")
        .school(link.school_id.clone())
        .pupil(link.pupil_id.clone())
        .record(link.contact_id.clone())
        .fields(if approve { "user_id" } else { "link_refused" }.to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    let flash = if approve {
        "approval_approved"
    } else {
        "approval_refused"
    };
    Ok(Redirect::to(&format!("/admin/approvals?flash={flash}")).into_response())
}
