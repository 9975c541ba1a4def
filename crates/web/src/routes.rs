//! The route table: every path, the methods it answers and whether it is public.
//!
//! Routes are added only through [`Routes::at`], which records them in [`RouteSpec`]s as it
//! registers them, so the access meta-test walks exactly what the server serves: a route that
//! is neither public nor signed-in cannot be added.

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;

use crate::api::ApiError;
use crate::{AppState, api, ops, pages, security};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in page: without a session, 303 to `/sign-in`.
    Page,
    /// The API: without a token or session, 401.
    Api,
    /// Its own bearer token, not an account (`/metrics` and `SENCO_METRICS_TOKEN`): 404
    /// while no token is set, 401 without the right one; a session is not enough.
    Token,
}

/// One route of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    pub access: Access,
}

/// Collects routes and their specs together.
pub struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    fn at(
        mut self,
        path: &'static str,
        access: Access,
        methods: &'static [&'static str],
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.specs.push(RouteSpec {
            path,
            methods,
            access,
        });
        self
    }
}

fn table() -> Routes {
    use Access::{Api, Page, Public, Token};
    Routes::new()
        .at("/healthz", Public, &["GET"], get(ops::healthz))
        .at("/readyz", Public, &["GET"], get(ops::readyz))
        .at("/metrics", Token, &["GET"], get(ops::metrics))
        .at(
            "/accessibility",
            Public,
            &["GET"],
            get(pages::accessibility),
        )
        .at("/language", Public, &["GET"], get(crate::lang::switch))
        .at(
            "/sign-in",
            Public,
            &["GET", "POST"],
            get(pages::sign_in::show).post(pages::sign_in::submit),
        )
        .at(
            "/sign-in/forgot",
            Public,
            &["GET", "POST"],
            get(pages::reset::forgot).post(pages::reset::forgot_submit),
        )
        .at(
            "/sign-in/reset",
            Public,
            &["GET", "POST"],
            get(pages::reset::reset).post(pages::reset::reset_submit),
        )
        .at(
            "/setup",
            Public,
            &["GET", "POST"],
            get(pages::setup::show).post(pages::setup::submit),
        )
        .at(
            "/sign-in/code",
            Public,
            &["GET", "POST"],
            get(pages::two_factor::code).post(pages::two_factor::code_submit),
        )
        .at(
            "/account/two-factor",
            Page,
            &["GET", "POST"],
            get(pages::two_factor::setup).post(pages::two_factor::setup_submit),
        )
        .at("/sign-out", Page, &["POST"], post(pages::sign_in::sign_out))
        .at("/resume", Page, &["GET"], get(pages::resume::show))
        .at("/", Page, &["GET"], get(pages::dashboard::show))
        .at(
            "/account/passphrase",
            Page,
            &["GET", "POST"],
            get(pages::account::show).post(pages::account::submit),
        )
        .at(
            "/pupils",
            Page,
            &["GET", "POST"],
            get(pages::pupils::index).post(pages::pupils::search),
        )
        .at("/pupils/import", Page, &["GET"], get(pages::imports::new))
        .at(
            "/pupils/import/{id}",
            Page,
            &["GET", "POST"],
            get(pages::imports::show).post(pages::imports::submit),
        )
        .at(
            "/pupils/new",
            Page,
            &["GET", "POST"],
            get(pages::pupils::new).post(pages::pupils::create),
        )
        .at("/pupils/{id}", Page, &["GET"], get(pages::pupils::show))
        .at(
            "/pupils/{id}/edit",
            Page,
            &["GET", "POST"],
            get(pages::pupils::edit).post(pages::pupils::update),
        )
        .at(
            "/pupils/{id}/leaving",
            Page,
            &["GET", "POST"],
            get(pages::leavers::new).post(pages::leavers::create),
        )
        .at(
            "/api/v1/pupils/{id}/leaving",
            Api,
            &["POST"],
            post(api::leavers::create),
        )
        .at(
            "/pupils/{id}/audit",
            Page,
            &["GET"],
            get(pages::pupils::audit),
        )
        .at(
            "/pupils/{id}/subject-access",
            Page,
            &["GET", "POST"],
            get(pages::subject_access::show).post(pages::subject_access::download),
        )
        .at(
            "/pupils/{id}/contacts/new",
            Page,
            &["GET", "POST"],
            get(pages::contacts::new).post(pages::contacts::create),
        )
        .at("/admin/users", Page, &["GET"], get(pages::users::index))
        .at(
            "/admin/users/new",
            Page,
            &["GET", "POST"],
            get(pages::users::new).post(pages::users::create),
        )
        .at(
            "/admin/users/import",
            Page,
            &["GET", "POST"],
            get(pages::staff_import::new).post(pages::staff_import::confirm),
        )
        .at(
            "/admin/users/{id}/disable",
            Page,
            &["POST"],
            post(pages::users::disable),
        )
        // @sen-routes
        .at(
            "/pupils/{id}/stage-changes/{change}/letter",
            Page,
            &["GET"],
            get(pages::stage_changes::letter),
        )
        .at(
            "/api/v1/pupils/{id}/plans",
            Api,
            &["GET", "POST"],
            get(api::plans::list).post(api::plans::create),
        )
        .at(
            "/api/v1/plans/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::plans::get).patch(api::plans::patch),
        )
        .at(
            "/api/v1/plans/{id}/reviews",
            Api,
            &["POST"],
            post(api::plans::review),
        )
        .at(
            "/api/v1/plans/{id}/pdf",
            Api,
            &["GET"],
            get(api::plans::pdf),
        )
        .at("/api/v1/reviews/due", Api, &["GET"], get(api::plans::due))
        .at(
            "/pupils/{id}/plans/new",
            Page,
            &["GET", "POST"],
            get(pages::plans::new).post(pages::plans::create),
        )
        .at("/plans/{id}", Page, &["GET"], get(pages::plans::show))
        .at(
            "/plans/{id}/edit",
            Page,
            &["GET", "POST"],
            get(pages::plans::edit).post(pages::plans::update),
        )
        .at(
            "/plans/{id}/status",
            Page,
            &["POST"],
            post(pages::plans::status),
        )
        .at(
            "/plans/{id}/views",
            Page,
            &["POST"],
            post(pages::plans::views),
        )
        .at(
            "/plans/{id}/review",
            Page,
            &["GET", "POST"],
            get(pages::plans::review_new).post(pages::plans::review_create),
        )
        .at(
            "/plans/{id}/versions",
            Page,
            &["GET"],
            get(pages::plans::versions),
        )
        .at("/plans/{id}/pdf", Page, &["GET"], get(pages::plans::pdf))
        .at(
            "/target-bank",
            Page,
            &["GET", "POST"],
            get(pages::plans::bank).post(pages::plans::bank_add),
        )
        .at(
            "/api/v1/pupils/{id}/concerns",
            Api,
            &["POST"],
            post(api::sen::create_concern),
        )
        .at(
            "/api/v1/pupils/{id}/stage-changes",
            Api,
            &["GET", "POST"],
            get(api::sen_records::stage_changes).post(api::sen::create_stage_change),
        )
        .at(
            "/api/v1/pupils/{id}/stage-changes/{change}/parents-told",
            Api,
            &["POST"],
            post(api::sen_records::parents_told),
        )
        .at(
            "/api/v1/pupils/{id}/needs",
            Api,
            &["GET", "POST"],
            get(api::sen_records::needs).post(api::sen_records::create_need),
        )
        .at(
            "/api/v1/pupils/{id}/processes",
            Api,
            &["GET", "POST"],
            get(api::sen_records::processes).post(api::sen_records::create_process),
        )
        .at("/api/v1/concerns", Api, &["GET"], get(api::concerns::list))
        .at(
            "/api/v1/concerns/{id}",
            Api,
            &["GET"],
            get(api::concerns::get),
        )
        .at(
            "/api/v1/concerns/{id}/triage",
            Api,
            &["POST"],
            post(api::concerns::triage),
        )
        .at(
            "/pupils/{id}/concerns/new",
            Page,
            &["GET", "POST"],
            get(pages::concerns::new).post(pages::concerns::create),
        )
        .at("/concerns", Page, &["GET"], get(pages::concerns::index))
        .at(
            "/concerns/{id}",
            Page,
            &["GET", "POST"],
            get(pages::concerns::show).post(pages::concerns::decide),
        )
        .at(
            "/pupils/{id}/stage-changes/new",
            Page,
            &["GET", "POST"],
            get(pages::stage_changes::new).post(pages::stage_changes::create),
        )
        .at(
            "/pupils/{id}/stage-changes/{change}/parents-told",
            Page,
            &["GET", "POST"],
            get(pages::stage_changes::told_new).post(pages::stage_changes::told_create),
        )
        .at(
            "/pupils/{id}/needs/new",
            Page,
            &["GET", "POST"],
            get(pages::stage_changes::need_new).post(pages::stage_changes::need_create),
        )
        .at(
            "/pupils/{id}/processes/new",
            Page,
            &["GET", "POST"],
            get(pages::stage_changes::process_new).post(pages::stage_changes::process_create),
        )
        // @specialist-routes
        .at(
            "/specialists",
            Page,
            &["GET"],
            get(pages::specialists::index),
        )
        .at(
            "/specialists/agencies",
            Page,
            &["POST"],
            post(pages::specialists::agency_create),
        )
        .at(
            "/specialists/people",
            Page,
            &["POST"],
            post(pages::specialists::person_create),
        )
        .at(
            "/pupils/{id}/involvements/new",
            Page,
            &["GET", "POST"],
            get(pages::specialists::refer_new).post(pages::specialists::refer_create),
        )
        .at(
            "/involvements/{id}",
            Page,
            &["GET"],
            get(pages::specialists::show),
        )
        .at(
            "/involvements/{id}/status",
            Page,
            &["POST"],
            post(pages::specialists::status_update),
        )
        .at(
            "/involvements/{id}/notes",
            Page,
            &["POST"],
            post(pages::specialists::note_create),
        )
        .at(
            "/involvement-notes/{id}/strategy",
            Page,
            &["POST"],
            post(pages::specialists::strategy),
        )
        .at(
            "/reports/{id}/download",
            Page,
            &["GET"],
            get(pages::specialists::download),
        )
        .at(
            "/reports/{id}/share",
            Page,
            &["POST"],
            post(pages::specialists::share),
        )
        .at(
            "/api/v1/pupils/{id}/involvements",
            Api,
            &["GET", "POST"],
            get(api::specialists::list).post(api::specialists::create),
        )
        .at(
            "/api/v1/involvements/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::specialists::get).patch(api::specialists::patch),
        )
        .at(
            "/api/v1/involvements/{id}/notes",
            Api,
            &["POST"],
            post(api::specialists::create_note),
        )
        .at(
            "/api/v1/reports/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::specialists::download).patch(api::specialists::share),
        )
        .at(
            "/api/v1/agencies",
            Api,
            &["GET", "POST"],
            get(api::agencies::list).post(api::agencies::create),
        )
        .at(
            "/api/v1/agencies/{id}/people",
            Api,
            &["POST"],
            post(api::agencies::create_person),
        )
        // @provision-routes
        .at(
            "/api/v1/provisions",
            Api,
            &["GET", "POST"],
            get(api::provision::list).post(api::provision::create),
        )
        .at(
            "/api/v1/provisions/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::provision::get).patch(api::provision::patch),
        )
        .at(
            "/api/v1/pupils/{id}/allocations",
            Api,
            &["GET", "POST"],
            get(api::provision::pupil_allocations).post(api::provision::create_allocation),
        )
        .at(
            "/api/v1/allocations/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::provision::get_allocation).patch(api::provision::patch_allocation),
        )
        .at(
            "/api/v1/allocations/{id}/sessions",
            Api,
            &["GET", "POST"],
            get(api::provision::sessions).post(api::provision::create_session),
        )
        .at("/provision", Page, &["GET"], get(pages::provision::index))
        .at(
            "/provision/new",
            Page,
            &["GET", "POST"],
            get(pages::provision::new).post(pages::provision::create),
        )
        .at(
            "/provision/impact",
            Page,
            &["GET"],
            get(pages::provision::impact),
        )
        .at(
            "/provision/{id}",
            Page,
            &["GET"],
            get(pages::provision::show),
        )
        .at(
            "/provision/{id}/edit",
            Page,
            &["GET", "POST"],
            get(pages::provision::edit).post(pages::provision::update),
        )
        .at(
            "/provision/{id}/register",
            Page,
            &["GET", "POST"],
            get(pages::provision::register).post(pages::provision::register_submit),
        )
        .at("/provision-map", Page, &["GET"], get(pages::provision::map))
        .at(
            "/provision-map.csv",
            Page,
            &["GET"],
            get(pages::provision::map_download),
        )
        .at(
            "/pupils/{id}/allocations/new",
            Page,
            &["GET", "POST"],
            get(pages::provision::allocate_new).post(pages::provision::allocate_create),
        )
        .at(
            "/allocations/{id}",
            Page,
            &["GET"],
            get(pages::provision::allocation_show),
        )
        .at(
            "/allocations/{id}/sessions",
            Page,
            &["POST"],
            post(pages::provision::session_create),
        )
        .at(
            "/allocations/{id}/exit",
            Page,
            &["POST"],
            post(pages::provision::exit_create),
        )
        // @register-routes
        .at("/register", Page, &["GET"], get(pages::register::index))
        .at("/census", Page, &["GET"], get(pages::census::show))
        .at("/census.csv", Page, &["GET"], get(pages::census::csv))
        .at("/census.xml", Page, &["GET"], get(pages::census::xml))
        .at("/api/v1/census", Api, &["GET"], get(api::census::show))
        .at("/api/v1/census.csv", Api, &["GET"], get(api::census::csv))
        .at("/api/v1/census.xml", Api, &["GET"], get(api::census::xml))
        .at("/retention", Page, &["GET"], get(pages::retention::index))
        .at(
            "/retention/{id}",
            Page,
            &["GET", "POST"],
            get(pages::retention::show).post(pages::retention::decide),
        )
        .at(
            "/admin/approvals",
            Page,
            &["GET"],
            get(pages::approvals::index),
        )
        .at(
            "/admin/approvals/accounts/{id}",
            Page,
            &["POST"],
            post(pages::approvals::decide_account),
        )
        .at(
            "/admin/approvals/links/{id}",
            Page,
            &["POST"],
            post(pages::approvals::decide_link),
        )
        .at("/transfers", Page, &["GET"], get(pages::transfers::index))
        .at(
            "/transfers/{id}",
            Page,
            &["GET", "POST"],
            get(pages::transfers::show).post(pages::transfers::decide_request),
        )
        .at(
            "/register.csv",
            Page,
            &["GET"],
            get(pages::register::download),
        )
        .at(
            "/pupils/{id}/chronology",
            Page,
            &["GET"],
            get(pages::chronology::show),
        )
        .at(
            "/api/v1/register",
            Api,
            &["GET"],
            get(api::sen_read::register),
        )
        .at(
            "/api/v1/pupils/{id}/chronology",
            Api,
            &["GET"],
            get(api::sen_read::chronology),
        )
        .at("/api/v1/openapi.json", Public, &["GET"], get(api::openapi))
        .at("/api/v1/schools", Api, &["GET"], get(api::schools::list))
        .at(
            "/api/v1/pupils",
            Api,
            &["GET", "POST"],
            get(api::pupils::list).post(api::pupils::create),
        )
        .at(
            "/api/v1/pupils/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::pupils::get).patch(api::pupils::patch),
        )
        // Authorities and schools (issue 19, point 1).
        .at(
            "/admin/authorities",
            Page,
            &["GET"],
            get(pages::school_register::authorities),
        )
        .at(
            "/admin/authorities/new",
            Page,
            &["GET", "POST"],
            get(pages::school_register::new_authority)
                .post(pages::school_register::create_authority),
        )
        .at(
            "/admin/authorities/{id}/edit",
            Page,
            &["GET", "POST"],
            get(pages::school_register::edit_authority)
                .post(pages::school_register::update_authority),
        )
        .at(
            "/admin/schools",
            Page,
            &["GET"],
            get(pages::school_register::schools),
        )
        .at(
            "/admin/schools/new",
            Page,
            &["GET", "POST"],
            get(pages::school_register::new_school).post(pages::school_register::create_school),
        )
        .at(
            "/admin/schools/import",
            Page,
            &["GET"],
            get(pages::school_register::import_new),
        )
        .at(
            "/admin/schools/import/{id}",
            Page,
            &["GET", "POST"],
            get(pages::school_register::import_show).post(pages::school_register::import_confirm),
        )
        .at(
            "/admin/schools/{id}",
            Page,
            &["GET"],
            get(pages::school_register::school),
        )
        .at(
            "/admin/schools/{id}/edit",
            Page,
            &["GET", "POST"],
            get(pages::school_register::edit_school).post(pages::school_register::update_school),
        )
        // A school's frameworks by date (issue 19, point 2).
        .at(
            "/admin/schools/{id}/frameworks",
            Page,
            &["GET", "POST"],
            get(pages::school_frameworks::show).post(pages::school_frameworks::change),
        )
        .at(
            "/api/v1/admin/schools/{id}/frameworks",
            Api,
            &["GET", "POST"],
            get(api::school_frameworks::list).post(api::school_frameworks::change),
        )
        .at(
            "/api/v1/admin/authorities",
            Api,
            &["GET", "POST"],
            get(api::school_register::authorities).post(api::school_register::create_authority),
        )
        .at(
            "/api/v1/admin/authorities/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::school_register::authority).patch(api::school_register::patch_authority),
        )
        .at(
            "/api/v1/admin/schools",
            Api,
            &["GET", "POST"],
            get(api::school_register::schools).post(api::school_register::create_school),
        )
        .at(
            "/api/v1/admin/schools/{id}",
            Api,
            &["GET", "PATCH"],
            get(api::school_register::school).patch(api::school_register::patch_school),
        )
        // Calendars (issue 19, point 3).
        .at(
            "/api/v1/admin/authorities/{id}/calendar",
            Api,
            &["GET", "POST"],
            get(api::calendars::authority_calendar).post(api::calendars::authority_calendar_add),
        )
        .at(
            "/api/v1/admin/schools/{id}/calendar",
            Api,
            &["GET", "POST"],
            get(api::calendars::school_calendar).post(api::calendars::school_calendar_add),
        )
        .at(
            "/api/v1/admin/calendar/{id}",
            Api,
            &["GET", "PATCH", "DELETE"],
            get(api::calendars::entry)
                .patch(api::calendars::patch_entry)
                .delete(api::calendars::delete_entry),
        )
        .at(
            "/api/v1/admin/bank-holidays",
            Api,
            &["GET"],
            get(api::calendars::bank_holidays),
        )
}

