//! A plan's short-term targets, checked field by field, and their outcomes at review
//! (REFERENCE.md §1.5).
//!
//! [`TargetDraft::validate`] returns every problem found, each naming its field, like
//! [`crate::pupil::PupilDraft::validate`], so forms can show them all at once.

use serde::{Deserialize, Serialize};
use time::Date;

use super::dates::PlanDates;
use crate::census::AreaOfNeed;
use crate::problem::Problem;

/// The most characters a target's text fields may hold.
pub const MAX_TARGET_CHARS: usize = 2_000;

/// The most targets one plan may hold (SR-25). Three or four are the norm (a longer plan
/// only warns, [`super::target_count_warning`]); past this the plan is refused, since each
/// target costs work in every save, review and PDF (3,000 targets took 3 s to render).
pub const MAX_TARGETS: usize = 20;

/// A target as typed into a form or sent to the API. Empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDraft {
    pub area: Option<AreaOfNeed>,
    pub target: String,
    pub strategies: String,
    pub success_criteria: String,
    pub by_when: Option<Date>,
}

/// A checked target: target and success criteria given, every text at most
/// [`MAX_TARGET_CHARS`] characters (trimmed), and `by_when` within its plan's dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    area: Option<AreaOfNeed>,
    target: String,
    strategies: String,
    success_criteria: String,
    by_when: Option<Date>,
}

impl Target {
    pub fn area(&self) -> Option<AreaOfNeed> {
        self.area
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// May be empty.
    pub fn strategies(&self) -> &str {
        &self.strategies
    }

    pub fn success_criteria(&self) -> &str {
        &self.success_criteria
    }

    pub fn by_when(&self) -> Option<Date> {
        self.by_when
    }
}

/// A field of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetField {
    Target,
    Strategies,
    SuccessCriteria,
    ByWhen,
}

impl TargetField {
    /// The field's snake_case name (as in the API and in form field names).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetField::Target => "target",
            TargetField::Strategies => "strategies",
            TargetField::SuccessCriteria => "success_criteria",
            TargetField::ByWhen => "by_when",
        }
    }
}

/// What is wrong with a field of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetProblem {
    /// Required and not given.
    Missing,
    TooLong {
        max: usize,
    },
    /// Before the plan starts.
    BeforeStart {
        start: Date,
    },
    /// After the plan's review date.
    AfterReview {
        review: Date,
    },
}

impl TargetProblem {
    /// A stable, machine-readable reason for the API.
    pub fn code(&self) -> &'static str {
        match self {
            TargetProblem::Missing => "missing",
            TargetProblem::TooLong { .. } => "too_long",
            TargetProblem::BeforeStart { .. } => "before_plan_start",
            TargetProblem::AfterReview { .. } => "after_plan_review",
        }
    }

    /// The problem with `field` as a code and its values (under the field `field`'s name;
    /// callers put it where their form has it); the catalogue has the words.
    pub fn problem(&self, field: TargetField) -> Problem {
        let name = field.as_str();
        match *self {
            TargetProblem::Missing => Problem::new(
                name,
                self.code(),
                match field {
                    TargetField::Target => "target.target_missing",
                    TargetField::SuccessCriteria => "target.success_criteria_missing",
                    TargetField::Strategies => "target.strategies_missing",
                    TargetField::ByWhen => "target.by_when_missing",
                },
            ),
            TargetProblem::TooLong { max } => Problem::new(
                name,
                self.code(),
                match field {
                    TargetField::Target => "target.target_too_long",
                    TargetField::SuccessCriteria => "target.success_criteria_too_long",
                    TargetField::Strategies => "target.strategies_too_long",
                    TargetField::ByWhen => "target.by_when_too_long",
                },
            )
            .with("max", max),
            TargetProblem::BeforeStart { start } => {
                Problem::new(name, self.code(), "target.before_plan_start").with("start", start)
            }
            TargetProblem::AfterReview { review } => {
                Problem::new(name, self.code(), "target.after_plan_review").with("review", review)
            }
        }
    }
}

