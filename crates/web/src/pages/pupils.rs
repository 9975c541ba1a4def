//! Finding pupils, a pupil's record, adding and changing pupils, and the record's audit trail.
//!
//! Searches are sent by POST so that names and UPNs never appear in URLs, browser history
//! or proxy logs.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::entry::Entry;
use senco_domain::framework::ProcessKind;
use senco_domain::policy::{Action, Resource};
use senco_domain::pupil::{PupilDraft, PupilField, date_from_parts};
use senco_domain::year_group::YearGroup;
use senco_store::pupils::{Contact, Enrolment, Pupil, PupilFilter};
use senco_store::schools::RegGroup;
use serde::Deserialize;

use super::forms::{Checked, csrf_field};
use super::sign_in::FlashQuery;
use super::{FormErrors, PageChrome, PageError, Section, flash_message};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{may, may_create_pupil_at, pupil_for};
use senco_app::principal::Principal;
use senco_app::pupils::{
    ChangeError, Circumstances, create_pupil, fields, update_pupil, year_dob_range, year_group,
};

const PER_PAGE: i64 = 25;

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    /// One option for each of `all`, from its stable key and its label.
    pub fn all<T: Copy>(
        all: &[T],
        value: fn(T) -> &'static str,
        label: fn(T) -> &'static str,
    ) -> Vec<Choice> {
        all.iter()
            .map(|t| Choice {
                value: value(*t).to_string(),
                label: label(*t).to_string(),
            })
            .collect()
    }
}

/// One row of the pupils table.
pub struct Row {
    pub id: String,
    pub name: String,
    pub upn: String,
    pub year: String,
    pub group: String,
    pub dob: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pupils.html")]
struct PupilsPage {
    page: PageChrome,
    q: String,
    year: String,
    group: String,
    years: Vec<Choice>,
    groups: Vec<Choice>,
    rows: Vec<Row>,
    total: i64,
    page_no: i64,
    pages: i64,
    can_add: bool,
    can_import: bool,
}

/// The search form.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    page: String,
}

/// Field labels that carry "(optional)".
pub struct OptionalLabels {
    pub preferred_forename: String,
    pub preferred_surname: String,
    pub upn: String,
    pub former_upn: String,
}

impl OptionalLabels {
    fn new() -> Self {
        let m = words();
        let o = |label: &str| format!("{label} {}", m.optional);
        OptionalLabels {
            preferred_forename: o(m.preferred_forename_label),
            preferred_surname: o(m.preferred_surname_label),
            upn: o(m.upn_label),
            former_upn: o(m.former_upn_label),
        }
    }
}

fn year_choices() -> Vec<Choice> {
    (-2..=14)
        .filter_map(YearGroup::from_code)
        .map(|y| Choice {
            value: y.code().to_string(),
            label: y.label(),
        })
        .collect()
}

fn group_choices(groups: &[RegGroup]) -> Vec<Choice> {
    groups
        .iter()
        .map(|g| Choice {
            value: g.id.clone(),
            label: g.name.clone(),
        })
        .collect()
}

async fn school_groups(state: &AppState, p: &Principal) -> Result<Vec<RegGroup>, PageError> {
    Ok(match &p.user.school_id {
        Some(school) => state.store.reg_groups(school).await?,
        None => Vec::new(),
    })
}

