//! A plan's lifecycle: draft, agreed with parents, active, under review, closed.
//!
//! The usual path is draft → agreed with parents → active → under review → closed.
//! Decisions:
//! - A draft cannot become active directly: parents are consulted on every plan
//!   (REFERENCE.md §1.4, §1.7), so it is agreed with them first. Where parents could not
//!   be reached, the school records that in the parents' views and marks it agreed.
//! - An agreed plan may go back to draft when parents ask for changes before it starts.
//! - A draft or agreed plan may be closed (withdrawn before it started), and an active one
//!   may be closed without a review when it ends early (the pupil leaves, or the plan is
//!   replaced).
//! - Closed is final and read-only.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// Where a plan is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    AgreedWithParents,
    Active,
    UnderReview,
    Closed,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 5] = [
        PlanStatus::Draft,
        PlanStatus::AgreedWithParents,
        PlanStatus::Active,
        PlanStatus::UnderReview,
        PlanStatus::Closed,
    ];

    /// The stable snake_case id, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::AgreedWithParents => "agreed_with_parents",
            PlanStatus::Active => "active",
            PlanStatus::UnderReview => "under_review",
            PlanStatus::Closed => "closed",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<PlanStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Draft => "Draft",
            PlanStatus::AgreedWithParents => "Agreed with parents",
            PlanStatus::Active => "Active",
            PlanStatus::UnderReview => "Under review",
            PlanStatus::Closed => "Closed",
        }
    }

    /// The statuses a plan may move to from this one, usual next step first.
    pub fn next(self) -> &'static [PlanStatus] {
        match self {
            PlanStatus::Draft => &[PlanStatus::AgreedWithParents, PlanStatus::Closed],
            PlanStatus::AgreedWithParents => {
                &[PlanStatus::Active, PlanStatus::Draft, PlanStatus::Closed]
            }
            PlanStatus::Active => &[PlanStatus::UnderReview, PlanStatus::Closed],
            PlanStatus::UnderReview => &[PlanStatus::Closed],
            PlanStatus::Closed => &[],
        }
    }

    /// Whether the plan's content may still be changed: false only once it is closed.
    pub fn is_editable(self) -> bool {
        self != PlanStatus::Closed
    }
}

impl fmt::Display for PlanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Whether a plan may move from status `from` to `to` (see the module documentation).
pub fn can_transition(from: PlanStatus, to: PlanStatus) -> bool {
    from.next().contains(&to)
}

/// Why a change of status is refused. Each names its rule ([`StatusError::rule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("This plan is closed and can no longer be changed")]
    Closed,
    #[error("The plan is already {}", status.label().to_lowercase())]
    AlreadyInStatus { status: PlanStatus },
    #[error("A draft plan must be agreed with parents before it becomes active")]
    NotAgreed,
    #[error(
        "A plan cannot go from {} to {}",
        from.label().to_lowercase(),
        to.label().to_lowercase()
    )]
    NotAllowed { from: PlanStatus, to: PlanStatus },
}

impl StatusError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            StatusError::Closed => "plan_closed",
            StatusError::AlreadyInStatus { .. } => "already_in_status",
            StatusError::NotAgreed => "not_agreed_with_parents",
            StatusError::NotAllowed { .. } => "status_change_not_allowed",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let p = |code| Problem::new(field, self.rule(), code);
        let lower = |s: PlanStatus| s.label().to_lowercase();
        match *self {
            StatusError::Closed => p("plans.status_closed"),
            StatusError::AlreadyInStatus { status } => {
                p("plans.status_already").with("status", lower(status))
            }
            StatusError::NotAgreed => p("plans.status_not_agreed"),
            StatusError::NotAllowed { from, to } => p("plans.status_not_allowed")
                .with("from", lower(from))
                .with("to", lower(to)),
        }
    }
}

