//! A pupil's SEN chronology: concerns (for those who may read them), stage changes, parents
//! being told, needs and statutory processes, oldest first, in a table that prints cleanly.
//!
//! The title is generic (titles end up in browser history); the heading names the pupil.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use senco_domain::policy::{Action, Resource};

use super::{PageChrome, PageError, Section, render_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use senco_app::access::pupil_for;
use senco_app::sen::ChronologyItem;
use senco_i18n::EN;

#[derive(Template, WebTemplate)]
#[template(path = "chronology.html")]
struct ChronologyPage {
    page: PageChrome,
    id: String,
    name: String,
    items: Vec<ChronologyItem>,
}

/// GET /pupils/{id}/chronology
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let actor = rid.actor(&p);
    let result = async {
        let pupil = pupil_for(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
        let items = senco_app::sen::pupil_chronology(&state, &p, &pupil).await?;
        Ok::<_, PageError>(ChronologyPage {
            page: PageChrome::signed_in(&state, &p, EN.chron_title, Section::Pupils),
            name: pupil.display_name(),
            id: pupil.id,
            items,
        })
    }
    .await;
    match result {
        Ok(page) => page.into_response(),
        Err(e) => render_error(&state, &headers, e),
    }
}
