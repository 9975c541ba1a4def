//! Provision: what help a school offers (its catalogue), what it costs, how many sessions a
//! pupil's allocation plans, how many were delivered, and whether the help worked.
//!
//! Everything is a pure function of its inputs: the calendar and "today" are parameters.
//!
//! - **Costing** ([`Costing`], [`ProvisionSpec::cost_per_pupil`]): staff time is the hourly
//!   cost times the minutes of the planned sessions, divided by the group size; equipment is
//!   a price per item (per pupil); a bought-in service can be priced per term.
//! - **Planned sessions** ([`planned_sessions`]): sessions per week times the school weeks of
//!   the allocation, a school week being five school days of the school's calendar (so a
//!   three-day week after a bank holiday plans three fifths of a week's sessions).
//! - **Delivery** ([`DeliverySummary`]): sessions the school cancelled, or never recorded,
//!   count against the school; sessions the pupil missed are shown apart and do not. The
//!   shortfall flag rises when the sessions the school provided fall below a threshold
//!   (90% by default, a setting) of those planned so far.
//! - **Impact** ([`impact`]): the average gain from entry to exit measure, and the share of
//!   pupils meeting the expected gain.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::calendar::SchoolCalendar;
use crate::problem::Problem;

/// The kinds of provision a catalogue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionKind {
    SmallGroup,
    OneToOne,
    Equipment,
    TeachingProgramme,
    SpecialistTeaching,
    Therapy,
}

impl ProvisionKind {
    pub const ALL: [ProvisionKind; 6] = [
        ProvisionKind::SmallGroup,
        ProvisionKind::OneToOne,
        ProvisionKind::Equipment,
        ProvisionKind::TeachingProgramme,
        ProvisionKind::SpecialistTeaching,
        ProvisionKind::Therapy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionKind::SmallGroup => "small_group",
            ProvisionKind::OneToOne => "one_to_one",
            ProvisionKind::Equipment => "equipment",
            ProvisionKind::TeachingProgramme => "teaching_programme",
            ProvisionKind::SpecialistTeaching => "specialist_teaching",
            ProvisionKind::Therapy => "therapy",
        }
    }

    pub fn parse(s: &str) -> Option<ProvisionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ProvisionKind::SmallGroup => "Small group",
            ProvisionKind::OneToOne => "One-to-one",
            ProvisionKind::Equipment => "Equipment",
            ProvisionKind::TeachingProgramme => "Teaching programme",
            ProvisionKind::SpecialistTeaching => "Specialist teaching",
            ProvisionKind::Therapy => "Therapy",
        }
    }

    /// Whether the provision is delivered in sessions (equipment is not).
    pub fn has_sessions(self) -> bool {
        self != ProvisionKind::Equipment
    }
}

/// The basis a catalogue entry is costed on, as stored beside its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostBasis {
    /// The staff member's hourly cost, shared by the group.
    StaffTime,
    /// A one-off price per pupil.
    PerItem,
    /// A price per pupil per term.
    PerTerm,
}

impl CostBasis {
    pub const ALL: [CostBasis; 3] = [CostBasis::StaffTime, CostBasis::PerItem, CostBasis::PerTerm];

    pub fn as_str(self) -> &'static str {
        match self {
            CostBasis::StaffTime => "staff_time",
            CostBasis::PerItem => "per_item",
            CostBasis::PerTerm => "per_term",
        }
    }

    pub fn parse(s: &str) -> Option<CostBasis> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// How a provision is costed. Amounts are in pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Costing {
    /// Staff time: the staff member's hourly cost, shared by the group.
    StaffTime { hourly_pence: i64 },
    /// A one-off price per pupil (equipment, a programme licence).
    PerItem { pence: i64 },
    /// A price per pupil per term (a bought-in service).
    PerTerm { pence: i64 },
}

