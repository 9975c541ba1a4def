//! Individual education plans (and the SEN support plans and IDPs that follow the same
//! cycle) and their reviews, as pure rules (REFERENCE.md §1.5–1.7, §3.1, §4.3).
//!
//! - [`dates`]: the hard review limit ([`review_limit`], [`PlanDates`]) and the school's
//!   stricter review policy ([`ReviewPolicy`], [`policy_review_by`]).
//! - [`status`]: the plan's lifecycle ([`PlanStatus`], [`can_transition`]).
//! - [`target`]: targets checked field by field ([`TargetDraft::validate`]) and their
//!   outcomes at review ([`TargetOutcome`], [`targets_to_carry_forward`]).
//! - [`quality`]: plan-quality checks as data ([`QUALITY_CHECKS`]): each gives a
//!   [`QualityWarning`] and never blocks saving, including the review policy's
//!   ([`policy_warning`]). [`check_plan`] runs them all.
//! - [`review`]: what a review decides about the pupil's stage ([`stage_after`]) and the
//!   parents' and pupil's views ([`check_views`]).

pub mod dates;
pub mod quality;
pub mod review;
pub mod status;
pub mod target;

pub use dates::{
    PlanDateError, PlanDates, PolicyBasis, ReviewPolicy, policy_review_by, review_limit,
};
pub use quality::{
    PlanDraftForChecks, ProvisionDraft, QUALITY_CHECKS, QualityCheck, QualityDetail,
    QualityWarning, TargetForChecks, carried_forward_warning, check_plan, find_vague_phrase,
    has_frequency, has_quantity, is_measurable, policy_warning, target_count_warning,
};
pub use review::{
    LOCAL_AUTHORITY_STAGES, MAX_VIEWS_CHARS, ReviewDecision, ReviewError, ViewsError, check_views,
    stage_after,
};
pub use status::{PlanStatus, StatusError, can_transition, check_transition};
pub use target::{
    MAX_TARGET_CHARS, MAX_TARGETS, Target, TargetDraft, TargetField, TargetId, TargetOutcome,
    TargetProblem, TargetProblems, targets_to_carry_forward,
};

/// `n` with thousands separators: 5000 as "5,000".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2000), "2,000");
        assert_eq!(thousands(5000), "5,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
