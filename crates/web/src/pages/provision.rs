//! Provision pages: the school's catalogue, a provision with its pupils, the group register,
//! a pupil's allocation with its delivery log and measures, the provision map (with its CSV)
//! and the impact report.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::Date;
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Resource};
use senco_domain::provision::{
    CostBasis, DeliverySummary, MeasureUnit, ProvisionKind, SessionStatus, format_pounds,
    parse_pounds,
};
use senco_domain::role::Role;
use senco_domain::year_group::{YearGroup, academic_year_start, nc_year};
use senco_store::provision::{Allocation, AllocationsOf, Provision};
use senco_store::pupils::Pupil;
use serde::Deserialize;

use super::forms::Checked;
use super::forms::{Fields, refused, status_of};
use super::pupils::Choice;
use super::sign_in::FlashQuery;
use super::{FormErrors, PageChrome, PageError, Section, flash_message};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, may, pupil_for, require};
use senco_app::principal::Principal;
use senco_app::provision::{
    AllocationInput, DeliveryFacts, ExitInput, ProvisionInput, SessionInput, allocate, decimal,
    impact_of, pupil_targets, reach_allocation, record_exit, record_sessions, whole,
};
use senco_app::sen::SenError;

/// The school whose catalogue the caller may use for `action`, or 404.
fn catalogue_school(p: &Principal, action: Action) -> Result<String, PageError> {
    require(p, Resource::Provision, action)?;
    p.user.school_id.clone().ok_or(PageError::NotFound)
}

fn can_see_costs(p: &Principal) -> bool {
    require(p, Resource::ProvisionCosts, Action::Read).is_ok()
}

async fn audit_list(state: &AppState, actor: &Actor<'_>, record_type: &'static str) {
    let e = actor
        .event(state, record_type, "list", "allowed")
        .school(actor.principal.user.school_id.clone());
    state.audit.read(e).await;
}

/// Delivered against planned, as shown in tables.
pub struct DeliveryView {
    pub planned: u32,
    pub delivered: u32,
    pub pupil_absent: u32,
    pub cancelled: u32,
    pub unrecorded: u32,
    pub percent: String,
    pub shortfall: bool,
}

impl DeliveryView {
    pub fn new(s: &DeliverySummary) -> Self {
        DeliveryView {
            planned: s.planned,
            delivered: s.delivered,
            pupil_absent: s.pupil_absent,
            cancelled: s.cancelled,
            unrecorded: s.unrecorded,
            percent: s
                .school_percent
                .map(|p| format!("{p}%"))
                .unwrap_or_else(|| words().prov_nothing_planned.to_string()),
            shortfall: s.shortfall,
        }
    }
}

/// An amount in pence, however deeply a template refers to it.
pub trait Pence {
    fn pence(&self) -> i64;
}

impl Pence for i64 {
    fn pence(&self) -> i64 {
        *self
    }
}

impl<T: Pence + ?Sized> Pence for &T {
    fn pence(&self) -> i64 {
        (**self).pence()
    }
}

/// Pence as pounds, for templates.
pub fn pounds(pence: impl Pence) -> String {
    format_pounds(pence.pence())
}

/// A measure's value as shown.
fn value(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// One allocation as shown on a pupil's page, a provision's page or an allocation page.
pub struct AllocationRow {
    pub id: String,
    pub pupil_id: String,
    pub pupil_name: String,
    pub provision_id: String,
    pub provision_name: String,
    pub dates: String,
    pub delivery: DeliveryView,
    pub entry: String,
    pub exit: String,
    pub gain: String,
    pub current: bool,
}

fn allocation_row(a: &Allocation, facts: &DeliveryFacts) -> AllocationRow {
    let measure = |m: Option<(f64, Date)>| {
        m.map(|(v, on)| format!("{} ({})", value(v), words().long_date(on)))
            .unwrap_or_default()
    };
    let gain = match (a.entry, a.exit) {
        (Some((e, _)), Some((x, _))) => {
            let g = x - e;
            if g >= 0.0 {
                format!("+{}", value(g))
            } else {
                value(g)
            }
        }
        _ => String::new(),
    };
    AllocationRow {
        id: a.id.clone(),
        pupil_id: a.pupil_id.clone(),
        pupil_name: a.pupil_name.clone(),
        provision_id: a.provision_id.clone(),
        provision_name: a.provision_name.clone(),
        dates: format!(
            "{} to {}",
            words().long_date(a.from_on),
            words().long_date(a.to_on)
        ),
        delivery: DeliveryView::new(&facts.summary(a)),
        entry: measure(a.entry),
        exit: measure(a.exit),
        gain,
        current: a.from_on <= facts.today && facts.today <= a.to_on,
    }
}

/// The provision part of a pupil's page (for anyone who may read the SEN record).
pub async fn pupil_rows(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
) -> Result<Vec<AllocationRow>, PageError> {
    let list = state
        .store
        .allocations(&p.scope(), AllocationsOf::Pupil(&pupil.id))
        .await?;
    let facts = DeliveryFacts::load(state, &list).await?;
    Ok(list.iter().map(|a| allocation_row(a, &facts)).collect())
}

/// A catalogue row.
pub struct CatalogueRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub area: &'static str,
    pub staff: String,
    pub pattern: String,
    pub cost: String,
    pub pupils: usize,
    pub shortfalls: usize,
    pub active: bool,
}

