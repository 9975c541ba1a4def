//! SEN frameworks as data: stages, their ladder, the plans they use, the moves allowed
//! between them and the triggers for each school-based stage (REFERENCE.md §1, §3.1, §4).
//!
//! A framework is a `static` [`Framework`] value; the rules ([`check_move`] and the
//! `Framework` methods) read that data and never match on a framework key. Adding a
//! framework (Northern Ireland, Scotland) means adding its data, one arm to [`framework`]
//! and tests.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::problem::{Problem, Value};
use crate::school::FrameworkKey;

/// A stage of the graduated response, or an explicit interval off the register.
///
/// Statutory assessment (and the Welsh ALN decision) run beside the current stage and are
/// not stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Not on the SEN register: an explicit interval with no special provision.
    NoSen,
    EarlyYearsAction,
    EarlyYearsActionPlus,
    SchoolAction,
    SchoolActionPlus,
    Statement,
    SenSupport,
    EhcPlan,
    /// A school-maintained individual development plan (Wales, ALN).
    SchoolIdp,
    /// A local-authority-maintained individual development plan (Wales, ALN).
    LaIdp,
}

impl Stage {
    pub const ALL: [Stage; 10] = [
        Stage::NoSen,
        Stage::EarlyYearsAction,
        Stage::EarlyYearsActionPlus,
        Stage::SchoolAction,
        Stage::SchoolActionPlus,
        Stage::Statement,
        Stage::SenSupport,
        Stage::EhcPlan,
        Stage::SchoolIdp,
        Stage::LaIdp,
    ];

    /// The stable snake_case id, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::NoSen => "no_sen",
            Stage::EarlyYearsAction => "early_years_action",
            Stage::EarlyYearsActionPlus => "early_years_action_plus",
            Stage::SchoolAction => "school_action",
            Stage::SchoolActionPlus => "school_action_plus",
            Stage::Statement => "statement",
            Stage::SenSupport => "sen_support",
            Stage::EhcPlan => "ehc_plan",
            Stage::SchoolIdp => "school_idp",
            Stage::LaIdp => "la_idp",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<Stage> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::NoSen => "No SEN",
            Stage::EarlyYearsAction => "Early Years Action",
            Stage::EarlyYearsActionPlus => "Early Years Action Plus",
            Stage::SchoolAction => "School Action",
            Stage::SchoolActionPlus => "School Action Plus",
            Stage::Statement => "Statement of SEN",
            Stage::SenSupport => "SEN support",
            Stage::EhcPlan => "EHC plan",
            Stage::SchoolIdp => "School-maintained IDP",
            Stage::LaIdp => "Local-authority-maintained IDP",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A statutory process run beside the current stage: a request for statutory assessment
/// or, in Wales, the decision whether a learner has additional learning needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessKind {
    StatutoryAssessment,
    /// Wales only (ALN Code 2021).
    AlnDecision,
}

impl ProcessKind {
    pub const ALL: [ProcessKind; 2] = [ProcessKind::StatutoryAssessment, ProcessKind::AlnDecision];

    /// The stable snake_case id, as stored and in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProcessKind::StatutoryAssessment => "statutory_assessment",
            ProcessKind::AlnDecision => "aln_decision",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<ProcessKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The kind of setting a stage is used in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Early education: pre-school, nursery, and Reception before compulsory school age.
    EarlyYears,
    /// Primary and secondary school.
    SchoolAge,
}

impl Setting {
    pub const ALL: [Setting; 2] = [Setting::EarlyYears, Setting::SchoolAge];

    pub fn as_str(self) -> &'static str {
        match self {
            Setting::EarlyYears => "early_years",
            Setting::SchoolAge => "school_age",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<Setting> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Setting::EarlyYears => "Early years",
            Setting::SchoolAge => "School age",
        }
    }
}

/// The kind of plan a stage uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    Iep,
    Statement,
    SenSupportPlan,
    EhcPlan,
    Idp,
}

/// How often a school's own policy expects a review, before the hard limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewCadence {
    /// Once a term.
    Termly,
}

/// A plan type and its review rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlanType {
    pub kind: PlanKind,
    pub name: &'static str,
    /// The hard limit: the plan must be reviewed within this many calendar months.
    pub review_within_months: u8,
    /// A school-policy default that is shorter than the hard limit. Missing it is a
    /// warning, never a hard rule.
    pub policy_default: Option<ReviewCadence>,
}

impl PlanType {
    /// The latest date the hard limit allows for the next review of a plan last reviewed
    /// (or started) on `from`: the same day `review_within_months` calendar months later,
    /// or the month's last day when that day does not exist. `None` past [`Date::MAX`].
    pub fn review_due(&self, from: Date) -> Option<Date> {
        add_months(from, self.review_within_months)
    }
}

fn add_months(d: Date, months: u8) -> Option<Date> {
    let index = i32::from(u8::from(d.month())) - 1 + i32::from(months);
    let year = d.year() + index.div_euclid(12);
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    (1..=d.day())
        .rev()
        .find_map(|day| Date::from_calendar_date(year, month, day).ok())
}

/// Individual education plan: Code 2001 and the Wales Code (EYA, EYA+, SA, SA+).
pub static IEP: PlanType = PlanType {
    kind: PlanKind::Iep,
    name: "Individual education plan (IEP)",
    review_within_months: 6,
    policy_default: None,
};

pub static STATEMENT: PlanType = PlanType {
    kind: PlanKind::Statement,
    name: "Statement of special educational needs",
    review_within_months: 12,
    policy_default: None,
};

/// SEN support (England 2014): no IEP is required, but the provision is recorded. Reviews
/// are due within 6 months; schools usually review termly (a warning only).
pub static SEN_SUPPORT_PLAN: PlanType = PlanType {
    kind: PlanKind::SenSupportPlan,
    name: "SEN support plan",
    review_within_months: 6,
    policy_default: Some(ReviewCadence::Termly),
};

pub static EHC_PLAN: PlanType = PlanType {
    kind: PlanKind::EhcPlan,
    name: "Education, health and care plan",
    review_within_months: 12,
    policy_default: None,
};

pub static IDP: PlanType = PlanType {
    kind: PlanKind::Idp,
    name: "Individual development plan (IDP)",
    review_within_months: 12,
    policy_default: None,
};

/// One trigger for placing a pupil at a stage, paraphrased from the Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Trigger {
    /// Stable snake_case id, unique within its stage.
    pub id: &'static str,
    pub text: &'static str,
}

/// What kind of move a [`Move`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// From no SEN onto the register.
    On,
    /// Up the ladder.
    Up,
    /// Down the ladder, staying on the register.
    Down,
    /// Off the register, to no SEN.
    Off,
    /// An early-years stage becomes the matching school-age stage.
    ToSchoolAge,
}

/// An allowed move from a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Move {
    pub to: Stage,
    pub kind: MoveKind,
}

/// A stage of a framework, with its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageDef {
    pub stage: Stage,
    /// Rung on the ladder: 0 is no SEN.
    pub level: u8,
    pub settings: &'static [Setting],
    pub plan: Option<&'static PlanType>,
    pub moves: &'static [Move],
    pub triggers: &'static [Trigger],
}

impl StageDef {
    pub fn used_in(&self, setting: Setting) -> bool {
        self.settings.contains(&setting)
    }
}

