//! Settings of the web server, with their defaults.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Settings of the web server. The binary fills these from flags and `SENCO_*` variables.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where the compiled front-end assets are (`assets/dist`, built by `scripts/build-assets.sh`).
    pub assets_dir: PathBuf,
    /// Proxies whose `X-Forwarded-For` is believed (for sign-in throttling per address).
    pub trusted_proxies: Vec<IpAddr>,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in whatever happens.
    pub session_absolute: Duration,
    /// Failed sign-ins allowed per account within [`WebConfig::throttle_window`].
    pub account_attempts: i64,
    /// Failed sign-ins allowed per address within the window (a school shares one address).
    pub address_attempts: i64,
    /// The throttling window.
    pub throttle_window: Duration,
    /// How long read-audit events may wait before they are written together.
    pub audit_flush: Duration,
    /// Where the source code of this installation can be had (AGPL section 13).
    pub source_url: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Largest specialist report accepted, in bytes (upload routes accept bodies this big).
    pub upload_limit: usize,
    /// UPNs of other schools' pupils that one account may name without the pupil's date of
    /// birth within [`WebConfig::upn_probe_window`] (imports, new pupils, changed UPNs);
    /// past it those are refused for the rest of the window and the burst is flagged (SR-07).
    pub upn_probe_limit: i64,
    /// The window over which UPN probes are counted.
    pub upn_probe_window: Duration,
    /// Staff, specialists and officers must sign in with a second factor (TOTP).
    pub require_two_factor: bool,
    /// Whether the server runs the daily retention review and destruction of approved
    /// records (SR-30). Tests that move the clock and call the run themselves turn it off.
    pub retention_job: bool,
    /// The address people use to reach Senco, for links in emails (never taken from the
    /// request's `Host`, which anyone can set).
    pub public_url: String,
    /// The bearer token `GET /metrics` asks for (`SENCO_METRICS_TOKEN`). Without one,
    /// `/metrics` answers 404: the counters are not public.
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            assets_dir: PathBuf::from("assets/dist"),
            trusted_proxies: Vec::new(),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            account_attempts: 10,
            address_attempts: 300,
            throttle_window: Duration::from_secs(5 * 60),
            audit_flush: Duration::from_millis(50),
            source_url: "https://example.invalid/senco".to_string(),
            body_limit: 2 * 1024 * 1024,
            upload_limit: 10 * 1024 * 1024,
            upn_probe_limit: 10,
            upn_probe_window: Duration::from_secs(24 * 60 * 60),
            require_two_factor: true,
            retention_job: true,
            public_url: "http://127.0.0.1:8080".to_string(),
            metrics_token: None,
        }
    }
}

impl WebConfig {
    /// The settings the use cases read, taken from these.
    pub fn app_settings(&self) -> senco_app::Settings {
        senco_app::Settings {
            public_url: self.public_url.clone(),
            upload_limit: self.upload_limit,
            upn_probe_limit: self.upn_probe_limit,
            upn_probe_window: self.upn_probe_window,
        }
    }
}
