//! Inviting staff from a CSV file, as on the page `/admin/users/import` (issue 19, point 4):
//! `POST /api/v1/admin/users/import` with the file as the body; `?dry_run=true` previews.
//! Everyone in the file is invited (or held for approval), or nobody.

use crate::lang::words;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use senco_app::access::require;
use senco_app::staff::{self, StaffImportError, StaffPreview, file_reason, scope_of};
use senco_domain::policy::{Action, Resource};
use serde::Serialize;
use utoipa::ToSchema;

use super::school_register::{ImportQuery, RowProblemOut};
use super::{ApiError, ApiQuery};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;

#[allow(unused_imports)]
use super::Problem;

/// A person of the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffOut {
    pub line: u64,
    pub name: String,
    pub email: String,
    /// The role's key (`teacher`, `senco`, ...).
    pub role: String,
    /// The school's URN, if the role has one.
    pub school: Option<String>,
    /// A local-authority officer's authority code.
    pub authority: Option<String>,
    /// The registration groups they will teach.
    pub groups: Vec<String>,
    /// Waits for approval by the school's SENCO or head teacher (or another administrator)
    /// before the invitation is emailed.
    pub pending_approval: bool,
}

/// What an import does (or would do, with `dry_run`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffImportOut {
    /// Whether anything was written.
    pub written: bool,
    pub people: Vec<StaffOut>,
    pub problems: Vec<RowProblemOut>,
}

fn import_out(p: &StaffPreview, written: bool) -> StaffImportOut {
    StaffImportOut {
        written,
        people: p
            .rows
            .iter()
            .map(|r| StaffOut {
                line: r.row.line,
                name: r.row.name.as_str().to_string(),
                email: r.row.email.as_str().to_string(),
                role: r.row.role.as_str().to_string(),
                school: r
                    .school
                    .as_ref()
                    .filter(|_| r.row.role.requires_school())
                    .map(|s| s.urn.clone()),
                authority: r.authority.as_ref().map(|a| a.code.clone()),
                groups: r.groups.iter().map(|g| g.name.clone()).collect(),
                pending_approval: r.pending,
            })
            .collect(),
        problems: p
            .problems
            .iter()
            .map(|x| RowProblemOut {
                line: x.line,
                column: x.column.to_string(),
                value: x.value.clone(),
                code: x.code.to_string(),
                message: words().staff_problem(x.code),
            })
            .collect(),
    }
}

/// Invite staff from a CSV file (the body; columns `name`, `email`, `role`, `school`,
/// `groups`): each is emailed an invitation, or waits for approval when their account would
/// read SEN records the caller cannot. All or nothing: a file with bad rows is answered 422
/// with every row's problem, and nobody is invited. With `dry_run`, nothing is written.
#[utoipa::path(
    operation_id = "admin_users_import",
    post,
    path = "/api/v1/admin/users/import",
    params(("dry_run" = Option<bool>, Query, description = "Only say what would happen")),
    request_body(content = inline(super::FileBody), content_type = "text/csv"),
    responses(
        (status = 200, body = StaffImportOut),
        super::problems::Unauthorized,
        super::problems::NotFound,
        (status = 422, body = StaffImportOut, description = "Rows with problems: nothing was written"),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let relation = require(&p, Resource::Users, Action::Create)?;
    let scope = scope_of(&state.store, &p, relation).await?;
    let result = if q.dry_run {
        staff::preview(&state.store, &scope, p.user.role, &body).await
    } else {
        let event = rid.actor(&p).event(&state, "user", "create", "allowed");
        let maker = (p.user.role, Some(p.user.id.as_str()));
        staff::apply(
            &state.store,
            &state.settings.public_url,
            &scope,
            &event,
            maker,
            &body,
            state.now(),
        )
        .await
    };
    match result {
        Ok(preview) if preview.ready() => {
            Ok((StatusCode::OK, Json(import_out(&preview, !q.dry_run))).into_response())
        }
        Ok(preview) | Err(StaffImportError::Problems(preview)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(import_out(&preview, false)),
        )
            .into_response()),
        Err(StaffImportError::File(e)) => {
            Err(ApiError::field("file", e.code(), &file_reason(words(), &e)))
        }
        Err(StaffImportError::Store(e)) => Err(e.into()),
    }
}
