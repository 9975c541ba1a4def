//! Response headers for every page, and the cross-site request check on state changes.
//!
//! State-changing requests (anything but GET, HEAD and OPTIONS) from another site are
//! refused using the browser's `Sec-Fetch-Site` header, or `Origin` where that is absent.
//! Forms also carry a per-session token, checked by each handler, for defence in depth.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
