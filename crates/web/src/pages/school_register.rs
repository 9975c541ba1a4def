//! The administrator's pages for local authorities and schools (issue 19, point 1): lists
//! with search and paging, a school's page, forms to add and change them (with the version
//! they were opened at, so that an older form never overwrites a newer change), and the
//! national register import (upload, preview, confirm). Everyone else is answered "not
//! found", and the refusal is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_app::access::Actor;
use senco_app::principal::Principal;
use senco_app::school_register::{self as register, ChangeError, ImportError, RegisterPreview};
use senco_domain::establishment::{AuthorityDraft, LanguageMedium, SchoolDraft};
use senco_domain::policy::Action;
use senco_domain::school::{Country, Phase};
use senco_store::school_register::{AuthorityRecord, SchoolFilter, SchoolRecord};
use serde::Deserialize;

use super::forms::{Checked, csrf_field, status_of};
use super::pupils::Choice;
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::{SessionExt, SignedIn};
use crate::http::RequestId;
use crate::lang::words;
use senco_i18n::fill;

/// Rows a list page shows.
const PER_PAGE: i64 = 50;

/// The query of a list: what to look for, which page, and a confirmation to show.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<String>,
    flash: Option<String>,
}

fn flash(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "authority_added" => Some(words().sr_authority_added),
        "authority_changed" => Some(words().sr_authority_changed),
        "school_added" => Some(words().sr_school_added),
        "school_changed" => Some(words().sr_school_changed),
        "imported" => Some(words().sr_schools_imported),
        _ => None,
    }
}

/// Paging links: the page, the number of pages, and the search as a query string (`q=..`).
struct Paging {
    page: i64,
    pages: i64,
    q: String,
    label: String,
}

impl Paging {
    fn new(page: i64, total: i64, q: &str) -> Paging {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        Paging {
            page,
            pages,
            q: serde_urlencoded::to_string([("q", q)]).unwrap_or_default(),
            label: fill(
                words().sr_page_of,
                &[("page", &page.to_string()), ("pages", &pages.to_string())],
            ),
        }
    }
}

fn page_number(s: Option<&str>) -> i64 {
    s.and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

async fn admin(
    state: &AppState,
    p: &Principal,
    rid: &RequestId,
    action: Action,
    record_type: &'static str,
) -> Result<(), PageError> {
    let actor: Actor<'_> = rid.actor(p);
    register::require_admin(state, &actor, action, record_type).await?;
    Ok(())
}

// ---------------------------------------------------------------- authorities

#[derive(Template, WebTemplate)]
#[template(path = "authorities.html")]
struct AuthoritiesPage {
    page: PageChrome,
    q: String,
    items: Vec<AuthorityRecord>,
    paging: Paging,
}

/// GET /admin/authorities
pub async fn authorities(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Read, "authority").await?;
    let page = page_number(q.page.as_deref());
    let list = state.store.authority_records(&q.q, page, PER_PAGE).await?;
    Ok::<_, PageError>(
        AuthoritiesPage {
            page: PageChrome::signed_in(&state, &p, words().sr_authorities_title, Section::Schools)
                .with_flash(flash(q.flash.as_deref())),
            paging: Paging::new(page, list.total, &q.q),
            q: q.q,
            items: list.items,
        }
        .into_response(),
    )
}

/// The authority form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuthorityForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    version: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "authority_form.html")]
struct AuthorityFormPage {
    page: PageChrome,
    form: AuthorityForm,
    errors: FormErrors,
    /// Where the form posts.
    action: String,
    countries: Vec<Choice>,
}

fn countries() -> Vec<Choice> {
    Country::ALL
        .into_iter()
        .map(|c| Choice {
            value: c.as_str().to_string(),
            label: c.label().to_string(),
        })
        .collect()
}

fn authority_form_page(
    state: &AppState,
    p: &Principal,
    action: String,
    form: AuthorityForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let title = if action.ends_with("/new") {
        words().sr_add_authority
    } else {
        words().sr_edit_authority_title
    };
    let page = AuthorityFormPage {
        page: PageChrome::signed_in(state, p, title, Section::Schools).with_errors(&errors),
        form,
        errors,
        action,
        countries: countries(),
    };
    (status, page).into_response()
}

fn form_of_authority(a: &AuthorityRecord) -> AuthorityForm {
    AuthorityForm {
        csrf_token: String::new(),
        code: a.code.clone(),
        name: a.name.clone(),
        country: a.country.as_str().to_string(),
        version: a.version.to_string(),
    }
}

