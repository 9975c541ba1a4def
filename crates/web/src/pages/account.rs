//! The signed-in person's own account: choosing a new passphrase.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::person::{Passphrase, PassphraseError};
use senco_store::Store;
use serde::Deserialize;

use super::forms::{Checked, csrf_field};
use super::sign_in::session_event;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::{ClientAddr, SignedIn, claim_attempt, set_session_cookie};
use crate::http::RequestId;
use crate::lang::words;
use senco_app::credentials::{
    check_passphrase, hash_passphrase_off_thread, hash_token, random_token,
};
use senco_app::principal::Principal;

#[derive(Template, WebTemplate)]
#[template(path = "passphrase.html")]
struct PassphrasePage {
    page: PageChrome,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct PassphraseForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Checks a new passphrase and its confirmation (fields `new` and `confirm`).
pub(super) fn new_passphrase(
    new: &str,
    confirm: &str,
    errors: &mut FormErrors,
) -> Option<Passphrase> {
    let m = words();
    let parsed = match Passphrase::parse(new) {
        Ok(n) => Some(n),
        Err(PassphraseError::TooShort { .. }) => {
            errors.add("new", m.passphrase_too_short);
            None
        }
        Err(PassphraseError::TooLong { .. }) => {
            errors.add("new", m.passphrase_too_long);
            None
        }
        Err(PassphraseError::TooCommon) => {
            errors.add("new", m.passphrase_too_common);
            None
        }
    };
    if parsed.is_some() && new != confirm {
        errors.add("confirm", m.passphrases_differ);
    }
    parsed
}

/// GET /account/passphrase
pub async fn show(State(state): State<AppState>, SignedIn(p): SignedIn) -> Response {
    PassphrasePage {
        page: PageChrome::signed_in(&state, &p, words().change_passphrase_title, Section::None),
        errors: FormErrors::default(),
    }
    .into_response()
}

/// What checking a signed-in person's current passphrase found.
pub(super) enum Reauthenticated {
    Yes,
    Wrong,
    /// Too many wrong passphrases for the account or from the address: not checked.
    Throttled,
}

/// Checks a signed-in person's current passphrase (the account page, replacing a two-factor
/// key). Like a sign-in it is counted before it is checked, with sign-in's counter for the
/// account and the address, so a session left open gives no more guesses than the sign-in
/// page (SR-13); a throttled attempt is refused before any hashing. Each check is audited
/// as `reauthenticate`, never with what was typed (SR-28). An empty field is no attempt.
pub(super) async fn reauthenticate(
    state: &AppState,
    p: &Principal,
    headers: &HeaderMap,
    address: &str,
    typed: &str,
) -> Result<Reauthenticated, senco_store::StoreError> {
    if typed.is_empty() {
        return Ok(Reauthenticated::Wrong);
    }
    let event = |outcome: &'static str| {
        session_event(
            state,
            headers,
            "reauthenticate",
            &p.user.email,
            Some(p.user.role.as_str().to_string()),
            Some(p.user.id.clone()),
            outcome,
        )
    };
    let Some(attempt) = claim_attempt(state, &p.user.email.to_lowercase(), address).await? else {
        state.store.audit(&event("throttled")).await?;
        return Ok(Reauthenticated::Throttled);
    };
    let stored = state
        .store
        .user_for_sign_in(&p.user.email)
        .await?
        .and_then(|(_, hash)| hash);
    if check_passphrase(stored, typed).await {
        state.store.attempt_succeeded(&attempt).await?;
        state.store.audit(&event("allowed")).await?;
        Ok(Reauthenticated::Yes)
    } else {
        state.store.audit(&event("failed")).await?;
        Ok(Reauthenticated::Wrong)
    }
}

/// POST /account/passphrase: checks the current passphrase, stores the new one, ends every
/// other session and token, and starts a fresh session.
pub async fn submit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    ClientAddr(address): ClientAddr,
    rid: RequestId,
    headers: HeaderMap,
    Checked { form, fresh }: Checked<PassphraseForm>,
) -> Result<Response, PageError> {
    let m = words();
    let mut errors = FormErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if !fresh {
        errors.add("current", m.form_expired);
    } else {
        match reauthenticate(&state, &p, &headers, &address, &form.current).await {
            Ok(Reauthenticated::Yes) => {}
            Ok(Reauthenticated::Wrong) => errors.add("current", m.current_passphrase_wrong),
            Ok(Reauthenticated::Throttled) => {
                errors.add("current", m.current_passphrase_throttled);
                status = StatusCode::TOO_MANY_REQUESTS;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let new = new_passphrase(&form.new, &form.confirm, &mut errors);
    let (Some(new), true) = (new, errors.is_empty()) else {
        let page = PageChrome::signed_in(&state, &p, m.change_passphrase_title, Section::None)
            .with_errors(&errors);
        return Ok((status, PassphrasePage { page, errors }).into_response());
    };
    let token = async {
        let hash = hash_passphrase_off_thread(&new).await?;
        let now = state.now();
        let mut tx = state.store.begin().await?;
        Store::set_password(&mut tx, &p.user.id, &hash, false, now).await?;
        let actor = rid.actor(&p);
        let e = actor
            .event(&state, "user", "update", "allowed")
            .record(p.user.id.clone())
            .school(p.user.school_id.clone())
            .fields("password".to_string());
        Store::audit_in(&mut tx, &e).await?;
        senco_store::commit(tx).await?;
        let token = random_token();
        state
            .store
            .insert_session(&hash_token(&token), &p.user.id, &random_token(), now)
            .await?;
        Ok::<_, anyhow::Error>(token)
    }
    .await
    .map_err(PageError::Internal)?;
    Ok((
        [(header::SET_COOKIE, set_session_cookie(&token))],
        Redirect::to("/?flash=passphrase_changed"),
    )
        .into_response())
}

csrf_field!(PassphraseForm);
