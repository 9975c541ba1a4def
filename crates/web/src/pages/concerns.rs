//! Concerns: any teacher, teaching assistant or SENCO raises one about a pupil they teach;
//! the SENCO triages it (keep monitoring, place on a stage, or close with a reason).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::census::AreaOfNeed;
use senco_domain::concern::ConcernStatus;
use senco_domain::framework::{Stage, Trigger, framework};
use senco_domain::policy::{Action, Resource};
use senco_store::pupils::Pupil;
use senco_store::sen::Concern;

use super::forms::Checked;
use super::forms::{Fields, form_errors, invalid_form};
use super::pupils::Choice;
use super::stage_changes::{StageForm, stage_form};
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{AccessError, Actor, pupil_for};
use senco_app::principal::Principal;
use senco_app::sen::{
    ConcernInput, SenError, Triage, frameworks_in_force, next_stages, raise_concern, triage_concern,
};
use senco_app::sen::{audit_concern_list, reach_concern, school_concerns};

/// A group of trigger checkboxes for one stage.
pub struct TriggerGroup {
    pub heading: &'static str,
    pub triggers: &'static [Trigger],
}

#[derive(Template, WebTemplate)]
#[template(path = "concern_form.html")]
struct ConcernPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    areas: Vec<Choice>,
    groups: Vec<TriggerGroup>,
    form: Fields,
    errors: FormErrors,
}

impl ConcernPage {
    /// The element id of a trigger checkbox: the first is `triggers`, so the error summary
    /// can link to it.
    fn trigger_dom_id(&self, id: &str) -> String {
        let first = self
            .groups
            .first()
            .and_then(|g| g.triggers.first())
            .map(|t| t.id);
        if first == Some(id) {
            "triggers".to_string()
        } else {
            format!("triggers-{id}")
        }
    }
}

async fn trigger_groups(state: &AppState, pupil: &Pupil) -> Result<Vec<TriggerGroup>, PageError> {
    let today = state.today();
    let school = state.store.school(&pupil.school_id).await?;
    let key = frameworks_in_force(&school, today).into_iter().next();
    let Some(key) = key else {
        return Ok(Vec::new());
    };
    let fw = framework(key);
    let current = state.store.current_stage(&pupil.id).await?.map(|c| c.stage);
    Ok(next_stages(current, school.phase.is_early_years())
        .into_iter()
        .filter(|s| fw.contains(*s))
        .map(|s| TriggerGroup {
            heading: s.label(),
            triggers: fw.triggers(s),
        })
        .filter(|g| !g.triggers.is_empty())
        .collect())
}

/// The broad areas of need, as options.
pub fn area_choices() -> Vec<Choice> {
    Choice::all(&AreaOfNeed::BROAD, AreaOfNeed::as_str, AreaOfNeed::label)
}

async fn concern_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let status = super::forms::status_of(&errors);
    let page = ConcernPage {
        page: PageChrome::signed_in(state, p, words().concern_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        areas: area_choices(),
        groups: trigger_groups(state, pupil).await?,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /pupils/{id}/concerns/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Concern, Action::Create).await?;
    let form = Fields::with_date("raised_on", state.today());
    concern_page(&state, &p, &pupil, form, FormErrors::default()).await
}

/// POST /pupils/{id}/concerns/new
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Concern, Action::Create).await?;
    if !fresh {
        let errors = FormErrors::expired("areas");
        return concern_page(&state, &p, &pupil, form, errors).await;
    }
    let input = ConcernInput {
        raised_on: form.date("raised_on"),
        areas: form.all("areas"),
        details: form.get("details"),
        triggers: form.all("triggers"),
        tried: form.get("tried"),
        result: form.get("result"),
    };
    match raise_concern(&state, &actor, &pupil, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/pupils/{}?flash=concern_raised", pupil.id)).into_response())
        }
        Err(e) => concern_page(&state, &p, &pupil, form, invalid_form(e)?).await,
    }
}

/// A row of a concern list.
pub struct ConcernRow {
    pub id: String,
    pub pupil: String,
    pub raised_on: String,
    pub raised_by: String,
    pub areas: String,
}

fn area_labels(keys: &str) -> String {
    keys.split(',')
        .filter_map(AreaOfNeed::parse)
        .map(|a| a.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template, WebTemplate)]
#[template(path = "concerns.html")]
struct ConcernsPage {
    page: PageChrome,
    awaiting: Vec<ConcernRow>,
    monitoring: Vec<ConcernRow>,
}

