//! Logging. Filtered by `SENCO_LOG` (for example `info` or `senco_web=debug`), written as text
//! or JSON. Nothing that identifies a pupil is ever logged: handlers log ids of requests and
//! route templates, never names, dates of birth or record content.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::cli::LogFormat;

/// Starts logging to standard error.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SENCO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = init_with(format, filter, std::io::stderr);
    log_panics();
}

/// Panics become one log line with the source location only: a panic's message may quote
/// the data that caused it, and logs never hold pupil data. (The web layer answers the
/// request with a generic page and logs the request id, SR-25.) Set by the binary only, so
/// tests keep Rust's own panic messages.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (message withheld: it may quote data)");
    }));
}

/// Starts logging to `writer` as the process's subscriber (tests capture the logs this
/// way). Fails if a subscriber is already set. Text and JSON alike escape control
/// characters in the values they write, so a field cannot forge a log line.
pub fn init_with<W>(format: LogFormat, filter: EnvFilter, writer: W) -> Result<(), String>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    }
    .map_err(|e| e.to_string())
}
