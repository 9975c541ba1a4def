//! The SEN register: the pupils of the caller's scope with a stage in force, with filters
//! (stage, need, year group, registration group, class teacher), sortable columns, counts
//! per stage for those who may see the school's figures, and a CSV download.
//!
//! Filters and sorting travel in the query string of plain GET links and forms, so the page
//! works without JavaScript; they hold only ids and codes (stage ids, need codes, year codes,
//! group and teacher ids), never names or UPNs. The API (`api::sen_read`) reads the register
//! through the same functions.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use senco_domain::framework::{Stage, framework};
use senco_domain::policy::{Action, Resource};
use senco_domain::year_group::YearGroup;
use senco_store::pupils::PupilFilter;
use senco_store::schools::School;
use senco_store::sen::RegisterRow;

use super::{PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::{Actor, may};
use senco_app::principal::Principal;
use senco_app::pupils::year_group;
use senco_app::register::{
    Filters, Sort, SortKey, audit_read, audit_refusal, need_choices, register_allowed, rows,
};

/// Rows per page of the register.
const PER_PAGE: usize = 100;

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn filter_pairs(f: &Filters) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(s) = f.stage {
        out.push(("stage", s.as_str().to_string()));
    }
    if let Some(n) = &f.need {
        out.push(("need", n.clone()));
    }
    if let Some(y) = f.year {
        out.push(("year", y.code().to_string()));
    }
    if let Some(g) = &f.group {
        out.push(("group", g.clone()));
    }
    if let Some(t) = &f.teacher {
        out.push(("teacher", t.clone()));
    }
    out
}

fn sort_pairs(s: Sort) -> Vec<(&'static str, String)> {
    vec![
        ("sort", s.key.as_str().to_string()),
        ("dir", if s.descending { "desc" } else { "asc" }.to_string()),
    ]
}

/// Percent-encodes a query-string value (ids and codes, but never trusted to be plain).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query(pairs: &[(&'static str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The choices of the filters at the caller's school.
#[derive(Default)]
pub struct SchoolChoices {
    pub school: Option<School>,
    /// Stages of the school's frameworks (those in force first), without "no SEN".
    pub stages: Vec<Stage>,
    /// (code, label) of the needs the school records.
    pub needs: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub teachers: Vec<(String, String)>,
}