/// The form's errors for a refused change (what the store or the rules said).
fn change_errors(e: ChangeError, duplicate_field: &str) -> Result<FormErrors, PageError> {
    let mut errors = FormErrors::default();
    match e {
        ChangeError::Invalid(problems) => {
            for (f, p) in problems {
                errors.add(f.key(), register::reason(words(), f, p));
            }
        }
        ChangeError::Duplicate(what) => {
            errors.add(duplicate_field, register::duplicate_reason(words(), what));
        }
        ChangeError::Conflict => errors.add("name", words().sr_conflict),
        ChangeError::NotFound => return Err(PageError::NotFound),
        ChangeError::Store(e) => return Err(e.into()),
    }
    Ok(errors)
}

/// GET /admin/authorities/new
pub async fn new_authority(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Create, "authority").await?;
    Ok(authority_form_page(
        &state,
        &p,
        "/admin/authorities/new".into(),
        AuthorityForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    ))
}

/// POST /admin/authorities/new
pub async fn create_authority(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<AuthorityForm>,
) -> Result<Response, PageError> {
    let result: Result<Response, PageError> = async {
        admin(&state, &p, &rid, Action::Create, "authority").await?;
        let action = "/admin/authorities/new".to_string();
        if !fresh {
            let errors = FormErrors::expired("code");
            let status = status_of(&errors);
            return Ok(authority_form_page(
                &state, &p, action, form, errors, status,
            ));
        }
        let draft = AuthorityDraft {
            code: form.code.clone(),
            name: form.name.clone(),
            country: form.country.clone(),
        };
        let audit = rid
            .actor(&p)
            .event(&state, "authority", "create", "allowed");
        match register::create_authority(&state.store, &audit, &draft, state.now()).await {
            Ok(_) => Ok(Redirect::to("/admin/authorities?flash=authority_added").into_response()),
            Err(e) => {
                let errors = change_errors(e, "code")?;
                let status = status_of(&errors);
                Ok(authority_form_page(
                    &state, &p, action, form, errors, status,
                ))
            }
        }
    }
    .await;
    result
}

/// GET /admin/authorities/{id}/edit
pub async fn edit_authority(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "authority").await?;
    let a = state.store.authority_record(&id).await?;
    Ok::<_, PageError>(authority_form_page(
        &state,
        &p,
        format!("/admin/authorities/{id}/edit"),
        form_of_authority(&a),
        FormErrors::default(),
        StatusCode::OK,
    ))
}

/// POST /admin/authorities/{id}/edit
pub async fn update_authority(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<AuthorityForm>,
) -> Result<Response, PageError> {
    let result: Result<Response, PageError> = async {
        admin(&state, &p, &rid, Action::Update, "authority").await?;
        let current = state.store.authority_record(&id).await?;
        let action = format!("/admin/authorities/{id}/edit");
        if !fresh {
            let errors = FormErrors::expired("code");
            let status = status_of(&errors);
            return Ok(authority_form_page(
                &state, &p, action, form, errors, status,
            ));
        }
        let version = form.version.trim().parse::<i64>().unwrap_or(0);
        let draft = AuthorityDraft {
            code: form.code.clone(),
            name: form.name.clone(),
            country: form.country.clone(),
        };
        let audit = rid
            .actor(&p)
            .event(&state, "authority", "update", "allowed");
        match register::edit_authority(&state.store, &audit, &id, version, &draft, state.now())
            .await
        {
            Ok(()) => {
                Ok(Redirect::to("/admin/authorities?flash=authority_changed").into_response())
            }
            Err(ChangeError::Conflict) => {
                // The current details, so the change is made again on them.
                let mut errors = FormErrors::default();
                errors.add("name", words().sr_conflict);
                Ok(authority_form_page(
                    &state,
                    &p,
                    action,
                    form_of_authority(&current),
                    errors,
                    StatusCode::CONFLICT,
                ))
            }
            Err(e) => {
                let errors = change_errors(e, "code")?;
                let status = status_of(&errors);
                Ok(authority_form_page(
                    &state, &p, action, form, errors, status,
                ))
            }
        }
    }
    .await;
    result
}

// ---------------------------------------------------------------- schools

#[derive(Template, WebTemplate)]
#[template(path = "admin_schools.html")]
struct SchoolsPage {
    page: PageChrome,
    q: String,
    items: Vec<SchoolRecord>,
    paging: Paging,
}

