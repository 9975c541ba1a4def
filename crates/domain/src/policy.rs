//! Who may do what: the one permission matrix behind every access decision.
//!
//! A decision is a lookup in [`MATRIX`]: (role, relationship to the record, resource, action).
//! The relationship is worked out by the store from facts (which school the pupil attends,
//! whether a parent holds unrestricted parental responsibility, whether a teacher teaches
//! the child), using the predicate that [`pupil_reach`] names for the role, so that lists and
//! single records are scoped by the same rule.
//! Nothing else in Senco decides access: handlers ask [`allows`].

use crate::role::Role;

/// What is being touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A pupil's identity and school details (names, date of birth, UPN, enrolments).
    PupilDetails,
    /// A pupil's parents and carers.
    PupilContacts,
    /// Special educational needs content (stages, needs, plans; later issues).
    PupilSen,
    /// Who has read or changed a pupil's record.
    PupilAudit,
    /// Concerns raised about a pupil (staff only: parents do not see concerns being triaged).
    Concern,
    /// A parent's own and their child's views, added before a review.
    ParentViews,
    /// User accounts.
    Users,
    /// Schools, authorities and calendars of the installation.
    Installation,
    /// Counts and percentages across schools, with no individual records.
    Aggregates,
    /// A school's provision catalogue, its provision map and impact report (which pupils
    /// get which help; reading a pupil's own allocations is [`Resource::PupilSen`]).
    Provision,
    /// What provision costs (the map's costs, cost per pupil): school leaders only.
    ProvisionCosts,
    /// Recording delivered sessions of a pupil's provision.
    Delivery,
    /// Outside specialists' involvement with a pupil: who is involved, consent, visits and
    /// advice (a specialist only their own involvement).
    Involvement,
    /// Visits, assessments, advice and recommendations noted on an involvement.
    InvolvementNotes,
    /// Reports uploaded by or for specialists (parents only those the SENCO has shared).
    SpecialistReports,
    /// The outside agencies a school works with, and their people.
    Agencies,
    /// A pupil's needs (the diagnosed or assessed difficulties, such as ASD or SpLD):
    /// everyone who reads the SEN record but teaching assistants, who work from the targets
    /// and strategies instead.
    PupilNeeds,
    /// The history around a pupil's SEN record: stage history, statutory processes,
    /// provision and the chronology. Specialists see only identity, needs and the current
    /// plan (and their own involvement), so they do not have this.
    PupilSenHistory,
    /// The school census SEN return (every pupil's provision code and needs on a census
    /// date, with its validation report): the SENCO and the head teacher, who hand it to
    /// whoever sends the census.
    CensusReturn,
    /// Importing a school's pupils from a management information system's file (new pupils,
    /// changed details and transfers from other schools, confirmed first).
    PupilImport,
    /// The school's retention reviews (SR-30): pupils whose records are due for destruction,
    /// and the decision to destroy them or keep them for a documented reason. The SENCO and
    /// the head teacher.
    Retention,
    /// The subject-access bundle (SR-31): everything held about a pupil, the access log
    /// included, as one file to answer a subject access or educational-record request. Only
    /// the SENCO, who alone reads the access log ([`Resource::PupilAudit`]).
    SubjectAccessExport,
    /// Requests between schools to move a pupil and their record (SR-07): the school holding
    /// the record decides (its SENCO or head teacher), or an officer of that school's
    /// authority; staff who import pupils follow their own school's requests.
    PupilTransfers,
    /// Access waiting for a second person (SR-02): accounts with SEN access made by someone
    /// without it, and parents' sign-ins linked to a child by someone without it. The
    /// school's SENCO and head teacher decide their school's; administrators decide
    /// accounts of no school (and of schools with neither), never their own requests.
    AccessApprovals,
}

/// What is being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    /// Writing a record out as a file that leaves Senco.
    Export,
}

/// How the person acting stands to the record in question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The record belongs to the school the person works at.
    OwnSchool,
    /// The person teaches or supports the pupil (registration group or teaching assignment).
    Teaches,
    /// A parent or carer with parental responsibility and no restriction such as a court order.
    OwnChild,
    /// A specialist with an accepted or active involvement for the pupil.
    ReferredTo,
    /// A local-authority officer of the school's authority where the school has shared the record.
    SharedWithAuthority,
    /// A local-authority officer and a school of their authority (aggregate figures only).
    OwnAuthority,
    /// The installation as a whole (administrators).
    Installation,
}

/// One allowed combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub role: Role,
    pub relation: Relation,
    pub resource: Resource,
    pub action: Action,
}

