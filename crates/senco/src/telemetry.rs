//! Logging. Filtered by `SENCO_LOG` (for example `info` or `senco_web=debug`), written as text
//! or JSON. Nothing that identifies a pupil is ever logged: handlers log ids of requests and
//! route templates, never names, dates of birth or record content.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Starts logging to standard error.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SENCO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
