//! Codes of the other country in a transfer file (issue 17, point 8): a pupil moving
//! between England and Wales arrives with the codes of the country they left. The need
//! codes of England (REFERENCE.md §6.2) and the Welsh need categories (§4.7), and the
//! provision codes of each (§6.1, §4.7), are mapped both ways through the tables here.
//!
//! A pair is a constant only where REFERENCE.md supports it: the two lists name the same
//! category (MLD and "moderate learning difficulties"), or one replaced the other (SEN
//! support replaced School Action and Action Plus, §3.1; EHC plans replaced statements,
//! §3.4). Every other pair has no source and is a setting of [`CrossBorderSettings`] with
//! Senco's default, flagged unconfirmed until an operator sets it. A code with no sensible
//! counterpart (England's OTH and NSA) maps to nothing by default, and a file holding it is
//! refused ([`CrossBorderError::NoNeedMapping`]) until an operator chooses one.
//!
//! Rules return codes and values; the words are the caller's.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::census::{
    CodeError, CodeSettings, LegacyProvision, NeedCode, WALES_NEEDS, WalesNeed,
    import_legacy_provision, parse_need, parse_wales_need, read_transfer_code, transfer_code,
};
use crate::framework::Stage;
use crate::school::{Country, FrameworkKey};

/// A setting's value, flagged while it is Senco's default rather than an operator's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Configured<T> {
    pub value: T,
    /// The value is Senco's default, not confirmed from an official source.
    pub unconfirmed: bool,
}

impl<T> Configured<T> {
    const fn default_of(value: T) -> Configured<T> {
        Configured {
            value,
            unconfirmed: true,
        }
    }
}

/// A pair of a mapping table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair<T: 'static> {
    /// REFERENCE.md names the same category in both lists: a constant.
    Same(T),
    /// REFERENCE.md gives no source: a setting with this default (`None`: no counterpart,
    /// refused).
    Setting(Option<T>),
}

/// England's need codes to the Welsh categories, in census order (REFERENCE.md §6.2,
/// §4.7).
static ENGLAND_TO_WALES: [(NeedCode, Pair<WalesNeed>); 14] = {
    use NeedCode as E;
    use Pair::{Same, Setting};
    use WalesNeed as W;
    [
        // A specific learning difficulty: Wales counts dyslexia, dyscalculia and
        // dyspraxia apart; dyslexia is the commonest.
        (E::Spld, Setting(Some(W::Dyslexia))),
        (E::Mld, Same(W::ModerateLearningDifficulties)),
        (E::Sld, Same(W::SevereLearningDifficulties)),
        (E::Pmld, Same(W::ProfoundAndMultipleLearningDifficulties)),
        (E::Besd, Same(W::BehaviouralEmotionalAndSocialDifficulties)),
        // Not a direct replacement for BESD (REFERENCE.md §6.2), but Wales has no other.
        (
            E::Semh,
            Setting(Some(W::BehaviouralEmotionalAndSocialDifficulties)),
        ),
        // "Needs" in England, "difficulties" in Wales.
        (
            E::Slcn,
            Setting(Some(W::SpeechLanguageAndCommunicationDifficulties)),
        ),
        (E::Hi, Same(W::HearingImpairment)),
        (E::Vi, Same(W::VisualImpairment)),
        (E::Msi, Same(W::MultiSensoryImpairment)),
        // "Physical disability" in England; Wales adds medical difficulties.
        (E::Pd, Setting(Some(W::PhysicalAndMedicalDifficulties))),
        (E::Asd, Same(W::AutisticSpectrumDisorders)),
        // No Welsh category is "other", or "no specialist assessment".
        (E::Oth, Setting(None)),
        (E::Nsa, Setting(None)),
    ]
};

/// The Welsh categories to England's need codes, in StatsWales order.
static WALES_TO_ENGLAND: [(WalesNeed, Pair<NeedCode>); 15] = {
    use NeedCode as E;
    use Pair::{Same, Setting};
    use WalesNeed as W;
    [
        (W::ModerateLearningDifficulties, Same(E::Mld)),
        // No longer recorded in Wales (REFERENCE.md §4.5); England has no such code.
        (W::GeneralLearningDifficulties, Setting(Some(E::Mld))),
        (W::SevereLearningDifficulties, Same(E::Sld)),
        (W::ProfoundAndMultipleLearningDifficulties, Same(E::Pmld)),
        (W::Dyslexia, Setting(Some(E::Spld))),
        (W::Dyscalculia, Setting(Some(E::Spld))),
        (W::Dyspraxia, Setting(Some(E::Spld))),
        (W::Adhd, Setting(Some(E::Semh))),
        (W::AutisticSpectrumDisorders, Same(E::Asd)),
        (W::PhysicalAndMedicalDifficulties, Setting(Some(E::Pd))),
        (W::HearingImpairment, Same(E::Hi)),
        (W::VisualImpairment, Same(E::Vi)),
        (W::MultiSensoryImpairment, Same(E::Msi)),
        (
            W::SpeechLanguageAndCommunicationDifficulties,
            Setting(Some(E::Slcn)),
        ),
        (W::BehaviouralEmotionalAndSocialDifficulties, Same(E::Besd)),
    ]
};

/// The provision codes mapped by a setting (REFERENCE.md gives no source for them). Each
/// names the stages it may choose and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionSetting {
    /// England's K (SEN support) in Wales before the ALN system: School Action or School
    /// Action Plus (SEN support replaced both, REFERENCE.md §3.1). Default School Action.
    KBeforeAln,
    /// K in Wales from the ALN system: a school- or an authority-maintained IDP. Default
    /// school-maintained.
    KUnderAln,
    /// England's E (EHC plan) in Wales from the ALN system. Default authority-maintained.
    EUnderAln,
    /// A Welsh school-maintained IDP in England: SEN support or an EHC plan. Default SEN
    /// support.
    SchoolIdp,
    /// A Welsh authority-maintained IDP in England. Default an EHC plan.
    LaIdp,
}

