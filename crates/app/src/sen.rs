//! The graduated response, shared by pages and API: raising and triaging concerns, recording
//! stage changes (checked by the domain's history and framework rules), parents being told,
//! needs, statutory processes, and a pupil's chronology.
//!
//! Every change is one transaction with its audit row. The derived current stage is rewritten
//! in the same transaction as the history it comes from.

use senco_domain::Date;
use senco_domain::census::{
    AreaOfNeed, CodeSettings, NeedCode, need_valid_on, parse_need, parse_wales_need, provision_code,
};
use senco_domain::concern::ConcernStatus;
use senco_domain::entry::DateEntry;
use senco_domain::framework::{MoveContext, ProcessKind, Stage, framework};
use senco_domain::history::{
    Entry, HistoryContext, NewEntry, StageReason, check_closed_to_new_learners, check_new,
    in_force, successor,
};
use senco_domain::policy::{Action, Resource};
use senco_domain::problem::Problem;
use senco_domain::process::ProcessNotes;
use senco_domain::school::{Country, FrameworkKey};
use senco_i18n::fill;
use senco_store::pupils::Pupil;
use senco_store::schools::School;
use senco_store::sen::{
    Concern, ConcernTriage, CurrentStage, NewConcern, NewNeed, NewParentNotification, NewProcess,
    NewStageChange, StageChange,
};
use senco_store::{Store, StoreError, Tx};

use crate::App;
use crate::access::{AccessError, Actor, deny_missing, pupil_for, require};
use crate::principal::Principal;