async fn list(
    state: &AppState,
    p: &Principal,
    headers: &HeaderMap,
    form: SearchForm,
    searched: bool,
) -> Result<PupilsPage, PageError> {
    let today = state.today();
    let groups = school_groups(state, p).await?;
    let year = form
        .year
        .trim()
        .parse::<i8>()
        .ok()
        .and_then(YearGroup::from_code);
    let group = groups
        .iter()
        .find(|g| g.id == form.group)
        .map(|g| g.id.clone());
    let filter = PupilFilter {
        q: Some(form.q.clone()).filter(|q| !q.trim().is_empty()),
        school_id: None,
        year: year.and_then(|y| {
            year_dob_range(y.code(), today).map(|(a, b)| (i64::from(y.code()), a, b))
        }),
        reg_group_id: group.clone(),
    };
    let page_no = form.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let result = state
        .store
        .pupils(&p.scope(), &filter, page_no, PER_PAGE)
        .await?;
    let actor = RequestId::of(headers).actor(p);
    let e = actor
        .event(
            state,
            "pupil_list",
            if searched { "search" } else { "list" },
            "allowed",
        )
        .school(p.user.school_id.clone());
    state.audit.read(e).await;
    let rows = result
        .items
        .iter()
        .map(|pupil| Row {
            id: pupil.id.clone(),
            name: format!(
                "{}, {}",
                pupil.legal_surname,
                pupil
                    .preferred_forename
                    .as_deref()
                    .unwrap_or(&pupil.legal_forename)
            ),
            upn: pupil.upn.clone().unwrap_or_default(),
            year: year_group(pupil, today)
                .map(|y| y.label())
                .unwrap_or_default(),
            group: pupil.reg_group_name.clone().unwrap_or_default(),
            dob: words().long_date(pupil.date_of_birth),
        })
        .collect();
    Ok(PupilsPage {
        page: PageChrome::signed_in(state, p, words().pupils_title, Section::Pupils),
        q: form.q,
        year: year.map(|y| y.code().to_string()).unwrap_or_default(),
        group: group.unwrap_or_default(),
        years: year_choices(),
        groups: group_choices(&groups),
        rows,
        total: result.total,
        page_no,
        pages: ((result.total + PER_PAGE - 1) / PER_PAGE).max(1),
        can_add: p
            .user
            .school_id
            .as_deref()
            .is_some_and(|s| may_create_pupil_at(p, s)),
        can_import: senco_app::access::require(
            p,
            senco_domain::policy::Resource::PupilImport,
            senco_domain::policy::Action::Create,
        )
        .is_ok(),
    })
}

/// GET /pupils: the first page of the pupils this person may see.
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
) -> Result<impl IntoResponse, PageError> {
    list(&state, &p, &headers, SearchForm::default(), false).await
}

/// POST /pupils: a search, filter or another page of results.
pub async fn search(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
    Checked { form, fresh }: Checked<SearchForm>,
) -> Result<Response, PageError> {
    if !fresh {
        return Ok(Redirect::to("/pupils").into_response());
    }
    Ok(list(&state, &p, &headers, form, true)
        .await?
        .into_response())
}