fn pattern(p: &Provision) -> String {
    if p.fields.kind.has_sessions() {
        format!(
            "{} x {} min a week, group of {}",
            p.fields.sessions_per_week, p.fields.minutes_per_session, p.fields.group_size
        )
    } else {
        words().prov_no_sessions.to_string()
    }
}

fn cost_text(p: &Provision) -> String {
    let amount = format_pounds(p.fields.cost_pence);
    match p.fields.cost_basis {
        CostBasis::StaffTime => format!("{amount} {}", words().prov_per_hour),
        CostBasis::PerTerm => format!("{amount} {}", words().prov_per_term),
        CostBasis::PerItem => format!("{amount} {}", words().prov_per_item),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "provisions.html")]
struct CataloguePage {
    page: PageChrome,
    rows: Vec<CatalogueRow>,
    can_add: bool,
    costs: bool,
}

/// GET /provision
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school = catalogue_school(&p, Action::Read)?;
    let provisions = state.store.provisions(&school).await?;
    let allocations = state
        .store
        .allocations(&p.scope(), AllocationsOf::School(&school))
        .await?;
    let facts = DeliveryFacts::load(&state, &allocations).await?;
    audit_list(&state, &actor, "provision").await;
    let rows = provisions
        .iter()
        .map(|pv| {
            let current: Vec<&Allocation> = allocations
                .iter()
                .filter(|a| {
                    a.provision_id == pv.id && a.from_on <= facts.today && facts.today <= a.to_on
                })
                .collect();
            CatalogueRow {
                id: pv.id.clone(),
                name: pv.fields.name.clone(),
                kind: pv.fields.kind.label(),
                area: pv.fields.area.label(),
                staff: staff_text(pv),
                pattern: pattern(pv),
                cost: cost_text(pv),
                pupils: current.len(),
                shortfalls: current
                    .iter()
                    .filter(|a| facts.summary(a).shortfall)
                    .count(),
                active: pv.fields.active,
            }
        })
        .collect();
    Ok(CataloguePage {
        page: PageChrome::signed_in(&state, &p, words().prov_title, Section::Provision)
            .with_flash(flash_message(q.flash.as_deref())),
        rows,
        can_add: require(&p, Resource::Provision, Action::Create).is_ok(),
        costs: can_see_costs(&p),
    }
    .into_response())
}

fn staff_text(pv: &Provision) -> String {
    match (&pv.staff_name, pv.fields.staff_role.is_empty()) {
        (Some(n), true) => n.clone(),
        (Some(n), false) => format!("{n} ({})", pv.fields.staff_role),
        (None, _) => pv.fields.staff_role.clone(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "provision_form.html")]
struct ProvisionFormPage {
    page: PageChrome,
    action: String,
    heading: &'static str,
    kinds: Vec<Choice>,
    areas: Vec<Choice>,
    staff: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
    editing: bool,
}

impl ProvisionFormPage {
    /// How a provision can be costed.
    fn bases(&self) -> Vec<Choice> {
        [
            ("staff_time", words().prov_basis_staff_time),
            ("per_item", words().prov_basis_per_item),
            ("per_term", words().prov_basis_per_term),
        ]
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_string(),
            label: label.to_string(),
        })
        .collect()
    }
}

fn kind_choices() -> Vec<Choice> {
    Choice::all(
        &ProvisionKind::ALL,
        ProvisionKind::as_str,
        ProvisionKind::label,
    )
}

async fn staff_choices(state: &AppState, school: &str) -> Result<Vec<Choice>, PageError> {
    Ok(state
        .store
        .users(&senco_store::users::UserScope::School(school.to_string()))
        .await?
        .into_iter()
        .filter(|u| {
            !u.disabled
                && matches!(
                    u.role,
                    Role::Senco | Role::Teacher | Role::TeachingAssistant | Role::Head
                )
        })
        .map(|u| Choice {
            value: u.id,
            label: format!("{} ({})", u.name, u.role.label()),
        })
        .collect())
}

/// Where a provision form is: the school whose catalogue it edits, where it posts, and
/// whether it edits an entry (rather than adding one).
struct FormTarget<'a> {
    school: &'a str,
    action: String,
    editing: bool,
}

async fn provision_form(
    state: &AppState,
    p: &Principal,
    target: FormTarget<'_>,
    form: Fields,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let FormTarget {
        school,
        action,
        editing,
    } = target;
    let heading = if editing {
        words().prov_edit_title
    } else {
        words().prov_new_title
    };
    let page = ProvisionFormPage {
        page: PageChrome::signed_in(state, p, heading, Section::Provision).with_errors(&errors),
        action,
        heading,
        kinds: kind_choices(),
        areas: super::concerns::area_choices(),
        staff: staff_choices(state, school).await?,
        form,
        errors,
        editing,
    };
    Ok((status, page).into_response())
}