/// The school's concerns awaiting triage and being monitored.
pub async fn open_concerns(
    state: &AppState,
    p: &Principal,
) -> Result<(Vec<ConcernRow>, Vec<ConcernRow>), PageError> {
    let rows = school_concerns(state, p).await?;
    let (mut awaiting, mut monitoring) = (Vec::new(), Vec::new());
    for (c, name) in rows {
        let row = ConcernRow {
            id: c.id.clone(),
            pupil: name,
            raised_on: words().long_date(c.raised_on),
            raised_by: c.raised_by_name.clone(),
            areas: area_labels(&c.areas),
        };
        if c.status == ConcernStatus::AwaitingTriage {
            awaiting.push(row)
        } else {
            monitoring.push(row)
        }
    }
    Ok((awaiting, monitoring))
}

/// GET /concerns
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    axum::extract::Query(q): axum::extract::Query<super::sign_in::FlashQuery>,
) -> Result<Response, PageError> {
    let (awaiting, monitoring) = open_concerns(&state, &p).await?;
    let actor = rid.actor(&p);
    audit_concern_list(&state, &actor).await;
    Ok(ConcernsPage {
        page: PageChrome::signed_in(&state, &p, words().concerns_title, Section::Concerns)
            .with_flash(super::flash_message(q.flash.as_deref())),
        awaiting,
        monitoring,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "concern.html")]
struct ConcernDetailPage {
    page: PageChrome,
    concern: Concern,
    pupil_id: String,
    pupil_name: String,
    areas: String,
    triggers: Vec<&'static str>,
    can_triage: bool,
    form: Fields,
    errors: FormErrors,
    stage: StageForm,
}

async fn load(
    state: &AppState,
    actor: &Actor<'_>,
    id: &str,
    action: Action,
) -> Result<(Concern, Pupil), PageError> {
    reach_concern(state, actor, id, action)
        .await
        .map_err(|e| match e {
            AccessError::NotFound => PageError::NotFound,
            AccessError::Store(e) => e.into(),
        })
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    concern: Concern,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let fw = framework(concern.framework);
    let triggers = Stage::ALL
        .iter()
        .flat_map(|s| fw.triggers(*s).iter())
        .filter(|t| concern.triggers.split(',').any(|id| id == t.id))
        .map(|t| t.text)
        .collect::<Vec<_>>();
    let can_triage =
        senco_app::access::may(p, Resource::Concern, Action::Update) && !concern.status.is_final();
    let status = super::forms::status_of(&errors);
    let stage = stage_form(state, pupil, None).await?;
    let page = ConcernDetailPage {
        page: PageChrome::signed_in(state, p, words().concern_heading, Section::Concerns)
            .with_errors(&errors),
        areas: area_labels(&concern.areas),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        triggers,
        can_triage,
        concern,
        form,
        errors,
        stage,
    };
    Ok((status, page).into_response())
}

/// GET /concerns/{id}
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (concern, pupil) = load(&state, &actor, &id, Action::Read).await?;
    let form = Fields::with_date("effective_on", state.today());
    detail_page(&state, &p, concern, &pupil, form, FormErrors::default()).await
}

/// POST /concerns/{id}: the SENCO's decision.
pub async fn decide(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (concern, pupil) = load(&state, &actor, &id, Action::Update).await?;
    let mut errors = FormErrors::default();
    if concern.status.is_final() {
        errors.add("decision", words().concern_changed);
        let mut response = detail_page(&state, &p, concern, &pupil, form, errors).await?;
        *response.status_mut() = StatusCode::CONFLICT;
        return Ok(response);
    }
    if !fresh {
        errors.add("decision", words().form_expired);
        return detail_page(&state, &p, concern, &pupil, form, errors).await;
    }
    let decision = match form.get("decision").as_str() {
        "monitor" => Triage::Monitor,
        "close" => Triage::Close(form.get("close_reason")),
        "place" => Triage::Place(super::stage_changes::input_from(&form)),
        _ => {
            errors.add("decision", words().choose_triage);
            return detail_page(&state, &p, concern, &pupil, form, errors).await;
        }
    };
    let version = form.get("version").parse::<i64>().unwrap_or(-1);
    match triage_concern(&state, &actor, &pupil, &concern.id, version, &decision).await {
        Ok(()) => Ok(Redirect::to("/concerns?flash=concern_triaged").into_response()),
        Err(SenError::Invalid(issues)) => {
            let mut issues = issues;
            for i in &mut issues {
                if i.field == "reason" && matches!(decision, Triage::Close(_)) {
                    i.field = "close_reason".into();
                }
            }
            detail_page(&state, &p, concern, &pupil, form, form_errors(&issues)).await
        }
        Err(SenError::Conflict) => {
            let fresh = state.store.concern(&concern.id).await?;
            let mut errors = FormErrors::default();
            errors.add("decision", words().concern_changed);
            let mut response = detail_page(&state, &p, fresh, &pupil, form, errors).await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(SenError::Store(e)) => Err(e.into()),
    }
}