/// The stages of a school's frameworks, those in force today first, without "no SEN".
fn school_stages(school: &School, today: senco_domain::Date) -> Vec<Stage> {
    let mut keys = senco_app::sen::frameworks_in_force(school, today);
    let mut rest: Vec<_> = school.frameworks.clone();
    rest.sort_by_key(|(_, since)| std::cmp::Reverse(*since));
    for (k, _) in rest {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut stages = Vec::new();
    for k in keys {
        for d in framework(k).stages {
            if d.stage != Stage::NoSen && !stages.contains(&d.stage) {
                stages.push(d.stage);
            }
        }
    }
    stages
}

/// Loads the filter choices of the caller's school.
pub async fn school_choices(state: &AppState, p: &Principal) -> Result<SchoolChoices, PageError> {
    let Some(school_id) = &p.user.school_id else {
        return Ok(SchoolChoices {
            needs: need_choices(None),
            stages: Stage::ALL
                .into_iter()
                .filter(|s| *s != Stage::NoSen)
                .collect(),
            ..SchoolChoices::default()
        });
    };
    let school = state.store.school(school_id).await?;
    let groups = state.store.reg_groups(school_id).await?;
    let teachers = state.store.reg_group_teachers(school_id).await?;
    Ok(SchoolChoices {
        stages: school_stages(&school, state.today()),
        needs: need_choices(Some(school.country)),
        groups: groups.into_iter().map(|g| (g.id, g.name)).collect(),
        teachers,
        school: Some(school),
    })
}

/// Reads the page's filters: values that are not among the choices are ignored, as on the
/// pupils page.
pub fn page_filters(q: &HashMap<String, String>, choices: &SchoolChoices) -> Filters {
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    Filters {
        stage: get("stage")
            .and_then(Stage::parse)
            .filter(|s| *s != Stage::NoSen),
        need: get("need")
            .map(str::to_ascii_uppercase)
            .filter(|n| choices.needs.iter().any(|(c, _)| c == n)),
        year: get("year")
            .and_then(|y| y.parse::<i8>().ok())
            .and_then(YearGroup::from_code),
        group: get("group")
            .filter(|g| choices.groups.iter().any(|(id, _)| id == g))
            .map(str::to_string),
        teacher: get("teacher")
            .filter(|t| choices.teachers.iter().any(|(id, _)| id == t))
            .map(str::to_string),
    }
}

/// One row of the register table.
pub struct Row {
    pub id: String,
    pub name: String,
    pub year: String,
    pub group: String,
    pub stage: String,
    pub since: String,
    pub primary_need: String,
    pub other_needs: String,
    /// On an Action Plus stage with no outside specialist involved.
    pub needs_specialist: bool,
}

/// A column header, sortable or not.
pub struct Header {
    pub label: &'static str,
    pub href: Option<String>,
    pub aria_sort: Option<&'static str>,
    pub arrow: &'static str,
    pub numeric: bool,
}

/// A row of the counts table.
pub struct CountRow {
    pub label: &'static str,
    pub count: i64,
    pub share: String,
}

/// Counts per stage and the share of the roll.
pub struct Counts {
    pub rows: Vec<CountRow>,
    pub total: i64,
    pub total_share: String,
    pub roll: i64,
}

/// A link of the pagination.
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
struct RegisterPage {
    page: PageChrome,
    counts: Option<Counts>,
    stages: Vec<Choice>,
    needs: Vec<Choice>,
    years: Vec<Choice>,
    groups: Vec<Choice>,
    teachers: Vec<Choice>,
    stage: String,
    need: String,
    year: String,
    group: String,
    teacher: String,
    sort: String,
    dir: String,
    headers: Vec<Header>,
    rows: Vec<Row>,
    /// Whether the need columns and filter are shown (not to teaching assistants).
    needs_visible: bool,
    total: usize,
    filtered: bool,
    csv_href: String,
    /// Whether to offer the census return.
    census: bool,
    /// Whether to offer the records due for destruction (SR-30).
    retention: bool,
    pages: Vec<PageLink>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn share(n: i64, roll: i64) -> String {
    if roll <= 0 {
        return "0.0".to_string();
    }
    // Tenths of a percent, rounded half up, in integers.
    let tenths = (n * 1000 + roll / 2) / roll;
    format!("{}.{}", tenths / 10, tenths % 10)
}

async fn counts(
    state: &AppState,
    p: &Principal,
    school_id: &str,
    stages: &[Stage],
) -> Result<Counts, PageError> {
    let by_stage = state.store.stage_counts(school_id).await?;
    let roll = state
        .store
        .pupil_count(
            &p.scope(),
            &PupilFilter {
                school_id: Some(school_id.to_string()),
                ..PupilFilter::default()
            },
        )
        .await?;
    let count_of = |s: Stage| {
        by_stage
            .iter()
            .filter(|(st, _)| *st == s)
            .map(|(_, n)| *n)
            .sum::<i64>()
    };
    let mut shown: Vec<Stage> = stages.to_vec();
    for (s, n) in &by_stage {
        if *s != Stage::NoSen && *n > 0 && !shown.contains(s) {
            shown.push(*s);
        }
    }
    let rows: Vec<CountRow> = shown
        .into_iter()
        .map(|s| {
            let n = count_of(s);
            CountRow {
                label: s.label(),
                count: n,
                share: share(n, roll),
            }
        })
        .collect();
    let total = rows.iter().map(|r| r.count).sum();
    Ok(Counts {
        total_share: share(total, roll),
        rows,
        total,
        roll,
    })
}

fn year_choices() -> Vec<Choice> {
    (-2..=14)
        .filter_map(YearGroup::from_code)
        .map(|y| Choice {
            value: y.code().to_string(),
            label: y.label(),
        })
        .collect()
}

fn choices(list: &[(String, String)]) -> Vec<Choice> {
    list.iter()
        .map(|(value, label)| Choice {
            value: value.clone(),
            label: label.clone(),
        })
        .collect()
}

fn headers(filters: &Filters, sort: Sort) -> Vec<Header> {
    let m = words();
    let sortable = |label: &'static str, key: SortKey| {
        let current = sort.key == key;
        let next = Sort {
            key,
            descending: current && !sort.descending,
        };
        let mut pairs = filter_pairs(filters);
        pairs.extend(sort_pairs(next));
        Header {
            label,
            href: Some(format!("?{}", query(&pairs))),
            aria_sort: current.then_some(if sort.descending {
                "descending"
            } else {
                "ascending"
            }),
            arrow: match (current, sort.descending) {
                (false, _) => "",
                (true, false) => "▲",
                (true, true) => "▼",
            },
            numeric: false,
        }
    };
    let plain = |label: &'static str| Header {
        label,
        href: None,
        aria_sort: None,
        arrow: "",
        numeric: false,
    };
    vec![
        sortable(m.name_column, SortKey::Name),
        sortable(m.year_column, SortKey::Year),
        plain(m.group_column),
        sortable(m.reg_stage_column, SortKey::Stage),
        sortable(m.reg_since_column, SortKey::Since),
        sortable(m.reg_primary_need_column, SortKey::Need),
        plain(m.reg_other_needs_column),
    ]
}

