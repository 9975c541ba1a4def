//! National codes by date: SEN provision codes for the England school census and PLASC
//! Wales, SEN need (type) codes, and legacy codes on import (REFERENCE.md §4.7, §6.1–6.3).
//!
//! One dated table maps (framework, stage) to a provision code. Every cut-over date that
//! REFERENCE.md marks UNCONFIRMED, and every Welsh code that could not be confirmed, is a
//! field of [`CodeSettings`], so an operator can change it without a release.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

use crate::framework::Stage;
use crate::problem::Problem;
use crate::school::{Country, FrameworkKey};

/// A code an operator may configure, flagged while it is not confirmed from an official
/// source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfiguredCode {
    pub code: String,
    /// The default has not been confirmed against an official code list.
    pub unconfirmed: bool,
}

impl ConfiguredCode {
    fn unconfirmed(code: &str) -> ConfiguredCode {
        ConfiguredCode {
            code: code.to_owned(),
            unconfirmed: true,
        }
    }
}

/// Cut-over dates and configurable codes. `Default` gives the values in REFERENCE.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSettings {
    /// England: last day A (School Action, Early Years Action) and P (Action Plus) are
    /// valid. UNCONFIRMED cut-off; default 31 August 2015 (valid up to 2014/15).
    pub england_action_codes_until: Date,
    /// England: first day of K (SEN support). Default 1 September 2014.
    pub england_k_from: Date,
    /// England: first day of E (EHC plan). Default 1 September 2014.
    pub england_e_from: Date,
    /// England: last day of S (statement). Default 31 March 2018.
    pub england_s_until: Date,
    /// England: first day the census collects need types (at Action Plus and with a
    /// statement; from SEN support, for every SEN pupil). Default 1 January 2004, the
    /// January 2004 census (REFERENCE.md §0, §6.2).
    pub england_need_types_from: Date,
    /// Last day of the BESD need code. Default 31 August 2014.
    pub besd_until: Date,
    /// First day of the SEMH need code. Default 1 September 2014.
    pub semh_from: Date,
    /// First day of the NSA need code (only with provision K). Default 1 September 2014.
    pub nsa_from: Date,
    /// Wales: last day of the legacy provision codes A, P and S under the Wales Code 2002
    /// (N, no special provision, does not lapse). Default 31 August 2025, the end of the ALN implementation period; operators
    /// may extend it for learners still moving.
    pub wales_legacy_until: Date,
    /// Wales: first day of the IDP provision categories. Default 1 September 2021.
    pub wales_idp_from: Date,
    /// Wales: provision code for a school-maintained IDP. UNCONFIRMED; default "SIDP".
    pub wales_school_idp: ConfiguredCode,
    /// Wales: provision code for a local-authority-maintained IDP. UNCONFIRMED; default
    /// "LIDP".
    pub wales_la_idp: ConfiguredCode,
    /// Wales: short codes of the need categories. UNCONFIRMED; a category missing here
    /// uses its built-in default.
    pub wales_need_codes: Vec<(WalesNeed, ConfiguredCode)>,
    /// Codes of the other country in a transfer file: the pairs REFERENCE.md gives no
    /// source for ([`crate::cross_border`]).
    pub cross_border: crate::cross_border::CrossBorderSettings,
}

impl Default for CodeSettings {
    fn default() -> Self {
        CodeSettings {
            england_action_codes_until: date!(2015 - 08 - 31),
            england_k_from: date!(2014 - 09 - 01),
            england_e_from: date!(2014 - 09 - 01),
            england_s_until: date!(2018 - 03 - 31),
            england_need_types_from: date!(2004 - 01 - 01),
            besd_until: date!(2014 - 08 - 31),
            semh_from: date!(2014 - 09 - 01),
            nsa_from: date!(2014 - 09 - 01),
            wales_legacy_until: date!(2025 - 08 - 31),
            wales_idp_from: date!(2021 - 09 - 01),
            wales_school_idp: ConfiguredCode::unconfirmed("SIDP"),
            wales_la_idp: ConfiguredCode::unconfirmed("LIDP"),
            wales_need_codes: WALES_NEEDS
                .iter()
                .map(|n| (n.need, ConfiguredCode::unconfirmed(n.default_code)))
                .collect(),
            cross_border: crate::cross_border::CrossBorderSettings::default(),
        }
    }
}

/// A date as "1 September 2016".
pub(crate) struct LongDate(pub(crate) Date);

impl fmt::Display for LongDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.0.day(), self.0.month(), self.0.year())
    }
}

/// Why a code cannot be used. Each names its rule ([`CodeError::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("Code {code} is not valid on {}: it is used from {}", LongDate(*on), LongDate(*from))]
    NotYetValid { code: String, on: Date, from: Date },
    #[error(
        "Code {code} is not valid on {}: it was used until {}",
        LongDate(*on),
        LongDate(*until)
    )]
    NoLongerValid { code: String, on: Date, until: Date },
    #[error(
        "Code {code} is not valid on {}: it was used until {}, and an operator may extend that date in the code settings",
        LongDate(*on),
        LongDate(*until)
    )]
    NoLongerValidExtendable { code: String, on: Date, until: Date },
    #[error("There is no census code for {stage} under the {}", framework.label())]
    NoCode {
        stage: Stage,
        framework: FrameworkKey,
    },
    #[error("Records under the {} are not reported in {}", framework.label(), country.label())]
    WrongCountry {
        framework: FrameworkKey,
        country: Country,
    },
    #[error("Enter a need code")]
    EmptyNeed,
    #[error("{code} is not a recognised need code")]
    UnknownNeed { code: String },
    #[error("Code NSA is only used with provision code K")]
    NsaNeedsK { provision: Option<String> },
    #[error(
        "SENprovision {code:?} is not a provision code Senco knows (N, K or E; legacy A, P or S)"
    )]
    UnknownProvision { code: String },
}

