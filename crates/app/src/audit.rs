//! Writing audit events: changes and refusals at once, reads through a bounded queue.
//!
//! Reads of a child's record are frequent, so they are queued and written in batches
//! (one durable commit for many page views, as databases do with group commit). The queue
//! is bounded: when it is full, senders wait, so reads are never dropped under load. The
//! queue is flushed when the server shuts down gracefully; a crash (kill -9, power loss)
//! can lose the read events of at most the last flush interval. Changes and refusals never
//! go through the queue.

use std::time::Duration;

use senco_store::Store;
use senco_store::audit::AuditEvent;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The most events waiting at once.
const QUEUE: usize = 10_000;
/// The most events written in one transaction.
const BATCH: usize = 500;

/// A handle to the read-audit queue.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditEvent>,
    store: Store,
}

impl AuditSink {
    /// Starts the writer. Await the returned handle after dropping every sink to flush.
    pub fn start(store: Store, flush: Duration) -> (AuditSink, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<AuditEvent>(QUEUE);
        let writer_store = store.clone();
        let handle = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                let deadline = tokio::time::sleep(flush);
                tokio::pin!(deadline);
                while batch.len() < BATCH {
                    tokio::select! {
                        next = rx.recv() => match next {
                            Some(e) => batch.push(e),
                            None => break,
                        },
                        _ = &mut deadline => break,
                    }
                }
                write(&writer_store, &mut batch).await;
            }
        });
        (AuditSink { tx, store }, handle)
    }

    /// Queues a read event. Waits while the queue is full.
    pub async fn read(&self, event: AuditEvent) {
        if let Err(mpsc::error::SendError(event)) = self.tx.send(event).await {
            // The writer has stopped (shutting down): nothing may be lost, so write directly.
            if let Err(e) = self.store.audit(&event).await {
                tracing::error!(error = %e, "writing a read-audit event failed");
            }
        }
    }
}

async fn write(store: &Store, batch: &mut Vec<AuditEvent>) {
    for attempt in 1..=5u32 {
        match store.audit_batch(batch).await {
            Ok(()) => {
                batch.clear();
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, attempt, events = batch.len(), "writing read-audit events failed");
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
        }
    }
    tracing::error!(
        events = batch.len(),
        "read-audit events could not be written and were lost"
    );
    batch.clear();
}
