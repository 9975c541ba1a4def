//! Plan pages: writing and changing a plan (with quality checks as warnings), its status,
//! reviews, parents' views, every version, PDFs, and the target bank.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::census::AreaOfNeed;
use senco_domain::entry::Entry;
use senco_domain::framework::{PlanType, Stage, framework};
use senco_domain::plan::{PlanStatus, QualityWarning, ReviewDecision, TargetOutcome};
use senco_domain::policy::{Action, Resource};
use senco_domain::problem::Problem;
use senco_store::plans::{Plan, PlanFields};
use senco_store::pupils::Pupil;
use serde::Deserialize;

use super::forms::Checked;
use super::forms::Fields;
use super::pupils::Choice;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, may, pupil_for, require};
use senco_app::plans::{
    PlanError, PlanInput, ProvisionInput, REVIEW_PEOPLE, ReviewInput, TargetInput,
    add_parent_views, change_status, create_plan, plan_kind_for, record_review, save_plan,
    target_field, warning_field,
};
use senco_app::principal::Principal;

/// A target's slot on the form.
pub struct TargetSlot {
    pub n: usize,
    pub anchor: String,
    pub id_name: String,
    pub id: String,
    pub carried_name: String,
    pub carried: String,
    pub carried_label: String,
    pub area_name: String,
    pub area: String,
    pub text_name: String,
    pub text: String,
    pub strategies_name: String,
    pub strategies: String,
    pub success_name: String,
    pub success: String,
    pub by_name: String,
    pub by_day: String,
    pub by_month: String,
    pub by_year: String,
}

/// A provision slot on the form.
pub struct ProvisionSlot {
    pub n: usize,
    pub what_name: String,
    pub what: String,
    pub who_name: String,
    pub who: String,
    pub often_name: String,
    pub often: String,
    pub group_name: String,
    pub group: String,
}

/// A quality warning on the page, linked to its field.
pub struct Warning {
    pub target: Option<String>,
    pub message: String,
}

fn target_slots(form: &Fields) -> Vec<TargetSlot> {
    let count = form
        .get("target_count")
        .parse::<usize>()
        .unwrap_or(4)
        .clamp(1, senco_domain::plan::MAX_TARGETS);
    (1..=count)
        .map(|n| {
            let name = |f: &str| target_field(n, f);
            TargetSlot {
                n,
                anchor: format!("target-{n}"),
                id: form.get(&name("id")),
                id_name: name("id"),
                carried: form.get(&name("carried")),
                carried_label: if form.get(&name("carried")).is_empty() {
                    String::new()
                } else {
                    words().carried_forward.to_string()
                },
                carried_name: name("carried"),
                area: form.get(&name("area")),
                area_name: name("area"),
                text: form.get(&name("text")),
                text_name: name("text"),
                strategies: form.get(&name("strategies")),
                strategies_name: name("strategies"),
                success: form.get(&name("success")),
                success_name: name("success"),
                by_day: form.get(&format!("{}_day", name("by"))),
                by_month: form.get(&format!("{}_month", name("by"))),
                by_year: form.get(&format!("{}_year", name("by"))),
                by_name: name("by"),
            }
        })
        .collect()
}

fn provision_slots(form: &Fields) -> Vec<ProvisionSlot> {
    let count = form
        .get("provision_count")
        .parse::<usize>()
        .unwrap_or(2)
        .clamp(1, 10);
    (1..=count)
        .map(|n| {
            let name = |f: &str| format!("provision_{n}_{f}");
            ProvisionSlot {
                n,
                what: form.get(&name("what")),
                what_name: name("what"),
                who: form.get(&name("who")),
                who_name: name("who"),
                often: form.get(&name("often")),
                often_name: name("often"),
                group: form.get(&name("group")),
                group_name: name("group"),
            }
        })
        .collect()
}

/// The plan as entered on the form.
pub fn input_from(form: &Fields) -> PlanInput {
    PlanInput {
        starts_on: form.date("starts_on"),
        review_on: form.date("review_on"),
        nature: form.get("nature"),
        help_at_home: form.get("help_at_home"),
        pastoral: form.get("pastoral"),
        pupil_views: form.get("pupil_views"),
        parent_views: form.get("parent_views"),
        consulted: form.get("consulted"),
        targets: target_slots(form)
            .iter()
            .map(|t| TargetInput {
                id: t.id.clone(),
                carried_from: t.carried.clone(),
                area: t.area.clone(),
                target: t.text.clone(),
                strategies: t.strategies.clone(),
                success_criteria: t.success.clone(),
                by_when: form.date(&t.by_name),
            })
            .collect(),
        provision: provision_slots(form)
            .iter()
            .map(|p| ProvisionInput {
                what: p.what.clone(),
                who: p.who.clone(),
                how_often: p.often.clone(),
                group_size: p.group.clone(),
            })
            .collect(),
    }
}

