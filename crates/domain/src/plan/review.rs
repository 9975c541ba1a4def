//! What a plan review decides about the pupil's stage, read from the framework data
//! (REFERENCE.md §1.3, §3.1, §4), and the parents' and pupil's views recorded with it
//! (§1.7).
//!
//! A school's review cannot place a pupil on, or take them off, a stage that the local
//! authority maintains (a statement, an EHC plan, a local-authority IDP): moving up to one
//! is asked for with a request for statutory assessment, during which the pupil stays on
//! the current stage; the authority's decisions are recorded as stage changes.

use serde::{Deserialize, Serialize};

use super::thousands;
use crate::framework::{Framework, MoveContext, MoveError, MoveKind, Setting, Stage, check_move};
use crate::problem::Problem;

/// The stages whose plans the local authority maintains and whose start and end it
/// decides.
pub const LOCAL_AUTHORITY_STAGES: &[Stage] = &[Stage::Statement, Stage::EhcPlan, Stage::LaIdp];

/// What a review decides about the pupil's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    ContinueSameStage,
    MoveUp,
    MoveDown,
    OffRegister,
    /// Ask the local authority for a statutory assessment (in Wales under the ALN Code, to
    /// decide whether to maintain an IDP); the pupil stays on the current stage meanwhile.
    RequestStatutoryAssessment,
}

impl ReviewDecision {
    pub const ALL: [ReviewDecision; 5] = [
        ReviewDecision::ContinueSameStage,
        ReviewDecision::MoveUp,
        ReviewDecision::MoveDown,
        ReviewDecision::OffRegister,
        ReviewDecision::RequestStatutoryAssessment,
    ];

    /// The stable snake_case id, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::ContinueSameStage => "continue_same_stage",
            ReviewDecision::MoveUp => "move_up",
            ReviewDecision::MoveDown => "move_down",
            ReviewDecision::OffRegister => "off_register",
            ReviewDecision::RequestStatutoryAssessment => "request_statutory_assessment",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<ReviewDecision> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewDecision::ContinueSameStage => "Continue at the same stage",
            ReviewDecision::MoveUp => "Move up a stage",
            ReviewDecision::MoveDown => "Move down a stage",
            ReviewDecision::OffRegister => "Take off the SEN register",
            ReviewDecision::RequestStatutoryAssessment => "Request a statutory assessment",
        }
    }
}

/// Why a review decision cannot be applied. Each names its rule ([`ReviewError::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error("The pupil is not on the SEN register, so there is no plan to review")]
    NotOnRegister,
    #[error("There is no stage above {stage} that can be used in this setting")]
    NoStageAbove { stage: Stage },
    #[error(
        "There is no stage below {stage} that can be used in this setting: to end the extra \
         support, take the pupil off the register"
    )]
    NoStageBelow { stage: Stage },
    #[error(
        "Only the local authority can place a pupil at {to}: choose to request a statutory \
         assessment instead"
    )]
    NeedsLocalAuthority { to: Stage },
    #[error(
        "Only the local authority can end a pupil's {stage}: record its decision as a stage \
         change"
    )]
    LocalAuthorityStage { stage: Stage },
}

impl ReviewError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            ReviewError::Move(e) => e.rule(),
            ReviewError::NotOnRegister => "not_on_register",
            ReviewError::NoStageAbove { .. } => "no_stage_above",
            ReviewError::NoStageBelow { .. } => "no_stage_below",
            ReviewError::NeedsLocalAuthority { .. } => "needs_local_authority",
            ReviewError::LocalAuthorityStage { .. } => "local_authority_stage",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let field = field.into();
        let p = |code| Problem::new(field.clone(), self.rule(), code);
        match self {
            ReviewError::Move(e) => e.problem(field.clone()),
            ReviewError::NotOnRegister => p("plans.decision_review_not_on_register"),
            ReviewError::NoStageAbove { stage } => {
                p("plans.decision_no_stage_above").with("stage", stage.label())
            }
            ReviewError::NoStageBelow { stage } => {
                p("plans.decision_no_stage_below").with("stage", stage.label())
            }
            ReviewError::NeedsLocalAuthority { to } => {
                p("plans.decision_needs_local_authority").with("to", to.label())
            }
            ReviewError::LocalAuthorityStage { stage } => {
                p("plans.decision_local_authority_stage").with("stage", stage.label())
            }
        }
    }
}

