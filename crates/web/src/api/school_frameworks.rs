//! A school's frameworks by date for the administrator (issue 19, point 2):
//! `GET /api/v1/admin/schools/{id}/frameworks` lists the periods; `POST` changes the
//! framework from a date, or with `dry_run` (in the body or as `?dry_run=true`) only says
//! what the change would mean for the pupils on the SEN register. `{id}` is the school's id
//! or its URN. Anyone else is answered 404 and the refusal is audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use senco_app::school_frameworks::{
    ChangeInput, FrameworkError, FrameworkPreview, change_framework, school_periods,
};
use senco_app::school_register as register;
use senco_domain::framework_periods::{Outcome, Period};
use senco_domain::policy::Action;
use senco_domain::pupil::date_from_iso;
use senco_domain::school::FrameworkKey;
use senco_store::ds;
use senco_store::school_register::SchoolRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ApiQuery, FieldProblem};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::http::RequestId;

#[allow(unused_imports)]
use super::Problem;

/// A period in which the school works under a framework.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkPeriodOut {
    /// The framework's key (`england_2001`, `wales_2002`, `england_2014`, `wales_aln_2021`).
    pub framework: String,
    pub name: String,
    /// `YYYY-MM-DD`, the first day.
    pub starts_on: String,
    /// `YYYY-MM-DD`, the last day: the day before the next framework starts; `null` while
    /// it continues.
    pub ends_on: Option<String>,
}

/// A school's frameworks, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkPeriodList {
    pub school_id: String,
    pub urn: String,
    pub items: Vec<FrameworkPeriodOut>,
}

/// A change of framework.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkChangeIn {
    /// The new framework's key; it must be one of the school's country.
    pub framework: String,
    /// `YYYY-MM-DD`, the day it starts; the framework in force ends the day before.
    pub starts_on: String,
    /// Only preview: nothing is written.
    #[serde(default)]
    pub dry_run: bool,
}

/// `?dry_run=true` previews, as for the register import.
#[derive(Debug, Default, Deserialize)]
pub struct DryRunQuery {
    #[serde(default)]
    dry_run: Option<bool>,
}

/// The pupils at one current stage and what the change means for them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageOutcomeOut {
    /// The framework the pupils' current stage belongs to.
    pub framework: String,
    pub stage: String,
    pub pupils: i64,
    /// `keeps` (the stage stays), `maps_to` (the one stage in `options`) or
    /// `needs_decision` (someone chooses among `options` for each pupil).
    pub outcome: String,
    pub options: Vec<String>,
}

/// What a change does (or would do, with `dry_run`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkChangeOut {
    pub dry_run: bool,
    pub framework: String,
    pub starts_on: String,
    /// The school's periods after the change.
    pub periods: Vec<FrameworkPeriodOut>,
    /// The pupils on roll on the SEN register, by current stage. Their stage history is
    /// never rewritten: each moves when their own change is recorded.
    pub pupils: Vec<StageOutcomeOut>,
    pub needing_decision: i64,
}

fn period_out(p: &Period) -> FrameworkPeriodOut {
    FrameworkPeriodOut {
        framework: p.framework.as_str().to_string(),
        name: p.framework.label().to_string(),
        starts_on: ds(p.starts_on),
        ends_on: p.ends_on.map(ds),
    }
}

fn change_out(p: &FrameworkPreview) -> FrameworkChangeOut {
    FrameworkChangeOut {
        dry_run: !p.written,
        framework: p.change.framework.as_str().to_string(),
        starts_on: ds(p.change.starts_on),
        periods: p.after.iter().map(period_out).collect(),
        pupils: p
            .rows
            .iter()
            .map(|r| {
                let (outcome, options) = match &r.outcome {
                    Outcome::Keeps => ("keeps", vec![r.stage]),
                    Outcome::MapsTo(s) => ("maps_to", vec![*s]),
                    Outcome::NeedsDecision(o) => ("needs_decision", o.clone()),
                };
                StageOutcomeOut {
                    framework: r.framework.as_str().to_string(),
                    stage: r.stage.as_str().to_string(),
                    pupils: r.pupils,
                    outcome: outcome.to_string(),
                    options: options.iter().map(|s| s.as_str().to_string()).collect(),
                }
            })
            .collect(),
        needing_decision: p.needing_decision(),
    }
}

/// The school named by its id or its URN.
async fn school_record(state: &AppState, id: &str) -> Result<SchoolRecord, ApiError> {
    match state.store.school_record(id).await {
        Err(senco_store::StoreError::NotFound) => {
            let by_urn = state
                .store
                .school_id_by_urn(id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            Ok(state.store.school_record(&by_urn).await?)
        }
        other => Ok(other?),
    }
}

/// A school's frameworks by date.
#[utoipa::path(
    operation_id = "admin_school_frameworks_list",
    get,
    path = "/api/v1/admin/schools/{id}/frameworks",
    params(("id" = String, Path, description = "The school's id or URN")),
    responses(
        (status = 200, body = FrameworkPeriodList),
        super::problems::Unauthorized,
        super::problems::NotFound,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Json<FrameworkPeriodList>, ApiError> {
    register::require_admin(&state, &rid.actor(&p), Action::Read, "school_framework").await?;
    let s = school_record(&state, &id).await?;
    let periods = school_periods(&state.store, &s.id).await?;
    Ok(Json(FrameworkPeriodList {
        school_id: s.id,
        urn: s.urn,
        items: periods.iter().map(period_out).collect(),
    }))
}

/// Change a school's framework from a date, or preview the change with `dry_run`.
#[utoipa::path(
    operation_id = "admin_school_frameworks_change",
    post,
    path = "/api/v1/admin/schools/{id}/frameworks",
    params(
        ("id" = String, Path, description = "The school's id or URN"),
        ("dry_run" = Option<bool>, Query, description = "Only preview; nothing is written"),
    ),
    request_body = FrameworkChangeIn,
    responses(
        (status = 201, body = FrameworkChangeOut, description = "Changed"),
        (status = 200, body = FrameworkChangeOut, description = "The preview of a dry run"),
        super::problems::Unauthorized,
        super::problems::NotFound,
        super::problems::Unprocessable,
    )
)]
pub async fn change(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    rid: RequestId,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<FrameworkChangeIn>,
) -> Result<Response, ApiError> {
    let dry_run = body.dry_run || q.dry_run.unwrap_or(false);
    let actor = rid.actor(&p);
    let action = if dry_run {
        Action::Read
    } else {
        Action::Update
    };
    register::require_admin(&state, &actor, action, "school_framework").await?;
    let s = school_record(&state, &id).await?;
    let input = ChangeInput {
        framework: FrameworkKey::parse(body.framework.trim()),
        starts_on: date_from_iso(&body.starts_on),
    };
    let audit = actor.event(&state, "school_framework", "create", "allowed");
    let done = change_framework(
        &state.store,
        &audit,
        &s.id,
        &input,
        dry_run,
        state.today(),
        state.now(),
    )
    .await;
    match done {
        Ok(preview) => {
            let status = if dry_run {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(change_out(&preview))).into_response())
        }
        Err(FrameworkError::Invalid(problems)) => Err(ApiError::invalid(
            problems
                .iter()
                .map(|pr| FieldProblem::of(pr, pr.field.to_string()))
                .collect(),
        )),
        Err(FrameworkError::NotFound) => Err(ApiError::not_found()),
        Err(FrameworkError::Store(e)) => Err(ApiError::internal(e)),
    }
}
