//! Response headers for every page, request ids, and the cross-site request check on
//! state changes.
//!
//! Every request gets Senco's own id (a random UUID), whatever the client sent: it is the
//! one the audit log and the problem pages quote. A client's `X-Request-Id` is never
//! stored; it is echoed back as `X-Client-Request-Id` (and may be logged) only when it is
//! short and plain ([`plain_client_id`]), so nobody can fill or forge the log through it.
//!
//! State-changing requests (anything but GET, HEAD and OPTIONS) from another site are
//! refused using the browser's `Sec-Fetch-Site` header, or `Origin` where that is absent.
//! Forms also carry a per-session token, checked by each handler, for defence in depth.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The longest client request id Senco echoes.
pub const CLIENT_REQUEST_ID_MAX: usize = 64;

/// Whether a client's request id is plain enough to echo and log: 1 to
/// [`CLIENT_REQUEST_ID_MAX`] characters of `A-Z a-z 0-9 . _ -`.
pub fn plain_client_id(id: &str) -> bool {
    (1..=CLIENT_REQUEST_ID_MAX).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A client's own request id, when plain: kept apart from Senco's, never stored.
#[derive(Debug, Clone)]
pub struct ClientRequestId(pub String);

/// Gives each request Senco's own `x-request-id` (replacing any the client sent) and puts
/// it on the response; a plain client id goes into the request's extensions and back on
/// the response as `x-client-request-id` (SR-25, SR-26).
pub async fn request_ids(mut req: Request, next: Next) -> Response {
    let client = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| plain_client_id(v))
        .map(str::to_string);
    let own = HeaderValue::try_from(uuid::Uuid::new_v4().to_string())
        .unwrap_or(HeaderValue::from_static("-"));
    req.headers_mut().insert("x-request-id", own.clone());
    if let Some(c) = &client {
        req.extensions_mut().insert(ClientRequestId(c.clone()));
    }
    let mut response = next.run(req).await;
    response.headers_mut().insert("x-request-id", own);
    if let Some(v) = client.and_then(|c| HeaderValue::try_from(c).ok()) {
        response.headers_mut().insert("x-client-request-id", v);
    }
    response
}

/// The Content-Security-Policy: no inline script or style, nothing from other sites.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Adds security headers; every response except static assets is marked `no-store`.
pub async fn headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // A handler may set a stricter policy (downloads of uploaded files are sandboxed).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether a request that changes state comes from this site.
pub fn same_site(req: &Request) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            !host.is_empty() && origin_host == host
        }
    }
}

/// Refuses cross-site state changes with 403.
pub async fn same_origin(req: Request, next: Next) -> Response {
    if same_site(&req) {
        next.run(req).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "Cross-site requests cannot change anything in Senco.",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut b = axum::http::Request::builder().method("POST").uri("/pupils");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn cross_site_posts_are_refused() {
        assert!(same_site(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_site(&post(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_site(&post(&[("sec-fetch-site", "same-site")])));
        assert!(same_site(&post(&[
            ("host", "senco.example"),
            ("origin", "https://senco.example")
        ])));
        assert!(!same_site(&post(&[
            ("host", "senco.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_site(&post(&[
            ("host", "senco.example"),
            ("origin", "null")
        ])));
        assert!(same_site(&post(&[])));
    }

    #[test]
    fn the_policy_allows_no_inline_code() {
        assert!(!CSP.contains("unsafe-inline"));
        assert!(!CSP.contains("unsafe-eval"));
    }
}