fn provision_input(form: &Fields) -> ProvisionInput {
    let cost = form.get("cost");
    ProvisionInput {
        name: form.get("name"),
        kind: form.get("kind"),
        area: form.get("area"),
        description: form.get("description"),
        staff_role: form.get("staff_role"),
        staff_user_id: form.get("staff_user_id"),
        group_size: whole(&form.get("group_size")),
        sessions_per_week: whole(&form.get("sessions_per_week")),
        minutes_per_session: whole(&form.get("minutes_per_session")),
        cost_basis: form.get("cost_basis"),
        cost_pence: Entry::parse_with(&cost, parse_pounds),
        expected_gain: decimal(&form.get("expected_gain")),
        active: !form.has("retired", "yes"),
    }
}

/// GET /provision/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> Result<Response, PageError> {
    let school = catalogue_school(&p, Action::Create)?;
    let mut form = Fields::default();
    form.set("group_size", "4");
    form.set("cost_basis", "staff_time");
    provision_form(
        &state,
        &p,
        FormTarget {
            school: &school,
            action: "/provision/new".into(),
            editing: false,
        },
        form,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

fn csrf_error(errors: &mut FormErrors, field: &str) {
    errors.add(field, words().form_expired);
}

/// POST /provision/new
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school = catalogue_school(&p, Action::Create)?;
    let action = "/provision/new".to_string();
    if !fresh {
        let mut errors = FormErrors::default();
        csrf_error(&mut errors, "name");
        return provision_form(
            &state,
            &p,
            FormTarget {
                school: &school,
                action,
                editing: false,
            },
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match senco_app::provision::create_provision(&state, &actor, &school, &provision_input(&form))
        .await
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/provision/{id}?flash=provision_saved")).into_response())
        }
        Err(e) => {
            let errors = refused(e, "name")?;
            let status = status_of(&errors);
            provision_form(
                &state,
                &p,
                FormTarget {
                    school: &school,
                    action,
                    editing: false,
                },
                form,
                errors,
                status,
            )
            .await
        }
    }
}

async fn load_provision(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> Result<Provision, PageError> {
    let school = catalogue_school(p, action)?;
    Ok(state.store.provision(&school, id).await?)
}

fn form_of(pv: &Provision) -> Fields {
    let f = &pv.fields;
    let mut form = Fields::default();
    form.set("name", f.name.clone());
    form.set("kind", f.kind.as_str().to_string());
    form.set("area", f.area.as_str().to_string());
    form.set("description", f.description.clone());
    form.set("staff_role", f.staff_role.clone());
    form.set("staff_user_id", f.staff_user_id.clone().unwrap_or_default());
    form.set("group_size", f.group_size.to_string());
    form.set("sessions_per_week", f.sessions_per_week.to_string());
    form.set("minutes_per_session", f.minutes_per_session.to_string());
    form.set("cost_basis", f.cost_basis.as_str().to_string());
    form.set(
        "cost",
        format!("{}.{:02}", f.cost_pence / 100, f.cost_pence % 100),
    );
    form.set(
        "expected_gain",
        f.expected_gain.map(value).unwrap_or_default(),
    );
    if !f.active {
        form.set("retired", "yes");
    }
    form.set("version", pv.version.to_string());
    form
}

/// GET /provision/{id}/edit
pub async fn edit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let pv = load_provision(&state, &p, &id, Action::Update).await?;
    provision_form(
        &state,
        &p,
        FormTarget {
            school: &pv.school_id,
            action: format!("/provision/{}/edit", pv.id),
            editing: true,
        },
        form_of(&pv),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// POST /provision/{id}/edit
pub async fn update(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pv = load_provision(&state, &p, &id, Action::Update).await?;
    let action = format!("/provision/{}/edit", pv.id);
    if !fresh {
        let mut errors = FormErrors::default();
        csrf_error(&mut errors, "name");
        return provision_form(
            &state,
            &p,
            FormTarget {
                school: &pv.school_id,
                action,
                editing: true,
            },
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let version = form.get("version").parse::<i64>().unwrap_or(-1);
    match senco_app::provision::update_provision(
        &state,
        &actor,
        &pv,
        version,
        &provision_input(&form),
    )
    .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/provision/{}?flash=provision_saved", pv.id)).into_response(),
        ),
        Err(e) => {
            let conflict = matches!(e, SenError::Conflict);
            let errors = refused(e, "name")?;
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                status_of(&errors)
            };
            // On a conflict the form keeps what was typed, with the current version so
            // that saving again is a deliberate choice.
            let mut form = form;
            if conflict {
                let fresh = state.store.provision(&pv.school_id, &pv.id).await?;
                form.0.retain(|(k, _)| k != "version");
                form.set("version", fresh.version.to_string());
            }
            provision_form(
                &state,
                &p,
                FormTarget {
                    school: &pv.school_id,
                    action,
                    editing: true,
                },
                form,
                errors,
                status,
            )
            .await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "provision.html")]
struct ProvisionPage {
    page: PageChrome,
    provision: Provision,
    kind: &'static str,
    area: &'static str,
    staff: String,
    pattern: String,
    cost: String,
    costs: bool,
    rows: Vec<AllocationRow>,
    impact: Vec<ImpactRow>,
    can_edit: bool,
    can_record: bool,
}

/// GET /provision/{id}
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pv = load_provision(&state, &p, &id, Action::Read).await?;
    let allocations = state
        .store
        .allocations(&p.scope(), AllocationsOf::Provision(&pv.id))
        .await?;
    let facts = DeliveryFacts::load(&state, &allocations).await?;
    audit_list(&state, &actor, "allocation").await;
    let rows = allocations
        .iter()
        .map(|a| allocation_row(a, &facts))
        .collect();
    let impact = impact_rows(&pv, &allocations);
    Ok(ProvisionPage {
        page: PageChrome::signed_in(&state, &p, words().prov_title, Section::Provision)
            .with_flash(flash_message(q.flash.as_deref())),
        kind: pv.fields.kind.label(),
        area: pv.fields.area.label(),
        staff: staff_text(&pv),
        pattern: pattern(&pv),
        cost: cost_text(&pv),
        costs: can_see_costs(&p),
        rows,
        impact,
        can_edit: require(&p, Resource::Provision, Action::Update).is_ok(),
        can_record: may(&p, Resource::Delivery, Action::Create) && pv.fields.kind.has_sessions(),
        provision: pv,
    }
    .into_response())
}

/// A row of the impact report.
pub struct ImpactRow {
    pub provision_id: String,
    pub provision: String,
    pub measure: String,
    pub unit: &'static str,
    pub pupils: u32,
    pub average_gain: String,
    pub expected_gain: String,
    pub meeting: String,
}

fn impact_rows(pv: &Provision, allocations: &[Allocation]) -> Vec<ImpactRow> {
    impact_of(pv, allocations)
        .into_iter()
        .map(|(measure, unit, i)| ImpactRow {
            provision_id: pv.id.clone(),
            provision: pv.fields.name.clone(),
            measure,
            unit: unit.label(),
            pupils: i.pupils,
            average_gain: i
                .average_gain
                .map(|g| format!("{g:+.1}"))
                .unwrap_or_default(),
            expected_gain: pv.fields.expected_gain.map(value).unwrap_or_default(),
            meeting: match (i.meeting_expected, i.meeting_percent) {
                (Some(n), Some(pc)) => format!("{n} of {} ({pc}%)", i.pupils),
                _ => String::new(),
            },
        })
        .collect()
}

#[derive(Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    day: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    year: String,
}

