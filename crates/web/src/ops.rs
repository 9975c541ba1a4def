//! Operations: liveness, readiness, and Prometheus metrics labelled by route template
//! (never by raw path, which could carry identifiers). The metrics answer only with the
//! bearer token of `SENCO_METRICS_TOKEN` (without one set, `/metrics` is not there).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

#[derive(Debug, Default, Clone, Copy)]
struct Series {
    count: u64,
    seconds: f64,
}

/// (method, route template, status).
type SeriesKey = (String, String, u16);

/// Request counts and durations by (method, route template, status).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<BTreeMap<SeriesKey, Series>>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut map) = self.inner.lock() {
            let s = map
                .entry((method.to_string(), route.to_string(), status))
                .or_default();
            s.count += 1;
            s.seconds += seconds;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let map = match self.inner.lock() {
            Ok(m) => m.clone(),
            Err(_) => return out,
        };
        out.push_str(
            "# HELP senco_http_requests_total HTTP requests by route template and status.\n",
        );
        out.push_str("# TYPE senco_http_requests_total counter\n");
        for ((method, route, status), s) in &map {
            let _ = writeln!(
                out,
                "senco_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str(
            "# HELP senco_http_request_duration_seconds_sum Time spent answering, in seconds.\n",
        );
        out.push_str("# TYPE senco_http_request_duration_seconds_sum counter\n");
        for ((method, route, status), s) in &map {
            let _ = writeln!(
                out,
                "senco_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {:.6}",
                s.seconds
            );
        }
        out
    }
}

/// Middleware recording each request under its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    state.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// GET /healthz: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// GET /readyz: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}

/// GET /metrics, with `Authorization: Bearer` and the token of `SENCO_METRICS_TOKEN`
/// (SR-01: request counts and timings by route tell an outsider how the service is used).
/// Without a token set it answers 404; with a missing or wrong token, 401.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state
        .config
        .metrics_token
        .as_deref()
        .filter(|t| !t.is_empty())
    else {
        // The same page as any unknown path.
        return crate::pages::not_found(&state);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    if !senco_app::credentials::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return r;
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