impl CodeError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            CodeError::NotYetValid { .. } => "code_not_yet_valid",
            CodeError::NoLongerValid { .. } => "code_no_longer_valid",
            CodeError::NoLongerValidExtendable { .. } => "code_no_longer_valid",
            CodeError::NoCode { .. } => "no_code",
            CodeError::WrongCountry { .. } => "wrong_country",
            CodeError::EmptyNeed => "missing",
            CodeError::UnknownNeed { .. } => "unknown_need",
            CodeError::NsaNeedsK { .. } => "nsa_needs_k",
            CodeError::UnknownProvision { .. } => "unknown_provision",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let p = |code| Problem::new(field, self.rule(), code);
        match self {
            CodeError::NotYetValid { code, on, from } => p("census_code.not_yet_valid")
                .with("code", code.as_str())
                .with("on", *on)
                .with("from", *from),
            CodeError::NoLongerValid { code, on, until } => p("census_code.no_longer_valid")
                .with("code", code.as_str())
                .with("on", *on)
                .with("until", *until),
            CodeError::NoLongerValidExtendable { code, on, until } => {
                p("census_code.no_longer_valid_extendable")
                    .with("code", code.as_str())
                    .with("on", *on)
                    .with("until", *until)
            }
            CodeError::NoCode { stage, framework } => p("census_code.no_code")
                .with("stage", stage.label())
                .with("framework", framework.label()),
            CodeError::WrongCountry { framework, country } => p("census_code.wrong_country")
                .with("framework", framework.label())
                .with("country", country.label()),
            CodeError::EmptyNeed => p("census_code.need_missing"),
            CodeError::UnknownNeed { code } => {
                p("census_code.unknown_need").with("code", code.as_str())
            }
            CodeError::NsaNeedsK { .. } => p("census_code.nsa_needs_k"),
            CodeError::UnknownProvision { code } => {
                p("census_code.unknown_provision").with("code", format!("{code:?}"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Provision codes
// ---------------------------------------------------------------------------------------

/// A provision code to report, with a note for the user where the mapping needs one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionCode {
    pub code: String,
    pub note: Option<String>,
    /// The code is a configured default not yet confirmed (Welsh IDP categories).
    pub unconfirmed: bool,
}

type DateField = fn(&CodeSettings) -> Date;

enum RowCode {
    Fixed(&'static str),
    Configured(fn(&CodeSettings) -> &ConfiguredCode),
}

/// What happens on a date after a row's last day.
enum AfterEnd {
    Refuse,
    /// Refused, but the date is an operator setting that may be extended.
    Extendable,
    /// Reported under another code from `from`, with a note.
    ReportAs {
        code: &'static str,
        from: DateField,
        note: &'static str,
    },
}

struct ProvisionRow {
    framework: FrameworkKey,
    stages: &'static [Stage],
    code: RowCode,
    from: Option<DateField>,
    until: Option<DateField>,
    after_end: AfterEnd,
}

const fn always(
    framework: FrameworkKey,
    stages: &'static [Stage],
    code: &'static str,
) -> ProvisionRow {
    ProvisionRow {
        framework,
        stages,
        code: RowCode::Fixed(code),
        from: None,
        until: None,
        after_end: AfterEnd::Refuse,
    }
}

const ACTION_TO_K_NOTE: &str = "School Action and School Action Plus are reported as K (SEN support) after A and P ended: record the pupil's move to SEN support";

const STATEMENT_TO_E_NOTE: &str = "A statement is reported as E (EHC plan) after S ended: record the pupil's transfer to an EHC plan";

/// The dated provision table (REFERENCE.md §6.1, §4.7).
static PROVISION_TABLE: [ProvisionRow; 14] = [
    // England, Code 2001.
    always(FrameworkKey::England2001, &[Stage::NoSen], "N"),
    ProvisionRow {
        framework: FrameworkKey::England2001,
        stages: &[Stage::EarlyYearsAction, Stage::SchoolAction],
        code: RowCode::Fixed("A"),
        from: None,
        until: Some(|s| s.england_action_codes_until),
        after_end: AfterEnd::ReportAs {
            code: "K",
            from: |s| s.england_k_from,
            note: ACTION_TO_K_NOTE,
        },
    },
    ProvisionRow {
        framework: FrameworkKey::England2001,
        stages: &[Stage::EarlyYearsActionPlus, Stage::SchoolActionPlus],
        code: RowCode::Fixed("P"),
        from: None,
        until: Some(|s| s.england_action_codes_until),
        after_end: AfterEnd::ReportAs {
            code: "K",
            from: |s| s.england_k_from,
            note: ACTION_TO_K_NOTE,
        },
    },
    // A school working under the 2001 Code may still record a statement: after S ended
    // it is reported as E, as School Action is reported as K.
    ProvisionRow {
        framework: FrameworkKey::England2001,
        stages: &[Stage::Statement],
        code: RowCode::Fixed("S"),
        from: None,
        until: Some(|s| s.england_s_until),
        after_end: AfterEnd::ReportAs {
            code: "E",
            from: |s| s.england_e_from,
            note: STATEMENT_TO_E_NOTE,
        },
    },
    // England, 2014.
    always(FrameworkKey::England2014, &[Stage::NoSen], "N"),
    ProvisionRow {
        framework: FrameworkKey::England2014,
        stages: &[Stage::SenSupport],
        code: RowCode::Fixed("K"),
        from: Some(|s| s.england_k_from),
        until: None,
        after_end: AfterEnd::Refuse,
    },
    ProvisionRow {
        framework: FrameworkKey::England2014,
        stages: &[Stage::EhcPlan],
        code: RowCode::Fixed("E"),
        from: Some(|s| s.england_e_from),
        until: None,
        after_end: AfterEnd::Refuse,
    },
    // Wales, Code 2002: legacy PLASC letters. N (no special provision) is not a legacy
    // stage and does not lapse with A, P and S: a learner taken off the register under the
    // Wales Code is still N after the cut-over.
    always(FrameworkKey::Wales2002, &[Stage::NoSen], "N"),
    ProvisionRow {
        framework: FrameworkKey::Wales2002,
        stages: &[Stage::EarlyYearsAction, Stage::SchoolAction],
        code: RowCode::Fixed("A"),
        from: None,
        until: Some(|s| s.wales_legacy_until),
        after_end: AfterEnd::Extendable,
    },
    ProvisionRow {
        framework: FrameworkKey::Wales2002,
        stages: &[Stage::EarlyYearsActionPlus, Stage::SchoolActionPlus],
        code: RowCode::Fixed("P"),
        from: None,
        until: Some(|s| s.wales_legacy_until),
        after_end: AfterEnd::Extendable,
    },
    ProvisionRow {
        framework: FrameworkKey::Wales2002,
        stages: &[Stage::Statement],
        code: RowCode::Fixed("S"),
        from: None,
        until: Some(|s| s.wales_legacy_until),
        after_end: AfterEnd::Extendable,
    },
    // Wales, ALN 2021. "N" for no ALN is assumed to carry on.
    ProvisionRow {
        framework: FrameworkKey::WalesAln2021,
        stages: &[Stage::NoSen],
        code: RowCode::Fixed("N"),
        from: None,
        until: None,
        after_end: AfterEnd::Refuse,
    },
    ProvisionRow {
        framework: FrameworkKey::WalesAln2021,
        stages: &[Stage::SchoolIdp],
        code: RowCode::Configured(|s| &s.wales_school_idp),
        from: Some(|s| s.wales_idp_from),
        until: None,
        after_end: AfterEnd::Refuse,
    },
    ProvisionRow {
        framework: FrameworkKey::WalesAln2021,
        stages: &[Stage::LaIdp],
        code: RowCode::Configured(|s| &s.wales_la_idp),
        from: Some(|s| s.wales_idp_from),
        until: None,
        after_end: AfterEnd::Refuse,
    },
];

/// The national provision code for `stage` under `framework` on `on`, for a return in
/// `country`.
///
/// England: N; A for Early Years Action and School Action and P for the Action Plus
/// stages while they are valid, then K with a note; S while valid, then E with a note; K
/// and E from their first day. Wales: N always; A, P and S until the legacy end date
/// (which an operator may extend); the configured IDP codes from the start of ALN.
pub fn provision_code(
    country: Country,
    framework: FrameworkKey,
    stage: Stage,
    on: Date,
    s: &CodeSettings,
) -> Result<ProvisionCode, CodeError> {
    if framework.country() != country {
        return Err(CodeError::WrongCountry { framework, country });
    }
    let row = PROVISION_TABLE
        .iter()
        .find(|r| r.framework == framework && r.stages.contains(&stage))
        .ok_or(CodeError::NoCode { stage, framework })?;
    let (code, unconfirmed) = match &row.code {
        RowCode::Fixed(c) => ((*c).to_owned(), false),
        RowCode::Configured(get) => {
            let c = get(s);
            (c.code.clone(), c.unconfirmed)
        }
    };
    if let Some(from) = row.from.map(|f| f(s))
        && on < from
    {
        return Err(CodeError::NotYetValid { code, on, from });
    }
    if let Some(until) = row.until.map(|f| f(s))
        && on > until
    {
        return match row.after_end {
            AfterEnd::Refuse => Err(CodeError::NoLongerValid { code, on, until }),
            AfterEnd::Extendable => Err(CodeError::NoLongerValidExtendable { code, on, until }),
            AfterEnd::ReportAs {
                code: instead,
                from,
                note,
            } => {
                let from = from(s);
                if on < from {
                    Err(CodeError::NotYetValid {
                        code: instead.to_owned(),
                        on,
                        from,
                    })
                } else {
                    Ok(ProvisionCode {
                        code: instead.to_owned(),
                        note: Some(format!(
                            "{note} (code {code} was used until {})",
                            LongDate(until)
                        )),
                        unconfirmed: false,
                    })
                }
            }
        };
    }
    Ok(ProvisionCode {
        code,
        note: None,
        unconfirmed,
    })
}

/// A provision code found in imported data, with the stage it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyProvision {
    /// N: no special provision.
    NoSen,
    /// A: School Action or Early Years Action.
    Action,
    /// P: School Action Plus or Early Years Action Plus.
    ActionPlus,
    /// S: statement.
    Statement,
    /// K: SEN support.
    SenSupport,
    /// E: EHC plan.
    EhcPlan,
}

impl LegacyProvision {
    /// The canonical code.
    pub fn code(self) -> &'static str {
        match self {
            LegacyProvision::NoSen => "N",
            LegacyProvision::Action => "A",
            LegacyProvision::ActionPlus => "P",
            LegacyProvision::Statement => "S",
            LegacyProvision::SenSupport => "K",
            LegacyProvision::EhcPlan => "E",
        }
    }

    /// The stage, given whether the pupil was in early years: A and P stand for both the
    /// early-years and the school-age stage.
    pub fn stage(self, early_years: bool) -> Stage {
        match (self, early_years) {
            (LegacyProvision::NoSen, _) => Stage::NoSen,
            (LegacyProvision::Action, true) => Stage::EarlyYearsAction,
            (LegacyProvision::Action, false) => Stage::SchoolAction,
            (LegacyProvision::ActionPlus, true) => Stage::EarlyYearsActionPlus,
            (LegacyProvision::ActionPlus, false) => Stage::SchoolActionPlus,
            (LegacyProvision::Statement, _) => Stage::Statement,
            (LegacyProvision::SenSupport, _) => Stage::SenSupport,
            (LegacyProvision::EhcPlan, _) => Stage::EhcPlan,
        }
    }
}

const LEGACY_CODES: [(&str, LegacyProvision, bool); 7] = [
    ("N", LegacyProvision::NoSen, false),
    ("A", LegacyProvision::Action, false),
    ("P", LegacyProvision::ActionPlus, false),
    ("S", LegacyProvision::Statement, false),
    ("K", LegacyProvision::SenSupport, false),
    ("E", LegacyProvision::EhcPlan, false),
    // "School Action Plus and Statutory Assessment" (SAIL, ClaSS); not confirmed as an
    // official code. Imported as P and flagged for review.
    ("Q", LegacyProvision::ActionPlus, true),
];

/// Maps a provision code from imported data (trimmed, any case). The flag is set when the
/// import is approximate and should be reviewed: Q is imported as P.
pub fn import_legacy_provision(code: &str) -> Option<(LegacyProvision, bool)> {
    let code = code.trim();
    LEGACY_CODES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
        .map(|&(_, p, flagged)| (p, flagged))
}

// ---------------------------------------------------------------------------------------
// Provision codes in transfer files (CTF)
// ---------------------------------------------------------------------------------------

/// The provision code a transfer file writes for an interval of `stage` under `framework`
/// that starts on `on`: the code the dated table gives on that date in the framework's own
/// country, so that a school reading the file on that date accepts it. School Action after
/// A and P ended is written K; a 2001 Code statement after S ended, E. An error when the
/// table has no code on that date (a Welsh legacy stage after the cut-over).
pub fn transfer_code(
    framework: FrameworkKey,
    stage: Stage,
    on: Date,
    s: &CodeSettings,
) -> Result<String, CodeError> {
    provision_code(framework.country(), framework, stage, on, s).map(|p| p.code)
}

/// The framework and stage a provision code read from a transfer file stands for, at a
/// school in `country` working under `school_framework` on `on` (the record's start date).
/// `early_years`: the pupil was in an early-years year group then (A and P stand for the
/// early-years stages too).
///
/// The school's own framework is used when it has the stage; otherwise the framework the
/// code belongs to on that date. The code must be the one the dated table gives for that
/// stage on that date ([`transfer_code`]).
pub fn read_transfer_code(
    country: Country,
    school_framework: Option<FrameworkKey>,
    code: &str,
    on: Date,
    early_years: bool,
    s: &CodeSettings,
) -> Result<(FrameworkKey, Stage), CodeError> {
    let wales_idp = [
        (&s.wales_school_idp.code, Stage::SchoolIdp),
        (&s.wales_la_idp.code, Stage::LaIdp),
    ];
    let (canonical, framework_key, stage) = if let Some((c, stage)) = wales_idp
        .iter()
        .find(|(c, _)| country == Country::Wales && c.eq_ignore_ascii_case(code.trim()))
    {
        ((*c).clone(), FrameworkKey::WalesAln2021, *stage)
    } else {
        let Some((p, _)) = import_legacy_provision(code) else {
            return Err(CodeError::UnknownProvision {
                code: code.to_owned(),
            });
        };
        let stage = p.stage(early_years);
        let by_code = match (country, p) {
            (Country::England, LegacyProvision::SenSupport | LegacyProvision::EhcPlan) => {
                FrameworkKey::England2014
            }
            (Country::England, LegacyProvision::NoSen) if on >= s.england_k_from => {
                FrameworkKey::England2014
            }
            (Country::England, _) => FrameworkKey::England2001,
            (Country::Wales, LegacyProvision::NoSen) if on >= s.wales_idp_from => {
                FrameworkKey::WalesAln2021
            }
            (Country::Wales, LegacyProvision::SenSupport | LegacyProvision::EhcPlan) => {
                FrameworkKey::England2014
            }
            (Country::Wales, _) => FrameworkKey::Wales2002,
        };
        let fw = school_framework
            .filter(|f| crate::framework::framework(*f).contains(stage))
            .unwrap_or(by_code);
        (p.code().to_owned(), fw, stage)
    };
    match provision_code(country, framework_key, stage, on, s) {
        Ok(pc) if pc.code.eq_ignore_ascii_case(&canonical) => Ok((framework_key, stage)),
        // The table reports the stage under another code on this date: the code read
        // had ended.
        Ok(_) => Err(CodeError::NoLongerValid {
            until: PROVISION_TABLE
                .iter()
                .find(|r| r.framework == framework_key && r.stages.contains(&stage))
                .and_then(|r| r.until)
                .map_or(on, |f| f(s)),
            code: canonical,
            on,
        }),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Need codes (England)
// ---------------------------------------------------------------------------------------

/// A broad area of need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaOfNeed {
    CommunicationAndInteraction,
    CognitionAndLearning,
    SocialEmotionalAndMentalHealth,
    SensoryAndOrPhysical,
    /// Code 2001's area for BESD.
    BehaviourEmotionalAndSocialDevelopment,
}

impl AreaOfNeed {
    /// The four broad areas of need a concern can name today.
    pub const BROAD: [AreaOfNeed; 4] = [
        AreaOfNeed::CommunicationAndInteraction,
        AreaOfNeed::CognitionAndLearning,
        AreaOfNeed::SocialEmotionalAndMentalHealth,
        AreaOfNeed::SensoryAndOrPhysical,
    ];

    /// The snake_case key (as in the API).
    pub const fn as_str(self) -> &'static str {
        match self {
            AreaOfNeed::CommunicationAndInteraction => "communication_and_interaction",
            AreaOfNeed::CognitionAndLearning => "cognition_and_learning",
            AreaOfNeed::SocialEmotionalAndMentalHealth => "social_emotional_and_mental_health",
            AreaOfNeed::SensoryAndOrPhysical => "sensory_and_or_physical",
            AreaOfNeed::BehaviourEmotionalAndSocialDevelopment => {
                "behaviour_emotional_and_social_development"
            }
        }
    }

    /// The area for a key written by [`AreaOfNeed::as_str`].
    pub fn parse(s: &str) -> Option<AreaOfNeed> {
        [
            AreaOfNeed::CommunicationAndInteraction,
            AreaOfNeed::CognitionAndLearning,
            AreaOfNeed::SocialEmotionalAndMentalHealth,
            AreaOfNeed::SensoryAndOrPhysical,
            AreaOfNeed::BehaviourEmotionalAndSocialDevelopment,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AreaOfNeed::CommunicationAndInteraction => "Communication and interaction",
            AreaOfNeed::CognitionAndLearning => "Cognition and learning",
            AreaOfNeed::SocialEmotionalAndMentalHealth => "Social, emotional and mental health",
            AreaOfNeed::SensoryAndOrPhysical => "Sensory and/or physical",
            AreaOfNeed::BehaviourEmotionalAndSocialDevelopment => {
                "Behaviour, emotional and social development"
            }
        }
    }
}

/// An England SEN type (need) code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedCode {
    Spld,
    Mld,
    Sld,
    Pmld,
    Besd,
    Semh,
    Slcn,
    Hi,
    Vi,
    Msi,
    Pd,
    Asd,
    Oth,
    Nsa,
}

struct NeedDef {
    need: NeedCode,
    code: &'static str,
    description: &'static str,
    area: Option<AreaOfNeed>,
}

const fn need(
    need: NeedCode,
    code: &'static str,
    description: &'static str,
    area: Option<AreaOfNeed>,
) -> NeedDef {
    NeedDef {
        need,
        code,
        description,
        area,
    }
}

/// REFERENCE.md §6.2, in census order.
static NEEDS: [NeedDef; 14] = {
    use AreaOfNeed::{
        BehaviourEmotionalAndSocialDevelopment as Besd, CognitionAndLearning as Cl,
        CommunicationAndInteraction as Ci, SensoryAndOrPhysical as Sp,
        SocialEmotionalAndMentalHealth as Semh,
    };
    [
        need(
            NeedCode::Spld,
            "SPLD",
            "Specific learning difficulty",
            Some(Cl),
        ),
        need(
            NeedCode::Mld,
            "MLD",
            "Moderate learning difficulty",
            Some(Cl),
        ),
        need(NeedCode::Sld, "SLD", "Severe learning difficulty", Some(Cl)),
        need(
            NeedCode::Pmld,
            "PMLD",
            "Profound and multiple learning difficulty",
            Some(Cl),
        ),
        need(
            NeedCode::Besd,
            "BESD",
            "Behaviour, emotional and social difficulties",
            Some(Besd),
        ),
        need(
            NeedCode::Semh,
            "SEMH",
            "Social, emotional and mental health",
            Some(Semh),
        ),
        need(
            NeedCode::Slcn,
            "SLCN",
            "Speech, language and communication needs",
            Some(Ci),
        ),
        need(NeedCode::Hi, "HI", "Hearing impairment", Some(Sp)),
        need(NeedCode::Vi, "VI", "Visual impairment", Some(Sp)),
        need(NeedCode::Msi, "MSI", "Multi-sensory impairment", Some(Sp)),
        need(NeedCode::Pd, "PD", "Physical disability", Some(Sp)),
        need(NeedCode::Asd, "ASD", "Autistic spectrum disorder", Some(Ci)),
        need(NeedCode::Oth, "OTH", "Other difficulty or disability", None),
        need(
            NeedCode::Nsa,
            "NSA",
            "SEN support but no specialist assessment of type of need",
            None,
        ),
    ]
};

/// Legacy labels from third-party systems, accepted on import as aliases (not confirmed as
/// DfE codes).
const NEED_ALIASES: [(&str, NeedCode); 3] = [
    ("EBD", NeedCode::Besd),
    ("SCD", NeedCode::Slcn),
    ("AUT", NeedCode::Asd),
];

impl NeedCode {
    pub const ALL: [NeedCode; 14] = [
        NeedCode::Spld,
        NeedCode::Mld,
        NeedCode::Sld,
        NeedCode::Pmld,
        NeedCode::Besd,
        NeedCode::Semh,
        NeedCode::Slcn,
        NeedCode::Hi,
        NeedCode::Vi,
        NeedCode::Msi,
        NeedCode::Pd,
        NeedCode::Asd,
        NeedCode::Oth,
        NeedCode::Nsa,
    ];

    fn def(self) -> &'static NeedDef {
        // NEEDS is in `ALL` order, checked by a test.
        &NEEDS[self as usize]
    }

    /// The census code: "SPLD", "SEMH".
    pub fn code(self) -> &'static str {
        self.def().code
    }

    pub fn description(self) -> &'static str {
        self.def().description
    }

    /// The broad area of need; `None` for OTH and NSA.
    pub fn area(self) -> Option<AreaOfNeed> {
        self.def().area
    }
}

