//! Signing in and out.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_store::audit::AuditEvent;
use serde::Deserialize;

use super::forms::{Checked, csrf_field};
use super::{FormErrors, PageChrome, PageError, flash_message, request_id};
use crate::AppState;
use crate::auth::{
    ClientAddr, SignedIn, clear_session_cookie, session_cookie, session_principal,
    set_session_cookie,
};
use crate::lang::words;
use senco_app::credentials::{check_passphrase, hash_token, random_token};

#[derive(Debug, Default, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    page: PageChrome,
    errors: FormErrors,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    pub flash: Option<String>,
}

/// GET /sign-in
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FlashQuery>,
) -> Response {
    if session_principal(&state, &headers).await.is_some() {
        return Redirect::to("/").into_response();
    }
    SignInPage {
        page: PageChrome::public(&state, words().sign_in_title)
            .with_flash(flash_message(q.flash.as_deref())),
        errors: FormErrors::default(),
        email: String::new(),
    }
    .into_response()
}

fn auth_event(
    state: &AppState,
    headers: &HeaderMap,
    label: &str,
    role: Option<String>,
    user_id: Option<String>,
    outcome: &'static str,
) -> AuditEvent {
    session_event(state, headers, "sign_in", label, role, user_id, outcome)
}

/// An authentication event (sign-in, second factor, reset, sign-out) for the audit log: who
/// and what happened, never a passphrase, code or token.
pub(super) fn session_event(
    state: &AppState,
    headers: &HeaderMap,
    action: &'static str,
    label: &str,
    role: Option<String>,
    user_id: Option<String>,
    outcome: &'static str,
) -> AuditEvent {
    AuditEvent {
        at: state.now(),
        request_id: request_id(headers),
        channel: "web",
        actor_user_id: user_id,
        actor_label: label.chars().take(254).collect(),
        actor_role: role,
        school_id: None,
        pupil_id: None,
        record_type: "session",
        record_id: None,
        action,
        outcome,
        fields: None,
    }
}

/// POST /sign-in
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let m = words();
    let email = form.email.trim().to_lowercase();
    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.add("email", m.enter_email);
    }
    if form.password.is_empty() {
        errors.add("password", m.enter_passphrase);
    }
    let again = |errors: FormErrors, status: StatusCode| {
        let page = PageChrome::public(&state, m.sign_in_title).with_errors(&errors);
        (
            status,
            SignInPage {
                page,
                errors,
                email: form.email.clone(),
            },
        )
            .into_response()
    };
    if !errors.is_empty() {
        return Ok(again(errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let now = state.now();
    // The attempt is counted before the passphrase is checked, in one serialised step, so
    // a burst of simultaneous guesses gets no more checks than the limit (SR-13). Unknown
    // accounts are counted alike, so throttling reveals nothing, and a throttled attempt is
    // refused before any hashing.
    let attempt = crate::auth::claim_attempt(&state, &email, &address)
        .await
        .map_err(|e| PageError::Internal(e.into()))?;
    let Some(attempt) = attempt else {
        let _ = state
            .store
            .audit(&auth_event(
                &state,
                &headers,
                &email,
                None,
                None,
                "throttled",
            ))
            .await;
        let mut errors = FormErrors::default();
        errors.add("email", m.sign_in_throttled);
        return Ok(again(errors, StatusCode::TOO_MANY_REQUESTS));
    };
    let found = state
        .store
        .user_for_sign_in(&email)
        .await
        .map_err(|e| PageError::Internal(e.into()))?;
    // Unknown or disabled accounts, and accounts without a passphrase, take the same work
    // (a dummy hash) and get the same answer.
    let (user, stored) = match found {
        Some((user, hash)) if !user.disabled => (Some(user), hash),
        _ => (None, None),
    };
    let right = check_passphrase(stored, &form.password).await;
    let Some(user) = user.filter(|_| right) else {
        let _ = state
            .store
            .audit(&auth_event(&state, &headers, &email, None, None, "failed"))
            .await;
        let mut errors = FormErrors::default();
        errors.add("email", m.sign_in_failed);
        return Ok(again(errors, StatusCode::UNPROCESSABLE_ENTITY));
    };
    // Rotate: any session the browser had ends, and a new token is issued.
    if let Some(old) = session_cookie(&headers) {
        let _ = state.store.delete_session(&hash_token(&old)).await;
    }
    let token = random_token();
    let csrf = random_token();
    // With two-factor sign-in on, the session waits for the code.
    let pending = user.two_factor;
    state
        .store
        .insert_session_pending(&hash_token(&token), &user.id, &csrf, pending, now)
        .await
        .map_err(|e| PageError::Internal(e.into()))?;
    let _ = state.store.attempt_succeeded(&attempt).await;
    let _ = state
        .store
        .audit(&auth_event(
            &state,
            &headers,
            &user.email,
            Some(user.role.as_str().to_string()),
            Some(user.id.clone()),
            if pending { "passphrase_ok" } else { "allowed" },
        ))
        .await;
    let target = if pending {
        "/sign-in/code"
    } else if user.must_change_password {
        "/account/passphrase"
    } else {
        "/"
    };
    Ok((
        [(header::SET_COOKIE, set_session_cookie(&token))],
        Redirect::to(target),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// POST /sign-out
pub async fn sign_out(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
    Checked { form: _, fresh }: Checked<CsrfForm>,
) -> Response {
    if !fresh {
        // A sign-out without this session's token (a stale page, or another site) does nothing.
        return Redirect::to("/").into_response();
    }
    if let Some((hash, _)) = &p.session {
        let _ = state.store.delete_session(hash).await;
    }
    let event = session_event(
        &state,
        &headers,
        "sign_out",
        &p.user.email,
        Some(p.user.role.as_str().to_string()),
        Some(p.user.id.clone()),
        "allowed",
    );
    if let Err(e) = state.store.audit(&event).await {
        tracing::error!(error = %e, "auditing a sign-out failed");
    }
    (
        [(header::SET_COOKIE, clear_session_cookie())],
        Redirect::to("/sign-in?flash=signed_out"),
    )
        .into_response()
}

csrf_field!(CsrfForm);