/// Routes that take uploads: their bodies may be as large as the upload limit, where every
/// other route keeps the general body limit.
fn upload_table() -> Routes {
    use Access::{Api, Page};
    Routes::new()
        .at(
            "/pupils/import/upload",
            Page,
            &["POST"],
            post(pages::imports::upload),
        )
        .at(
            "/involvements/{id}/reports",
            Page,
            &["POST"],
            post(pages::specialists::report_upload),
        )
        .at(
            "/api/v1/involvements/{id}/reports",
            Api,
            &["POST"],
            post(api::specialists::upload),
        )
        .at(
            "/admin/schools/import/upload",
            Page,
            &["POST"],
            post(pages::school_register::import_upload),
        )
        .at(
            "/api/v1/admin/schools/import",
            Api,
            &["POST"],
            post(api::school_register::import),
        )
        .at(
            "/admin/users/import/upload",
            Page,
            &["POST"],
            post(pages::staff_import::upload),
        )
        .at(
            "/api/v1/admin/users/import",
            Api,
            &["POST"],
            post(api::staff::import),
        )
}

/// Every route the server serves (for the access meta-tests).
pub fn route_table() -> Vec<RouteSpec> {
    let mut specs = table().specs;
    specs.extend(upload_table().specs);
    specs
}

async fn fallback(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found().into_response()
    } else {
        pages::not_found(&state)
    }
}

