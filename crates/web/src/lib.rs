//! Senco's web surface: server-rendered GOV.UK-style pages and the JSON API under `/api/v1`.
//!
//! Handlers stay thin: they parse input into typed values, call a use case in `senco_app`
//! (which asks the domain's permission matrix whether the person may act and writes through
//! the store), and render what comes back. Only this crate knows about HTTP.

pub mod api;
pub mod auth;
pub mod config;
pub mod http;
pub mod lang;
pub mod ops;
pub mod pages;
pub mod routes;
pub mod security;

use std::sync::Arc;

use axum::Router;
use senco_app::App;

pub use config::WebConfig;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases' own state (store, clock, audit queue, PDF cache, settings); the
    /// state dereferences to it, so handlers pass `&state` to `senco_app` functions.
    pub app: App,
    pub config: Arc<WebConfig>,
    pub metrics: ops::Metrics,
    /// Whether the database was made by `senco demo` (shows a banner on every page).
    pub demo: bool,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// Builds the whole application: pages, API, operations endpoints, assets and middleware.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}