fn row(r: &RegisterRow, today: senco_domain::Date, involvements: &HashMap<String, u32>) -> Row {
    let pupil = &r.pupil;
    Row {
        needs_specialist: senco_domain::provision::needs_specialist(
            r.current.stage,
            involvements.get(&pupil.id).copied().unwrap_or(0),
        ),
        id: pupil.id.clone(),
        name: format!(
            "{}, {}",
            pupil.legal_surname,
            pupil
                .preferred_forename
                .as_deref()
                .unwrap_or(&pupil.legal_forename)
        ),
        year: year_group(pupil, today)
            .map(|y| y.label())
            .unwrap_or_default(),
        group: pupil.reg_group_name.clone().unwrap_or_default(),
        stage: r.current.stage.label().to_string(),
        since: words().long_date(r.current.since),
        primary_need: r.primary_need.clone().unwrap_or_default(),
        other_needs: r
            .needs
            .iter()
            .skip(1)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    }
}

async fn page(
    state: &AppState,
    p: &Principal,
    actor: &Actor<'_>,
    q: &HashMap<String, String>,
) -> Result<RegisterPage, PageError> {
    let today = state.today();
    let school_choices = school_choices(state, p).await?;
    let filters = page_filters(q, &school_choices);
    let sort = Sort::from_query(q);
    let all = rows(state, p, &filters, None, sort).await?;
    audit_read(state, actor, "list", p.user.school_id.clone()).await;
    let counts = match (
        &p.user.school_id,
        may(p, Resource::Aggregates, Action::Read),
    ) {
        (Some(school), true) => Some(counts(state, p, school, &school_choices.stages).await?),
        _ => None,
    };
    let total = all.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = q
        .get("page")
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let mut base = filter_pairs(&filters);
    base.extend(sort_pairs(sort));
    let href = |n: usize| {
        let mut pairs = base.clone();
        pairs.push(("page", n.to_string()));
        format!("?{}", query(&pairs))
    };
    let shown: Vec<&RegisterRow> = all
        .iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let ids: Vec<String> = shown.iter().map(|r| r.pupil.id.clone()).collect();
    let involvements = state.store.open_involvement_counts(&ids).await?;
    let rows = shown
        .into_iter()
        .map(|r| row(r, today, &involvements))
        .collect();
    let mut csv_pairs = filter_pairs(&filters);
    csv_pairs.extend(sort_pairs(sort));
    Ok(RegisterPage {
        page: PageChrome::signed_in(state, p, words().reg_title, Section::Register),
        counts,
        stages: school_choices
            .stages
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_string(),
                label: s.label().to_string(),
            })
            .collect(),
        needs: choices(&school_choices.needs),
        years: year_choices(),
        groups: choices(&school_choices.groups),
        teachers: choices(&school_choices.teachers),
        stage: filters
            .stage
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        need: filters.need.clone().unwrap_or_default(),
        year: filters
            .year
            .map(|y| y.code().to_string())
            .unwrap_or_default(),
        group: filters.group.clone().unwrap_or_default(),
        teacher: filters.teacher.clone().unwrap_or_default(),
        sort: sort.key.as_str().to_string(),
        dir: if sort.descending { "desc" } else { "asc" }.to_string(),
        headers: {
            let mut h = headers(&filters, sort);
            if !may(p, Resource::PupilNeeds, Action::Read) {
                h.truncate(h.len() - 2);
            }
            h
        },
        needs_visible: may(p, Resource::PupilNeeds, Action::Read),
        rows,
        total,
        filtered: filters.any(),
        csv_href: format!("/register.csv?{}", query(&csv_pairs)),
        census: may(p, Resource::CensusReturn, Action::Read),
        retention: may(p, Resource::Retention, Action::Read),
        pages: if pages > 1 {
            (1..=pages)
                .map(|n| PageLink {
                    number: n,
                    href: href(n),
                    current: n == page_no,
                })
                .collect()
        } else {
            Vec::new()
        },
        prev_href: (page_no > 1).then(|| href(page_no - 1)),
        next_href: (page_no < pages).then(|| href(page_no + 1)),
    })
}