/// Moves into a framework from a stage of another one: the 2014 transition in England,
/// the ALN roll-out in Wales, or a pupil arriving from across the border. Moving off the
/// register (to [`Stage::NoSen`]) is always allowed and need not be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conversion {
    pub from: Stage,
    pub to: &'static [Stage],
}

/// A statutory SEN framework as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Framework {
    pub key: FrameworkKey,
    pub name: &'static str,
    /// The title of the member of staff who co-ordinates provision.
    pub coordinator_title: &'static str,
    pub coordinator_note: Option<&'static str>,
    /// The stages, in ladder order within each setting.
    pub stages: &'static [StageDef],
    pub conversions: &'static [Conversion],
}

impl Framework {
    /// The definition of `stage` in this framework.
    pub fn stage(&self, stage: Stage) -> Option<&'static StageDef> {
        self.stages.iter().find(|d| d.stage == stage)
    }

    pub fn contains(&self, stage: Stage) -> bool {
        self.stage(stage).is_some()
    }

    /// The stages used in `setting`, in order.
    pub fn stages_for(&self, setting: Setting) -> Vec<Stage> {
        self.stages
            .iter()
            .filter(|d| d.used_in(setting))
            .map(|d| d.stage)
            .collect()
    }

    /// The triggers for `stage`; empty for stages without any (or not in the framework).
    pub fn triggers(&self, stage: Stage) -> &'static [Trigger] {
        self.stage(stage).map_or(&[], |d| d.triggers)
    }

    /// The plan `stage` uses; `None` for no SEN (or a stage not in the framework).
    pub fn plan(&self, stage: Stage) -> Option<&'static PlanType> {
        self.stage(stage).and_then(|d| d.plan)
    }

    /// The stages a pupil may move to from `from`, ignoring settings. From no recorded
    /// stage (`None`) any stage of the framework may be recorded: a first entry, which
    /// may be a pupil arriving with a plan.
    pub fn allowed_from(&self, from: Option<Stage>) -> Vec<Stage> {
        match from {
            None => self.stages.iter().map(|d| d.stage).collect(),
            Some(from) => match self.stage(from) {
                Some(def) => def.moves.iter().map(|m| m.to).collect(),
                None => {
                    let mut to = vec![Stage::NoSen];
                    for c in self.conversions.iter().filter(|c| c.from == from) {
                        for s in c.to {
                            if !to.contains(s) {
                                to.push(*s);
                            }
                        }
                    }
                    to.retain(|s| self.contains(*s));
                    to
                }
            },
        }
    }
}

/// The framework with this key.
pub fn framework(key: FrameworkKey) -> &'static Framework {
    match key {
        FrameworkKey::England2001 => &ENGLAND_2001,
        FrameworkKey::Wales2002 => &WALES_2002,
        FrameworkKey::England2014 => &ENGLAND_2014,
        FrameworkKey::WalesAln2021 => &WALES_ALN_2021,
    }
}

/// Every framework, in [`FrameworkKey::ALL`] order.
pub fn frameworks() -> [&'static Framework; 4] {
    FrameworkKey::ALL.map(framework)
}

/// Where a move is being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MoveContext {
    /// The pupil is in an early-years setting (nursery, pre-school).
    pub early_years_setting: bool,
    /// The pupil is below compulsory school age on the date of the move.
    pub below_compulsory_school_age: bool,
}

impl MoveContext {
    /// Whether stages of `setting` may be used here. Early-years stages serve early-years
    /// settings and children below compulsory school age (Reception); school-age stages
    /// serve every setting except an early-years one.
    pub fn allows(&self, setting: Setting) -> bool {
        match setting {
            Setting::EarlyYears => self.early_years_setting || self.below_compulsory_school_age,
            Setting::SchoolAge => !self.early_years_setting,
        }
    }
}

/// Why a move between stages is refused. Each names its rule ([`MoveError::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("{stage} is not a stage of the {}", framework.label())]
    StageNotInFramework {
        stage: Stage,
        framework: FrameworkKey,
    },
    #[error("{stage} is only for early-years settings and children below compulsory school age")]
    EarlyYearsOnly { stage: Stage },
    #[error("{stage} is not used in early-years settings")]
    SchoolAgeOnly { stage: Stage },
    #[error(
        "A pupil cannot move from {from} to {to}: from {from} the allowed moves are to {}",
        stage_list(allowed)
    )]
    NotAllowed {
        from: Stage,
        to: Stage,
        allowed: Vec<Stage>,
    },
    #[error("The pupil is already at {stage}")]
    AlreadyOnStage { stage: Stage },
}

impl MoveError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            MoveError::StageNotInFramework { .. } => "stage_not_in_framework",
            MoveError::EarlyYearsOnly { .. } => "early_years_only",
            MoveError::SchoolAgeOnly { .. } => "school_age_only",
            MoveError::NotAllowed { .. } => "move_not_allowed",
            MoveError::AlreadyOnStage { .. } => "already_on_stage",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let p = |code| Problem::new(field, self.rule(), code);
        match self {
            MoveError::StageNotInFramework { stage, framework } => p("stage.not_in_framework")
                .with("stage", stage.label())
                .with("framework", framework.label()),
            MoveError::EarlyYearsOnly { stage } => {
                p("stage.early_years_only").with("stage", stage.label())
            }
            MoveError::SchoolAgeOnly { stage } => {
                p("stage.school_age_only").with("stage", stage.label())
            }
            MoveError::NotAllowed { from, to, allowed } => {
                let code = if allowed.is_empty() {
                    "stage.move_not_allowed_anywhere"
                } else {
                    "stage.move_not_allowed"
                };
                p(code)
                    .with("from", from.label())
                    .with("to", to.label())
                    .with(
                        "allowed",
                        Value::List(allowed.iter().map(|s| s.label().into()).collect()),
                    )
            }
            MoveError::AlreadyOnStage { stage } => {
                p("stage.already_on_stage").with("stage", stage.label())
            }
        }
    }
}

/// "A", "A or B", "A, B or C"; "no other stage" when empty.
fn stage_list(stages: &[Stage]) -> String {
    match stages {
        [] => "no other stage".to_owned(),
        [one] => one.label().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(|s| s.label()).collect();
            format!("{} or {}", init.join(", "), last.label())
        }
    }
}

/// Checks a move from `from` (the stage in force, `None` if nothing is recorded) to `to`
/// under `framework`, in `ctx`. Checks, in order: `to` belongs to the framework; it is not
/// the stage already in force; it is used in this setting; the framework allows the move.
pub fn check_move(
    framework: &Framework,
    from: Option<Stage>,
    to: Stage,
    ctx: &MoveContext,
) -> Result<(), MoveError> {
    let Some(def) = framework.stage(to) else {
        return Err(MoveError::StageNotInFramework {
            stage: to,
            framework: framework.key,
        });
    };
    if from == Some(to) {
        return Err(MoveError::AlreadyOnStage { stage: to });
    }
    if !def.settings.iter().any(|s| ctx.allows(*s)) {
        return Err(if def.used_in(Setting::EarlyYears) {
            MoveError::EarlyYearsOnly { stage: to }
        } else {
            MoveError::SchoolAgeOnly { stage: to }
        });
    }
    check_transition(framework, from, to)
}

