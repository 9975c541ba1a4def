//! When a plan must be reviewed: the hard limit of its plan type, which a plan cannot
//! break ([`PlanDates`]), and the school's own, stricter policy, which only warns
//! ([`policy_warning`](super::quality::policy_warning)). REFERENCE.md §1.6 and §3.1.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::calendar::SchoolCalendar;
use crate::census::LongDate;
use crate::framework::{PlanKind, PlanType, ReviewCadence, Stage};

/// The latest review date the hard limit allows for a plan starting (or last reviewed) on
/// `start`: for an IEP, six calendar months later, on the same day of the month or the
/// month's last day when that day does not exist (31 August gives 28 or 29 February).
/// This is [`PlanType::review_due`]; past the supported range it saturates to
/// [`Date::MAX`].
pub fn review_limit(plan: &PlanType, start: Date) -> Date {
    plan.review_due(start).unwrap_or(Date::MAX)
}

/// A plan's start and review dates: the review is on or after the start and no later than
/// the plan type's hard limit ([`review_limit`]). Cannot hold anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PlanDates {
    start: Date,
    review: Date,
}

/// Why a plan's dates are refused. Each names its rule ([`PlanDateError::rule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlanDateError {
    #[error("The review date must be the same as or after the date the plan starts")]
    ReviewBeforeStart,
    /// The API answers 422 with this rule.
    #[error(
        "The review date must be on or before {}: the plan must be reviewed by then",
        LongDate(*limit)
    )]
    ReviewPastLimit { limit: Date },
}

impl PlanDateError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            PlanDateError::ReviewBeforeStart => "review_before_start",
            PlanDateError::ReviewPastLimit { .. } => "review_past_limit",
        }
    }
}

impl PlanDates {
    /// Checks `review` against `start` and the hard limit of `plan`. A review on the day
    /// the plan starts is allowed.
    pub fn new(plan: &PlanType, start: Date, review: Date) -> Result<PlanDates, PlanDateError> {
        if review < start {
            return Err(PlanDateError::ReviewBeforeStart);
        }
        let limit = review_limit(plan, start);
        if review > limit {
            return Err(PlanDateError::ReviewPastLimit { limit });
        }
        Ok(PlanDates { start, review })
    }

    pub fn start(&self) -> Date {
        self.start
    }

    pub fn review(&self) -> Date {
        self.review
    }

    /// Whether `d` falls within the plan: from its start to its review, inclusive.
    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d <= self.review
    }
}

/// A school's own review policy, stricter than the hard limit. Missing it is a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewPolicy {
    /// Within six calendar months of the start.
    SixMonthly,
    /// By the end of the next term to end after the start (within four calendar months
    /// when the school's term dates are not known).
    Termly,
}

impl ReviewPolicy {
    pub const ALL: [ReviewPolicy; 2] = [ReviewPolicy::SixMonthly, ReviewPolicy::Termly];

    /// The stable snake_case id, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewPolicy::SixMonthly => "six_monthly",
            ReviewPolicy::Termly => "termly",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<ReviewPolicy> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewPolicy::SixMonthly => "Every six months",
            ReviewPolicy::Termly => "Every term",
        }
    }

    /// The policy a school gets by default for `plan`: termly for SEN support in England
    /// (`england_2014`), otherwise none beyond the hard limit.
    pub fn default_for(plan: &PlanType) -> Option<ReviewPolicy> {
        plan.policy_default.map(|cadence| match cadence {
            ReviewCadence::Termly => ReviewPolicy::Termly,
        })
    }
}

/// The review policy a plan is checked against (a warning, never a hard rule; issue 17,
/// point 7). Statutory plans (statements, EHC plans, IDPs) have their annual hard limit and
/// no school policy. A school-based plan follows the school's own policy (`school`) when it
/// has set one; otherwise early years are reviewed termly and the plan type's default
/// applies (termly SEN support in England), else every six months (REFERENCE §1.6: at least
/// twice a year, early years at least termly).
pub fn policy_for(
    plan: &PlanType,
    stage: Stage,
    school: Option<ReviewPolicy>,
) -> Option<ReviewPolicy> {
    if matches!(
        plan.kind,
        PlanKind::Statement | PlanKind::EhcPlan | PlanKind::Idp
    ) {
        return None;
    }
    let early_years = matches!(stage, Stage::EarlyYearsAction | Stage::EarlyYearsActionPlus);
    school
        .or(early_years.then_some(ReviewPolicy::Termly))
        .or(ReviewPolicy::default_for(plan))
        .or(Some(ReviewPolicy::SixMonthly))
}