/// The setting whose stages suit `ctx` best: early years in an early-years setting,
/// otherwise school age (Reception may use either; the school-age stage is preferred).
fn preferred_setting(ctx: &MoveContext) -> Setting {
    if ctx.early_years_setting {
        Setting::EarlyYears
    } else {
        Setting::SchoolAge
    }
}

/// The stage a listed move of `kind` from `current` leads to, among those usable in `ctx`:
/// the nearest rung (lowest level up, highest level down), preferring the setting that
/// suits `ctx`.
fn next_rung(
    framework: &Framework,
    current: Stage,
    kind: MoveKind,
    ctx: &MoveContext,
) -> Option<Stage> {
    let def = framework.stage(current)?;
    let preferred = preferred_setting(ctx);
    def.moves
        .iter()
        .filter(|m| m.kind == kind)
        .filter_map(|m| framework.stage(m.to))
        .filter(|to| to.settings.iter().any(|s| ctx.allows(*s)))
        .min_by_key(|to| {
            let distance = match kind {
                MoveKind::Down => u8::MAX - to.level,
                _ => to.level,
            };
            (distance, !to.used_in(preferred))
        })
        .map(|to| to.stage)
}

/// The pupil's stage after a review of the plan at `current` decides `decision`, under
/// `framework`, in `ctx`: `Ok(None)` when the stage does not change (continuing, or a
/// request for statutory assessment), otherwise the new stage, which [`check_move`]
/// accepts. Up and down follow the framework's listed moves to the next rung usable in
/// the setting; off is [`Stage::NoSen`].
pub fn stage_after(
    framework: &Framework,
    current: Stage,
    decision: ReviewDecision,
    ctx: &MoveContext,
) -> Result<Option<Stage>, ReviewError> {
    let Some(def) = framework.stage(current) else {
        return Err(MoveError::StageNotInFramework {
            stage: current,
            framework: framework.key,
        }
        .into());
    };
    if def.plan.is_none() {
        return Err(ReviewError::NotOnRegister);
    }
    let maintained_by_la = LOCAL_AUTHORITY_STAGES.contains(&current);
    let to = match decision {
        ReviewDecision::ContinueSameStage | ReviewDecision::RequestStatutoryAssessment => {
            return Ok(None);
        }
        ReviewDecision::MoveUp => {
            let to = next_rung(framework, current, MoveKind::Up, ctx)
                .ok_or(ReviewError::NoStageAbove { stage: current })?;
            if LOCAL_AUTHORITY_STAGES.contains(&to) {
                return Err(ReviewError::NeedsLocalAuthority { to });
            }
            to
        }
        ReviewDecision::MoveDown | ReviewDecision::OffRegister if maintained_by_la => {
            return Err(ReviewError::LocalAuthorityStage { stage: current });
        }
        ReviewDecision::MoveDown => next_rung(framework, current, MoveKind::Down, ctx)
            .ok_or(ReviewError::NoStageBelow { stage: current })?,
        ReviewDecision::OffRegister => Stage::NoSen,
    };
    check_move(framework, Some(current), to, ctx)?;
    Ok(Some(to))
}

/// The most characters the parents' or the pupil's views may hold.
pub const MAX_VIEWS_CHARS: usize = 5_000;

/// Why views cannot be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ViewsError {
    #[error("Views must be {} characters or fewer", thousands(*max))]
    TooLong { max: usize },
}

impl ViewsError {
    /// The stable snake_case id of the rule, for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            ViewsError::TooLong { .. } => "too_long",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        match *self {
            ViewsError::TooLong { max } => {
                Problem::new(field, self.rule(), "views.too_long").with("max", max)
            }
        }
    }
}