/// The ladder part of [`check_move`]: `to` is in the framework and the move is listed.
/// Settings are not checked.
pub(crate) fn check_transition(
    framework: &Framework,
    from: Option<Stage>,
    to: Stage,
) -> Result<(), MoveError> {
    if !framework.contains(to) {
        return Err(MoveError::StageNotInFramework {
            stage: to,
            framework: framework.key,
        });
    }
    let Some(from) = from else {
        return Ok(());
    };
    if from == to {
        return Err(MoveError::AlreadyOnStage { stage: to });
    }
    let allowed = framework.allowed_from(Some(from));
    if allowed.contains(&to) {
        Ok(())
    } else {
        Err(MoveError::NotAllowed { from, to, allowed })
    }
}

// ---------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------

const EARLY_YEARS: &[Setting] = &[Setting::EarlyYears];
const SCHOOL_AGE: &[Setting] = &[Setting::SchoolAge];
const BOTH: &[Setting] = &[Setting::EarlyYears, Setting::SchoolAge];

const fn mv(to: Stage, kind: MoveKind) -> Move {
    Move { to, kind }
}

/// School Action triggers (REFERENCE.md §1.2), paraphrased.
pub const SCHOOL_ACTION_TRIGGERS: &[Trigger] = &[
    Trigger {
        id: "little_or_no_progress",
        text: "Makes little or no progress, even when teaching is targeted at an identified area of weakness",
    },
    Trigger {
        id: "literacy_or_mathematics",
        text: "Has difficulty developing literacy or mathematics skills, which leads to poor attainment in some areas",
    },
    Trigger {
        id: "emotional_or_behavioural",
        text: "Has persistent emotional or behavioural difficulties that the school's usual behaviour management does not improve",
    },
    Trigger {
        id: "sensory_or_physical",
        text: "Has sensory or physical problems and makes little or no progress even with specialist equipment",
    },
    Trigger {
        id: "communication_or_interaction",
        text: "Has communication or interaction difficulties and makes little or no progress even with a differentiated curriculum",
    },
];

/// School Action Plus triggers (REFERENCE.md §1.2), paraphrased: despite individualised
/// support under School Action, the pupil still meets one of these.
pub const SCHOOL_ACTION_PLUS_TRIGGERS: &[Trigger] = &[
    Trigger {
        id: "little_or_no_progress_over_time",
        text: "Still makes little or no progress in specific areas over a long period",
    },
    Trigger {
        id: "working_well_below_expected",
        text: "Still works at National Curriculum levels well below those expected for their age",
    },
    Trigger {
        id: "literacy_and_mathematics",
        text: "Still has difficulty developing literacy and mathematics skills",
    },
    Trigger {
        id: "emotional_or_behavioural_interference",
        text: "Has emotional or behavioural difficulties that substantially and regularly interfere with their own learning or the class's, despite an individualised behaviour programme",
    },
    Trigger {
        id: "sensory_or_physical_specialist",
        text: "Has sensory or physical needs and needs extra specialist equipment or regular specialist advice or visits",
    },
    Trigger {
        id: "communication_or_interaction_barriers",
        text: "Has ongoing communication or interaction difficulties that impede social relationships and create substantial barriers to learning",
    },
];

/// Early Years Action triggers (REFERENCE.md §1.2), paraphrased.
pub const EARLY_YEARS_ACTION_TRIGGERS: &[Trigger] = &[
    Trigger {
        id: "little_or_no_progress",
        text: "Makes little or no progress even when different teaching approaches have been tried",
    },
    Trigger {
        id: "working_below_expected",
        text: "Keeps working well below age-expected levels in certain areas",
    },
    Trigger {
        id: "emotional_or_behavioural",
        text: "Has emotional or behavioural difficulties that the setting's usual behaviour management does not help",
    },
    Trigger {
        id: "sensory_or_physical",
        text: "Has sensory or physical problems that do not improve even with specialist equipment",
    },
    Trigger {
        id: "communication_or_social",
        text: "Has communication or social difficulties and needs individual help in order to learn",
    },
];

/// Early Years Action Plus triggers: the School Action Plus list framed against the
/// early-years curriculum.
///
/// UNCONFIRMED: the exact Early Years Action Plus wording was not found; the sources
/// combine the School Action Plus and Early Years Action Plus lists (REFERENCE.md §1.2).
pub const EARLY_YEARS_ACTION_PLUS_TRIGGERS: &[Trigger] = &[
    Trigger {
        id: "little_or_no_progress_over_time",
        text: "Still makes little or no progress in specific areas over a long period",
    },
    Trigger {
        id: "working_well_below_expected",
        text: "Still works at early-years curriculum levels well below those expected for their age",
    },
    Trigger {
        id: "early_literacy_and_mathematics",
        text: "Still has difficulty developing early literacy and mathematics skills",
    },
    Trigger {
        id: "emotional_or_behavioural_interference",
        text: "Has emotional or behavioural difficulties that substantially and regularly interfere with their own learning or the group's, despite an individualised behaviour programme",
    },
    Trigger {
        id: "sensory_or_physical_specialist",
        text: "Has sensory or physical needs and needs extra specialist equipment or regular specialist advice or visits",
    },
    Trigger {
        id: "communication_or_interaction_barriers",
        text: "Has ongoing communication or interaction difficulties that impede social relationships and create substantial barriers to learning",
    },
];

/// Code 2001 (England) and the Wales Code 2002 share their stages (REFERENCE.md §1.1).
const CODE_2001_STAGES: &[StageDef] = &[
    StageDef {
        stage: Stage::NoSen,
        level: 0,
        settings: BOTH,
        plan: None,
        // Onto the register at any rung: complex needs may go straight to Action Plus, and
        // a pupil may arrive with a statement or be given one (issue 17, point 6).
        moves: &[
            mv(Stage::EarlyYearsAction, MoveKind::On),
            mv(Stage::SchoolAction, MoveKind::On),
            mv(Stage::EarlyYearsActionPlus, MoveKind::On),
            mv(Stage::SchoolActionPlus, MoveKind::On),
            mv(Stage::Statement, MoveKind::On),
        ],
        triggers: &[],
    },
    StageDef {
        stage: Stage::EarlyYearsAction,
        level: 1,
        settings: EARLY_YEARS,
        plan: Some(&IEP),
        moves: &[
            mv(Stage::EarlyYearsActionPlus, MoveKind::Up),
            mv(Stage::NoSen, MoveKind::Off),
            mv(Stage::SchoolAction, MoveKind::ToSchoolAge),
        ],
        triggers: EARLY_YEARS_ACTION_TRIGGERS,
    },
    StageDef {
        stage: Stage::EarlyYearsActionPlus,
        level: 2,
        settings: EARLY_YEARS,
        plan: Some(&IEP),
        moves: &[
            mv(Stage::Statement, MoveKind::Up),
            mv(Stage::EarlyYearsAction, MoveKind::Down),
            mv(Stage::NoSen, MoveKind::Off),
            mv(Stage::SchoolActionPlus, MoveKind::ToSchoolAge),
        ],
        triggers: EARLY_YEARS_ACTION_PLUS_TRIGGERS,
    },
    StageDef {
        stage: Stage::SchoolAction,
        level: 1,
        settings: SCHOOL_AGE,
        plan: Some(&IEP),
        moves: &[
            mv(Stage::SchoolActionPlus, MoveKind::Up),
            mv(Stage::NoSen, MoveKind::Off),
        ],
        triggers: SCHOOL_ACTION_TRIGGERS,
    },
    StageDef {
        stage: Stage::SchoolActionPlus,
        level: 2,
        settings: SCHOOL_AGE,
        plan: Some(&IEP),
        moves: &[
            mv(Stage::Statement, MoveKind::Up),
            mv(Stage::SchoolAction, MoveKind::Down),
            mv(Stage::NoSen, MoveKind::Off),
        ],
        triggers: SCHOOL_ACTION_PLUS_TRIGGERS,
    },
    StageDef {
        stage: Stage::Statement,
        level: 3,
        settings: BOTH,
        plan: Some(&STATEMENT),
        // A statement that ceases steps down to Action Plus (Early Years Action Plus in an
        // early-years setting), to Action when outside help is no longer needed, or off
        // the register.
        moves: &[
            mv(Stage::SchoolActionPlus, MoveKind::Down),
            mv(Stage::EarlyYearsActionPlus, MoveKind::Down),
            mv(Stage::SchoolAction, MoveKind::Down),
            mv(Stage::EarlyYearsAction, MoveKind::Down),
            mv(Stage::NoSen, MoveKind::Off),
        ],
        triggers: &[],
    },
];