impl fmt::Display for NeedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Parses a need code (trimmed, any case). The flag is set when the code was a legacy
/// alias: EBD for BESD, SCD for SLCN, AUT for ASD.
pub fn parse_need(code: &str) -> Result<(NeedCode, bool), CodeError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(CodeError::EmptyNeed);
    }
    if let Some(d) = NEEDS.iter().find(|d| d.code.eq_ignore_ascii_case(code)) {
        return Ok((d.need, false));
    }
    NEED_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(code))
        .map(|&(_, need)| (need, true))
        .ok_or_else(|| CodeError::UnknownNeed {
            code: code.to_ascii_uppercase(),
        })
}

/// Whether `code` may be recorded on `on`, with the pupil's provision code: BESD until
/// its last day, SEMH and NSA from their first, and NSA only with K.
pub fn need_valid_on(
    code: NeedCode,
    on: Date,
    provision_code: Option<&str>,
    s: &CodeSettings,
) -> Result<(), CodeError> {
    let name = || code.code().to_owned();
    match code {
        NeedCode::Besd if on > s.besd_until => Err(CodeError::NoLongerValid {
            code: name(),
            on,
            until: s.besd_until,
        }),
        NeedCode::Semh if on < s.semh_from => Err(CodeError::NotYetValid {
            code: name(),
            on,
            from: s.semh_from,
        }),
        NeedCode::Nsa if on < s.nsa_from => Err(CodeError::NotYetValid {
            code: name(),
            on,
            from: s.nsa_from,
        }),
        NeedCode::Nsa if provision_code.map(str::trim) != Some("K") => Err(CodeError::NsaNeedsK {
            provision: provision_code.map(str::to_owned),
        }),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Need categories (Wales)
// ---------------------------------------------------------------------------------------

/// A Welsh need category (the 15 StatsWales categories, REFERENCE.md §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalesNeed {
    ModerateLearningDifficulties,
    GeneralLearningDifficulties,
    SevereLearningDifficulties,
    ProfoundAndMultipleLearningDifficulties,
    Dyslexia,
    Dyscalculia,
    Dyspraxia,
    Adhd,
    AutisticSpectrumDisorders,
    PhysicalAndMedicalDifficulties,
    HearingImpairment,
    VisualImpairment,
    MultiSensoryImpairment,
    SpeechLanguageAndCommunicationDifficulties,
    BehaviouralEmotionalAndSocialDifficulties,
}

/// A Welsh need category with its built-in default short code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WalesNeedDef {
    pub need: WalesNeed,
    pub label: &'static str,
    /// UNCONFIRMED: PLASC short codes were not found; these are Senco's defaults.
    pub default_code: &'static str,
}

