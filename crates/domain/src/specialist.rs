//! Outside specialists: the kinds of agency a school works with, an involvement's status and
//! the moves between them, and what notes a specialist leaves.
//!
//! School Action Plus brings in outside specialists. Parents consent to a referral; an
//! involvement is then accepted by the agency and becomes active with visits and
//! assessments, until it is closed. A specialist reaches the pupil's record only while
//! consent stands and the involvement is accepted or active ([`gives_access`]).

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// The kinds of outside agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    EducationalPsychology,
    SpeechAndLanguageTherapy,
    /// Specialist teaching, for example for dyslexia.
    SpecialistTeaching,
    OccupationalTherapy,
    Physiotherapy,
    /// Child and adolescent mental health services.
    Camhs,
    /// Hearing and vision support.
    SensoryService,
    BehaviourSupport,
    SchoolNurse,
    SocialCare,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 10] = [
        AgencyKind::EducationalPsychology,
        AgencyKind::SpeechAndLanguageTherapy,
        AgencyKind::SpecialistTeaching,
        AgencyKind::OccupationalTherapy,
        AgencyKind::Physiotherapy,
        AgencyKind::Camhs,
        AgencyKind::SensoryService,
        AgencyKind::BehaviourSupport,
        AgencyKind::SchoolNurse,
        AgencyKind::SocialCare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgencyKind::EducationalPsychology => "educational_psychology",
            AgencyKind::SpeechAndLanguageTherapy => "speech_and_language_therapy",
            AgencyKind::SpecialistTeaching => "specialist_teaching",
            AgencyKind::OccupationalTherapy => "occupational_therapy",
            AgencyKind::Physiotherapy => "physiotherapy",
            AgencyKind::Camhs => "camhs",
            AgencyKind::SensoryService => "sensory_service",
            AgencyKind::BehaviourSupport => "behaviour_support",
            AgencyKind::SchoolNurse => "school_nurse",
            AgencyKind::SocialCare => "social_care",
        }
    }

    pub fn parse(s: &str) -> Option<AgencyKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AgencyKind::EducationalPsychology => "Educational psychology",
            AgencyKind::SpeechAndLanguageTherapy => "Speech and language therapy",
            AgencyKind::SpecialistTeaching => "Specialist teaching",
            AgencyKind::OccupationalTherapy => "Occupational therapy",
            AgencyKind::Physiotherapy => "Physiotherapy",
            AgencyKind::Camhs => "Child and adolescent mental health services (CAMHS)",
            AgencyKind::SensoryService => "Sensory service (hearing and vision)",
            AgencyKind::BehaviourSupport => "Behaviour support",
            AgencyKind::SchoolNurse => "School nurse",
            AgencyKind::SocialCare => "Social care",
        }
    }
}

/// Where an involvement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvolvementStatus {
    /// The school has asked the agency.
    Requested,
    /// The agency has taken the referral.
    Accepted,
    /// Visits and assessments are under way.
    Active,
    Closed,
}

impl InvolvementStatus {
    pub const ALL: [InvolvementStatus; 4] = [
        InvolvementStatus::Requested,
        InvolvementStatus::Accepted,
        InvolvementStatus::Active,
        InvolvementStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvolvementStatus::Requested => "requested",
            InvolvementStatus::Accepted => "accepted",
            InvolvementStatus::Active => "active",
            InvolvementStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<InvolvementStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            InvolvementStatus::Requested => "Requested",
            InvolvementStatus::Accepted => "Accepted",
            InvolvementStatus::Active => "Active",
            InvolvementStatus::Closed => "Closed",
        }
    }

    /// Whether the involvement is still open (anything but closed).
    pub fn is_open(self) -> bool {
        self != InvolvementStatus::Closed
    }
}

/// Why a change of status is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("A closed involvement cannot be reopened: make a new referral instead")]
    Reopen,
    #[error("An involvement can only move forward: requested, accepted, active, then closed")]
    Backwards,
    #[error("Record the parents' consent before the involvement is accepted or active")]
    NoConsent,
}

impl StatusError {
    pub fn rule(self) -> &'static str {
        match self {
            StatusError::Reopen => "closed_involvement",
            StatusError::Backwards => "status_backwards",
            StatusError::NoConsent => "consent_required",
        }
    }

    /// The problem with `field`, as a code (the catalogue has the words).
    pub fn problem(self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let code = match self {
            StatusError::Reopen => "specialists.status_reopen",
            StatusError::Backwards => "specialists.status_backwards",
            StatusError::NoConsent => "specialists.status_no_consent",
        };
        Problem::new(field, self.rule(), code)
    }
}

fn rank(s: InvolvementStatus) -> u8 {
    match s {
        InvolvementStatus::Requested => 0,
        InvolvementStatus::Accepted => 1,
        InvolvementStatus::Active => 2,
        InvolvementStatus::Closed => 3,
    }
}

/// Checks a move from `from` to `to`: forward only (staying put is allowed), never out of
/// closed, and accepted or active only with the parents' consent recorded.
pub fn check_status(
    from: InvolvementStatus,
    to: InvolvementStatus,
    consent: bool,
) -> Result<(), StatusError> {
    if from == InvolvementStatus::Closed && to != InvolvementStatus::Closed {
        return Err(StatusError::Reopen);
    }
    if rank(to) < rank(from) {
        return Err(StatusError::Backwards);
    }
    if matches!(to, InvolvementStatus::Accepted | InvolvementStatus::Active) && !consent {
        return Err(StatusError::NoConsent);
    }
    Ok(())
}

