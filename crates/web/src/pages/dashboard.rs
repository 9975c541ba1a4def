//! The home page: what each role needs first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use senco_domain::concern::ConcernStatus;
use senco_domain::policy::{Action, Resource};
use senco_domain::role::Role;
use senco_store::pupils::PupilFilter;
use senco_store::schools::SchoolScope;
use senco_store::users::UserScope;

use super::sign_in::FlashQuery;
use super::{PageChrome, PageError, Section, flash_message};
use crate::AppState;
use crate::auth::SignedIn;
use crate::lang::words;
use senco_app::access::require;
use senco_app::principal::Principal;

/// A link with its text.
pub struct Link {
    pub href: String,
    pub text: String,
}

/// A list of outstanding work on the SENCO's home page.
pub struct Duty {
    pub heading: &'static str,
    pub hint: Option<&'static str>,
    pub items: Vec<Link>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    duties: Vec<Duty>,
    page: PageChrome,
    school_name: Option<String>,
    stats: Vec<(&'static str, String)>,
    links: Vec<Link>,
    people_heading: Option<&'static str>,
    people: Vec<Link>,
    people_empty: &'static str,
    table_heading: Option<&'static str>,
    table: Vec<(String, i64)>,
    /// A form kept when the session ended is waiting (`/resume`).
    kept_form: bool,
}

/// GET /
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    headers: HeaderMap,
    Query(q): Query<FlashQuery>,
) -> Result<impl IntoResponse, PageError> {
    let mut page = build(&state, &p, &headers).await?;
    page.page.flash = flash_message(q.flash.as_deref()).map(str::to_string);
    page.kept_form = super::resume::waiting(&state, &p.user.id).await;
    Ok(page)
}

