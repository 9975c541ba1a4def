//! Building and running the server: the store, the audit writer, the outbox worker and the
//! router, on a listener whose real port is known (so tests can bind port 0).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use senco_app::audit::AuditSink;
use senco_app::{Clock, SystemClock};
use senco_store::Store;
use senco_web::{AppState, WebConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::mail::{Delivery, deliver};

/// Everything needed to start the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub database_url: String,
    pub bind: SocketAddr,
    pub web: WebConfig,
    pub mail: Delivery,
}

/// A built server, listening but not yet answering.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    audit_writer: JoinHandle<()>,
    mail: Delivery,
}

impl Application {
    /// Opens the database, migrates it and binds the listener.
    pub async fn build(config: ServerConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "could not open the database {}",
                    senco_store::redact_url(&config.database_url)
                )
            })?;
        Self::build_with_store(config, store, clock).await
    }

    /// As [`Application::build`], with a store already open.
    pub async fn build_with_store(
        config: ServerConfig,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let report = store
            .migrate(clock.now())
            .await
            .context("migrating the database failed")?;
        for (version, name) in &report.applied {
            tracing::info!(version, name, "applied migration");
        }
        store.require_current_schema().await?;
        senco_app::plans::seed_target_bank(&store, clock.now()).await?;
        let demo = store.is_demo().await?;
        let (audit, audit_writer) = AuditSink::start(store.clone(), config.web.audit_flush);
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("could not listen on {}", config.bind))?;
        let state = AppState {
            app: senco_app::App {
                store,
                settings: Arc::new(config.web.app_settings()),
                clock,
                audit,
                pdfs: Default::default(),
            },
            config: Arc::new(config.web),
            metrics: Default::default(),
            demo,
        };
        Ok(Application {
            listener,
            state,
            audit_writer,
            mail: config.mail,
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The application state the server's handlers share (tests mount extra routes on it).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The store the server uses.
    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// Serves until `shutdown` completes, then drains requests, flushes the audit queue and
    /// stops the outbox worker.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let outbox = tokio::spawn(outbox_worker(
            self.state.store.clone(),
            self.state.clock.clone(),
            self.mail.clone(),
            stop_rx,
        ));
        let retention = self.state.config.retention_job.then(|| {
            tokio::spawn(retention_worker(
                self.state.store.clone(),
                self.state.clock.clone(),
                self.state.pdfs.clone(),
                stop_tx.subscribe(),
            ))
        });
        let anchors = tokio::spawn(anchor_worker(
            self.state.store.clone(),
            self.state.clock.clone(),
            stop_tx.subscribe(),
        ));
        let store = self.state.store.clone();
        let app = senco_web::app(self.state);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server failed")?;
        let _ = stop_tx.send(true);
        let _ = outbox.await;
        if let Some(retention) = retention {
            let _ = retention.await;
        }
        let _ = anchors.await;
        let _ = self.audit_writer.await;
        // The head after the last audit rows were written.
        log_anchor(&store, "shutdown").await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Delivers queued email every two seconds until told to stop, then once more.
async fn outbox_worker(
    store: Store,
    clock: Arc<dyn Clock>,
    delivery: Delivery,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = deliver(&store, clock.as_ref(), &delivery).await {
            tracing::warn!(error = format!("{e:#}"), "delivering email failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {},
            _ = stop.changed() => break,
        }
    }
    let _ = deliver(&store, clock.as_ref(), &delivery).await;
}

/// Retention (SR-30): once a day (by the injected clock's UK date, checked every minute),
/// flags records that have fallen due and destroys those whose destruction was approved;
/// every minute, drops cached PDFs of plans destroyed by another process.
async fn retention_worker(
    store: Store,
    clock: Arc<dyn Clock>,
    pdfs: senco_app::PdfCache,
    mut stop: watch::Receiver<bool>,
) {
    let mut last_day = None;
    loop {
        let now = clock.now();
        let today = senco_domain::calendar::london_date(now);
        if last_day != Some(today) {
            let audit = senco_app::retention::job_event(now);
            match senco_app::retention::run(&store, &pdfs, today, now, &audit).await {
                Ok(out) => {
                    last_day = Some(today);
                    tracing::info!(
                        flagged = out.review.flagged,
                        reopened = out.review.reopened,
                        destroyed = out.destroyed.len(),
                        "retention run"
                    );
                    if out.compaction.is_some_and(|c| !c.complete) {
                        tracing::warn!("retention: the write-ahead log could not be emptied yet");
                        last_day = None;
                    }
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "retention run failed"),
            }
        }
        if let Err(e) = senco_app::retention::sweep_pdfs(&store, &pdfs).await {
            tracing::warn!(error = format!("{e:#}"), "sweeping cached PDFs failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {},
            _ = stop.changed() => break,
        }
    }
}

/// How often the server writes the audit chain's head to its log.
const ANCHOR_EVERY: time::Duration = time::Duration::HOUR;

/// Writes the audit chain's head to the log (SR-27): an anchor kept outside the database,
/// which `senco audit verify --anchors LOGFILE` checks the chain against. Only a sequence
/// number and a hash: no pupil data.
pub async fn log_anchor(store: &Store, when: &'static str) {
    match store.audit_head().await {
        Ok(head) => tracing::info!(
            senco_audit_anchor = %head,
            when,
            "audit chain head"
        ),
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "reading the audit chain head failed"
        ),
    }
}

/// Logs the audit chain's head at start and then every hour by the injected clock (checked
/// every minute).
async fn anchor_worker(store: Store, clock: Arc<dyn Clock>, mut stop: watch::Receiver<bool>) {
    log_anchor(&store, "start").await;
    let mut last = clock.now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {},
            _ = stop.changed() => break,
        }
        let now = clock.now();
        if now - last >= ANCHOR_EVERY {
            log_anchor(&store, "hourly").await;
            last = now;
        }
    }
}

/// The system clock, for the binary.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