const fn wales(need: WalesNeed, label: &'static str, default_code: &'static str) -> WalesNeedDef {
    WalesNeedDef {
        need,
        label,
        default_code,
    }
}

/// The Welsh need categories, in StatsWales order.
pub static WALES_NEEDS: [WalesNeedDef; 15] = [
    wales(
        WalesNeed::ModerateLearningDifficulties,
        "Moderate learning difficulties",
        "MLD",
    ),
    wales(
        WalesNeed::GeneralLearningDifficulties,
        "General learning difficulties",
        "GLD",
    ),
    wales(
        WalesNeed::SevereLearningDifficulties,
        "Severe learning difficulties",
        "SLD",
    ),
    wales(
        WalesNeed::ProfoundAndMultipleLearningDifficulties,
        "Profound and multiple learning difficulties",
        "PMLD",
    ),
    wales(WalesNeed::Dyslexia, "Dyslexia", "DYSL"),
    wales(WalesNeed::Dyscalculia, "Dyscalculia", "DYSC"),
    wales(WalesNeed::Dyspraxia, "Dyspraxia", "DYSP"),
    wales(
        WalesNeed::Adhd,
        "Attention deficit hyperactivity disorder",
        "ADHD",
    ),
    wales(
        WalesNeed::AutisticSpectrumDisorders,
        "Autistic spectrum disorders",
        "ASD",
    ),
    wales(
        WalesNeed::PhysicalAndMedicalDifficulties,
        "Physical and medical difficulties",
        "PMED",
    ),
    wales(WalesNeed::HearingImpairment, "Hearing impairment", "HI"),
    wales(WalesNeed::VisualImpairment, "Visual impairment", "VI"),
    wales(
        WalesNeed::MultiSensoryImpairment,
        "Multi-sensory impairment",
        "MSI",
    ),
    wales(
        WalesNeed::SpeechLanguageAndCommunicationDifficulties,
        "Speech, language and communication difficulties",
        "SLCD",
    ),
    wales(
        WalesNeed::BehaviouralEmotionalAndSocialDifficulties,
        "Behavioural, emotional and social difficulties",
        "BESD",
    ),
];

