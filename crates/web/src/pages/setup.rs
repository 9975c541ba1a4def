//! The first administrator of a real installation (SR-15): there are no default accounts.
//! `senco user bootstrap` prints a one-time code (only its SHA-256 is kept, with an expiry);
//! `/setup` takes the code with the administrator's name, email address and passphrase,
//! while the installation has no accounts at all. The code works once.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::person::{Email, PersonName};
use senco_domain::role::Role;
use senco_store::Store;
use senco_store::users::NewUser;
use serde::Deserialize;

use super::account::new_passphrase;
use super::{FormErrors, PageChrome, PageError, request_id};
use crate::AppState;
use crate::lang::words;
use senco_app::bootstrap::{EXPIRES_SETTING, TOKEN_SETTING};
use senco_app::credentials::{hash_passphrase_off_thread, hash_token};

#[derive(Template, WebTemplate)]
#[template(path = "setup.html")]
struct SetupPage {
    page: PageChrome,
    errors: FormErrors,
    name: String,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// The pending code's hash, if there is one, it has not expired and nobody has an account.
async fn pending(state: &AppState) -> Result<Option<String>, PageError> {
    if state.store.user_count().await? > 0 {
        return Ok(None);
    }
    let (Some(hash), Some(expires)) = (
        state.store.setting(TOKEN_SETTING).await?,
        state.store.setting(EXPIRES_SETTING).await?,
    ) else {
        return Ok(None);
    };
    let expires = senco_store::parse_ts(&expires)?;
    Ok((state.now() < expires).then_some(hash))
}

fn page(state: &AppState, form: &SetupForm, errors: FormErrors) -> Response {
    let status = super::forms::status_of(&errors);
    let page = SetupPage {
        page: PageChrome::public(state, words().setup_title).with_errors(&errors),
        errors,
        name: form.name.clone(),
        email: form.email.clone(),
    };
    (status, page).into_response()
}

/// GET /setup: only while a bootstrap code is pending.
pub async fn show(State(state): State<AppState>) -> Result<Response, PageError> {
    match pending(&state).await? {
        Some(_) => Ok(page(&state, &SetupForm::default(), FormErrors::default())),
        None => Err(PageError::NotFound),
    }
}

/// POST /setup: makes the first administrator and uses up the code.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Result<Response, PageError> {
    let Some(hash) = pending(&state).await? else {
        return Err(PageError::NotFound);
    };
    let mut errors = FormErrors::default();
    if hash_token(form.code.trim()) != hash {
        errors.add("code", words().setup_wrong_code);
    }
    let name = PersonName::parse(&form.name);
    if name.is_err() {
        errors.add("name", words().setup_enter_name);
    }
    let email = Email::parse(&form.email);
    if email.is_err() {
        errors.add("email", words().setup_enter_email);
    }
    let passphrase = new_passphrase(&form.new, &form.confirm, &mut errors);
    let (Ok(name), Ok(email), Some(passphrase), true) =
        (name, email, passphrase, errors.is_empty())
    else {
        return Ok(page(&state, &form, errors));
    };
    let password_hash = hash_passphrase_off_thread(&passphrase).await?;
    let mut tx = state.store.begin().await?;
    // The code works once: whoever removes it makes the account.
    if !Store::take_setting(&mut tx, TOKEN_SETTING, &hash).await? {
        return Err(PageError::NotFound);
    }
    let id = Store::insert_user(
        &mut tx,
        &NewUser {
            email: email.as_str(),
            name: name.as_str(),
            role: Role::Admin,
            school_id: None,
            la_id: None,
            password_hash: Some(&password_hash),
            must_change_password: false,
        },
        state.now(),
    )
    .await?;
    let e = senco_store::audit::AuditEvent {
        at: state.now(),
        request_id: request_id(&headers),
        channel: "web",
        actor_user_id: Some(id.clone()),
        actor_label: email.as_str().to_string(),
        actor_role: Some(Role::Admin.as_str().to_string()),
        school_id: None,
        pupil_id: None,
        record_type: "user",
        record_id: Some(id),
        action: "bootstrap",
        outcome: "allowed",
        fields: None,
    };
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(Redirect::to("/sign-in?flash=setup_done").into_response())
}