async fn build(
    state: &AppState,
    p: &Principal,
    headers: &HeaderMap,
) -> Result<DashboardPage, PageError> {
    let m = words();
    let mut page = DashboardPage {
        duties: Vec::new(),
        page: PageChrome::signed_in(state, p, m.dashboard_title, Section::Home),
        school_name: None,
        stats: Vec::new(),
        links: Vec::new(),
        people_heading: None,
        people: Vec::new(),
        people_empty: "",
        table_heading: None,
        table: Vec::new(),
        kept_form: false,
    };
    if let Some(school_id) = &p.user.school_id {
        page.school_name = Some(state.store.school(school_id).await?.name);
    }
    let find = Link {
        href: "/pupils".into(),
        text: m.dashboard_find_pupil.into(),
    };
    let users = Link {
        href: "/admin/users".into(),
        text: m.dashboard_manage_users.into(),
    };
    let scope = p.scope();
    if p.user.role == Role::Senco {
        page.duties = senco_duties(state, p).await?;
    }
    // The reviews due name children with plans: the matrix decides, and the read is audited
    // like the API's list (SR-26).
    if matches!(p.user.role, Role::Senco | Role::Teacher)
        && senco_app::plans::reviews_due_allowed(p)
    {
        let actor = crate::http::RequestId::of(headers).actor(p);
        senco_app::plans::audit_reviews_due(state, &actor, "allowed").await;
        let today = state.today();
        let due = state
            .store
            .reviews_due(
                &p.scope(),
                p.user.school_id.as_deref(),
                today + time::Duration::days(14),
            )
            .await?;
        page.duties.insert(
            0,
            Duty {
                heading: m.dashboard_reviews_due,
                hint: None,
                items: due
                    .into_iter()
                    .map(|d| Link {
                        href: format!("/plans/{}", d.plan_id),
                        text: format!(
                            "{}: {}{}",
                            d.pupil_name,
                            words().long_date(d.review_on),
                            if d.review_on < today {
                                format!(" ({})", m.overdue)
                            } else {
                                String::new()
                            }
                        ),
                    })
                    .collect(),
            },
        );
    }
    match p.user.role {
        Role::Senco | Role::Head | Role::SchoolAdmin => {
            let total = state
                .store
                .pupil_count(&scope, &PupilFilter::default())
                .await?;
            page.stats
                .push((m.dashboard_pupils_on_roll, total.to_string()));
            page.links.push(find);
            if require(p, Resource::Users, Action::Read).is_ok() {
                page.links.push(users);
            }
        }
        Role::Teacher | Role::TeachingAssistant => {
            let total = state
                .store
                .pupil_count(&scope, &PupilFilter::default())
                .await?;
            page.stats
                .push((m.dashboard_your_pupils, total.to_string()));
            page.links.push(find);
        }
        Role::Parent | Role::Specialist => {
            let (heading, empty) = if p.user.role == Role::Parent {
                (m.dashboard_your_children, m.dashboard_no_children)
            } else {
                (m.dashboard_referred, m.dashboard_no_referrals)
            };
            page.people_heading = Some(heading);
            page.people_empty = empty;
            let list = state
                .store
                .pupils(&scope, &PupilFilter::default(), 1, 100)
                .await?;
            page.people = list
                .items
                .iter()
                .map(|pupil| Link {
                    href: format!("/pupils/{}", pupil.id),
                    text: pupil.display_name(),
                })
                .collect();
        }
        Role::LaOfficer => {
            if let (Ok(_), Some(la)) = (
                require(p, Resource::Aggregates, Action::Read),
                &p.user.la_id,
            ) {
                let schools = state
                    .store
                    .schools(&SchoolScope::Authority(la.clone()))
                    .await?;
                let ids: Vec<String> = schools.iter().map(|s| s.id.clone()).collect();
                let counts = state.store.pupil_counts(&ids).await?;
                page.table_heading = Some(m.dashboard_authority_schools);
                page.table = schools
                    .iter()
                    .map(|s| {
                        let n = counts
                            .iter()
                            .find(|(id, _)| *id == s.id)
                            .map(|(_, n)| *n)
                            .unwrap_or(0);
                        (s.name.clone(), n)
                    })
                    .collect();
            }
        }
        Role::Admin => {
            if require(p, Resource::Installation, Action::Read).is_ok() {
                let authorities = state.store.authorities().await?.len();
                let schools = state.store.schools(&SchoolScope::All).await?.len();
                page.stats
                    .push((m.authorities_count, authorities.to_string()));
                page.stats.push((m.schools_count, schools.to_string()));
            }
            if require(p, Resource::Users, Action::Read).is_ok() {
                let accounts = state.store.users(&UserScope::All).await?.len();
                page.stats.push((m.users_count, accounts.to_string()));
                page.links.push(users);
            }
        }
    }
    // Transfers between schools (SR-07): those who decide see how many wait for them.
    if require(p, Resource::PupilTransfers, Action::Read).is_ok() {
        if let (Some(school_id), true) = (
            &p.user.school_id,
            require(p, Resource::PupilTransfers, Action::Update).is_ok(),
        ) {
            let waiting = state.store.pending_transfers_from(school_id).await?;
            page.stats.push((m.tr_waiting_stat, waiting.to_string()));
        }
        page.links.push(Link {
            href: "/transfers".into(),
            text: m.tr_link.into(),
        });
    }
    // Access waiting for a second person (SR-02).
    if require(p, Resource::AccessApprovals, Action::Update).is_ok() {
        if let (Some(school_id), true) = (
            &p.user.school_id,
            matches!(p.user.role, Role::Senco | Role::Head),
        ) {
            let waiting = state.store.pending_approvals_for_school(school_id).await?;
            page.stats.push((m.appr_stat, waiting.to_string()));
        }
        page.links.push(Link {
            href: "/admin/approvals".into(),
            text: m.appr_link.into(),
        });
    }
    Ok(page)
}

