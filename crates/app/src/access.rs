//! Enforcement of the permission matrix ([`senco_domain::policy`]) and the audit that goes
//! with every access to a child's record.
//!
//! Handlers never decide access themselves: they call [`pupil_for`] (which loads a pupil
//! through the caller's scope and checks the matrix) or [`require`]. A refusal is
//! indistinguishable from a record that does not exist, and is audited.

use senco_domain::policy::{Action, Relation, Resource, allows, pupil_reach, user_reach};
use senco_domain::role::Role;
use senco_store::StoreError;
use senco_store::audit::AuditEvent;
use senco_store::pupils::Pupil;

use crate::App;
use crate::principal::{Channel, Principal};

/// Why access was not given. Callers answer 404 for `NotFound` whatever the cause.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Not there, or not for this person: the two are deliberately the same.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who did it, through which door, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub principal: &'a Principal,
    pub request_id: Option<String>,
}

impl Actor<'_> {
    /// The audit channel (`web` for pages, `api` for the API).
    pub fn channel(&self) -> &'static str {
        match self.principal.channel {
            Channel::Session => "web",
            Channel::Token => "api",
        }
    }

    /// A new audit event from this actor.
    pub fn event(
        &self,
        state: &App,
        record_type: &'static str,
        action: &'static str,
        outcome: &'static str,
    ) -> AuditEvent {
        let user = &self.principal.user;
        AuditEvent {
            at: state.now(),
            request_id: self.request_id.clone(),
            channel: self.channel(),
            actor_user_id: Some(user.id.clone()),
            actor_label: user.email.clone(),
            actor_role: Some(user.role.as_str().to_string()),
            school_id: None,
            pupil_id: None,
            record_type,
            record_id: None,
            action,
            outcome,
            fields: None,
        }
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Create => "create",
        Action::Update => "update",
        Action::Export => "export",
    }
}

fn record_type(resource: Resource) -> &'static str {
    match resource {
        Resource::PupilDetails => "pupil",
        Resource::PupilContacts => "contacts",
        Resource::PupilSen => "sen_record",
        Resource::PupilAudit => "audit_trail",
        Resource::Concern => "concern",
        Resource::ParentViews => "parent_views",
        Resource::Users => "user",
        Resource::Installation => "installation",
        Resource::Aggregates => "aggregates",
        Resource::Provision => "provision",
        Resource::ProvisionCosts => "provision_costs",
        Resource::Delivery => "delivery",
        Resource::Involvement => "involvement",
        Resource::InvolvementNotes => "involvement_note",
        Resource::SpecialistReports => "specialist_report",
        Resource::Agencies => "agencies",
        Resource::PupilSenHistory => "sen_history",
        Resource::PupilNeeds => "needs",
        Resource::CensusReturn => "census_return",
        Resource::PupilImport => "pupil_import",
        Resource::Retention => "retention_review",
        Resource::SubjectAccessExport => "subject_access",
        Resource::PupilTransfers => "transfer_request",
        Resource::AccessApprovals => "access_approval",
    }
}