const fn rule(role: Role, relation: Relation, resource: Resource, action: Action) -> Rule {
    Rule {
        role,
        relation,
        resource,
        action,
    }
}

use Action::{Create, Export, Read, Update};
use Relation::{
    Installation as Install, OwnAuthority, OwnChild, OwnSchool, ReferredTo, SharedWithAuthority,
    Teaches,
};
use Resource::{
    AccessApprovals, Agencies, Aggregates, CensusReturn, Concern, Delivery, Installation,
    Involvement, InvolvementNotes, ParentViews, Provision, ProvisionCosts, PupilAudit,
    PupilContacts, PupilDetails, PupilImport, PupilNeeds, PupilSen, PupilSenHistory,
    PupilTransfers, Retention, SpecialistReports, SubjectAccessExport, Users,
};

/// Every allowed access. Anything not listed is refused.
///
/// Every (resource, action) pair here has a real request in `tests/it/matrix.rs` that is
/// sent as every role, so a row the server does not enforce fails the build.
pub const MATRIX: &[Rule] = &[
    // SENCO: the whole SEN record of the pupils of their school.
    rule(Role::Senco, OwnSchool, PupilDetails, Read),
    rule(Role::Senco, OwnSchool, PupilDetails, Create),
    rule(Role::Senco, OwnSchool, PupilDetails, Update),
    rule(Role::Senco, OwnSchool, PupilImport, Create),
    rule(Role::Senco, OwnSchool, PupilContacts, Read),
    rule(Role::Senco, OwnSchool, PupilContacts, Create),
    rule(Role::Senco, OwnSchool, PupilSen, Read),
    rule(Role::Senco, OwnSchool, PupilNeeds, Read),
    rule(Role::Senco, OwnSchool, PupilSen, Create),
    rule(Role::Senco, OwnSchool, PupilSen, Update),
    rule(Role::Senco, OwnSchool, PupilAudit, Read),
    rule(Role::Senco, OwnSchool, Concern, Read),
    rule(Role::Senco, OwnSchool, Concern, Create),
    rule(Role::Senco, OwnSchool, Concern, Update),
    rule(Role::Senco, OwnSchool, Aggregates, Read),
    rule(Role::Senco, OwnSchool, Provision, Read),
    rule(Role::Senco, OwnSchool, Provision, Create),
    rule(Role::Senco, OwnSchool, Provision, Update),
    rule(Role::Senco, OwnSchool, ProvisionCosts, Read),
    rule(Role::Senco, OwnSchool, Delivery, Create),
    rule(Role::Senco, OwnSchool, PupilSenHistory, Read),
    rule(Role::Senco, OwnSchool, Involvement, Read),
    rule(Role::Senco, OwnSchool, Involvement, Create),
    rule(Role::Senco, OwnSchool, Involvement, Update),
    rule(Role::Senco, OwnSchool, InvolvementNotes, Read),
    rule(Role::Senco, OwnSchool, InvolvementNotes, Create),
    rule(Role::Senco, OwnSchool, SpecialistReports, Read),
    rule(Role::Senco, OwnSchool, SpecialistReports, Create),
    rule(Role::Senco, OwnSchool, SpecialistReports, Update),
    rule(Role::Senco, OwnSchool, Agencies, Read),
    rule(Role::Senco, OwnSchool, Agencies, Create),
    rule(Role::Senco, OwnSchool, CensusReturn, Read),
    rule(Role::Senco, OwnSchool, Retention, Read),
    rule(Role::Senco, OwnSchool, Retention, Update),
    rule(Role::Senco, OwnSchool, SubjectAccessExport, Export),
    rule(Role::Senco, OwnSchool, PupilTransfers, Read),
    rule(Role::Senco, OwnSchool, PupilTransfers, Update),
    rule(Role::Senco, OwnSchool, AccessApprovals, Read),
    rule(Role::Senco, OwnSchool, AccessApprovals, Update),
    // Head teacher: reads everything about the pupils of their school.
    rule(Role::Head, OwnSchool, PupilDetails, Read),
    rule(Role::Head, OwnSchool, PupilContacts, Read),
    rule(Role::Head, OwnSchool, PupilSen, Read),
    rule(Role::Head, OwnSchool, PupilNeeds, Read),
    rule(Role::Head, OwnSchool, Concern, Read),
    rule(Role::Head, OwnSchool, Aggregates, Read),
    rule(Role::Head, OwnSchool, Provision, Read),
    rule(Role::Head, OwnSchool, ProvisionCosts, Read),
    rule(Role::Head, OwnSchool, PupilSenHistory, Read),
    rule(Role::Head, OwnSchool, Involvement, Read),
    rule(Role::Head, OwnSchool, InvolvementNotes, Read),
    rule(Role::Head, OwnSchool, SpecialistReports, Read),
    rule(Role::Head, OwnSchool, Agencies, Read),
    rule(Role::Head, OwnSchool, CensusReturn, Read),
    rule(Role::Head, OwnSchool, Retention, Read),
    rule(Role::Head, OwnSchool, Retention, Update),
    rule(Role::Head, OwnSchool, PupilTransfers, Read),
    rule(Role::Head, OwnSchool, PupilTransfers, Update),
    rule(Role::Head, OwnSchool, AccessApprovals, Read),
    rule(Role::Head, OwnSchool, AccessApprovals, Update),
    // School administrator: pupil details, contacts and users, no SEN content.
    rule(Role::SchoolAdmin, OwnSchool, PupilDetails, Read),
    rule(Role::SchoolAdmin, OwnSchool, PupilDetails, Create),
    rule(Role::SchoolAdmin, OwnSchool, PupilDetails, Update),
    rule(Role::SchoolAdmin, OwnSchool, PupilImport, Create),
    rule(Role::SchoolAdmin, OwnSchool, PupilTransfers, Read),
    rule(Role::SchoolAdmin, OwnSchool, PupilContacts, Read),
    rule(Role::SchoolAdmin, OwnSchool, PupilContacts, Create),
    rule(Role::SchoolAdmin, OwnSchool, Users, Read),
    rule(Role::SchoolAdmin, OwnSchool, Users, Create),
    rule(Role::SchoolAdmin, OwnSchool, Users, Update),
    // Teachers and teaching assistants: the pupils they teach.
    rule(Role::Teacher, Teaches, PupilDetails, Read),
    rule(Role::Teacher, Teaches, PupilContacts, Read),
    rule(Role::Teacher, Teaches, PupilSen, Read),
    rule(Role::Teacher, Teaches, PupilNeeds, Read),
    rule(Role::Teacher, Teaches, Concern, Create),
    rule(Role::Teacher, OwnSchool, Provision, Read),
    rule(Role::Teacher, Teaches, Delivery, Create),
    rule(Role::Teacher, Teaches, PupilSenHistory, Read),
    rule(Role::Teacher, Teaches, Involvement, Read),
    rule(Role::Teacher, Teaches, InvolvementNotes, Read),
    rule(Role::Teacher, OwnSchool, Agencies, Read),
    rule(Role::TeachingAssistant, Teaches, PupilDetails, Read),
    rule(Role::TeachingAssistant, Teaches, PupilSen, Read),
    rule(Role::TeachingAssistant, Teaches, Concern, Create),
    rule(Role::TeachingAssistant, OwnSchool, Provision, Read),
    rule(Role::TeachingAssistant, Teaches, Delivery, Create),
    rule(Role::TeachingAssistant, Teaches, PupilSenHistory, Read),
    // Parents: their own child, only with unrestricted parental responsibility.
    rule(Role::Parent, OwnChild, PupilDetails, Read),
    rule(Role::Parent, OwnChild, PupilSen, Read),
    rule(Role::Parent, OwnChild, PupilNeeds, Read),
    rule(Role::Parent, OwnChild, ParentViews, Create),
    rule(Role::Parent, OwnChild, PupilSenHistory, Read),
    rule(Role::Parent, OwnChild, Involvement, Read),
    rule(Role::Parent, OwnChild, SpecialistReports, Read),
    // Specialists: pupils referred to them.
    rule(Role::Specialist, ReferredTo, PupilDetails, Read),
    rule(Role::Specialist, ReferredTo, PupilSen, Read),
    rule(Role::Specialist, ReferredTo, PupilNeeds, Read),
    rule(Role::Specialist, ReferredTo, Involvement, Read),
    rule(Role::Specialist, ReferredTo, InvolvementNotes, Read),
    rule(Role::Specialist, ReferredTo, InvolvementNotes, Create),
    rule(Role::Specialist, ReferredTo, SpecialistReports, Read),
    rule(Role::Specialist, ReferredTo, SpecialistReports, Create),
    // Local-authority officers: aggregates, and records their schools have shared.
    rule(Role::LaOfficer, OwnAuthority, Aggregates, Read),
    rule(Role::LaOfficer, OwnAuthority, PupilTransfers, Read),
    rule(Role::LaOfficer, OwnAuthority, PupilTransfers, Update),
    rule(Role::LaOfficer, SharedWithAuthority, PupilDetails, Read),
    rule(Role::LaOfficer, SharedWithAuthority, PupilSen, Read),
    rule(Role::LaOfficer, SharedWithAuthority, PupilNeeds, Read),
    rule(Role::LaOfficer, SharedWithAuthority, PupilSenHistory, Read),
    rule(Role::LaOfficer, SharedWithAuthority, Involvement, Read),
    rule(Role::LaOfficer, SharedWithAuthority, InvolvementNotes, Read),
    rule(
        Role::LaOfficer,
        SharedWithAuthority,
        SpecialistReports,
        Read,
    ),
    // Administrators: the installation (every school and authority, which they add and
    // change; terms are added from the command line, outside the matrix), never SEN content.
    rule(Role::Admin, Install, Installation, Read),
    rule(Role::Admin, Install, Installation, Create),
    rule(Role::Admin, Install, Installation, Update),
    rule(Role::Admin, Install, Users, Read),
    rule(Role::Admin, Install, Users, Create),
    rule(Role::Admin, Install, Users, Update),
    rule(Role::Admin, Install, AccessApprovals, Read),
    rule(Role::Admin, Install, AccessApprovals, Update),
];

