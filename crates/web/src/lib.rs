//! Senco's web surface: server-rendered GOV.UK-style pages and the JSON API under `/api/v1`.
//!
//! Handlers stay thin: they parse input into domain types, ask [`access`] (which asks the
//! domain's permission matrix) whether the person may act, call the store, and render.
//! Only this crate knows about HTTP.

pub mod access;
pub mod api;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod census;
pub mod config;
pub mod ctf;
pub mod documents;
pub mod i18n;
pub mod imports;
pub mod ops;
pub mod pages;
pub mod plans;
pub mod provision;
pub mod record;
pub mod records;
pub mod retention;
pub mod routes;
pub mod security;
pub mod sen;
pub mod specialists;
pub mod subject_access;
pub mod transfers;

use std::sync::Arc;

use axum::Router;
use senco_store::Store;
use time::OffsetDateTime;

pub use config::WebConfig;

/// Where the current time comes from. Production reads the system clock; tests may fix it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub audit: audit::AuditSink,
    pub metrics: ops::Metrics,
    /// Whether the database was made by `senco demo` (shows a banner on every page).
    pub demo: bool,
    /// Rendered PDFs, per plan version and variant.
    pub pdfs: PdfCache,
}

/// A small cache of rendered PDFs keyed by (plan id, version, variant). A saved plan gets a
/// new version, so entries never go stale; the oldest are dropped beyond the capacity.
#[derive(Clone, Default)]
pub struct PdfCache {
    inner: Arc<std::sync::Mutex<PdfEntries>>,
}

type PdfEntries = std::collections::VecDeque<(PdfKey, Arc<Vec<u8>>)>;

/// (plan id, plan version, parent-friendly).
pub type PdfKey = (String, i64, bool);

impl PdfCache {
    const CAPACITY: usize = 64;

    /// A cached PDF.
    pub fn get(&self, key: &(String, i64, bool)) -> Option<Arc<Vec<u8>>> {
        let cache = self.inner.lock().ok()?;
        cache.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Keeps a PDF.
    pub fn put(&self, key: (String, i64, bool), pdf: Arc<Vec<u8>>) {
        if let Ok(mut cache) = self.inner.lock() {
            if cache.len() >= Self::CAPACITY {
                cache.pop_front();
            }
            cache.push_back((key, pdf));
        }
    }

    /// The plans with a cached PDF.
    pub fn plan_ids(&self) -> Vec<String> {
        self.inner
            .lock()
            .map(|c| c.iter().map(|((id, _, _), _)| id.clone()).collect())
            .unwrap_or_default()
    }

    /// Drops every cached PDF of these plans (their pupil's records were destroyed, SR-30).
    pub fn forget_plans(&self, plan_ids: &[String]) {
        if let Ok(mut cache) = self.inner.lock() {
            cache.retain(|((id, _, _), _)| !plan_ids.contains(id));
        }
    }
}

impl AppState {
    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Today's date in the UK.
    pub fn today(&self) -> senco_domain::Date {
        senco_domain::calendar::london_date(self.now())
    }
}

/// Builds the whole application: pages, API, operations endpoints, assets and middleware.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}
