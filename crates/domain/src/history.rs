//! A pupil's stage history: append-only dated entries, where a correction is a new entry
//! that supersedes an earlier one (REFERENCE.md §8.1).
//!
//! The entries that are not superseded ("current") give the pupil's intervals: each runs
//! from its entry's effective date to the next current entry's, and the last is open, so
//! one stage is open at a time and there are no gaps or overlaps.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::census::LongDate;
use crate::framework::{MoveContext, MoveError, Stage, check_move, check_transition, framework};
use crate::problem::Problem;
use crate::school::FrameworkKey;

/// Why a pupil's stage changed: the words a person gave, or the fact the words are made from
/// when they are shown (no generated sentence is stored, so it reads in the reader's
/// language).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StageReason {
    /// Written by a person (or imported from another school's record): shown as it is.
    Given(String),
    /// The decision of the plan review held on `held_on` (the change's effective date).
    ReviewDecision { held_on: Date },
}

impl StageReason {
    /// The code stored beside a reason that is a fact (`None`: the words are stored).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            StageReason::Given(_) => None,
            StageReason::ReviewDecision { .. } => Some("review_decision"),
        }
    }

    /// The words stored with the change: those given, or none for a fact.
    pub fn given(&self) -> &str {
        match self {
            StageReason::Given(words) => words,
            StageReason::ReviewDecision { .. } => "",
        }
    }

    /// The reason a stored row holds: its code, the words stored and the change's date.
    pub fn from_stored(code: Option<&str>, given: String, effective: Date) -> Self {
        match code {
            Some("review_decision") => StageReason::ReviewDecision { held_on: effective },
            _ => StageReason::Given(given),
        }
    }
}

/// A recorded stage entry. Ids increase in recording order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub id: u64,
    pub framework: FrameworkKey,
    pub stage: Stage,
    /// The first day the stage applies.
    pub effective: Date,
    /// The entry this one corrects.
    pub supersedes: Option<u64>,
}

/// An entry about to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NewEntry {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub effective: Date,
    pub supersedes: Option<u64>,
}

/// An interval of the pupil's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interval {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub from: Date,
    /// Exclusive end: the next interval's `from`. `None` for the open interval.
    pub to: Option<Date>,
}

/// What a new entry is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryContext {
    pub today: Date,
    pub enrolled_on: Date,
    pub framework_in_force: FrameworkKey,
    /// The setting and age on the entry's effective date.
    pub move_ctx: MoveContext,
}

/// Why an entry cannot be recorded. Each names its rule ([`HistoryError::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("The date a stage starts must be today or in the past")]
    InFuture { effective: Date, today: Date },
    #[error(
        "The date a stage starts must be on or after the pupil's enrolment on {}",
        LongDate(*enrolled_on)
    )]
    BeforeEnrolment { effective: Date, enrolled_on: Date },
    #[error(
        "The school follows the {}: stages under the {} can only be imported",
        in_force.label(),
        framework.label()
    )]
    FrameworkNotInForce {
        framework: FrameworkKey,
        in_force: FrameworkKey,
    },
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error("There is no stage entry {id} to correct")]
    UnknownEntry { id: u64 },
    #[error("Stage entry {id} has already been corrected: correct the latest version")]
    AlreadyCorrected { id: u64 },
    #[error(
        "Another stage already starts on {}: correct that entry instead",
        LongDate(*effective)
    )]
    SameDate { id: u64, effective: Date },
    #[error(
        "This would make the next recorded change, to {}, impossible: {problem}",
        next_stage
    )]
    BreaksNextMove {
        next_id: u64,
        next_stage: Stage,
        problem: MoveError,
    },
    #[error(
        "Since {} support given for the first time comes under the {}: only learners already on the register under the {} before then may be placed on its stages, until they move",
        LongDate(*since),
        successor.label(),
        framework.label()
    )]
    ClosedToNewLearners {
        framework: FrameworkKey,
        successor: FrameworkKey,
        since: Date,
    },
}

