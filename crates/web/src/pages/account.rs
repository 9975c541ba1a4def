//! The signed-in person's own account: choosing a new passphrase.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::person::{Passphrase, PassphraseError};
use senco_store::Store;
use serde::Deserialize;

use super::{FormErrors, PageChrome, PageError, Section, render_error, request_id};
use crate::AppState;
use crate::access::Actor;
use crate::auth::{
    SignedIn, hash_passphrase, hash_token, random_token, set_session_cookie, verify_passphrase,
};
use crate::i18n::EN;

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
    let m = &EN;
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
        page: PageChrome::signed_in(&state, &p, EN.change_passphrase_title, Section::None),
        errors: FormErrors::default(),
    }
    .into_response()
}

/// POST /account/passphrase: checks the current passphrase, stores the new one, ends every
/// other session and token, and starts a fresh session.
pub async fn submit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
    Form(form): Form<PassphraseForm>,
) -> Response {
    let m = &EN;
    let mut errors = FormErrors::default();
    if !p.csrf_ok(&form.csrf_token) {
        errors.add("current", m.form_expired);
    }
    let stored = match state.store.user_for_sign_in(&p.user.email).await {
        Ok(Some((_, hash))) => hash.unwrap_or_default(),
        Ok(None) => return render_error(&state, &headers, PageError::NotFound),
        Err(e) => return render_error(&state, &headers, e.into()),
    };
    if errors.is_empty() && !verify_passphrase(&stored, &form.current) {
        errors.add("current", m.current_passphrase_wrong);
    }
    let new = new_passphrase(&form.new, &form.confirm, &mut errors);
    let (Some(new), true) = (new, errors.is_empty()) else {
        let page = PageChrome::signed_in(&state, &p, m.change_passphrase_title, Section::None)
            .with_errors(&errors);
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            PassphrasePage { page, errors },
        )
            .into_response();
    };
    let result = async {
        let hash = hash_passphrase(&new)?;
        let now = state.now();
        let mut tx = state.store.begin().await?;
        Store::set_password(&mut tx, &p.user.id, &hash, false, now).await?;
        let actor = Actor {
            principal: &p,
            request_id: request_id(&headers),
        };
        let mut e = actor.event(&state, "user", "update", "allowed");
        e.record_id = Some(p.user.id.clone());
        e.school_id = p.user.school_id.clone();
        e.fields = Some("password".to_string());
        Store::audit_in(&mut tx, &e).await?;
        senco_store::commit(tx).await?;
        let token = random_token();
        state
            .store
            .insert_session(&hash_token(&token), &p.user.id, &random_token(), now)
            .await?;
        Ok::<_, anyhow::Error>(token)
    }
    .await;
    match result {
        Ok(token) => (
            [(header::SET_COOKIE, set_session_cookie(&token))],
            Redirect::to("/?flash=passphrase_changed"),
        )
            .into_response(),
        Err(e) => render_error(&state, &headers, PageError::Internal(e)),
    }
}