/// The form filled from a stored plan.
pub fn form_from(plan: &PlanFields, version: i64) -> Fields {
    let mut f = Fields::default();
    f.set("version", version.to_string());
    f.set_date("starts_on", plan.starts_on);
    f.set_date("review_on", plan.review_on);
    for (k, v) in [
        ("nature", &plan.nature),
        ("help_at_home", &plan.help_at_home),
        ("pastoral", &plan.pastoral),
        ("pupil_views", &plan.pupil_views),
        ("parent_views", &plan.parent_views),
        ("consulted", &plan.consulted),
    ] {
        f.set(k, v.clone());
    }
    f.set("target_count", plan.targets.len().max(4).to_string());
    for (i, t) in plan.targets.iter().enumerate() {
        let n = i + 1;
        f.set(&target_field(n, "id"), t.id.clone());
        f.set(
            &target_field(n, "carried"),
            t.carried_from.clone().unwrap_or_default(),
        );
        f.set(&target_field(n, "area"), t.area.clone().unwrap_or_default());
        f.set(&target_field(n, "text"), t.target.clone());
        f.set(&target_field(n, "strategies"), t.strategies.clone());
        f.set(&target_field(n, "success"), t.success_criteria.clone());
        if let Some(d) = t.by_when {
            f.set_date(&target_field(n, "by"), d);
        }
    }
    f.set("provision_count", plan.provision.len().max(2).to_string());
    for (i, p) in plan.provision.iter().enumerate() {
        let n = i + 1;
        f.set(&format!("provision_{n}_what"), p.what.clone());
        f.set(&format!("provision_{n}_who"), p.who.clone());
        f.set(&format!("provision_{n}_often"), p.how_often.clone());
        f.set(
            &format!("provision_{n}_group"),
            p.group_size.map(|g| g.to_string()).unwrap_or_default(),
        );
    }
    f
}

/// The plan form again after "Check my plan": with its quality warnings, or with the
/// problems that stop it from being saved.
fn checked_page(
    state: &AppState,
    p: &Principal,
    ctx: &FormContext<'_>,
    form: Fields,
    checked: Result<(PlanFields, Vec<QualityWarning>), PlanError>,
) -> Result<Response, PageError> {
    match checked {
        Ok((_, warnings)) => Ok(form_page(
            state,
            p,
            ctx,
            form,
            FormErrors::default(),
            warnings_for_page(&warnings),
            None,
        )),
        Err(PlanError::Invalid(issues)) => Ok(invalid_form(state, p, ctx, form, &issues)),
        Err(e) => Err(PageError::Internal(anyhow::anyhow!("{e}"))),
    }
}

/// The plan form again with the problems that stop it from being saved.
fn invalid_form(
    state: &AppState,
    p: &Principal,
    ctx: &FormContext<'_>,
    form: Fields,
    issues: &[Problem],
) -> Response {
    form_page(
        state,
        p,
        ctx,
        form,
        issues_to_errors(issues),
        Vec::new(),
        None,
    )
}

fn issues_to_errors(issues: &[Problem]) -> FormErrors {
    let mut errors = FormErrors::default();
    for i in issues {
        let target = match &*i.field {
            "starts_on" | "review_on" | "held_on" | "copy_sent_on" | "agreed_on" => {
                format!("{}-day", i.field)
            }
            f if f.ends_with("_by") => format!("{f}-day"),
            f => f.to_string(),
        };
        errors.add_linked(i.field.to_string(), target, words().problem(i));
    }
    errors
}

fn warnings_for_page(warnings: &[QualityWarning]) -> Vec<Warning> {
    warnings
        .iter()
        .map(|w| Warning {
            target: warning_field(w),
            message: words().quality_warning(w),
        })
        .collect()
}