/// One pupil's line on the group register.
pub struct RegisterLine {
    pub allocation_id: String,
    pub pupil_name: String,
    pub status: String,
    pub minutes: String,
    /// What was recorded already for this pupil on the day, if anything (not recorded again).
    pub recorded: Option<String>,
}

/// The day's sessions already recorded, by allocation.
async fn recorded_on(
    state: &AppState,
    allocations: &[Allocation],
    on: Date,
) -> Result<std::collections::HashMap<String, senco_store::provision::Session>, PageError> {
    let ids: Vec<String> = allocations.iter().map(|a| a.id.clone()).collect();
    Ok(state
        .store
        .sessions(&ids)
        .await?
        .into_iter()
        .filter(|s| s.on == on)
        .map(|s| (s.allocation_id.clone(), s))
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "provision_register.html")]
struct RegisterPage {
    page: PageChrome,
    provision: Provision,
    lines: Vec<RegisterLine>,
    statuses: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
    date_text: String,
}

fn status_choices() -> Vec<Choice> {
    Choice::all(
        &SessionStatus::ALL,
        SessionStatus::as_str,
        SessionStatus::label,
    )
}

/// The allocations on a provision's register for a day: those in scope that include it.
async fn register_allocations(
    state: &AppState,
    p: &Principal,
    pv: &Provision,
    on: Date,
) -> Result<Vec<Allocation>, PageError> {
    if !may(p, Resource::Delivery, Action::Create) {
        return Err(PageError::NotFound);
    }
    Ok(state
        .store
        .allocations(&p.scope(), AllocationsOf::Provision(&pv.id))
        .await?
        .into_iter()
        .filter(|a| a.from_on <= on && on <= a.to_on)
        .collect())
}