/// Whether an account of `role` reads SEN content of any pupil it reaches (SR-02: giving
/// such an account, or linking a parent, needs someone who reads it too, or a second
/// person).
pub fn sees_sen(role: Role) -> bool {
    pupil_reach(role).is_some_and(|rel| allows(role, rel, Resource::PupilSen, Action::Read))
}

/// Whether an account of `role` (or a parent's link to a child, [`Role::Parent`]) made by
/// someone of role `maker` needs a second person's approval (SR-02): it would read SEN
/// content that its maker does not.
pub fn needs_approval(maker: Role, role: Role) -> bool {
    sees_sen(role) && !sees_sen(maker)
}

/// Whether the matrix allows `action` on `resource` for `role` standing in `relation`.
pub fn allows(role: Role, relation: Relation, resource: Resource, action: Action) -> bool {
    MATRIX.iter().any(|r| {
        r.role == role && r.relation == relation && r.resource == resource && r.action == action
    })
}

/// The relationship through which a role can reach pupils at all, which the store turns
/// into the query predicate for both lists and single records. `None`: no pupil is reachable.
pub fn pupil_reach(role: Role) -> Option<Relation> {
    match role {
        Role::Senco | Role::Head | Role::SchoolAdmin => Some(OwnSchool),
        Role::Teacher | Role::TeachingAssistant => Some(Teaches),
        Role::Parent => Some(OwnChild),
        Role::Specialist => Some(ReferredTo),
        Role::LaOfficer => Some(SharedWithAuthority),
        Role::Admin => None,
    }
}