impl Costing {
    pub fn basis(self) -> &'static str {
        match self {
            Costing::StaffTime { .. } => "staff_time",
            Costing::PerItem { .. } => "per_item",
            Costing::PerTerm { .. } => "per_term",
        }
    }

    pub fn pence(self) -> i64 {
        match self {
            Costing::StaffTime { hourly_pence } => hourly_pence,
            Costing::PerItem { pence } | Costing::PerTerm { pence } => pence,
        }
    }

    /// The costing for a basis key and amount (`None` for a key outside the set).
    pub fn from_parts(basis: &str, pence: i64) -> Option<Costing> {
        CostBasis::parse(basis).map(|b| Costing::of(b, pence))
    }

    /// The costing for a basis and amount.
    pub fn of(basis: CostBasis, pence: i64) -> Costing {
        match basis {
            CostBasis::StaffTime => Costing::StaffTime {
                hourly_pence: pence,
            },
            CostBasis::PerItem => Costing::PerItem { pence },
            CostBasis::PerTerm => Costing::PerTerm { pence },
        }
    }
}

/// School days in a school week.
pub const DAYS_PER_WEEK: u32 = 5;
/// School days in a term, for costs per term: 190 days a year in three terms, rounded up.
pub const DAYS_PER_TERM: u32 = 64;
/// The share of planned sessions below which delivery is flagged, unless set otherwise.
pub const DEFAULT_SHORTFALL_PERCENT: u32 = 90;

/// A catalogue entry's numbers, checked: group size at least 1, sessions and minutes within
/// sensible bounds, a cost that is not negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProvisionSpec {
    kind: ProvisionKind,
    group_size: u32,
    sessions_per_week: u32,
    minutes_per_session: u32,
    costing: Costing,
}

/// Why a catalogue entry's numbers are refused. Each names its field and rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("The group size must be between 1 and {MAX_GROUP}")]
    GroupSize,
    #[error("Sessions per week must be between 1 and {MAX_SESSIONS_PER_WEEK}")]
    SessionsPerWeek,
    #[error("Minutes per session must be between 1 and {MAX_MINUTES}")]
    Minutes,
    #[error("The cost cannot be negative or more than £{}", MAX_PENCE / 100)]
    Cost,
    #[error("A one-to-one provision has a group size of 1")]
    OneToOneGroup,
}

impl SpecError {
    pub fn field(self) -> &'static str {
        match self {
            SpecError::GroupSize | SpecError::OneToOneGroup => "group_size",
            SpecError::SessionsPerWeek => "sessions_per_week",
            SpecError::Minutes => "minutes_per_session",
            SpecError::Cost => "cost",
        }
    }

    pub fn rule(self) -> &'static str {
        match self {
            SpecError::GroupSize => "group_size_range",
            SpecError::SessionsPerWeek => "sessions_range",
            SpecError::Minutes => "minutes_range",
            SpecError::Cost => "cost_range",
            SpecError::OneToOneGroup => "one_to_one_group",
        }
    }

    /// The problem, on its field, as a code and its values (the catalogue has the words).
    pub fn problem(self) -> Problem {
        let p = |code| Problem::new(self.field(), self.rule(), code);
        match self {
            SpecError::GroupSize => p("provision.spec_group_size").with("max", MAX_GROUP),
            SpecError::SessionsPerWeek => {
                p("provision.spec_sessions_per_week").with("max", MAX_SESSIONS_PER_WEEK)
            }
            SpecError::Minutes => p("provision.spec_minutes").with("max", MAX_MINUTES),
            // Written as it always was, without a thousands separator.
            SpecError::Cost => p("provision.spec_cost").with("max", (MAX_PENCE / 100).to_string()),
            SpecError::OneToOneGroup => p("provision.spec_one_to_one_group"),
        }
    }
}

pub const MAX_GROUP: u32 = 60;
pub const MAX_SESSIONS_PER_WEEK: u32 = 25;
pub const MAX_MINUTES: u32 = 600;
/// £1,000,000.
pub const MAX_PENCE: i64 = 100_000_000;

