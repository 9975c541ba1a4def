//! Two-factor sign-in: the code page after the passphrase, and setting it up (required for
//! staff, specialists and officers; offered to parents), with single-use recovery codes.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::totp::{CodeError, Secret, verify};
use senco_store::Store;

use super::account::{Reauthenticated, reauthenticate};
use super::forms::Checked;
use super::forms::Fields;
use super::sign_in::session_event;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::{ClientAddr, SignedIn, claim_attempt, session_principal, set_session_cookie};
use crate::http::RequestId;
use crate::lang::words;
use senco_app::credentials::{hash_token, random_token};

#[derive(Template, WebTemplate)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    page: PageChrome,
    errors: FormErrors,
}

fn code_page(state: &AppState, errors: FormErrors, status: StatusCode) -> Response {
    let page = PageChrome::public(state, words().code_title).with_errors(&errors);
    (status, CodePage { page, errors }).into_response()
}

/// GET /sign-in/code
pub async fn code(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_principal(&state, &headers).await {
        Some(p) if p.mfa_pending => code_page(&state, FormErrors::default(), StatusCode::OK),
        Some(_) => Redirect::to("/").into_response(),
        None => Redirect::to("/sign-in").into_response(),
    }
}

/// Letters and digits in a recovery code.
const RECOVERY_LEN: usize = 10;

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// POST /sign-in/code: a right code turns the waiting session into a new, full one.
pub async fn code_submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = Fields(fields);
    let Some(p) = session_principal(&state, &headers)
        .await
        .filter(|p| p.mfa_pending)
    else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let now = state.now();
    let key = format!("mfa:{}", p.user.id);
    let event = |outcome: &'static str| {
        session_event(
            &state,
            &headers,
            "second_factor",
            &p.user.email,
            Some(p.user.role.as_str().to_string()),
            Some(p.user.id.clone()),
            outcome,
        )
    };
    let mut errors = FormErrors::default();
    // Counted before it is checked, per account and per address (wrong passphrases and
    // wrong codes from one address add up), so simultaneous codes get no more checks
    // than the limit (SR-14).
    let Some(attempt) = claim_attempt(&state, &key, &address).await? else {
        state.store.audit(&event("throttled")).await?;
        errors.add("code", words().code_throttled);
        return Ok(code_page(&state, errors, StatusCode::TOO_MANY_REQUESTS));
    };
    let typed = form.get("code");
    let ok = match state.store.totp(&p.user.id).await? {
        None => false,
        Some((secret, last)) => {
            let secret = Secret::from_base32(&secret)
                .ok_or_else(|| anyhow::anyhow!("stored TOTP secret is malformed"))?;
            // Six characters is an app's code; ten a recovery code (five, a hyphen, five).
            let compact = normalise_recovery(&typed);
            if compact.len() != 6 && compact.len() != RECOVERY_LEN {
                errors.add("code", CodeError::Format.to_string());
                false
            } else if compact.len() == 6 {
                match verify(&secret, &typed, now.unix_timestamp(), last) {
                    Ok(step) if state.store.use_totp_step(&p.user.id, step).await? => true,
                    Ok(_) => {
                        errors.add("code", CodeError::Reused.to_string());
                        false
                    }
                    Err(e) => {
                        errors.add("code", e.to_string());
                        false
                    }
                }
            } else {
                let used = state
                    .store
                    .use_recovery_code(&p.user.id, &hash_token(&normalise_recovery(&typed)), now)
                    .await?;
                if !used {
                    errors.add("code", words().code_recovery_wrong);
                }
                used
            }
        }
    };
    if !ok {
        state.store.audit(&event("failed")).await?;
        return Ok(code_page(&state, errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    state.store.attempt_succeeded(&attempt).await?;
    // A new token for the full session; the waiting one ends.
    if let Some((hash, _)) = &p.session {
        state.store.delete_session(hash).await?;
    }
    let token = random_token();
    state
        .store
        .insert_session(&hash_token(&token), &p.user.id, &random_token(), now)
        .await?;
    state.store.audit(&event("allowed")).await?;
    let target = if p.user.must_change_password {
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

#[derive(Template, WebTemplate)]
#[template(path = "two_factor.html")]
struct SetupPage {
    page: PageChrome,
    on: bool,
    secret: String,
    secret_grouped: String,
    uri: String,
    recovery: Vec<String>,
    errors: FormErrors,
}

fn grouped(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn new_secret() -> Secret {
    let mut bytes = [0u8; 20];
    if getrandom::fill(&mut bytes).is_err() {
        std::process::abort();
    }
    Secret::from_bytes(bytes)
}

fn setup_page(
    state: &AppState,
    p: &senco_app::principal::Principal,
    secret: &Secret,
    errors: FormErrors,
) -> Response {
    let status = super::forms::status_of(&errors);
    let page = SetupPage {
        page: PageChrome::signed_in(state, p, words().tfa_title, Section::None)
            .with_errors(&errors),
        on: p.user.two_factor,
        secret: secret.to_base32(),
        secret_grouped: grouped(&secret.to_base32()),
        uri: secret.uri("Senco", &p.user.email),
        recovery: Vec::new(),
        errors,
    };
    (status, page).into_response()
}

/// GET /account/two-factor
pub async fn setup(State(state): State<AppState>, SignedIn(p): SignedIn) -> Response {
    setup_page(&state, &p, &new_secret(), FormErrors::default())
}

/// POST /account/two-factor: the code proves the app has the key; then recovery codes.
pub async fn setup_submit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    ClientAddr(address): ClientAddr,
    rid: RequestId,
    headers: HeaderMap,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let Some(secret) = Secret::from_base32(&form.get("secret")) else {
        return Ok(setup_page(&state, &p, &new_secret(), FormErrors::default()));
    };
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("code", words().form_expired);
        return Ok(setup_page(&state, &p, &secret, errors));
    }
    // Replacing a key that is already on needs the passphrase again (SR-18): a session
    // left open on a shared computer must not be enough to move sign-in to a new phone.
    if p.user.two_factor {
        match reauthenticate(&state, &p, &headers, &address, &form.get("current")).await? {
            Reauthenticated::Yes => {}
            Reauthenticated::Wrong => {
                errors.add("current", words().current_passphrase_wrong);
                return Ok(setup_page(&state, &p, &secret, errors));
            }
            Reauthenticated::Throttled => {
                errors.add("current", words().current_passphrase_throttled);
                let mut page = setup_page(&state, &p, &secret, errors);
                *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                return Ok(page);
            }
        }
    }
    let now = state.now();
    let step = match verify(&secret, &form.get("code"), now.unix_timestamp(), None) {
        Ok(step) => step,
        Err(e) => {
            errors.add("code", e.to_string());
            return Ok(setup_page(&state, &p, &secret, errors));
        }
    };
    let recovery: Vec<String> = (0..8)
        .map(|_| {
            let t = random_token();
            format!("{}-{}", &t[..5], &t[5..10])
        })
        .collect();
    let hashes: Vec<String> = recovery
        .iter()
        .map(|c| hash_token(&normalise_recovery(c)))
        .collect();
    let mut tx = state.store.begin().await?;
    Store::set_totp(&mut tx, &p.user.id, &secret.to_base32(), step, &hashes).await?;
    let actor = rid.actor(&p);
    let e = actor
        .event(&state, "user", "update", "allowed")
        .record(p.user.id.clone())
        .fields("two_factor".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    let page = SetupPage {
        page: PageChrome::signed_in(&state, &p, words().tfa_done_title, Section::None),
        on: true,
        secret: String::new(),
        secret_grouped: String::new(),
        uri: String::new(),
        recovery,
        errors: FormErrors::default(),
    };
    Ok(page.into_response())
}