fn area_choices() -> Vec<Choice> {
    AreaOfNeed::BROAD
        .iter()
        .map(|a| Choice {
            value: a.as_str().to_string(),
            label: a.label().to_string(),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_form.html")]
struct PlanFormPage {
    page: PageChrome,
    pupil_name: String,
    heading: &'static str,
    action: String,
    back: String,
    plan_kind: String,
    stage: String,
    review_hint: String,
    form: Fields,
    targets: Vec<TargetSlot>,
    provision: Vec<ProvisionSlot>,
    areas: Vec<Choice>,
    errors: FormErrors,
    warnings: Vec<Warning>,
    conflict: Option<Vec<(String, String)>>,
}

struct FormContext<'a> {
    pupil: &'a Pupil,
    heading: &'static str,
    action: String,
    back: String,
    plan_type: &'a PlanType,
    stage: Stage,
}

fn form_page(
    state: &AppState,
    p: &Principal,
    ctx: &FormContext<'_>,
    form: Fields,
    errors: FormErrors,
    warnings: Vec<Warning>,
    conflict: Option<Vec<(String, String)>>,
) -> Response {
    let pupil = ctx.pupil;
    let status = if conflict.is_some() {
        StatusCode::CONFLICT
    } else {
        super::forms::status_of(&errors)
    };
    let page = PlanFormPage {
        page: PageChrome::signed_in(state, p, ctx.heading, Section::Pupils).with_errors(&errors),
        pupil_name: pupil.display_name(),
        heading: ctx.heading,
        action: ctx.action.clone(),
        back: ctx.back.clone(),
        plan_kind: ctx.plan_type.name.to_string(),
        stage: ctx.stage.label().to_string(),
        review_hint: format!(
            "{} {} {}",
            words().plan_review_hint,
            ctx.plan_type.review_within_months,
            words().months
        ),
        targets: target_slots(&form),
        provision: provision_slots(&form),
        form,
        areas: area_choices(),
        errors,
        warnings,
        conflict,
    };
    (status, page).into_response()
}

/// Handles the form's extra buttons (add a target or provision slot, use a bank target).
/// Returns the form to show again, or `None` to go on and save.
fn form_action(form: &mut Fields) -> Option<()> {
    match form.get("action").as_str() {
        "add_target" => {
            let n = form.get("target_count").parse::<usize>().unwrap_or(4) + 1;
            form.0.retain(|(k, _)| k != "target_count");
            form.set("target_count", n.to_string());
            Some(())
        }
        "add_provision" => {
            let n = form.get("provision_count").parse::<usize>().unwrap_or(2) + 1;
            form.0.retain(|(k, _)| k != "provision_count");
            form.set("provision_count", n.to_string());
            Some(())
        }
        _ => None,
    }
}

/// `?use_target=ID`: fill the first empty target slot from the bank.
#[derive(Debug, Default, Deserialize)]
pub struct UseTarget {
    use_target: Option<String>,
}

async fn apply_bank_target(
    state: &AppState,
    p: &Principal,
    form: &mut Fields,
    id: &str,
) -> Result<(), PageError> {
    let bank = state
        .store
        .target_bank(p.user.school_id.as_deref(), None, None)
        .await?;
    let Some(t) = bank.into_iter().find(|b| b.id == id) else {
        return Ok(());
    };
    let slots = target_slots(form);
    let n = slots
        .iter()
        .find(|s| s.text.trim().is_empty())
        .map(|s| s.n)
        .unwrap_or(slots.len() + 1);
    if n > slots.len() {
        form.0.retain(|(k, _)| k != "target_count");
        form.set("target_count", n.to_string());
    }
    form.0
        .retain(|(k, _)| !k.starts_with(&format!("target_{n}_")));
    form.set(&target_field(n, "area"), t.area);
    form.set(&target_field(n, "text"), t.target);
    form.set(&target_field(n, "strategies"), t.strategies);
    form.set(&target_field(n, "success"), t.success_criteria);
    Ok(())
}

/// GET /pupils/{id}/plans/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<UseTarget>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let Some(kind) = plan_kind_for(&state, &pupil).await? else {
        return Err(PageError::NotFound);
    };
    let today = state.today();
    let mut form = Fields::with_date("starts_on", today);
    form.set_date(
        "review_on",
        senco_domain::plan::review_limit(kind.plan, today),
    );
    if let Some(t) = &q.use_target {
        apply_bank_target(&state, &p, &mut form, t).await?;
    }
    let ctx = FormContext {
        pupil: &pupil,
        heading: words().plan_new_title,
        action: format!("/pupils/{}/plans/new", pupil.id),
        back: format!("/pupils/{}", pupil.id),
        plan_type: kind.plan,
        stage: kind.stage,
    };
    Ok(form_page(
        &state,
        &p,
        &ctx,
        form,
        FormErrors::default(),
        Vec::new(),
        None,
    ))
}

