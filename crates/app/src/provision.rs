//! Provision, shared by pages and API: the catalogue, allocations with their measures, the
//! delivery log, delivered against planned, the provision map and the impact report.
//!
//! The rules (costing, planned sessions, the shortfall, impact) are the domain's
//! ([`senco_domain::provision`]); this module checks input, calls the store and audits.
//! Every change is one transaction with its audit row; a group register is all or nothing.

use std::collections::HashMap;

use senco_domain::Date;
use senco_domain::calendar::SchoolCalendar;
use senco_domain::census::AreaOfNeed;
use senco_domain::entry::Entry;
use senco_domain::provision::{
    AllocationDates, CostBasis, Costing, DEFAULT_SHORTFALL_PERCENT, DeliverySummary, Gain, Impact,
    MeasureUnit, MeasureValue, ProvisionKind, ProvisionSpec, SessionStatus, check_session, impact,
    planned_sessions, summarise,
};
use senco_domain::role::Role;
use senco_store::provision::{
    Allocation, AllocationsOf, Measure, NewAllocation, NewSession, Provision, ProvisionFields,
    Session,
};
use senco_store::pupils::Pupil;
use senco_store::{Store, StoreError};

use crate::App;
use crate::access::Actor;
use crate::sen::SenError;
use senco_domain::problem::Problem;

/// A typed number or date: blank, a valid value, or not one.
pub type Typed<T> = Entry<T>;

/// Reads a whole number as typed.
pub fn whole(s: &str) -> Typed<i64> {
    Entry::parse_with(s, |s| s.parse::<i64>().ok())
}

/// Reads a decimal number as typed.
pub fn decimal(s: &str) -> Typed<f64> {
    Entry::parse_with(s, |s| s.parse::<f64>().ok().filter(|v| v.is_finite()))
}

/// The setting that holds the shortfall threshold, in percent.
pub const SHORTFALL_SETTING: &str = "provision.shortfall_percent";

/// The shortfall threshold: the stored setting, or 90%.
pub async fn shortfall_threshold(state: &App) -> Result<u32, StoreError> {
    Ok(state
        .store
        .setting(SHORTFALL_SETTING)
        .await?
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|v| (1..=100).contains(v))
        .unwrap_or(DEFAULT_SHORTFALL_PERCENT))
}

/// A catalogue entry as typed (pages) or sent (API).
#[derive(Debug, Clone, Default)]
pub struct ProvisionInput {
    pub name: String,
    pub kind: String,
    pub area: String,
    pub description: String,
    pub staff_role: String,
    pub staff_user_id: String,
    pub group_size: Typed<i64>,
    pub sessions_per_week: Typed<i64>,
    pub minutes_per_session: Typed<i64>,
    pub cost_basis: String,
    /// In pence (pages convert typed pounds).
    pub cost_pence: Typed<i64>,
    pub expected_gain: Typed<f64>,
    pub active: bool,
}

fn number(
    issues: &mut Vec<Problem>,
    field: &'static str,
    v: Typed<i64>,
    missing: &'static str,
    default: Option<i64>,
) -> i64 {
    match v {
        Entry::Valid(n) => n,
        Entry::Invalid => {
            issues.push(Problem::new(field, "not_a_number", "number.not_whole"));
            0
        }
        Entry::Blank => match default {
            Some(d) => d,
            None => {
                issues.push(Problem::new(field, "missing", missing));
                0
            }
        },
    }
}