/// Loads a pupil for `action` on `resource`, if the matrix allows it through the caller's
/// relationship. Reads are audited through the queue; refusals are audited at once.
pub async fn pupil_for(
    state: &App,
    actor: &Actor<'_>,
    pupil_id: &str,
    resource: Resource,
    action: Action,
) -> Result<Pupil, AccessError> {
    let role = actor.principal.user.role;
    let relation = pupil_reach(role);
    let found = match relation {
        Some(_) => match state.store.pupil(&actor.principal.scope(), pupil_id).await {
            Ok(p) => Some(p),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let allowed = match (&found, relation) {
        (Some(_), Some(rel)) => allows(role, rel, resource, action),
        _ => false,
    };
    match found {
        Some(pupil) if allowed => {
            if action == Action::Read {
                let e = actor
                    .event(state, record_type(resource), "read", "allowed")
                    .school(pupil.school_id.clone())
                    .pupil(pupil.id.clone())
                    .record(pupil.id.clone());
                state.audit.read(e).await;
            }
            Ok(pupil)
        }
        _ => {
            deny_pupil(state, actor, pupil_id, resource, action).await;
            Err(AccessError::NotFound)
        }
    }
}

/// Audits a refused attempt on a pupil's record (naming the pupil only if it exists).
pub async fn deny_pupil(
    state: &App,
    actor: &Actor<'_>,
    pupil_id: &str,
    resource: Resource,
    action: Action,
) {
    let school = state
        .store
        .pupil_school_unscoped_for_audit(pupil_id)
        .await
        .ok()
        .flatten();
    let mut e = actor.event(state, record_type(resource), action_name(action), "denied");
    if school.is_some() {
        e.pupil_id = Some(pupil_id.to_string());
        e.record_id = Some(pupil_id.to_string());
    }
    e.school_id = school;
    if let Err(err) = state.store.audit(&e).await {
        tracing::error!(error = %err, "auditing a refusal failed");
    }
}

/// Audits an attempt on a record that does not exist (SR-03). A miss is a probe like a
/// refusal, and it does the same work: the same unscoped lookup [`deny_pupil`] makes and
/// one audit row at once (`denied`), so the two cannot be told apart by their timing. The
/// row names the record only when the id is a well-formed UUID (an id in the path is the
/// caller's text, kept out of the log otherwise).
pub async fn deny_missing(
    state: &App,
    actor: &Actor<'_>,
    record_id: &str,
    resource: Resource,
    action: Action,
) {
    let id = uuid::Uuid::parse_str(record_id)
        .ok()
        .map(|u| u.hyphenated().to_string());
    // The lookup's answer is not needed (the record is not there); it is made for parity.
    let _ = state
        .store
        .pupil_school_unscoped_for_audit(id.as_deref().unwrap_or(""))
        .await;
    let e = actor
        .event(state, record_type(resource), action_name(action), "denied")
        .record(id);
    if let Err(err) = state.store.audit(&e).await {
        tracing::error!(error = %err, "auditing a probe failed");
    }
}

/// Whether the caller may act on users or the installation, and through which relation.
pub fn require(
    principal: &Principal,
    resource: Resource,
    action: Action,
) -> Result<Relation, AccessError> {
    let role = principal.user.role;
    let relation = match resource {
        Resource::Users | Resource::Installation => user_reach(role),
        // A school's SENCO and head teacher approve for their school; administrators for the
        // installation.
        Resource::AccessApprovals => match role {
            Role::Admin => user_reach(role),
            _ => principal
                .user
                .school_id
                .as_ref()
                .and_then(|_| pupil_reach(role))
                .map(|_| Relation::OwnSchool),
        },
        // The catalogue belongs to a school: its staff reach it whatever their pupil reach.
        Resource::Provision
        | Resource::ProvisionCosts
        | Resource::Agencies
        | Resource::PupilImport
        | Resource::Retention => principal
            .user
            .school_id
            .as_ref()
            .and_then(|_| pupil_reach(role))
            .map(|_| Relation::OwnSchool),
        // The school holding a record decides its transfer; an officer, for the schools of
        // their authority.
        Resource::PupilTransfers => match role {
            Role::LaOfficer => Some(Relation::OwnAuthority),
            _ => principal
                .user
                .school_id
                .as_ref()
                .and_then(|_| pupil_reach(role))
                .map(|_| Relation::OwnSchool),
        },
        Resource::Aggregates => match role {
            Role::LaOfficer => Some(Relation::OwnAuthority),
            _ => pupil_reach(role).filter(|r| *r == Relation::OwnSchool),
        },
        _ => pupil_reach(role),
    };
    match relation {
        Some(rel) if allows(role, rel, resource, action) => Ok(rel),
        _ => Err(AccessError::NotFound),
    }
}

/// Whether the caller may create a pupil at a school (their own school, if the matrix allows).
pub fn may_create_pupil_at(principal: &Principal, school_id: &str) -> bool {
    let user = &principal.user;
    pupil_reach(user.role) == Some(Relation::OwnSchool)
        && allows(
            user.role,
            Relation::OwnSchool,
            Resource::PupilDetails,
            Action::Create,
        )
        && user.school_id.as_deref() == Some(school_id)
}

/// Whether the caller may act on `resource` of a pupil already reached through their scope.
pub fn may(principal: &Principal, resource: Resource, action: Action) -> bool {
    let role = principal.user.role;
    pupil_reach(role).is_some_and(|rel| allows(role, rel, resource, action))
}