/// POST /pupils/{id}/plans/new
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { mut form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let Some(kind) = plan_kind_for(&state, &pupil).await? else {
        return Err(PageError::NotFound);
    };
    let ctx = FormContext {
        pupil: &pupil,
        heading: words().plan_new_title,
        action: format!("/pupils/{}/plans/new", pupil.id),
        back: format!("/pupils/{}", pupil.id),
        plan_type: kind.plan,
        stage: kind.stage,
    };
    if !fresh {
        let errors = FormErrors::expired("starts_on");
        return Ok(form_page(&state, &p, &ctx, form, errors, Vec::new(), None));
    }
    if form_action(&mut form).is_some() {
        return Ok(form_page(
            &state,
            &p,
            &ctx,
            form,
            FormErrors::default(),
            Vec::new(),
            None,
        ));
    }
    let input = input_from(&form);
    if form.get("action") == "check" {
        let checked =
            senco_app::plans::check(&state, &pupil, &kind, PlanStatus::Draft, &input, &[]).await;
        return checked_page(&state, &p, &ctx, form, checked);
    }
    match create_plan(&state, &actor, &pupil, &input).await {
        Ok((plan_id, _)) => {
            Ok(Redirect::to(&format!("/plans/{plan_id}?flash=plan_saved")).into_response())
        }
        Err(PlanError::Invalid(issues)) => Ok(invalid_form(&state, &p, &ctx, form, &issues)),
        Err(PlanError::Store(e)) => Err(e.into()),
        Err(e) => Err(PageError::Internal(anyhow::anyhow!("{e}"))),
    }
}