impl ProvisionSpec {
    /// Checks the numbers of a catalogue entry, giving every problem. Equipment has no
    /// sessions: its sessions and minutes are ignored (stored as 0).
    pub fn new(
        kind: ProvisionKind,
        group_size: i64,
        sessions_per_week: i64,
        minutes_per_session: i64,
        costing: Costing,
    ) -> Result<ProvisionSpec, Vec<SpecError>> {
        let mut errors = Vec::new();
        let in_range = |v: i64, max: u32| u32::try_from(v).ok().filter(|v| (1..=max).contains(v));
        let group = in_range(group_size, MAX_GROUP);
        if group.is_none() {
            errors.push(SpecError::GroupSize);
        }
        if kind == ProvisionKind::OneToOne && group.is_some_and(|g| g != 1) {
            errors.push(SpecError::OneToOneGroup);
        }
        let (sessions, minutes) = if kind.has_sessions() {
            let s = in_range(sessions_per_week, MAX_SESSIONS_PER_WEEK);
            if s.is_none() {
                errors.push(SpecError::SessionsPerWeek);
            }
            let m = in_range(minutes_per_session, MAX_MINUTES);
            if m.is_none() {
                errors.push(SpecError::Minutes);
            }
            (s, m)
        } else {
            (Some(0), Some(0))
        };
        if !(0..=MAX_PENCE).contains(&costing.pence()) {
            errors.push(SpecError::Cost);
        }
        match (group, sessions, minutes) {
            (Some(group_size), Some(sessions_per_week), Some(minutes_per_session))
                if errors.is_empty() =>
            {
                Ok(ProvisionSpec {
                    kind,
                    group_size,
                    sessions_per_week,
                    minutes_per_session,
                    costing,
                })
            }
            _ => Err(errors),
        }
    }

    pub fn kind(&self) -> ProvisionKind {
        self.kind
    }
    pub fn group_size(&self) -> u32 {
        self.group_size
    }
    pub fn sessions_per_week(&self) -> u32 {
        self.sessions_per_week
    }
    pub fn minutes_per_session(&self) -> u32 {
        self.minutes_per_session
    }
    pub fn costing(&self) -> Costing {
        self.costing
    }

    /// The cost of one session for one pupil, in pence (rounded to the nearest penny), for
    /// staff-time costing; 0 otherwise.
    pub fn session_cost_per_pupil(&self) -> i64 {
        match self.costing {
            Costing::StaffTime { hourly_pence } => div_round(
                hourly_pence * i64::from(self.minutes_per_session),
                60 * i64::from(self.group_size),
            ),
            _ => 0,
        }
    }

    /// The cost of the provision for one pupil over `school_days` school days with
    /// `sessions` planned sessions, in pence (rounded to the nearest penny).
    pub fn cost_per_pupil(&self, sessions: u32, school_days: u32) -> i64 {
        match self.costing {
            Costing::StaffTime { hourly_pence } => div_round(
                hourly_pence * i64::from(self.minutes_per_session) * i64::from(sessions),
                60 * i64::from(self.group_size),
            ),
            Costing::PerItem { pence } => pence,
            Costing::PerTerm { pence } => pence * i64::from(terms(school_days)),
        }
    }
}

/// Whole terms touched by `school_days` school days (at least one).
pub fn terms(school_days: u32) -> u32 {
    school_days.div_ceil(DAYS_PER_TERM).max(1)
}

fn div_round(n: i64, d: i64) -> i64 {
    if d == 0 {
        return 0;
    }
    (2 * n + d).div_euclid(2 * d)
}

/// The school days from `from` to `to` inclusive (known calendar only).
pub fn school_days(calendar: &SchoolCalendar, from: Date, to: Date) -> u32 {
    match from.previous_day() {
        Some(before) if to >= from => calendar.school_days_between(before, to),
        _ => 0,
    }
}

/// Sessions planned at `sessions_per_week` over `school_days` school days: a school week is
/// five school days, rounded to the nearest whole session (halves up).
pub fn planned_sessions(sessions_per_week: u32, school_days: u32) -> u32 {
    (2 * sessions_per_week * school_days + DAYS_PER_WEEK) / (2 * DAYS_PER_WEEK)
}

/// An allocation's dates: the end on or after the start. Cannot hold anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct AllocationDates {
    from: Date,
    to: Date,
}

impl AllocationDates {
    pub fn new(from: Date, to: Date) -> Option<AllocationDates> {
        (to >= from).then_some(AllocationDates { from, to })
    }
    pub fn from(&self) -> Date {
        self.from
    }
    pub fn to(&self) -> Date {
        self.to
    }
    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    /// The school days of the whole allocation.
    pub fn school_days(&self, calendar: &SchoolCalendar) -> u32 {
        school_days(calendar, self.from, self.to)
    }

