//! Senco's use cases: what the pages, the JSON API and the command line all call.
//!
//! A use case takes an [`App`] (the store, the clock, the audit queue and the settings),
//! the [`principal::Actor`] asking, and typed input; it asks [`access`] whether the person
//! may act, applies the domain's rules, writes through the store and records the audit
//! event. It knows nothing of HTTP, HTML forms or the API's wire types: those are the web
//! crate's, which parses requests into the input types here and renders what comes back.

pub mod access;
pub mod approvals;
pub mod audit;
pub mod bootstrap;
pub mod calendars;
pub mod census;
pub mod credentials;
pub mod ctf;
pub mod documents;
pub mod imports;
pub mod leavers;
pub mod plans;
pub mod portable_record;
pub mod principal;
pub mod provision;
pub mod pupils;
pub mod recipients;
pub mod register;
pub mod retention;
pub mod school_frameworks;
pub mod school_register;
pub mod sen;
pub mod specialists;
pub mod staff;
pub mod subject_access;
pub mod transfers;

use std::sync::Arc;
use std::time::Duration;

use senco_store::Store;
use time::OffsetDateTime;

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

/// Settings the use cases read. The binary fills them from flags and `SENCO_*` variables
/// (through the web server's settings).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address people use to reach Senco, for links in emails (never taken from a
    /// request, which anyone can forge).
    pub public_url: String,
    /// Largest specialist report accepted, in bytes.
    pub upload_limit: usize,
    /// UPNs of other schools' pupils that one account may name without the pupil's date of
    /// birth within [`Settings::upn_probe_window`] (imports, new pupils, changed UPNs);
    /// past it those are refused for the rest of the window and the burst is flagged (SR-07).
    pub upn_probe_limit: i64,
    /// The window over which UPN probes are counted.
    pub upn_probe_window: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".to_string(),
            upload_limit: 10 * 1024 * 1024,
            upn_probe_limit: 10,
            upn_probe_window: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// What every use case can reach.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub audit: audit::AuditSink,
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

impl App {
    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Today's date in the UK.
    pub fn today(&self) -> senco_domain::Date {
        senco_domain::calendar::london_date(self.now())
    }
}
