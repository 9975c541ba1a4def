//! The SEN register's query: who may read it, its filters and sort order, the rows of a
//! person's scope, and the audit of each read. The pages (`/register`, its CSV) and the
//! API (`/api/v1/register`) both read the register through these.

use std::collections::HashMap;

use senco_domain::census::{CodeSettings, NeedCode, WALES_NEEDS, wales_need_code};
use senco_domain::framework::Stage;
use senco_domain::policy::{Action, Relation, Resource, allows, pupil_reach};
use senco_domain::role::Role;
use senco_domain::school::Country;
use senco_domain::year_group::YearGroup;
use senco_store::pupils::PupilFilter;
use senco_store::sen::{RegisterFilter, RegisterRow};

use crate::App;
use crate::access::{Actor, may};
use crate::principal::Principal;
use crate::pupils::{year_dob_range, year_group};

/// Whether a role has the SEN register: those who reach pupils through their own school or
/// by teaching them, and may read their SEN records (not school administrators, parents,
/// specialists, officers or administrators). For the navigation.
pub fn register_visible(role: Role) -> bool {
    pupil_reach(role).is_some_and(|rel| {
        matches!(rel, Relation::OwnSchool | Relation::Teaches)
            && allows(role, rel, Resource::PupilSen, Action::Read)
    })
}

/// Whether this person may read the register (page, CSV and API alike).
pub fn register_allowed(p: &Principal) -> bool {
    register_visible(p.user.role) && may(p, Resource::PupilSen, Action::Read)
}

/// The register's filters, already checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub stage: Option<Stage>,
    pub need: Option<String>,
    pub year: Option<YearGroup>,
    /// A registration group id of the caller's school.
    pub group: Option<String>,
    /// A class teacher's user id.
    pub teacher: Option<String>,
}

impl Filters {
    /// Whether any filter is set.
    pub fn any(&self) -> bool {
        self != &Filters::default()
    }

    /// The store's filter, with the year turned into a date-of-birth range.
    pub fn to_store(&self, today: senco_domain::Date, school_id: Option<String>) -> RegisterFilter {
        RegisterFilter {
            pupils: PupilFilter {
                q: None,
                school_id,
                year: self.year.and_then(|y| {
                    year_dob_range(y.code(), today).map(|(a, b)| (i64::from(y.code()), a, b))
                }),
                reg_group_id: self.group.clone(),
            },
            stage: self.stage,
            need: self.need.clone(),
            teacher_user_id: self.teacher.clone(),
        }
    }
}

/// A column the register can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Stage,
    Year,
    Need,
    Since,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Stage => "stage",
            SortKey::Year => "year",
            SortKey::Need => "need",
            SortKey::Since => "since",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        [
            SortKey::Name,
            SortKey::Stage,
            SortKey::Year,
            SortKey::Need,
            SortKey::Since,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The sort order of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Reads `sort` and `dir`; anything unknown gives the default (name, ascending).
    pub fn from_query(q: &HashMap<String, String>) -> Sort {
        Sort {
            key: q
                .get("sort")
                .and_then(|s| SortKey::parse(s.trim()))
                .unwrap_or_default(),
            descending: q.get("dir").is_some_and(|d| d.trim() == "desc"),
        }
    }
}

