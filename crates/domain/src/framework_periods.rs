//! A school's working frameworks as dated periods (issue 19, point 2), and the rule for a
//! change of framework: the new one starts on a date and the one in force ends the day
//! before; nothing earlier is rewritten. The store keeps each framework's first day only
//! (`school_frameworks`): a period's end is always the day before the next one starts.
//!
//! A change never touches a pupil's stage history: the pupils keep their dated entries, and
//! a framework the school has replaced takes no new learners from the day its successor
//! starts (`history::check_closed_to_new_learners`), so each pupil moves when their own move
//! is recorded. [`outcome`] says what the change means for a pupil at a stage of the old
//! framework, from the new framework's conversions (`framework::Conversion`).

use time::Date;

use crate::framework::{Stage, framework};
use crate::problem::Problem;
use crate::school::{Country, FrameworkKey};

/// A period in which a school works under a framework: from `starts_on` to `ends_on`
/// (inclusive), open while `ends_on` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub framework: FrameworkKey,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
}

/// A change of framework: `framework` applies from `starts_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub framework: FrameworkKey,
    pub starts_on: Date,
}

/// What a change is checked against besides the school's periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeContext {
    /// The school's country: only its frameworks may be chosen.
    pub country: Country,
    /// The effective date of the latest stage change recorded at the school, if any.
    pub last_stage_change: Option<Date>,
}

/// The periods of a school whose frameworks started on the dates given (as stored): each
/// ends the day before the next starts, and the last is open.
pub fn periods(starts: &[(FrameworkKey, Date)]) -> Vec<Period> {
    let mut sorted = starts.to_vec();
    sorted.sort_by_key(|(_, on)| *on);
    let mut out: Vec<Period> = Vec::new();
    for (framework, starts_on) in sorted {
        if let Some(last) = out.last_mut() {
            last.ends_on = Some(starts_on.previous_day().unwrap_or(starts_on));
        }
        out.push(Period {
            framework,
            starts_on,
            ends_on: None,
        });
    }
    out
}

/// The period that started last (the one in force from the latest date), if any.
pub fn latest(periods: &[Period]) -> Option<&Period> {
    periods.iter().max_by_key(|p| p.starts_on)
}

/// Every problem of `change` for a school whose periods are `periods`, as codes. Refused:
/// a framework of another country; the framework already in force; a framework the school
/// has already left (a school does not go back); a start on or before the start of the
/// framework in force (periods follow each other and never overlap); a start on or before
/// the latest stage change recorded at the school (that change was recorded under the
/// framework then in force, and moving the boundary behind it would rewrite history).
pub fn check_change(periods: &[Period], change: &Change, ctx: &ChangeContext) -> Vec<Problem> {
    let mut problems = Vec::new();
    if change.framework.country() != ctx.country {
        problems.push(Problem::new(
            "framework",
            "wrong_country",
            "frameworks.wrong_country",
        ));
    }
    let last = latest(periods);
    if last.is_some_and(|p| p.framework == change.framework) {
        problems.push(Problem::new(
            "framework",
            "already_in_force",
            "frameworks.already_in_force",
        ));
    } else if periods.iter().any(|p| p.framework == change.framework) {
        problems.push(Problem::new(
            "framework",
            "used_before",
            "frameworks.used_before",
        ));
    }
    if let Some(last) = last.filter(|p| change.starts_on <= p.starts_on) {
        problems.push(
            Problem::new(
                "starts_on",
                "before_current_start",
                "frameworks.before_current_start",
            )
            .with("date", last.starts_on),
        );
    } else if let Some(day) = ctx.last_stage_change.filter(|d| change.starts_on <= *d) {
        problems.push(
            Problem::new(
                "starts_on",
                "rewrites_history",
                "frameworks.rewrites_history",
            )
            .with("date", day),
        );
    }
    problems
}

/// The periods after `change`: the period in force on the change's date ends the day
/// before, and the new one is open. Earlier periods are kept as they are.
pub fn after_change(periods: &[Period], change: &Change) -> Vec<Period> {
    let mut out: Vec<Period> = periods.to_vec();
    out.sort_by_key(|p| p.starts_on);
    let day_before = change.starts_on.previous_day().unwrap_or(change.starts_on);
    if let Some(last) = out
        .iter_mut()
        .rev()
        .find(|p| p.starts_on < change.starts_on)
        && last.ends_on.is_none_or(|end| end >= change.starts_on)
    {
        last.ends_on = Some(day_before);
    }
    out.push(Period {
        framework: change.framework,
        starts_on: change.starts_on,
        ends_on: None,
    });
    out
}

/// What a change of framework means for a pupil at `stage` of the framework `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The stage is the same under the new framework (or the pupil is already under it).
    Keeps,
    /// The new framework has exactly one stage for it.
    MapsTo(Stage),
    /// Someone must decide between these stages of the new framework (empty: the new
    /// framework has no stage for it but moving off the register).
    NeedsDecision(Vec<Stage>),
}