    /// The school days from the start up to and including `today` (all of them once the
    /// allocation has ended, none before it starts).
    pub fn school_days_to(&self, calendar: &SchoolCalendar, today: Date) -> u32 {
        school_days(calendar, self.from, self.to.min(today))
    }
}

/// What happened to one session for one pupil.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// The session took place and the pupil attended.
    Delivered,
    /// The session took place; the pupil was absent.
    PupilAbsent,
    /// The school cancelled the session (a reason is required).
    Cancelled,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 3] = [
        SessionStatus::Delivered,
        SessionStatus::PupilAbsent,
        SessionStatus::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Delivered => "delivered",
            SessionStatus::PupilAbsent => "pupil_absent",
            SessionStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<SessionStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            SessionStatus::Delivered => "Attended",
            SessionStatus::PupilAbsent => "Pupil absent",
            SessionStatus::Cancelled => "Cancelled by the school",
        }
    }
}

/// A session to record, checked against its allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub on: Date,
    pub minutes: u32,
    pub status: SessionStatus,
    pub reason: Option<String>,
}

/// Why a session cannot be recorded. Each names its field and rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("The session date must be within the allocation ({from} to {to})", from = crate::census::LongDate(*from), to = crate::census::LongDate(*to))]
    OutsideAllocation { from: Date, to: Date },
    #[error("The session date cannot be in the future")]
    InFuture,
    #[error("Minutes must be a whole number between 1 and {MAX_MINUTES}")]
    Minutes,
    #[error("Give the reason the school cancelled the session")]
    ReasonMissing,
}

impl SessionError {
    pub fn field(self) -> &'static str {
        match self {
            SessionError::OutsideAllocation { .. } | SessionError::InFuture => "on",
            SessionError::Minutes => "minutes",
            SessionError::ReasonMissing => "reason",
        }
    }
    pub fn rule(self) -> &'static str {
        match self {
            SessionError::OutsideAllocation { .. } => "outside_allocation",
            SessionError::InFuture => "in_future",
            SessionError::Minutes => "minutes_range",
            SessionError::ReasonMissing => "reason_missing",
        }
    }

    /// The problem, on its field, as a code and its values (the catalogue has the words).
    pub fn problem(self) -> Problem {
        let p = |code| Problem::new(self.field(), self.rule(), code);
        match self {
            SessionError::OutsideAllocation { from, to } => {
                p("provision.session_outside_allocation")
                    .with("from", from)
                    .with("to", to)
            }
            SessionError::InFuture => p("provision.session_in_future"),
            SessionError::Minutes => p("provision.session_minutes").with("max", MAX_MINUTES),
            SessionError::ReasonMissing => p("provision.session_reason_missing"),
        }
    }
}

/// Checks a session for an allocation on `today`: inside the allocation's dates, not in the
/// future, minutes 1 to 600 for a session that took place (a cancelled one records 0), and a
/// reason for a cancellation.
pub fn check_session(
    dates: &AllocationDates,
    today: Date,
    on: Date,
    minutes: i64,
    status: SessionStatus,
    reason: &str,
) -> Result<SessionRecord, Vec<SessionError>> {
    let mut errors = Vec::new();
    if !dates.contains(on) {
        errors.push(SessionError::OutsideAllocation {
            from: dates.from,
            to: dates.to,
        });
    } else if on > today {
        errors.push(SessionError::InFuture);
    }
    let minutes = match status {
        SessionStatus::Cancelled => Some(0),
        _ => u32::try_from(minutes)
            .ok()
            .filter(|m| (1..=MAX_MINUTES).contains(m)),
    };
    if minutes.is_none() {
        errors.push(SessionError::Minutes);
    }
    let reason = reason.trim();
    if status == SessionStatus::Cancelled && reason.is_empty() {
        errors.push(SessionError::ReasonMissing);
    }
    match minutes {
        Some(minutes) if errors.is_empty() => Ok(SessionRecord {
            on,
            minutes,
            status,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        }),
        _ => Err(errors),
    }
}

/// Delivered against planned for one allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    /// Sessions planned up to today (or the end of the allocation).
    pub planned: u32,
    pub delivered: u32,
    pub pupil_absent: u32,
    pub cancelled: u32,
    /// Planned sessions with no record at all (counted against the school).
    pub unrecorded: u32,
    pub minutes_delivered: u32,
    /// Sessions the school provided (delivered or missed by the pupil) as a share of those
    /// planned, in whole percent rounded down; `None` when nothing was planned yet.
    pub school_percent: Option<u32>,
    /// Whether the school's delivery is below the threshold.
    pub shortfall: bool,
}