/// Concerns awaiting triage, parents not yet told of a change, and stages to map.
async fn senco_duties(state: &AppState, p: &Principal) -> Result<Vec<Duty>, PageError> {
    let m = words();
    let Some(school_id) = &p.user.school_id else {
        return Ok(Vec::new());
    };
    let scope = p.scope();
    let name_of = |pupil: &senco_store::pupils::Pupil| pupil.display_name();
    let concerns = state
        .store
        .concerns_for_school(school_id, &[ConcernStatus::AwaitingTriage])
        .await?;
    let concern_links = concerns
        .iter()
        .map(|(c, name)| Link {
            href: format!("/concerns/{}", c.id),
            text: format!("{name}, {}", words().long_date(c.raised_on)),
        })
        .collect();
    // The pupils named in these lists are read in one scoped query, not one query each.
    let untold_changes = state.store.untold_changes(school_id).await?;
    let school = state.store.school(school_id).await?;
    let in_force = senco_app::sen::frameworks_in_force(&school, state.today());
    let stages = state.store.current_stages_for_school(school_id).await?;
    let action_plus: Vec<(String, senco_domain::framework::Stage)> = stages
        .iter()
        .filter(|(_, c)| senco_domain::provision::needs_specialist(c.stage, 0))
        .map(|(id, c)| (id.clone(), c.stage))
        .collect();
    let ids: Vec<String> = action_plus.iter().map(|(id, _)| id.clone()).collect();
    let involved = state.store.open_involvement_counts(&ids).await?;
    let action_plus: Vec<_> = action_plus
        .into_iter()
        .filter(|(id, stage)| {
            senco_domain::provision::needs_specialist(
                *stage,
                involved.get(id).copied().unwrap_or(0),
            )
        })
        .collect();
    let unmapped: Vec<_> = stages
        .iter()
        .filter(|(_, current)| !in_force.contains(&current.framework))
        .collect();
    let wanted: Vec<String> = untold_changes
        .iter()
        .map(|(id, ..)| id.clone())
        .chain(unmapped.iter().map(|(id, _)| id.clone()))
        .chain(action_plus.iter().map(|(id, _)| id.clone()))
        .collect();
    let pupils = state.store.pupils_by_ids(&scope, &wanted).await?;
    let untold = untold_changes
        .iter()
        .filter_map(|(pupil_id, _change, stage, on)| {
            let pupil = pupils.get(pupil_id)?;
            Some(Link {
                href: format!("/pupils/{}", pupil.id),
                text: format!(
                    "{}: {}, {}",
                    name_of(pupil),
                    stage.label(),
                    words().long_date(*on)
                ),
            })
        })
        .collect();
    let to_map = unmapped
        .iter()
        .filter_map(|(pupil_id, current)| {
            let pupil = pupils.get(pupil_id)?;
            Some(Link {
                href: format!("/pupils/{}/stage-changes/new", pupil.id),
                text: format!(
                    "{}: {} ({})",
                    name_of(pupil),
                    current.stage.label(),
                    senco_domain::framework::framework(current.framework).name
                ),
            })
        })
        .collect();
    let no_specialist = action_plus
        .iter()
        .filter_map(|(pupil_id, stage)| {
            let pupil = pupils.get(pupil_id)?;
            Some(Link {
                href: format!("/pupils/{}", pupil.id),
                text: format!("{}: {}", name_of(pupil), stage.label()),
            })
        })
        .collect();
    Ok(vec![
        Duty {
            heading: m.dashboard_concerns,
            hint: None,
            items: concern_links,
        },
        Duty {
            heading: m.dashboard_untold,
            hint: None,
            items: untold,
        },
        Duty {
            heading: m.dashboard_to_map,
            hint: Some(m.dashboard_to_map_hint),
            items: to_map,
        },
        Duty {
            heading: m.dashboard_no_specialist,
            hint: Some(m.dashboard_no_specialist_hint),
            items: no_specialist,
        },
    ])
}
