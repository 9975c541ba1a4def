//! Access that needs a second person (issue 16, point 2; SR-02, SR-06), shared by the user
//! and contact pages and the approvals page.
//!
//! Nobody sees a credential of someone else's account: every new account gets an emailed
//! invitation link (a passphrase-reset link that lasts [`INVITE_LIFETIME`]) and chooses its
//! own passphrase. An account that would read SEN content, made by someone who does not
//! ([`senco_domain::policy::needs_approval`]), waits disabled, with no invitation sent, until the school's SENCO
//! or head teacher approves it (or, for an account of no school or of a school with
//! neither, another administrator). A parent's sign-in linked to a child by someone who
//! does not read SEN content waits likewise for the child's school's SENCO or head teacher.
//! Every request and decision is audited.

pub use senco_domain::policy::needs_approval;
use senco_domain::role::Role;
use senco_store::approvals::{PendingAccount, PendingLink};
use senco_store::{Store, StoreError, Tx};
use time::OffsetDateTime;

use crate::App;
use crate::credentials::{hash_token, random_token};

/// How long an invitation link works.
pub const INVITE_LIFETIME: time::Duration = time::Duration::days(7);

/// Emails `email` a link to choose the account's first passphrase, in `tx`.
pub async fn invite(
    tx: &mut Tx,
    state: &App,
    user_id: &str,
    email: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    invite_at(tx, &state.settings.public_url, user_id, email, now).await
}

/// [`invite`], with the address people reach Senco at (the command line has no [`App`]).
pub async fn invite_at(
    tx: &mut Tx,
    public_url: &str,
    user_id: &str,
    email: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let token = random_token();
    let link = format!(
        "{}/sign-in/reset?token={token}",
        public_url.trim_end_matches('/')
    );
    Store::insert_password_reset(tx, &hash_token(&token), user_id, now, now + INVITE_LIFETIME)
        .await?;
    let m = crate::recipients::email_words(email);
    let body = m.invite_email_body.replace("{link}", &link);
    Store::enqueue_email(tx, email, m.invite_email_subject, &body, now).await?;
    Ok(())
}

/// Whether `decider` may decide `account`: the SENCO or head teacher of the school that
/// approves it, or an administrator who did not ask for it when no school approves it
/// (`orphaned`: the school has neither).
pub fn may_decide_account(
    decider_role: Role,
    decider_id: &str,
    decider_school: Option<&str>,
    account: &PendingAccount,
    orphaned: bool,
) -> bool {
    match decider_role {
        Role::Senco | Role::Head => {
            account.approval_school_id.is_some()
                && account.approval_school_id.as_deref() == decider_school
        }
        Role::Admin => {
            account.requested_by.as_deref() != Some(decider_id)
                && (account.approval_school_id.is_none() || orphaned)
        }
        _ => false,
    }
}

/// Whether `decider` may decide a parent's link: the SENCO or head teacher of the child's
/// school, who did not ask for it.
pub fn may_decide_link(
    decider_role: Role,
    decider_id: &str,
    decider_school: Option<&str>,
    link: &PendingLink,
) -> bool {
    matches!(decider_role, Role::Senco | Role::Head)
        && decider_school == Some(link.school_id.as_str())
        && link.requested_by.as_deref() != Some(decider_id)
}