impl ProvisionSetting {
    pub const ALL: [ProvisionSetting; 5] = [
        ProvisionSetting::KBeforeAln,
        ProvisionSetting::KUnderAln,
        ProvisionSetting::EUnderAln,
        ProvisionSetting::SchoolIdp,
        ProvisionSetting::LaIdp,
    ];

    /// The settings key: `census.provision_map.k_before_aln`.
    pub fn key(self) -> &'static str {
        match self {
            ProvisionSetting::KBeforeAln => "census.provision_map.k_before_aln",
            ProvisionSetting::KUnderAln => "census.provision_map.k_under_aln",
            ProvisionSetting::EUnderAln => "census.provision_map.e_under_aln",
            ProvisionSetting::SchoolIdp => "census.provision_map.school_idp",
            ProvisionSetting::LaIdp => "census.provision_map.la_idp",
        }
    }

    /// The stages it may choose (the first is the default) and their framework.
    pub fn choices(self) -> (FrameworkKey, &'static [Stage]) {
        match self {
            ProvisionSetting::KBeforeAln => (
                FrameworkKey::Wales2002,
                &[Stage::SchoolAction, Stage::SchoolActionPlus],
            ),
            ProvisionSetting::KUnderAln => (
                FrameworkKey::WalesAln2021,
                &[Stage::SchoolIdp, Stage::LaIdp],
            ),
            ProvisionSetting::EUnderAln => (
                FrameworkKey::WalesAln2021,
                &[Stage::LaIdp, Stage::SchoolIdp],
            ),
            ProvisionSetting::SchoolIdp => (
                FrameworkKey::England2014,
                &[Stage::SenSupport, Stage::EhcPlan],
            ),
            ProvisionSetting::LaIdp => (
                FrameworkKey::England2014,
                &[Stage::EhcPlan, Stage::SenSupport],
            ),
        }
    }
}

/// The pairs REFERENCE.md gives no source for, as settings. `Default` gives Senco's
/// defaults, flagged unconfirmed; a row missing from a list uses its table default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossBorderSettings {
    /// England need codes without a same-named Welsh category: the Welsh one each maps to
    /// (`None`: refused).
    pub england_needs: Vec<(NeedCode, Configured<Option<WalesNeed>>)>,
    /// Welsh categories without a same-named England code.
    pub wales_needs: Vec<(WalesNeed, Configured<Option<NeedCode>>)>,
    /// A Welsh category mapped to BESD or SEMH takes the one England's census used on the
    /// need's date (BESD until `besd_until`, SEMH after). REFERENCE.md says SEMH is not a
    /// direct replacement for BESD, so this is a setting. Default yes.
    pub besd_semh_by_date: Configured<bool>,
    /// The provision codes' stages.
    pub provision: Vec<(ProvisionSetting, Configured<Stage>)>,
}

impl Default for CrossBorderSettings {
    fn default() -> Self {
        CrossBorderSettings {
            england_needs: ENGLAND_TO_WALES
                .iter()
                .filter_map(|(n, p)| match p {
                    Pair::Setting(d) => Some((*n, Configured::default_of(*d))),
                    Pair::Same(_) => None,
                })
                .collect(),
            wales_needs: WALES_TO_ENGLAND
                .iter()
                .filter_map(|(n, p)| match p {
                    Pair::Setting(d) => Some((*n, Configured::default_of(*d))),
                    Pair::Same(_) => None,
                })
                .collect(),
            besd_semh_by_date: Configured::default_of(true),
            provision: ProvisionSetting::ALL
                .into_iter()
                .map(|p| (p, Configured::default_of(p.choices().1[0])))
                .collect(),
        }
    }
}

/// The settings key of the BESD/SEMH date rule.
pub const BESD_SEMH_BY_DATE: &str = "census.need_map.besd_semh_by_date";

/// The settings key of an England need code's Welsh category:
/// `census.need_map.england.spld`.
pub fn england_need_setting(need: NeedCode) -> String {
    format!(
        "census.need_map.england.{}",
        need.code().to_ascii_lowercase()
    )
}

/// The settings key of a Welsh category's England code: `census.need_map.wales.` and its
/// default short code in lower case (`census.need_map.wales.dysl`).
pub fn wales_need_setting(need: WalesNeed) -> String {
    format!(
        "census.need_map.wales.{}",
        need.def().default_code.to_ascii_lowercase()
    )
}

/// A setting of this module, with the values it takes (the first listed is the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingInfo {
    pub key: String,
    /// The values it may take.
    pub choices: Vec<String>,
    pub default: String,
}

const NONE: &str = "none";

fn wales_value(n: Option<WalesNeed>) -> String {
    n.map_or(NONE, WalesNeed::key).to_owned()
}

fn england_value(n: Option<NeedCode>) -> String {
    n.map_or(NONE, NeedCode::code).to_owned()
}

