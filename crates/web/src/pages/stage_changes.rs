//! Recording the graduated response on a pupil's record: stage changes and corrections,
//! parents being told, needs, and statutory processes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::entry::Entry;
use senco_domain::framework::{MoveContext, ProcessKind, Stage, framework};
use senco_domain::policy::{Action, Resource};
use senco_domain::school::{Country, FrameworkKey};
use senco_store::pupils::Pupil;
use senco_store::sen::StageChange;
use serde::Deserialize;

use super::forms::Checked;
use super::forms::{Fields, invalid_form};
use super::pupils::Choice;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::pupil_for;
use senco_app::principal::Principal;
use senco_app::sen::{
    ProcessInput, StageChangeInput, add_need, add_process, code_settings, frameworks_in_force,
    need_choices, record_parents_told, record_stage_change,
};

/// The choices of a stage-change form.
pub struct StageForm {
    /// `framework:stage` values.
    pub options: Vec<Choice>,
    pub methods: Vec<Choice>,
}

/// The ways parents can be told, for radios.
pub fn told_methods() -> Vec<Choice> {
    let m = words();
    [
        ("meeting", m.told_meeting),
        ("letter", m.told_letter),
        ("phone", m.told_phone),
        ("email", m.told_email),
    ]
    .into_iter()
    .map(|(v, l)| Choice {
        value: v.into(),
        label: l.into(),
    })
    .collect()
}

/// The stages a pupil can move to now (or, when correcting, every stage of the frameworks in
/// force that suits the pupil's setting and age).
pub async fn stage_form(
    state: &AppState,
    pupil: &Pupil,
    correcting: Option<&StageChange>,
) -> Result<StageForm, PageError> {
    let today = state.today();
    let school = state.store.school(&pupil.school_id).await?;
    let csa = state.store.compulsory_school_age(school.country).await?;
    let ctx = MoveContext {
        early_years_setting: school.phase.is_early_years(),
        below_compulsory_school_age: csa.is_below(pupil.date_of_birth, today),
    };
    let current = state.store.current_stage(&pupil.id).await?;
    let keys = frameworks_in_force(&school, today);
    let several = keys.len() > 1;
    let mut options = Vec::new();
    for key in keys {
        let fw = framework(key);
        let stages = match correcting {
            Some(_) => fw.stages.iter().map(|d| d.stage).collect::<Vec<_>>(),
            None => fw.allowed_from(current.as_ref().map(|c| c.stage)),
        };
        for stage in stages {
            let suits = fw
                .stage(stage)
                .is_none_or(|d| d.settings.iter().any(|s| ctx.allows(*s)));
            if !suits
                || current
                    .as_ref()
                    .is_some_and(|c| c.stage == stage && correcting.is_none())
            {
                continue;
            }
            let label = if several {
                format!("{} ({})", stage.label(), fw.name)
            } else {
                stage.label().to_string()
            };
            options.push(Choice {
                value: format!("{}:{}", key.as_str(), stage.as_str()),
                label,
            });
        }
    }
    Ok(StageForm {
        options,
        methods: told_methods(),
    })
}

/// The stage-change input from a submitted form.
pub fn input_from(form: &Fields) -> StageChangeInput {
    let choice = form.get("stage");
    let (framework, stage) = match choice.split_once(':') {
        Some((f, s)) => (FrameworkKey::parse(f), Stage::parse(s)),
        None => (None, Stage::parse(&choice)),
    };
    let how = form.get("parents_told_how");
    let told = !how.is_empty() && how != "not_yet";
    StageChangeInput {
        framework,
        stage,
        effective_on: form.date("effective_on"),
        reason: form.get("reason"),
        decided_with: form.get("decided_with"),
        specialists: form.get("specialists"),
        supersedes: Some(form.get("supersedes")).filter(|s| !s.is_empty()),
        parents_told_on: if told {
            form.date("parents_told_on")
        } else {
            Entry::Blank
        },
        parents_told_how: if told { how } else { String::new() },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "stage_change_form.html")]
