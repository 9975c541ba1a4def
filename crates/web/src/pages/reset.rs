//! Forgotten passphrases (SR-18): a link by email that works once, for 30 minutes, and
//! answers the same whether or not the address has an account. A reset never skips the
//! two-factor code: the person signs in afresh afterwards.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use senco_store::Store;
use serde::Deserialize;

use super::account::new_passphrase;
use super::sign_in::session_event;
use super::{FormErrors, PageChrome, PageError};
use crate::AppState;
use crate::auth::ClientAddr;
use crate::lang::words;
use senco_app::credentials::{hash_passphrase_off_thread, hash_token, random_token};

/// How long a reset link works.
pub const RESET_LIFETIME: time::Duration = time::Duration::minutes(30);

#[derive(Template, WebTemplate)]
#[template(path = "forgot.html")]
struct ForgotPage {
    page: PageChrome,
    errors: FormErrors,
    email: String,
    sent: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// GET /sign-in/forgot
pub async fn forgot(State(state): State<AppState>) -> Response {
    ForgotPage {
        page: PageChrome::public(&state, words().forgot_title),
        errors: FormErrors::default(),
        email: String::new(),
        sent: false,
    }
    .into_response()
}

/// POST /sign-in/forgot: the same answer for every well-formed address.
pub async fn forgot_submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, PageError> {
    let email = form.email.trim().to_lowercase();
    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.add("email", words().enter_email);
    } else if !email.contains('@') || email.len() > 254 {
        errors.add("email", words().email_format);
    }
    if !errors.is_empty() {
        let page = PageChrome::public(&state, words().forgot_title).with_errors(&errors);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ForgotPage {
                page,
                errors,
                email: form.email,
                sent: false,
            },
        )
            .into_response());
    }
    let now = state.now();
    // Each request counts against the address, so nobody can flood an inbox.
    let key = format!("reset:{email}");
    let window = time::Duration::try_from(state.config.throttle_window)
        .unwrap_or(time::Duration::minutes(5));
    let (recent, _) = state
        .store
        .failed_sign_ins(&key, &address, now - window)
        .await?;
    state
        .store
        .record_sign_in_attempt(&key, &address, false, now)
        .await?;
    let user = match state.store.user_by_email(&email).await {
        Ok(u) if !u.disabled => Some(u),
        Ok(_) | Err(senco_store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    match user {
        Some(user) if recent < 3 => {
            let token = random_token();
            let link = format!(
                "{}/sign-in/reset?token={token}",
                state.config.public_url.trim_end_matches('/')
            );
            let body = format!(
                "Someone (we hope you) asked to reset the passphrase of your Senco account.\n\n\
                 Choose a new passphrase here (the link works once, for 30 minutes):\n{link}\n\n\
                 If you did not ask, ignore this email: your passphrase has not changed."
            );
            let mut tx = state.store.begin().await?;
            Store::insert_password_reset(
                &mut tx,
                &hash_token(&token),
                &user.id,
                now,
                now + RESET_LIFETIME,
            )
            .await?;
            Store::enqueue_email(
                &mut tx,
                &user.email,
                senco_app::recipients::email_words(&user.email).reset_email_subject,
                &body,
                now,
            )
            .await?;
            Store::audit_in(
                &mut tx,
                &session_event(
                    &state,
                    &headers,
                    "reset_request",
                    &user.email,
                    None,
                    Some(user.id.clone()),
                    "allowed",
                ),
            )
            .await?;
            senco_store::commit(tx).await?;
        }
        Some(user) => {
            state
                .store
                .audit(&session_event(
                    &state,
                    &headers,
                    "reset_request",
                    &user.email,
                    None,
                    Some(user.id.clone()),
                    "throttled",
                ))
                .await?;
        }
        None => {
            state
                .store
                .audit(&session_event(
                    &state,
                    &headers,
                    "reset_request",
                    &email,
                    None,
                    None,
                    "unknown_account",
                ))
                .await?;
        }
    }
    Ok(ForgotPage {
        page: PageChrome::public(&state, words().forgot_sent_title),
        errors: FormErrors::default(),
        email: String::new(),
        sent: true,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "reset.html")]
struct ResetPage {
    page: PageChrome,
    errors: FormErrors,
    token: String,
    valid: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

fn gone(state: &AppState) -> Response {
    let page = ResetPage {
        page: PageChrome::public(state, words().reset_gone_title),
        errors: FormErrors::default(),
        token: String::new(),
        valid: false,
    };
    (StatusCode::GONE, page).into_response()
}

/// GET /sign-in/reset?token=…
pub async fn reset(
    State(state): State<AppState>,
    Query(q): Query<ResetQuery>,
) -> Result<Response, PageError> {
    Ok(
        match state
            .store
            .password_reset_user(&hash_token(&q.token), state.now())
            .await?
        {
            Some(_) => ResetPage {
                page: PageChrome::public(&state, words().reset_title),
                errors: FormErrors::default(),
                token: q.token,
                valid: true,
            }
            .into_response(),
            None => gone(&state),
        },
    )
}

/// POST /sign-in/reset: sets the passphrase, spends the link and ends every session.
pub async fn reset_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    let now = state.now();
    let token_hash = hash_token(&form.token);
    let Some(user_id) = state.store.password_reset_user(&token_hash, now).await? else {
        return Ok(gone(&state));
    };
    let mut errors = FormErrors::default();
    let Some(new) =
        new_passphrase(&form.new, &form.confirm, &mut errors).filter(|_| errors.is_empty())
    else {
        let page = PageChrome::public(&state, words().reset_title).with_errors(&errors);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ResetPage {
                page,
                errors,
                token: form.token,
                valid: true,
            },
        )
            .into_response());
    };
    let hash = hash_passphrase_off_thread(&new).await?;
    let mut tx = state.store.begin().await?;
    if !Store::use_password_reset(&mut tx, &token_hash, now).await? {
        return Ok(gone(&state));
    }
    Store::set_password(&mut tx, &user_id, &hash, false, now).await?;
    let mut e = session_event(
        &state,
        &headers,
        "update",
        "reset link",
        None,
        Some(user_id.clone()),
        "allowed",
    );
    e.record_type = "user";
    e.record_id = Some(user_id.clone());
    e.fields = Some("password_reset".into());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(Redirect::to("/sign-in?flash=passphrase_reset").into_response())
}