async fn register_page(
    state: &AppState,
    p: &Principal,
    pv: Provision,
    on: Option<Date>,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let allocations = match on {
        Some(d) => register_allocations(state, p, &pv, d).await?,
        None => {
            if !may(p, Resource::Delivery, Action::Create) {
                return Err(PageError::NotFound);
            }
            Vec::new()
        }
    };
    let recorded = match on {
        Some(d) => recorded_on(state, &allocations, d).await?,
        None => Default::default(),
    };
    let lines = allocations
        .iter()
        .map(|a| RegisterLine {
            recorded: recorded.get(&a.id).map(|s| {
                if s.status == SessionStatus::Cancelled {
                    s.status.label().to_string()
                } else {
                    format!("{}, {} min", s.status.label(), s.minutes)
                }
            }),
            allocation_id: a.id.clone(),
            pupil_name: a.pupil_name.clone(),
            status: {
                let s = form.get(&format!("status_{}", a.id));
                if s.is_empty() {
                    "delivered".to_string()
                } else {
                    s
                }
            },
            minutes: {
                let m = form.get(&format!("minutes_{}", a.id));
                if m.is_empty() {
                    pv.fields.minutes_per_session.to_string()
                } else {
                    m
                }
            },
        })
        .collect();
    let status = status_of(&errors);
    let page = RegisterPage {
        page: PageChrome::signed_in(state, p, words().prov_register_title, Section::Provision)
            .with_errors(&errors),
        date_text: on.map(|d| words().long_date(d)).unwrap_or_default(),
        provision: pv,
        lines,
        statuses: status_choices(),
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /provision/{id}/register?day=&month=&year=
pub async fn register(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> Result<Response, PageError> {
    let pv = load_provision(&state, &p, &id, Action::Read).await?;
    let mut form = Fields::default();
    let mut errors = FormErrors::default();
    let on = match senco_domain::pupil::date_from_parts(&q.day, &q.month, &q.year) {
        Entry::Blank => Some(state.today()),
        Entry::Valid(d) => Some(d),
        Entry::Invalid => {
            errors.add_linked("on", "on-day", words().prov_real_date);
            None
        }
    };
    match on {
        Some(d) => form.set_date("on", d),
        None => {
            form.set("on_day", q.day.clone());
            form.set("on_month", q.month.clone());
            form.set("on_year", q.year.clone());
        }
    }
    register_page(&state, &p, pv, on, form, errors).await
}

/// POST /provision/{id}/register: every pupil's line at once, all or nothing.
pub async fn register_submit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pv = load_provision(&state, &p, &id, Action::Read).await?;
    let on = form.date("on");
    let mut errors = FormErrors::default();
    let Entry::Valid(day) = on else {
        errors.add_linked("on", "on-day", words().prov_real_date);
        return register_page(&state, &p, pv, None, form, errors).await;
    };
    if !fresh {
        errors.add_linked("on", "on-day", words().form_expired);
        return register_page(&state, &p, pv, Some(day), form, errors).await;
    }
    let allocations = register_allocations(&state, &p, &pv, day).await?;
    if allocations.is_empty() {
        errors.add_linked("on", "on-day", words().prov_register_nobody);
        return register_page(&state, &p, pv, Some(day), form, errors).await;
    }
    let reason = form.get("reason");
    let done = recorded_on(&state, &allocations, day).await?;
    if allocations.iter().all(|a| done.contains_key(&a.id)) {
        errors.add_linked("on", "on-day", words().prov_register_all_recorded);
        return register_page(&state, &p, pv, Some(day), form, errors).await;
    }
    let inputs: Vec<(&Allocation, SessionInput)> = allocations
        .iter()
        .filter(|a| !done.contains_key(&a.id))
        .map(|a| {
            (
                a,
                SessionInput {
                    on: Entry::Valid(day),
                    minutes: whole(&form.get(&format!("minutes_{}", a.id))),
                    status: form.get(&format!("status_{}", a.id)),
                    reason: reason.clone(),
                },
            )
        })
        .collect();
    for (a, _) in &inputs {
        // The matrix decides for each pupil, and each access is audited.
        pupil_for(
            &state,
            &actor,
            &a.pupil_id,
            Resource::Delivery,
            Action::Create,
        )
        .await?;
    }
    match record_sessions(&state, &actor, &inputs).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/provision/{}?flash=register_saved", pv.id)).into_response())
        }
        Err(SenError::Invalid(issues)) => {
            let mut errors = FormErrors::default();
            let mut seen = Vec::new();
            for i in issues {
                // One message per problem, linked to the register's date or reason.
                let message = words().problem(&i);
                if seen.contains(&message) {
                    continue;
                }
                seen.push(message.clone());
                let (field, target) = match &*i.field {
                    "reason" => ("reason", "reason"),
                    "minutes" => ("minutes", "register"),
                    "status" => ("status", "register"),
                    _ => ("on", "on-day"),
                };
                errors.add_linked(field, target, message);
            }
            register_page(&state, &p, pv, Some(day), form, errors).await
        }
        Err(SenError::Conflict) => Err(PageError::Internal(anyhow::anyhow!("conflict"))),
        Err(SenError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "allocation_form.html")]
struct AllocationFormPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    provisions: Vec<Choice>,
    targets: Vec<Choice>,
    units: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

fn unit_choices() -> Vec<Choice> {
    Choice::all(&MeasureUnit::ALL, MeasureUnit::as_str, MeasureUnit::label)
}

async fn allocation_form(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let provisions = state
        .store
        .provisions(&pupil.school_id)
        .await?
        .into_iter()
        .filter(|pv| pv.fields.active)
        .map(|pv| Choice {
            label: format!("{} ({})", pv.fields.name, pv.fields.kind.label()),
            value: pv.id,
        })
        .collect();
    let targets = pupil_targets(state, pupil)
        .await?
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect();
    let status = status_of(&errors);
    let page = AllocationFormPage {
        page: PageChrome::signed_in(state, p, words().prov_allocate_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        provisions,
        targets,
        units: unit_choices(),
        form,
        errors,
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
pub struct AllocateQuery {
    #[serde(default)]
    provision: String,
}

/// GET /pupils/{id}/allocations/new
pub async fn allocate_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<AllocateQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let mut form = Fields::default();
    form.set("provision_id", q.provision);
    form.set_date("from_on", state.today());
    allocation_form(&state, &p, &pupil, form, FormErrors::default()).await
}

/// POST /pupils/{id}/allocations/new
pub async fn allocate_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    if !fresh {
        let mut errors = FormErrors::default();
        csrf_error(&mut errors, "provision_id");
        return allocation_form(&state, &p, &pupil, form, errors).await;
    }
    let input = AllocationInput {
        provision_id: form.get("provision_id"),
        from_on: form.date("from_on"),
        to_on: form.date("to_on"),
        sessions_per_week: whole(&form.get("sessions_per_week")),
        targets: form.all("targets"),
        measure_name: form.get("measure_name"),
        measure_unit: form.get("measure_unit"),
        entry_value: form.get("entry_value"),
        entry_on: form.date("entry_on"),
    };
    match allocate(&state, &actor, &pupil, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/pupils/{}?flash=allocated", pupil.id)).into_response()),
        Err(e) => {
            let errors = refused(e, "name")?;
            allocation_form(&state, &p, &pupil, form, errors).await
        }
    }
}

/// A recorded session as shown.
pub struct SessionRow {
    pub on: String,
    pub status: &'static str,
    pub minutes: i64,
    pub reason: String,
    pub by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "allocation.html")]
struct AllocationPage {
    page: PageChrome,
    row: AllocationRow,
    measure: String,
    targets: Vec<String>,
    sessions: Vec<SessionRow>,
    statuses: Vec<Choice>,
    can_record: bool,
    can_update: bool,
    has_measure: bool,
    version: i64,
    form: Fields,
    errors: FormErrors,
    cost: String,
}

async fn allocation_page(
    state: &AppState,
    p: &Principal,
    a: Allocation,
    form: Fields,
    errors: FormErrors,
    flash: Option<&'static str>,
) -> Result<Response, PageError> {
    let facts = DeliveryFacts::load(state, std::slice::from_ref(&a)).await?;
    let sessions = facts
        .sessions
        .get(&a.id)
        .map(|list| {
            list.iter()
                .rev()
                .map(|s| SessionRow {
                    on: words().long_date(s.on),
                    status: s.status.label(),
                    minutes: s.minutes,
                    reason: s.reason.clone().unwrap_or_default(),
                    by: s.recorded_by_name.clone().unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut targets = Vec::new();
    if !a.targets.is_empty() {
        for listed in state.store.plans_for_pupil(&a.pupil_id).await? {
            let plan = state.store.plan(&listed.id).await?;
            targets.extend(
                plan.fields
                    .targets
                    .into_iter()
                    .filter(|t| a.targets.contains(&t.id))
                    .map(|t| t.target),
            );
        }
    }
    let cost = if can_see_costs(p) {
        match state.store.provision(&a.school_id, &a.provision_id).await {
            Ok(pv) => format_pounds(facts.cost(&a, &pv)),
            Err(_) => String::new(),
        }
    } else {
        String::new()
    };
    let status = status_of(&errors);
    let page = AllocationPage {
        page: PageChrome::signed_in(state, p, words().prov_allocation_title, Section::Pupils)
            .with_errors(&errors)
            .with_flash(flash),
        measure: a
            .measure
            .as_ref()
            .map(|m| format!("{} ({})", m.name, m.unit.label()))
            .unwrap_or_default(),
        targets,
        sessions,
        statuses: status_choices(),
        can_record: may(p, Resource::Delivery, Action::Create),
        can_update: may(p, Resource::PupilSen, Action::Update),
        has_measure: a.measure.is_some(),
        version: a.version,
        row: allocation_row(&a, &facts),
        form,
        errors,
        cost,
    };
    Ok((status, page).into_response())
}

fn session_defaults(state: &AppState, a: &Allocation) -> Fields {
    let mut form = Fields::with_date("on", state.today().min(a.to_on).max(a.from_on));
    form.set("status", "delivered");
    form.set_date("to_on", a.to_on);
    form
}

/// GET /allocations/{id}
pub async fn allocation_show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (a, _) =
        reach_allocation(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let form = session_defaults(&state, &a);
    let flash = flash_message(q.flash.as_deref());
    allocation_page(&state, &p, a, form, FormErrors::default(), flash).await
}

/// POST /allocations/{id}/sessions: one session for one pupil.
pub async fn session_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (a, _) = reach_allocation(&state, &actor, &id, Resource::Delivery, Action::Create).await?;
    if !fresh {
        let mut errors = FormErrors::default();
        errors.add_linked("on", "on-day", words().form_expired);
        return allocation_page(&state, &p, a, form, errors, None).await;
    }
    let input = SessionInput {
        on: form.date("on"),
        minutes: whole(&form.get("minutes")),
        status: form.get("status"),
        reason: form.get("reason"),
    };
    match record_sessions(&state, &actor, &[(&a, input)]).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/allocations/{}?flash=session_saved", a.id)).into_response())
        }
        Err(e) => {
            let mut errors = refused(e, "name")?;
            for err in &mut errors.list {
                if err.field == "on" {
                    err.target = "on-day".into();
                }
            }
            allocation_page(&state, &p, a, form, errors, None).await
        }
    }
}

/// POST /allocations/{id}/exit: the end date and exit measure.
pub async fn exit_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (a, _) = reach_allocation(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    if !fresh {
        let mut errors = FormErrors::default();
        errors.add_linked("exit_value", "exit_value", words().form_expired);
        return allocation_page(&state, &p, a, form, errors, None).await;
    }
    let version = form.get("version").parse::<i64>().unwrap_or(-1);
    let input = ExitInput {
        to_on: form.date("to_on"),
        exit_value: form.get("exit_value"),
        exit_on: form.date("exit_on"),
    };
    match record_exit(&state, &actor, &a, version, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/allocations/{}?flash=exit_saved", a.id)).into_response())
        }
        Err(SenError::Conflict) => {
            let fresh = state.store.allocation(&p.scope(), &a.id).await?;
            let mut errors = FormErrors::default();
            errors.add("exit_value", words().prov_changed_meanwhile);
            let mut response = allocation_page(&state, &p, fresh, form, errors, None).await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => {
            let mut errors = refused(e, "name")?;
            for err in &mut errors.list {
                if err.field == "exit_on" || err.field == "to_on" {
                    err.target = format!("{}-day", err.field);
                }
            }
            allocation_page(&state, &p, a, form, errors, None).await
        }
    }
}

/// A cell of the provision map: the pupils of a year group in a provision.
#[derive(Default, Clone)]
pub struct MapCell {
    pub pupils: Vec<(String, String)>,
    pub cost: i64,
}

/// A row of the provision map.
pub struct MapRow {
    pub id: String,
    pub name: String,
    pub area: &'static str,
    pub cells: Vec<MapCell>,
    pub pupils: usize,
    pub cost: i64,
}

/// The provision map of a school for an academic year.
pub struct ProvisionMap {
    pub years: Vec<String>,
    pub rows: Vec<MapRow>,
    /// (area of need, pupils, cost)
    pub areas: Vec<(&'static str, usize, i64)>,
    /// (pupil id, name, provisions, cost), most expensive first.
    pub per_pupil: Vec<(String, String, usize, i64)>,
    pub total_cost: i64,
    pub total_pupils: usize,
    pub year_label: String,
}

fn year_of(a: &Allocation, on: Date) -> Option<YearGroup> {
    match a.pupil_year_override {
        Some(code) => i8::try_from(code).ok().and_then(YearGroup::from_code),
        None => nc_year(a.pupil_date_of_birth, academic_year_start(on)),
    }
}

/// Builds the map: allocations overlapping the academic year that contains `on`.
pub async fn build_map(
    state: &AppState,
    p: &Principal,
    school: &str,
    on: Date,
) -> Result<ProvisionMap, PageError> {
    let start_year = academic_year_start(on);
    let (Ok(from), Ok(to)) = (
        Date::from_calendar_date(start_year, time::Month::September, 1),
        Date::from_calendar_date(start_year + 1, time::Month::August, 31),
    ) else {
        return Err(PageError::NotFound);
    };
    let provisions = state.store.provisions(school).await?;
    let allocations: Vec<Allocation> = state
        .store
        .allocations(&p.scope(), AllocationsOf::School(school))
        .await?
        .into_iter()
        .filter(|a| a.from_on <= to && from <= a.to_on)
        .collect();
    let facts = DeliveryFacts::load(state, &allocations).await?;
    let mut years: BTreeMap<i8, String> = BTreeMap::new();
    for a in &allocations {
        if let Some(y) = year_of(a, on) {
            years.insert(y.code(), y.label());
        }
    }
    let year_codes: Vec<i8> = years.keys().copied().collect();
    let mut per_pupil: BTreeMap<String, (String, usize, i64)> = BTreeMap::new();
    let mut areas: Vec<(&'static str, std::collections::BTreeSet<String>, i64)> = Vec::new();
    let mut rows = Vec::new();
    for pv in &provisions {
        let mine: Vec<&Allocation> = allocations
            .iter()
            .filter(|a| a.provision_id == pv.id)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut cells = vec![MapCell::default(); year_codes.len()];
        let mut cost = 0;
        for a in &mine {
            let c = facts.cost(a, pv);
            cost += c;
            if let Some(i) =
                year_of(a, on).and_then(|y| year_codes.iter().position(|c| *c == y.code()))
            {
                cells[i]
                    .pupils
                    .push((a.pupil_id.clone(), a.pupil_name.clone()));
                cells[i].cost += c;
            }
            let entry = per_pupil
                .entry(a.pupil_id.clone())
                .or_insert_with(|| (a.pupil_name.clone(), 0, 0));
            entry.1 += 1;
            entry.2 += c;
            let area = pv.fields.area.label();
            match areas.iter_mut().find(|(n, _, _)| *n == area) {
                Some((_, set, total)) => {
                    set.insert(a.pupil_id.clone());
                    *total += c;
                }
                None => areas.push((area, [a.pupil_id.clone()].into_iter().collect(), c)),
            }
        }
        let pupils = mine
            .iter()
            .map(|a| a.pupil_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        rows.push(MapRow {
            id: pv.id.clone(),
            name: pv.fields.name.clone(),
            area: pv.fields.area.label(),
            cells,
            pupils,
            cost,
        });
    }
    let mut per_pupil: Vec<(String, String, usize, i64)> = per_pupil
        .into_iter()
        .map(|(id, (name, n, cost))| (id, name, n, cost))
        .collect();
    per_pupil.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.1.cmp(&b.1)));
    Ok(ProvisionMap {
        years: years.into_values().collect(),
        total_cost: rows.iter().map(|r| r.cost).sum(),
        total_pupils: per_pupil.len(),
        rows,
        areas: areas
            .into_iter()
            .map(|(a, set, cost)| (a, set.len(), cost))
            .collect(),
        per_pupil,
        year_label: format!("{}/{:02}", start_year, (start_year + 1) % 100),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "provision_map.html")]
struct MapPage {
    page: PageChrome,
    map: ProvisionMap,
    costs: bool,
    year: i32,
}

/// Which school year a map shows: `?year=2025` for 2025/26, this year by default.
#[derive(Debug, Default, Deserialize)]
pub struct MapQuery {
    #[serde(default)]
    year: String,
}

impl MapQuery {
    /// A day in the chosen school year (its first), or today.
    fn day(&self, today: Date) -> Date {
        self.year
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .and_then(|y| Date::from_calendar_date(y, time::Month::September, 1).ok())
            .unwrap_or(today)
    }
}

/// GET /provision-map?year=
pub async fn map(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<MapQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school = catalogue_school(&p, Action::Read)?;
    let day = q.day(state.today());
    let map = build_map(&state, &p, &school, day).await?;
    audit_list(&state, &actor, "provision_map").await;
    Ok(MapPage {
        page: PageChrome::signed_in(&state, &p, words().prov_map_title, Section::Provision),
        map,
        costs: can_see_costs(&p),
        year: academic_year_start(day),
    }
    .into_response())
}

/// The map as CSV: a row per pupil per provision (cost only for those who may see costs).
pub fn map_csv(
    map: &ProvisionMap,
    allocations: &[(String, String, String, String)],
    costs: bool,
) -> String {
    use super::register::csv_field;
    let mut out = String::new();
    let mut head = vec!["Provision", "Area of need", "Year group", "Pupil"];
    if costs {
        head.push("Cost");
    }
    out.push_str(
        &head
            .iter()
            .map(|h| csv_field(h))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for (provision, year, pupil, cost) in allocations {
        let area = map
            .rows
            .iter()
            .find(|r| &r.name == provision)
            .map(|r| r.area)
            .unwrap_or("");
        let mut cells = vec![
            csv_field(provision),
            csv_field(area),
            csv_field(year),
            csv_field(pupil),
        ];
        if costs {
            cells.push(csv_field(cost));
        }
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    if costs {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            csv_field("Total"),
            csv_field(""),
            csv_field(""),
            csv_field(&map.total_pupils.to_string()),
            csv_field(&format_pounds(map.total_cost))
        ));
    }
    out
}

/// GET /provision-map.csv?year=
pub async fn map_download(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<MapQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let body = async {
        let school = catalogue_school(&p, Action::Read)?;
        let map = build_map(&state, &p, &school, q.day(state.today())).await?;
        let mut lines: Vec<(String, String, String, String)> = Vec::new();
        for r in &map.rows {
            for (i, c) in r.cells.iter().enumerate() {
                let share = if c.pupils.is_empty() {
                    0
                } else {
                    c.cost / c.pupils.len() as i64
                };
                for (_, name) in &c.pupils {
                    lines.push((
                        r.name.clone(),
                        map.years.get(i).cloned().unwrap_or_default(),
                        name.clone(),
                        format_pounds(share),
                    ));
                }
            }
        }
        let e = actor
            .event(&state, "provision_map", "export", "allowed")
            .school(school);
        state.audit.read(e).await;
        Ok::<_, PageError>(map_csv(&map, &lines, can_see_costs(&p)))
    }
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"provision-map.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "provision_impact.html")]
struct ImpactPage {
    page: PageChrome,
    impact: Vec<ImpactRow>,
}

/// GET /provision/impact
pub async fn impact(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let school = catalogue_school(&p, Action::Read)?;
    let provisions = state.store.provisions(&school).await?;
    let allocations = state
        .store
        .allocations(&p.scope(), AllocationsOf::School(&school))
        .await?;
    audit_list(&state, &actor, "impact_report").await;
    let impact = provisions
        .iter()
        .flat_map(|pv| impact_rows(pv, &allocations))
        .collect();
    Ok(ImpactPage {
        page: PageChrome::signed_in(&state, &p, words().prov_impact_title, Section::Provision),
        impact,
    }
    .into_response())
}