struct StageChangePage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    heading: &'static str,
    correcting: Option<StageChange>,
    stage: StageForm,
    form: Fields,
    errors: FormErrors,
}

/// `?correct=ID` to correct an entry of the history.
#[derive(Debug, Default, Deserialize)]
pub struct CorrectQuery {
    correct: Option<String>,
}

async fn stage_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    correct: Option<&str>,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let correcting = match correct {
        Some(id) => Some(
            state
                .store
                .stage_changes(&pupil.id)
                .await?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or(PageError::NotFound)?,
        ),
        None => None,
    };
    let heading = if correcting.is_some() {
        words().correction_title
    } else {
        words().stage_change_title
    };
    let status = super::forms::status_of(&errors);
    let page = StageChangePage {
        page: PageChrome::signed_in(state, p, heading, Section::Pupils).with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        heading,
        stage: stage_form(state, pupil, correcting.as_ref()).await?,
        correcting,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /pupils/{id}/stage-changes/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<CorrectQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let mut form = Fields::with_date("effective_on", state.today());
    form.set("parents_told_how", "not_yet");
    if let Some(c) = &q.correct {
        form.set("supersedes", c.clone());
    }
    stage_page(
        &state,
        &p,
        &pupil,
        q.correct.as_deref(),
        form,
        FormErrors::default(),
    )
    .await
}

/// POST /pupils/{id}/stage-changes/new
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let correct = Some(form.get("supersedes")).filter(|s| !s.is_empty());
    if !fresh {
        let errors = FormErrors::expired("stage");
        return stage_page(&state, &p, &pupil, correct.as_deref(), form, errors).await;
    }
    match record_stage_change(&state, &actor, &pupil, &input_from(&form)).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/pupils/{}?flash=stage_recorded", pupil.id)).into_response())
        }
        Err(e) => {
            stage_page(
                &state,
                &p,
                &pupil,
                correct.as_deref(),
                form,
                invalid_form(e)?,
            )
            .await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "parents_told_form.html")]
struct ToldPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    change_id: String,
    change: String,
    methods: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

async fn told_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    change_id: &str,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let history = state.store.stage_changes(&pupil.id).await?;
    let change = history
        .iter()
        .find(|c| c.id == change_id)
        .ok_or(PageError::NotFound)?;
    let status = super::forms::status_of(&errors);
    let page = ToldPage {
        page: PageChrome::signed_in(state, p, words().parents_told_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        change_id: change.id.clone(),
        change: format!(
            "{} ({} {})",
            change.stage.label(),
            words().since_label.to_lowercase(),
            words().long_date(change.effective_on)
        ),
        methods: told_methods(),
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /pupils/{id}/stage-changes/{change}/parents-told
pub async fn told_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path((id, change)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    let form = Fields::with_date("parents_told_on", state.today());
    told_page(&state, &p, &pupil, &change, form, FormErrors::default()).await
}

/// POST /pupils/{id}/stage-changes/{change}/parents-told
pub async fn told_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path((id, change)): Path<(String, String)>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Update).await?;
    if !fresh {
        let errors = FormErrors::expired("parents_told_how");
        return told_page(&state, &p, &pupil, &change, form, errors).await;
    }
    match record_parents_told(
        &state,
        &actor,
        &pupil,
        &change,
        form.date("parents_told_on"),
        &form.get("parents_told_how"),
    )
    .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/pupils/{}?flash=parents_told_saved", pupil.id)).into_response(),
        ),
        Err(e) => told_page(&state, &p, &pupil, &change, form, invalid_form(e)?).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "need_form.html")]
struct NeedPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    codes: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