async fn load(
    state: &AppState,
    actor: &Actor<'_>,
    id: &str,
    resource: Resource,
    action: Action,
) -> Result<(Plan, Pupil), PageError> {
    let plan = match state.store.plan(id).await {
        Ok(plan) => plan,
        Err(senco_store::StoreError::NotFound) => {
            senco_app::access::deny_missing(state, actor, id, resource, action).await;
            return Err(PageError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    let pupil = pupil_for(state, actor, &plan.pupil_id, resource, action).await?;
    if !senco_app::plans::plan_visible(actor.principal, &plan) {
        return Err(PageError::NotFound);
    }
    Ok((plan, pupil))
}

fn plan_type_of(plan: &Plan) -> (&'static PlanType, Stage) {
    let (fw, stage) = (plan.fields.framework, plan.fields.stage);
    (
        framework(fw)
            .plan(stage)
            .unwrap_or(&senco_domain::framework::IEP),
        stage,
    )
}

/// Summary rows of a plan (also shown beside a conflicting edit).
fn summary(plan: &PlanFields) -> Vec<(String, String)> {
    let m = words();
    let mut rows = vec![
        (
            m.plan_start_label.to_string(),
            words().long_date(plan.starts_on),
        ),
        (
            m.plan_review_label.to_string(),
            words().long_date(plan.review_on),
        ),
        (m.plan_nature_label.to_string(), plan.nature.clone()),
    ];
    for (i, t) in plan.targets.iter().enumerate() {
        rows.push((
            format!("{} {}", m.target_legend, i + 1),
            format!(
                "{} ({}: {})",
                t.target, m.target_success_label, t.success_criteria
            ),
        ));
    }
    rows
}

/// GET /plans/{id}/edit
pub async fn edit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<UseTarget>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    if !plan.fields.status.is_editable() {
        return Ok(Redirect::to(&format!("/plans/{}", plan.id)).into_response());
    }
    let (plan_type, stage) = plan_type_of(&plan);
    let mut form = form_from(&plan.fields, plan.version);
    if let Some(t) = &q.use_target {
        apply_bank_target(&state, &p, &mut form, t).await?;
    }
    let ctx = FormContext {
        pupil: &pupil,
        heading: words().plan_edit_title,
        action: format!("/plans/{}/edit", plan.id),
        back: format!("/plans/{}", plan.id),
        plan_type,
        stage,
    };
    Ok(form_page(
        &state,
        &p,
        &ctx,
        form,
        FormErrors::default(),
        Vec::new(),
        None,
    ))
}

/// POST /plans/{id}/edit: saves the whole plan unless someone saved it meanwhile, in which
/// case both versions are shown and nothing typed is lost.
pub async fn update(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { mut form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    let (plan_type, stage) = plan_type_of(&plan);
    let ctx = FormContext {
        pupil: &pupil,
        heading: words().plan_edit_title,
        action: format!("/plans/{}/edit", plan.id),
        back: format!("/plans/{}", plan.id),
        plan_type,
        stage,
    };
    if !fresh {
        let errors = FormErrors::expired("starts_on");
        return Ok(form_page(&state, &p, &ctx, form, errors, Vec::new(), None));
    }
    if form_action(&mut form).is_some() {
        return Ok(form_page(
            &state,
            &p,
            &ctx,
            form,
            FormErrors::default(),
            Vec::new(),
            None,
        ));
    }
    let input = input_from(&form);
    let expected = form.get("version").parse::<i64>().unwrap_or(-1);
    if form.get("action") == "check" {
        let kind = senco_app::plans::PlanKindFor {
            framework: plan.fields.framework,
            stage,
            plan: plan_type,
        };
        let checked = senco_app::plans::check(
            &state,
            &pupil,
            &kind,
            PlanStatus::Draft,
            &input,
            &senco_app::plans::own_target_ids(&plan),
        )
        .await;
        return checked_page(&state, &p, &ctx, form, checked);
    }
    match save_plan(&state, &actor, &pupil, &plan, &input, expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/plans/{}?flash=plan_saved", plan.id)).into_response()),
        Err(PlanError::Invalid(issues)) => Ok(invalid_form(&state, &p, &ctx, form, &issues)),
        Err(PlanError::Conflict) => {
            form.0.retain(|(k, _)| k != "version");
            form.set("version", plan.version.to_string());
            Ok(form_page(
                &state,
                &p,
                &ctx,
                form,
                FormErrors::default(),
                Vec::new(),
                Some(summary(&plan.fields)),
            ))
        }
        Err(PlanError::ReadOnly) => {
            Ok(Redirect::to(&format!("/plans/{}", plan.id)).into_response())
        }
        Err(PlanError::Store(e)) => Err(e.into()),
    }
}

/// A target as shown on the plan page.
pub struct TargetView {
    pub n: usize,
    pub id: String,
    pub area: String,
    pub target: String,
    pub strategies: String,
    pub success: String,
    pub by_when: String,
    pub carried: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "plan.html")]
struct PlanPage {
    page: PageChrome,
    plan: Plan,
    pupil_id: String,
    pupil_name: String,
    plan_kind: String,
    status_label: &'static str,
    targets: Vec<TargetView>,
    warnings: Vec<Warning>,
    reviews: Vec<(String, String, String)>,
    contributions: Vec<senco_store::plans::Contribution>,
    staff: bool,
    can_edit: bool,
    can_change_status: bool,
    next_statuses: Vec<Choice>,
    can_review: bool,
    can_add_views: bool,
    form: Fields,
    errors: FormErrors,
    methods: Vec<Choice>,
    extras: Vec<(&'static str, String)>,
}

/// Query with a confirmation key.
#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    flash: Option<String>,
}

async fn plan_page(
    state: &AppState,
    p: &Principal,
    plan: Plan,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    plan_page_with(state, p, plan, pupil, form, errors, None).await
}

async fn plan_page_with(
    state: &AppState,
    p: &Principal,
    plan: Plan,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
    flash: Option<&'static str>,
) -> Result<Response, PageError> {
    let (plan_type, _) = plan_type_of(&plan);
    let status = plan.fields.status;
    let staff = may(p, Resource::PupilSen, Action::Create);
    let targets: Vec<TargetView> = plan
        .fields
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| TargetView {
            n: i + 1,
            id: t.id.clone(),
            area: t
                .area
                .as_deref()
                .and_then(AreaOfNeed::parse)
                .map(|a| a.label().to_string())
                .unwrap_or_default(),
            target: t.target.clone(),
            strategies: t.strategies.clone(),
            success: t.success_criteria.clone(),
            by_when: t.by_when.map(|d| words().long_date(d)).unwrap_or_default(),
            carried: t.carried_from.is_some(),
        })
        .collect();
    let warnings = if staff && status.is_editable() {
        let kind = senco_app::plans::PlanKindFor {
            framework: plan.fields.framework,
            stage: plan.fields.stage,
            plan: plan_type,
        };
        let input = input_from(&form_from(&plan.fields, plan.version));
        senco_app::plans::check(
            state,
            pupil,
            &kind,
            status,
            &input,
            &senco_app::plans::own_target_ids(&plan),
        )
        .await
        .map(|(_, w)| warnings_for_page(&w))
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    let reviews = state
        .store
        .reviews(&plan.id)
        .await?
        .into_iter()
        .map(|r| {
            let decision = r.decision.label();
            let achieved = r
                .outcomes
                .iter()
                .filter(|(_, o, _)| o == "achieved")
                .count();
            (
                words().long_date(r.held_on),
                decision.to_string(),
                format!("{achieved} / {}", r.outcomes.len()),
            )
        })
        .collect();
    let contributions = if staff || may(p, Resource::ParentViews, Action::Create) {
        state.store.contributions(&plan.id).await?
    } else {
        Vec::new()
    };
    let next_statuses = status
        .next()
        .iter()
        .filter(|s| !matches!(s, PlanStatus::Closed | PlanStatus::Draft))
        .map(|s| Choice {
            value: s.as_str().to_string(),
            label: s.label().to_string(),
        })
        .collect();
    let extras = vec![
        (words().help_at_home_label, plan.fields.help_at_home.clone()),
        (words().pastoral_label, plan.fields.pastoral.clone()),
        (
            words().plan_pupil_views_label,
            plan.fields.pupil_views.clone(),
        ),
        (
            words().plan_parent_views_label,
            plan.fields.parent_views.clone(),
        ),
    ];
    let page = PlanPage {
        page: PageChrome::signed_in(state, p, words().plan_title, Section::Pupils)
            .with_errors(&errors)
            .with_flash(flash),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        plan_kind: plan_type.name.to_string(),
        status_label: status.label(),
        targets,
        warnings,
        reviews,
        contributions,
        staff,
        can_edit: staff && status.is_editable(),
        can_change_status: staff && status != PlanStatus::Closed,
        next_statuses,
        can_review: staff && matches!(status, PlanStatus::Active | PlanStatus::UnderReview),
        can_add_views: may(p, Resource::ParentViews, Action::Create)
            && status != PlanStatus::Closed,
        plan,
        form,
        errors,
        methods: super::stage_changes::told_methods(),
        extras,
    };
    let code = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((code, page).into_response())
}

/// GET /plans/{id}: staff see the plan and its checks; parents see it in plain language and
/// can add their views.
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Read).await?;
    plan_page_with(
        &state,
        &p,
        plan,
        &pupil,
        Fields::default(),
        FormErrors::default(),
        super::flash_message(q.flash.as_deref()),
    )
    .await
}