/// Checks a catalogue entry for a school, giving every problem at once.
pub async fn check_provision(
    state: &App,
    school_id: &str,
    input: &ProvisionInput,
) -> Result<ProvisionFields, SenError> {
    let mut issues = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        issues.push(Problem::new("name", "missing", "provision.name_missing"));
    } else if name.chars().count() > 120 {
        issues.push(Problem::new("name", "too_long", "provision.name_too_long"));
    }
    let kind = ProvisionKind::parse(&input.kind);
    if kind.is_none() {
        issues.push(Problem::new("kind", "missing", "provision.kind_missing"));
    }
    let area = AreaOfNeed::parse(&input.area);
    if area.is_none() {
        issues.push(Problem::new("area", "missing", "provision.area_missing"));
    }
    let staff_user_id = input.staff_user_id.trim();
    if !staff_user_id.is_empty() {
        let staff = state
            .store
            .users(&senco_store::users::UserScope::School(
                school_id.to_string(),
            ))
            .await?;
        let ok = staff.iter().any(|u| {
            u.id == staff_user_id
                && matches!(
                    u.role,
                    Role::Senco | Role::Teacher | Role::TeachingAssistant | Role::Head
                )
                && !u.disabled
        });
        if !ok {
            issues.push(Problem::new(
                "staff_user_id",
                "unknown_value",
                "provision.staff_user_id_unknown_value",
            ));
        }
    }
    let has_sessions = kind.is_none_or(ProvisionKind::has_sessions);
    let group_size = number(
        &mut issues,
        "group_size",
        input.group_size,
        "provision.group_size_missing",
        (!has_sessions).then_some(1),
    );
    let sessions = number(
        &mut issues,
        "sessions_per_week",
        input.sessions_per_week,
        "provision.sessions_per_week_missing",
        (!has_sessions).then_some(0),
    );
    let minutes = number(
        &mut issues,
        "minutes_per_session",
        input.minutes_per_session,
        "provision.minutes_per_session_missing",
        (!has_sessions).then_some(0),
    );
    let cost = match input.cost_pence {
        Entry::Valid(n) => n,
        Entry::Invalid => {
            issues.push(Problem::new(
                "cost",
                "not_money",
                "provision.cost_not_money",
            ));
            0
        }
        Entry::Blank => {
            issues.push(Problem::new("cost", "missing", "provision.cost_missing"));
            0
        }
    };
    let basis = CostBasis::parse(&input.cost_basis);
    let costing = basis.map(|b| Costing::of(b, cost));
    if costing.is_none() {
        issues.push(Problem::new(
            "cost_basis",
            "missing",
            "provision.cost_basis_missing",
        ));
    }
    let expected_gain = match input.expected_gain {
        Entry::Blank => None,
        Entry::Valid(g) if (-1000.0..=1000.0).contains(&g) => Some(g),
        Entry::Valid(_) | Entry::Invalid => {
            issues.push(Problem::new(
                "expected_gain",
                "not_a_number",
                "provision.expected_gain_not_a_number",
            ));
            None
        }
    };
    if let (Some(kind), Some(costing)) = (kind, costing) {
        let previous: Vec<String> = issues.iter().map(|i| i.field.to_string()).collect();
        if let Err(errors) = ProvisionSpec::new(kind, group_size, sessions, minutes, costing) {
            for e in errors {
                if !previous.iter().any(|f| f == e.field()) {
                    issues.push(e.problem());
                }
            }
        }
    }
    let (Some(kind), Some(area), Some(cost_basis), true) = (kind, area, basis, issues.is_empty())
    else {
        return Err(SenError::Invalid(issues));
    };
    let has_sessions = kind.has_sessions();
    Ok(ProvisionFields {
        name: name.to_string(),
        kind,
        area,
        description: input.description.trim().to_string(),
        staff_role: input.staff_role.trim().to_string(),
        staff_user_id: Some(staff_user_id.to_string()).filter(|s| !s.is_empty()),
        group_size,
        sessions_per_week: if has_sessions { sessions } else { 0 },
        minutes_per_session: if has_sessions { minutes } else { 0 },
        cost_basis,
        cost_pence: cost,
        expected_gain,
        active: input.active,
    })
}

fn duplicate_name(e: StoreError) -> SenError {
    match e {
        StoreError::Duplicate(_) => SenError::Invalid(vec![Problem::new(
            "name",
            "duplicate",
            "provision.name_duplicate",
        )]),
        StoreError::Conflict => SenError::Conflict,
        e => SenError::Store(e),
    }
}