/// The relationship a role has to user accounts it may manage, if any.
pub fn user_reach(role: Role) -> Option<Relation> {
    match role {
        Role::Admin => Some(Install),
        Role::SchoolAdmin => Some(OwnSchool),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_roles_that_read_sen_content_see_it() {
        for role in Role::ALL {
            let expected = !matches!(role, Role::SchoolAdmin | Role::Admin);
            assert_eq!(sees_sen(role), expected, "{role:?}");
        }
    }

    #[test]
    fn every_rule_is_reachable_through_the_roles_relation() {
        for r in MATRIX {
            let reach = [pupil_reach(r.role), user_reach(r.role)];
            let pupil_resource = matches!(
                r.resource,
                PupilDetails
                    | PupilContacts
                    | PupilSen
                    | PupilAudit
                    | Concern
                    | ParentViews
                    | Delivery
                    | Involvement
                    | PupilNeeds
                    | InvolvementNotes
                    | SpecialistReports
                    | PupilSenHistory
                    | SubjectAccessExport
            );
            if pupil_resource {
                assert_eq!(reach[0], Some(r.relation), "{r:?}");
            }
        }
    }

    #[test]
    fn nobody_outside_the_school_reads_contacts() {
        for role in Role::ALL {
            for relation in [OwnChild, ReferredTo, SharedWithAuthority, OwnAuthority] {
                assert!(!allows(role, relation, PupilContacts, Read), "{role:?}");
            }
        }
    }

    #[test]
    fn administrators_never_see_sen_content() {
        for relation in [OwnSchool, Teaches, OwnChild, ReferredTo, Install] {
            assert!(!allows(Role::Admin, relation, PupilSen, Read));
            assert!(!allows(Role::SchoolAdmin, relation, PupilSen, Read));
        }
    }

    #[test]
    fn only_the_senco_reads_a_pupils_audit_trail() {
        for role in Role::ALL {
            let expected = role == Role::Senco;
            assert_eq!(
                allows(role, OwnSchool, PupilAudit, Read),
                expected,
                "{role:?}"
            );
        }
    }

    #[test]
    fn only_the_senco_exports_a_subject_access_bundle_and_only_who_reads_the_trail() {
        for role in Role::ALL {
            for relation in [
                OwnSchool,
                Teaches,
                OwnChild,
                ReferredTo,
                SharedWithAuthority,
                Install,
            ] {
                let export = allows(role, relation, SubjectAccessExport, Export);
                assert_eq!(
                    export,
                    role == Role::Senco && relation == OwnSchool,
                    "{role:?} {relation:?}"
                );
                // The bundle holds the access log: whoever exports it reads the trail.
                if export {
                    assert!(allows(role, relation, PupilAudit, Read));
                }
            }
        }
    }

    #[test]
    fn parents_specialists_and_officers_never_see_concerns() {
        for role in [
            Role::Parent,
            Role::Specialist,
            Role::LaOfficer,
            Role::Admin,
            Role::SchoolAdmin,
        ] {
            for relation in [
                OwnSchool,
                Teaches,
                OwnChild,
                ReferredTo,
                SharedWithAuthority,
                Install,
            ] {
                assert!(!allows(role, relation, Concern, Read), "{role:?}");
            }
        }
    }

    #[test]
    fn only_school_leaders_see_what_provision_costs() {
        for role in Role::ALL {
            let expected = matches!(role, Role::Senco | Role::Head);
            for relation in [
                OwnSchool,
                Teaches,
                OwnChild,
                ReferredTo,
                SharedWithAuthority,
            ] {
                assert_eq!(
                    allows(role, relation, ProvisionCosts, Read),
                    expected && relation == OwnSchool,
                    "{role:?} {relation:?}"
                );
            }
        }
    }

    #[test]
    fn only_school_staff_record_delivery_and_only_the_senco_changes_the_catalogue() {
        for role in [
            Role::Parent,
            Role::Specialist,
            Role::LaOfficer,
            Role::Admin,
            Role::SchoolAdmin,
        ] {
            for relation in [
                OwnSchool,
                Teaches,
                OwnChild,
                ReferredTo,
                SharedWithAuthority,
                Install,
            ] {
                assert!(!allows(role, relation, Delivery, Create), "{role:?}");
                assert!(!allows(role, relation, Provision, Read), "{role:?}");
            }
        }
        for role in Role::ALL {
            assert_eq!(
                allows(role, OwnSchool, Provision, Create),
                role == Role::Senco,
                "{role:?}"
            );
        }
    }

    #[test]
    fn teaching_assistants_never_see_specialists_reports_and_specialists_no_history() {
        for relation in [OwnSchool, Teaches] {
            assert!(!allows(
                Role::TeachingAssistant,
                relation,
                SpecialistReports,
                Read
            ));
            assert!(!allows(
                Role::TeachingAssistant,
                relation,
                Involvement,
                Read
            ));
            assert!(!allows(Role::Teacher, relation, SpecialistReports, Read));
        }
        assert!(!allows(Role::Specialist, ReferredTo, PupilSenHistory, Read));
        assert!(!allows(Role::Specialist, ReferredTo, Concern, Read));
        assert!(allows(
            Role::Specialist,
            ReferredTo,
            SpecialistReports,
            Create
        ));
        // Only the SENCO changes an involvement's status or consent, or shares a report.
        for role in Role::ALL {
            for relation in [
                OwnSchool,
                Teaches,
                OwnChild,
                ReferredTo,
                SharedWithAuthority,
            ] {
                let senco = role == Role::Senco && relation == OwnSchool;
                assert_eq!(
                    allows(role, relation, Involvement, Update),
                    senco,
                    "{role:?}"
                );
                assert_eq!(
                    allows(role, relation, SpecialistReports, Update),
                    senco,
                    "{role:?}"
                );
            }
        }
        // Everyone else who reads SEN records reads their history.
        for r in MATRIX
            .iter()
            .filter(|r| r.resource == PupilSen && r.action == Read)
        {
            assert_eq!(
                allows(r.role, r.relation, PupilSenHistory, Read),
                r.role != Role::Specialist,
                "{r:?}"
            );
        }
    }

    #[test]
    fn the_matrix_has_no_duplicate_rows() {
        for (i, a) in MATRIX.iter().enumerate() {
            assert!(!MATRIX[i + 1..].contains(a), "{a:?}");
        }
    }
}