/// Whether a specialist may reach the pupil through this involvement: consent recorded (and
/// not withdrawn) and the involvement accepted or active. The store's scope predicate is
/// the same rule in SQL; `store` tests check the two agree.
pub fn gives_access(status: InvolvementStatus, consent: bool) -> bool {
    consent
        && matches!(
            status,
            InvolvementStatus::Accepted | InvolvementStatus::Active
        )
}

/// Whether someone reaching a pupil through `relation` sees a report: parents only those the
/// SENCO has shared with them; everyone the matrix lets read reports sees the rest.
pub fn report_visible(relation: crate::policy::Relation, shared: bool) -> bool {
    relation != crate::policy::Relation::OwnChild || shared
}

/// Whether someone reaching a pupil through `relation` sees only their own involvements
/// (specialists), rather than every involvement of the pupil.
pub fn only_own_involvements(relation: crate::policy::Relation) -> bool {
    relation == crate::policy::Relation::ReferredTo
}

/// What a note of an involvement records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Visit,
    Assessment,
    Advice,
    /// A recommendation: one action turns it into a strategy of a plan target.
    Recommendation,
}

impl NoteKind {
    pub const ALL: [NoteKind; 4] = [
        NoteKind::Visit,
        NoteKind::Assessment,
        NoteKind::Advice,
        NoteKind::Recommendation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Visit => "visit",
            NoteKind::Assessment => "assessment",
            NoteKind::Advice => "advice",
            NoteKind::Recommendation => "recommendation",
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Visit => "Visit",
            NoteKind::Assessment => "Assessment",
            NoteKind::Advice => "Advice",
            NoteKind::Recommendation => "Recommendation",
        }
    }
}

/// A plan target's strategies with a recommendation added as a new line (once: adding the
/// same recommendation again changes nothing).
pub fn add_strategy(strategies: &str, recommendation: &str) -> String {
    let rec = recommendation.trim();
    let current = strategies.trim_end();
    if rec.is_empty() || current.lines().any(|l| l.trim() == rec) {
        return strategies.to_string();
    }
    if current.is_empty() {
        rec.to_string()
    } else {
        format!("{current}\n{rec}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvolvementStatus::*;

    #[test]
    fn involvements_move_forward_and_need_consent_to_be_accepted() {
        assert_eq!(check_status(Requested, Accepted, true), Ok(()));
        assert_eq!(check_status(Requested, Active, true), Ok(()));
        assert_eq!(check_status(Accepted, Closed, false), Ok(()));
        assert_eq!(check_status(Requested, Closed, false), Ok(()));
        assert_eq!(check_status(Active, Active, true), Ok(()));
        assert_eq!(
            check_status(Requested, Accepted, false),
            Err(StatusError::NoConsent)
        );
        assert_eq!(
            check_status(Active, Requested, true),
            Err(StatusError::Backwards)
        );
        assert_eq!(check_status(Closed, Active, true), Err(StatusError::Reopen));
        assert_eq!(StatusError::NoConsent.rule(), "consent_required");
    }

    #[test]
    fn only_consented_accepted_or_active_involvements_give_access() {
        for s in InvolvementStatus::ALL {
            assert!(!gives_access(s, false), "{s:?} without consent");
        }
        assert!(gives_access(Accepted, true));
        assert!(gives_access(Active, true));
        assert!(!gives_access(Requested, true));
        assert!(!gives_access(Closed, true));
    }

    #[test]
    fn parents_see_shared_reports_and_specialists_their_own_involvements() {
        use crate::policy::Relation;
        assert!(!report_visible(Relation::OwnChild, false));
        assert!(report_visible(Relation::OwnChild, true));
        assert!(report_visible(Relation::OwnSchool, false));
        assert!(report_visible(Relation::ReferredTo, false));
        assert!(only_own_involvements(Relation::ReferredTo));
        assert!(!only_own_involvements(Relation::OwnSchool));
    }

    #[test]
    fn keys_round_trip() {
        for k in AgencyKind::ALL {
            assert_eq!(AgencyKind::parse(k.as_str()), Some(k));
        }
        for k in NoteKind::ALL {
            assert_eq!(NoteKind::parse(k.as_str()), Some(k));
        }
        for k in InvolvementStatus::ALL {
            assert_eq!(InvolvementStatus::parse(k.as_str()), Some(k));
        }
        assert_eq!(AgencyKind::parse("astrology"), None);
    }

    #[test]
    fn a_recommendation_becomes_one_line_of_strategy() {
        assert_eq!(
            add_strategy("", "Use a reading ruler"),
            "Use a reading ruler"
        );
        assert_eq!(
            add_strategy("Pre-teach vocabulary\n", "Use a reading ruler"),
            "Pre-teach vocabulary\nUse a reading ruler"
        );
        let once = add_strategy("Pre-teach vocabulary", "Use a reading ruler");
        assert_eq!(add_strategy(&once, " Use a reading ruler "), once);
        assert_eq!(add_strategy("Keep", "  "), "Keep");
    }
}