/// Every setting of this module, for listing and checking.
pub fn settings() -> Vec<SettingInfo> {
    let d = CrossBorderSettings::default();
    let mut out = Vec::new();
    for (need, c) in &d.england_needs {
        out.push(SettingInfo {
            key: england_need_setting(*need),
            choices: WALES_NEEDS
                .iter()
                .map(|w| w.need.key().to_owned())
                .chain([NONE.to_owned()])
                .collect(),
            default: wales_value(c.value),
        });
    }
    for (need, c) in &d.wales_needs {
        out.push(SettingInfo {
            key: wales_need_setting(*need),
            choices: NeedCode::ALL
                .iter()
                .map(|n| n.code().to_owned())
                .chain([NONE.to_owned()])
                .collect(),
            default: england_value(c.value),
        });
    }
    out.push(SettingInfo {
        key: BESD_SEMH_BY_DATE.to_owned(),
        choices: vec!["yes".into(), "no".into()],
        default: "yes".into(),
    });
    for p in ProvisionSetting::ALL {
        let stages = p.choices().1;
        out.push(SettingInfo {
            key: p.key().to_owned(),
            choices: stages.iter().map(|s| s.as_str().to_owned()).collect(),
            default: stages[0].as_str().to_owned(),
        });
    }
    out
}

/// Why a setting's value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingError {
    /// Not a key of this module.
    UnknownKey,
    /// Not one of the key's choices ([`settings`]).
    NotAChoice,
}

/// Sets `key` to `value` (trimmed, any case) as an operator's choice, and returns the value
/// as stored.
pub fn set(s: &mut CrossBorderSettings, key: &str, value: &str) -> Result<String, SettingError> {
    let value = value.trim();
    let info = settings()
        .into_iter()
        .find(|i| i.key == key)
        .ok_or(SettingError::UnknownKey)?;
    let stored = info
        .choices
        .iter()
        .find(|c| c.eq_ignore_ascii_case(value))
        .ok_or(SettingError::NotAChoice)?
        .clone();
    fn chosen<T>(value: T) -> Configured<T> {
        Configured {
            value,
            unconfirmed: false,
        }
    }
    if key == BESD_SEMH_BY_DATE {
        s.besd_semh_by_date = chosen(stored == "yes");
    } else if let Some((_, c)) = s
        .england_needs
        .iter_mut()
        .find(|(n, _)| england_need_setting(*n) == key)
    {
        *c = chosen(WalesNeed::parse_key(&stored));
    } else if let Some((_, c)) = s
        .wales_needs
        .iter_mut()
        .find(|(n, _)| wales_need_setting(*n) == key)
    {
        *c = chosen(parse_need(&stored).ok().map(|(n, _)| n));
    } else if let Some((_, c)) = s.provision.iter_mut().find(|(p, _)| p.key() == key) {
        *c = chosen(Stage::parse(&stored).ok_or(SettingError::NotAChoice)?);
    } else {
        return Err(SettingError::UnknownKey);
    }
    Ok(stored)
}

fn england_pair(need: NeedCode) -> Pair<WalesNeed> {
    ENGLAND_TO_WALES
        .iter()
        .find(|(n, _)| *n == need)
        .map_or(Pair::Setting(None), |(_, p)| *p)
}

fn wales_pair(need: WalesNeed) -> Pair<NeedCode> {
    WALES_TO_ENGLAND
        .iter()
        .find(|(n, _)| *n == need)
        .map_or(Pair::Setting(None), |(_, p)| *p)
}

fn provision_setting(p: ProvisionSetting, s: &CrossBorderSettings) -> Configured<Stage> {
    s.provision
        .iter()
        .find(|(k, _)| *k == p)
        .map(|(_, c)| *c)
        .unwrap_or_else(|| Configured::default_of(p.choices().1[0]))
}

/// How a mapping was decided.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Decided {
    /// The setting that decided it; `None` where REFERENCE.md supports the pair.
    pub setting: Option<String>,
    /// The setting's value is Senco's default, not confirmed.
    pub unconfirmed: bool,
}

impl Decided {
    const REFERENCE: Decided = Decided {
        setting: None,
        unconfirmed: false,
    };

    fn by<T>(key: String, c: &Configured<T>) -> Decided {
        Decided {
            setting: Some(key),
            unconfirmed: c.unconfirmed,
        }
    }
}

/// Why a code of the other country cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrossBorderError {
    /// The code is not valid in its own country on its date (the dated table's reason).
    Code(CodeError),
    /// The code has no counterpart in `to`'s list; `setting` may give it one.
    NoNeedMapping {
        code: String,
        to: Country,
        setting: String,
    },
}

impl CrossBorderError {
    /// The stable snake_case id of the rule.
    pub fn rule(&self) -> &'static str {
        match self {
            CrossBorderError::Code(e) => e.rule(),
            CrossBorderError::NoNeedMapping { .. } => "no_need_mapping",
        }
    }
}

impl From<CodeError> for CrossBorderError {
    fn from(e: CodeError) -> Self {
        CrossBorderError::Code(e)
    }
}

// ---------------------------------------------------------------------------------------
// Needs
// ---------------------------------------------------------------------------------------

/// The Welsh category an England need code maps to.
pub fn need_to_wales(
    need: NeedCode,
    s: &CodeSettings,
) -> Result<(WalesNeed, Decided), CrossBorderError> {
    let setting = england_need_setting(need);
    match england_pair(need) {
        Pair::Same(w) => Ok((w, Decided::REFERENCE)),
        Pair::Setting(default) => {
            let c = s
                .cross_border
                .england_needs
                .iter()
                .find(|(n, _)| *n == need)
                .map(|(_, c)| *c)
                .unwrap_or_else(|| Configured::default_of(default));
            match c.value {
                Some(w) => Ok((w, Decided::by(setting, &c))),
                None => Err(CrossBorderError::NoNeedMapping {
                    code: need.code().to_owned(),
                    to: Country::Wales,
                    setting,
                }),
            }
        }
    }
}