/// Checks the parents' or the pupil's views: plain text, possibly empty, at most
/// [`MAX_VIEWS_CHARS`] characters once surrounding whitespace is trimmed.
pub fn check_views(text: &str) -> Result<(), ViewsError> {
    if text.trim().chars().count() > MAX_VIEWS_CHARS {
        return Err(ViewsError::TooLong {
            max: MAX_VIEWS_CHARS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{framework, frameworks};
    use crate::school::FrameworkKey;
    use proptest::prelude::*;

    use ReviewDecision::*;

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

    fn after(
        key: FrameworkKey,
        current: Stage,
        decision: ReviewDecision,
        ctx: &MoveContext,
    ) -> Result<Option<Stage>, ReviewError> {
        stage_after(framework(key), current, decision, ctx)
    }

    #[test]
    fn ids_round_trip() {
        for d in ReviewDecision::ALL {
            assert_eq!(ReviewDecision::parse(d.as_str()), Some(d));
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{}\"", d.as_str())
            );
            assert!(!d.label().is_empty());
        }
        assert_eq!(
            serde_json::from_str::<ReviewDecision>("\"request_statutory_assessment\"").unwrap(),
            RequestStatutoryAssessment
        );
    }

    #[test]
    fn code_2001_school_age() {
        for key in [FrameworkKey::England2001, FrameworkKey::Wales2002] {
            let sa = Stage::SchoolAction;
            let sap = Stage::SchoolActionPlus;
            assert_eq!(after(key, sa, ContinueSameStage, &SCHOOL), Ok(None));
            assert_eq!(after(key, sa, MoveUp, &SCHOOL), Ok(Some(sap)));
            assert_eq!(after(key, sap, MoveDown, &SCHOOL), Ok(Some(sa)));
            assert_eq!(after(key, sa, OffRegister, &SCHOOL), Ok(Some(Stage::NoSen)));
            assert_eq!(
                after(key, sap, OffRegister, &SCHOOL),
                Ok(Some(Stage::NoSen))
            );
            // Assessed while staying at School Action Plus.
            assert_eq!(
                after(key, sap, RequestStatutoryAssessment, &SCHOOL),
                Ok(None)
            );
            // A review cannot make a statement.
            let e = after(key, sap, MoveUp, &SCHOOL).unwrap_err();
            assert_eq!(
                e,
                ReviewError::NeedsLocalAuthority {
                    to: Stage::Statement
                }
            );
            assert_eq!(e.rule(), "needs_local_authority");
            assert_eq!(
                e.to_string(),
                "Only the local authority can place a pupil at Statement of SEN: choose to \
                 request a statutory assessment instead"
            );
            let e = after(key, sa, MoveDown, &SCHOOL).unwrap_err();
            assert_eq!(e, ReviewError::NoStageBelow { stage: sa });
            assert_eq!(e.rule(), "no_stage_below");
        }
    }

    #[test]
    fn code_2001_early_years() {
        let key = FrameworkKey::England2001;
        let eya = Stage::EarlyYearsAction;
        let eyap = Stage::EarlyYearsActionPlus;
        assert_eq!(after(key, eya, MoveUp, &NURSERY), Ok(Some(eyap)));
        assert_eq!(after(key, eyap, MoveDown, &NURSERY), Ok(Some(eya)));
        assert_eq!(after(key, eya, MoveUp, &RECEPTION), Ok(Some(eyap)));
        // Past school age the early-years ladder no longer applies.
        let e = after(key, eya, MoveUp, &SCHOOL).unwrap_err();
        assert_eq!(e, ReviewError::NoStageAbove { stage: eya });
        assert_eq!(
            e.to_string(),
            "There is no stage above Early Years Action that can be used in this setting"
        );
        assert_eq!(
            after(key, eya, OffRegister, &NURSERY),
            Ok(Some(Stage::NoSen))
        );
        assert_eq!(
            after(key, eyap, MoveUp, &NURSERY),
            Err(ReviewError::NeedsLocalAuthority {
                to: Stage::Statement
            })
        );
    }

    #[test]
    fn local_authority_stages() {
        for (key, stage) in [
            (FrameworkKey::England2001, Stage::Statement),
            (FrameworkKey::England2014, Stage::EhcPlan),
            (FrameworkKey::WalesAln2021, Stage::LaIdp),
        ] {
            assert_eq!(after(key, stage, ContinueSameStage, &SCHOOL), Ok(None));
            assert_eq!(
                after(key, stage, RequestStatutoryAssessment, &SCHOOL),
                Ok(None)
            );
            for d in [MoveDown, OffRegister] {
                let e = after(key, stage, d, &SCHOOL).unwrap_err();
                assert_eq!(e, ReviewError::LocalAuthorityStage { stage });
                assert_eq!(e.rule(), "local_authority_stage");
            }
            assert_eq!(
                after(key, stage, MoveUp, &SCHOOL),
                Err(ReviewError::NoStageAbove { stage })
            );
        }
        assert_eq!(
            ReviewError::LocalAuthorityStage {
                stage: Stage::EhcPlan
            }
            .to_string(),
            "Only the local authority can end a pupil's EHC plan: record its decision as a \
             stage change"
        );
    }

    #[test]
    fn england_2014_and_wales_aln() {
        let e = FrameworkKey::England2014;
        for ctx in [SCHOOL, NURSERY, RECEPTION] {
            assert_eq!(
                after(e, Stage::SenSupport, ContinueSameStage, &ctx),
                Ok(None)
            );
            assert_eq!(
                after(e, Stage::SenSupport, OffRegister, &ctx),
                Ok(Some(Stage::NoSen))
            );
            assert_eq!(
                after(e, Stage::SenSupport, MoveUp, &ctx),
                Err(ReviewError::NeedsLocalAuthority { to: Stage::EhcPlan })
            );
            assert_eq!(
                after(e, Stage::SenSupport, MoveDown, &ctx),
                Err(ReviewError::NoStageBelow {
                    stage: Stage::SenSupport
                })
            );
        }
        let w = FrameworkKey::WalesAln2021;
        assert_eq!(
            after(w, Stage::SchoolIdp, MoveUp, &SCHOOL),
            Err(ReviewError::NeedsLocalAuthority { to: Stage::LaIdp })
        );
        assert_eq!(
            after(w, Stage::SchoolIdp, RequestStatutoryAssessment, &SCHOOL),
            Ok(None)
        );
    }

    #[test]
    fn refusals_outside_the_register_or_framework() {
        let e = after(
            FrameworkKey::England2001,
            Stage::NoSen,
            ContinueSameStage,
            &SCHOOL,
        )
        .unwrap_err();
        assert_eq!(e, ReviewError::NotOnRegister);
        assert_eq!(e.rule(), "not_on_register");
        let e = after(
            FrameworkKey::England2014,
            Stage::SchoolAction,
            MoveUp,
            &SCHOOL,
        )
        .unwrap_err();
        assert_eq!(e.rule(), "stage_not_in_framework");
        assert_eq!(
            e.to_string(),
            "School Action is not a stage of the SEND Code of Practice 2014 (England)"
        );
    }

    #[test]
    fn views_length() {
        assert_eq!(check_views(""), Ok(()));
        assert_eq!(check_views(&"a".repeat(5_000)), Ok(()));
        assert_eq!(check_views(&format!("  {}\n", "ŵ".repeat(5_000))), Ok(()));
        let e = check_views(&"a".repeat(5_001)).unwrap_err();
        assert_eq!(e, ViewsError::TooLong { max: 5_000 });
        assert_eq!(e.rule(), "too_long");
        assert_eq!(e.to_string(), "Views must be 5,000 characters or fewer");
    }

    fn any_ctx() -> impl Strategy<Value = MoveContext> {
        (any::<bool>(), any::<bool>()).prop_map(|(e, b)| MoveContext {
            early_years_setting: e,
            below_compulsory_school_age: b,
        })
    }

    proptest! {
        #[test]
        fn every_stage_change_is_an_allowed_move(
            f in 0usize..4,
            stage in prop::sample::select(Stage::ALL.to_vec()),
            decision in prop::sample::select(ReviewDecision::ALL.to_vec()),
            ctx in any_ctx(),
        ) {
            let fw = frameworks()[f];
            match stage_after(fw, stage, decision, &ctx) {
                Ok(Some(to)) => {
                    prop_assert!(check_move(fw, Some(stage), to, &ctx).is_ok());
                    prop_assert!(!LOCAL_AUTHORITY_STAGES.contains(&to));
                    prop_assert!(!LOCAL_AUTHORITY_STAGES.contains(&stage));
                    let (from_level, to_level) =
                        (fw.stage(stage).map(|d| d.level), fw.stage(to).map(|d| d.level));
                    match decision {
                        MoveUp => prop_assert!(to_level > from_level),
                        MoveDown => prop_assert!(to_level < from_level && to_level > Some(0)),
                        OffRegister => prop_assert_eq!(to, Stage::NoSen),
                        _ => prop_assert!(false, "{:?} changed the stage", decision),
                    }
                }
                Ok(None) => prop_assert!(matches!(
                    decision,
                    ContinueSameStage | RequestStatutoryAssessment
                )),
                Err(e) => prop_assert!(!e.to_string().ends_with('.')),
            }
        }

        #[test]
        fn views_up_to_the_limit(n in 0usize..5_100) {
            prop_assert_eq!(check_views(&"x".repeat(n)).is_ok(), n <= MAX_VIEWS_CHARS);
        }
    }
}
