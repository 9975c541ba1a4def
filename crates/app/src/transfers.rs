//! Transfers between schools and UPN probes (SR-07, SR-26), shared by the import pages, the
//! CTF import, the pupil forms and API, and `senco import`.
//!
//! UPNs are unique across the installation, so naming one that belongs to another school's
//! pupil always tells the caller that it is taken. To keep that from becoming a way to find
//! pupils, every such UPN named without the pupil's date of birth is a *probe*: audited at
//! once for the school holding the pupil (their SENCO sees it in the pupil's access log),
//! and counted per account; past [`crate::Settings::upn_probe_limit`] in the window the
//! account's imports and UPN entries are refused before any lookup, and the burst is audited
//! (`upn_probe_burst`) and logged as a warning.
//!
//! A row that does match (UPN and date of birth) files a transfer request; the record moves
//! only when the holding school's SENCO or head teacher releases it, or an officer of its
//! authority approves ([`decide`]).

use senco_store::audit::AuditEvent;
use senco_store::imports::Probe;
use senco_store::transfers::{DecidedAs, TransferRequest};
use senco_store::{Store, StoreError};
use time::OffsetDateTime;

use crate::Settings;

/// Who is naming UPNs, and the limit on probes.
#[derive(Debug, Clone)]
pub struct ProbeGuard {
    /// The caller as an audit event (channel, actor, request); `at` is now.
    pub audit: AuditEvent,
    pub limit: i64,
    pub window: time::Duration,
}

/// Too many probes: refused before anything else is looked up.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("too many UPNs of pupils at other schools")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ProbeGuard {
    /// A guard for `audit`'s actor with the installation's limits.
    pub fn new(audit: AuditEvent, config: &Settings) -> ProbeGuard {
        ProbeGuard {
            audit,
            limit: config.upn_probe_limit,
            window: time::Duration::try_from(config.upn_probe_window)
                .unwrap_or(time::Duration::DAY),
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.audit.at
    }

    async fn used(&self, store: &Store) -> Result<i64, StoreError> {
        store
            .upn_probes_since(&self.audit.actor_label, self.now() - self.window)
            .await
    }

    /// Refuses when the account has already used up its probes in the window.
    pub async fn check(&self, store: &Store) -> Result<(), ProbeError> {
        if self.used(store).await? >= self.limit {
            return Err(ProbeError::TooMany);
        }
        Ok(())
    }

    /// Audits each probe for the school holding the pupil, then refuses (auditing and
    /// logging the burst) when the account is now past its limit.
    pub async fn record(&self, store: &Store, probes: &[Probe]) -> Result<(), ProbeError> {
        if probes.is_empty() {
            return Ok(());
        }
        let events: Vec<AuditEvent> = probes
            .iter()
            .map(|p| {
                let mut e = self.audit.clone();
                e.school_id = Some(p.school_id.clone());
                e.pupil_id = Some(p.pupil_id.clone());
                e.record_type = "pupil";
                e.record_id = Some(p.pupil_id.clone());
                e.action = "upn_probe";
                e.outcome = "denied";
                e.fields = None;
                e
            })
            .collect();
        store.audit_batch(&events).await?;
        let used = self.used(store).await?;
        if used > self.limit {
            let mut e = self.audit.clone();
            e.record_type = "upn_probe";
            e.action = "upn_probe_burst";
            e.outcome = "throttled";
            e.pupil_id = None;
            e.record_id = None;
            e.fields = None;
            store.audit(&e).await?;
            tracing::warn!(
                actor = self.audit.actor_user_id.as_deref().unwrap_or("operator"),
                probes = used,
                "UPNs of other schools' pupils named without their date of birth: refused and flagged"
            );
            return Err(ProbeError::TooMany);
        }
        Ok(())
    }
}

/// Tells the SENCOs and head teachers of the schools holding the records that `to_school_id`
/// asked for (requests filed at `at`), in the importing transaction, so no email goes out
/// about an import that did not happen. The email names no pupil: they sign in to see it.
pub async fn tell_holders(
    tx: &mut senco_store::Tx,
    to_school_id: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    for address in Store::holders_to_tell(tx, to_school_id, at).await? {
        let m = crate::recipients::email_words(&address);
        Store::enqueue_email(tx, &address, m.tr_email_subject, m.tr_email_body, at).await?;
    }
    Ok(())
}

/// Why a decision was not made.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// Decided meanwhile, or the pupil has left the holding school.
    #[error("the request was decided meanwhile")]
    NotPending,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Releases (`release`) or declines a pending request, audited for the pupil in the same
/// transaction: `transfer_release` or `transfer_decline`, with who decided as what.
pub async fn decide(
    store: &Store,
    request: &TransferRequest,
    release: bool,
    decided_as: DecidedAs,
    audit: &AuditEvent,
    today: senco_domain::Date,
) -> Result<(), DecideError> {
    let mut tx = store.begin().await?;
    let now = audit.at;
    let by = audit.actor_user_id.as_deref();
    let result = if release {
        Store::release_transfer(&mut tx, request, by, decided_as, today, now).await
    } else {
        Store::decline_transfer(&mut tx, request, by, decided_as, now).await
    };
    match result {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DecideError::NotPending),
        Err(e) => return Err(e.into()),
    }
    let mut e = audit.clone();
    e.school_id = Some(request.from_school_id.clone());
    e.pupil_id = Some(request.pupil_id.clone());
    e.record_type = "transfer_request";
    e.record_id = Some(request.id.clone());
    e.action = if release { "release" } else { "decline" };
    e.outcome = "allowed";
    e.fields = Some(decided_as.as_str().to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}