/// The England need code a Welsh category maps to on `on` (the need's first day): BESD and
/// SEMH follow the census's dates when [`CrossBorderSettings::besd_semh_by_date`] says so.
pub fn need_to_england(
    need: WalesNeed,
    on: Date,
    s: &CodeSettings,
) -> Result<(NeedCode, Decided), CrossBorderError> {
    let setting = wales_need_setting(need);
    let (code, decided) = match wales_pair(need) {
        Pair::Same(e) => (e, Decided::REFERENCE),
        Pair::Setting(default) => {
            let c = s
                .cross_border
                .wales_needs
                .iter()
                .find(|(n, _)| *n == need)
                .map(|(_, c)| *c)
                .unwrap_or_else(|| Configured::default_of(default));
            match c.value {
                Some(e) => (e, Decided::by(setting, &c)),
                None => {
                    return Err(CrossBorderError::NoNeedMapping {
                        code: need.def().default_code.to_owned(),
                        to: Country::England,
                        setting,
                    });
                }
            }
        }
    };
    let by_date = s.cross_border.besd_semh_by_date;
    let dated = match code {
        NeedCode::Besd if on > s.besd_until => NeedCode::Semh,
        NeedCode::Semh if on <= s.besd_until => NeedCode::Besd,
        other => other,
    };
    if by_date.value && dated != code {
        // The date rule decided it, together with the pair.
        let decided = Decided {
            setting: Some(BESD_SEMH_BY_DATE.to_owned()),
            unconfirmed: by_date.unconfirmed || decided.unconfirmed,
        };
        return Ok((dated, decided));
    }
    Ok((code, decided))
}

/// A need code read from a transfer file, as one of the school's country's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadNeed {
    England(NeedCode),
    Wales(WalesNeed),
}

/// What a need code read from a transfer file stands for at a school in `country`, with
/// the mapping when it was the other country's: the code `from` as the file's list names it
/// and how the pair was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedRead {
    pub need: ReadNeed,
    /// `None` when the code is one of the school's own country's.
    pub mapped: Option<(String, Decided)>,
}