/// A school still working under the 2001 Code takes pupils arriving from a school under
/// the 2014 Code or from Wales: an EHC plan is a statutory plan and becomes a statement;
/// SEN support and Welsh IDPs become the school-based stages (the school records the
/// support it gives; a Welsh IDP does not carry over as a statement, as in England 2014).
static ENGLAND_2001: Framework = Framework {
    key: FrameworkKey::England2001,
    name: "SEN Code of Practice 2001 (England)",
    coordinator_title: "SENCO",
    coordinator_note: None,
    stages: CODE_2001_STAGES,
    conversions: &[
        Conversion {
            from: Stage::SenSupport,
            to: SCHOOL_BASED,
        },
        Conversion {
            from: Stage::EhcPlan,
            to: &[Stage::Statement],
        },
        Conversion {
            from: Stage::SchoolIdp,
            to: SCHOOL_BASED,
        },
        Conversion {
            from: Stage::LaIdp,
            to: SCHOOL_BASED,
        },
    ],
};

/// The school-based stages of the 2001 Code and the Wales Code.
const SCHOOL_BASED: &[Stage] = &[
    Stage::EarlyYearsAction,
    Stage::EarlyYearsActionPlus,
    Stage::SchoolAction,
    Stage::SchoolActionPlus,
];

/// A pupil arriving in Wales from an English school under the 2014 Code: the school
/// records the support it gives. An EHC plan does not carry over as a statement.
static WALES_2002: Framework = Framework {
    key: FrameworkKey::Wales2002,
    name: "SEN Code of Practice for Wales 2002",
    coordinator_title: "SENCO",
    coordinator_note: Some("Welsh schools may title the role ALNCo"),
    stages: CODE_2001_STAGES,
    conversions: &[
        Conversion {
            from: Stage::SenSupport,
            to: &[
                Stage::EarlyYearsAction,
                Stage::EarlyYearsActionPlus,
                Stage::SchoolAction,
                Stage::SchoolActionPlus,
            ],
        },
        Conversion {
            from: Stage::EhcPlan,
            to: &[Stage::EarlyYearsActionPlus, Stage::SchoolActionPlus],
        },
    ],
};

static ENGLAND_2014: Framework = Framework {
    key: FrameworkKey::England2014,
    name: "SEND Code of Practice 2014 (England)",
    coordinator_title: "SENCO",
    coordinator_note: None,
    stages: &[
        StageDef {
            stage: Stage::NoSen,
            level: 0,
            settings: BOTH,
            plan: None,
            // An EHC plan may be made for a pupil not on SEN support (issue 17, point 6).
            moves: &[
                mv(Stage::SenSupport, MoveKind::On),
                mv(Stage::EhcPlan, MoveKind::On),
            ],
            triggers: &[],
        },
        StageDef {
            stage: Stage::SenSupport,
            level: 1,
            settings: BOTH,
            plan: Some(&SEN_SUPPORT_PLAN),
            moves: &[
                mv(Stage::EhcPlan, MoveKind::Up),
                mv(Stage::NoSen, MoveKind::Off),
            ],
            triggers: &[],
        },
        StageDef {
            stage: Stage::EhcPlan,
            level: 2,
            settings: BOTH,
            plan: Some(&EHC_PLAN),
            moves: &[
                mv(Stage::SenSupport, MoveKind::Down),
                mv(Stage::NoSen, MoveKind::Off),
            ],
            triggers: &[],
        },
    ],
    // SEN support replaced EYA/EYA+/SA/SA+; statements moved to EHC plans by transfer
    // review (or ceased). Welsh IDPs do not carry over: the pupil is at SEN support until
    // an English plan is made.
    conversions: &[
        Conversion {
            from: Stage::EarlyYearsAction,
            to: &[Stage::SenSupport],
        },
        Conversion {
            from: Stage::EarlyYearsActionPlus,
            to: &[Stage::SenSupport],
        },
        Conversion {
            from: Stage::SchoolAction,
            to: &[Stage::SenSupport],
        },
        Conversion {
            from: Stage::SchoolActionPlus,
            to: &[Stage::SenSupport],
        },
        Conversion {
            from: Stage::Statement,
            to: &[Stage::EhcPlan, Stage::SenSupport],
        },
        Conversion {
            from: Stage::SchoolIdp,
            to: &[Stage::SenSupport],
        },
        Conversion {
            from: Stage::LaIdp,
            to: &[Stage::SenSupport],
        },
    ],
};