impl WalesNeed {
    pub fn def(self) -> &'static WalesNeedDef {
        // WALES_NEEDS is in declaration order, checked by a test.
        &WALES_NEEDS[self as usize]
    }

    pub fn label(self) -> &'static str {
        self.def().label
    }

    /// The stable snake_case key (as serialised): `speech_language_and_communication_difficulties`.
    pub fn key(self) -> &'static str {
        match self {
            WalesNeed::ModerateLearningDifficulties => "moderate_learning_difficulties",
            WalesNeed::GeneralLearningDifficulties => "general_learning_difficulties",
            WalesNeed::SevereLearningDifficulties => "severe_learning_difficulties",
            WalesNeed::ProfoundAndMultipleLearningDifficulties => {
                "profound_and_multiple_learning_difficulties"
            }
            WalesNeed::Dyslexia => "dyslexia",
            WalesNeed::Dyscalculia => "dyscalculia",
            WalesNeed::Dyspraxia => "dyspraxia",
            WalesNeed::Adhd => "adhd",
            WalesNeed::AutisticSpectrumDisorders => "autistic_spectrum_disorders",
            WalesNeed::PhysicalAndMedicalDifficulties => "physical_and_medical_difficulties",
            WalesNeed::HearingImpairment => "hearing_impairment",
            WalesNeed::VisualImpairment => "visual_impairment",
            WalesNeed::MultiSensoryImpairment => "multi_sensory_impairment",
            WalesNeed::SpeechLanguageAndCommunicationDifficulties => {
                "speech_language_and_communication_difficulties"
            }
            WalesNeed::BehaviouralEmotionalAndSocialDifficulties => {
                "behavioural_emotional_and_social_difficulties"
            }
        }
    }

    /// The category of a [`WalesNeed::key`].
    pub fn parse_key(key: &str) -> Option<WalesNeed> {
        WALES_NEEDS.iter().map(|d| d.need).find(|n| n.key() == key)
    }
}

/// The short code for a Welsh need category: the configured one, else the built-in
/// default (flagged unconfirmed).
pub fn wales_need_code(need: WalesNeed, s: &CodeSettings) -> ConfiguredCode {
    s.wales_need_codes
        .iter()
        .find(|(n, _)| *n == need)
        .map(|(_, c)| c.clone())
        .unwrap_or_else(|| ConfiguredCode::unconfirmed(need.def().default_code))
}

/// The settings key of a Welsh need category's code: `census.wales_need.` and its default
/// code in lower case (for example `census.wales_need.mld`).
pub fn wales_need_setting(need: WalesNeed) -> String {
    format!(
        "census.wales_need.{}",
        need.def().default_code.to_ascii_lowercase()
    )
}