/// Sorts register rows; ties (and missing values, which go last) fall back to the name.
pub fn sort_rows(rows: &mut [RegisterRow], sort: Sort, today: senco_domain::Date) {
    use std::cmp::Ordering;
    let name = |r: &RegisterRow| {
        (
            r.pupil.legal_surname.to_lowercase(),
            r.pupil.legal_forename.to_lowercase(),
            r.pupil.id.clone(),
        )
    };
    let last = |a: Option<Ordering>| a.unwrap_or(Ordering::Equal);
    let opt = |a: Option<i64>, b: Option<i64>, desc: bool| match (a, b) {
        (Some(a), Some(b)) => Some(if desc { b.cmp(&a) } else { a.cmp(&b) }),
        (Some(_), None) => Some(Ordering::Less),
        (None, Some(_)) => Some(Ordering::Greater),
        (None, None) => None,
    };
    let desc = sort.descending;
    rows.sort_by(|a, b| {
        let by_name = || {
            let o = name(a).cmp(&name(b));
            if desc && sort.key == SortKey::Name {
                o.reverse()
            } else {
                o
            }
        };
        let first = match sort.key {
            SortKey::Name => None,
            SortKey::Stage => {
                let o = a.current.stage.cmp(&b.current.stage);
                Some(if desc { o.reverse() } else { o })
            }
            SortKey::Since => {
                let o = a.current.since.cmp(&b.current.since);
                Some(if desc { o.reverse() } else { o })
            }
            SortKey::Year => opt(
                year_group(&a.pupil, today).map(|y| i64::from(y.code())),
                year_group(&b.pupil, today).map(|y| i64::from(y.code())),
                desc,
            ),
            SortKey::Need => match (&a.primary_need, &b.primary_need) {
                (Some(x), Some(y)) => Some(if desc { y.cmp(x) } else { x.cmp(y) }),
                (Some(_), None) => Some(Ordering::Less),
                (None, Some(_)) => Some(Ordering::Greater),
                (None, None) => None,
            },
        };
        match last(first) {
            Ordering::Equal => by_name(),
            o => o,
        }
    });
}

/// The (code, label) of the needs a school in this country records.
pub fn need_choices(country: Option<Country>) -> Vec<(String, String)> {
    match country {
        Some(Country::Wales) => {
            let settings = CodeSettings::default();
            WALES_NEEDS
                .iter()
                .map(|d| {
                    let code = wales_need_code(d.need, &settings).code;
                    (code.clone(), format!("{} ({code})", d.label))
                })
                .collect()
        }
        _ => NeedCode::ALL
            .iter()
            .map(|c| {
                (
                    c.code().to_string(),
                    format!("{} ({})", c.description(), c.code()),
                )
            })
            .collect(),
    }
}

/// Whether a need code is one Senco knows (England's codes or the Welsh categories).
pub fn known_need(code: &str) -> bool {
    need_choices(Some(Country::England))
        .into_iter()
        .chain(need_choices(Some(Country::Wales)))
        .any(|(c, _)| c == code)
}

/// The register rows this person may see with these filters, sorted.
pub async fn rows(
    state: &App,
    p: &Principal,
    filters: &Filters,
    school_id: Option<String>,
    sort: Sort,
) -> Result<Vec<RegisterRow>, senco_store::StoreError> {
    let today = state.today();
    let needs_visible = may(p, Resource::PupilNeeds, Action::Read);
    let mut store_filter = filters.to_store(today, school_id);
    if !needs_visible {
        store_filter.need = None;
    }
    let mut rows = state.store.register(&p.scope(), &store_filter).await?;
    if !needs_visible {
        // Teaching assistants work from targets and strategies, not diagnoses (SR-06).
        for r in &mut rows {
            r.primary_need = None;
            r.needs.clear();
        }
    }
    sort_rows(&mut rows, sort, today);
    Ok(rows)
}

/// Audits one read of the register.
pub async fn audit_read(
    state: &App,
    actor: &Actor<'_>,
    action: &'static str,
    school_id: Option<String>,
) {
    let e = actor
        .event(state, "sen_register", action, "allowed")
        .school(school_id);
    state.audit.read(e).await;
}

/// Audits a refused attempt at the register, at once.
pub async fn audit_refusal(state: &App, actor: &Actor<'_>) {
    let e = actor
        .event(state, "sen_register", "list", "denied")
        .school(actor.principal.user.school_id.clone());
    if let Err(err) = state.store.audit(&e).await {
        tracing::error!(error = %err, "auditing a refusal failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_school_staff_with_sen_access_have_the_register() {
        for (role, expected) in [
            (Role::Senco, true),
            (Role::Head, true),
            (Role::Teacher, true),
            (Role::TeachingAssistant, true),
            (Role::SchoolAdmin, false),
            (Role::Parent, false),
            (Role::Specialist, false),
            (Role::LaOfficer, false),
            (Role::Admin, false),
        ] {
            assert_eq!(register_visible(role), expected, "{role:?}");
        }
    }
}