/// The title of a problem document for an error the framework answered.
fn framework_title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "This address does not take that method",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "The request body is not of a type this address takes"
        }
        s if s.is_server_error() => "Something went wrong on the server",
        _ => "The request could not be handled",
    }
}

/// Under `/api/`, an error answered by the framework rather than a handler (a method the
/// route does not take, a body over the limit) has no body: it becomes a problem document
/// too, keeping its headers (`Allow`), as every API error is (issue 17, point 11).
async fn api_problems(req: axum::extract::Request, next: middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    let status = response.status();
    if !api
        || !(status.is_client_error() || status.is_server_error())
        || response
            .headers()
            .contains_key(axum::http::header::CONTENT_TYPE)
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let (problem_parts, body) = ApiError::new(status, framework_title(status))
        .into_response()
        .into_parts();
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, body)
}

/// Marks the response made for a caught panic, for [`explain_panics`].
#[derive(Debug, Clone, Copy)]
struct Panicked;

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The panic's message and place stay out of the response (and out of the log: they may
    // quote data). `explain_panics` writes the log line and the body.
    let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    r.extensions_mut().insert(Panicked);
    r
}

/// SR-25: a panic becomes the generic problem page, or a problem document under `/api/`,
/// whose reference is the request id, and one log line carrying that id. Nothing of the
/// panic itself reaches the body.
async fn explain_panics(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let reference = pages::request_id(req.headers());
    let client = req
        .extensions()
        .get::<security::ClientRequestId>()
        .map(|c| c.0.clone());
    let api = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if response.extensions().get::<Panicked>().is_none() {
        return response;
    }
    tracing::error!(
        request_id = reference.as_deref().unwrap_or("-"),
        client_request_id = client.as_deref().unwrap_or("-"),
        "a request handler panicked"
    );
    if api {
        ApiError {
            detail: reference.map(|r| format!("Quote reference {r} if you report this.")),
            ..ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on the server",
            )
        }
        .into_response()
    } else {
        pages::problem(&state, reference)
    }
}