/// Whether a configured code is well formed: 1 to 8 capital letters or digits.
pub fn is_code_shape(code: &str) -> bool {
    (1..=8).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Parses a Welsh need short code (trimmed, any case) against the configured codes.
pub fn parse_wales_need(code: &str, s: &CodeSettings) -> Result<WalesNeed, CodeError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(CodeError::EmptyNeed);
    }
    WALES_NEEDS
        .iter()
        .map(|d| d.need)
        .find(|n| wales_need_code(*n, s).code.eq_ignore_ascii_case(code))
        .ok_or_else(|| CodeError::UnknownNeed {
            code: code.to_ascii_uppercase(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENG: Country = Country::England;
    const WAL: Country = Country::Wales;

    fn code(
        country: Country,
        f: FrameworkKey,
        stage: Stage,
        on: Date,
    ) -> Result<ProvisionCode, CodeError> {
        provision_code(country, f, stage, on, &CodeSettings::default())
    }

    fn letter(country: Country, f: FrameworkKey, stage: Stage, on: Date) -> String {
        code(country, f, stage, on).unwrap().code
    }

    #[test]
    fn defaults_are_the_reference_dates() {
        let s = CodeSettings::default();
        assert_eq!(s.england_action_codes_until, date!(2015 - 08 - 31));
        assert_eq!(s.england_k_from, date!(2014 - 09 - 01));
        assert_eq!(s.england_e_from, date!(2014 - 09 - 01));
        assert_eq!(s.england_s_until, date!(2018 - 03 - 31));
        assert_eq!(s.besd_until, date!(2014 - 08 - 31));
        assert_eq!(s.semh_from, date!(2014 - 09 - 01));
        assert_eq!(s.nsa_from, date!(2014 - 09 - 01));
        assert_eq!(s.wales_legacy_until, date!(2025 - 08 - 31));
        assert_eq!(s.wales_idp_from, date!(2021 - 09 - 01));
        assert_eq!(s.wales_school_idp, ConfiguredCode::unconfirmed("SIDP"));
        assert_eq!(s.wales_la_idp, ConfiguredCode::unconfirmed("LIDP"));
        assert_eq!(s.wales_need_codes.len(), 15);
        assert!(s.wales_need_codes.iter().all(|(_, c)| c.unconfirmed));
    }

    #[test]
    fn england_2001_codes() {
        use FrameworkKey::England2001 as F;
        let last = date!(2015 - 08 - 31);
        let after = date!(2015 - 09 - 01);
        assert_eq!(letter(ENG, F, Stage::NoSen, date!(2003 - 01 - 16)), "N");
        assert_eq!(letter(ENG, F, Stage::NoSen, date!(2030 - 01 - 16)), "N");
        for s in [Stage::EarlyYearsAction, Stage::SchoolAction] {
            assert_eq!(code(ENG, F, s, date!(2003 - 01 - 16)).unwrap().note, None);
            assert_eq!(letter(ENG, F, s, last), "A");
            let k = code(ENG, F, s, after).unwrap();
            assert_eq!(k.code, "K");
            assert_eq!(
                k.note.as_deref(),
                Some(
                    "School Action and School Action Plus are reported as K (SEN support) \
                     after A and P ended: record the pupil's move to SEN support (code A was \
                     used until 31 August 2015)"
                )
            );
        }
        for s in [Stage::EarlyYearsActionPlus, Stage::SchoolActionPlus] {
            assert_eq!(letter(ENG, F, s, last), "P");
            let k = code(ENG, F, s, after).unwrap();
            assert_eq!(k.code, "K");
            assert!(
                k.note
                    .unwrap()
                    .contains("code P was used until 31 August 2015")
            );
        }
        assert_eq!(letter(ENG, F, Stage::Statement, date!(2018 - 03 - 31)), "S");
        // After S ended a statement is reported as E, with a note.
        assert_eq!(letter(ENG, F, Stage::Statement, date!(2018 - 04 - 01)), "E");
        assert_eq!(
            code(ENG, F, Stage::SenSupport, after),
            Err(CodeError::NoCode {
                stage: Stage::SenSupport,
                framework: F
            })
        );
    }

    #[test]
    fn wales_no_sen_is_valid_after_the_legacy_cut_over() {
        // N is "no special provision", not a legacy stage: it does not lapse with A, P and S.
        for on in [
            date!(2025 - 09 - 01),
            date!(2027 - 01 - 21),
            date!(2040 - 01 - 19),
        ] {
            let n = code(WAL, FrameworkKey::Wales2002, Stage::NoSen, on).unwrap();
            assert_eq!((n.code.as_str(), n.note.as_deref()), ("N", None));
        }
        assert_eq!(
            code(
                WAL,
                FrameworkKey::Wales2002,
                Stage::SchoolAction,
                date!(2027 - 01 - 21)
            )
            .unwrap_err()
            .rule(),
            "code_no_longer_valid"
        );
    }

    #[test]
    fn an_england_2001_statement_is_reported_as_e_after_s_ended() {
        use FrameworkKey::England2001 as F;
        assert_eq!(letter(ENG, F, Stage::Statement, date!(2018 - 03 - 31)), "S");
        for on in [date!(2018 - 04 - 01), date!(2026 - 12 - 07)] {
            let e = code(ENG, F, Stage::Statement, on).unwrap();
            assert_eq!(e.code, "E");
            assert_eq!(
                e.note.as_deref(),
                Some(
                    "A statement is reported as E (EHC plan) after S ended: record the \
                     pupil's transfer to an EHC plan (code S was used until 31 March 2018)"
                )
            );
        }
        // E is only reported from its own first day.
        let s = CodeSettings {
            england_s_until: date!(2014 - 06 - 30),
            ..CodeSettings::default()
        };
        let e = provision_code(ENG, F, Stage::Statement, date!(2014 - 07 - 15), &s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Code E is not valid on 15 July 2014: it is used from 1 September 2014"
        );
    }

    #[test]
    fn action_codes_fall_back_only_once_k_exists() {
        let s = CodeSettings {
            england_action_codes_until: date!(2014 - 06 - 30),
            ..CodeSettings::default()
        };
        let e = provision_code(
            ENG,
            FrameworkKey::England2001,
            Stage::SchoolAction,
            date!(2014 - 07 - 15),
            &s,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Code K is not valid on 15 July 2014: it is used from 1 September 2014"
        );
    }

    #[test]
    fn england_2014_codes() {
        use FrameworkKey::England2014 as F;
        assert_eq!(letter(ENG, F, Stage::NoSen, date!(2014 - 08 - 31)), "N");
        assert_eq!(
            letter(ENG, F, Stage::SenSupport, date!(2014 - 09 - 01)),
            "K"
        );
        assert_eq!(letter(ENG, F, Stage::EhcPlan, date!(2014 - 09 - 01)), "E");
        assert_eq!(letter(ENG, F, Stage::EhcPlan, date!(2030 - 09 - 01)), "E");
        let e = code(ENG, F, Stage::EhcPlan, date!(2014 - 08 - 31)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Code E is not valid on 31 August 2014: it is used from 1 September 2014"
        );
        assert_eq!(e.rule(), "code_not_yet_valid");
        assert_eq!(
            code(ENG, F, Stage::SenSupport, date!(2014 - 08 - 31))
                .unwrap_err()
                .rule(),
            "code_not_yet_valid"
        );
        // K and E are separately configurable.
        let s = CodeSettings {
            england_e_from: date!(2015 - 01 - 15),
            ..CodeSettings::default()
        };
        assert!(provision_code(ENG, F, Stage::EhcPlan, date!(2015 - 01 - 14), &s).is_err());
        assert!(provision_code(ENG, F, Stage::EhcPlan, date!(2015 - 01 - 15), &s).is_ok());
        assert!(provision_code(ENG, F, Stage::SenSupport, date!(2015 - 01 - 14), &s).is_ok());
    }

    #[test]
    fn the_a_code_error_text() {
        let s = CodeSettings {
            england_action_codes_until: date!(2015 - 08 - 31),
            ..CodeSettings::default()
        };
        let e = CodeError::NoLongerValid {
            code: "A".to_owned(),
            on: date!(2016 - 09 - 01),
            until: s.england_action_codes_until,
        };
        assert_eq!(
            e.to_string(),
            "Code A is not valid on 1 September 2016: it was used until 31 August 2015"
        );
    }

    #[test]
    fn wales_2002_codes() {
        use FrameworkKey::Wales2002 as F;
        let last = date!(2025 - 08 - 31);
        let after = date!(2025 - 09 - 01);
        assert_eq!(letter(WAL, F, Stage::NoSen, after), "N");
        for (stage, l) in [
            (Stage::EarlyYearsAction, "A"),
            (Stage::SchoolAction, "A"),
            (Stage::EarlyYearsActionPlus, "P"),
            (Stage::SchoolActionPlus, "P"),
            (Stage::Statement, "S"),
        ] {
            assert_eq!(letter(WAL, F, stage, date!(2003 - 01 - 16)), l);
            assert_eq!(letter(WAL, F, stage, last), l);
            let e = code(WAL, F, stage, after).unwrap_err();
            assert_eq!(e.rule(), "code_no_longer_valid");
            assert_eq!(
                e.to_string(),
                format!(
                    "Code {l} is not valid on 1 September 2025: it was used until 31 August \
                     2025, and an operator may extend that date in the code settings"
                )
            );
        }
        let extended = CodeSettings {
            wales_legacy_until: date!(2026 - 08 - 31),
            ..CodeSettings::default()
        };
        assert_eq!(
            provision_code(WAL, F, Stage::Statement, after, &extended)
                .unwrap()
                .code,
            "S"
        );
    }

    #[test]
    fn wales_aln_codes() {
        use FrameworkKey::WalesAln2021 as F;
        let school = code(WAL, F, Stage::SchoolIdp, date!(2021 - 09 - 01)).unwrap();
        assert_eq!(school.code, "SIDP");
        assert!(school.unconfirmed);
        let la = code(WAL, F, Stage::LaIdp, date!(2030 - 01 - 01)).unwrap();
        assert_eq!(la.code, "LIDP");
        assert!(la.unconfirmed);
        assert_eq!(
            code(WAL, F, Stage::LaIdp, date!(2021 - 08 - 31))
                .unwrap_err()
                .to_string(),
            "Code LIDP is not valid on 31 August 2021: it is used from 1 September 2021"
        );
        let n = code(WAL, F, Stage::NoSen, date!(2030 - 01 - 01)).unwrap();
        assert_eq!((n.code.as_str(), n.unconfirmed), ("N", false));
        let s = CodeSettings {
            wales_school_idp: ConfiguredCode {
                code: "I".to_owned(),
                unconfirmed: false,
            },
            ..CodeSettings::default()
        };
        let c = provision_code(WAL, F, Stage::SchoolIdp, date!(2022 - 01 - 20), &s).unwrap();
        assert_eq!((c.code.as_str(), c.unconfirmed), ("I", false));
    }

    #[test]
    fn country_must_match() {
        let e = code(
            WAL,
            FrameworkKey::England2014,
            Stage::SenSupport,
            date!(2020 - 01 - 01),
        )
        .unwrap_err();
        assert_eq!(e.rule(), "wrong_country");
        assert_eq!(
            e.to_string(),
            "Records under the SEND Code of Practice 2014 (England) are not reported in Wales"
        );
        assert_eq!(
            code(
                ENG,
                FrameworkKey::Wales2002,
                Stage::SchoolAction,
                date!(2010 - 01 - 01)
            )
            .unwrap_err()
            .rule(),
            "wrong_country"
        );
    }

    #[test]
    fn every_framework_stage_has_a_code() {
        for f in crate::framework::frameworks() {
            for d in f.stages {
                assert!(
                    PROVISION_TABLE
                        .iter()
                        .any(|r| r.framework == f.key && r.stages.contains(&d.stage)),
                    "{:?} {:?}",
                    f.key,
                    d.stage
                );
            }
        }
        for r in &PROVISION_TABLE {
            let f = crate::framework::framework(r.framework);
            assert!(r.stages.iter().all(|s| f.contains(*s)));
        }
    }

    #[test]
    fn legacy_import() {
        assert_eq!(
            import_legacy_provision("Q"),
            Some((LegacyProvision::ActionPlus, true))
        );
        assert_eq!(
            import_legacy_provision(" p "),
            Some((LegacyProvision::ActionPlus, false))
        );
        for (c, p, _) in LEGACY_CODES {
            assert_eq!(import_legacy_provision(c).map(|x| x.0), Some(p));
            if c != "Q" {
                assert_eq!(p.code(), c);
            }
        }
        assert_eq!(import_legacy_provision("X"), None);
        assert_eq!(import_legacy_provision(""), None);
        assert_eq!(LegacyProvision::Action.stage(true), Stage::EarlyYearsAction);
        assert_eq!(LegacyProvision::Action.stage(false), Stage::SchoolAction);
        assert_eq!(
            LegacyProvision::ActionPlus.stage(true),
            Stage::EarlyYearsActionPlus
        );
        assert_eq!(
            LegacyProvision::ActionPlus.stage(false),
            Stage::SchoolActionPlus
        );
        assert_eq!(LegacyProvision::Statement.stage(true), Stage::Statement);
        assert_eq!(LegacyProvision::SenSupport.stage(false), Stage::SenSupport);
        assert_eq!(LegacyProvision::EhcPlan.stage(false), Stage::EhcPlan);
        assert_eq!(LegacyProvision::NoSen.stage(false), Stage::NoSen);
    }

    #[test]
    fn a_transfer_file_writes_the_code_in_force_on_each_date() {
        let s = CodeSettings::default();
        let w = |f, stage, on| transfer_code(f, stage, on, &s);
        use FrameworkKey::{England2001 as E01, Wales2002 as W02};
        assert_eq!(
            w(E01, Stage::SchoolAction, date!(2010 - 09 - 06)).unwrap(),
            "A"
        );
        // The example: School Action from 7 September 2026 is written K.
        assert_eq!(
            w(E01, Stage::SchoolAction, date!(2026 - 09 - 07)).unwrap(),
            "K"
        );
        assert_eq!(
            w(E01, Stage::Statement, date!(2026 - 09 - 07)).unwrap(),
            "E"
        );
        assert_eq!(w(W02, Stage::NoSen, date!(2026 - 09 - 07)).unwrap(), "N");
        assert_eq!(
            w(W02, Stage::SchoolAction, date!(2026 - 09 - 07))
                .unwrap_err()
                .rule(),
            "code_no_longer_valid"
        );
        // Reading back: K is SEN support, and A after it ended is refused with its dates.
        let r = |code, on| read_transfer_code(Country::England, Some(E01), code, on, false, &s);
        assert_eq!(
            r("K", date!(2026 - 09 - 07)),
            Ok((FrameworkKey::England2014, Stage::SenSupport))
        );
        assert_eq!(
            r("S", date!(2026 - 09 - 07)).unwrap_err().to_string(),
            "Code S is not valid on 7 September 2026: it was used until 31 March 2018"
        );
        assert_eq!(
            r("A", date!(2026 - 09 - 07)).unwrap_err().to_string(),
            "Code A is not valid on 7 September 2026: it was used until 31 August 2015"
        );
        assert_eq!(
            r("X", date!(2026 - 09 - 07)).unwrap_err().rule(),
            "unknown_provision"
        );
    }

    fn settings_variants() -> [CodeSettings; 3] {
        [
            CodeSettings::default(),
            CodeSettings {
                england_action_codes_until: date!(2016 - 08 - 31),
                england_s_until: date!(2019 - 03 - 31),
                wales_legacy_until: date!(2027 - 08 - 31),
                ..CodeSettings::default()
            },
            CodeSettings {
                england_k_from: date!(2015 - 01 - 15),
                england_e_from: date!(2015 - 01 - 15),
                wales_idp_from: date!(2022 - 01 - 01),
                wales_school_idp: ConfiguredCode {
                    code: "I".to_owned(),
                    unconfirmed: false,
                },
                ..CodeSettings::default()
            },
        ]
    }

    proptest::proptest! {
        /// For every framework, stage and date, the code a transfer file writes is accepted
        /// by the import's check on that date, at a school of the framework's country
        /// whatever framework it works under then, and stands for a stage that is written
        /// with the same code.
        #[test]
        fn the_code_a_transfer_file_writes_is_read_back_on_its_date(
            fi in 0usize..4,
            si in 0usize..10,
            day in 0i64..(45 * 366),
            early_years: bool,
            variant in 0usize..3,
        ) {
            let s = &settings_variants()[variant];
            let f = FrameworkKey::ALL[fi];
            let stage = Stage::ALL[si];
            proptest::prop_assume!(crate::framework::framework(f).contains(stage));
            let on = date!(2000 - 01 - 01) + time::Duration::days(day);
            if let Ok(code) = transfer_code(f, stage, on, s) {
                let country = f.country();
                let schools = std::iter::once(None).chain(
                    FrameworkKey::ALL
                        .into_iter()
                        .filter(|k| k.country() == country)
                        .map(Some),
                );
                for school in schools {
                    let read = read_transfer_code(country, school, &code, on, early_years, s);
                    proptest::prop_assert!(read.is_ok(), "{f:?} {stage:?} {on} {code} at {school:?}: {read:?}");
                    let (f2, stage2) = read.unwrap();
                    proptest::prop_assert_eq!(transfer_code(f2, stage2, on, s), Ok(code.clone()));
                }
            }
        }
    }

    #[test]
    fn need_table_is_in_order() {
        for (i, n) in NeedCode::ALL.into_iter().enumerate() {
            assert_eq!(NEEDS[i].need, n);
            assert_eq!(parse_need(n.code()), Ok((n, false)));
            assert_eq!(
                serde_json::to_string(&n).unwrap(),
                format!("\"{}\"", n.code().to_ascii_lowercase())
            );
            assert!(!n.description().is_empty());
        }
        for (i, d) in WALES_NEEDS.iter().enumerate() {
            assert_eq!(d.need as usize, i);
            assert_eq!(d.need.label(), d.label);
            assert_eq!(
                serde_json::to_string(&d.need).unwrap(),
                format!("\"{}\"", d.need.key())
            );
            assert_eq!(WalesNeed::parse_key(d.need.key()), Some(d.need));
        }
        assert_eq!(WalesNeed::parse_key("none"), None);
    }

    #[test]
    fn need_areas() {
        use AreaOfNeed::*;
        assert_eq!(NeedCode::Spld.area(), Some(CognitionAndLearning));
        assert_eq!(NeedCode::Pmld.area(), Some(CognitionAndLearning));
        assert_eq!(NeedCode::Slcn.area(), Some(CommunicationAndInteraction));
        assert_eq!(NeedCode::Asd.area(), Some(CommunicationAndInteraction));
        assert_eq!(NeedCode::Semh.area(), Some(SocialEmotionalAndMentalHealth));
        assert_eq!(
            NeedCode::Besd.area(),
            Some(BehaviourEmotionalAndSocialDevelopment)
        );
        assert_eq!(NeedCode::Msi.area(), Some(SensoryAndOrPhysical));
        assert_eq!(NeedCode::Pd.area(), Some(SensoryAndOrPhysical));
        assert_eq!(NeedCode::Oth.area(), None);
        assert_eq!(NeedCode::Nsa.area(), None);
        assert_eq!(
            serde_json::to_string(&SocialEmotionalAndMentalHealth).unwrap(),
            "\"social_emotional_and_mental_health\""
        );
        assert_eq!(SensoryAndOrPhysical.label(), "Sensory and/or physical");
    }

    #[test]
    fn parse_needs_and_aliases() {
        assert_eq!(parse_need(" spld "), Ok((NeedCode::Spld, false)));
        assert_eq!(parse_need("EBD"), Ok((NeedCode::Besd, true)));
        assert_eq!(parse_need("scd"), Ok((NeedCode::Slcn, true)));
        assert_eq!(parse_need("AUT"), Ok((NeedCode::Asd, true)));
        assert_eq!(parse_need(""), Err(CodeError::EmptyNeed));
        let e = parse_need("xyz").unwrap_err();
        assert_eq!(e.to_string(), "XYZ is not a recognised need code");
        assert_eq!(e.rule(), "unknown_need");
    }

    #[test]
    fn need_dates() {
        let s = CodeSettings::default();
        let ok = |n, on, p| need_valid_on(n, on, p, &s);
        assert_eq!(ok(NeedCode::Besd, date!(2014 - 08 - 31), Some("P")), Ok(()));
        assert_eq!(
            ok(NeedCode::Besd, date!(2014 - 09 - 01), Some("K"))
                .unwrap_err()
                .to_string(),
            "Code BESD is not valid on 1 September 2014: it was used until 31 August 2014"
        );
        assert_eq!(ok(NeedCode::Semh, date!(2014 - 09 - 01), Some("K")), Ok(()));
        assert_eq!(
            ok(NeedCode::Semh, date!(2014 - 08 - 31), Some("S"))
                .unwrap_err()
                .to_string(),
            "Code SEMH is not valid on 31 August 2014: it is used from 1 September 2014"
        );
        assert_eq!(ok(NeedCode::Nsa, date!(2014 - 09 - 01), Some("K")), Ok(()));
        assert_eq!(
            ok(NeedCode::Nsa, date!(2014 - 08 - 31), Some("K"))
                .unwrap_err()
                .rule(),
            "code_not_yet_valid"
        );
        for p in [Some("E"), Some("N"), None] {
            let e = ok(NeedCode::Nsa, date!(2016 - 01 - 21), p).unwrap_err();
            assert_eq!(e.rule(), "nsa_needs_k");
            assert_eq!(e.to_string(), "Code NSA is only used with provision code K");
        }
        for n in NeedCode::ALL {
            if !matches!(n, NeedCode::Besd | NeedCode::Semh | NeedCode::Nsa) {
                assert_eq!(ok(n, date!(2004 - 01 - 15), Some("P")), Ok(()));
                assert_eq!(ok(n, date!(2030 - 01 - 15), Some("E")), Ok(()));
            }
        }
        // Separately configurable.
        let s = CodeSettings {
            nsa_from: date!(2015 - 01 - 15),
            ..CodeSettings::default()
        };
        assert!(need_valid_on(NeedCode::Nsa, date!(2015 - 01 - 14), Some("K"), &s).is_err());
        assert!(need_valid_on(NeedCode::Semh, date!(2015 - 01 - 14), Some("K"), &s).is_ok());
    }

    #[test]
    fn wales_need_codes() {
        let s = CodeSettings::default();
        assert_eq!(WALES_NEEDS.len(), 15);
        for d in &WALES_NEEDS {
            let c = wales_need_code(d.need, &s);
            assert_eq!(c.code, d.default_code);
            assert!(c.unconfirmed);
            assert_eq!(
                parse_wales_need(&c.code.to_ascii_lowercase(), &s),
                Ok(d.need)
            );
        }
        let codes: Vec<&str> = WALES_NEEDS.iter().map(|d| d.default_code).collect();
        for (i, c) in codes.iter().enumerate() {
            assert!(!codes[i + 1..].contains(c), "duplicate {c}");
        }
        let configured = CodeSettings {
            wales_need_codes: vec![(
                WalesNeed::Dyslexia,
                ConfiguredCode {
                    code: "DY".to_owned(),
                    unconfirmed: false,
                },
            )],
            ..CodeSettings::default()
        };
        assert_eq!(parse_wales_need("DY", &configured), Ok(WalesNeed::Dyslexia));
        assert!(parse_wales_need("DYSL", &configured).is_err());
        // Missing entries fall back to the defaults.
        assert_eq!(
            wales_need_code(WalesNeed::Adhd, &configured),
            ConfiguredCode::unconfirmed("ADHD")
        );
        assert_eq!(parse_wales_need(" ", &s), Err(CodeError::EmptyNeed));
        assert_eq!(
            parse_wales_need("SPLD", &s).unwrap_err().rule(),
            "unknown_need"
        );
    }
}