/// A row of a summary list.
pub struct Detail {
    pub key: &'static str,
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pupil.html")]
struct PupilPage {
    page: PageChrome,
    id: String,
    name: String,
    details: Vec<Detail>,
    enrolments: Vec<Enrolment>,
    contacts: Option<Vec<Contact>>,
    can_edit: bool,
    can_audit: bool,
    can_subject_access: bool,
    can_add_contact: bool,
    /// On roll here, and the caller may record their leaving.
    can_leave: bool,
    sen: Option<SenSection>,
}

/// A row of the stage history shown on a pupil's page.
pub struct HistoryRow {
    pub id: String,
    pub stage: &'static str,
    pub framework: &'static str,
    pub effective: String,
    pub reason: String,
    pub corrected: bool,
    pub correction: bool,
    pub told: Option<String>,
}

/// The special-educational-needs part of a pupil's page.
pub struct SenSection {
    pub current: Option<(String, String, String)>,
    pub history: Vec<HistoryRow>,
    pub needs: Vec<(String, String, String)>,
    pub processes: Vec<(String, String, String)>,
    pub can_record: bool,
    pub can_raise_concern: bool,
    /// (plan id, kind, status, start, review)
    pub plans: Vec<(String, String, String, String, String)>,
    pub can_write_plan: bool,
    /// Provision allocated, with delivered against planned.
    pub allocations: Vec<super::provision::AllocationRow>,
    pub has_shortfall: bool,
    pub can_allocate: bool,
    /// Whether the stage history, processes and provision are shown (not to specialists).
    pub history_visible: bool,
    /// Whether the needs are shown (not to teaching assistants).
    pub needs_visible: bool,
    /// Outside specialists involved (a specialist sees only their own involvement).
    pub involvements: Option<Vec<super::specialists::InvolvementRow>>,
    pub can_refer: bool,
}

async fn sen_section(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
) -> Result<Option<SenSection>, PageError> {
    if !may(p, Resource::PupilSen, Action::Read) {
        return Ok(None);
    }
    let m = words();
    let history = state.store.stage_changes(&pupil.id).await?;
    let current_stage = state.store.current_stage(&pupil.id).await?;
    let plan_kind = current_stage
        .as_ref()
        .and_then(senco_app::plans::plan_kind_of);
    let current = current_stage.map(|c| {
        (
            c.stage.label().to_string(),
            senco_domain::framework::framework(c.framework)
                .name
                .to_string(),
            words().long_date(c.since),
        )
    });
    let rows = history
        .iter()
        .rev()
        .map(|c| HistoryRow {
            id: c.id.clone(),
            stage: c.stage.label(),
            framework: senco_domain::framework::framework(c.framework).name,
            effective: words().long_date(c.effective_on),
            reason: words().stage_reason(&c.reason),
            corrected: history
                .iter()
                .any(|h| h.supersedes.as_deref() == Some(c.id.as_str())),
            correction: c.supersedes.is_some(),
            told: c
                .parents_told
                .as_ref()
                .map(|(on, how)| format!("{} ({how})", words().long_date(*on))),
        })
        .collect();
    let needs = state
        .store
        .needs(&pupil.id)
        .await?
        .into_iter()
        .map(|n| {
            let rank = match n.rank {
                1 => m.primary_need,
                2 => m.secondary_need,
                _ => m.other_need,
            };
            let dates = match n.ends_on {
                Some(end) => format!(
                    "{} – {}",
                    words().long_date(n.starts_on),
                    words().long_date(end)
                ),
                None => format!(
                    "{} {}",
                    m.since_label.to_lowercase(),
                    words().long_date(n.starts_on)
                ),
            };
            (n.code, rank.to_string(), dates)
        })
        .collect();
    let processes = state
        .store
        .processes(&pupil.id)
        .await?
        .into_iter()
        .map(|pr| {
            let name = if pr.kind == ProcessKind::AlnDecision {
                m.aln_decision
            } else {
                m.statutory_assessment
            };
            let decided = pr
                .decided_on
                .map(|d| {
                    format!(
                        "{}: {}",
                        words().long_date(d),
                        pr.outcome.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            (name.to_string(), words().long_date(pr.started_on), decided)
        })
        .collect();
    let plans: Vec<(String, String, String, String, String)> = state
        .store
        .plans_for_pupil(&pupil.id)
        .await?
        .into_iter()
        .map(|pl| {
            let kind = senco_domain::framework::framework(pl.fields.framework)
                .plan(pl.fields.stage)
                .map(|t| t.name)
                .unwrap_or("");
            let status = pl.fields.status.label();
            (
                pl.id,
                kind.to_string(),
                status.to_string(),
                words().long_date(pl.fields.starts_on),
                words().long_date(pl.fields.review_on),
            )
        })
        .collect();
    let can_write_plan = may(p, Resource::PupilSen, Action::Create) && plan_kind.is_some();
    let history_visible = may(p, Resource::PupilSenHistory, Action::Read);
    let needs_visible = may(p, Resource::PupilNeeds, Action::Read);
    let needs = if needs_visible { needs } else { Vec::new() };
    let allocations = if history_visible {
        super::provision::pupil_rows(state, p, pupil).await?
    } else {
        Vec::new()
    };
    let involvements = if may(p, Resource::Involvement, Action::Read) {
        Some(super::specialists::pupil_rows(state, p, pupil).await?)
    } else {
        None
    };
    // Without the history, only current plans are listed.
    let plans = if history_visible {
        plans
    } else {
        plans
            .into_iter()
            .filter(|pl| pl.2 != senco_domain::plan::PlanStatus::Closed.label())
            .collect()
    };
    Ok(Some(SenSection {
        history_visible,
        needs_visible,
        involvements,
        can_refer: may(p, Resource::Involvement, Action::Create),
        plans,
        can_write_plan,
        has_shortfall: allocations.iter().any(|a| a.delivery.shortfall),
        allocations,
        can_allocate: may(p, Resource::PupilSen, Action::Create),
        current,
        history: rows,
        needs,
        processes,
        can_record: may(p, Resource::PupilSen, Action::Create),
        can_raise_concern: may(p, Resource::Concern, Action::Create),
    }))
}

fn yes_no(b: bool) -> String {
    if b { words().yes } else { words().no }.to_string()
}

fn details(state: &AppState, pupil: &Pupil) -> Vec<Detail> {
    let m = words();
    let today = state.today();
    let mut rows = vec![Detail {
        key: m.legal_name,
        value: format!("{} {}", pupil.legal_forename, pupil.legal_surname),
    }];
    if pupil.preferred_forename.is_some() || pupil.preferred_surname.is_some() {
        rows.push(Detail {
            key: m.preferred_name,
            value: pupil.display_name(),
        });
    }
    rows.push(Detail {
        key: m.upn_label,
        value: pupil.upn.clone().unwrap_or_else(|| m.not_set.to_string()),
    });
    if let Some(former) = &pupil.former_upn {
        rows.push(Detail {
            key: m.former_upn_label,
            value: former.clone(),
        });
    }
    rows.push(Detail {
        key: m.dob_label,
        value: words().long_date(pupil.date_of_birth),
    });
    rows.push(Detail {
        key: m.sex_label,
        value: pupil.sex.label().to_string(),
    });
    let year = year_group(pupil, today)
        .map(|y| y.label())
        .unwrap_or_else(|| m.not_set.to_string());
    let year = if pupil.year_override.is_some() {
        format!("{year} {}", m.year_override_note)
    } else {
        year
    };
    rows.push(Detail {
        key: m.year_group_label,
        value: year,
    });
    rows.push(Detail {
        key: m.group_column,
        value: pupil
            .reg_group_name
            .clone()
            .unwrap_or_else(|| m.not_set.to_string()),
    });
    rows.push(Detail {
        key: m.looked_after_label,
        value: yes_no(pupil.looked_after),
    });
    rows.push(Detail {
        key: m.eal_label,
        value: yes_no(pupil.eal),
    });
    rows.push(Detail {
        key: m.fsm_label,
        value: yes_no(pupil.fsm),
    });
    rows.push(Detail {
        key: m.language_label,
        value: pupil.language.label().to_string(),
    });
    rows
}

/// GET /pupils/{id}: a pupil's record. The title is generic: names stay out of titles,
/// which browsers keep in history.
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<impl IntoResponse, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilDetails, Action::Read).await?;
    let enrolments = state.store.enrolments(&pupil.id).await?;
    let contacts = if may(&p, Resource::PupilContacts, Action::Read) {
        let e = actor
            .event(&state, "contacts", "read", "allowed")
            .school(pupil.school_id.clone())
            .pupil(pupil.id.clone());
        state.audit.read(e).await;
        Some(state.store.contacts(&pupil.id).await?)
    } else {
        None
    };
    let sen = sen_section(&state, &p, &pupil).await?;
    Ok(PupilPage {
        sen,
        page: PageChrome::signed_in(&state, &p, words().pupil_title, Section::Pupils)
            .with_flash(flash_message(q.flash.as_deref())),
        id: pupil.id.clone(),
        name: pupil.display_name(),
        details: details(&state, &pupil),
        can_leave: may(&p, Resource::PupilDetails, Action::Update)
            && senco_app::leavers::open_enrolment(&pupil, &enrolments).is_some(),
        enrolments,
        contacts,
        can_edit: may(&p, Resource::PupilDetails, Action::Update),
        can_audit: may(&p, Resource::PupilAudit, Action::Read),
        can_subject_access: may(&p, Resource::SubjectAccessExport, Action::Export),
        can_add_contact: may(&p, Resource::PupilContacts, Action::Create),
    })
}

/// What the add and change forms carry, exactly as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PupilForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub upn: String,
    #[serde(default)]
    pub former_upn: String,
    #[serde(default)]
    pub legal_forename: String,
    #[serde(default)]
    pub legal_surname: String,
    #[serde(default)]
    pub preferred_forename: String,
    #[serde(default)]
    pub preferred_surname: String,
    #[serde(default)]
    pub date_of_birth_day: String,
    #[serde(default)]
    pub date_of_birth_month: String,
    #[serde(default)]
    pub date_of_birth_year: String,
    #[serde(default)]
    pub enrolled_on_day: String,
    #[serde(default)]
    pub enrolled_on_month: String,
    #[serde(default)]
    pub enrolled_on_year: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub correspondence_language: String,
    #[serde(default)]
    pub year_override: String,
    #[serde(default)]
    pub reg_group: String,
    #[serde(default)]
    pub looked_after: Option<String>,
    #[serde(default)]
    pub eal: Option<String>,
    #[serde(default)]
    pub fsm: Option<String>,
}

impl PupilForm {
    fn from_pupil(p: &Pupil) -> Self {
        PupilForm {
            version: p.version.to_string(),
            upn: p.upn.clone().unwrap_or_default(),
            former_upn: p.former_upn.clone().unwrap_or_default(),
            legal_forename: p.legal_forename.clone(),
            legal_surname: p.legal_surname.clone(),
            preferred_forename: p.preferred_forename.clone().unwrap_or_default(),
            preferred_surname: p.preferred_surname.clone().unwrap_or_default(),
            date_of_birth_day: p.date_of_birth.day().to_string(),
            date_of_birth_month: u8::from(p.date_of_birth.month()).to_string(),
            date_of_birth_year: p.date_of_birth.year().to_string(),
            sex: p.sex.code().to_string(),
            correspondence_language: p.language.as_str().to_string(),
            year_override: p.year_override.map(|c| c.to_string()).unwrap_or_default(),
            reg_group: p.reg_group_id.clone().unwrap_or_default(),
            looked_after: p.looked_after.then(|| "yes".to_string()),
            eal: p.eal.then(|| "yes".to_string()),
            fsm: p.fsm.then(|| "yes".to_string()),
            ..PupilForm::default()
        }
    }