/// POST /plans/{id}/status
pub async fn status(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("status", words().form_expired);
        return plan_page(&state, &p, plan, &pupil, form, errors).await;
    }
    let Some(to) = PlanStatus::parse(&form.get("status")) else {
        errors.add("status", words().choose_plan_status);
        return plan_page(&state, &p, plan, &pupil, form, errors).await;
    };
    let agreed = match form.date("agreed_on") {
        Entry::Valid(d) => Some((d, form.get("agreed_how"))),
        _ => None,
    };
    let expected = form.get("version").parse::<i64>().unwrap_or(-1);
    match change_status(&state, &actor, &pupil, &plan, to, agreed, expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/plans/{}?flash=plan_status", plan.id)).into_response()),
        Err(PlanError::Invalid(issues)) => {
            plan_page(&state, &p, plan, &pupil, form, issues_to_errors(&issues)).await
        }
        Err(PlanError::Conflict) => {
            errors.add("status", words().plan_conflict);
            let fresh = state.store.plan(&plan.id).await?;
            plan_page(&state, &p, fresh, &pupil, form, errors).await
        }
        Err(PlanError::ReadOnly) => Err(PageError::NotFound),
        Err(PlanError::Store(e)) => Err(e.into()),
    }
}

/// POST /plans/{id}/views: a parent adds their views and their child's.
pub async fn views(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::ParentViews, Action::Create).await?;
    if !fresh {
        let errors = FormErrors::expired("parent_views");
        return plan_page(&state, &p, plan, &pupil, form, errors).await;
    }
    match add_parent_views(
        &state,
        &actor,
        &pupil,
        &plan,
        &form.get("parent_views"),
        &form.get("child_views"),
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/plans/{}?flash=views_added", plan.id)).into_response())
        }
        Err(PlanError::Invalid(issues)) => {
            plan_page(&state, &p, plan, &pupil, form, issues_to_errors(&issues)).await
        }
        Err(PlanError::Store(e)) => Err(e.into()),
        Err(e) => Err(PageError::Internal(anyhow::anyhow!("{e}"))),
    }
}

/// A target on the review form.
pub struct OutcomeSlot {
    pub n: usize,
    pub id: String,
    pub target: String,
    pub success: String,
    pub outcome_name: String,
    pub outcome: String,
    pub evidence_name: String,
    pub evidence: String,
    pub carry: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "review_form.html")]
