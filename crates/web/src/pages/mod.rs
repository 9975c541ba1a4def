//! Server-rendered pages in the GOV.UK Design System style.
//!
//! Every page struct has a `page: PageChrome` field read by `templates/base.html`. Forms
//! follow the GOV.UK error summary pattern: on an error the same page is shown again with
//! what was typed, an error summary linking to each field, and "Error: " in the title.

pub mod account;
pub mod contacts;
pub mod dashboard;
pub mod imports;
pub mod leavers;
pub mod pupils;
pub mod reset;
pub mod resume;
pub mod setup;
pub mod sign_in;
pub mod staff_import;
pub mod two_factor;
pub mod users;
// @sen-modules
pub mod concerns;
pub mod forms;
pub mod plans;
pub mod provision;
pub mod specialists;
pub mod stage_changes;
pub mod subject_access;
// @register-modules
pub mod approvals;
pub mod census;
pub mod chronology;
pub mod register;
pub mod retention;
pub mod school_frameworks;
pub mod school_register;
pub mod transfers;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use senco_domain::role::Role;

use crate::AppState;
use crate::auth::SessionExt;
pub(crate) use crate::http::request_id;
use crate::lang::words;
use senco_app::access::AccessError;
use senco_app::principal::Principal;
use senco_domain::lang::Lang;
use senco_i18n::Messages;

/// A link in the service navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// What the base layout needs on every page.
#[derive(Debug, Clone)]
pub struct PageChrome {
    pub lang: &'static str,
    pub title: String,
    pub has_errors: bool,
    pub m: &'static Messages,
    pub nav: Vec<NavItem>,
    pub user_name: Option<String>,
    pub csrf_token: String,
    pub demo: bool,
    pub flash: Option<String>,
    pub source_url: String,
    /// The link to the other language (the footer's language switch).
    pub switch: LangSwitch,
}

/// The language switch: a link to the language the request did not choose, written in
/// that language and coming back to this page's path (never its query).
#[derive(Debug, Clone)]
pub struct LangSwitch {
    pub href: String,
    pub label: &'static str,
    /// The BCP 47 tag of the language it switches to (the link's `lang` and `hreflang`).
    pub tag: &'static str,
}

impl LangSwitch {
    /// The switch away from `chosen`, the language the request chose.
    fn away_from(chosen: Lang, m: &Messages, back: &str) -> Self {
        let (to, label) = match chosen {
            Lang::English => (Lang::Welsh, m.lang_switch_welsh),
            Lang::Welsh => (Lang::English, m.lang_switch_english),
        };
        let query =
            serde_urlencoded::to_string([("lang", to.tag()), ("back", back)]).unwrap_or_default();
        LangSwitch {
            href: format!("/language?{query}"),
            label,
            tag: to.tag(),
        }
    }
}

/// Which navigation item is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Pupils,
    Concerns,
    Register,
    Provision,
    Specialists,
    Users,
    Schools,
    None,
}

/// The navigation a role sees.
pub fn nav_for(role: Role, current: Section) -> Vec<NavItem> {
    let m = words();
    let mut items = vec![(Section::Home, "/", m.nav_home)];
    if senco_domain::policy::pupil_reach(role).is_some() {
        items.push((Section::Pupils, "/pupils", m.nav_pupils));
    }
    let concerns = senco_domain::policy::pupil_reach(role).is_some_and(|rel| {
        senco_domain::policy::allows(
            role,
            rel,
            senco_domain::policy::Resource::Concern,
            senco_domain::policy::Action::Read,
        )
    });
    if senco_app::register::register_visible(role) {
        items.push((Section::Register, "/register", m.reg_nav));
    }
    if concerns {
        items.push((Section::Concerns, "/concerns", m.nav_concerns));
    }
    let provision = senco_domain::policy::pupil_reach(role).is_some()
        && senco_domain::policy::allows(
            role,
            senco_domain::policy::Relation::OwnSchool,
            senco_domain::policy::Resource::Provision,
            senco_domain::policy::Action::Read,
        );
    if provision {
        items.push((Section::Provision, "/provision", m.prov_nav));
    }
    let agencies = senco_domain::policy::pupil_reach(role).is_some()
        && senco_domain::policy::allows(
            role,
            senco_domain::policy::Relation::OwnSchool,
            senco_domain::policy::Resource::Agencies,
            senco_domain::policy::Action::Read,
        );
    if agencies {
        items.push((Section::Specialists, "/specialists", m.spec_nav));
    }
    if senco_domain::policy::user_reach(role).is_some() {
        items.push((Section::Users, "/admin/users", m.nav_users));
    }
    if senco_domain::policy::allows(
        role,
        senco_domain::policy::Relation::Installation,
        senco_domain::policy::Resource::Installation,
        senco_domain::policy::Action::Update,
    ) {
        items.push((Section::Schools, "/admin/schools", m.sr_schools_title));
    }
    items
        .into_iter()
        .map(|(section, href, label)| NavItem {
            href: href.to_string(),
            label: label.to_string(),
            current: section == current,
        })
        .collect()
}