/// The whole application with its middleware.
pub fn router(state: AppState) -> Router {
    let assets = ServeDir::new(&state.config.assets_dir);
    let body_limit = state.config.body_limit;
    // The multipart overhead (boundaries, the title and the form token) on top of the file.
    let upload_body = state.config.upload_limit + 64 * 1024;
    let uploads = upload_table()
        .router
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(upload_body));
    let app = table()
        .router
        .layer(RequestBodyLimitLayer::new(body_limit))
        .merge(uploads)
        .nest_service("/assets", assets)
        .fallback(fallback);
    with_middleware(app, state)
}

/// Senco's middleware around `app`: page handlers' errors rendered as pages, scope and audit
/// context, kept forms, metrics, the same-origin check, panics turned into problem pages,
/// the request's language, security headers and request ids.
/// [`router`] uses it for the route table; tests use it to show what a panicking handler
/// answers.
pub fn with_middleware(app: Router<AppState>, state: AppState) -> Router {
    app.layer(middleware::from_fn_with_state(
        state.clone(),
        pages::render_errors,
    ))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        crate::auth::scope_request,
    ))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        pages::resume::keep_forms,
    ))
    .layer(middleware::from_fn_with_state(state.clone(), ops::track))
    .layer(middleware::from_fn(security::same_origin))
    .layer(middleware::from_fn(api_problems))
    .layer(CatchPanicLayer::custom(panic_response))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        explain_panics,
    ))
    .layer(middleware::from_fn(crate::lang::choose_language))
    .layer(middleware::from_fn(security::headers))
    .layer(middleware::from_fn(security::request_ids))
    .with_state(state)
}