/// Sums the recorded sessions of an allocation against `planned` sessions so far.
/// `threshold_percent` is the shortfall threshold (90 by default).
pub fn summarise(
    planned: u32,
    sessions: &[(SessionStatus, u32)],
    threshold_percent: u32,
) -> DeliverySummary {
    let count = |s: SessionStatus| sessions.iter().filter(|(st, _)| *st == s).count() as u32;
    let delivered = count(SessionStatus::Delivered);
    let pupil_absent = count(SessionStatus::PupilAbsent);
    let cancelled = count(SessionStatus::Cancelled);
    let provided = delivered + pupil_absent;
    let recorded = provided + cancelled;
    let minutes_delivered = sessions
        .iter()
        .filter(|(st, _)| *st == SessionStatus::Delivered)
        .map(|(_, m)| *m)
        .sum();
    let school_percent =
        (planned > 0).then(|| (u64::from(provided) * 100 / u64::from(planned)) as u32);
    // Below the threshold when provided / planned < threshold / 100, in integers.
    let shortfall = planned > 0
        && u64::from(provided) * 100 < u64::from(threshold_percent) * u64::from(planned);
    DeliverySummary {
        planned,
        delivered,
        pupil_absent,
        cancelled,
        unrecorded: planned.saturating_sub(recorded),
        minutes_delivered,
        school_percent,
        shortfall,
    }
}

/// How a measure is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureUnit {
    /// A reading or spelling age in months.
    Months,
    /// A standardised score (100 is average).
    StandardisedScore,
    WordsPerMinute,
    /// A scale the school defines (for example a 1 to 10 confidence rating).
    SchoolScale,
}

impl MeasureUnit {
    pub const ALL: [MeasureUnit; 4] = [
        MeasureUnit::Months,
        MeasureUnit::StandardisedScore,
        MeasureUnit::WordsPerMinute,
        MeasureUnit::SchoolScale,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureUnit::Months => "months",
            MeasureUnit::StandardisedScore => "standardised_score",
            MeasureUnit::WordsPerMinute => "words_per_minute",
            MeasureUnit::SchoolScale => "school_scale",
        }
    }
    pub fn parse(s: &str) -> Option<MeasureUnit> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            MeasureUnit::Months => "Age in months",
            MeasureUnit::StandardisedScore => "Standardised score",
            MeasureUnit::WordsPerMinute => "Words per minute",
            MeasureUnit::SchoolScale => "School-defined scale",
        }
    }
}

/// The largest value a measure may take (covers ages in months and scores).
pub const MAX_MEASURE: f64 = 100_000.0;

/// A measure's value: a finite number from 0 to [`MAX_MEASURE`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
pub struct MeasureValue(f64);

impl MeasureValue {
    pub fn new(v: f64) -> Option<MeasureValue> {
        (v.is_finite() && (0.0..=MAX_MEASURE).contains(&v)).then_some(MeasureValue(v))
    }
    /// Parses a typed value such as `84` or `92.5`.
    pub fn parse(s: &str) -> Option<MeasureValue> {
        s.trim().parse::<f64>().ok().and_then(MeasureValue::new)
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

/// One allocation's measures for the impact report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gain {
    pub entry: f64,
    pub exit: f64,
}

/// The impact of one provision for one measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Impact {
    /// Pupils with both an entry and an exit measure.
    pub pupils: u32,
    pub average_gain: Option<f64>,
    /// Pupils whose gain is at least the expected gain (`None` without an expected gain).
    pub meeting_expected: Option<u32>,
    /// Their share, in whole percent rounded down.
    pub meeting_percent: Option<u32>,
}

/// Average gain and the share meeting `expected_gain`.
pub fn impact(gains: &[Gain], expected_gain: Option<f64>) -> Impact {
    let pupils = gains.len() as u32;
    let average_gain = (pupils > 0)
        .then(|| gains.iter().map(|g| g.exit - g.entry).sum::<f64>() / f64::from(pupils));
    let meeting_expected = expected_gain.map(|e| {
        gains
            .iter()
            .filter(|g| g.exit - g.entry >= e - 1e-9)
            .count() as u32
    });
    let meeting_percent = meeting_expected
        .filter(|_| pupils > 0)
        .map(|m| m * 100 / pupils);
    Impact {
        pupils,
        average_gain,
        meeting_expected,
        meeting_percent,
    }
}