/// Adds a provision to a school's catalogue.
pub async fn create_provision(
    state: &App,
    actor: &Actor<'_>,
    school_id: &str,
    input: &ProvisionInput,
) -> Result<String, SenError> {
    let fields = check_provision(state, school_id, input).await?;
    let mut tx = state.store.begin().await?;
    let id = Store::insert_provision(&mut tx, school_id, &fields, state.now())
        .await
        .map_err(duplicate_name)?;
    let e = actor
        .event(state, "provision", "create", "allowed")
        .school(school_id.to_string())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Changes a catalogue entry if nobody changed it since `version`.
pub async fn update_provision(
    state: &App,
    actor: &Actor<'_>,
    provision: &Provision,
    version: i64,
    input: &ProvisionInput,
) -> Result<(), SenError> {
    let fields = check_provision(state, &provision.school_id, input).await?;
    let mut tx = state.store.begin().await?;
    Store::update_provision(&mut tx, &provision.id, version, &fields, state.now())
        .await
        .map_err(duplicate_name)?;
    let e = actor
        .event(state, "provision", "update", "allowed")
        .school(provision.school_id.clone())
        .record(provision.id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// An allocation as typed or sent.
#[derive(Debug, Clone, Default)]
pub struct AllocationInput {
    pub provision_id: String,
    pub from_on: Typed<Date>,
    pub to_on: Typed<Date>,
    /// Defaults to the provision's sessions per week.
    pub sessions_per_week: Typed<i64>,
    pub targets: Vec<String>,
    pub measure_name: String,
    pub measure_unit: String,
    pub entry_value: String,
    pub entry_on: Typed<Date>,
}

fn date_field(
    issues: &mut Vec<Problem>,
    field: &'static str,
    v: Typed<Date>,
    missing: &'static str,
) -> Option<Date> {
    match v {
        Entry::Valid(d) => Some(d),
        Entry::Invalid => {
            issues.push(Problem::new(field, "not_a_date", "date.not_real"));
            None
        }
        Entry::Blank => {
            if !missing.is_empty() {
                issues.push(Problem::new(field, "missing", missing));
            }
            None
        }
    }
}

/// The measure of an allocation: all of name, unit, value and date, or none of them.
fn measure_of(
    issues: &mut Vec<Problem>,
    today: Date,
    name: &str,
    unit: &str,
    value: &str,
    on: Typed<Date>,
    prefix: &'static str,
) -> Option<(Measure, MeasureValue, Date)> {
    let name = name.trim();
    let any = !name.is_empty() || !unit.is_empty() || !value.trim().is_empty() || !on.is_blank();
    if !any {
        return None;
    }
    let unit = MeasureUnit::parse(unit);
    if name.is_empty() {
        issues.push(Problem::new(
            "measure_name",
            "missing",
            "provision.measure_name_missing",
        ));
    }
    if unit.is_none() {
        issues.push(Problem::new(
            "measure_unit",
            "missing",
            "provision.measure_unit_missing",
        ));
    }
    let value_field = if prefix == "exit" {
        "exit_value"
    } else {
        "entry_value"
    };
    let on_field = if prefix == "exit" {
        "exit_on"
    } else {
        "entry_on"
    };
    let v = MeasureValue::parse(value);
    if v.is_none() {
        issues.push(Problem::new(
            value_field,
            "not_a_number",
            "provision.measure_value_not_a_number",
        ));
    }
    let on = date_field(issues, on_field, on, "provision.measured_on_missing");
    if let Some(d) = on
        && d > today
    {
        issues.push(Problem::new(on_field, "in_future", "date.in_future"));
        return None;
    }
    Some((
        Measure {
            name: name.to_string(),
            unit: unit?,
        },
        v?,
        on?,
    ))
}

/// The open plans' targets of a pupil: (target id, target text).
pub async fn pupil_targets(
    state: &App,
    pupil: &Pupil,
) -> Result<Vec<(String, String)>, StoreError> {
    state.store.open_targets(&pupil.id).await
}

/// Allocates a pupil to a provision of their school.
pub async fn allocate(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &AllocationInput,
) -> Result<String, SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    let provision = match state
        .store
        .provision(&pupil.school_id, input.provision_id.trim())
        .await
    {
        Ok(p) if p.fields.active => Some(p),
        Ok(_) | Err(StoreError::NotFound) => {
            issues.push(Problem::new(
                "provision_id",
                "unknown_value",
                "provision.provision_id_unknown_value",
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let from = date_field(
        &mut issues,
        "from_on",
        input.from_on,
        "provision.from_on_missing",
    );
    let to = date_field(&mut issues, "to_on", input.to_on, "provision.to_on_missing");
    let dates = match (from, to) {
        (Some(f), Some(t)) => {
            let d = AllocationDates::new(f, t);
            if d.is_none() {
                issues.push(Problem::new(
                    "to_on",
                    "ends_before_start",
                    "provision.to_on_ends_before_start",
                ));
            }
            d
        }
        _ => None,
    };
    let default_sessions = provision.as_ref().map(|p| p.fields.sessions_per_week);
    let sessions = match input.sessions_per_week {
        Entry::Valid(n) if (0..=25).contains(&n) => n,
        Entry::Blank => default_sessions.unwrap_or(0),
        Entry::Valid(_) | Entry::Invalid => {
            issues.push(Problem::new(
                "sessions_per_week",
                "sessions_range",
                "provision.sessions_per_week_sessions_range",
            ));
            0
        }
    };
    let known = pupil_targets(state, pupil).await?;
    if input
        .targets
        .iter()
        .any(|t| !known.iter().any(|(id, _)| id == t))
    {
        issues.push(Problem::new(
            "targets",
            "unknown_value",
            "provision.targets_unknown_value",
        ));
    }
    let measure = measure_of(
        &mut issues,
        today,
        &input.measure_name,
        &input.measure_unit,
        &input.entry_value,
        input.entry_on,
        "entry",
    );
    if let (Some(p), Some(d)) = (&provision, dates) {
        let existing = state
            .store
            .allocations(&actor.principal.scope(), AllocationsOf::Pupil(&pupil.id))
            .await?;
        if existing
            .iter()
            .any(|a| a.provision_id == p.id && a.from_on <= d.to() && d.from() <= a.to_on)
        {
            issues.push(Problem::new(
                "from_on",
                "overlaps",
                "provision.from_on_overlaps",
            ));
        }
    }
    let (Some(provision), Some(dates), true) = (provision, dates, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let (m, entry) = match &measure {
        Some((m, v, on)) => (Some(m), Some((v.get(), *on))),
        None => (None, None),
    };
    let id = Store::insert_allocation(
        &mut tx,
        &NewAllocation {
            provision_id: &provision.id,
            pupil_id: &pupil.id,
            school_id: &pupil.school_id,
            from_on: dates.from(),
            to_on: dates.to(),
            sessions_per_week: sessions,
            targets: &input.targets,
            measure: m,
            entry,
            created_by: Some(&actor.principal.user.id),
        },
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "allocation", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// The end of an allocation and its exit measure.
#[derive(Debug, Clone, Default)]
pub struct ExitInput {
    pub to_on: Typed<Date>,
    pub exit_value: String,
    pub exit_on: Typed<Date>,
}

/// Records the exit measure (and possibly a new end date) of an allocation.
pub async fn record_exit(
    state: &App,
    actor: &Actor<'_>,
    allocation: &Allocation,
    version: i64,
    input: &ExitInput,
) -> Result<(), SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    let to = date_field(&mut issues, "to_on", input.to_on, "").unwrap_or(allocation.to_on);
    if to < allocation.from_on {
        issues.push(Problem::new(
            "to_on",
            "ends_before_start",
            "provision.to_on_ends_before_start",
        ));
    }
    let exit_given = !input.exit_value.trim().is_empty() || !input.exit_on.is_blank();
    let exit = match &allocation.measure {
        // Only the end date: an exit measure already recorded stays.
        Some(_) if !exit_given => allocation.exit,
        Some(m) => measure_of(
            &mut issues,
            today,
            &m.name,
            m.unit.as_str(),
            &input.exit_value,
            input.exit_on,
            "exit",
        )
        .map(|(_, v, on)| (v.get(), on)),
        None if !input.exit_value.trim().is_empty() => {
            issues.push(Problem::new(
                "exit_value",
                "no_entry_measure",
                "provision.exit_value_no_entry_measure",
            ));
            None
        }
        None => None,
    };
    if let (Some((_, on)), Some((_, entry_on))) = (exit, allocation.entry)
        && on < entry_on
    {
        issues.push(Problem::new(
            "exit_on",
            "before_entry",
            "provision.exit_on_before_entry",
        ));
    }
    if !issues.is_empty() {
        return Err(SenError::Invalid(issues));
    }
    let mut tx = state.store.begin().await?;
    Store::update_allocation_end(&mut tx, &allocation.id, version, to, exit, state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict => SenError::Conflict,
            e => SenError::Store(e),
        })?;
    let e = actor
        .event(state, "allocation", "update", "allowed")
        .school(allocation.school_id.clone())
        .pupil(allocation.pupil_id.clone())
        .record(allocation.id.clone())
        .fields("to_on,exit_value,exit_on".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// One session to record.
#[derive(Debug, Clone, Default)]
pub struct SessionInput {
    pub on: Typed<Date>,
    pub minutes: Typed<i64>,
    pub status: String,
    pub reason: String,
}

/// Checks sessions for allocations and records them all in one transaction, or none.
/// Issues of the n-th session carry `n` in the returned list's positions.
pub async fn record_sessions(
    state: &App,
    actor: &Actor<'_>,
    sessions: &[(&Allocation, SessionInput)],
) -> Result<Vec<String>, SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    let mut checked = Vec::new();
    for (allocation, input) in sessions {
        let Some(dates) = AllocationDates::new(allocation.from_on, allocation.to_on) else {
            return Err(SenError::Store(StoreError::Malformed(
                "allocation dates".into(),
            )));
        };
        let on = date_field(&mut issues, "on", input.on, "provision.session_on_missing");
        let status = SessionStatus::parse(&input.status);
        if status.is_none() {
            issues.push(Problem::new(
                "status",
                "missing",
                "provision.status_missing",
            ));
        }
        let minutes = match input.minutes {
            Entry::Valid(m) => m,
            Entry::Blank if status == Some(SessionStatus::Cancelled) => 0,
            Entry::Blank => -1,
            Entry::Invalid => -1,
        };
        if let (Some(on), Some(status)) = (on, status) {
            match check_session(&dates, today, on, minutes, status, &input.reason) {
                Ok(s) => checked.push((*allocation, s)),
                Err(errors) => {
                    for e in errors {
                        issues.push(e.problem());
                    }
                }
            }
        }
    }
    if !issues.is_empty() {
        return Err(SenError::Invalid(issues));
    }
    let mut tx = state.store.begin().await?;
    let mut ids = Vec::new();
    for (allocation, s) in &checked {
        let id = Store::insert_delivery_session(
            &mut tx,
            &NewSession {
                allocation,
                on: s.on,
                minutes: i64::from(s.minutes),
                status: s.status,
                reason: s.reason.as_deref(),
                recorded_by: Some(&actor.principal.user.id),
            },
            state.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => SenError::Invalid(vec![
                Problem::new(
                    "on",
                    "already_recorded",
                    "provision.session_already_recorded",
                )
                .with("date", s.on)
                .with("pupil", allocation.pupil_name.clone()),
            ]),
            e => SenError::Store(e),
        })?;
        let e = actor
            .event(state, "delivery_session", "create", "allowed")
            .school(allocation.school_id.clone())
            .pupil(allocation.pupil_id.clone())
            .record(id.clone());
        Store::audit_in(&mut tx, &e).await?;
        ids.push(id);
    }
    senco_store::commit(tx).await?;
    Ok(ids)
}

/// Delivered against planned for each allocation, with the school's calendar and today.
pub struct DeliveryFacts {
    pub calendars: HashMap<String, SchoolCalendar>,
    pub threshold: u32,
    pub today: Date,
    pub sessions: HashMap<String, Vec<Session>>,
}

impl DeliveryFacts {
    /// Loads what delivery summaries of `allocations` need.
    pub async fn load(state: &App, allocations: &[Allocation]) -> Result<Self, StoreError> {
        let mut calendars = HashMap::new();
        for a in allocations {
            if !calendars.contains_key(&a.school_id) {
                let school = state.store.school(&a.school_id).await?;
                calendars.insert(
                    a.school_id.clone(),
                    crate::calendars::school_calendar(&state.store, &school).await?,
                );
            }
        }
        let ids: Vec<String> = allocations.iter().map(|a| a.id.clone()).collect();
        let mut sessions: HashMap<String, Vec<Session>> = HashMap::new();
        for s in state.store.sessions(&ids).await? {
            sessions.entry(s.allocation_id.clone()).or_default().push(s);
        }
        Ok(DeliveryFacts {
            calendars,
            threshold: shortfall_threshold(state).await?,
            today: state.today(),
            sessions,
        })
    }

    fn dates(a: &Allocation) -> Option<AllocationDates> {
        AllocationDates::new(a.from_on, a.to_on)
    }

    /// School days of the whole allocation.
    pub fn school_days(&self, a: &Allocation) -> u32 {
        match (Self::dates(a), self.calendars.get(&a.school_id)) {
            (Some(d), Some(c)) => d.school_days(c),
            _ => 0,
        }
    }

    /// Sessions planned over the whole allocation.
    pub fn planned_total(&self, a: &Allocation) -> u32 {
        planned_sessions(
            u32::try_from(a.sessions_per_week).unwrap_or(0),
            self.school_days(a),
        )
    }

    /// Delivered against planned so far.
    pub fn summary(&self, a: &Allocation) -> DeliverySummary {
        let days = match (Self::dates(a), self.calendars.get(&a.school_id)) {
            (Some(d), Some(c)) => d.school_days_to(c, self.today),
            _ => 0,
        };
        let planned = planned_sessions(u32::try_from(a.sessions_per_week).unwrap_or(0), days);
        let recorded: Vec<(SessionStatus, u32)> = self
            .sessions
            .get(&a.id)
            .map(|list| {
                list.iter()
                    .filter(|s| s.on <= self.today)
                    .map(|s| (s.status, u32::try_from(s.minutes).unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        summarise(planned, &recorded, self.threshold)
    }

    /// What the allocation costs for its pupil over its whole length, in pence.
    pub fn cost(&self, a: &Allocation, p: &Provision) -> i64 {
        let kind = p.fields.kind;
        let costing = Costing::of(p.fields.cost_basis, p.fields.cost_pence);
        let sessions = if kind.has_sessions() {
            p.fields.sessions_per_week.max(1)
        } else {
            0
        };
        let minutes = if kind.has_sessions() {
            p.fields.minutes_per_session.max(1)
        } else {
            0
        };
        match ProvisionSpec::new(kind, p.fields.group_size, sessions, minutes, costing) {
            Ok(spec) => spec.cost_per_pupil(self.planned_total(a), self.school_days(a)),
            Err(_) => 0,
        }
    }
}

/// The impact of a provision: per measure (name and unit), from allocations with both an
/// entry and an exit measure.
pub fn impact_of(
    provision: &Provision,
    allocations: &[Allocation],
) -> Vec<(String, MeasureUnit, Impact)> {
    let mut groups: Vec<((String, MeasureUnit), Vec<Gain>)> = Vec::new();
    for a in allocations
        .iter()
        .filter(|a| a.provision_id == provision.id)
    {
        let (Some(m), Some((entry, _)), Some((exit, _))) = (&a.measure, a.entry, a.exit) else {
            continue;
        };
        let key = (m.name.trim().to_lowercase(), m.unit);
        let gain = Gain { entry, exit };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(gain),
            None => groups.push((key, vec![gain])),
        }
    }
    groups
        .into_iter()
        .map(|((name, unit), gains)| (name, unit, impact(&gains, provision.fields.expected_gain)))
        .collect()
}

/// An allocation by id, reached through the caller's scope and checked by the matrix like
/// its pupil; one out of reach is refused as not found, and the refusal audited.
pub async fn reach_allocation(
    state: &App,
    actor: &Actor<'_>,
    id: &str,
    resource: senco_domain::policy::Resource,
    action: senco_domain::policy::Action,
) -> Result<(Allocation, Pupil), crate::access::AccessError> {
    match state.store.allocation(&actor.principal.scope(), id).await {
        Ok(a) => {
            let pupil =
                crate::access::pupil_for(state, actor, &a.pupil_id, resource, action).await?;
            Ok((a, pupil))
        }
        Err(StoreError::NotFound) => {
            match state.store.allocation_pupil_unscoped_for_audit(id).await? {
                Some(pupil) => {
                    crate::access::deny_pupil(state, actor, &pupil, resource, action).await;
                }
                // A probe of a missing id is audited alike (SR-03).
                None => crate::access::deny_missing(state, actor, id, resource, action).await,
            }
            Err(crate::access::AccessError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}