impl HistoryError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            HistoryError::InFuture { .. } => "date_in_future",
            HistoryError::BeforeEnrolment { .. } => "before_enrolment",
            HistoryError::FrameworkNotInForce { .. } => "framework_not_in_force",
            HistoryError::Move(e) => e.rule(),
            HistoryError::UnknownEntry { .. } => "unknown_entry",
            HistoryError::AlreadyCorrected { .. } => "already_corrected",
            HistoryError::SameDate { .. } => "same_date",
            HistoryError::BreaksNextMove { .. } => "breaks_next_move",
            HistoryError::ClosedToNewLearners { .. } => "closed_to_new_learners",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let field = field.into();
        let p = |code| Problem::new(field.clone(), self.rule(), code);
        match self {
            HistoryError::InFuture { .. } => p("history.date_in_future"),
            HistoryError::BeforeEnrolment { enrolled_on, .. } => {
                p("history.before_enrolment").with("enrolled_on", *enrolled_on)
            }
            HistoryError::FrameworkNotInForce {
                framework,
                in_force,
            } => p("history.framework_not_in_force")
                .with("in_force", in_force.label())
                .with("framework", framework.label()),
            HistoryError::Move(e) => e.problem(field.clone()),
            HistoryError::UnknownEntry { id } => {
                p("history.unknown_entry").with("id", id.to_string())
            }
            HistoryError::AlreadyCorrected { id } => {
                p("history.already_corrected").with("id", id.to_string())
            }
            HistoryError::SameDate { effective, .. } => {
                p("history.same_date").with("date", *effective)
            }
            HistoryError::BreaksNextMove {
                next_stage,
                problem,
                ..
            } => p("history.breaks_next_move")
                .with("next_stage", next_stage.label())
                .with("problem", problem.problem(field.clone())),
            HistoryError::ClosedToNewLearners {
                framework,
                successor,
                since,
            } => p("history.closed_to_new_learners")
                .with("since", *since)
                .with("successor", successor.label())
                .with("framework", framework.label()),
        }
    }
}

fn is_superseded(entries: &[Entry], id: u64) -> bool {
    entries.iter().any(|e| e.supersedes == Some(id))
}

/// The entries no other entry supersedes, ordered by effective date, then id.
pub fn current(entries: &[Entry]) -> Vec<&Entry> {
    let mut cur: Vec<&Entry> = entries
        .iter()
        .filter(|e| !is_superseded(entries, e.id))
        .collect();
    cur.sort_by_key(|e| (e.effective, e.id));
    cur
}

/// The current entry in force on `on`: the latest starting on or before it (ties go to
/// the later recording).
pub fn in_force(entries: &[Entry], on: Date) -> Option<&Entry> {
    current(entries)
        .into_iter()
        .rev()
        .find(|e| e.effective <= on)
}

/// The current entry in force from the latest date: the pupil's open stage.
pub fn open_stage(entries: &[Entry]) -> Option<&Entry> {
    current(entries).last().copied()
}

/// The pupil's intervals, in order. Each ends where the next begins; the last is open.
/// Where current entries share a date (possible in imported data), the later recording
/// wins; consecutive entries for the same framework and stage make one interval.
pub fn intervals(entries: &[Entry]) -> Vec<Interval> {
    let mut per_day: Vec<&Entry> = Vec::new();
    for e in current(entries) {
        match per_day.last_mut() {
            Some(last) if last.effective == e.effective => *last = e,
            _ => per_day.push(e),
        }
    }
    let mut out: Vec<Interval> = Vec::new();
    for e in per_day {
        if let Some(last) = out.last_mut() {
            if (last.framework, last.stage) == (e.framework, e.stage) {
                continue;
            }
            last.to = Some(e.effective);
        }
        out.push(Interval {
            framework: e.framework,
            stage: e.stage,
            from: e.effective,
            to: None,
        });
    }
    out
}

/// The target of a correction must exist and be current.
fn check_correction(entries: &[Entry], id: u64) -> Result<(), HistoryError> {
    if !entries.iter().any(|e| e.id == id) {
        return Err(HistoryError::UnknownEntry { id });
    }
    if is_superseded(entries, id) {
        return Err(HistoryError::AlreadyCorrected { id });
    }
    Ok(())
}

/// Two current entries may share a date only if one supersedes the other.
fn check_same_date(entries: &[Entry], new: &NewEntry) -> Result<(), HistoryError> {
    match current(entries)
        .into_iter()
        .find(|e| e.effective == new.effective && Some(e.id) != new.supersedes)
    {
        Some(e) => Err(HistoryError::SameDate {
            id: e.id,
            effective: e.effective,
        }),
        None => Ok(()),
    }
}

/// The checks shared by [`check_new`] and [`check_import`].
fn check_common(entries: &[Entry], new: &NewEntry, today: Date) -> Result<(), HistoryError> {
    if new.effective > today {
        return Err(HistoryError::InFuture {
            effective: new.effective,
            today,
        });
    }
    let f = framework(new.framework);
    if !f.contains(new.stage) {
        return Err(MoveError::StageNotInFramework {
            stage: new.stage,
            framework: new.framework,
        }
        .into());
    }
    if let Some(id) = new.supersedes {
        check_correction(entries, id)?;
    }
    check_same_date(entries, new)
}