/// GET /admin/schools
pub async fn schools(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Read, "school").await?;
    let page = page_number(q.page.as_deref());
    let filter = SchoolFilter {
        search: q.q.clone(),
        la_id: None,
    };
    let list = state.store.school_records(&filter, page, PER_PAGE).await?;
    Ok::<_, PageError>(
        SchoolsPage {
            page: PageChrome::signed_in(&state, &p, words().sr_schools_title, Section::Schools)
                .with_flash(flash(q.flash.as_deref())),
            paging: Paging::new(page, list.total, &q.q),
            q: q.q,
            items: list.items,
        }
        .into_response(),
    )
}

/// The words of a language medium.
pub fn medium_label(m: Option<LanguageMedium>) -> &'static str {
    match m {
        None => words().sr_medium_none,
        Some(LanguageMedium::English) => words().sr_medium_english,
        Some(LanguageMedium::Dual) => words().sr_medium_dual,
        Some(LanguageMedium::Transitional) => words().sr_medium_transitional,
        Some(LanguageMedium::Welsh) => words().sr_medium_welsh,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_school.html")]
struct SchoolPage {
    page: PageChrome,
    s: SchoolRecord,
    medium: &'static str,
    closed_on: String,
}

/// GET /admin/schools/{id}
pub async fn school(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Read, "school").await?;
    let s = state.store.school_record(&id).await?;
    Ok::<_, PageError>(
        SchoolPage {
            page: PageChrome::signed_in(&state, &p, &s.name, Section::Schools)
                .with_flash(flash(q.flash.as_deref())),
            medium: medium_label(s.language_medium),
            closed_on: s
                .closed_on
                .map(|d| words().long_date(d))
                .unwrap_or_default(),
            s,
        }
        .into_response(),
    )
}

/// The school form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SchoolForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    la_code: String,
    #[serde(default)]
    urn: String,
    #[serde(default)]
    establishment_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    maintained: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    locality: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    language_medium: String,
    #[serde(default)]
    closed: String,
    #[serde(default)]
    closed_on: String,
    #[serde(default)]
    version: String,
}

impl SchoolForm {
    fn draft(&self) -> SchoolDraft {
        SchoolDraft {
            urn: self.urn.clone(),
            estab_number: self.establishment_number.clone(),
            name: self.name.clone(),
            phase: self.phase.clone(),
            maintained: !self.maintained.is_empty(),
            street: self.street.clone(),
            locality: self.locality.clone(),
            town: self.town.clone(),
            postcode: self.postcode.clone(),
            telephone: self.telephone.clone(),
            website: self.website.clone(),
            language_medium: self.language_medium.clone(),
            closed: !self.closed.is_empty(),
            closed_on: self.closed_on.clone(),
        }
    }

