//! Forms kept through signing in again: when a session times out while someone is writing a
//! form, what they send is kept for them (an hour at most, their latest form only) and, once
//! they have signed in again, offered back on `/resume` to check and send again. Nothing is
//! saved until they do; the kept copy is removed as soon as it is offered.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::{SignedIn, session_cookie, session_expired};
use crate::lang::words;
use senco_app::credentials::hash_token;

/// How long a kept form waits for its writer to sign in again.
pub const KEPT_FOR: time::Duration = time::Duration::hours(1);

/// Paths whose forms are never kept (signing in and out, setting up, uploads).
fn never_kept(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/sign-in")
        || path == "/sign-out"
        || path == "/setup"
        || path == "/resume"
        || path.ends_with("/reports")
}

/// Middleware: a form sent with a session that has just timed out is kept for its writer
/// before the request goes on (to the sign-in page, as any request without a session).
pub async fn keep_forms(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_form = req.method() == Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let path = req.uri().path().to_string();
    if !is_form || never_kept(&path) {
        return next.run(req).await;
    }
    let Some(token) = session_cookie(req.headers()) else {
        return next.run(req).await;
    };
    let record = match state.store.session(&hash_token(&token)).await {
        Ok(Some(r)) if !r.mfa_pending && session_expired(&state, &r) => r,
        _ => return next.run(req).await,
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.body_limit).await {
        Ok(b) => b,
        Err(_) => return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    if let Ok(text) = std::str::from_utf8(&bytes)
        && let Err(e) = state
            .store
            .keep_draft(&record.user.id, &path, text, state.now())
            .await
    {
        tracing::error!(error = %e, "keeping a form failed");
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Whether someone has a kept form waiting.
pub async fn waiting(state: &AppState, user_id: &str) -> bool {
    matches!(
        state.store.draft(user_id, state.now() - KEPT_FOR).await,
        Ok(Some(_))
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "resume.html")]
struct ResumePage {
    page: PageChrome,
    action: String,
    fields: Vec<(String, String)>,
}

/// GET /resume: the kept form, to check and send again (offered once).
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> Result<Response, PageError> {
    let Some((path, body)) = state
        .store
        .draft(&p.user.id, state.now() - KEPT_FOR)
        .await?
    else {
        // Nothing kept (or already offered): like any record that is not there.
        return Err(PageError::NotFound);
    };
    state.store.drop_drafts(&p.user.id).await?;
    let fields = serde_urlencoded::from_str::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    Ok(ResumePage {
        page: PageChrome::signed_in(&state, &p, words().resume_title, Section::None),
        action: path,
        fields,
    }
    .into_response())
}
