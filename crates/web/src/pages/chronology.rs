//! A pupil's SEN chronology: concerns (for those who may read them), stage changes, parents
//! being told, needs and statutory processes, oldest first, in a table that prints cleanly.
//!
//! The title is generic (titles end up in browser history); the heading names the pupil.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use senco_domain::policy::{Action, Resource};

use super::{PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::pupil_for;
use senco_app::sen::ChronologyItem;

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
    Path(id): Path<String>,
) -> Result<impl IntoResponse, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilSenHistory, Action::Read).await?;
    let items = senco_app::sen::pupil_chronology(&state, &p, &pupil, words()).await?;
    Ok(ChronologyPage {
        page: PageChrome::signed_in(&state, &p, words().chron_title, Section::Pupils),
        name: pupil.display_name(),
        id: pupil.id,
        items,
    })
}