/// GET /register: the SEN register of the pupils this person may see.
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, PageError> {
    let actor = rid.actor(&p);
    if !register_allowed(&p) {
        audit_refusal(&state, &actor).await;
        return Err(PageError::NotFound);
    }
    page(&state, &p, &actor, &q).await
}

pub use senco_interop::csv_out::field as csv_field;

/// The register as CSV (RFC 4180, CRLF line ends); without the need columns when
/// `needs` is false.
pub fn csv(rows: &[RegisterRow], today: senco_domain::Date, needs: bool) -> String {
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    };
    let width = if needs {
        words().reg_csv_columns.len()
    } else {
        words().reg_csv_columns.len() - 2
    };
    line(
        words().reg_csv_columns[..width]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    for r in rows {
        let p = &r.pupil;
        line(
            vec![
                p.upn.clone().unwrap_or_default(),
                p.legal_surname.clone(),
                p.legal_forename.clone(),
                year_group(p, today).map(|y| y.census()).unwrap_or_default(),
                p.reg_group_name.clone().unwrap_or_default(),
                r.current.framework.label().to_string(),
                r.current.stage.label().to_string(),
                senco_store::ds(r.current.since),
                r.primary_need.clone().unwrap_or_default(),
                r.needs
                    .iter()
                    .skip(1)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
            .into_iter()
            .take(width)
            .collect(),
        );
    }
    out
}

/// GET /register.csv: the register with the page's filters and sort, as a download.
pub async fn download(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    if !register_allowed(&p) {
        audit_refusal(&state, &actor).await;
        return Err(PageError::NotFound);
    }
    let body = async {
        let school_choices = school_choices(&state, &p).await?;
        let filters = page_filters(&q, &school_choices);
        let rows = rows(&state, &p, &filters, None, Sort::from_query(&q)).await?;
        audit_read(&state, &actor, "export", p.user.school_id.clone()).await;
        Ok::<_, PageError>(csv(
            &rows,
            state.today(),
            may(&p, Resource::PupilNeeds, Action::Read),
        ))
    }
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"sen-register.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("Smith"), "\"Smith\"");
        assert_eq!(csv_field("O\"Neil"), "\"O\"\"Neil\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for lead in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_field(lead).starts_with("\"'"), "{lead:?}");
        }
        assert_eq!(csv_field(""), "\"\"");
    }

    #[test]
    fn shares_are_rounded_to_tenths() {
        assert_eq!(share(1, 3), "33.3");
        assert_eq!(share(2, 3), "66.7");
        assert_eq!(share(0, 0), "0.0");
        assert_eq!(share(5, 10), "50.0");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query(&[("need", "A&B c".to_string()), ("year", "-1".to_string())]),
            "need=A%26B%20c&year=-1"
        );
    }
}
