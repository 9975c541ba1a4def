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
