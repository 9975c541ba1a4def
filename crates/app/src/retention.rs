//! Retention (SR-30): the daily review and the destruction of approved records, shared by
//! the server's daily task (`senco serve`), `senco retention` and the review page.
//!
//! The rules are `senco_domain::retention`'s; the rows are `senco_store::retention`'s. Here
//! they are put in order: flag what is due, destroy what was approved (each pupil in one
//! transaction), drop cached documents of destroyed plans, then take the deleted data out
//! of the database files (`Store::compact`).

use senco_domain::Date;
use senco_store::audit::AuditEvent;
use senco_store::retention::{Compaction, Destroyed, ReviewOutcome};
use senco_store::{Store, StoreError};
use time::OffsetDateTime;

use crate::PdfCache;

/// The audit event of the server's own retention task (no person acts; the approval that
/// a destruction carries out is the person's, in the destruction log and its own audit row).
pub fn job_event(now: OffsetDateTime) -> AuditEvent {
    AuditEvent {
        at: now,
        request_id: None,
        channel: "job",
        actor_user_id: None,
        actor_label: "senco:retention".into(),
        actor_role: None,
        school_id: None,
        pupil_id: None,
        record_type: "retention_review",
        record_id: None,
        action: "create",
        outcome: "allowed",
        fields: None,
    }
}

/// What one run did.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    pub review: ReviewOutcome,
    pub destroyed: Vec<Destroyed>,
    /// Whether the files were compacted completely (None: nothing was destroyed).
    pub compaction: Option<Compaction>,
}

/// Flags every pupil whose records are due on `today` (and reopens kept ones whose date has
/// come), with each school's periods (its own settings over the installation's).
pub async fn review(
    store: &Store,
    today: Date,
    now: OffsetDateTime,
    audit: &AuditEvent,
) -> Result<ReviewOutcome, StoreError> {
    store.review_retention(today, now, audit).await
}

/// Destroys the records of every approved review, drops cached PDFs of their plans, and
/// compacts the database when anything was destroyed.
pub async fn destroy_approved(
    store: &Store,
    pdfs: &PdfCache,
    now: OffsetDateTime,
    audit: &AuditEvent,
) -> Result<(Vec<Destroyed>, Option<Compaction>), StoreError> {
    let mut destroyed = Vec::new();
    for id in store.approved_retention_reviews().await? {
        // Conflict: decided again meanwhile, or the pupil is back on roll (nothing destroyed).
        let d = match store.destroy_approved(&id, now, audit).await {
            Ok(d) => d,
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        };
        pdfs.forget_plans(&d.plan_ids);
        destroyed.push(d);
    }
    let compaction = if destroyed.is_empty() {
        None
    } else {
        Some(store.compact().await?)
    };
    Ok((destroyed, compaction))
}

/// Drops cached PDFs of plans that no longer exist (destroyed by `senco retention destroy`
/// in another process).
pub async fn sweep_pdfs(store: &Store, pdfs: &PdfCache) -> Result<(), StoreError> {
    let mut cached = pdfs.plan_ids();
    cached.sort();
    cached.dedup();
    let existing = store.plans_existing(&cached).await?;
    let gone: Vec<String> = cached
        .into_iter()
        .filter(|id| !existing.contains(id))
        .collect();
    pdfs.forget_plans(&gone);
    Ok(())
}

/// The daily run: review, then destroy what was approved.
pub async fn run(
    store: &Store,
    pdfs: &PdfCache,
    today: Date,
    now: OffsetDateTime,
    audit: &AuditEvent,
) -> Result<RunOutcome, StoreError> {
    let review = review(store, today, now, audit).await?;
    let (destroyed, compaction) = destroy_approved(store, pdfs, now, audit).await?;
    Ok(RunOutcome {
        review,
        destroyed,
        compaction,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn forgetting_a_plan_drops_all_its_cached_pdfs() {
        let cache = PdfCache::default();
        cache.put(("a".into(), 1, false), Arc::new(vec![1]));
        cache.put(("a".into(), 2, true), Arc::new(vec![2]));
        cache.put(("b".into(), 1, false), Arc::new(vec![3]));
        cache.forget_plans(&["a".to_string()]);
        assert!(cache.get(&("a".into(), 1, false)).is_none());
        assert!(cache.get(&("a".into(), 2, true)).is_none());
        assert!(cache.get(&("b".into(), 1, false)).is_some());
        assert_eq!(cache.plan_ids(), vec!["b".to_string()]);
    }
}