/// Reads a need code (trimmed, any case) of a transfer file at a school in `country`, on
/// `on`. The file's country's list is tried first (`file_country`, when the header names a
/// school; else the school's own), then the other; a code of the other country is mapped
/// to the school's. An unknown code is the school's own list's error.
pub fn read_need(
    country: Country,
    file_country: Option<Country>,
    code: &str,
    on: Date,
    s: &CodeSettings,
) -> Result<NeedRead, CrossBorderError> {
    let first = file_country.unwrap_or(country);
    let other = match first {
        Country::England => Country::Wales,
        Country::Wales => Country::England,
    };
    let parse = |list: Country| match list {
        Country::England => parse_need(code).map(|(n, _)| ReadNeed::England(n)),
        Country::Wales => parse_wales_need(code, s).map(ReadNeed::Wales),
    };
    let (list, need) = match parse(first) {
        Ok(n) => (first, n),
        Err(e) => match parse(other) {
            Ok(n) => (other, n),
            Err(own) => return Err(if first == country { e } else { own }.into()),
        },
    };
    if list == country {
        return Ok(NeedRead { need, mapped: None });
    }
    let from = code.trim().to_ascii_uppercase();
    match need {
        ReadNeed::England(n) => need_to_wales(n, s).map(|(w, d)| NeedRead {
            need: ReadNeed::Wales(w),
            mapped: Some((from, d)),
        }),
        ReadNeed::Wales(w) => need_to_england(w, on, s).map(|(e, d)| NeedRead {
            need: ReadNeed::England(e),
            mapped: Some((from, d)),
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Provision codes
// ---------------------------------------------------------------------------------------

/// A provision code of the other country, mapped: `from` as the file has it (canonical),
/// `to` the code of the school's country that stands for it on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionMapping {
    pub from: String,
    pub to: String,
    pub decided: Decided,
}

/// The country whose law a school with local authority number `la` follows, from census
/// rule 1530's list (REFERENCE.md §6.0): 660 to 681 are Wales, the other recognised codes
/// England. `None` for anything else (`MMM`, an empty header).
pub fn country_of_la(la: &str) -> Option<Country> {
    let la = la.trim();
    if la.len() != 3 || !la.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u16 = la.parse().ok()?;
    if (660..=681).contains(&n) {
        Some(Country::Wales)
    } else if crate::upn::la_code_recognised(n) {
        Some(Country::England)
    } else {
        None
    }
}

/// Maps a provision code of a transfer file read at a school in `country` on `on` when it
/// is the other country's; `None` when the school's dated table reads it as it is.
///
/// In Wales, England's K and E (valid in England on the date): before the ALN system
/// (`wales_idp_from`) E is a statement (EHC plans replaced statements, REFERENCE.md §3.4)
/// and K the stage of [`ProvisionSetting::KBeforeAln`]; from it, the IDPs of
/// [`ProvisionSetting::KUnderAln`] and [`ProvisionSetting::EUnderAln`].
///
/// In England, a Welsh IDP code (valid in Wales on the date) is the stage of
/// [`ProvisionSetting::SchoolIdp`] or [`ProvisionSetting::LaIdp`]; and in a file from a Welsh
/// school (`file_country`), A, P (Q) and S after England's letters ended but while Wales
/// still used them are K (SEN support replaced School Action and Action Plus, §3.1) and E.
pub fn map_provision(
    country: Country,
    file_country: Option<Country>,
    code: &str,
    on: Date,
    early_years: bool,
    s: &CodeSettings,
) -> Option<Result<ProvisionMapping, CrossBorderError>> {
    let trimmed = code.trim();
    let legacy = import_legacy_provision(trimmed).map(|(p, _)| p);
    let is_welsh_idp = [&s.wales_school_idp.code, &s.wales_la_idp.code]
        .iter()
        .position(|c| c.eq_ignore_ascii_case(trimmed));
    let valid_in = |c: Country| read_transfer_code(c, None, trimmed, on, early_years, s);
    let to_code = |framework: FrameworkKey, stage: Stage| transfer_code(framework, stage, on, s);
    let mapped = |from: String, to: Result<String, CodeError>, decided: Decided| {
        Some(
            to.map(|to| ProvisionMapping { from, to, decided })
                .map_err(CrossBorderError::from),
        )
    };
    let by_setting = |p: ProvisionSetting| {
        let c = provision_setting(p, &s.cross_border);
        (p.choices().0, c.value, Decided::by(p.key().to_owned(), &c))
    };
    match country {
        Country::Wales => {
            let english = matches!(
                legacy,
                Some(LegacyProvision::SenSupport | LegacyProvision::EhcPlan)
            );
            if !english || is_welsh_idp.is_some() {
                return None;
            }
            let from = legacy?.code().to_owned();
            if let Err(e) = valid_in(Country::England) {
                return Some(Err(e.into()));
            }
            let aln = on >= s.wales_idp_from;
            let (framework, stage, decided) = match (legacy?, aln) {
                (LegacyProvision::EhcPlan, false) => (
                    FrameworkKey::Wales2002,
                    Stage::Statement,
                    Decided::REFERENCE,
                ),
                (LegacyProvision::EhcPlan, true) => by_setting(ProvisionSetting::EUnderAln),
                (_, false) => by_setting(ProvisionSetting::KBeforeAln),
                (_, true) => by_setting(ProvisionSetting::KUnderAln),
            };
            mapped(from, to_code(framework, stage), decided)
        }
        Country::England => {
            if legacy.is_none()
                && let Some(i) = is_welsh_idp
            {
                if let Err(e) = valid_in(Country::Wales) {
                    return Some(Err(e.into()));
                }
                let from = if i == 0 {
                    s.wales_school_idp.code.clone()
                } else {
                    s.wales_la_idp.code.clone()
                };
                let p = if i == 0 {
                    ProvisionSetting::SchoolIdp
                } else {
                    ProvisionSetting::LaIdp
                };
                let (framework, stage, decided) = by_setting(p);
                return mapped(from, to_code(framework, stage), decided);
            }
            let welsh_letter = matches!(
                legacy,
                Some(
                    LegacyProvision::Action
                        | LegacyProvision::ActionPlus
                        | LegacyProvision::Statement
                )
            );
            if file_country != Some(Country::Wales)
                || !welsh_letter
                || valid_in(Country::England).is_ok()
            {
                return None;
            }
            if let Err(e) = valid_in(Country::Wales) {
                return Some(Err(e.into()));
            }
            let stage = if legacy == Some(LegacyProvision::Statement) {
                Stage::EhcPlan
            } else {
                Stage::SenSupport
            };
            mapped(
                trimmed.to_ascii_uppercase(),
                to_code(FrameworkKey::England2014, stage),
                Decided::REFERENCE,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn defaults() -> CodeSettings {
        CodeSettings::default()
    }

    /// Who decides a row: REFERENCE.md (a constant), the row's own setting, or the
    /// BESD/SEMH date rule.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum By {
        Reference,
        Own,
        DateRule,
    }

    fn check_decided(d: &Decided, by: By, own_key: String) {
        match by {
            By::Reference => assert_eq!(d, &Decided::REFERENCE),
            By::Own => assert_eq!(
                d,
                &Decided {
                    setting: Some(own_key),
                    unconfirmed: true
                }
            ),
            By::DateRule => assert_eq!(
                d,
                &Decided {
                    setting: Some(BESD_SEMH_BY_DATE.to_owned()),
                    unconfirmed: true
                }
            ),
        }
    }

    /// One test per row of England's need codes to Wales: the Welsh category (or none:
    /// refused) and who decides it.
    macro_rules! england_rows {
        ($($name:ident: $need:ident => $to:expr, $by:ident;)*) => {
            mod england_to_wales {
                use super::*;
                $(
                    #[test]
                    fn $name() {
                        let s = defaults();
                        let key = england_need_setting(NeedCode::$need);
                        let want: Option<WalesNeed> = $to;
                        let got = need_to_wales(NeedCode::$need, &s);
                        match want {
                            Some(w) => {
                                let (n, d) = got.unwrap();
                                assert_eq!(n, w);
                                check_decided(&d, By::$by, key);
                            }
                            None => {
                                assert_eq!(By::$by, By::Own);
                                let e = got.unwrap_err();
                                assert_eq!(e.rule(), "no_need_mapping");
                                assert_eq!(
                                    e,
                                    CrossBorderError::NoNeedMapping {
                                        code: NeedCode::$need.code().to_owned(),
                                        to: Country::Wales,
                                        setting: key,
                                    }
                                );
                            }
                        }
                    }
                )*
                #[test]
                fn every_code_has_a_row() {
                    let named = [$(NeedCode::$need),*];
                    assert_eq!(named.to_vec(), NeedCode::ALL.to_vec());
                    assert_eq!(ENGLAND_TO_WALES.map(|(n, _)| n).to_vec(), NeedCode::ALL.to_vec());
                }
            }
        };
    }

    england_rows! {
        spld: Spld => Some(WalesNeed::Dyslexia), Own;
        mld: Mld => Some(WalesNeed::ModerateLearningDifficulties), Reference;
        sld: Sld => Some(WalesNeed::SevereLearningDifficulties), Reference;
        pmld: Pmld => Some(WalesNeed::ProfoundAndMultipleLearningDifficulties), Reference;
        besd: Besd => Some(WalesNeed::BehaviouralEmotionalAndSocialDifficulties), Reference;
        semh: Semh => Some(WalesNeed::BehaviouralEmotionalAndSocialDifficulties), Own;
        slcn: Slcn => Some(WalesNeed::SpeechLanguageAndCommunicationDifficulties), Own;
        hi: Hi => Some(WalesNeed::HearingImpairment), Reference;
        vi: Vi => Some(WalesNeed::VisualImpairment), Reference;
        msi: Msi => Some(WalesNeed::MultiSensoryImpairment), Reference;
        pd: Pd => Some(WalesNeed::PhysicalAndMedicalDifficulties), Own;
        asd: Asd => Some(WalesNeed::AutisticSpectrumDisorders), Reference;
        oth: Oth => None, Own;
        nsa: Nsa => None, Own;
    }

    /// One test per row of the Welsh categories to England, on a date after SEMH began.
    macro_rules! wales_rows {
        ($($name:ident: $need:ident => $to:ident, $by:ident;)*) => {
            mod wales_to_england {
                use super::*;
                $(
                    #[test]
                    fn $name() {
                        let s = defaults();
                        let (n, d) =
                            need_to_england(WalesNeed::$need, date!(2020 - 01 - 16), &s).unwrap();
                        assert_eq!(n, NeedCode::$to);
                        check_decided(&d, By::$by, wales_need_setting(WalesNeed::$need));
                    }
                )*
                #[test]
                fn every_category_has_a_row() {
                    let named = [$(WalesNeed::$need),*];
                    let all: Vec<WalesNeed> = WALES_NEEDS.iter().map(|d| d.need).collect();
                    assert_eq!(named.to_vec(), all);
                    assert_eq!(WALES_TO_ENGLAND.map(|(n, _)| n).to_vec(), all);
                }
            }
        };
    }

    wales_rows! {
        mld: ModerateLearningDifficulties => Mld, Reference;
        gld: GeneralLearningDifficulties => Mld, Own;
        sld: SevereLearningDifficulties => Sld, Reference;
        pmld: ProfoundAndMultipleLearningDifficulties => Pmld, Reference;
        dysl: Dyslexia => Spld, Own;
        dysc: Dyscalculia => Spld, Own;
        dysp: Dyspraxia => Spld, Own;
        adhd: Adhd => Semh, Own;
        asd: AutisticSpectrumDisorders => Asd, Reference;
        pmed: PhysicalAndMedicalDifficulties => Pd, Own;
        hi: HearingImpairment => Hi, Reference;
        vi: VisualImpairment => Vi, Reference;
        msi: MultiSensoryImpairment => Msi, Reference;
        slcd: SpeechLanguageAndCommunicationDifficulties => Slcn, Own;
        // BESD ended in England in 2014: SEMH, by the date rule.
        besd: BehaviouralEmotionalAndSocialDifficulties => Semh, DateRule;
    }

    #[test]
    fn besd_and_semh_follow_the_census_dates() {
        let s = defaults();
        let besd = WalesNeed::BehaviouralEmotionalAndSocialDifficulties;
        // Before SEMH: the same-named BESD, decided by the reference alone.
        assert_eq!(
            need_to_england(besd, date!(2014 - 08 - 31), &s).unwrap(),
            (NeedCode::Besd, Decided::REFERENCE)
        );
        // After: SEMH, by the date rule (a setting, unconfirmed).
        let (n, d) = need_to_england(besd, date!(2014 - 09 - 01), &s).unwrap();
        assert_eq!(n, NeedCode::Semh);
        assert_eq!(d.setting.as_deref(), Some(BESD_SEMH_BY_DATE));
        assert!(d.unconfirmed);
        // ADHD, mapped to SEMH, is BESD before it.
        assert_eq!(
            need_to_england(WalesNeed::Adhd, date!(2010 - 01 - 21), &s)
                .unwrap()
                .0,
            NeedCode::Besd
        );
        // Switched off: the pair as it is (the dated check then refuses it).
        let mut off = defaults();
        set(&mut off.cross_border, BESD_SEMH_BY_DATE, "no").unwrap();
        assert_eq!(
            need_to_england(besd, date!(2020 - 01 - 16), &off).unwrap(),
            (NeedCode::Besd, Decided::REFERENCE)
        );
    }

    #[test]
    fn settings_change_the_pairs_and_confirm_them() {
        let mut s = defaults();
        assert_eq!(
            set(
                &mut s.cross_border,
                "census.need_map.england.oth",
                " General_Learning_Difficulties "
            ),
            Ok("general_learning_difficulties".to_owned())
        );
        assert_eq!(
            need_to_wales(NeedCode::Oth, &s).unwrap(),
            (
                WalesNeed::GeneralLearningDifficulties,
                Decided {
                    setting: Some("census.need_map.england.oth".into()),
                    unconfirmed: false
                }
            )
        );
        set(&mut s.cross_border, "census.need_map.england.spld", "none").unwrap();
        assert_eq!(
            need_to_wales(NeedCode::Spld, &s).unwrap_err().rule(),
            "no_need_mapping"
        );
        set(&mut s.cross_border, "census.need_map.wales.dysp", "pd").unwrap();
        assert_eq!(
            need_to_england(WalesNeed::Dyspraxia, date!(2020 - 01 - 16), &s)
                .unwrap()
                .0,
            NeedCode::Pd
        );
        set(&mut s.cross_border, "census.need_map.wales.gld", "NONE").unwrap();
        assert_eq!(
            need_to_england(
                WalesNeed::GeneralLearningDifficulties,
                date!(2020 - 01 - 16),
                &s
            ),
            Err(CrossBorderError::NoNeedMapping {
                code: "GLD".into(),
                to: Country::England,
                setting: "census.need_map.wales.gld".into()
            })
        );
        set(
            &mut s.cross_border,
            "census.provision_map.k_before_aln",
            "school_action_plus",
        )
        .unwrap();
        assert_eq!(
            provision_setting(ProvisionSetting::KBeforeAln, &s.cross_border),
            Configured {
                value: Stage::SchoolActionPlus,
                unconfirmed: false
            }
        );
        // Only the listed choices, only known keys; same-named pairs are no settings.
        let mut t = defaults();
        assert_eq!(
            set(
                &mut t.cross_border,
                "census.provision_map.k_before_aln",
                "statement"
            ),
            Err(SettingError::NotAChoice)
        );
        assert_eq!(
            set(
                &mut t.cross_border,
                "census.need_map.england.mld",
                "dyslexia"
            ),
            Err(SettingError::UnknownKey)
        );
        assert_eq!(
            set(
                &mut t.cross_border,
                "census.need_map.england.spld",
                "dyslexic"
            ),
            Err(SettingError::NotAChoice)
        );
        assert_eq!(t, defaults());
    }

    #[test]
    fn every_setting_is_listed_with_its_default() {
        let all = settings();
        // Six England codes, seven Welsh categories, the date rule, five provision codes.
        assert_eq!(all.len(), 6 + 7 + 1 + 5);
        for i in &all {
            assert!(i.choices.contains(&i.default), "{}", i.key);
            let mut s = defaults();
            assert_eq!(
                set(&mut s.cross_border, &i.key, &i.default),
                Ok(i.default.clone())
            );
            // Setting the default changes only the flag.
            assert_ne!(s, defaults(), "{}", i.key);
        }
        let keys: Vec<&str> = all.iter().map(|i| i.key.as_str()).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "duplicate {k}");
            assert!(k.starts_with("census."), "{k}");
        }
    }

    #[test]
    fn read_need_tries_the_files_list_first_then_maps() {
        let s = defaults();
        let on = date!(2020 - 01 - 16);
        use Country::{England as ENG, Wales as WAL};
        // A Welsh school, a file of unknown origin: Welsh codes are its own.
        assert_eq!(
            read_need(WAL, None, "dysl", on, &s).unwrap(),
            NeedRead {
                need: ReadNeed::Wales(WalesNeed::Dyslexia),
                mapped: None
            }
        );
        // England's SPLD and the alias SCD are mapped, named as the file has them.
        let r = read_need(WAL, None, " spld ", on, &s).unwrap();
        assert_eq!(r.need, ReadNeed::Wales(WalesNeed::Dyslexia));
        assert_eq!(r.mapped.unwrap().0, "SPLD");
        let r = read_need(WAL, None, "SCD", on, &s).unwrap();
        assert_eq!(
            r.need,
            ReadNeed::Wales(WalesNeed::SpeechLanguageAndCommunicationDifficulties)
        );
        assert_eq!(r.mapped.unwrap().0, "SCD");
        // MLD is in both lists: read as the file's country's, then mapped by name.
        assert_eq!(read_need(WAL, None, "MLD", on, &s).unwrap().mapped, None);
        let r = read_need(WAL, Some(ENG), "MLD", on, &s).unwrap();
        assert_eq!(
            r,
            NeedRead {
                need: ReadNeed::Wales(WalesNeed::ModerateLearningDifficulties),
                mapped: Some(("MLD".into(), Decided::REFERENCE))
            }
        );
        // An English school: Welsh categories are mapped.
        let r = read_need(ENG, None, "ADHD", on, &s).unwrap();
        assert_eq!(r.need, ReadNeed::England(NeedCode::Semh));
        assert_eq!(read_need(ENG, None, "ASD", on, &s).unwrap().mapped, None);
        // Unknown in both lists: the school's own list's error.
        let e = read_need(ENG, Some(WAL), "XYZ", on, &s).unwrap_err();
        assert_eq!(
            e,
            CrossBorderError::Code(CodeError::UnknownNeed { code: "XYZ".into() })
        );
        // No counterpart: refused with the setting to set.
        assert_eq!(
            read_need(WAL, Some(ENG), "NSA", on, &s).unwrap_err().rule(),
            "no_need_mapping"
        );
    }

    /// One test per row of the provision codes across the border: the school's country,
    /// the file's, the code, the date and early years, and what it maps to.
    macro_rules! provision_rows {
        ($($name:ident: $country:ident, $file:expr, $code:literal, $on:expr, $ey:expr
            => $to:expr, $setting:expr;)*) => {
            mod provision_across {
                use super::*;
                $(
                    #[test]
                    fn $name() {
                        let s = defaults();
                        let got = map_provision(Country::$country, $file, $code, $on, $ey, &s);
                        let want: Option<&str> = $to;
                        let setting: Option<ProvisionSetting> = $setting;
                        match (got, want) {
                            (None, None) => {}
                            (Some(Ok(m)), Some(to)) => {
                                assert_eq!(m.from, $code.trim().to_ascii_uppercase());
                                assert_eq!(m.to, to);
                                assert_eq!(m.decided.setting.as_deref(), setting.map(|p| p.key()));
                                assert_eq!(m.decided.unconfirmed, setting.is_some());
                            }
                            (got, want) => panic!("{got:?}, wanted {want:?}"),
                        }
                    }
                )*
            }
        };
    }

    provision_rows! {
        // Wales, before the ALN system: K by the setting (School Action), E a statement.
        k_in_wales_2016: Wales, None, "K", date!(2016 - 09 - 05), false
            => Some("A"), Some(ProvisionSetting::KBeforeAln);
        k_in_wales_early_years: Wales, None, "k", date!(2016 - 09 - 05), true
            => Some("A"), Some(ProvisionSetting::KBeforeAln);
        e_in_wales_2019: Wales, Some(Country::England), "E", date!(2019 - 01 - 07), false
            => Some("S"), None;
        // From it: the IDPs, by the settings.
        k_in_wales_2022: Wales, None, "K", date!(2022 - 01 - 10), false
            => Some("SIDP"), Some(ProvisionSetting::KUnderAln);
        e_in_wales_2022: Wales, None, "E", date!(2022 - 01 - 10), false
            => Some("LIDP"), Some(ProvisionSetting::EUnderAln);
        // Wales's own codes are read as they are.
        n_in_wales: Wales, Some(Country::England), "N", date!(2022 - 01 - 10), false
            => None, None;
        a_in_wales: Wales, Some(Country::England), "A", date!(2012 - 01 - 10), false
            => None, None;
        sidp_in_wales: Wales, None, "SIDP", date!(2022 - 01 - 10), false
            => None, None;
        // England: the Welsh IDPs, by the settings.
        sidp_in_england: England, None, "sidp", date!(2022 - 01 - 10), false
            => Some("K"), Some(ProvisionSetting::SchoolIdp);
        lidp_in_england: England, Some(Country::Wales), "LIDP", date!(2022 - 01 - 10), false
            => Some("E"), Some(ProvisionSetting::LaIdp);
        // A Welsh file's letters after England's ended: K and E.
        welsh_a_in_england_2016: England, Some(Country::Wales), "A", date!(2016 - 09 - 05), false
            => Some("K"), None;
        welsh_q_in_england_2016: England, Some(Country::Wales), "Q", date!(2016 - 09 - 05), false
            => Some("K"), None;
        welsh_p_in_england_2020: England, Some(Country::Wales), "P", date!(2020 - 09 - 07), false
            => Some("K"), None;
        welsh_s_in_england_2019: England, Some(Country::Wales), "S", date!(2019 - 01 - 07), false
            => Some("E"), None;
        // While England used them too, they are read as they are.
        welsh_a_in_england_2012: England, Some(Country::Wales), "A", date!(2012 - 01 - 10), false
            => None, None;
        // From an English file (or one that does not say), A after it ended is England's own
        // mistake, left to the dated table to refuse.
        english_a_in_england_2016: England, Some(Country::England), "A", date!(2016 - 09 - 05), false
            => None, None;
        unknown_a_in_england_2016: England, None, "A", date!(2016 - 09 - 05), false
            => None, None;
        k_in_england: England, Some(Country::Wales), "K", date!(2016 - 09 - 05), false
            => None, None;
    }

    #[test]
    fn a_code_not_valid_in_its_own_country_is_refused_with_its_reason() {
        let s = defaults();
        // K before England used it.
        let e = map_provision(Country::Wales, None, "K", date!(2012 - 01 - 10), false, &s)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.rule(), "code_not_yet_valid");
        // A Welsh IDP before the ALN system.
        let e = map_provision(
            Country::England,
            None,
            "LIDP",
            date!(2020 - 01 - 10),
            false,
            &s,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.rule(), "code_not_yet_valid");
        // A Welsh letter after Wales's legacy codes ended.
        let e = map_provision(
            Country::England,
            Some(Country::Wales),
            "A",
            date!(2026 - 09 - 07),
            false,
            &s,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.rule(), "code_no_longer_valid");
    }

    #[test]
    fn provision_settings_choose_the_stage() {
        let mut s = defaults();
        for (key, value) in [
            ("census.provision_map.k_before_aln", "school_action_plus"),
            ("census.provision_map.k_under_aln", "la_idp"),
            ("census.provision_map.e_under_aln", "school_idp"),
            ("census.provision_map.school_idp", "ehc_plan"),
            ("census.provision_map.la_idp", "sen_support"),
        ] {
            set(&mut s.cross_border, key, value).unwrap();
        }
        let m = |country, code, on| {
            map_provision(country, None, code, on, false, &s)
                .unwrap()
                .unwrap()
        };
        let k = m(Country::Wales, "K", date!(2016 - 09 - 05));
        assert_eq!(k.to, "P");
        assert!(!k.decided.unconfirmed);
        assert_eq!(m(Country::Wales, "K", date!(2022 - 01 - 10)).to, "LIDP");
        assert_eq!(m(Country::Wales, "E", date!(2022 - 01 - 10)).to, "SIDP");
        assert_eq!(m(Country::England, "SIDP", date!(2022 - 01 - 10)).to, "E");
        assert_eq!(m(Country::England, "LIDP", date!(2022 - 01 - 10)).to, "K");
    }

    #[test]
    fn every_mapped_provision_code_is_read_by_the_schools_table() {
        // Whatever a mapping gives is a code the school's country reads on that date.
        let s = defaults();
        for country in Country::ALL {
            for file in [None, Some(Country::England), Some(Country::Wales)] {
                for code in ["N", "A", "P", "Q", "S", "K", "E", "SIDP", "LIDP"] {
                    for y in 2000..2031 {
                        let on = Date::from_calendar_date(y, time::Month::January, 20).unwrap();
                        if let Some(Ok(m)) = map_provision(country, file, code, on, false, &s) {
                            assert!(
                                read_transfer_code(country, None, &m.to, on, false, &s).is_ok(),
                                "{country:?} {file:?} {code} {on}: {m:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn la_codes_give_the_country() {
        assert_eq!(country_of_la("672"), Some(Country::Wales));
        assert_eq!(country_of_la("660"), Some(Country::Wales));
        assert_eq!(country_of_la("681"), Some(Country::Wales));
        assert_eq!(country_of_la(" 886 "), Some(Country::England));
        assert_eq!(country_of_la("682"), None);
        assert_eq!(country_of_la("MMM"), None);
        assert_eq!(country_of_la(""), None);
        assert_eq!(country_of_la("8860"), None);
    }
}