    fn draft(&self) -> PupilDraft {
        PupilDraft {
            upn: self.upn.clone(),
            former_upn: self.former_upn.clone(),
            legal_forename: self.legal_forename.clone(),
            legal_surname: self.legal_surname.clone(),
            preferred_forename: self.preferred_forename.clone(),
            preferred_surname: self.preferred_surname.clone(),
            date_of_birth: date_from_parts(
                &self.date_of_birth_day,
                &self.date_of_birth_month,
                &self.date_of_birth_year,
            ),
            sex: self.sex.clone(),
            correspondence_language: self.correspondence_language.clone(),
        }
    }

    fn circumstances(&self, groups: &[RegGroup]) -> Circumstances {
        Circumstances {
            year_override: self
                .year_override
                .trim()
                .parse::<i8>()
                .ok()
                .and_then(YearGroup::from_code)
                .map(|y| i64::from(y.code())),
            reg_group_id: groups
                .iter()
                .find(|g| g.id == self.reg_group)
                .map(|g| g.id.clone()),
            looked_after: self.looked_after.is_some(),
            eal: self.eal.is_some(),
            fsm: self.fsm.is_some(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pupil_form.html")]
struct PupilFormPage {
    page: PageChrome,
    heading: &'static str,
    action: String,
    back: String,
    editing: bool,
    form: PupilForm,
    errors: FormErrors,
    years: Vec<Choice>,
    groups: Vec<Choice>,
    current: Option<Vec<Detail>>,
    labels: OptionalLabels,
}

fn field_id(f: PupilField) -> &'static str {
    match f {
        PupilField::DateOfBirth => "date_of_birth-day",
        PupilField::EnrolledOn => "enrolled_on-day",
        other => other.as_str(),
    }
}

fn form_errors(problems: &[(PupilField, senco_domain::pupil::Problem)]) -> FormErrors {
    let mut errors = FormErrors::default();
    for (field, problem) in problems {
        // The error id of a date input points at its first box.
        errors.add_linked(
            field.as_str(),
            field_id(*field),
            words().pupil_problem(*field, problem),
        );
    }
    errors
}

/// Where a pupil form is: its heading, where it posts, where "back" goes, and whether it
/// edits a pupil (rather than adding one).
struct FormTarget {
    heading: &'static str,
    action: String,
    back: String,
    editing: bool,
}

fn form_page(
    state: &AppState,
    p: &Principal,
    target: FormTarget,
    form: PupilForm,
    errors: FormErrors,
    groups: &[RegGroup],
    current: Option<Vec<Detail>>,
) -> Response {
    let FormTarget {
        heading,
        action,
        back,
        editing,
    } = target;
    let status = super::forms::status_of(&errors);
    let status = if current.is_some() {
        StatusCode::CONFLICT
    } else {
        status
    };
    let page = PupilFormPage {
        page: PageChrome::signed_in(state, p, heading, Section::Pupils).with_errors(&errors),
        heading,
        action,
        back,
        editing,
        form,
        errors,
        years: year_choices(),
        groups: group_choices(groups),
        current,
        labels: OptionalLabels::new(),
    };
    (status, page).into_response()
}

/// GET /pupils/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> Result<Response, PageError> {
    let Some(school) = p
        .user
        .school_id
        .clone()
        .filter(|s| may_create_pupil_at(&p, s))
    else {
        return Err(PageError::NotFound);
    };
    let groups = state.store.reg_groups(&school).await?;
    let today = state.today();
    let form = PupilForm {
        enrolled_on_day: today.day().to_string(),
        enrolled_on_month: u8::from(today.month()).to_string(),
        enrolled_on_year: today.year().to_string(),
        ..PupilForm::default()
    };
    Ok(form_page(
        &state,
        &p,
        FormTarget {
            heading: words().add_pupil_title,
            action: "/pupils/new".into(),
            back: "/pupils".into(),
            editing: false,
        },
        form,
        FormErrors::default(),
        &groups,
        None,
    ))
}

/// POST /pupils/new
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<PupilForm>,
) -> Result<Response, PageError> {
    let Some(school) = p
        .user
        .school_id
        .clone()
        .filter(|s| may_create_pupil_at(&p, s))
    else {
        return Err(PageError::NotFound);
    };
    let groups = state.store.reg_groups(&school).await?;
    let show = |form: PupilForm, errors: FormErrors| {
        form_page(
            &state,
            &p,
            FormTarget {
                heading: words().add_pupil_title,
                action: "/pupils/new".into(),
                back: "/pupils".into(),
                editing: false,
            },
            form,
            errors,
            &groups,
            None,
        )
    };
    if !fresh {
        let errors = FormErrors::expired("legal_forename");
        return Ok(show(form, errors));
    }
    let today = state.today();
    let phase = state.store.school(&school).await?.phase;
    let validated = form.draft().validate(today, phase);
    let mut problems = validated.as_ref().err().cloned().unwrap_or_default();
    let enrolled = date_from_parts(
        &form.enrolled_on_day,
        &form.enrolled_on_month,
        &form.enrolled_on_year,
    );
    let enrolled_on = match enrolled {
        Entry::Valid(d) => Some(d),
        Entry::Blank => Some(today),
        Entry::Invalid => {
            problems.push((
                PupilField::EnrolledOn,
                senco_domain::pupil::Problem::NotADate,
            ));
            None
        }
    };
    let (Ok(valid), Some(enrolled_on), true) = (validated, enrolled_on, problems.is_empty()) else {
        return Ok(show(form.clone(), form_errors(&problems)));
    };
    let actor = rid.actor(&p);
    Ok(
        match create_pupil(
            &state,
            &actor,
            &school,
            &fields(&valid, &form.circumstances(&groups)),
            enrolled_on,
        )
        .await
        {
            Ok(id) => Redirect::to(&format!("/pupils/{id}?flash=pupil_added")).into_response(),
            Err(ChangeError::Invalid(problems)) => show(form, form_errors(&problems)),
            Err(ChangeError::Conflict) => show(form, FormErrors::default()),
            Err(ChangeError::Store(e)) => return Err(e.into()),
        },
    )
}

/// GET /pupils/{id}/edit
pub async fn edit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilDetails, Action::Update).await?;
    let groups = state.store.reg_groups(&pupil.school_id).await?;
    Ok(form_page(
        &state,
        &p,
        FormTarget {
            heading: words().edit_pupil_title,
            action: format!("/pupils/{}/edit", pupil.id),
            back: format!("/pupils/{}", pupil.id),
            editing: true,
        },
        PupilForm::from_pupil(&pupil),
        FormErrors::default(),
        &groups,
        None,
    ))
}