/// Why a graduated-response change was not made.
#[derive(Debug, thiserror::Error)]
pub enum SenError {
    #[error("invalid input")]
    Invalid(Vec<Problem>),
    #[error("the record changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Ways parents can be told of a change.
pub const TOLD_METHODS: [&str; 4] = ["meeting", "letter", "phone", "email"];

/// The frameworks a school works under on `on` (Welsh schools ran two side by side).
pub fn frameworks_in_force(school: &School, on: Date) -> Vec<FrameworkKey> {
    let mut keys: Vec<(FrameworkKey, Date)> = school
        .frameworks
        .iter()
        .copied()
        .filter(|(_, since)| *since <= on)
        .collect();
    keys.sort_by_key(|(_, since)| std::cmp::Reverse(*since));
    keys.into_iter().map(|(k, _)| k).collect()
}

/// The national code settings: the stored settings over the defaults.
pub async fn code_settings(state: &App) -> Result<CodeSettings, StoreError> {
    stored_code_settings(&state.store).await
}

/// The same, from a store (for the command line). A Welsh code an operator has set counts
/// as confirmed by them; the built-in defaults stay flagged as unconfirmed.
pub async fn stored_code_settings(store: &senco_store::Store) -> Result<CodeSettings, StoreError> {
    let mut s = CodeSettings::default();
    let stored = store.settings_with_prefix("census.").await?;
    let get = |key: &str| {
        stored
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let keys: [(&str, &mut Date); 10] = [
        (
            "census.england_action_codes_until",
            &mut s.england_action_codes_until,
        ),
        ("census.england_k_from", &mut s.england_k_from),
        ("census.england_e_from", &mut s.england_e_from),
        ("census.england_s_until", &mut s.england_s_until),
        (
            "census.england_need_types_from",
            &mut s.england_need_types_from,
        ),
        ("census.besd_until", &mut s.besd_until),
        ("census.semh_from", &mut s.semh_from),
        ("census.nsa_from", &mut s.nsa_from),
        ("census.wales_legacy_until", &mut s.wales_legacy_until),
        ("census.wales_idp_from", &mut s.wales_idp_from),
    ];
    for (key, field) in keys {
        if let Some(v) = get(key) {
            *field = senco_store::parse_ds(v)?;
        }
    }
    let confirmed = |v: &str| senco_domain::census::ConfiguredCode {
        code: v.to_string(),
        unconfirmed: false,
    };
    if let Some(v) = get("census.wales_school_idp") {
        s.wales_school_idp = confirmed(v);
    }
    if let Some(v) = get("census.wales_la_idp") {
        s.wales_la_idp = confirmed(v);
    }
    for (need, code) in s.wales_need_codes.iter_mut() {
        if let Some(v) = get(&senco_domain::census::wales_need_setting(*need)) {
            *code = confirmed(v);
        }
    }
    // The cross-border pairs an operator has chosen (checked when set).
    for info in senco_domain::cross_border::settings() {
        if let Some(v) = get(&info.key) {
            senco_domain::cross_border::set(&mut s.cross_border, &info.key, v)
                .map_err(|_| StoreError::Malformed(format!("setting {}: {v:?}", info.key)))?;
        }
    }
    Ok(s)
}

/// A stored stage history as the domain's entries.
pub(crate) fn entries(history: &[StageChange]) -> Vec<Entry> {
    history
        .iter()
        .map(|c| Entry {
            id: c.seq as u64,
            framework: c.framework,
            stage: c.stage,
            effective: c.effective_on,
            supersedes: c
                .supersedes
                .as_ref()
                .and_then(|id| history.iter().find(|h| &h.id == id))
                .map(|h| h.seq as u64),
        })
        .collect()
}

/// The stage in force on `today` according to a history.
pub fn stage_in_force(history: &[StageChange], today: Date) -> Option<CurrentStage> {
    let es = entries(history);
    let entry = in_force(&es, today)?;
    let change = history.iter().find(|c| c.seq as u64 == entry.id)?;
    // The interval starts at the earliest consecutive entry with the same stage.
    Some(CurrentStage {
        framework: entry.framework,
        stage: entry.stage,
        since: entry.effective,
        stage_change_id: change.id.clone(),
    })
}

/// What a stage change records.
#[derive(Debug, Clone, Default)]
pub struct StageChangeInput {
    pub framework: Option<FrameworkKey>,
    pub stage: Option<Stage>,
    pub effective_on: DateEntry,
    pub reason: String,
    pub decided_with: String,
    pub specialists: String,
    /// The id of the entry this one corrects.
    pub supersedes: Option<String>,
    pub parents_told_on: DateEntry,
    pub parents_told_how: String,
}

async fn enrolled_on(state: &App, pupil: &Pupil) -> Result<Date, StoreError> {
    let enrolments = state.store.enrolments(&pupil.id).await?;
    Ok(enrolments
        .iter()
        .filter(|e| e.school_id == pupil.school_id)
        .map(|e| e.starts_on)
        .min()
        .unwrap_or(pupil.date_of_birth))
}

/// Checks a stage change and records it inside `tx`, for `reason` (the words entered, or a
/// fact such as a review's decision). Returns the new entry's id.
pub async fn stage_change_in(
    tx: &mut Tx,
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &StageChangeInput,
    reason: &StageReason,
) -> Result<String, SenError> {
    let today = state.today();
    let school = state.store.school(&pupil.school_id).await?;
    let in_force = frameworks_in_force(&school, today);
    let checked = check_stage_change(input, reason, &in_force, today)?;
    check_in_history(tx, state, pupil, &school, input, &checked, today).await?;
    write_stage_change(tx, state, actor, pupil, input, &checked, today).await
}

/// The reason for a change entered by a person: their words.
fn given_reason(input: &StageChangeInput) -> StageReason {
    StageReason::Given(input.reason.trim().to_string())
}

/// A stage change as entered, checked on its own.
struct CheckedStageChange {
    framework_key: FrameworkKey,
    stage: Stage,
    effective: Date,
    /// When and how the parents were told, if they were.
    told: Option<(Date, String)>,
    /// The words entered, or the fact the change follows from.
    reason: StageReason,
}

/// Checks a stage change as entered, before the history is read: a framework in force, a
/// stage, a real date, a reason, the specialists of School Action Plus, and when and how
/// the parents were told.
fn check_stage_change(
    input: &StageChangeInput,
    reason: &StageReason,
    in_force: &[FrameworkKey],
    today: Date,
) -> Result<CheckedStageChange, SenError> {
    let mut issues = Vec::new();
    let framework_key = match input.framework {
        Some(f) if in_force.contains(&f) => Some(f),
        Some(_) => {
            issues.push(Problem::new(
                "framework",
                "framework_not_in_force",
                "sen.framework_not_in_force",
            ));
            None
        }
        None => in_force.first().copied(),
    };
    if framework_key.is_none() && issues.is_empty() {
        issues.push(Problem::new(
            "framework",
            "no_framework",
            "sen.framework_no_framework",
        ));
    }
    let stage = input.stage;
    if stage.is_none() {
        issues.push(Problem::new("stage", "missing", "sen.stage_missing"));
    }
    let effective = match input.effective_on {
        DateEntry::Valid(d) => Some(d),
        DateEntry::Invalid => {
            issues.push(Problem::new("effective_on", "not_a_date", "date.not_real"));
            None
        }
        DateEntry::Blank => {
            issues.push(Problem::new(
                "effective_on",
                "missing",
                "sen.effective_on_missing",
            ));
            None
        }
    };
    if matches!(reason, StageReason::Given(words) if words.trim().is_empty()) {
        issues.push(Problem::new("reason", "missing", "sen.reason_missing"));
    }
    if matches!(
        stage,
        Some(Stage::SchoolActionPlus | Stage::EarlyYearsActionPlus)
    ) && input.specialists.trim().is_empty()
    {
        issues.push(Problem::new(
            "specialists",
            "missing",
            "sen.specialists_missing",
        ));
    }
    let told = match (&input.parents_told_on, input.parents_told_how.trim()) {
        (DateEntry::Blank, "") => None,
        (DateEntry::Valid(d), how) if TOLD_METHODS.contains(&how) => {
            if *d > today {
                issues.push(Problem::new(
                    "parents_told_on",
                    "in_future",
                    "sen.parents_told_on_in_future",
                ));
            }
            Some((*d, how.to_string()))
        }
        (DateEntry::Valid(_), _) => {
            issues.push(Problem::new(
                "parents_told_how",
                "missing",
                "sen.parents_told_how_missing",
            ));
            None
        }
        (DateEntry::Invalid, _) => {
            issues.push(Problem::new(
                "parents_told_on",
                "not_a_date",
                "sen.parents_told_on_not_a_date",
            ));
            None
        }
        (DateEntry::Blank, _) => {
            issues.push(Problem::new(
                "parents_told_on",
                "missing",
                "sen.parents_told_on_missing",
            ));
            None
        }
    };
    let (Some(framework_key), Some(stage), Some(effective), true) =
        (framework_key, stage, effective, issues.is_empty())
    else {
        return Err(SenError::Invalid(issues));
    };
    Ok(CheckedStageChange {
        framework_key,
        stage,
        effective,
        told,
        reason: reason.clone(),
    })
}

/// Checks a stage change against the pupil's history as `tx` sees it: the entry it corrects,
/// the graduated-response rules, a framework still taking new learners, and a stage the
/// dated census table allows on its day.
async fn check_in_history(
    tx: &mut Tx,
    state: &App,
    pupil: &Pupil,
    school: &School,
    input: &StageChangeInput,
    checked: &CheckedStageChange,
    today: Date,
) -> Result<(), SenError> {
    let CheckedStageChange {
        framework_key,
        stage,
        effective,
        ..
    } = *checked;
    let history = Store::stage_changes_in(tx, &pupil.id).await?;
    let es = entries(&history);
    let supersedes = match &input.supersedes {
        None => None,
        Some(id) => match history.iter().find(|h| &h.id == id) {
            Some(h) => Some(h.seq as u64),
            None => {
                return Err(SenError::Invalid(vec![Problem::new(
                    "supersedes",
                    "unknown_entry",
                    "sen.supersedes_unknown_entry",
                )]));
            }
        },
    };
    let csa = state.store.compulsory_school_age(school.country).await?;
    let ctx = HistoryContext {
        today,
        enrolled_on: enrolled_on(state, pupil).await?,
        framework_in_force: framework_key,
        move_ctx: MoveContext {
            early_years_setting: school.phase.is_early_years(),
            below_compulsory_school_age: csa.is_below(pupil.date_of_birth, effective),
        },
    };
    let new = NewEntry {
        framework: framework_key,
        stage,
        effective,
        supersedes,
    };
    // A framework the school has replaced takes no new learners (issue 17, point 2).
    let successor = successor(&school.frameworks, framework_key);
    if let Err(e) =
        check_new(&es, &new, &ctx).and_then(|()| check_closed_to_new_learners(&es, &new, successor))
    {
        let field = match e.rule() {
            "date_in_future" | "before_enrolment" | "same_date" => "effective_on",
            "unknown_entry" | "already_corrected" => "supersedes",
            _ => "stage",
        };
        return Err(SenError::Invalid(vec![e.problem(field)]));
    }
    let settings = code_settings(state).await?;
    if let Err(e) = provision_code(school.country, framework_key, stage, effective, &settings) {
        return Err(SenError::Invalid(vec![e.problem("stage")]));
    }
    Ok(())
}

/// Writes a checked stage change, the parents' notification, the stage now in force and
/// the audit event. Returns the new entry's id.
async fn write_stage_change(
    tx: &mut Tx,
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &StageChangeInput,
    checked: &CheckedStageChange,
    today: Date,
) -> Result<String, SenError> {
    let CheckedStageChange {
        framework_key,
        stage,
        effective,
        ref told,
        ref reason,
    } = *checked;
    let now = state.now();
    let user_id = actor.principal.user.id.clone();
    let id = Store::insert_stage_change(
        tx,
        &pupil.id,
        &pupil.school_id,
        &NewStageChange {
            framework: framework_key,
            stage,
            effective_on: effective,
            reason,
            decided_by: Some(&user_id),
            decided_with: Some(input.decided_with.trim()).filter(|s| !s.is_empty()),
            specialists: Some(input.specialists.trim()).filter(|s| !s.is_empty()),
            supersedes: input.supersedes.as_deref(),
            imported: false,
            recorded_by: Some(&user_id),
        },
        now,
    )
    .await?;
    if let Some((on, how)) = &told {
        Store::insert_parent_notification(
            tx,
            &pupil.id,
            &pupil.school_id,
            &NewParentNotification {
                stage_change_id: &id,
                informed_on: *on,
                method: how,
                recorded_by: Some(&user_id),
            },
            now,
        )
        .await?;
    }
    let history = Store::stage_changes_in(tx, &pupil.id).await?;
    Store::set_current_stage(
        tx,
        &pupil.id,
        &pupil.school_id,
        stage_in_force(&history, today).as_ref(),
    )
    .await?;
    let mut e = actor
        .event(state, "stage_change", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id.clone());
    e.fields = Some(
        if told.is_some() {
            "stage,parents_told"
        } else {
            "stage"
        }
        .to_string(),
    );
    Store::audit_in(tx, &e).await?;
    Ok(id)
}

/// Records a stage change in its own transaction.
pub async fn record_stage_change(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &StageChangeInput,
) -> Result<String, SenError> {
    let mut tx = state.store.begin().await?;
    let id = stage_change_in(&mut tx, state, actor, pupil, input, &given_reason(input)).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Records that parents were told of a stage change.
pub async fn record_parents_told(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    stage_change_id: &str,
    on: DateEntry,
    how: &str,
) -> Result<(), SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    let on = match on {
        DateEntry::Valid(d) if d <= today => Some(d),
        DateEntry::Valid(_) => {
            issues.push(Problem::new(
                "parents_told_on",
                "in_future",
                "sen.parents_told_on_in_future",
            ));
            None
        }
        DateEntry::Invalid => {
            issues.push(Problem::new(
                "parents_told_on",
                "not_a_date",
                "sen.parents_told_on_not_a_date",
            ));
            None
        }
        DateEntry::Blank => {
            issues.push(Problem::new(
                "parents_told_on",
                "missing",
                "sen.parents_told_on_missing",
            ));
            None
        }
    };
    if !TOLD_METHODS.contains(&how) {
        issues.push(Problem::new(
            "parents_told_how",
            "missing",
            "sen.parents_told_how_missing",
        ));
    }
    let history = state.store.stage_changes(&pupil.id).await?;
    if !history.iter().any(|c| c.id == stage_change_id) {
        return Err(SenError::Store(StoreError::NotFound));
    }
    let (Some(on), true) = (on, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    Store::insert_parent_notification(
        &mut tx,
        &pupil.id,
        &pupil.school_id,
        &NewParentNotification {
            stage_change_id,
            informed_on: on,
            method: how,
            recorded_by: Some(&actor.principal.user.id),
        },
        now,
    )
    .await?;
    let e = actor
        .event(state, "stage_change", "update", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(stage_change_id.to_string())
        .fields("parents_told".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// What a concern records.
#[derive(Debug, Clone, Default)]
pub struct ConcernInput {
    pub raised_on: DateEntry,
    pub areas: Vec<String>,
    pub details: String,
    pub triggers: Vec<String>,
    pub tried: String,
    pub result: String,
}

/// The stages a concern may lead to next: the trigger lists that apply.
pub fn next_stages(current: Option<Stage>, early_years: bool) -> Vec<Stage> {
    match current {
        Some(Stage::SchoolAction) => vec![Stage::SchoolActionPlus],
        Some(Stage::EarlyYearsAction) => vec![Stage::EarlyYearsActionPlus],
        _ if early_years => vec![Stage::EarlyYearsAction, Stage::EarlyYearsActionPlus],
        _ => vec![Stage::SchoolAction, Stage::SchoolActionPlus],
    }
}

/// Raises a concern about a pupil.
pub async fn raise_concern(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &ConcernInput,
) -> Result<String, SenError> {
    let today = state.today();
    let school = state.store.school(&pupil.school_id).await?;
    let framework_key = frameworks_in_force(&school, today)
        .first()
        .copied()
        .unwrap_or(FrameworkKey::England2001);
    let fw = framework(framework_key);
    let mut issues = Vec::new();
    let raised_on = match input.raised_on {
        DateEntry::Blank => Some(today),
        DateEntry::Valid(d) if d <= today => Some(d),
        DateEntry::Valid(_) => {
            issues.push(Problem::new("raised_on", "in_future", "date.in_future"));
            None
        }
        DateEntry::Invalid => {
            issues.push(Problem::new("raised_on", "not_a_date", "date.not_real"));
            None
        }
    };
    let areas: Vec<AreaOfNeed> = input
        .areas
        .iter()
        .filter_map(|a| AreaOfNeed::parse(a))
        .collect();
    if areas.is_empty() || areas.len() != input.areas.len() {
        issues.push(Problem::new("areas", "missing", "sen.areas_missing"));
    }
    let known: Vec<&str> = Stage::ALL
        .iter()
        .flat_map(|s| fw.triggers(*s).iter().map(|t| t.id))
        .collect();
    if input.triggers.iter().any(|t| !known.contains(&t.as_str())) {
        issues.push(Problem::new(
            "triggers",
            "unknown_value",
            "sen.triggers_unknown_value",
        ));
    }
    if input.tried.trim().is_empty() {
        issues.push(Problem::new("tried", "missing", "sen.tried_missing"));
    }
    if input.result.trim().is_empty() {
        issues.push(Problem::new("result", "missing", "sen.result_missing"));
    }
    let (Some(raised_on), true) = (raised_on, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let areas = areas
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let triggers = input.triggers.join(",");
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let id = Store::insert_concern(
        &mut tx,
        &pupil.id,
        &pupil.school_id,
        &NewConcern {
            raised_by: &actor.principal.user.id,
            raised_on,
            framework: framework_key,
            areas: &areas,
            details: Some(input.details.trim()).filter(|s| !s.is_empty()),
            triggers: &triggers,
            tried: input.tried.trim(),
            result: input.result.trim(),
        },
        now,
    )
    .await?;
    let e = actor
        .event(state, "concern", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// The SENCO's decision on a concern.
#[derive(Debug, Clone)]
pub enum Triage {
    /// Keep watching: the pupil goes on the concern list, not the register.
    Monitor,
    /// Close with a reason.
    Close(String),
    /// Place the pupil on a stage.
    Place(StageChangeInput),
}

/// Triages a concern if nobody triaged it meanwhile.
pub async fn triage_concern(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    concern_id: &str,
    expected_version: i64,
    decision: &Triage,
) -> Result<(), SenError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let (status, reason, change) = match decision {
        Triage::Monitor => (ConcernStatus::Monitoring, None, None),
        Triage::Close(reason) if reason.trim().is_empty() => {
            return Err(SenError::Invalid(vec![Problem::new(
                "reason",
                "missing",
                "sen.close_reason_missing",
            )]));
        }
        Triage::Close(reason) => (ConcernStatus::Closed, Some(reason.trim().to_string()), None),
        Triage::Place(input) => {
            let id =
                stage_change_in(&mut tx, state, actor, pupil, input, &given_reason(input)).await?;
            (
                ConcernStatus::Placed,
                Some(input.reason.trim().to_string()),
                Some(id),
            )
        }
    };
    match Store::triage_concern(
        &mut tx,
        concern_id,
        expected_version,
        &ConcernTriage {
            status,
            reason: reason.as_deref(),
            stage_change_id: change.as_deref(),
            triaged_by: &actor.principal.user.id,
        },
        now,
    )
    .await
    {
        Err(StoreError::Conflict) => return Err(SenError::Conflict),
        other => other?,
    }
    let e = actor
        .event(state, "concern", "update", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(concern_id.to_string())
        .fields("status".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// The need codes a school can record on a date: England's SEN types valid then, or the
/// Welsh categories.
pub fn need_choices(country: Country, on: Date, settings: &CodeSettings) -> Vec<(String, String)> {
    match country {
        Country::England => NeedCode::ALL
            .into_iter()
            .filter(|c| {
                need_valid_on(*c, on, Some("K"), settings).is_ok()
                    || need_valid_on(*c, on, Some("P"), settings).is_ok()
            })
            .map(|c| {
                (
                    c.code().to_string(),
                    format!("{} ({})", c.description(), c.code()),
                )
            })
            .collect(),
        Country::Wales => senco_domain::census::WALES_NEEDS
            .iter()
            .map(|d| {
                let code = senco_domain::census::wales_need_code(d.need, settings);
                (code.code.clone(), d.need.label().to_string())
            })
            .collect(),
    }
}

/// Adds a ranked need from the code list valid on its start date.
pub async fn add_need(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    code: &str,
    rank: i64,
    starts_on: DateEntry,
) -> Result<String, SenError> {
    let today = state.today();
    let school = state.store.school(&pupil.school_id).await?;
    let settings = code_settings(state).await?;
    let mut issues = Vec::new();
    let starts_on = match starts_on {
        DateEntry::Blank => Some(today),
        DateEntry::Valid(d) if d <= today => Some(d),
        DateEntry::Valid(_) => {
            issues.push(Problem::new("starts_on", "in_future", "date.in_future"));
            None
        }
        DateEntry::Invalid => {
            issues.push(Problem::new("starts_on", "not_a_date", "date.not_real"));
            None
        }
    };
    if !(1..=9).contains(&rank) {
        issues.push(Problem::new(
            "rank",
            "unknown_value",
            "sen.rank_unknown_value",
        ));
    }
    let stored_code = match school.country {
        Country::England => match parse_need(code) {
            Ok((need, _)) => {
                if let Some(on) = starts_on {
                    let history = state.store.stage_changes(&pupil.id).await?;
                    let provision = stage_in_force(&history, on)
                        .and_then(|c| {
                            provision_code(school.country, c.framework, c.stage, on, &settings).ok()
                        })
                        .map(|p| p.code);
                    if let Err(e) = need_valid_on(need, on, provision.as_deref(), &settings) {
                        issues.push(e.problem("code"));
                    }
                }
                Some(need.code().to_string())
            }
            Err(e) => {
                issues.push(e.problem("code"));
                None
            }
        },
        Country::Wales => match parse_wales_need(code, &settings) {
            Ok(need) => Some(senco_domain::census::wales_need_code(need, &settings).code),
            Err(e) => {
                issues.push(e.problem("code"));
                None
            }
        },
    };
    let open = state.store.needs(&pupil.id).await?;
    if rank <= 2 && open.iter().any(|n| n.ends_on.is_none() && n.rank == rank) {
        issues.push(Problem::new(
            "rank",
            "rank_taken",
            if rank == 1 {
                "sen.primary_need_taken"
            } else {
                "sen.secondary_need_taken"
            },
        ));
    }
    let (Some(code), Some(starts_on), true) = (stored_code, starts_on, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let id = Store::insert_need(
        &mut tx,
        &pupil.id,
        &pupil.school_id,
        &NewNeed {
            code: &code,
            rank,
            starts_on,
            recorded_by: Some(&actor.principal.user.id),
        },
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "need", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// A statutory process as entered.
#[derive(Debug, Clone, Default)]
pub struct ProcessInput {
    /// `None` when none (or an unknown one) was chosen.
    pub kind: Option<ProcessKind>,
    pub started_on: DateEntry,
    pub decided_on: DateEntry,
    pub outcome: String,
    pub notes: String,
}

/// Records a statutory assessment request or a Welsh ALN decision beside the stage.
pub async fn add_process(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &ProcessInput,
) -> Result<String, SenError> {
    let (kind, started_on, decided_on, outcome, notes) = (
        input.kind,
        input.started_on,
        input.decided_on,
        input.outcome.as_str(),
        input.notes.as_str(),
    );
    let today = state.today();
    let school = state.store.school(&pupil.school_id).await?;
    let mut issues = Vec::new();
    match (kind, school.country) {
        (Some(ProcessKind::StatutoryAssessment), _)
        | (Some(ProcessKind::AlnDecision), Country::Wales) => {}
        (Some(ProcessKind::AlnDecision), Country::England) => {
            issues.push(Problem::new("kind", "wales_only", "sen.kind_wales_only"))
        }
        (None, _) => issues.push(Problem::new("kind", "missing", "sen.kind_missing")),
    }
    let started = match started_on {
        DateEntry::Valid(d) if d <= today => Some(d),
        DateEntry::Valid(_) => {
            issues.push(Problem::new("started_on", "in_future", "date.in_future"));
            None
        }
        DateEntry::Invalid => {
            issues.push(Problem::new("started_on", "not_a_date", "date.not_real"));
            None
        }
        DateEntry::Blank => {
            issues.push(Problem::new(
                "started_on",
                "missing",
                "sen.started_on_missing",
            ));
            None
        }
    };
    let decided = match decided_on {
        DateEntry::Blank => None,
        DateEntry::Valid(d) if started.is_some_and(|s| d < s) => {
            issues.push(Problem::new(
                "decided_on",
                "before_start",
                "sen.decided_on_before_start",
            ));
            None
        }
        DateEntry::Valid(d) if d > today => {
            issues.push(Problem::new("decided_on", "in_future", "date.in_future"));
            None
        }
        DateEntry::Valid(d) => Some(d),
        DateEntry::Invalid => {
            issues.push(Problem::new("decided_on", "not_a_date", "date.not_real"));
            None
        }
    };
    let (Some(kind), Some(started), true) = (kind, started, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let id = Store::insert_process(
        &mut tx,
        &pupil.id,
        &pupil.school_id,
        &NewProcess {
            kind,
            started_on: started,
            decided_on: decided,
            outcome: Some(outcome.trim()).filter(|s| !s.is_empty()),
            notes: Some(notes.trim())
                .filter(|s| !s.is_empty())
                .map(|s| ProcessNotes::Given(s.to_string())),
            recorded_by: Some(&actor.principal.user.id),
        },
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "process", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// One event of a pupil's chronology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChronologyItem {
    pub date: Date,
    /// `concern`, `stage_change`, `parents_told`, `need`, `need_ended`, `process`,
    /// `process_decided`, `plan`, `plan_agreed`, `review`, `provision_started`,
    /// `provision_ended`, `referral`, `consent`, `involvement_closed`, `visit`, `assessment`,
    /// `advice`, `recommendation`, `report`.
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub record_id: String,
}

/// A pupil's whole timeline as `p` may see it, oldest first: concerns for those who may read
/// them, and the outside specialists' referrals, notes and reports.
pub async fn pupil_chronology(
    state: &App,
    p: &crate::principal::Principal,
    pupil: &Pupil,
    m: &senco_i18n::Messages,
) -> Result<Vec<ChronologyItem>, StoreError> {
    use senco_domain::policy::{Action, Resource};
    let concerns = crate::access::may(p, Resource::Concern, Action::Read);
    let mut items = chronology(state, pupil, concerns, m).await?;
    if !crate::access::may(p, Resource::PupilNeeds, Action::Read) {
        items.retain(|i| !matches!(i.kind, "need" | "need_ended"));
    }
    items.extend(crate::specialists::chronology_items(state, p, pupil).await?);
    // Provision, through the caller's scope (issue 17, point 10).
    let allocations = state
        .store
        .allocations(
            &p.scope(),
            senco_store::provision::AllocationsOf::Pupil(&pupil.id),
        )
        .await?;
    for a in allocations {
        items.push(ChronologyItem {
            date: a.from_on,
            kind: "provision_started",
            title: m.chron_provision_started.to_string(),
            detail: a.provision_name.clone(),
            record_id: a.id.clone(),
        });
        items.push(ChronologyItem {
            date: a.to_on,
            kind: "provision_ended",
            title: m.chron_provision_ended.to_string(),
            detail: a.provision_name,
            record_id: a.id,
        });
    }
    items.sort_by_key(|i| i.date);
    Ok(items)
}

/// A pupil's plans, when they were agreed with parents, and their reviews with how the
/// targets went (issue 17, point 10: plans and reviews were missing from the chronology).
async fn plan_items(
    state: &App,
    pupil: &Pupil,
    m: &senco_i18n::Messages,
) -> Result<Vec<ChronologyItem>, StoreError> {
    use senco_domain::plan::TargetOutcome;
    let mut items = Vec::new();
    for plan in state.store.plans_for_pupil(&pupil.id).await? {
        let stage = plan.fields.stage.label().to_string();
        items.push(ChronologyItem {
            date: plan.fields.starts_on,
            kind: "plan",
            title: m.chron_plan_started.to_string(),
            detail: stage,
            record_id: plan.id.clone(),
        });
        if let Some(on) = plan.fields.agreed_on {
            items.push(ChronologyItem {
                date: on,
                kind: "plan_agreed",
                title: m.chron_plan_agreed.to_string(),
                detail: plan.fields.agreed_how.clone().unwrap_or_default(),
                record_id: plan.id.clone(),
            });
        }
        for review in state.store.reviews(&plan.id).await? {
            let count = |o: TargetOutcome| {
                review
                    .outcomes
                    .iter()
                    .filter(|(_, outcome, _)| TargetOutcome::parse(outcome) == Some(o))
                    .count()
                    .to_string()
            };
            let detail = m
                .chron_review_outcomes
                .replace("{achieved}", &count(TargetOutcome::Achieved))
                .replace("{partly}", &count(TargetOutcome::PartlyAchieved))
                .replace("{not}", &count(TargetOutcome::NotAchieved))
                .replace("{dropped}", &count(TargetOutcome::NoLongerRelevant));
            items.push(ChronologyItem {
                date: review.held_on,
                kind: "review",
                title: m.chron_plan_reviewed.to_string(),
                detail,
                record_id: plan.id.clone(),
            });
        }
    }
    Ok(items)
}

/// A pupil's timeline, oldest first. Concerns are included only when `with_concerns`.
pub async fn chronology(
    state: &App,
    pupil: &Pupil,
    with_concerns: bool,
    m: &senco_i18n::Messages,
) -> Result<Vec<ChronologyItem>, StoreError> {
    let mut items = Vec::new();
    if with_concerns {
        for c in state.store.concerns_for_pupil(&pupil.id).await? {
            let areas: Vec<&str> = c
                .areas
                .split(',')
                .filter_map(AreaOfNeed::parse)
                .map(|a| a.label())
                .collect();
            items.push(ChronologyItem {
                date: c.raised_on,
                kind: "concern",
                title: fill(m.chron_concern_raised, &[("name", &c.raised_by_name)]),
                detail: format!(
                    "{} ({})",
                    areas.join(", "),
                    c.status.as_str().replace('_', " ")
                ),
                record_id: c.id,
            });
        }
    }
    let history = state.store.stage_changes(&pupil.id).await?;
    for c in &history {
        let corrected = history
            .iter()
            .any(|h| h.supersedes.as_deref() == Some(c.id.as_str()));
        let title = if c.supersedes.is_some() {
            fill(m.chron_correction, &[("stage", c.stage.label())])
        } else {
            c.stage.label().to_string()
        };
        let reason = m.stage_reason(&c.reason);
        let detail = if corrected {
            fill(m.chron_corrected_later, &[("reason", &reason)])
        } else {
            reason
        };
        items.push(ChronologyItem {
            date: c.effective_on,
            kind: "stage_change",
            title,
            detail,
            record_id: c.id.clone(),
        });
        if let Some((on, how)) = &c.parents_told {
            items.push(ChronologyItem {
                date: *on,
                kind: "parents_told",
                title: m.chron_parents_told.into(),
                detail: fill(
                    m.chron_parents_told_detail,
                    &[("stage", c.stage.label()), ("how", how)],
                ),
                record_id: c.id.clone(),
            });
        }
    }
    for n in state.store.needs(&pupil.id).await? {
        let rank = match n.rank {
            1 => m.chron_primary_need,
            2 => m.chron_secondary_need,
            _ => m.chron_need,
        };
        items.push(ChronologyItem {
            date: n.starts_on,
            kind: "need",
            title: fill(rank, &[("code", &n.code)]),
            detail: String::new(),
            record_id: n.id.clone(),
        });
        if let Some(end) = n.ends_on {
            items.push(ChronologyItem {
                date: end,
                kind: "need_ended",
                title: fill(m.chron_need_ended, &[("code", &n.code)]),
                detail: String::new(),
                record_id: n.id,
            });
        }
    }
    items.extend(plan_items(state, pupil, m).await?);
    for p in state.store.processes(&pupil.id).await? {
        let name = if p.kind == ProcessKind::AlnDecision {
            m.chron_aln_decision
        } else {
            m.chron_statutory_assessment
        };
        items.push(ChronologyItem {
            date: p.started_on,
            kind: "process",
            title: name.into(),
            detail: p
                .notes
                .as_ref()
                .map(|n| m.process_notes(n))
                .unwrap_or_default(),
            record_id: p.id.clone(),
        });
        if let Some(d) = p.decided_on {
            items.push(ChronologyItem {
                date: d,
                kind: "process_decided",
                title: fill(m.chron_process_decided, &[("process", name)]),
                detail: p.outcome.clone().unwrap_or_default(),
                record_id: p.id,
            });
        }
    }
    items.sort_by_key(|i| i.date);
    Ok(items)
}

/// The caller's school's concerns awaiting triage and being monitored, oldest first, with
/// each pupil's name: for the page and the API alike.
pub async fn school_concerns(
    state: &App,
    p: &Principal,
) -> Result<Vec<(Concern, String)>, AccessError> {
    require(p, Resource::Concern, Action::Read)?;
    let Some(school) = &p.user.school_id else {
        return Err(AccessError::NotFound);
    };
    Ok(state
        .store
        .concerns_for_school(
            school,
            &[ConcernStatus::AwaitingTriage, ConcernStatus::Monitoring],
        )
        .await?)
}

/// Audits one reading of the concern list (page or API).
pub async fn audit_concern_list(state: &App, actor: &Actor<'_>) {
    let e = actor
        .event(state, "concern_list", "list", "allowed")
        .school(actor.principal.user.school_id.clone());
    state.audit.read(e).await;
}

/// A concern by id with its pupil, if the caller may act on it (page and API); one out of
/// reach or missing is refused as not found, and audited.
pub async fn reach_concern(
    state: &App,
    actor: &Actor<'_>,
    id: &str,
    action: Action,
) -> Result<(Concern, Pupil), AccessError> {
    let concern = match state.store.concern(id).await {
        Ok(concern) => concern,
        Err(senco_store::StoreError::NotFound) => {
            deny_missing(state, actor, id, Resource::Concern, action).await;
            return Err(AccessError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    let pupil = pupil_for(state, actor, &concern.pupil_id, Resource::Concern, action).await?;
    Ok((concern, pupil))
}