/// Checks an entry recorded at the school. Checks, in order: the date is not in the
/// future and not before enrolment; the entry is under the framework in force and its
/// stage belongs to it; a correction names a current entry; no other current entry
/// starts on the same date (unless it is the one corrected). For a new stage (not a
/// correction), the move from the stage in force on the effective date must be allowed
/// by [`check_move`], and a later entry, if any, must still be reachable from it.
///
/// Corrections are not checked against the moves: they repair the record.
/// A framework replaced by a later one at the same school (`successor`, and the day it
/// started) takes no new learners from that day (issue 17, point 2; REFERENCE §4.5: in
/// Wales, support given for the first time from 1 September 2021 comes under the ALN
/// framework). From then on, a stage of the old framework may be recorded only for a
/// learner who was on its register the day before the change, and only until their first
/// entry under the successor; moving off the register is always allowed, and corrections
/// of recorded entries are not checked here.
/// The framework that replaced `key` at a school whose frameworks started on the dates
/// given (the earliest one to start after `key`), with the day it started; `None` while
/// `key` is the newest.
pub fn successor(
    frameworks: &[(FrameworkKey, Date)],
    key: FrameworkKey,
) -> Option<(FrameworkKey, Date)> {
    let started = frameworks
        .iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, since)| *since)
        .min()?;
    frameworks
        .iter()
        .filter(|(k, since)| *k != key && *since > started)
        .min_by_key(|(_, since)| *since)
        .copied()
}

pub fn check_closed_to_new_learners(
    entries: &[Entry],
    new: &NewEntry,
    successor: Option<(FrameworkKey, Date)>,
) -> Result<(), HistoryError> {
    let Some((successor, since)) = successor else {
        return Ok(());
    };
    if new.effective < since || new.stage == Stage::NoSen || new.supersedes.is_some() {
        return Ok(());
    }
    let refused = HistoryError::ClosedToNewLearners {
        framework: new.framework,
        successor,
        since,
    };
    let day_before = since.previous_day().unwrap_or(since);
    let on_register_before = in_force(entries, day_before)
        .is_some_and(|e| e.framework == new.framework && e.stage != Stage::NoSen);
    let moved = current(entries)
        .iter()
        .any(|e| e.framework == successor && e.effective <= new.effective);
    if on_register_before && !moved {
        Ok(())
    } else {
        Err(refused)
    }
}

pub fn check_new(
    entries: &[Entry],
    new: &NewEntry,
    ctx: &HistoryContext,
) -> Result<(), HistoryError> {
    if new.effective > ctx.today {
        return Err(HistoryError::InFuture {
            effective: new.effective,
            today: ctx.today,
        });
    }
    if new.effective < ctx.enrolled_on {
        return Err(HistoryError::BeforeEnrolment {
            effective: new.effective,
            enrolled_on: ctx.enrolled_on,
        });
    }
    if new.framework != ctx.framework_in_force {
        return Err(HistoryError::FrameworkNotInForce {
            framework: new.framework,
            in_force: ctx.framework_in_force,
        });
    }
    check_common(entries, new, ctx.today)?;
    if new.supersedes.is_some() {
        return Ok(());
    }
    let from = in_force(entries, new.effective).map(|e| e.stage);
    check_move(framework(new.framework), from, new.stage, &ctx.move_ctx)?;
    if let Some(next) = current(entries)
        .into_iter()
        .find(|e| e.effective > new.effective)
    {
        check_transition(framework(next.framework), Some(new.stage), next.stage).map_err(
            |problem| HistoryError::BreaksNextMove {
                next_id: next.id,
                next_stage: next.stage,
                problem,
            },
        )?;
    }
    Ok(())
}