/// Parses an amount of money typed as pounds (`12`, `12.5`, `£1,250.00`) into pence.
pub fn parse_pounds(s: &str) -> Option<i64> {
    let s: String = s
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 12
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// Formats pence as pounds: `£1,250.00`.
pub fn format_pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    let pounds = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", p % 100)
}

/// Whether a pupil's stage calls for outside specialists (School Action Plus and Early Years
/// Action Plus) while no specialist is involved: flagged on the register and dashboard.
pub fn needs_specialist(stage: crate::framework::Stage, open_involvements: u32) -> bool {
    use crate::framework::Stage;
    matches!(stage, Stage::SchoolActionPlus | Stage::EarlyYearsActionPlus) && open_involvements == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DateRange;
    use crate::framework::Stage;
    use crate::school::Country;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn cost_bases_round_trip_and_match_costing() {
        for b in CostBasis::ALL {
            assert_eq!(CostBasis::parse(b.as_str()), Some(b));
            assert_eq!(Costing::of(b, 100).basis(), b.as_str());
            assert_eq!(
                Costing::from_parts(b.as_str(), 100),
                Some(Costing::of(b, 100))
            );
        }
        assert_eq!(CostBasis::parse("per_day"), None);
    }

    fn reading_group() -> ProvisionSpec {
        ProvisionSpec::new(
            ProvisionKind::SmallGroup,
            4,
            3,
            30,
            Costing::StaffTime { hourly_pence: 1600 },
        )
        .unwrap()
    }

    fn autumn() -> SchoolCalendar {
        SchoolCalendar::new(
            Country::England,
            vec![DateRange::new(date!(2026 - 09 - 02), date!(2026 - 10 - 23)).unwrap()],
            vec![],
        )
    }

    #[test]
    fn staff_time_is_shared_by_the_group() {
        let g = reading_group();
        // £16 an hour for 30 minutes is £8, shared by 4: £2 a session each.
        assert_eq!(g.session_cost_per_pupil(), 200);
        assert_eq!(g.cost_per_pupil(18, 30), 3600);
        let one = ProvisionSpec::new(
            ProvisionKind::OneToOne,
            1,
            2,
            20,
            Costing::StaffTime { hourly_pence: 1500 },
        )
        .unwrap();
        assert_eq!(one.session_cost_per_pupil(), 500);
    }

    #[test]
    fn items_cost_once_and_terms_per_term() {
        let item = ProvisionSpec::new(
            ProvisionKind::Equipment,
            1,
            0,
            0,
            Costing::PerItem { pence: 4999 },
        )
        .unwrap();
        assert_eq!(item.cost_per_pupil(0, 120), 4999);
        let therapy = ProvisionSpec::new(
            ProvisionKind::Therapy,
            1,
            1,
            45,
            Costing::PerTerm { pence: 30000 },
        )
        .unwrap();
        assert_eq!(therapy.cost_per_pupil(10, 30), 30000);
        assert_eq!(therapy.cost_per_pupil(20, 100), 60000);
        assert_eq!(terms(0), 1);
        assert_eq!(terms(64), 1);
        assert_eq!(terms(65), 2);
    }

    #[test]
    fn bad_numbers_are_refused_each_with_its_field() {
        let e = ProvisionSpec::new(
            ProvisionKind::OneToOne,
            3,
            0,
            -5,
            Costing::PerItem { pence: -1 },
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field()).collect();
        assert_eq!(
            fields,
            [
                "group_size",
                "sessions_per_week",
                "minutes_per_session",
                "cost"
            ]
        );
        assert!(
            ProvisionSpec::new(
                ProvisionKind::SmallGroup,
                0,
                1,
                1,
                Costing::PerItem { pence: 0 }
            )
            .is_err()
        );
    }

    #[test]
    fn planned_sessions_follow_the_school_calendar() {
        let cal = autumn();
        // Six school weeks from Monday 7 September to Friday 16 October.
        let d = AllocationDates::new(date!(2026 - 09 - 07), date!(2026 - 10 - 16)).unwrap();
        assert_eq!(d.school_days(&cal), 30);
        assert_eq!(planned_sessions(3, d.school_days(&cal)), 18);
        // Half way through: three weeks.
        assert_eq!(d.school_days_to(&cal, date!(2026 - 09 - 25)), 15);
        // Before the start: nothing planned yet.
        assert_eq!(d.school_days_to(&cal, date!(2026 - 09 - 01)), 0);
        // The half-term holiday plans nothing.
        let h = AllocationDates::new(date!(2026 - 10 - 24), date!(2026 - 11 - 01)).unwrap();
        assert_eq!(h.school_days(&cal), 0);
        // Three days are three fifths of a week: 3 x 3 / 5 = 1.8, two sessions.
        assert_eq!(planned_sessions(3, 3), 2);
        assert_eq!(planned_sessions(1, 2), 0);
        assert_eq!(planned_sessions(1, 3), 1);
    }

    #[test]
    fn school_cancellations_count_against_the_school_and_absence_does_not() {
        use SessionStatus::*;
        let mut s = vec![(Delivered, 30); 14];
        s.extend([
            (PupilAbsent, 0),
            (PupilAbsent, 0),
            (Cancelled, 0),
            (Cancelled, 0),
        ]);
        let sum = summarise(18, &s, DEFAULT_SHORTFALL_PERCENT);
        assert_eq!(sum.delivered, 14);
        assert_eq!(sum.pupil_absent, 2);
        assert_eq!(sum.cancelled, 2);
        assert_eq!(sum.unrecorded, 0);
        assert_eq!(sum.minutes_delivered, 420);
        // 16 of 18 provided: 88%, below 90%.
        assert_eq!(sum.school_percent, Some(88));
        assert!(sum.shortfall);
        // One cancellation: 17 of 18 is 94%.
        let mut once = s[..17].to_vec();
        once.push((Delivered, 30));
        let one = summarise(18, &once, DEFAULT_SHORTFALL_PERCENT);
        assert_eq!(one.school_percent, Some(94));
        assert!(!one.shortfall);
        // Exactly 90% is not a shortfall.
        let ten = vec![(Delivered, 30); 9];
        assert!(!summarise(10, &ten, 90).shortfall);
        // Sessions never recorded count against the school.
        let gap = summarise(18, &s[..10], 90);
        assert_eq!(gap.unrecorded, 8);
        assert!(gap.shortfall);
        // Nothing planned yet: no percentage, no flag.
        let none = summarise(0, &[], 90);
        assert_eq!(none.school_percent, None);
        assert!(!none.shortfall);
    }

    #[test]
    fn sessions_are_checked_against_the_allocation() {
        let d = AllocationDates::new(date!(2026 - 09 - 07), date!(2026 - 10 - 16)).unwrap();
        let today = date!(2026 - 10 - 01);
        let ok = check_session(
            &d,
            today,
            date!(2026 - 09 - 08),
            30,
            SessionStatus::Delivered,
            "",
        )
        .unwrap();
        assert_eq!(ok.minutes, 30);
        assert_eq!(ok.reason, None);
        let e = check_session(
            &d,
            today,
            date!(2026 - 09 - 01),
            -5,
            SessionStatus::Delivered,
            "",
        )
        .unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.rule()).collect::<Vec<_>>(),
            ["outside_allocation", "minutes_range"]
        );
        assert!(e[0].to_string().contains("7 September 2026"));
        let e = check_session(
            &d,
            today,
            date!(2026 - 10 - 05),
            30,
            SessionStatus::Delivered,
            "",
        )
        .unwrap_err();
        assert_eq!(e, [SessionError::InFuture]);
        let e = check_session(
            &d,
            today,
            date!(2026 - 09 - 08),
            0,
            SessionStatus::Cancelled,
            " ",
        )
        .unwrap_err();
        assert_eq!(e, [SessionError::ReasonMissing]);
        let c = check_session(
            &d,
            today,
            date!(2026 - 09 - 08),
            0,
            SessionStatus::Cancelled,
            "TA covering a class",
        )
        .unwrap();
        assert_eq!(c.minutes, 0);
        assert_eq!(c.reason.as_deref(), Some("TA covering a class"));
    }

    #[test]
    fn impact_averages_gains_and_counts_those_meeting_the_expectation() {
        let gains = [
            Gain {
                entry: 80.0,
                exit: 86.0,
            },
            Gain {
                entry: 75.0,
                exit: 78.0,
            },
            Gain {
                entry: 90.0,
                exit: 99.0,
            },
        ];
        let i = impact(&gains, Some(6.0));
        assert_eq!(i.pupils, 3);
        assert_eq!(i.average_gain, Some(6.0));
        assert_eq!(i.meeting_expected, Some(2));
        assert_eq!(i.meeting_percent, Some(66));
        let none = impact(&[], Some(6.0));
        assert_eq!(none.average_gain, None);
        assert_eq!(none.meeting_percent, None);
        assert_eq!(impact(&gains, None).meeting_expected, None);
    }

    #[test]
    fn money_is_typed_in_pounds_and_shown_with_pence() {
        assert_eq!(parse_pounds("12"), Some(1200));
        assert_eq!(parse_pounds("£12.5"), Some(1250));
        assert_eq!(parse_pounds("1,250.00"), Some(125000));
        assert_eq!(parse_pounds(".75"), Some(75));
        for bad in ["", "-3", "12.345", "twelve", "1.2.3", "£"] {
            assert_eq!(parse_pounds(bad), None, "{bad}");
        }
        assert_eq!(format_pounds(125000), "£1,250.00");
        assert_eq!(format_pounds(5), "£0.05");
        assert_eq!(format_pounds(123456789), "£1,234,567.89");
    }

    #[test]
    fn measures_are_finite_and_in_range() {
        assert_eq!(MeasureValue::parse("84").unwrap().get(), 84.0);
        assert_eq!(MeasureValue::parse(" 92.5 ").unwrap().get(), 92.5);
        for bad in ["", "-1", "NaN", "inf", "1e9", "x"] {
            assert!(MeasureValue::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn action_plus_without_a_specialist_is_flagged() {
        assert!(needs_specialist(Stage::SchoolActionPlus, 0));
        assert!(needs_specialist(Stage::EarlyYearsActionPlus, 0));
        assert!(!needs_specialist(Stage::SchoolActionPlus, 1));
        assert!(!needs_specialist(Stage::SchoolAction, 0));
    }

    proptest! {
        #[test]
        fn planned_sessions_grow_with_the_days(spw in 1u32..=25, a in 0u32..400, b in 0u32..400) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(planned_sessions(spw, lo) <= planned_sessions(spw, hi));
            // Whole weeks plan exactly sessions per week each.
            prop_assert_eq!(planned_sessions(spw, 5 * lo), spw * lo);
        }

        #[test]
        fn delivery_never_exceeds_what_was_recorded(
            planned in 0u32..200,
            statuses in proptest::collection::vec(0usize..3, 0..200),
            threshold in 1u32..=100,
        ) {
            let sessions: Vec<_> = statuses.iter().map(|i| (SessionStatus::ALL[*i], 30)).collect();
            let s = summarise(planned, &sessions, threshold);
            prop_assert_eq!(s.delivered + s.pupil_absent + s.cancelled, sessions.len() as u32);
            prop_assert!(s.unrecorded <= planned);
            if let Some(p) = s.school_percent {
                prop_assert_eq!(s.shortfall, p < threshold || (p == threshold && (s.delivered + s.pupil_absent) * 100 < threshold * planned));
            }
        }

        #[test]
        fn the_group_shares_the_cost(hourly in 0i64..100_000, minutes in 1i64..=600, group in 1i64..=60, sessions in 0u32..200) {
            let spec = ProvisionSpec::new(ProvisionKind::SmallGroup, group, 1, minutes, Costing::StaffTime { hourly_pence: hourly }).unwrap();
            let each = spec.cost_per_pupil(sessions, 0);
            let whole = hourly * minutes * i64::from(sessions);
            // Rounded to the nearest penny: within half a penny of the exact share.
            prop_assert!((each * 60 * group - whole).abs() <= 30 * group);
        }

        #[test]
        fn pounds_round_trip(pence in 0i64..10_000_000_000) {
            prop_assert_eq!(parse_pounds(&format_pounds(pence)), Some(pence));
        }
    }
}