impl PageChrome {
    /// The chrome for a signed-in person.
    pub fn signed_in(state: &AppState, p: &Principal, title: &str, section: Section) -> Self {
        PageChrome {
            nav: nav_for(p.user.role, section),
            user_name: Some(p.user.name.clone()),
            csrf_token: p.csrf_token().to_string(),
            ..Self::public(state, title)
        }
    }

    /// The chrome for a page anyone can see.
    pub fn public(state: &AppState, title: &str) -> Self {
        let m = words();
        PageChrome {
            // The words' language, which is the request's unless it falls back.
            lang: m.lang.tag(),
            title: title.to_string(),
            has_errors: false,
            m,
            switch: LangSwitch::away_from(crate::lang::lang(), m, &crate::lang::path()),
            nav: Vec::new(),
            user_name: None,
            csrf_token: String::new(),
            demo: state.demo,
            flash: None,
            source_url: state.config.source_url.clone(),
        }
    }

    /// The chrome of an error page: its switch goes back home, so a missing record's page
    /// and a refused one's are the same, byte for byte (SR-03).
    fn for_error(state: &AppState, title: &str) -> Self {
        let m = words();
        PageChrome {
            switch: LangSwitch::away_from(crate::lang::lang(), m, "/"),
            ..Self::public(state, title)
        }
    }

    /// Shows a confirmation banner.
    pub fn with_flash(mut self, flash: Option<&'static str>) -> Self {
        self.flash = flash.map(str::to_string);
        self
    }

    /// Marks the page as showing errors (the title then starts with "Error: ").
    pub fn with_errors(mut self, errors: &FormErrors) -> Self {
        self.has_errors = !errors.is_empty();
        self
    }
}

/// A message shown after a redirect, chosen by a key in the query string (so that no
/// content ever travels in a URL).
pub fn flash_message(key: Option<&str>) -> Option<&'static str> {
    let m = words();
    match key? {
        "pupil_added" => Some(m.pupil_added),
        "pupil_updated" => Some(m.pupil_updated),
        "leaving_recorded" => Some(m.flash_leaving_recorded),
        "signed_out" => Some(m.signed_out),
        "passphrase_reset" => Some(m.passphrase_reset),
        "passphrase_changed" => Some(m.passphrase_changed),
        "user_disabled" => Some(m.user_disabled),
        "contact_added" => Some(m.contact_added),
        "concern_raised" => Some(m.concern_raised),
        "concern_triaged" => Some(m.concern_triaged),
        "stage_recorded" => Some(m.stage_recorded),
        "parents_told_saved" => Some(m.parents_told_saved),
        "need_added" => Some(m.need_added),
        "process_added" => Some(m.process_added),
        "plan_saved" => Some(m.flash_plan_saved),
        "plan_status" => Some(m.flash_plan_status),
        "views_added" => Some(m.flash_views_added),
        "review_recorded" => Some(m.flash_review_recorded),
        "bank_added" => Some(m.flash_bank_added),
        "provision_saved" => Some(m.prov_flash_saved),
        "register_saved" => Some(m.prov_flash_register),
        "allocated" => Some(m.prov_flash_allocated),
        "session_saved" => Some(m.prov_flash_session),
        "exit_saved" => Some(m.prov_flash_exit),
        "agency_added" => Some(m.spec_flash_agency),
        "person_added" => Some(m.spec_flash_person),
        "referral_made" => Some(m.spec_flash_referral),
        "involvement_updated" => Some(m.spec_flash_updated),
        "note_added" => Some(m.spec_flash_note),
        "report_uploaded" => Some(m.spec_flash_report),
        "report_shared" => Some(m.spec_flash_shared),
        "report_unshared" => Some(m.spec_flash_unshared),
        "strategy_added" => Some(m.spec_flash_strategy),
        "setup_done" => Some(m.setup_done),
        "retention_approved" => Some(m.ret_flash_approved),
        "retention_kept" => Some(m.ret_flash_kept),
        "transfer_released" => Some(m.tr_flash_released),
        "transfer_declined" => Some(m.tr_flash_declined),
        "approval_approved" => Some(m.appr_flash_approved),
        "approval_refused" => Some(m.appr_flash_refused),
        _ => None,
    }
}

