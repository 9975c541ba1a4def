//! Who is asking: a signed-in person, however they reached Senco.

use senco_store::pupils::Scope;
use senco_store::users::User;

/// How the person reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Session,
    Token,
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub channel: Channel,
    /// The session's token hash and CSRF token, for sessions.
    pub session: Option<(String, String)>,
    /// The passphrase was right but the two-factor code is still to come.
    pub mfa_pending: bool,
}

impl Principal {
    /// The store scope for this person's pupil queries.
    pub fn scope(&self) -> Scope {
        Scope::User {
            user_id: self.user.id.clone(),
            role: self.user.role,
            school_id: self.user.school_id.clone(),
            la_id: self.user.la_id.clone(),
        }
    }
}