/// POST /pupils/{id}/edit: saves only if nobody changed the record meanwhile; otherwise
/// shows both versions and keeps what was typed.
pub async fn update(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<PupilForm>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilDetails, Action::Update).await?;
    let groups = state.store.reg_groups(&pupil.school_id).await?;
    let action = format!("/pupils/{}/edit", pupil.id);
    let back = format!("/pupils/{}", pupil.id);
    let show = |form: PupilForm, errors: FormErrors, current: Option<Vec<Detail>>| {
        form_page(
            &state,
            &p,
            FormTarget {
                heading: words().edit_pupil_title,
                action: action.clone(),
                back: back.clone(),
                editing: true,
            },
            form,
            errors,
            &groups,
            current,
        )
    };
    if !fresh {
        let errors = FormErrors::expired("legal_forename");
        return Ok(show(form, errors, None));
    }
    let phase = state.store.school(&pupil.school_id).await?.phase;
    let valid = match form.draft().validate(state.today(), phase) {
        Ok(v) => v,
        Err(problems) => return Ok(show(form.clone(), form_errors(&problems), None)),
    };
    let expected = form.version.trim().parse::<i64>().unwrap_or(-1);
    Ok(
        match update_pupil(
            &state,
            &actor,
            &pupil,
            &fields(&valid, &form.circumstances(&groups)),
            expected,
        )
        .await
        {
            Ok(_) => {
                Redirect::to(&format!("/pupils/{}?flash=pupil_updated", pupil.id)).into_response()
            }
            Err(ChangeError::Invalid(problems)) => show(form, form_errors(&problems), None),
            Err(ChangeError::Conflict) => {
                let mut errors = FormErrors::default();
                errors.add("legal_forename", words().conflict);
                let mut form = form;
                form.version = pupil.version.to_string();
                show(form, errors, Some(details(&state, &pupil)))
            }
            Err(ChangeError::Store(e)) => return Err(e.into()),
        },
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "pupil_audit.html")]
struct AuditPage {
    page: PageChrome,
    id: String,
    rows: Vec<senco_store::audit::AuditRow>,
    page_no: i64,
    pages: i64,
}

/// Query of the audit page (a page number only).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

/// GET /pupils/{id}/audit: who has read or changed this record.
pub async fn audit(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilAudit, Action::Read).await?;
    let page_no = q.page.unwrap_or(1).max(1);
    let per_page = 50;
    let (rows, total) = state
        .store
        .audit_for_pupil(&pupil.id, per_page, (page_no - 1).saturating_mul(per_page))
        .await?;
    Ok(AuditPage {
        page: PageChrome::signed_in(&state, &p, words().audit_title, Section::Pupils),
        id: pupil.id,
        rows,
        page_no,
        pages: ((total + per_page - 1) / per_page).max(1),
    })
}

csrf_field!(PupilForm, SearchForm);