/// Consecutive school days this many calendar days or more apart have a holiday between
/// two terms, not a half-term break. A one-week half-term leaves at most 12 (Thursday to
/// the Tuesday after next, with INSET days either side).
const TERM_BREAK_DAYS: i64 = 14;

/// Whether the days strictly between school days `before` and `after` are a holiday
/// between terms: two weeks or more, or Christmas Day or August in it.
fn is_term_break(before: Date, after: Date) -> bool {
    if (after - before).whole_days() >= TERM_BREAK_DAYS {
        return true;
    }
    let mut d = before;
    while let Some(next) = d.next_day() {
        if next >= after {
            break;
        }
        if (next.month() == Month::December && next.day() == 25) || next.month() == Month::August {
            return true;
        }
        d = next;
    }
    false
}

/// The longest a school holiday runs, in calendar days from its start to the next school
/// day: a first school day further from the start than this means the calendar does not
/// cover the start.
const LONGEST_HOLIDAY_DAYS: i64 = 60;

/// The last school day of the first term to end after `start`, from the calendar's term
/// dates. The calendar lists half-terms too, so terms are told apart by the holidays
/// between them ([`is_term_break`]). `None` when the known calendar ends first or starts
/// long after `start`.
fn next_term_end(calendar: &SchoolCalendar, start: Date) -> Option<Date> {
    let known_until = calendar.known_until()?;
    let mut last_school_day: Option<Date> = None;
    let mut d = start;
    while d < known_until {
        d = d.next_day()?;
        if !calendar.is_school_day(d) {
            if last_school_day.is_none() && (d - start).whole_days() > LONGEST_HOLIDAY_DAYS {
                return None;
            }
            continue;
        }
        if let Some(prev) = last_school_day
            && is_term_break(prev, d)
        {
            return Some(prev);
        }
        last_school_day = Some(d);
    }
    // The calendar's last term ends on its last school day.
    last_school_day
}

/// What the policy's latest review date was worked out from, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyBasis {
    SixMonths,
    TermEnd,
    FourMonths,
}

/// The latest review date `policy` expects and what it was worked out from.
pub(crate) fn policy_limit(
    policy: ReviewPolicy,
    start: Date,
    calendar: Option<&SchoolCalendar>,
) -> (Date, PolicyBasis) {
    match policy {
        ReviewPolicy::SixMonthly => (
            add_months(start, 6).unwrap_or(Date::MAX),
            PolicyBasis::SixMonths,
        ),
        ReviewPolicy::Termly => match calendar.and_then(|c| next_term_end(c, start)) {
            Some(end) => (end, PolicyBasis::TermEnd),
            None => (
                add_months(start, 4).unwrap_or(Date::MAX),
                PolicyBasis::FourMonths,
            ),
        },
    }
}

/// The latest review date `policy` expects for a plan starting on `start`: six calendar
/// months later; or for termly reviews the last school day of the next term to end after
/// the start, from `calendar`'s terms (four calendar months later without a calendar, or
/// when the start is past its known terms). Month arithmetic clamps to the month's end.
pub fn policy_review_by(
    policy: ReviewPolicy,
    start: Date,
    calendar: Option<&SchoolCalendar>,
) -> Date {
    policy_limit(policy, start, calendar).0
}