/// Every problem found, in field order.
pub type TargetProblems = Vec<(TargetField, TargetProblem)>;

/// The trimmed text, or the problem with it.
fn text(value: &str, required: bool) -> Result<String, TargetProblem> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(TargetProblem::Missing);
    }
    if value.chars().count() > MAX_TARGET_CHARS {
        return Err(TargetProblem::TooLong {
            max: MAX_TARGET_CHARS,
        });
    }
    Ok(value.to_owned())
}

impl TargetDraft {
    /// Every problem with this target, in field order. Without `dates` (the plan's own
    /// dates are not valid yet) the target date is not checked against them.
    pub fn problems(&self, dates: Option<&PlanDates>) -> TargetProblems {
        match self.check(dates) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// Checks every field; `by_when` must fall within `dates`, from the plan's start to its
    /// review.
    pub fn validate(&self, dates: &PlanDates) -> Result<Target, TargetProblems> {
        self.check(Some(dates))
    }

    fn check(&self, dates: Option<&PlanDates>) -> Result<Target, TargetProblems> {
        let mut problems = TargetProblems::new();
        let mut field = |field, result: Result<String, TargetProblem>| match result {
            Ok(v) => v,
            Err(p) => {
                problems.push((field, p));
                String::new()
            }
        };
        let target = field(TargetField::Target, text(&self.target, true));
        let strategies = field(TargetField::Strategies, text(&self.strategies, false));
        let success_criteria = field(
            TargetField::SuccessCriteria,
            text(&self.success_criteria, true),
        );
        if let (Some(by), Some(dates)) = (self.by_when, dates) {
            if by < dates.start() {
                problems.push((
                    TargetField::ByWhen,
                    TargetProblem::BeforeStart {
                        start: dates.start(),
                    },
                ));
            } else if by > dates.review() {
                problems.push((
                    TargetField::ByWhen,
                    TargetProblem::AfterReview {
                        review: dates.review(),
                    },
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Target {
            area: self.area,
            target,
            strategies,
            success_criteria,
            by_when: self.by_when,
        })
    }
}

/// The id of a target, as the store gives it (a UUID in text). Opaque here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TargetId(String);

impl TargetId {
    pub fn new(id: impl Into<String>) -> TargetId {
        TargetId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How far a target was met, recorded at a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetOutcome {
    Achieved,
    PartlyAchieved,
    NotAchieved,
    NoLongerRelevant,
}

impl TargetOutcome {
    pub const ALL: [TargetOutcome; 4] = [
        TargetOutcome::Achieved,
        TargetOutcome::PartlyAchieved,
        TargetOutcome::NotAchieved,
        TargetOutcome::NoLongerRelevant,
    ];

    /// The stable snake_case id, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetOutcome::Achieved => "achieved",
            TargetOutcome::PartlyAchieved => "partly_achieved",
            TargetOutcome::NotAchieved => "not_achieved",
            TargetOutcome::NoLongerRelevant => "no_longer_relevant",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<TargetOutcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetOutcome::Achieved => "Achieved",
            TargetOutcome::PartlyAchieved => "Partly achieved",
            TargetOutcome::NotAchieved => "Not achieved",
            TargetOutcome::NoLongerRelevant => "No longer relevant",
        }
    }

    /// Whether a target with this outcome is offered for carrying forward to the next plan:
    /// not achieved, or only partly.
    pub fn offers_carry_forward(self) -> bool {
        matches!(
            self,
            TargetOutcome::NotAchieved | TargetOutcome::PartlyAchieved
        )
    }
}

/// The targets offered for carrying forward to the next plan (not achieved or partly
/// achieved), in the order given.
pub fn targets_to_carry_forward(outcomes: &[(TargetId, TargetOutcome)]) -> Vec<TargetId> {
    outcomes
        .iter()
        .filter(|(_, o)| o.offers_carry_forward())
        .map(|(id, _)| id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::IEP;
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::date;

    fn dates() -> PlanDates {
        PlanDates::new(&IEP, date!(2024 - 09 - 16), date!(2024 - 12 - 13)).unwrap()
    }

    fn draft() -> TargetDraft {
        TargetDraft {
            area: Some(AreaOfNeed::CognitionAndLearning),
            target: "  Read the first 50 high-frequency words  ".to_owned(),
            strategies: "Flash cards with the TA".to_owned(),
            success_criteria: "Reads 45 of 50 words on two occasions".to_owned(),
            by_when: Some(date!(2024 - 12 - 06)),
        }
    }

    #[test]
    fn a_good_target_validates_trimmed() {
        let t = draft().validate(&dates()).unwrap();
        assert_eq!(t.target(), "Read the first 50 high-frequency words");
        assert_eq!(t.strategies(), "Flash cards with the TA");
        assert_eq!(
            t.success_criteria(),
            "Reads 45 of 50 words on two occasions"
        );
        assert_eq!(t.area(), Some(AreaOfNeed::CognitionAndLearning));
        assert_eq!(t.by_when(), Some(date!(2024 - 12 - 06)));
        let t = TargetDraft {
            area: None,
            strategies: String::new(),
            by_when: None,
            ..draft()
        }
        .validate(&dates())
        .unwrap();
        assert_eq!(t.strategies(), "");
        assert_eq!(t.by_when(), None);
        assert!(draft().problems(Some(&dates())).is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let d = TargetDraft {
            area: None,
            target: "   ".to_owned(),
            strategies: "x".repeat(2_001),
            success_criteria: String::new(),
            by_when: Some(date!(2024 - 09 - 15)),
        };
        let problems = d.validate(&dates()).unwrap_err();
        assert_eq!(
            problems,
            [
                (TargetField::Target, TargetProblem::Missing),
                (
                    TargetField::Strategies,
                    TargetProblem::TooLong { max: 2_000 }
                ),
                (TargetField::SuccessCriteria, TargetProblem::Missing),
                (
                    TargetField::ByWhen,
                    TargetProblem::BeforeStart {
                        start: date!(2024 - 09 - 16)
                    }
                ),
            ]
        );
        let codes: Vec<_> = problems
            .iter()
            .map(|(f, p)| (f.as_str(), p.code()))
            .collect();
        assert_eq!(
            codes,
            [
                ("target", "missing"),
                ("strategies", "too_long"),
                ("success_criteria", "missing"),
                ("by_when", "before_plan_start"),
            ]
        );
        // The words are the catalogue's (senco_i18n tests them): here, codes and values.
        let p = problems[0].1.problem(problems[0].0);
        assert_eq!((&*p.field, p.code), ("target", "target.target_missing"));
        let p = problems[1].1.problem(problems[1].0);
        assert_eq!(p.code, "target.strategies_too_long");
        assert_eq!(p.value("max"), Some(&crate::problem::Value::Number(2_000)));
        let p = problems[3].1.problem(problems[3].0);
        assert_eq!(p.code, "target.before_plan_start");
        assert_eq!(
            p.value("start"),
            Some(&crate::problem::Value::Date(date!(2024 - 09 - 16)))
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let d = TargetDraft {
            target: "é".repeat(2_000),
            ..draft()
        };
        assert!(d.validate(&dates()).is_ok());
        let d = TargetDraft {
            success_criteria: "é".repeat(2_001),
            ..draft()
        };
        assert_eq!(
            d.validate(&dates()).unwrap_err(),
            [(
                TargetField::SuccessCriteria,
                TargetProblem::TooLong { max: 2_000 }
            )]
        );
    }

    #[test]
    fn by_when_within_the_plan() {
        let at = |by| TargetDraft {
            by_when: Some(by),
            ..draft()
        };
        assert!(at(date!(2024 - 09 - 16)).validate(&dates()).is_ok());
        assert!(at(date!(2024 - 12 - 13)).validate(&dates()).is_ok());
        let problems = at(date!(2024 - 12 - 14)).validate(&dates()).unwrap_err();
        assert_eq!(
            problems,
            [(
                TargetField::ByWhen,
                TargetProblem::AfterReview {
                    review: date!(2024 - 12 - 13)
                }
            )]
        );
        assert_eq!(problems[0].1.code(), "after_plan_review");
        let p = problems[0].1.problem(TargetField::ByWhen);
        assert_eq!(p.code, "target.after_plan_review");
        assert_eq!(
            p.value("review"),
            Some(&crate::problem::Value::Date(date!(2024 - 12 - 13)))
        );
        // Without the plan's dates the date is not checked.
        assert!(at(date!(2030 - 01 - 01)).problems(None).is_empty());
    }

    #[test]
    fn outcome_ids_round_trip() {
        for o in TargetOutcome::ALL {
            assert_eq!(TargetOutcome::parse(o.as_str()), Some(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.as_str())
            );
            assert!(!o.label().is_empty());
        }
        assert_eq!(
            serde_json::from_str::<TargetOutcome>("\"no_longer_relevant\"").unwrap(),
            TargetOutcome::NoLongerRelevant
        );
        assert_eq!(
            serde_json::to_string(&TargetId::new("0190a1b2")).unwrap(),
            "\"0190a1b2\""
        );
        assert_eq!(TargetId::new("a").as_str(), "a");
    }

    #[test]
    fn not_and_partly_achieved_are_offered_for_carrying_forward() {
        let id = TargetId::new;
        let outcomes = [
            (id("a"), TargetOutcome::Achieved),
            (id("b"), TargetOutcome::NotAchieved),
            (id("c"), TargetOutcome::NoLongerRelevant),
            (id("d"), TargetOutcome::PartlyAchieved),
        ];
        assert_eq!(targets_to_carry_forward(&outcomes), [id("b"), id("d")]);
        assert!(targets_to_carry_forward(&[]).is_empty());
    }

    fn any_outcome() -> impl Strategy<Value = TargetOutcome> {
        prop::sample::select(TargetOutcome::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn carry_forward_is_an_ordered_subset(outcomes in prop::collection::vec(any_outcome(), 0..12)) {
            let with_ids: Vec<(TargetId, TargetOutcome)> = outcomes
                .iter()
                .enumerate()
                .map(|(i, o)| (TargetId::new(i.to_string()), *o))
                .collect();
            let carried = targets_to_carry_forward(&with_ids);
            let expected: Vec<TargetId> = with_ids
                .iter()
                .filter(|(_, o)| matches!(o, TargetOutcome::NotAchieved | TargetOutcome::PartlyAchieved))
                .map(|(id, _)| id.clone())
                .collect();
            prop_assert_eq!(carried, expected);
        }

        #[test]
        fn valid_iff_required_given_short_and_dated_within(
            target in "[ a-z]{0,30}",
            criteria in "[ a-z0-9]{0,30}",
            extra in 0usize..3,
            offset in -10i64..100,
        ) {
            let by = date!(2024 - 09 - 16) + Duration::days(offset);
            let d = TargetDraft {
                area: None,
                target: target.clone(),
                strategies: "s".repeat(MAX_TARGET_CHARS - 1 + extra),
                success_criteria: criteria.clone(),
                by_when: Some(by),
            };
            let ok = !target.trim().is_empty()
                && !criteria.trim().is_empty()
                && extra <= 1
                && dates().contains(by);
            let result = d.validate(&dates());
            prop_assert_eq!(result.is_ok(), ok);
            if let Ok(t) = result {
                prop_assert_eq!(t.target(), target.trim());
                prop_assert!(t.strategies().chars().count() <= MAX_TARGET_CHARS);
            }
        }
    }
}