/// The outcome for a pupil at `stage` under `from` when the school moves to `to`: the
/// new framework's conversions from that stage (moving off the register, always allowed,
/// is not counted as a mapping).
pub fn outcome(from: FrameworkKey, stage: Stage, to: FrameworkKey) -> Outcome {
    let to = framework(to);
    if from == to.key || stage == Stage::NoSen {
        return Outcome::Keeps;
    }
    let mut options = to.allowed_from(Some(stage));
    options.retain(|s| *s != Stage::NoSen);
    match options.as_slice() {
        [one] => Outcome::MapsTo(*one),
        _ => Outcome::NeedsDecision(options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const W02: FrameworkKey = FrameworkKey::Wales2002;
    const ALN: FrameworkKey = FrameworkKey::WalesAln2021;

    fn welsh() -> Vec<Period> {
        vec![Period {
            framework: W02,
            starts_on: date!(2004 - 01 - 01),
            ends_on: None,
        }]
    }

    fn ctx(last: Option<Date>) -> ChangeContext {
        ChangeContext {
            country: Country::Wales,
            last_stage_change: last,
        }
    }

    fn reasons(p: &[Problem]) -> Vec<&'static str> {
        p.iter().map(|p| p.reason).collect()
    }

    fn to_aln(on: Date) -> Change {
        Change {
            framework: ALN,
            starts_on: on,
        }
    }

    #[test]
    fn the_welsh_move_to_aln_is_accepted_after_the_last_recorded_stage_change() {
        let change = to_aln(date!(2021 - 09 - 01));
        assert!(check_change(&welsh(), &change, &ctx(Some(date!(2021 - 08 - 31)))).is_empty());
        assert!(check_change(&welsh(), &change, &ctx(None)).is_empty());
        // A first framework for a school with none.
        assert!(check_change(&[], &change, &ctx(None)).is_empty());
    }

    #[test]
    fn a_change_that_would_rewrite_history_is_refused() {
        let p = check_change(
            &welsh(),
            &to_aln(date!(2021 - 09 - 01)),
            &ctx(Some(date!(2021 - 09 - 01))),
        );
        assert_eq!(reasons(&p), ["rewrites_history"]);
        assert_eq!(p[0].field, "starts_on");
        assert_eq!(
            p[0].value("date"),
            Some(&crate::problem::Value::Date(date!(2021 - 09 - 01)))
        );
    }

    #[test]
    fn a_framework_cannot_start_before_the_one_in_force_started() {
        let p = check_change(&welsh(), &to_aln(date!(2003 - 09 - 01)), &ctx(None));
        assert_eq!(reasons(&p), ["before_current_start"]);
        let p = check_change(&welsh(), &to_aln(date!(2004 - 01 - 01)), &ctx(None));
        assert_eq!(reasons(&p), ["before_current_start"]);
    }

    #[test]
    fn the_framework_must_be_the_schools_countrys_new_and_not_left_before() {
        let english = Change {
            framework: FrameworkKey::England2014,
            starts_on: date!(2022 - 01 - 01),
        };
        assert_eq!(
            reasons(&check_change(&welsh(), &english, &ctx(None))),
            ["wrong_country"]
        );
        let same = Change {
            framework: W02,
            starts_on: date!(2022 - 01 - 01),
        };
        assert_eq!(
            reasons(&check_change(&welsh(), &same, &ctx(None))),
            ["already_in_force"]
        );
        let moved = after_change(&welsh(), &to_aln(date!(2021 - 09 - 01)));
        let back = Change {
            framework: W02,
            starts_on: date!(2030 - 01 - 01),
        };
        assert_eq!(
            reasons(&check_change(&moved, &back, &ctx(None))),
            ["used_before"]
        );
    }

    #[test]
    fn a_change_ends_the_period_in_force_the_day_before() {
        let after = after_change(&welsh(), &to_aln(date!(2021 - 09 - 01)));
        assert_eq!(
            after,
            [
                Period {
                    framework: W02,
                    starts_on: date!(2004 - 01 - 01),
                    ends_on: Some(date!(2021 - 08 - 31)),
                },
                Period {
                    framework: ALN,
                    starts_on: date!(2021 - 09 - 01),
                    ends_on: None,
                },
            ]
        );
        assert_eq!(latest(&after).map(|p| p.framework), Some(ALN));
        // The stored starts give the same periods.
        assert_eq!(
            periods(&[(ALN, date!(2021 - 09 - 01)), (W02, date!(2004 - 01 - 01))]),
            after
        );
        // An earlier end stays.
        let ended = [Period {
            ends_on: Some(date!(2020 - 07 - 31)),
            ..welsh()[0]
        }];
        assert_eq!(
            after_change(&ended, &to_aln(date!(2021 - 09 - 01)))[0].ends_on,
            Some(date!(2020 - 07 - 31))
        );
    }

    #[test]
    fn outcomes_come_from_the_new_frameworks_conversions() {
        use FrameworkKey::{England2001, England2014};
        // England 2014: the school-based stages became SEN support; a statement needs a
        // decision (transfer to an EHC plan, or SEN support).
        assert_eq!(
            outcome(England2001, Stage::SchoolAction, England2014),
            Outcome::MapsTo(Stage::SenSupport)
        );
        assert_eq!(
            outcome(England2001, Stage::Statement, England2014),
            Outcome::NeedsDecision(vec![Stage::EhcPlan, Stage::SenSupport])
        );
        // Wales: each SEN learner moves to a school or an authority IDP, decided for them.
        for stage in [
            Stage::EarlyYearsAction,
            Stage::SchoolAction,
            Stage::SchoolActionPlus,
        ] {
            assert_eq!(
                outcome(W02, stage, ALN),
                Outcome::NeedsDecision(vec![Stage::SchoolIdp, Stage::LaIdp])
            );
        }
        assert_eq!(
            outcome(W02, Stage::Statement, ALN),
            Outcome::NeedsDecision(vec![Stage::LaIdp, Stage::SchoolIdp])
        );
        assert_eq!(outcome(ALN, Stage::SchoolIdp, ALN), Outcome::Keeps);
        assert_eq!(outcome(W02, Stage::NoSen, ALN), Outcome::Keeps);
    }
}