/// [`can_transition`], with the reason when it is refused.
pub fn check_transition(from: PlanStatus, to: PlanStatus) -> Result<(), StatusError> {
    if can_transition(from, to) {
        return Ok(());
    }
    Err(match (from, to) {
        (PlanStatus::Closed, _) => StatusError::Closed,
        (f, t) if f == t => StatusError::AlreadyInStatus { status: f },
        (PlanStatus::Draft, PlanStatus::Active) => StatusError::NotAgreed,
        (from, to) => StatusError::NotAllowed { from, to },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    use PlanStatus::*;

    #[test]
    fn ids_round_trip() {
        for s in PlanStatus::ALL {
            assert_eq!(PlanStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(s.to_string(), s.label());
        }
        assert_eq!(
            serde_json::to_string(&AgreedWithParents).unwrap(),
            "\"agreed_with_parents\""
        );
        assert_eq!(PlanStatus::parse("Draft"), None);
    }

    #[test]
    fn the_usual_path() {
        for (from, to) in [
            (Draft, AgreedWithParents),
            (AgreedWithParents, Active),
            (Active, UnderReview),
            (UnderReview, Closed),
        ] {
            assert!(can_transition(from, to), "{from:?} -> {to:?}");
            assert_eq!(check_transition(from, to), Ok(()));
        }
    }

    #[test]
    fn other_allowed_moves() {
        assert!(can_transition(AgreedWithParents, Draft));
        assert!(can_transition(Draft, Closed));
        assert!(can_transition(AgreedWithParents, Closed));
        assert!(can_transition(Active, Closed));
    }

    #[test]
    fn draft_cannot_skip_parents() {
        assert!(!can_transition(Draft, Active));
        let e = check_transition(Draft, Active).unwrap_err();
        assert_eq!(e, StatusError::NotAgreed);
        assert_eq!(e.rule(), "not_agreed_with_parents");
        assert_eq!(
            e.to_string(),
            "A draft plan must be agreed with parents before it becomes active"
        );
    }

    #[test]
    fn refusals() {
        assert!(!can_transition(Active, Draft));
        assert!(!can_transition(UnderReview, Active));
        assert!(!can_transition(Draft, UnderReview));
        let e = check_transition(Active, Draft).unwrap_err();
        assert_eq!(e.rule(), "status_change_not_allowed");
        assert_eq!(e.to_string(), "A plan cannot go from active to draft");
        let e = check_transition(Active, Active).unwrap_err();
        assert_eq!(e.rule(), "already_in_status");
        assert_eq!(e.to_string(), "The plan is already active");
    }

    #[test]
    fn closed_is_final_and_read_only() {
        assert!(Closed.next().is_empty());
        for to in PlanStatus::ALL {
            assert!(!can_transition(Closed, to));
            assert_eq!(check_transition(Closed, to), Err(StatusError::Closed));
        }
        assert!(!Closed.is_editable());
        for s in [Draft, AgreedWithParents, Active, UnderReview] {
            assert!(s.is_editable());
        }
        assert_eq!(
            StatusError::Closed.to_string(),
            "This plan is closed and can no longer be changed"
        );
    }

    #[test]
    fn every_status_is_reachable_from_draft_and_reaches_closed() {
        let mut seen = HashSet::from([Draft]);
        let mut todo = vec![Draft];
        while let Some(s) = todo.pop() {
            for &n in s.next() {
                if seen.insert(n) {
                    todo.push(n);
                }
            }
        }
        assert_eq!(seen.len(), PlanStatus::ALL.len());
        for s in PlanStatus::ALL {
            // Every open status can be closed, directly or after a review.
            assert!(s == Closed || s.next().contains(&Closed));
        }
    }

    fn any_status() -> impl Strategy<Value = PlanStatus> {
        prop::sample::select(PlanStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn check_agrees_with_can(from in any_status(), to in any_status()) {
            prop_assert_eq!(check_transition(from, to).is_ok(), can_transition(from, to));
            prop_assert!(!can_transition(from, from));
            if let Err(e) = check_transition(from, to) {
                prop_assert!(!e.to_string().ends_with('.'));
            }
        }
    }
}