struct ReviewPage {
    page: PageChrome,
    plan_id: String,
    pupil_name: String,
    version: i64,
    people: Vec<Choice>,
    outcomes: Vec<Choice>,
    decisions: Vec<Choice>,
    slots: Vec<OutcomeSlot>,
    contributions: Vec<senco_store::plans::Contribution>,
    form: Fields,
    errors: FormErrors,
}

async fn review_page(
    state: &AppState,
    p: &Principal,
    plan: &Plan,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let m = words();
    let people = REVIEW_PEOPLE
        .iter()
        .zip([
            m.person_parent,
            m.person_pupil,
            m.person_teacher,
            m.person_senco,
            m.person_specialists,
        ])
        .map(|(v, l)| Choice {
            value: v.to_string(),
            label: l.to_string(),
        })
        .collect();
    let slots = plan
        .fields
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| OutcomeSlot {
            n: i + 1,
            id: t.id.clone(),
            target: t.target.clone(),
            success: t.success_criteria.clone(),
            outcome: form.get(&format!("outcome_{}", t.id)),
            outcome_name: format!("outcome_{}", t.id),
            evidence: form.get(&format!("evidence_{}", t.id)),
            evidence_name: format!("evidence_{}", t.id),
            carry: form.has("carry", &t.id),
        })
        .collect();
    let code = super::forms::status_of(&errors);
    let page = ReviewPage {
        page: PageChrome::signed_in(state, p, m.review_title, Section::Pupils).with_errors(&errors),
        plan_id: plan.id.clone(),
        pupil_name: pupil.display_name(),
        version: plan.version,
        people,
        outcomes: TargetOutcome::ALL
            .iter()
            .map(|o| Choice {
                value: o.as_str().into(),
                label: o.label().into(),
            })
            .collect(),
        decisions: ReviewDecision::ALL
            .iter()
            .map(|d| Choice {
                value: d.as_str().into(),
                label: d.label().into(),
            })
            .collect(),
        slots,
        contributions: state.store.contributions(&plan.id).await?,
        form,
        errors,
    };
    Ok((code, page).into_response())
}

/// GET /plans/{id}/review
pub async fn review_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let mut form = Fields::with_date("held_on", state.today());
    for who in ["parent", "pupil", "teacher", "senco"] {
        form.set("invited", who);
    }
    review_page(&state, &p, &plan, &pupil, form, FormErrors::default()).await
}

