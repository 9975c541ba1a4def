//! A school's frameworks by date (issue 19, point 2): `/admin/schools/{id}/frameworks` lists
//! the periods and offers a change (a framework of the school's country and the day it
//! starts); posting it shows the preview (pupils on the SEN register by current stage and
//! what each becomes), and only the preview's confirm button changes anything. Everyone
//! but the administrator is answered "not found", and the refusal is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use senco_app::principal::Principal;
use senco_app::school_frameworks::{
    ChangeInput, FrameworkError, FrameworkPreview, change_framework, choices, school_periods,
};
use senco_app::school_register as register;
use senco_domain::framework::Stage;
use senco_domain::framework_periods::{Outcome, Period};
use senco_domain::policy::Action;
use senco_domain::school::FrameworkKey;
use senco_i18n::fill;

use crate::lang::words;
use senco_store::school_register::SchoolRecord;
use serde::Deserialize;

use super::forms::{Checked, Fields, form_errors, status_of};
use super::pupils::Choice;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;

/// A period as shown.
pub struct PeriodRow {
    framework: &'static str,
    from: String,
    to: String,
}

fn period_rows(periods: &[Period]) -> Vec<PeriodRow> {
    periods
        .iter()
        .map(|p| PeriodRow {
            framework: p.framework.label(),
            from: words().long_date(p.starts_on),
            to: p
                .ends_on
                .map_or_else(|| words().fw_open.to_string(), |d| words().long_date(d)),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_school_frameworks.html")]
struct FrameworksPage {
    page: PageChrome,
    s: SchoolRecord,
    periods: Vec<PeriodRow>,
    choices: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

/// One row of the preview: a current stage, its pupils and what they become.
pub struct PreviewLine {
    stage: String,
    pupils: i64,
    under: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_school_framework_preview.html")]
struct PreviewPage {
    page: PageChrome,
    s: SchoolRecord,
    summary: Vec<String>,
    lines: Vec<PreviewLine>,
    decisions: String,
    form: Fields,
}

#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    flash: Option<String>,
}

async fn admin(
    state: &AppState,
    p: &Principal,
    rid: &RequestId,
    action: Action,
) -> Result<(), PageError> {
    register::require_admin(state, &rid.actor(p), action, "school_framework").await?;
    Ok(())
}

async fn frameworks_page(
    state: &AppState,
    p: &Principal,
    s: SchoolRecord,
    form: Fields,
    errors: FormErrors,
    flash: Option<&'static str>,
) -> Result<Response, PageError> {
    let periods = period_rows(&school_periods(&state.store, &s.id).await?);
    let choices = choices(s.country)
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().to_string(),
            label: k.label().to_string(),
        })
        .collect();
    let status = status_of(&errors);
    let page = FrameworksPage {
        page: PageChrome::signed_in(state, p, words().fw_title, Section::Schools)
            .with_flash(flash)
            .with_errors(&errors),
        s,
        periods,
        choices,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /admin/schools/{id}/frameworks
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Read).await?;
    let s = state.store.school_record(&id).await?;
    let flash = (q.flash.as_deref() == Some("changed")).then_some(words().fw_changed);
    frameworks_page(
        &state,
        &p,
        s,
        Fields::default(),
        FormErrors::default(),
        flash,
    )
    .await
}

/// What a stage becomes, in words.
fn outcome_words(o: &Outcome) -> String {
    match o {
        Outcome::Keeps => words().fw_keeps.to_string(),
        Outcome::MapsTo(stage) => fill(words().fw_maps_to, &[("stage", stage.label())]),
        Outcome::NeedsDecision(options) if options.is_empty() => {
            words().fw_needs_decision_none.to_string()
        }
        Outcome::NeedsDecision(options) => {
            let stages: Vec<&str> = options.iter().map(|s: &Stage| s.label()).collect();
            fill(
                words().fw_needs_decision,
                &[("stages", &stages.join(words().fw_or))],
            )
        }
    }
}

fn preview_page(
    state: &AppState,
    p: &Principal,
    s: SchoolRecord,
    preview: &FrameworkPreview,
    form: Fields,
) -> Response {
    let change = preview.change;
    let mut summary = vec![fill(
        words().fw_preview_from,
        &[
            ("framework", change.framework.label()),
            ("date", &words().long_date(change.starts_on)),
        ],
    )];
    for ended in preview
        .after
        .iter()
        .filter(|a| !preview.before.contains(a))
        .filter(|a| a.starts_on != change.starts_on)
    {
        if let Some(end) = ended.ends_on {
            summary.push(fill(
                words().fw_preview_ends,
                &[
                    ("framework", ended.framework.label()),
                    ("date", &words().long_date(end)),
                ],
            ));
        }
    }
    let lines = preview
        .rows
        .iter()
        .map(|r| PreviewLine {
            stage: format!("{} ({})", r.stage.label(), r.framework.label()),
            pupils: r.pupils,
            under: outcome_words(&r.outcome),
        })
        .collect();
    let decisions = match preview.needing_decision() {
        0 => String::new(),
        n => fill(words().fw_preview_decisions, &[("count", &n.to_string())]),
    };
    PreviewPage {
        page: PageChrome::signed_in(state, p, words().fw_preview_title, Section::Schools),
        s,
        summary,
        lines,
        decisions,
        form,
    }
    .into_response()
}

/// POST /admin/schools/{id}/frameworks: without `confirm`, the preview (nothing written);
/// with `confirm=yes` (the preview's button), the change. A refused change shows the form
/// again with its problems and changes nothing.
pub async fn change(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let confirm = form.get("confirm") == "yes";
    admin(
        &state,
        &p,
        &rid,
        if confirm {
            Action::Update
        } else {
            Action::Read
        },
    )
    .await?;
    let s = state.store.school_record(&id).await?;
    if !fresh {
        let errors = FormErrors::expired("framework");
        return frameworks_page(&state, &p, s, form, errors, None).await;
    }
    let input = ChangeInput {
        framework: FrameworkKey::parse(form.get("framework").trim()),
        starts_on: form.date("starts_on"),
    };
    let audit = rid
        .actor(&p)
        .event(&state, "school_framework", "create", "allowed");
    let done = change_framework(
        &state.store,
        &audit,
        &s.id,
        &input,
        !confirm,
        state.today(),
        state.now(),
    )
    .await;
    match done {
        Ok(_) if confirm => Ok(Redirect::to(&format!(
            "/admin/schools/{}/frameworks?flash=changed",
            s.id
        ))
        .into_response()),
        Ok(preview) => Ok(preview_page(&state, &p, s, &preview, form)),
        Err(FrameworkError::Invalid(problems)) => {
            let errors = form_errors(&problems);
            frameworks_page(&state, &p, s, form, errors, None).await
        }
        Err(FrameworkError::NotFound) => Err(PageError::NotFound),
        Err(FrameworkError::Store(e)) => Err(e.into()),
    }
}