static WALES_ALN_2021: Framework = Framework {
    key: FrameworkKey::WalesAln2021,
    name: "ALN Code for Wales 2021",
    coordinator_title: "ALNCo",
    coordinator_note: None,
    stages: &[
        StageDef {
            stage: Stage::NoSen,
            level: 0,
            settings: BOTH,
            plan: None,
            // The authority maintains an IDP from the start for some learners (looked-after
            // children, those in a special school it places them in; issue 17, point 6).
            moves: &[
                mv(Stage::SchoolIdp, MoveKind::On),
                mv(Stage::LaIdp, MoveKind::On),
            ],
            triggers: &[],
        },
        StageDef {
            stage: Stage::SchoolIdp,
            level: 1,
            settings: BOTH,
            plan: Some(&IDP),
            moves: &[
                mv(Stage::LaIdp, MoveKind::Up),
                mv(Stage::NoSen, MoveKind::Off),
            ],
            triggers: &[],
        },
        StageDef {
            stage: Stage::LaIdp,
            level: 2,
            settings: BOTH,
            plan: Some(&IDP),
            moves: &[
                mv(Stage::SchoolIdp, MoveKind::Down),
                mv(Stage::NoSen, MoveKind::Off),
            ],
            triggers: &[],
        },
    ],
    // The ALN roll-out moved SEN learners (EYA, EYA+, SA, SA+ and statements) to IDPs
    // (REFERENCE.md §4.5); pupils arriving from England are treated alike.
    conversions: &[
        Conversion {
            from: Stage::EarlyYearsAction,
            to: &[Stage::SchoolIdp, Stage::LaIdp],
        },
        Conversion {
            from: Stage::EarlyYearsActionPlus,
            to: &[Stage::SchoolIdp, Stage::LaIdp],
        },
        Conversion {
            from: Stage::SchoolAction,
            to: &[Stage::SchoolIdp, Stage::LaIdp],
        },
        Conversion {
            from: Stage::SchoolActionPlus,
            to: &[Stage::SchoolIdp, Stage::LaIdp],
        },
        Conversion {
            from: Stage::Statement,
            to: &[Stage::LaIdp, Stage::SchoolIdp],
        },
        Conversion {
            from: Stage::SenSupport,
            to: &[Stage::SchoolIdp, Stage::LaIdp],
        },
        Conversion {
            from: Stage::EhcPlan,
            to: &[Stage::SchoolIdp, Stage::LaIdp],
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_kinds_round_trip_as_their_stored_ids() {
        for k in ProcessKind::ALL {
            assert_eq!(ProcessKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<ProcessKind>(&json).unwrap(), k);
        }
        assert_eq!(ProcessKind::parse("statutory assessment"), None);
    }

    /// Every move within each framework, from REFERENCE.md (§1.1-§1.3 for the 2001 and
    /// 2002 Codes, §3.1-§3.2 for England 2014, §4.1-§4.2 for the ALN Code): the stages a
    /// pupil may move to from each stage. Anything not listed is refused (issue 17,
    /// point 6: a move is a row here and in the framework's data, and this test compares
    /// every pair of stages with the table).
    const MOVES: &[(FrameworkKey, Stage, &[Stage])] = {
        use Stage::*;
        const CODE_2001: [(Stage, &[Stage]); 6] = [
            // On at any rung: complex needs may go straight to Action Plus (the first seed),
            // and a pupil may arrive with, or be given, a statement.
            (
                NoSen,
                &[
                    EarlyYearsAction,
                    SchoolAction,
                    EarlyYearsActionPlus,
                    SchoolActionPlus,
                    Statement,
                ],
            ),
            (
                EarlyYearsAction,
                &[EarlyYearsActionPlus, NoSen, SchoolAction],
            ),
            (
                EarlyYearsActionPlus,
                &[Statement, EarlyYearsAction, NoSen, SchoolActionPlus],
            ),
            (SchoolAction, &[SchoolActionPlus, NoSen]),
            (SchoolActionPlus, &[Statement, SchoolAction, NoSen]),
            // A statement that ceases: to Action Plus or Action, or off the register.
            (
                Statement,
                &[
                    SchoolActionPlus,
                    EarlyYearsActionPlus,
                    SchoolAction,
                    EarlyYearsAction,
                    NoSen,
                ],
            ),
        ];
        &[
            (FrameworkKey::England2001, CODE_2001[0].0, CODE_2001[0].1),
            (FrameworkKey::England2001, CODE_2001[1].0, CODE_2001[1].1),
            (FrameworkKey::England2001, CODE_2001[2].0, CODE_2001[2].1),
            (FrameworkKey::England2001, CODE_2001[3].0, CODE_2001[3].1),
            (FrameworkKey::England2001, CODE_2001[4].0, CODE_2001[4].1),
            (FrameworkKey::England2001, CODE_2001[5].0, CODE_2001[5].1),
            (FrameworkKey::Wales2002, CODE_2001[0].0, CODE_2001[0].1),
            (FrameworkKey::Wales2002, CODE_2001[1].0, CODE_2001[1].1),
            (FrameworkKey::Wales2002, CODE_2001[2].0, CODE_2001[2].1),
            (FrameworkKey::Wales2002, CODE_2001[3].0, CODE_2001[3].1),
            (FrameworkKey::Wales2002, CODE_2001[4].0, CODE_2001[4].1),
            (FrameworkKey::Wales2002, CODE_2001[5].0, CODE_2001[5].1),
            // An EHC plan may be made for a pupil not on SEN support.
            (FrameworkKey::England2014, NoSen, &[SenSupport, EhcPlan]),
            (FrameworkKey::England2014, SenSupport, &[EhcPlan, NoSen]),
            (FrameworkKey::England2014, EhcPlan, &[SenSupport, NoSen]),
            // The authority maintains some learners' IDPs from the start (looked after).
            (FrameworkKey::WalesAln2021, NoSen, &[SchoolIdp, LaIdp]),
            (FrameworkKey::WalesAln2021, SchoolIdp, &[LaIdp, NoSen]),
            (FrameworkKey::WalesAln2021, LaIdp, &[SchoolIdp, NoSen]),
        ]
    };

    #[test]
    fn every_move_of_every_framework_is_as_the_table_says() {
        for key in FrameworkKey::ALL {
            let f = framework(key);
            for from in f.stages.iter().map(|d| d.stage) {
                let row = MOVES
                    .iter()
                    .find(|(k, s, _)| *k == key && *s == from)
                    .unwrap_or_else(|| panic!("{key:?}: no row for {from:?}"));
                for to in f.stages.iter().map(|d| d.stage) {
                    let listed = row.2.contains(&to);
                    let allowed = check_transition(f, Some(from), to).is_ok();
                    assert_eq!(allowed, listed, "{key:?}: {from:?} -> {to:?}");
                }
                // A first entry may be any stage (a pupil arriving with a plan).
                assert!(
                    check_transition(f, None, from).is_ok(),
                    "{key:?}: first {from:?}"
                );
            }
        }
    }
    use time::macros::date;

    const SCHOOL: MoveContext = MoveContext {
        early_years_setting: false,
        below_compulsory_school_age: false,
    };
    const NURSERY: MoveContext = MoveContext {
        early_years_setting: true,
        below_compulsory_school_age: true,
    };
    const RECEPTION: MoveContext = MoveContext {
        early_years_setting: false,
        below_compulsory_school_age: true,
    };

    fn fw(key: FrameworkKey) -> &'static Framework {
        framework(key)
    }

    #[test]
    fn stage_ids_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert!(!s.label().is_empty());
            assert_eq!(s.to_string(), s.label());
        }
        assert_eq!(Stage::parse("School Action"), None);
        assert_eq!(Stage::NoSen.as_str(), "no_sen");
        for s in Setting::ALL {
            assert_eq!(Setting::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert!(!s.label().is_empty());
        }
        assert_eq!(
            serde_json::to_string(&PlanKind::SenSupportPlan).unwrap(),
            "\"sen_support_plan\""
        );
        assert_eq!(
            serde_json::to_string(&MoveKind::ToSchoolAge).unwrap(),
            "\"to_school_age\""
        );
    }

    #[test]
    fn every_framework_is_consistent_data() {
        for (key, f) in FrameworkKey::ALL.into_iter().zip(frameworks()) {
            assert_eq!(f.key, key);
            assert_eq!(f.name, key.label());
            assert!(f.contains(Stage::NoSen), "{key:?} has no SEN");
            for (i, d) in f.stages.iter().enumerate() {
                // Stages are unique.
                assert!(f.stages[i + 1..].iter().all(|e| e.stage != d.stage));
                assert!(!d.settings.is_empty());
                assert_eq!(d.plan.is_none(), d.stage == Stage::NoSen);
                assert_eq!(d.level == 0, d.stage == Stage::NoSen);
                for m in d.moves {
                    let to = f.stage(m.to).unwrap();
                    assert_ne!(m.to, d.stage);
                    match m.kind {
                        MoveKind::On => assert!(d.level == 0 && to.level >= 1),
                        MoveKind::Up => assert!(to.level > d.level),
                        MoveKind::Down => assert!(to.level < d.level && to.level > 0),
                        MoveKind::Off => assert_eq!(m.to, Stage::NoSen),
                        MoveKind::ToSchoolAge => {
                            assert_eq!(to.level, d.level);
                            assert_eq!(d.settings, EARLY_YEARS);
                            assert_eq!(to.settings, SCHOOL_AGE);
                        }
                    }
                }
                // Every stage on the register can leave it.
                if d.level > 0 {
                    assert!(d.moves.iter().any(|m| m.kind == MoveKind::Off));
                }
                let ids: Vec<&str> = d.triggers.iter().map(|t| t.id).collect();
                for (j, id) in ids.iter().enumerate() {
                    assert!(!ids[j + 1..].contains(id));
                    assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
                }
            }
            for c in f.conversions {
                assert!(!f.contains(c.from), "{key:?} converts its own stage");
                assert!(c.to.iter().all(|s| f.contains(*s)));
            }
            for setting in Setting::ALL {
                assert!(f.stages_for(setting).contains(&Stage::NoSen));
            }
        }
    }

    #[test]
    fn england_2001_takes_pupils_arriving_under_other_frameworks() {
        let f = fw(FrameworkKey::England2001);
        // An EHC plan is a statutory plan: under the 2001 Code it is a statement.
        assert_eq!(
            f.allowed_from(Some(Stage::EhcPlan)),
            [Stage::NoSen, Stage::Statement]
        );
        assert_eq!(
            check_move(f, Some(Stage::EhcPlan), Stage::Statement, &SCHOOL),
            Ok(())
        );
        assert_eq!(
            check_move(f, Some(Stage::EhcPlan), Stage::SchoolAction, &SCHOOL)
                .unwrap_err()
                .rule(),
            "move_not_allowed"
        );
        // SEN support and Welsh IDPs become the school-based stages.
        for from in [Stage::SenSupport, Stage::SchoolIdp, Stage::LaIdp] {
            let to = f.allowed_from(Some(from));
            for s in [
                Stage::NoSen,
                Stage::EarlyYearsAction,
                Stage::EarlyYearsActionPlus,
                Stage::SchoolAction,
                Stage::SchoolActionPlus,
            ] {
                assert!(to.contains(&s), "{from:?} to {s:?}");
            }
            assert_eq!(
                check_move(f, Some(from), Stage::SchoolActionPlus, &SCHOOL),
                Ok(())
            );
        }
        // Every stage of another framework has somewhere to go besides no SEN.
        for other in frameworks() {
            for d in other.stages.iter().filter(|d| !f.contains(d.stage)) {
                assert!(f.allowed_from(Some(d.stage)).len() > 1, "{:?}", d.stage);
            }
        }
    }

    #[test]
    fn coordinator_titles() {
        assert_eq!(fw(FrameworkKey::England2001).coordinator_title, "SENCO");
        assert_eq!(fw(FrameworkKey::England2014).coordinator_title, "SENCO");
        let wales = fw(FrameworkKey::Wales2002);
        assert_eq!(wales.coordinator_title, "SENCO");
        assert!(wales.coordinator_note.unwrap().contains("ALNCo"));
        assert_eq!(fw(FrameworkKey::WalesAln2021).coordinator_title, "ALNCo");
    }

    #[test]
    fn stages_by_setting() {
        let f = fw(FrameworkKey::England2001);
        assert_eq!(
            f.stages_for(Setting::EarlyYears),
            [
                Stage::NoSen,
                Stage::EarlyYearsAction,
                Stage::EarlyYearsActionPlus,
                Stage::Statement
            ]
        );
        assert_eq!(
            f.stages_for(Setting::SchoolAge),
            [
                Stage::NoSen,
                Stage::SchoolAction,
                Stage::SchoolActionPlus,
                Stage::Statement
            ]
        );
        assert_eq!(
            fw(FrameworkKey::Wales2002).stages_for(Setting::SchoolAge),
            f.stages_for(Setting::SchoolAge)
        );
        for setting in Setting::ALL {
            assert_eq!(
                fw(FrameworkKey::England2014).stages_for(setting),
                [Stage::NoSen, Stage::SenSupport, Stage::EhcPlan]
            );
            assert_eq!(
                fw(FrameworkKey::WalesAln2021).stages_for(setting),
                [Stage::NoSen, Stage::SchoolIdp, Stage::LaIdp]
            );
        }
        assert!(f.contains(Stage::Statement));
        assert!(!f.contains(Stage::SenSupport));
        assert!(!fw(FrameworkKey::England2014).contains(Stage::Statement));
        assert!(!fw(FrameworkKey::WalesAln2021).contains(Stage::EhcPlan));
    }

    #[test]
    fn plans_and_review_limits() {
        let f = fw(FrameworkKey::England2001);
        for s in [
            Stage::EarlyYearsAction,
            Stage::EarlyYearsActionPlus,
            Stage::SchoolAction,
            Stage::SchoolActionPlus,
        ] {
            assert_eq!(f.plan(s), Some(&IEP));
            assert_eq!(fw(FrameworkKey::Wales2002).plan(s), Some(&IEP));
        }
        assert_eq!(IEP.review_within_months, 6);
        assert_eq!(f.plan(Stage::Statement).unwrap().kind, PlanKind::Statement);
        assert_eq!(STATEMENT.review_within_months, 12);
        assert_eq!(f.plan(Stage::NoSen), None);
        assert_eq!(f.plan(Stage::EhcPlan), None);

        let e = fw(FrameworkKey::England2014);
        let support = e.plan(Stage::SenSupport).unwrap();
        assert_eq!(support.name, "SEN support plan");
        assert_eq!(support.review_within_months, 6);
        assert_eq!(support.policy_default, Some(ReviewCadence::Termly));
        assert_eq!(e.plan(Stage::EhcPlan).unwrap().review_within_months, 12);
        assert_eq!(IEP.policy_default, None);

        let w = fw(FrameworkKey::WalesAln2021);
        for s in [Stage::SchoolIdp, Stage::LaIdp] {
            assert_eq!(w.plan(s).unwrap().kind, PlanKind::Idp);
            assert_eq!(w.plan(s).unwrap().review_within_months, 12);
        }
    }

    #[test]
    fn review_due_adds_calendar_months() {
        assert_eq!(
            IEP.review_due(date!(2010 - 03 - 15)),
            Some(date!(2010 - 09 - 15))
        );
        assert_eq!(
            IEP.review_due(date!(2010 - 08 - 31)),
            Some(date!(2011 - 02 - 28))
        );
        assert_eq!(
            IEP.review_due(date!(2011 - 08 - 31)),
            Some(date!(2012 - 02 - 29))
        );
        assert_eq!(
            IEP.review_due(date!(2010 - 12 - 31)),
            Some(date!(2011 - 06 - 30))
        );
        assert_eq!(
            EHC_PLAN.review_due(date!(2016 - 02 - 29)),
            Some(date!(2017 - 02 - 28))
        );
        assert_eq!(
            IDP.review_due(date!(2022 - 01 - 10)),
            Some(date!(2023 - 01 - 10))
        );
        assert_eq!(IEP.review_due(Date::MAX), None);
    }

    #[test]
    fn triggers_per_stage() {
        for key in [FrameworkKey::England2001, FrameworkKey::Wales2002] {
            let f = fw(key);
            assert_eq!(f.triggers(Stage::SchoolAction).len(), 5);
            assert_eq!(f.triggers(Stage::SchoolActionPlus).len(), 6);
            assert_eq!(f.triggers(Stage::EarlyYearsAction).len(), 5);
            assert_eq!(f.triggers(Stage::EarlyYearsActionPlus).len(), 6);
            assert!(f.triggers(Stage::Statement).is_empty());
            assert!(f.triggers(Stage::NoSen).is_empty());
        }
        assert!(
            fw(FrameworkKey::England2001)
                .triggers(Stage::SchoolActionPlus)
                .iter()
                .any(|t| t.text.contains("substantially and regularly"))
        );
        assert!(
            fw(FrameworkKey::England2014)
                .triggers(Stage::SchoolAction)
                .is_empty()
        );
        // EYA+ mirrors SA+ id for id.
        let ids = |s| {
            fw(FrameworkKey::England2001)
                .triggers(s)
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(Stage::EarlyYearsActionPlus).len(),
            ids(Stage::SchoolActionPlus).len()
        );
    }

    #[test]
    fn code_2001_moves() {
        for key in [FrameworkKey::England2001, FrameworkKey::Wales2002] {
            let f = fw(key);
            let ok = |from, to, ctx: &MoveContext| check_move(f, from, to, ctx);
            // On, up, down, off: school age.
            assert_eq!(ok(Some(Stage::NoSen), Stage::SchoolAction, &SCHOOL), Ok(()));
            assert_eq!(
                ok(Some(Stage::SchoolAction), Stage::SchoolActionPlus, &SCHOOL),
                Ok(())
            );
            assert_eq!(
                ok(Some(Stage::SchoolActionPlus), Stage::Statement, &SCHOOL),
                Ok(())
            );
            assert_eq!(
                ok(Some(Stage::Statement), Stage::SchoolActionPlus, &SCHOOL),
                Ok(())
            );
            assert_eq!(
                ok(Some(Stage::SchoolActionPlus), Stage::SchoolAction, &SCHOOL),
                Ok(())
            );
            for s in [
                Stage::SchoolAction,
                Stage::SchoolActionPlus,
                Stage::Statement,
            ] {
                assert_eq!(ok(Some(s), Stage::NoSen, &SCHOOL), Ok(()));
            }
            // Early years.
            assert_eq!(
                ok(Some(Stage::NoSen), Stage::EarlyYearsAction, &NURSERY),
                Ok(())
            );
            assert_eq!(
                ok(
                    Some(Stage::EarlyYearsAction),
                    Stage::EarlyYearsActionPlus,
                    &NURSERY
                ),
                Ok(())
            );
            assert_eq!(
                ok(
                    Some(Stage::EarlyYearsActionPlus),
                    Stage::Statement,
                    &NURSERY
                ),
                Ok(())
            );
            assert_eq!(
                ok(
                    Some(Stage::Statement),
                    Stage::EarlyYearsActionPlus,
                    &NURSERY
                ),
                Ok(())
            );
            assert_eq!(
                ok(
                    Some(Stage::EarlyYearsActionPlus),
                    Stage::EarlyYearsAction,
                    &NURSERY
                ),
                Ok(())
            );
            // Reaching school age.
            assert_eq!(
                ok(Some(Stage::EarlyYearsAction), Stage::SchoolAction, &SCHOOL),
                Ok(())
            );
            assert_eq!(
                ok(
                    Some(Stage::EarlyYearsActionPlus),
                    Stage::SchoolActionPlus,
                    &SCHOOL
                ),
                Ok(())
            );
            // Reception below school age may use either.
            assert_eq!(
                ok(Some(Stage::NoSen), Stage::EarlyYearsAction, &RECEPTION),
                Ok(())
            );
            assert_eq!(
                ok(Some(Stage::NoSen), Stage::SchoolAction, &RECEPTION),
                Ok(())
            );

            // Refusals, each naming its rule.
            let e = ok(Some(Stage::SchoolAction), Stage::Statement, &SCHOOL).unwrap_err();
            assert_eq!(e.rule(), "move_not_allowed");
            assert_eq!(
                e.to_string(),
                "A pupil cannot move from School Action to Statement of SEN: from School Action \
                 the allowed moves are to School Action Plus or No SEN"
            );
            // From an explicit "no SEN" entry: straight to Action Plus or a statement, and a
            // statement may step down to Action (issue 17, point 6).
            assert_eq!(ok(Some(Stage::NoSen), Stage::Statement, &SCHOOL), Ok(()));
            assert_eq!(
                ok(Some(Stage::NoSen), Stage::SchoolActionPlus, &SCHOOL),
                Ok(())
            );
            assert_eq!(
                ok(Some(Stage::Statement), Stage::SchoolAction, &SCHOOL),
                Ok(())
            );
            assert_eq!(
                ok(
                    Some(Stage::SchoolAction),
                    Stage::EarlyYearsAction,
                    &RECEPTION
                )
                .unwrap_err()
                .rule(),
                "move_not_allowed"
            );
            assert_eq!(
                ok(Some(Stage::NoSen), Stage::EarlyYearsAction, &SCHOOL),
                Err(MoveError::EarlyYearsOnly {
                    stage: Stage::EarlyYearsAction
                })
            );
            assert_eq!(
                ok(Some(Stage::EarlyYearsAction), Stage::SchoolAction, &NURSERY),
                Err(MoveError::SchoolAgeOnly {
                    stage: Stage::SchoolAction
                })
            );
            assert_eq!(
                ok(Some(Stage::SchoolAction), Stage::SchoolAction, &SCHOOL),
                Err(MoveError::AlreadyOnStage {
                    stage: Stage::SchoolAction
                })
            );
            assert_eq!(
                ok(Some(Stage::SchoolAction), Stage::SenSupport, &SCHOOL),
                Err(MoveError::StageNotInFramework {
                    stage: Stage::SenSupport,
                    framework: key
                })
            );
            // A first entry may be any stage usable in the setting.
            assert_eq!(ok(None, Stage::Statement, &SCHOOL), Ok(()));
            assert_eq!(ok(None, Stage::NoSen, &SCHOOL), Ok(()));
            assert_eq!(ok(None, Stage::SchoolActionPlus, &SCHOOL), Ok(()));
            assert_eq!(
                ok(None, Stage::EarlyYearsAction, &SCHOOL)
                    .unwrap_err()
                    .rule(),
                "early_years_only"
            );
        }
    }

    #[test]
    fn england_2014_moves() {
        let f = fw(FrameworkKey::England2014);
        for ctx in [SCHOOL, NURSERY, RECEPTION] {
            let ok = |from, to| check_move(f, from, to, &ctx);
            assert_eq!(ok(Some(Stage::NoSen), Stage::SenSupport), Ok(()));
            assert_eq!(ok(Some(Stage::SenSupport), Stage::EhcPlan), Ok(()));
            assert_eq!(ok(Some(Stage::EhcPlan), Stage::SenSupport), Ok(()));
            assert_eq!(ok(Some(Stage::EhcPlan), Stage::NoSen), Ok(()));
            assert_eq!(ok(Some(Stage::SenSupport), Stage::NoSen), Ok(()));
            // An EHC plan for a pupil not on SEN support (issue 17, point 6).
            assert_eq!(ok(Some(Stage::NoSen), Stage::EhcPlan), Ok(()));
            assert_eq!(
                ok(Some(Stage::SenSupport), Stage::SchoolAction)
                    .unwrap_err()
                    .rule(),
                "stage_not_in_framework"
            );
            // The 2014 transition.
            for s in [
                Stage::EarlyYearsAction,
                Stage::EarlyYearsActionPlus,
                Stage::SchoolAction,
                Stage::SchoolActionPlus,
            ] {
                assert_eq!(ok(Some(s), Stage::SenSupport), Ok(()));
                assert_eq!(ok(Some(s), Stage::NoSen), Ok(()));
                assert_eq!(
                    ok(Some(s), Stage::EhcPlan).unwrap_err().rule(),
                    "move_not_allowed"
                );
            }
            assert_eq!(ok(Some(Stage::Statement), Stage::EhcPlan), Ok(()));
            assert_eq!(ok(Some(Stage::Statement), Stage::SenSupport), Ok(()));
            assert_eq!(ok(Some(Stage::LaIdp), Stage::SenSupport), Ok(()));
            assert_eq!(
                ok(Some(Stage::LaIdp), Stage::EhcPlan).unwrap_err().rule(),
                "move_not_allowed"
            );
        }
        let e = check_move(f, Some(Stage::SchoolAction), Stage::EhcPlan, &SCHOOL).unwrap_err();
        assert_eq!(
            e.to_string(),
            "A pupil cannot move from School Action to EHC plan: from School Action the \
             allowed moves are to No SEN or SEN support"
        );
    }

    #[test]
    fn wales_aln_moves() {
        let f = fw(FrameworkKey::WalesAln2021);
        let ok = |from, to| check_move(f, from, to, &SCHOOL);
        assert_eq!(ok(Some(Stage::NoSen), Stage::SchoolIdp), Ok(()));
        assert_eq!(ok(Some(Stage::SchoolIdp), Stage::LaIdp), Ok(()));
        assert_eq!(ok(Some(Stage::LaIdp), Stage::SchoolIdp), Ok(()));
        assert_eq!(ok(Some(Stage::LaIdp), Stage::NoSen), Ok(()));
        assert_eq!(ok(Some(Stage::SchoolIdp), Stage::NoSen), Ok(()));
        // An authority-maintained IDP from the start (issue 17, point 6).
        assert_eq!(ok(Some(Stage::NoSen), Stage::LaIdp), Ok(()));
        assert_eq!(ok(None, Stage::LaIdp), Ok(()));
        assert_eq!(
            check_move(f, Some(Stage::NoSen), Stage::SchoolIdp, &NURSERY),
            Ok(())
        );
        // The ALN roll-out.
        for s in [
            Stage::EarlyYearsAction,
            Stage::EarlyYearsActionPlus,
            Stage::SchoolAction,
            Stage::SchoolActionPlus,
            Stage::Statement,
        ] {
            assert_eq!(ok(Some(s), Stage::SchoolIdp), Ok(()));
            assert_eq!(ok(Some(s), Stage::LaIdp), Ok(()));
            assert_eq!(ok(Some(s), Stage::NoSen), Ok(()));
        }
        assert_eq!(
            ok(Some(Stage::SchoolIdp), Stage::Statement),
            Err(MoveError::StageNotInFramework {
                stage: Stage::Statement,
                framework: FrameworkKey::WalesAln2021
            })
        );
    }

    #[test]
    fn wales_2002_arrivals_from_england_2014() {
        let f = fw(FrameworkKey::Wales2002);
        assert_eq!(
            check_move(f, Some(Stage::SenSupport), Stage::SchoolAction, &SCHOOL),
            Ok(())
        );
        assert_eq!(
            check_move(f, Some(Stage::EhcPlan), Stage::Statement, &SCHOOL)
                .unwrap_err()
                .rule(),
            "move_not_allowed"
        );
        assert_eq!(
            check_move(f, Some(Stage::EhcPlan), Stage::SchoolActionPlus, &SCHOOL),
            Ok(())
        );
        // From a foreign stage with no conversion listed, only leaving the register.
        assert_eq!(f.allowed_from(Some(Stage::SchoolIdp)), [Stage::NoSen]);
        // (England 2001 lists its conversions: see
        // `england_2001_takes_pupils_arriving_under_other_frameworks`.)
        assert_eq!(
            fw(FrameworkKey::England2001).allowed_from(Some(Stage::SenSupport)),
            [
                Stage::NoSen,
                Stage::EarlyYearsAction,
                Stage::EarlyYearsActionPlus,
                Stage::SchoolAction,
                Stage::SchoolActionPlus
            ]
        );
    }

    #[test]
    fn error_texts() {
        let cases = [
            (
                MoveError::StageNotInFramework {
                    stage: Stage::SenSupport,
                    framework: FrameworkKey::England2001,
                },
                "SEN support is not a stage of the SEN Code of Practice 2001 (England)",
                "stage_not_in_framework",
            ),
            (
                MoveError::EarlyYearsOnly {
                    stage: Stage::EarlyYearsAction,
                },
                "Early Years Action is only for early-years settings and children below \
                 compulsory school age",
                "early_years_only",
            ),
            (
                MoveError::SchoolAgeOnly {
                    stage: Stage::SchoolAction,
                },
                "School Action is not used in early-years settings",
                "school_age_only",
            ),
            (
                MoveError::AlreadyOnStage {
                    stage: Stage::EhcPlan,
                },
                "The pupil is already at EHC plan",
                "already_on_stage",
            ),
            (
                MoveError::NotAllowed {
                    from: Stage::NoSen,
                    to: Stage::EhcPlan,
                    allowed: vec![Stage::SenSupport],
                },
                "A pupil cannot move from No SEN to EHC plan: from No SEN the allowed moves \
                 are to SEN support",
                "move_not_allowed",
            ),
            (
                MoveError::NotAllowed {
                    from: Stage::NoSen,
                    to: Stage::EhcPlan,
                    allowed: vec![],
                },
                "A pupil cannot move from No SEN to EHC plan: from No SEN the allowed moves \
                 are to no other stage",
                "move_not_allowed",
            ),
        ];
        for (e, text, rule) in cases {
            assert_eq!(e.to_string(), text);
            assert_eq!(e.rule(), rule);
            assert!(!text.ends_with('.'));
        }
        assert_eq!(
            stage_list(&[Stage::SchoolAction, Stage::SchoolActionPlus, Stage::NoSen]),
            "School Action, School Action Plus or No SEN"
        );
    }

    #[test]
    fn framework_serialises() {
        let json = serde_json::to_value(fw(FrameworkKey::WalesAln2021)).unwrap();
        assert_eq!(json["key"], "wales_aln_2021");
        assert_eq!(json["coordinator_title"], "ALNCo");
        assert_eq!(json["stages"][1]["stage"], "school_idp");
        assert_eq!(json["stages"][1]["plan"]["kind"], "idp");
    }
}