/// Checks an imported entry (history from a previous school or system): the date is not
/// in the future, the stage belongs to the entry's own framework, a correction names a
/// current entry, and no other current entry starts on the same date. Neither the
/// framework in force, enrolment nor the moves are checked.
pub fn check_import(entries: &[Entry], new: &NewEntry, today: Date) -> Result<(), HistoryError> {
    check_common(entries, new, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_framework_takes_no_new_learners() {
        const W02: FrameworkKey = FrameworkKey::Wales2002;
        const ALN: FrameworkKey = FrameworkKey::WalesAln2021;
        let change = Some((ALN, date!(2021 - 09 - 01)));
        let placed = |stage, on| NewEntry {
            framework: W02,
            stage,
            effective: on,
            supersedes: None,
        };
        // Newly identified after the change: not School Action (the example).
        let e = check_closed_to_new_learners(
            &[],
            &placed(Stage::SchoolAction, date!(2023 - 01 - 10)),
            change,
        )
        .unwrap_err();
        assert_eq!(e.rule(), "closed_to_new_learners");
        assert!(e.to_string().starts_with("Since 1 September 2021 support given for the first time comes under the ALN Code for Wales 2021"), "{e}");
        // Off the register before the change, back on after it: a new learner too.
        let off = [
            entry(1, W02, Stage::SchoolAction, date!(2019 - 01 - 07)),
            entry(2, W02, Stage::NoSen, date!(2020 - 07 - 01)),
        ];
        assert!(
            check_closed_to_new_learners(
                &off,
                &placed(Stage::SchoolAction, date!(2022 - 01 - 10)),
                change
            )
            .is_err()
        );
        // Before the change, anything (history being entered late).
        assert_eq!(
            check_closed_to_new_learners(
                &[],
                &placed(Stage::SchoolAction, date!(2021 - 08 - 31)),
                change
            ),
            Ok(())
        );
        // On the register the day before: may move up or down, or leave, until they move.
        let on = [entry(1, W02, Stage::SchoolAction, date!(2019 - 01 - 07))];
        assert_eq!(
            check_closed_to_new_learners(
                &on,
                &placed(Stage::SchoolActionPlus, date!(2022 - 03 - 01)),
                change
            ),
            Ok(())
        );
        assert_eq!(
            check_closed_to_new_learners(&on, &placed(Stage::NoSen, date!(2022 - 03 - 01)), change),
            Ok(())
        );
        let moved = [
            entry(1, W02, Stage::SchoolAction, date!(2019 - 01 - 07)),
            entry(2, ALN, Stage::SchoolIdp, date!(2022 - 01 - 10)),
        ];
        assert!(
            check_closed_to_new_learners(
                &moved,
                &placed(Stage::SchoolActionPlus, date!(2022 - 03 - 01)),
                change
            )
            .is_err()
        );
        // The successor comes from the school's frameworks by start date.
        let welsh = [(W02, date!(2002 - 01 - 01)), (ALN, date!(2021 - 09 - 01))];
        assert_eq!(successor(&welsh, W02), change);
        assert_eq!(successor(&welsh, ALN), None);
        assert_eq!(successor(&welsh[..1], W02), None);
        // No successor: nothing to check.
        assert_eq!(
            check_closed_to_new_learners(
                &[],
                &placed(Stage::SchoolAction, date!(2023 - 01 - 10)),
                None
            ),
            Ok(())
        );
    }
    use crate::census::{CodeSettings, provision_code};
    use crate::framework::Framework;
    use crate::school::Country;
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::date;

    const E01: FrameworkKey = FrameworkKey::England2001;
    const E14: FrameworkKey = FrameworkKey::England2014;

    fn entry(id: u64, framework: FrameworkKey, stage: Stage, effective: Date) -> Entry {
        Entry {
            id,
            framework,
            stage,
            effective,
            supersedes: None,
        }
    }

    fn new(framework: FrameworkKey, stage: Stage, effective: Date) -> NewEntry {
        NewEntry {
            framework,
            stage,
            effective,
            supersedes: None,
        }
    }

    fn ctx(framework: FrameworkKey) -> HistoryContext {
        HistoryContext {
            today: date!(2012 - 06 - 01),
            enrolled_on: date!(2008 - 09 - 01),
            framework_in_force: framework,
            move_ctx: MoveContext::default(),
        }
    }

    /// NoSen, SA from 2009, SA+ from 2010 (corrected to 2010-02-01), Statement from 2011.
    fn sample() -> Vec<Entry> {
        vec![
            entry(1, E01, Stage::NoSen, date!(2008 - 09 - 01)),
            entry(2, E01, Stage::SchoolAction, date!(2009 - 01 - 05)),
            entry(3, E01, Stage::SchoolActionPlus, date!(2010 - 01 - 04)),
            entry(4, E01, Stage::Statement, date!(2011 - 03 - 01)),
            Entry {
                supersedes: Some(3),
                ..entry(5, E01, Stage::SchoolActionPlus, date!(2010 - 02 - 01))
            },
        ]
    }

    #[test]
    fn current_and_intervals() {
        let h = sample();
        let ids: Vec<u64> = current(&h).iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 5, 4]);
        assert_eq!(
            intervals(&h),
            [
                Interval {
                    framework: E01,
                    stage: Stage::NoSen,
                    from: date!(2008 - 09 - 01),
                    to: Some(date!(2009 - 01 - 05)),
                },
                Interval {
                    framework: E01,
                    stage: Stage::SchoolAction,
                    from: date!(2009 - 01 - 05),
                    to: Some(date!(2010 - 02 - 01)),
                },
                Interval {
                    framework: E01,
                    stage: Stage::SchoolActionPlus,
                    from: date!(2010 - 02 - 01),
                    to: Some(date!(2011 - 03 - 01)),
                },
                Interval {
                    framework: E01,
                    stage: Stage::Statement,
                    from: date!(2011 - 03 - 01),
                    to: None,
                },
            ]
        );
        assert_eq!(open_stage(&h).map(|e| e.id), Some(4));
        assert_eq!(in_force(&h, date!(2010 - 01 - 20)).map(|e| e.id), Some(2));
        assert_eq!(in_force(&h, date!(2010 - 02 - 01)).map(|e| e.id), Some(5));
        assert_eq!(in_force(&h, date!(2008 - 08 - 31)), None);
        assert!(intervals(&[]).is_empty());
        assert_eq!(open_stage(&[]), None);
    }

    #[test]
    fn chained_corrections_and_merges() {
        let mut h = sample();
        // Correct the correction: SA+ was really SA, so SA runs on to the statement.
        h.push(Entry {
            supersedes: Some(5),
            ..entry(6, E01, Stage::SchoolAction, date!(2010 - 02 - 01))
        });
        let ids: Vec<u64> = current(&h).iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 6, 4]);
        let iv = intervals(&h);
        assert_eq!(iv.len(), 3);
        assert_eq!(iv[1].stage, Stage::SchoolAction);
        assert_eq!(iv[1].to, Some(date!(2011 - 03 - 01)));
    }

    #[test]
    fn same_date_in_imported_data_keeps_the_later_recording() {
        let d = date!(2010 - 01 - 04);
        let h = [
            entry(1, E01, Stage::NoSen, date!(2009 - 01 - 01)),
            entry(2, E01, Stage::SchoolAction, d),
            entry(3, E01, Stage::SchoolActionPlus, d),
        ];
        let iv = intervals(&h);
        assert_eq!(iv.len(), 2);
        assert_eq!(iv[0].to, Some(d));
        assert_eq!(
            (iv[1].stage, iv[1].from, iv[1].to),
            (Stage::SchoolActionPlus, d, None)
        );
        // And if the later recording repeats the stage before, the intervals merge.
        let h = [
            entry(1, E01, Stage::NoSen, date!(2009 - 01 - 01)),
            entry(2, E01, Stage::SchoolAction, d),
            entry(3, E01, Stage::NoSen, d),
        ];
        assert_eq!(
            intervals(&h),
            [Interval {
                framework: E01,
                stage: Stage::NoSen,
                from: date!(2009 - 01 - 01),
                to: None,
            }]
        );
    }

    #[test]
    fn framework_change_is_a_new_interval() {
        let h = [
            entry(1, E01, Stage::NoSen, date!(2013 - 01 - 01)),
            entry(2, E14, Stage::NoSen, date!(2014 - 09 - 01)),
        ];
        assert_eq!(intervals(&h).len(), 2);
    }

    #[test]
    fn check_new_accepts_allowed_moves() {
        let h = sample();
        let c = ctx(E01);
        assert_eq!(
            check_new(
                &h,
                &new(E01, Stage::SchoolActionPlus, date!(2012 - 05 - 01)),
                &c
            ),
            Ok(())
        );
        assert_eq!(
            check_new(&h, &new(E01, Stage::NoSen, date!(2012 - 06 - 01)), &c),
            Ok(())
        );
        assert_eq!(
            check_new(&[], &new(E01, Stage::Statement, c.enrolled_on), &c),
            Ok(())
        );
    }

    #[test]
    fn check_new_refusals_name_their_rule() {
        let h = sample();
        let c = ctx(E01);
        let rule = |n: NewEntry| check_new(&h, &n, &c).unwrap_err().rule();
        let e = check_new(&h, &new(E01, Stage::NoSen, date!(2012 - 06 - 02)), &c).unwrap_err();
        assert_eq!(e.rule(), "date_in_future");
        assert_eq!(
            e.to_string(),
            "The date a stage starts must be today or in the past"
        );
        let e = check_new(&h, &new(E01, Stage::NoSen, date!(2008 - 08 - 31)), &c).unwrap_err();
        assert_eq!(e.rule(), "before_enrolment");
        assert_eq!(
            e.to_string(),
            "The date a stage starts must be on or after the pupil's enrolment on 1 September 2008"
        );
        let e = check_new(&h, &new(E14, Stage::SenSupport, date!(2012 - 01 - 01)), &c).unwrap_err();
        assert_eq!(e.rule(), "framework_not_in_force");
        assert_eq!(
            e.to_string(),
            "The school follows the SEN Code of Practice 2001 (England): stages under the SEND \
             Code of Practice 2014 (England) can only be imported"
        );
        assert_eq!(
            rule(new(E01, Stage::SenSupport, date!(2012 - 01 - 01))),
            "stage_not_in_framework"
        );
        // The statement is in force: it may step down to School Action (issue 17, point 6).
        assert_eq!(
            check_new(
                &h,
                &new(E01, Stage::SchoolAction, date!(2012 - 01 - 01)),
                &c,
            ),
            Ok(())
        );
        // School Action in force: a statement is not a move from it.
        let on_action = [entry(1, E01, Stage::SchoolAction, date!(2009 - 01 - 05))];
        let e = check_new(
            &on_action,
            &new(E01, Stage::Statement, date!(2010 - 01 - 01)),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.rule(), "move_not_allowed");
        assert!(
            e.to_string()
                .starts_with("A pupil cannot move from School Action to Statement of SEN")
        );
        assert_eq!(
            rule(new(E01, Stage::Statement, date!(2012 - 01 - 01))),
            "already_on_stage"
        );
        assert_eq!(
            rule(new(E01, Stage::EarlyYearsAction, date!(2012 - 01 - 01))),
            "early_years_only"
        );
        // Same date as a current entry.
        let e = check_new(&h, &new(E01, Stage::NoSen, date!(2011 - 03 - 01)), &c).unwrap_err();
        assert_eq!(
            e,
            HistoryError::SameDate {
                id: 4,
                effective: date!(2011 - 03 - 01)
            }
        );
        assert_eq!(
            e.to_string(),
            "Another stage already starts on 1 March 2011: correct that entry instead"
        );
        // Same date as a superseded entry is fine (SA+ from 2010-01-04 was corrected);
        // here only the next move (SA+ again from 2010-02-01) is refused.
        let on_superseded = new(E01, Stage::SchoolActionPlus, date!(2010 - 01 - 04));
        assert_eq!(check_import(&h, &on_superseded, c.today), Ok(()));
        assert_eq!(
            check_new(&h, &on_superseded, &c).unwrap_err().rule(),
            "breaks_next_move"
        );
    }

    #[test]
    fn backdated_entries_must_keep_the_next_move_possible() {
        let h = sample();
        let c = ctx(E01);
        // Down to School Action between Action Plus and the statement: School Action ->
        // Statement is not a move.
        let e = check_new(
            &h,
            &new(E01, Stage::SchoolAction, date!(2010 - 06 - 01)),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.rule(), "breaks_next_move");
        assert_eq!(
            e,
            HistoryError::BreaksNextMove {
                next_id: 4,
                next_stage: Stage::Statement,
                problem: MoveError::NotAllowed {
                    from: Stage::SchoolAction,
                    to: Stage::Statement,
                    allowed: vec![Stage::SchoolActionPlus, Stage::NoSen],
                },
            }
        );
        assert!(
            e.to_string()
                .starts_with("This would make the next recorded change, to Statement of SEN, impossible: A pupil cannot move")
        );
        // Down to SA between SA+ periods is fine: SA -> SA+ is a move.
        let h2 = [
            entry(1, E01, Stage::SchoolAction, date!(2009 - 01 - 05)),
            entry(2, E01, Stage::SchoolActionPlus, date!(2010 - 01 - 04)),
            entry(3, E01, Stage::Statement, date!(2011 - 03 - 01)),
        ];
        assert_eq!(
            check_new(
                &h2,
                &new(E01, Stage::SchoolAction, date!(2010 - 06 - 01)),
                &c
            )
            .unwrap_err()
            .rule(),
            "breaks_next_move"
        );
    }

    #[test]
    fn corrections() {
        let h = sample();
        let c = ctx(E01);
        let fix = |id, stage, effective| NewEntry {
            supersedes: Some(id),
            ..new(E01, stage, effective)
        };
        // A correction may move a date and need not be an allowed move.
        assert_eq!(
            check_new(&h, &fix(4, Stage::NoSen, date!(2011 - 04 - 01)), &c),
            Ok(())
        );
        // It may keep the date of the entry it corrects.
        assert_eq!(
            check_new(&h, &fix(4, Stage::SchoolAction, date!(2011 - 03 - 01)), &c),
            Ok(())
        );
        // But not land on another current entry's date.
        assert_eq!(
            check_new(&h, &fix(4, Stage::SchoolAction, date!(2009 - 01 - 05)), &c)
                .unwrap_err()
                .rule(),
            "same_date"
        );
        let e = check_new(&h, &fix(3, Stage::SchoolAction, date!(2010 - 01 - 04)), &c).unwrap_err();
        assert_eq!(e, HistoryError::AlreadyCorrected { id: 3 });
        assert_eq!(
            e.to_string(),
            "Stage entry 3 has already been corrected: correct the latest version"
        );
        let e = check_new(&h, &fix(9, Stage::SchoolAction, date!(2010 - 01 - 04)), &c).unwrap_err();
        assert_eq!(e.rule(), "unknown_entry");
        assert_eq!(e.to_string(), "There is no stage entry 9 to correct");
        // Still dated sanely and under the framework in force.
        assert_eq!(
            check_new(&h, &fix(4, Stage::NoSen, date!(2013 - 01 - 01)), &c)
                .unwrap_err()
                .rule(),
            "date_in_future"
        );
        assert_eq!(
            check_new(&h, &fix(4, Stage::SenSupport, date!(2011 - 03 - 01)), &c)
                .unwrap_err()
                .rule(),
            "stage_not_in_framework"
        );
    }

    #[test]
    fn the_2014_transition_and_imports() {
        let h = [
            entry(1, E01, Stage::SchoolActionPlus, date!(2013 - 09 - 02)),
            entry(2, E01, Stage::Statement, date!(2014 - 01 - 06)),
        ];
        let c = HistoryContext {
            today: date!(2016 - 01 - 01),
            enrolled_on: date!(2013 - 09 - 02),
            framework_in_force: E14,
            move_ctx: MoveContext::default(),
        };
        assert_eq!(
            check_new(&h, &new(E14, Stage::EhcPlan, date!(2015 - 06 - 01)), &c),
            Ok(())
        );
        assert_eq!(
            check_new(
                &h,
                &new(E01, Stage::SchoolAction, date!(2015 - 06 - 01)),
                &c
            )
            .unwrap_err()
            .rule(),
            "framework_not_in_force"
        );
        // Imports skip the framework in force, enrolment and moves, but not date sanity.
        let today = c.today;
        assert_eq!(
            check_import(
                &h,
                &new(E01, Stage::SchoolAction, date!(2010 - 06 - 01)),
                today
            ),
            Ok(())
        );
        assert_eq!(
            check_import(
                &h,
                &new(
                    FrameworkKey::Wales2002,
                    Stage::Statement,
                    date!(2011 - 06 - 01)
                ),
                today
            ),
            Ok(())
        );
        assert_eq!(
            check_import(
                &h,
                &new(E01, Stage::SchoolAction, date!(2016 - 01 - 02)),
                today
            )
            .unwrap_err()
            .rule(),
            "date_in_future"
        );
        assert_eq!(
            check_import(
                &h,
                &new(E01, Stage::SenSupport, date!(2010 - 06 - 01)),
                today
            )
            .unwrap_err()
            .rule(),
            "stage_not_in_framework"
        );
        assert_eq!(
            check_import(&h, &new(E01, Stage::NoSen, date!(2014 - 01 - 06)), today)
                .unwrap_err()
                .rule(),
            "same_date"
        );
        assert_eq!(
            check_import(
                &h,
                &NewEntry {
                    supersedes: Some(7),
                    ..new(E01, Stage::NoSen, date!(2012 - 01 - 06))
                },
                today
            )
            .unwrap_err()
            .rule(),
            "unknown_entry"
        );
    }

    #[test]
    fn serde_shapes() {
        let e = Entry {
            supersedes: Some(3),
            ..entry(5, E14, Stage::EhcPlan, date!(2015 - 01 - 01))
        };
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["framework"], "england_2014");
        assert_eq!(json["stage"], "ehc_plan");
        assert_eq!(json["supersedes"], 3);
        assert_eq!(serde_json::from_value::<Entry>(json).unwrap(), e);
    }

    // -----------------------------------------------------------------------------------
    // Properties
    // -----------------------------------------------------------------------------------

    #[derive(Debug, Clone)]
    enum Op {
        /// One of the moves the framework lists from the stage in force on that day.
        Move {
            pick: usize,
            day: i64,
            ey: bool,
            below: bool,
        },
        /// Any stage of the framework (often refused).
        Any {
            pick: usize,
            day: i64,
            ey: bool,
            below: bool,
        },
        /// A correction of a current entry.
        Correct {
            target: usize,
            pick: usize,
            day: i64,
        },
    }

    const FIRST: Date = date!(2003 - 01 - 01);
    const LAST: Date = date!(2030 - 12 - 31);
    const DAYS: i64 = 10_227; // FIRST..=LAST

    fn op() -> impl Strategy<Value = Op> {
        let day = 0..DAYS;
        prop_oneof![
            4 => (any::<usize>(), day.clone(), any::<bool>(), any::<bool>())
                .prop_map(|(pick, day, ey, below)| Op::Move { pick, day, ey, below }),
            1 => (any::<usize>(), day.clone(), any::<bool>(), any::<bool>())
                .prop_map(|(pick, day, ey, below)| Op::Any { pick, day, ey, below }),
            2 => (any::<usize>(), any::<usize>(), day)
                .prop_map(|(target, pick, day)| Op::Correct { target, pick, day }),
        ]
    }

    /// Applies the ops the rules accept (and whose census code is valid on the day, as
    /// the recording code path checks), returning the history.
    fn run(key: FrameworkKey, ops: &[Op]) -> Vec<Entry> {
        let f: &Framework = framework(key);
        let s = CodeSettings::default();
        let mut entries: Vec<Entry> = Vec::new();
        let mut next_id = 1;
        for op in ops {
            let (stage, day, move_ctx, supersedes) = match *op {
                Op::Move {
                    pick,
                    day,
                    ey,
                    below,
                } => {
                    let on = FIRST + Duration::days(day);
                    let allowed = f.allowed_from(in_force(&entries, on).map(|e| e.stage));
                    (allowed[pick % allowed.len()], day, (ey, below), None)
                }
                Op::Any {
                    pick,
                    day,
                    ey,
                    below,
                } => (
                    f.stages[pick % f.stages.len()].stage,
                    day,
                    (ey, below),
                    None,
                ),
                Op::Correct { target, pick, day } => {
                    let cur = current(&entries);
                    if cur.is_empty() {
                        continue;
                    }
                    let id = cur[target % cur.len()].id;
                    (
                        f.stages[pick % f.stages.len()].stage,
                        day,
                        (false, false),
                        Some(id),
                    )
                }
            };
            let n = NewEntry {
                framework: key,
                stage,
                effective: FIRST + Duration::days(day),
                supersedes,
            };
            let c = HistoryContext {
                today: LAST,
                enrolled_on: FIRST,
                framework_in_force: key,
                move_ctx: MoveContext {
                    early_years_setting: move_ctx.0,
                    below_compulsory_school_age: move_ctx.1,
                },
            };
            if check_new(&entries, &n, &c).is_ok()
                && provision_code(Country::England, key, n.stage, n.effective, &s).is_ok()
            {
                entries.push(Entry {
                    id: next_id,
                    framework: n.framework,
                    stage: n.stage,
                    effective: n.effective,
                    supersedes: n.supersedes,
                });
                next_id += 1;
            }
        }
        entries
    }

    fn check_intervals(entries: &[Entry]) -> Result<(), TestCaseError> {
        let iv = intervals(entries);
        let s = CodeSettings::default();
        prop_assert_eq!(iv.is_empty(), entries.is_empty());
        prop_assert!(iv.iter().filter(|i| i.to.is_none()).count() <= 1);
        if let Some(last) = iv.last() {
            prop_assert_eq!(last.to, None);
            let open = open_stage(entries).unwrap();
            prop_assert_eq!((open.framework, open.stage), (last.framework, last.stage));
        }
        for w in iv.windows(2) {
            prop_assert_eq!(w[0].to, Some(w[1].from));
            prop_assert!(w[0].from < w[1].from);
            prop_assert!((w[0].framework, w[0].stage) != (w[1].framework, w[1].stage));
        }
        for i in &iv {
            prop_assert!(
                provision_code(Country::England, i.framework, i.stage, i.from, &s).is_ok(),
                "{:?}",
                i
            );
            // Every interval starts at a current entry of its stage.
            prop_assert!(
                current(entries)
                    .iter()
                    .any(|e| e.effective == i.from && e.stage == i.stage)
            );
        }
        // Never two current entries on one date.
        let cur = current(entries);
        for w in cur.windows(2) {
            prop_assert!(w[0].effective < w[1].effective);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn england_2001_histories_are_well_formed(ops in prop::collection::vec(op(), 1..40)) {
            check_intervals(&run(E01, &ops))?;
        }

        #[test]
        fn england_2014_histories_are_well_formed(ops in prop::collection::vec(op(), 1..40)) {
            check_intervals(&run(E14, &ops))?;
        }

        #[test]
        fn every_current_move_is_allowed_in_order(ops in prop::collection::vec(op(), 1..40)) {
            // Without corrections, each current entry follows from the one before.
            let ops: Vec<Op> = ops.into_iter().filter(|o| !matches!(o, Op::Correct { .. })).collect();
            for key in [E01, E14] {
                let h = run(key, &ops);
                let cur = current(&h);
                for w in cur.windows(2) {
                    prop_assert!(check_transition(framework(key), Some(w[0].stage), w[1].stage).is_ok());
                }
            }
        }
    }
}