async fn need_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let school = state.store.school(&pupil.school_id).await?;
    let settings = code_settings(state).await?;
    let codes = need_choices(school.country, state.today(), &settings)
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect();
    let status = super::forms::status_of(&errors);
    let page = NeedPage {
        page: PageChrome::signed_in(state, p, words().need_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        codes,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /pupils/{id}/needs/new
pub async fn need_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let mut form = Fields::with_date("starts_on", state.today());
    form.set("rank", "1");
    need_page(&state, &p, &pupil, form, FormErrors::default()).await
}

/// POST /pupils/{id}/needs/new
pub async fn need_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    if !fresh {
        let errors = FormErrors::expired("code");
        return need_page(&state, &p, &pupil, form, errors).await;
    }
    let rank = form.get("rank").parse::<i64>().unwrap_or(0);
    match add_need(
        &state,
        &actor,
        &pupil,
        &form.get("code"),
        rank,
        form.date("starts_on"),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/pupils/{}?flash=need_added", pupil.id)).into_response())
        }
        Err(e) => need_page(&state, &p, &pupil, form, invalid_form(e)?).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "process_form.html")]
struct ProcessPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    kinds: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

async fn process_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let school = state.store.school(&pupil.school_id).await?;
    let mut kinds = vec![Choice {
        value: ProcessKind::StatutoryAssessment.as_str().into(),
        label: words().statutory_assessment.into(),
    }];
    if school.country == Country::Wales {
        kinds.push(Choice {
            value: ProcessKind::AlnDecision.as_str().into(),
            label: words().aln_decision.into(),
        });
    }
    let status = super::forms::status_of(&errors);
    let page = ProcessPage {
        page: PageChrome::signed_in(state, p, words().process_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        kinds,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /pupils/{id}/processes/new
pub async fn process_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let form = Fields::with_date("started_on", state.today());
    process_page(&state, &p, &pupil, form, FormErrors::default()).await
}

/// POST /pupils/{id}/processes/new
pub async fn process_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    if !fresh {
        let errors = FormErrors::expired("kind");
        return process_page(&state, &p, &pupil, form, errors).await;
    }
    let input = ProcessInput {
        kind: ProcessKind::parse(&form.get("kind")),
        started_on: form.date("started_on"),
        decided_on: form.date("decided_on"),
        outcome: form.get("outcome"),
        notes: form.get("notes"),
    };
    match add_process(&state, &actor, &pupil, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/pupils/{}?flash=process_added", pupil.id)).into_response())
        }
        Err(e) => process_page(&state, &p, &pupil, form, invalid_form(e)?).await,
    }
}

/// GET /pupils/{id}/stage-changes/{change}/letter: a letter telling parents about the change,
/// as PDF, in the school's words.
pub async fn letter(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path((id, change)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSen, Action::Create).await?;
    let history = state.store.stage_changes(&pupil.id).await?;
    let change = history
        .into_iter()
        .find(|c| c.id == change)
        .ok_or(PageError::NotFound)?;
    let school = state.store.school(&pupil.school_id).await?;
    let contacts = state.store.contacts(&pupil.id).await?;
    // The letter is in the language the parents have letters in, not the page's.
    let m = senco_i18n::messages(pupil.language);
    let parent_name = contacts
        .iter()
        .find(|c| c.parental_responsibility && !c.restricted)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| m.letter_dear_parent.to_string());
    let letter = senco_documents::ParentLetter {
        school: school.name.clone(),
        school_address: None,
        date: state.today(),
        parent_name,
        pupil_name: pupil.display_name(),
        stage: change.stage.label().to_string(),
        effective_on: change.effective_on,
        reason: m.stage_reason(&change.reason),
        what_happens_next: if change.stage == Stage::NoSen {
            m.letter_next_off.into()
        } else {
            m.letter_next_on.into()
        },
        senco_name: p.user.name.clone(),
        coordinator_title: framework(change.framework).coordinator_title.to_string(),
        // The parents' letters language, whatever the SENCO's page is in.
        language: pupil.language,
    };
    let pdf = tokio::task::spawn_blocking(move || senco_documents::parent_letter(&letter))
        .await
        .map_err(|e| PageError::Internal(anyhow::anyhow!("rendering failed: {e}")))?
        .map_err(|e| PageError::Internal(anyhow::anyhow!("{e}")))?;
    let e = actor
        .event(&state, "parent_letter", "export", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(change.id.clone());
    state.audit.read(e).await;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/pdf"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"letter-to-parents.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}