/// POST /plans/{id}/review
pub async fn review_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    if !fresh {
        let errors = FormErrors::expired("held_on");
        return review_page(&state, &p, &plan, &pupil, form, errors).await;
    }
    let input = ReviewInput {
        held_on: form.date("held_on"),
        invited: form.all("invited"),
        attended: form.all("attended"),
        copy_sent_on: form.date("copy_sent_on"),
        progress: form.get("progress"),
        parent_views: form.get("parent_views"),
        pupil_views: form.get("pupil_views"),
        outcomes: plan
            .fields
            .targets
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    form.get(&format!("outcome_{}", t.id)),
                    form.get(&format!("evidence_{}", t.id)),
                )
            })
            .collect(),
        decision: form.get("decision"),
        carry_forward: form.all("carry"),
        specialists: form.get("specialists"),
    };
    let expected = form.get("version").parse::<i64>().unwrap_or(-1);
    match record_review(&state, &actor, &pupil, &plan, &input, expected).await {
        Ok(done) => Ok(match done.next_plan_id {
            Some(next) => Redirect::to(&format!("/plans/{next}/edit")).into_response(),
            None => {
                Redirect::to(&format!("/pupils/{}?flash=review_recorded", pupil.id)).into_response()
            }
        }),
        Err(PlanError::Invalid(issues)) => {
            review_page(&state, &p, &plan, &pupil, form, issues_to_errors(&issues)).await
        }
        Err(PlanError::Conflict) => {
            let mut errors = FormErrors::default();
            errors.add("held_on", words().plan_conflict);
            let fresh = state.store.plan(&plan.id).await?;
            review_page(&state, &p, &fresh, &pupil, form, errors).await
        }
        Err(PlanError::ReadOnly) => Err(PageError::NotFound),
        Err(PlanError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_versions.html")]
struct VersionsPage {
    page: PageChrome,
    plan_id: String,
    versions: Vec<(i64, String, String, String)>,
}

/// GET /plans/{id}/versions: who changed which part and when.
pub async fn versions(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, _) = load(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let versions = state
        .store
        .plan_versions(&plan.id)
        .await?
        .into_iter()
        .map(|v| {
            (
                v.version,
                v.changed_by.unwrap_or_default(),
                words().utc(v.changed_at),
                v.changed_fields,
            )
        })
        .collect();
    Ok(VersionsPage {
        page: PageChrome::signed_in(&state, &p, words().versions_title, Section::Pupils),
        plan_id: plan.id,
        versions,
    }
    .into_response())
}

/// `?parent=1` for the parent-friendly version.
#[derive(Debug, Default, Deserialize)]
pub struct PdfQuery {
    parent: Option<String>,
}

/// GET /plans/{id}/pdf
pub async fn pdf(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<PdfQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (plan, pupil) = load(&state, &actor, &id, Resource::PupilSen, Action::Read).await?;
    let parent = q.parent.is_some() || !may(&p, Resource::PupilSen, Action::Create);
    let bytes = senco_app::documents::plan_pdf(&state, &plan, &pupil, parent)
        .await
        .map_err(|e| match e {
            senco_app::documents::PdfError::Store(e) => PageError::from(e),
            senco_app::documents::PdfError::Render(e) => {
                PageError::Internal(anyhow::anyhow!("rendering failed: {e}"))
            }
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"plan.pdf\"",
            ),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "target_bank.html")]
struct BankPage {
    page: PageChrome,
    areas: Vec<Choice>,
    area: String,
    q: String,
    plan_id: String,
    targets: Vec<senco_store::plans::BankTarget>,
    can_add: bool,
    form: Fields,
    errors: FormErrors,
}

/// Filters of the target bank (no pupil data).
#[derive(Debug, Default, Deserialize)]
pub struct BankQuery {
    area: Option<String>,
    q: Option<String>,
    plan: Option<String>,
}

async fn bank_page(
    state: &AppState,
    p: &Principal,
    q: &BankQuery,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let targets = state
        .store
        .target_bank(
            p.user.school_id.as_deref(),
            q.area.as_deref(),
            q.q.as_deref(),
        )
        .await?;
    let code = super::forms::status_of(&errors);
    let page = BankPage {
        page: PageChrome::signed_in(state, p, words().bank_title, Section::Pupils)
            .with_errors(&errors),
        areas: area_choices(),
        area: q.area.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        plan_id: q.plan.clone().unwrap_or_default(),
        targets,
        can_add: require(p, Resource::Aggregates, Action::Read).is_ok()
            && may(p, Resource::PupilSen, Action::Create),
        form,
        errors,
    };
    Ok((code, page).into_response())
}

/// GET /target-bank: example targets, searchable; "use this target" fills a plan's form.
pub async fn bank(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Query(q): Query<BankQuery>,
) -> Result<Response, PageError> {
    if !may(&p, Resource::PupilSen, Action::Create) {
        return Err(PageError::NotFound);
    }
    bank_page(&state, &p, &q, Fields::default(), FormErrors::default()).await
}

/// POST /target-bank: a SENCO adds a target for the school.
pub async fn bank_add(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    if !may(&p, Resource::PupilSen, Action::Create) {
        return Err(PageError::NotFound);
    }
    let q = BankQuery::default();
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("bank_target", words().form_expired);
    }
    let area = AreaOfNeed::parse(&form.get("bank_area"));
    if area.is_none() {
        errors.add("bank_area", words().choose_area);
    }
    if form.get("bank_target").trim().is_empty() {
        errors.add("bank_target", words().enter_target);
    }
    if form.get("bank_success").trim().is_empty() {
        errors.add("bank_success", words().enter_success);
    } else if !senco_domain::plan::is_measurable(&form.get("bank_success")) {
        errors.add("bank_success", words().success_not_measurable);
    }
    let (Some(area), true) = (area, errors.is_empty()) else {
        return bank_page(&state, &p, &q, form, errors).await;
    };
    let mut tx = state.store.begin().await?;
    senco_store::Store::insert_bank_target(
        &mut tx,
        &senco_store::plans::NewBankTarget {
            school_id: p.user.school_id.as_deref(),
            area: area.as_str(),
            stage: None,
            target: form.get("bank_target").trim(),
            strategies: form.get("bank_strategies").trim(),
            success_criteria: form.get("bank_success").trim(),
            created_by: Some(&p.user.id),
        },
        state.now(),
    )
    .await?;
    senco_store::commit(tx).await?;
    Ok(Redirect::to("/target-bank?flash=bank_added").into_response())
}