    fn of(s: &SchoolRecord) -> SchoolForm {
        let yes = |b: bool| if b { "yes" } else { "" }.to_string();
        SchoolForm {
            csrf_token: String::new(),
            la_code: s.la_code.clone(),
            urn: s.urn.clone(),
            establishment_number: s.estab_number.clone(),
            name: s.name.clone(),
            phase: s.phase.as_str().to_string(),
            maintained: yes(s.maintained),
            street: s.street.clone(),
            locality: s.locality.clone(),
            town: s.town.clone(),
            postcode: s.postcode.clone(),
            telephone: s.telephone.clone(),
            website: s.website.clone(),
            language_medium: s
                .language_medium
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            closed: yes(s.closed),
            closed_on: s.closed_on.map(senco_store::ds).unwrap_or_default(),
            version: s.version.to_string(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_school_form.html")]
struct SchoolFormPage {
    page: PageChrome,
    form: SchoolForm,
    errors: FormErrors,
    action: String,
    back: String,
    authorities: Vec<Choice>,
    phases: Vec<Choice>,
    media: Vec<Choice>,
}

async fn school_form_page(
    state: &AppState,
    p: &Principal,
    action: String,
    form: SchoolForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (title, back) = match action.strip_suffix("/edit") {
        Some(school) => (words().sr_edit_school_title, school.to_string()),
        None => (words().sr_add_school, "/admin/schools".to_string()),
    };
    let authorities = state
        .store
        .authority_records("", 1, 10_000)
        .await?
        .items
        .into_iter()
        .map(|a| Choice {
            label: format!("{} {}", a.code, a.name),
            value: a.code,
        })
        .collect();
    let phases = Phase::ALL
        .into_iter()
        .map(|ph| Choice {
            value: ph.as_str().to_string(),
            label: ph.label().to_string(),
        })
        .collect();
    let mut media = vec![Choice {
        value: String::new(),
        label: words().sr_medium_none.to_string(),
    }];
    media.extend(LanguageMedium::ALL.into_iter().map(|m| Choice {
        value: m.as_str().to_string(),
        label: medium_label(Some(m)).to_string(),
    }));
    let page = SchoolFormPage {
        page: PageChrome::signed_in(state, p, title, Section::Schools).with_errors(&errors),
        form,
        errors,
        action,
        back,
        authorities,
        phases,
        media,
    };
    Ok((status, page).into_response())
}

fn school_errors(e: ChangeError) -> Result<FormErrors, PageError> {
    change_errors(e, "urn")
}

/// GET /admin/schools/new
pub async fn new_school(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Create, "school").await?;
    let form = SchoolForm {
        maintained: "yes".into(),
        ..SchoolForm::default()
    };
    school_form_page(
        &state,
        &p,
        "/admin/schools/new".into(),
        form,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// POST /admin/schools/new
pub async fn create_school(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<SchoolForm>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Create, "school").await?;
    let action = "/admin/schools/new".to_string();
    if !fresh {
        let errors = FormErrors::expired("la_code");
        let status = status_of(&errors);
        return school_form_page(&state, &p, action, form, errors, status).await;
    }
    let audit = rid.actor(&p).event(&state, "school", "create", "allowed");
    let created = register::create_school(
        &state.store,
        &audit,
        &form.la_code,
        &form.draft(),
        state.now(),
    )
    .await;
    match created {
        Ok(id) => {
            Ok(Redirect::to(&format!("/admin/schools/{id}?flash=school_added")).into_response())
        }
        Err(e) => {
            let errors = school_errors(e)?;
            let status = status_of(&errors);
            school_form_page(&state, &p, action, form, errors, status).await
        }
    }
}

/// GET /admin/schools/{id}/edit
pub async fn edit_school(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "school").await?;
    let s = state.store.school_record(&id).await?;
    school_form_page(
        &state,
        &p,
        format!("/admin/schools/{id}/edit"),
        SchoolForm::of(&s),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// POST /admin/schools/{id}/edit
pub async fn update_school(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<SchoolForm>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "school").await?;
    let current = state.store.school_record(&id).await?;
    let action = format!("/admin/schools/{id}/edit");
    if !fresh {
        let errors = FormErrors::expired("la_code");
        let status = status_of(&errors);
        return school_form_page(&state, &p, action, form, errors, status).await;
    }
    let version = form.version.trim().parse::<i64>().unwrap_or(0);
    let audit = rid.actor(&p).event(&state, "school", "update", "allowed");
    let edited = register::edit_school(
        &state.store,
        &audit,
        &id,
        version,
        &form.la_code,
        &form.draft(),
        state.now(),
    )
    .await;
    match edited {
        Ok(()) => {
            Ok(Redirect::to(&format!("/admin/schools/{id}?flash=school_changed")).into_response())
        }
        Err(ChangeError::Conflict) => {
            let mut errors = FormErrors::default();
            errors.add("name", words().sr_conflict);
            school_form_page(
                &state,
                &p,
                action,
                SchoolForm::of(&current),
                errors,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => {
            let errors = school_errors(e)?;
            let status = status_of(&errors);
            school_form_page(&state, &p, action, form, errors, status).await
        }
    }
}

// ---------------------------------------------------------------- the register import

#[derive(Template, WebTemplate)]
#[template(path = "register_upload.html")]
struct UploadPage {
    page: PageChrome,
    errors: FormErrors,
}

fn upload_page(state: &AppState, p: &Principal, errors: FormErrors) -> Response {
    let status = status_of(&errors);
    let page = UploadPage {
        page: PageChrome::signed_in(state, p, words().sr_import_title, Section::Schools)
            .with_errors(&errors),
        errors,
    };
    (status, page).into_response()
}

/// GET /admin/schools/import
pub async fn import_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "school").await?;
    Ok(upload_page(&state, &p, FormErrors::default()))
}

pub(super) async fn read_upload(mut multipart: Multipart) -> Option<(String, String, Vec<u8>)> {
    let (mut csrf, mut name, mut bytes) = (String::new(), String::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or("") {
            "file" => {
                name = field.file_name().unwrap_or("").to_string();
                bytes = field.bytes().await.ok()?.to_vec();
            }
            "csrf_token" => csrf = field.text().await.ok()?,
            _ => {}
        }
    }
    Some((csrf, name, bytes))
}

/// POST /admin/schools/import/upload (multipart): keeps the file and shows its preview.
pub async fn import_upload(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    multipart: Multipart,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "school").await?;
    let mut errors = FormErrors::default();
    let Some((csrf, name, bytes)) = read_upload(multipart).await else {
        errors.add("file", words().spec_upload_unreadable);
        return Ok(upload_page(&state, &p, errors));
    };
    if !p.csrf_ok(&csrf) {
        errors.add("file", words().form_expired);
        return Ok(upload_page(&state, &p, errors));
    }
    if bytes.is_empty() {
        errors.add("file", words().sr_choose_file);
        return Ok(upload_page(&state, &p, errors));
    }
    if let Err(e) = senco_interop::schools_csv::parse(&bytes) {
        errors.add("file", register::file_reason(words(), &e));
        return Ok(upload_page(&state, &p, errors));
    }
    let name: String = name.chars().take(200).collect();
    let id = state
        .store
        .keep_register_upload(&p.user.id, &name, &bytes, state.now())
        .await?;
    Ok::<_, PageError>(Redirect::to(&format!("/admin/schools/import/{id}")).into_response())
}

/// A changed school of the preview.
struct ChangedRow {
    line: u64,
    urn: String,
    name: String,
    closes: bool,
    changes: Vec<register::FieldChange>,
}

/// A problem row of the preview, in words.
struct ProblemRow {
    line: u64,
    column: String,
    value: String,
    reason: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "register_preview.html")]
struct PreviewPage {
    page: PageChrome,
    errors: FormErrors,
    id: String,
    file_name: String,
    summary: String,
    problems: Vec<ProblemRow>,
    new: Vec<(u64, String, String)>,
    changed: Vec<ChangedRow>,
    ready: bool,
    nothing: bool,
}

fn preview_page(
    state: &AppState,
    p: &Principal,
    id: &str,
    file_name: String,
    preview: &RegisterPreview,
) -> Response {
    let mut errors = FormErrors::default();
    if !preview.ready() {
        errors.add_linked("problems", "problems", words().sr_import_refused);
    }
    let status = status_of(&errors);
    let page = PreviewPage {
        page: PageChrome::signed_in(state, p, words().sr_import_preview_title, Section::Schools)
            .with_errors(&errors),
        errors,
        id: id.to_string(),
        file_name,
        summary: register::summary(words(), preview),
        problems: preview
            .problems
            .iter()
            .map(|x| ProblemRow {
                line: x.line,
                column: x.column.clone(),
                value: x.value.clone(),
                reason: register::row_reason(words(), x.code),
            })
            .collect(),
        new: preview
            .new
            .iter()
            .map(|(r, _)| (r.line, r.school.urn.to_string(), r.school.name.clone()))
            .collect(),
        changed: preview
            .changed
            .iter()
            .map(|c| ChangedRow {
                line: c.line,
                urn: c.school.urn.to_string(),
                name: c.school.name.clone(),
                closes: c.closes,
                changes: c.changes.clone(),
            })
            .collect(),
        ready: preview.ready(),
        nothing: preview.new.is_empty() && preview.changed.is_empty(),
    };
    (status, page).into_response()
}

/// GET /admin/schools/import/{id}
pub async fn import_show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "school").await?;
    let (name, bytes) = state.store.register_upload(&id, &p.user.id).await?;
    match register::preview_import(&state.store, &bytes).await {
        Ok(preview) => Ok(preview_page(&state, &p, &id, name, &preview)),
        Err(e) => import_refused(&state, &p, e),
    }
}