/// One error on a form, linked to the field's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    /// The id the summary links to (the first box of a date input, for example).
    pub target: String,
    pub message: String,
}

/// The errors of a submitted form, in the order of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    pub list: Vec<FieldError>,
}

impl FormErrors {
    /// Adds an error for a field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        self.add_linked(field.clone(), field, message);
    }

    /// Adds an error for a field whose summary link goes to another element's id.
    pub fn add_linked(
        &mut self,
        field: impl Into<String>,
        target: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.list.push(FieldError {
            field: field.into(),
            target: target.into(),
            message: message.into(),
        });
    }

    /// The errors of a form sent with a stale or missing CSRF token: "form expired" on `field`.
    pub fn expired(field: impl Into<String>) -> Self {
        let mut errors = FormErrors::default();
        errors.add(field, words().form_expired);
        errors
    }

    /// The error for a field, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Whether there are no errors.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageChrome,
    heading: &'static str,
    body: &'static str,
    reference: Option<String>,
}

/// The page for a record that does not exist or may not be seen (the same page for both).
pub fn not_found(state: &AppState) -> Response {
    let m = words();
    let page = ErrorPage {
        page: PageChrome::for_error(state, m.not_found_title),
        heading: m.not_found_title,
        body: m.not_found_body,
        reference: None,
    };
    (StatusCode::NOT_FOUND, page).into_response()
}

/// The generic "problem with the service" page; the details go to the log only.
pub fn problem(state: &AppState, reference: Option<String>) -> Response {
    let m = words();
    let page = ErrorPage {
        page: PageChrome::for_error(state, m.problem_title),
        heading: m.problem_title,
        body: m.problem_body,
        reference,
    };
    (StatusCode::INTERNAL_SERVER_ERROR, page).into_response()
}

/// An error from a page handler.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    Internal(anyhow::Error),
}

impl From<AccessError> for PageError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => PageError::NotFound,
            AccessError::Store(e) => PageError::Internal(e.into()),
        }
    }
}

impl From<senco_store::StoreError> for PageError {
    fn from(e: senco_store::StoreError) -> Self {
        match e {
            senco_store::StoreError::NotFound => PageError::NotFound,
            e => PageError::Internal(e.into()),
        }
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        PageError::Internal(e)
    }
}

/// What a failed page handler leaves in its response's extensions for [`render_errors`],
/// which has the state to render the page: the error itself cannot travel there (an
/// extension must be `Clone`), so the log line's text does.
#[derive(Debug, Clone)]
enum Failed {
    NotFound,
    Internal(String),
}

/// A handler returns `Result<_, PageError>` and uses `?`; the error becomes a bare response
/// (404 or 500) marked with what failed, and [`render_errors`] turns it into the full page.
impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, failed) = match self {
            PageError::NotFound => (StatusCode::NOT_FOUND, Failed::NotFound),
            PageError::Internal(err) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Failed::Internal(format!("{err:#}")),
            ),
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(failed);
        r
    }
}

/// The middleware that renders a page handler's error with the state at hand: the 404 page,
/// or the problem page quoting the request id, the error going to the log only.
pub async fn render_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let reference = request_id(req.headers());
    let response = next.run(req).await;
    match response.extensions().get::<Failed>() {
        None => response,
        Some(Failed::NotFound) => not_found(&state),
        Some(Failed::Internal(error)) => {
            tracing::error!(error = error.as_str(), request_id = ?reference, "page failed");
            problem(&state, reference)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    page: PageChrome,
}

/// The accessibility statement (public).
pub async fn accessibility(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
) -> Response {
    let title = words().accessibility_title;
    let page = match crate::auth::session_principal(&state, &headers).await {
        Some(p) => PageChrome::signed_in(&state, &p, title, Section::None),
        None => PageChrome::public(&state, title),
    };
    AccessibilityPage { page }.into_response()
}

/// The 404 page for any unknown path.
pub async fn fallback(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    not_found(&state)
}