/// `d` plus `months` calendar months, clamped to the end of the month.
fn add_months(d: Date, months: u8) -> Option<Date> {
    let index = i32::from(u8::from(d.month())) - 1 + i32::from(months);
    let year = d.year() + index.div_euclid(12);
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    (1..=d.day())
        .rev()
        .find_map(|day| Date::from_calendar_date(year, month, day).ok())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn statutory_plans_have_no_school_policy_and_early_years_are_termly() {
        use crate::framework::{EHC_PLAN, IDP, IEP, SEN_SUPPORT_PLAN, STATEMENT};
        for plan in [&STATEMENT, &EHC_PLAN, &IDP] {
            for school in [
                None,
                Some(ReviewPolicy::SixMonthly),
                Some(ReviewPolicy::Termly),
            ] {
                assert_eq!(
                    policy_for(plan, Stage::SchoolActionPlus, school),
                    None,
                    "{}",
                    plan.name
                );
            }
        }
        assert_eq!(
            policy_for(&IEP, Stage::EarlyYearsAction, None),
            Some(ReviewPolicy::Termly)
        );
        assert_eq!(
            policy_for(&IEP, Stage::EarlyYearsActionPlus, None),
            Some(ReviewPolicy::Termly)
        );
        assert_eq!(
            policy_for(&IEP, Stage::SchoolAction, None),
            Some(ReviewPolicy::SixMonthly)
        );
        assert_eq!(
            policy_for(&SEN_SUPPORT_PLAN, Stage::SenSupport, None),
            Some(ReviewPolicy::Termly)
        );
        // The school's own policy wins for its own plans, early years included.
        assert_eq!(
            policy_for(
                &IEP,
                Stage::EarlyYearsAction,
                Some(ReviewPolicy::SixMonthly)
            ),
            Some(ReviewPolicy::SixMonthly)
        );
        assert_eq!(
            policy_for(&IEP, Stage::SchoolAction, Some(ReviewPolicy::Termly)),
            Some(ReviewPolicy::Termly)
        );
    }
    use crate::calendar::DateRange;
    use crate::framework::{EHC_PLAN, IDP, IEP, SEN_SUPPORT_PLAN, STATEMENT};
    use crate::school::Country;
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::date;

    fn range(start: Date, end: Date) -> DateRange {
        DateRange { start, end }
    }

    /// 2024/25 in England, as six half-terms (as schools enter them).
    pub(crate) fn calendar_2024_25() -> SchoolCalendar {
        SchoolCalendar::new(
            Country::England,
            vec![
                range(date!(2024 - 09 - 04), date!(2024 - 10 - 25)),
                range(date!(2024 - 11 - 04), date!(2024 - 12 - 20)),
                range(date!(2025 - 01 - 06), date!(2025 - 02 - 14)),
                range(date!(2025 - 02 - 24), date!(2025 - 04 - 04)),
                range(date!(2025 - 04 - 22), date!(2025 - 05 - 23)),
                range(date!(2025 - 06 - 02), date!(2025 - 07 - 22)),
            ],
            vec![range(date!(2024 - 11 - 04), date!(2024 - 11 - 04))],
        )
    }

    #[test]
    fn review_limit_is_six_calendar_months_for_an_iep() {
        assert_eq!(
            review_limit(&IEP, date!(2010 - 03 - 15)),
            date!(2010 - 09 - 15)
        );
        assert_eq!(
            review_limit(&IEP, date!(2010 - 08 - 31)),
            date!(2011 - 02 - 28)
        );
        assert_eq!(
            review_limit(&IEP, date!(2011 - 08 - 31)),
            date!(2012 - 02 - 29)
        );
        assert_eq!(
            review_limit(&SEN_SUPPORT_PLAN, date!(2024 - 10 - 31)),
            date!(2025 - 04 - 30)
        );
        assert_eq!(
            review_limit(&STATEMENT, date!(2008 - 02 - 29)),
            date!(2009 - 02 - 28)
        );
        assert_eq!(
            review_limit(&EHC_PLAN, date!(2020 - 01 - 10)),
            date!(2021 - 01 - 10)
        );
        assert_eq!(
            review_limit(&IDP, date!(2022 - 09 - 01)),
            date!(2023 - 09 - 01)
        );
        assert_eq!(review_limit(&IEP, Date::MAX), Date::MAX);
    }

    #[test]
    fn plan_dates_refuse_a_review_past_the_limit() {
        let start = date!(2010 - 08 - 31);
        let ok = PlanDates::new(&IEP, start, date!(2011 - 02 - 28)).unwrap();
        assert_eq!(ok.start(), start);
        assert_eq!(ok.review(), date!(2011 - 02 - 28));
        assert!(ok.contains(start) && ok.contains(date!(2010 - 12 - 01)));
        assert!(!ok.contains(date!(2011 - 03 - 01)));
        let e = PlanDates::new(&IEP, start, date!(2011 - 03 - 01)).unwrap_err();
        assert_eq!(
            e,
            PlanDateError::ReviewPastLimit {
                limit: date!(2011 - 02 - 28)
            }
        );
        assert_eq!(e.rule(), "review_past_limit");
        assert_eq!(
            e.to_string(),
            "The review date must be on or before 28 February 2011: the plan must be \
             reviewed by then"
        );
        // A statement's limit is a year.
        assert!(PlanDates::new(&STATEMENT, start, date!(2011 - 08 - 31)).is_ok());
    }

    #[test]
    fn plan_dates_refuse_a_review_before_the_start() {
        let start = date!(2024 - 09 - 10);
        let e = PlanDates::new(&IEP, start, date!(2024 - 09 - 09)).unwrap_err();
        assert_eq!(e, PlanDateError::ReviewBeforeStart);
        assert_eq!(e.rule(), "review_before_start");
        assert!(!e.to_string().ends_with('.'));
        assert!(PlanDates::new(&IEP, start, start).is_ok());
    }

    #[test]
    fn plan_dates_serialise() {
        let d = PlanDates::new(&IEP, date!(2024 - 09 - 10), date!(2024 - 12 - 13)).unwrap();
        let json = serde_json::to_value(d).unwrap();
        assert_eq!(json["start"], serde_json::to_value(d.start()).unwrap());
        assert_eq!(json["review"], serde_json::to_value(d.review()).unwrap());
    }

    #[test]
    fn policy_ids_and_defaults() {
        for p in ReviewPolicy::ALL {
            assert_eq!(ReviewPolicy::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
            assert!(!p.label().is_empty());
        }
        assert_eq!(ReviewPolicy::parse("Termly"), None);
        assert_eq!(
            ReviewPolicy::default_for(&SEN_SUPPORT_PLAN),
            Some(ReviewPolicy::Termly)
        );
        assert_eq!(ReviewPolicy::default_for(&IEP), None);
        assert_eq!(ReviewPolicy::default_for(&EHC_PLAN), None);
    }

    #[test]
    fn christmas_is_a_term_break_even_when_short() {
        // Twelve days between the last day of autumn and the first of spring.
        let cal = SchoolCalendar::new(
            Country::England,
            vec![
                range(date!(2023 - 11 - 01), date!(2023 - 12 - 22)),
                range(date!(2024 - 01 - 03), date!(2024 - 02 - 09)),
            ],
            vec![],
        );
        assert_eq!(
            policy_review_by(ReviewPolicy::Termly, date!(2023 - 11 - 10), Some(&cal)),
            date!(2023 - 12 - 22)
        );
        assert!(is_term_break(date!(2023 - 12 - 22), date!(2024 - 01 - 03)));
        assert!(!is_term_break(date!(2024 - 10 - 24), date!(2024 - 11 - 05)));
        assert!(is_term_break(date!(2025 - 07 - 29), date!(2025 - 08 - 04)));
        assert!(!is_term_break(date!(2025 - 07 - 31), date!(2025 - 08 - 01)));
        assert!(is_term_break(date!(2025 - 04 - 04), date!(2025 - 04 - 22)));
    }

    pub(crate) fn any_date() -> impl Strategy<Value = Date> {
        (0i64..4000).prop_map(|n| date!(2015 - 01 - 01) + Duration::days(n))
    }

    proptest! {
        #[test]
        fn plan_dates_hold_only_reviews_within_the_limit(start in any_date(), offset in -30i64..400) {
            let review = start + Duration::days(offset);
            for plan in [&IEP, &SEN_SUPPORT_PLAN, &STATEMENT, &EHC_PLAN, &IDP] {
                let limit = review_limit(plan, start);
                match PlanDates::new(plan, start, review) {
                    Ok(d) => {
                        prop_assert!(d.start() <= d.review() && d.review() <= limit);
                    }
                    Err(PlanDateError::ReviewBeforeStart) => prop_assert!(review < start),
                    Err(PlanDateError::ReviewPastLimit { limit: l }) => {
                        prop_assert_eq!(l, limit);
                        prop_assert!(review > limit && review >= start);
                    }
                }
            }
        }

        #[test]
        fn review_limit_is_monotonic_and_about_six_months(a in any_date(), b in any_date()) {
            let (a, b) = (a.min(b), a.max(b));
            prop_assert!(review_limit(&IEP, a) <= review_limit(&IEP, b));
            let limit = review_limit(&IEP, a);
            let days = (limit - a).whole_days();
            prop_assert!((178..=184).contains(&days), "{} days", days);
            prop_assert!(limit.day() <= a.day());
        }
    }
}