fn import_refused(state: &AppState, p: &Principal, e: ImportError) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    match e {
        ImportError::File(e) => errors.add("file", register::file_reason(words(), &e)),
        ImportError::Duplicate(what) => {
            errors.add("file", register::duplicate_reason(words(), what))
        }
        ImportError::Problems(_) => errors.add("file", words().sr_import_refused),
        ImportError::Store(e) => return Err(e.into()),
    }
    Ok(upload_page(state, p, errors))
}

/// The confirmation form.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
}

/// POST /admin/schools/import/{id}: imports the kept file, all or nothing.
pub async fn import_confirm(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form: _, fresh }: Checked<ConfirmForm>,
) -> Result<Response, PageError> {
    admin(&state, &p, &rid, Action::Update, "school").await?;
    let (name, bytes) = state.store.register_upload(&id, &p.user.id).await?;
    if !fresh {
        return Ok(Redirect::to(&format!("/admin/schools/import/{id}")).into_response());
    }
    let audit = rid.actor(&p).event(&state, "school", "update", "allowed");
    match register::apply_import(&state.store, &audit, &bytes, state.now()).await {
        Ok(_) => {
            state.store.drop_register_upload(&id).await?;
            Ok(Redirect::to("/admin/schools?flash=imported").into_response())
        }
        Err(ImportError::Problems(preview)) => Ok(preview_page(&state, &p, &id, name, &preview)),
        Err(e) => import_refused(&state, &p, e),
    }
}

csrf_field!(AuthorityForm, SchoolForm, ConfirmForm);
