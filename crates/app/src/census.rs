//! The school census SEN return, assembled once for the page, its downloads and the
//! command line: the store's facts, the domain's rules, interop's formats.

use senco_domain::Date;
use senco_domain::census::CodeSettings;
use senco_domain::census_return::{RecordedNeed, pupil_return};
use senco_interop::census::{CensusReturn, PupilLine, SchoolRef};
use senco_store::pupils::Scope;
use senco_store::schools::School;
use senco_store::{Store, StoreError};
use time::OffsetDateTime;

use senco_domain::policy::{Action, Resource};

use crate::App;
use crate::access::{AccessError, Actor, require};
use crate::principal::Principal;
use crate::pupils::year_group;
use crate::sen::entries;

/// The return of `school` for the census on `on`, for the pupils `scope` may see.
pub async fn build(
    store: &Store,
    scope: &Scope,
    school: &School,
    on: Date,
    settings: &CodeSettings,
    now: OffsetDateTime,
) -> Result<CensusReturn, StoreError> {
    let facts = store.census_facts(scope, &school.id, on).await?;
    let pupils = facts
        .pupils
        .iter()
        .map(|p| {
            let history = facts.changes.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
            let needs: Vec<RecordedNeed> = facts
                .needs
                .get(&p.id)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|n| RecordedNeed {
                    code: n.code.clone(),
                    rank: n.rank,
                    starts_on: n.starts_on,
                    ends_on: n.ends_on,
                })
                .collect();
            PupilLine {
                pupil_id: p.id.clone(),
                upn: p.upn.clone(),
                surname: p.legal_surname.clone(),
                forename: p.legal_forename.clone(),
                date_of_birth: p.date_of_birth,
                year: year_group(p, on).map(|y| y.census()),
                result: pupil_return(school.country, &entries(history), &needs, on, settings),
            }
        })
        .collect();
    Ok(CensusReturn {
        school: SchoolRef {
            urn: school.urn.clone(),
            la_estab: (!school.la_code.is_empty() && !school.estab_number.is_empty())
                .then(|| format!("{}{}", school.la_code, school.estab_number)),
            name: school.name.clone(),
            country: school.country,
        },
        census_date: on,
        generated_at: senco_store::ts(now),
        pupils,
    })
}

/// The school whose census return this person may prepare (their own), if they may.
pub fn census_school(p: &Principal) -> Result<String, AccessError> {
    require(p, Resource::CensusReturn, Action::Read)?;
    p.user.school_id.clone().ok_or(AccessError::NotFound)
}

/// A school's census return on `on`, as this person's scope sees it.
pub async fn the_return(
    app: &App,
    p: &Principal,
    school_id: &str,
    on: Date,
) -> Result<CensusReturn, StoreError> {
    let school = app.store.school(school_id).await?;
    let settings = crate::sen::code_settings(app).await?;
    build(&app.store, &p.scope(), &school, on, &settings, app.now()).await
}

/// Audits one reading (`list`) or download (`export`) of the census return.
pub async fn audit(app: &App, actor: &Actor<'_>, action: &'static str) {
    let e = actor
        .event(app, "census_return", action, "allowed")
        .school(actor.principal.user.school_id.clone());
    app.audit.read(e).await;
}

/// A census date as typed (`YYYY-MM-DD`).
pub fn parse_date(s: &str) -> Option<Date> {
    senco_store::parse_ds(s.trim()).ok()
}
