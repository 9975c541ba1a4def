//! The subject-access bundle (SR-31): everything Senco holds about one pupil, as JSON and as
//! a PDF, to answer a subject access request or a parent's request for the educational
//! record. `docs/subject-access.md` describes it.
//!
//! [`build`] puts together the portable record ([`crate::portable_record::export`], read through the
//! requester's [`Scope`]), the rows the record does not carry (contacts, enrolments, teaching
//! links, shares with the local authority, earlier versions of the pupil's details, parents
//! told of stage changes, the current stage) and the access and disclosure log from the audit
//! trail. Items that need a person's eyes before they leave the school are listed in
//! `review`, each by its JSON Pointer: other people's information (check for redaction) and
//! health information (review before disclosure). [`document`] prints the same bundle,
//! section by section, with those flags beside the items.
//!
//! [`TABLES`] maps every table holding pupil data to where its rows are in the bundle; a
//! meta-test fails when a table of the live schema is neither there nor in [`EXEMPT`].
//!
//! Reading runs inside the caller's tenancy: the record export makes no cross-school check,
//! so nothing is widened.

use std::collections::BTreeMap;

use senco_documents::{Block, Document, Lang};
use senco_domain::Date;
use senco_domain::calendar::SchoolCalendar;
use senco_domain::framework::ProcessKind;
use senco_domain::specialist::AgencyKind;
use senco_domain::subject_access::{
    Review, agency_is_health, educational_record_deadline, need_is_health, one_calendar_month,
    three_calendar_months,
};
use senco_interop::record::Record;
use senco_store::pupils::Scope;
use senco_store::schools::School;
use senco_store::{Store, StoreError, ds, ts};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// The value of `format`.
pub const FORMAT: &str = "senco-subject-access";
/// The version of the layout.
pub const VERSION: u32 = 1;

/// Where each table holding pupil data is in the bundle: the table, the path of its rows
/// (`a.b[]` is every item of the array `b` of `a`; one row per item, or the object itself)
/// and the heading or caption its rows have in the PDF.
pub const TABLES: &[(&str, &str, &str)] = &[
    ("pupils", "record.pupil", "The pupil"),
    ("current_stages", "current_stage", "Current stage"),
    (
        "pupil_versions",
        "pupil_versions[]",
        "Earlier versions of the pupil's details",
    ),
    ("enrolments", "enrolments[]", "Schools attended"),
    ("contacts", "contacts[]", "Parents and carers"),
    (
        "teaching_assignments",
        "teaching_assignments[]",
        "Staff linked to the pupil",
    ),
    ("stage_changes", "record.stage_history[]", "Stage history"),
    (
        "parent_notifications",
        "parent_notifications[]",
        "Parents told of stage changes",
    ),
    ("needs", "record.needs[]", "Needs"),
    ("concerns", "record.concerns[]", "Concerns raised"),
    (
        "processes",
        "record.statutory_processes[]",
        "Statutory processes",
    ),
    ("plans", "record.plans[]", "Plans"),
    ("plan_targets", "record.plans[].targets[]", "Targets"),
    (
        "plan_provision",
        "record.plans[].provision[]",
        "Provision in the plan",
    ),
    (
        "plan_versions",
        "record.plans[].versions[]",
        "Saved versions",
    ),
    (
        "parent_contributions",
        "record.plans[].contributions[]",
        "Contributions before a review",
    ),
    ("reviews", "record.reviews[]", "Reviews"),
    (
        "target_outcomes",
        "record.reviews[].outcomes[]",
        "Outcomes of targets",
    ),
    ("allocations", "record.provision[]", "Provision received"),
    (
        "delivery_sessions",
        "record.provision[].sessions[]",
        "Sessions",
    ),
    (
        "involvements",
        "record.specialists[]",
        "Outside specialists",
    ),
    (
        "involvement_notes",
        "record.specialists[].notes[]",
        "Specialists' notes",
    ),
    (
        "involvement_reports",
        "record.documents[]",
        "Specialists' reports",
    ),
    (
        "la_shares",
        "authority_shares[]",
        "Shares with the local authority",
    ),
    (
        "audit_log",
        "access_log[]",
        "Who has seen or received the record",
    ),
];

/// Tables that hold or mention a pupil but are not in the bundle, each with the reason.
pub const EXEMPT: &[(&str, &str)] = &[
    (
        "form_drafts",
        "a member of staff's own unsent form, kept for them for an hour after their session \
         timed out and then deleted; it has no pupil id (the form's address may hold one) and \
         becomes part of the record only when it is sent",
    ),
    (
        "pupil_imports",
        "a school's MIS file about many pupils, kept for a day between upload and \
         confirmation; what it changed is in the pupil's details and their earlier versions",
    ),
    (
        "retention_reviews",
        "the school's own decision on how long to keep the records (ids, a record class and \
         dates, no information about the pupil); the periods are the school's published \
         retention policy",
    ),
    (
        "destruction_log",
        "written when a pupil's records are destroyed and holding ids and dates only: a pupil \
         with a row here has no records left to export",
    ),
    (
        "transfer_requests",
        "a school's request to another school for the pupil's record (ids, the UPN, the \
         names the asking school gave and who decided): the move itself shows in the \
         enrolments and the access log, which are in the bundle",
    ),
    (
        "outbox",
        "emails queued or sent, by address, without a pupil id; what parents were told of a \
         stage change is in parent_notifications and the stage history",
    ),
];

/// Who asked for the bundle and when, as the person preparing it recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Who made the request ("Pat Parent (mother)"), if recorded.
    pub requested_by: Option<String>,
    /// The day the request was received.
    pub received_on: Date,
}

/// Who prepared the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preparer {
    /// Their name, or the operating-system user at the command line.
    pub name: String,
    /// Their account (email), or `os:NAME`.
    pub account: String,
    pub role: Option<String>,
}

/// The bundle. Its own serde types around the portable record, so the file changes only on
/// purpose.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// Always `senco-subject-access`.
    pub format: &'static str,
    /// Always 1 for this layout.
    pub version: u32,
    pub generated_at: String,
    pub prepared_by: Preparer,
    pub request: RequestFacts,
    pub school: SchoolFacts,
    /// Everything about the pupil's SEN history, in the portable record format
    /// (`senco-record` version 1, `docs/record.md`): reports with their contents (base64).
    pub record: Record,
    pub current_stage: Option<CurrentStageOut>,
    pub pupil_versions: Vec<PupilVersionOut>,
    pub enrolments: Vec<EnrolmentOut>,
    pub contacts: Vec<ContactOut>,
    pub teaching_assignments: Vec<TeachingOut>,
    pub parent_notifications: Vec<NotificationOut>,
    pub authority_shares: Vec<ShareOut>,
    /// Every audit row about the pupil, oldest first: who read, changed, printed, exported
    /// or was refused the record (the recipients of Art 15(1)(c)).
    pub access_log: Vec<AccessOut>,
    /// Items to look at before disclosure, by JSON Pointer into this file.
    pub review: Vec<Flag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestFacts {
    pub requested_by: Option<String>,
    pub received_on: String,
    pub deadlines: Deadlines,
}

/// The deadlines, for information (the school decides which applies).
#[derive(Debug, Clone, Serialize)]
pub struct Deadlines {
    /// Subject access request: one calendar month (ICO).
    pub subject_access: String,
    /// A complex request, extended by two months (tell the requester within the first).
    pub subject_access_extended: String,
    /// A parent's request for the educational record: 15 school days, maintained schools
    /// only (`None` for others).
    pub educational_record: Option<String>,
    /// Whether that date was counted past the school's known terms.
    pub educational_record_estimated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchoolFacts {
    pub name: String,
    pub urn: String,
    pub maintained: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentStageOut {
    pub framework: String,
    pub stage: String,
    pub since: String,
    pub stage_change: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PupilVersionOut {
    pub id: String,
    pub version: i64,
    pub details: Value,
    pub changed_by: Option<String>,
    pub changed_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentOut {
    pub id: String,
    pub school: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactOut {
    pub id: String,
    pub name: String,
    pub relationship: String,
    pub parental_responsibility: bool,
    pub restricted: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub has_sign_in: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeachingOut {
    pub id: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotificationOut {
    pub id: String,
    pub stage_change: String,
    pub informed_on: String,
    pub method: String,
    pub recorded_by: Option<String>,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareOut {
    pub id: String,
    pub authority: String,
    pub authority_code: String,
    pub shared_at: String,
    pub withdrawn_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccessOut {
    pub at: String,
    pub who: String,
    pub role: Option<String>,
    pub channel: String,
    pub record: String,
    pub record_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub fields: Option<String>,
}

/// An item to look at before disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// A JSON Pointer (RFC 6901) to the item in this file.
    pub item: String,
    /// `third_party` or `health`.
    pub kind: &'static str,
    pub reason: &'static str,
}

/// Puts the bundle together for `pupil_id`, read through `scope`. The caller audits the
/// export (before the file is handed over).
pub async fn build(
    store: &Store,
    scope: &Scope,
    pupil_id: &str,
    prepared_by: Preparer,
    request: Request,
    now: OffsetDateTime,
) -> Result<Bundle, StoreError> {
    let pupil = store.pupil(scope, pupil_id).await?;
    // The bundle goes to the family: in the language the pupil's parents have letters in.
    let m = senco_i18n::messages(pupil.language);
    let record = crate::portable_record::export(store, scope, pupil_id, now, m).await?;
    let school = store.school(&pupil.school_id).await?;
    let calendar = crate::calendars::school_calendar(store, &school).await?;
    let current_stage = store
        .current_stage(&pupil.id)
        .await?
        .map(|c| CurrentStageOut {
            framework: c.framework.as_str().into(),
            stage: c.stage.as_str().into(),
            since: ds(c.since),
            stage_change: c.stage_change_id,
        });
    let pupil_versions = store
        .pupil_versions(&pupil.id)
        .await?
        .into_iter()
        .map(|v| PupilVersionOut {
            id: v.id,
            version: v.version,
            details: serde_json::from_str(&v.data).unwrap_or(Value::String(v.data)),
            changed_by: v.changed_by,
            changed_at: ts(v.changed_at),
        })
        .collect();
    let enrolments = store
        .enrolments(&pupil.id)
        .await?
        .into_iter()
        .map(|e| EnrolmentOut {
            id: e.id,
            school: e.school_name,
            starts_on: ds(e.starts_on),
            ends_on: e.ends_on.map(ds),
        })
        .collect();
    let contacts = store
        .contacts(&pupil.id)
        .await?
        .into_iter()
        .map(|c| ContactOut {
            id: c.id,
            name: c.name,
            relationship: c.relationship,
            parental_responsibility: c.parental_responsibility,
            restricted: c.restricted,
            email: c.email,
            phone: c.phone,
            has_sign_in: c.user_id.is_some(),
        })
        .collect();
    let teaching_assignments = store
        .teaching_links(&pupil.id)
        .await?
        .into_iter()
        .map(|t| TeachingOut {
            id: t.id,
            name: t.name,
            role: t.role,
        })
        .collect();
    let parent_notifications = store
        .parent_notifications(&pupil.id)
        .await?
        .into_iter()
        .map(|n| NotificationOut {
            id: n.id,
            stage_change: n.stage_change_id,
            informed_on: n.informed_on,
            method: n.method,
            recorded_by: n.recorded_by,
            recorded_at: ts(n.recorded_at),
        })
        .collect();
    let authority_shares = store
        .authority_shares(&pupil.id)
        .await?
        .into_iter()
        .map(|s| ShareOut {
            id: s.id,
            authority: s.authority_name,
            authority_code: s.authority_code,
            shared_at: ts(s.shared_at),
            withdrawn_at: s.revoked_at.map(ts),
        })
        .collect();
    let access_log = store
        .audit_for_pupil_all(&pupil.id)
        .await?
        .into_iter()
        .map(|r| {
            let e = r.event;
            AccessOut {
                at: ts(e.at),
                who: e.actor_label,
                role: e.actor_role,
                channel: e.channel,
                record: e.record_type,
                record_id: e.record_id,
                action: e.action,
                outcome: e.outcome,
                fields: e.fields,
            }
        })
        .collect();
    let mut bundle = Bundle {
        format: FORMAT,
        version: VERSION,
        generated_at: ts(now),
        prepared_by,
        request: RequestFacts {
            requested_by: request.requested_by,
            received_on: ds(request.received_on),
            deadlines: deadlines(&school, &calendar, request.received_on),
        },
        school: SchoolFacts {
            name: school.name.clone(),
            urn: school.urn.clone(),
            maintained: school.maintained,
        },
        record,
        current_stage,
        pupil_versions,
        enrolments,
        contacts,
        teaching_assignments,
        parent_notifications,
        authority_shares,
        access_log,
        review: Vec::new(),
    };
    bundle.review = flags(&bundle);
    Ok(bundle)
}

fn deadlines(school: &School, calendar: &SchoolCalendar, received: Date) -> Deadlines {
    let record = school
        .maintained
        .then(|| educational_record_deadline(calendar, received));
    Deadlines {
        subject_access: ds(one_calendar_month(received)),
        subject_access_extended: ds(three_calendar_months(received)),
        educational_record: record.map(|d| ds(d.date)),
        educational_record_estimated: record.is_some_and(|d| d.estimated),
    }
}

const WRITTEN_BY_OTHERS: &str = "written by an outside professional";
const AGENCY_DETAILS: &str = "names an outside agency and its staff";
const AGENCY_REPORT: &str = "a report from an outside agency";
const HEALTH_AGENCY: &str = "from a health service";
const HEALTH_NEED: &str = "a health condition, impairment or diagnosis";
const EHC_ASSESSMENT: &str = "a statutory assessment gathers health and care advice";
const CONCERN: &str = "raised by a member of staff: may mention other pupils or family members";
const PARENT_WORDS: &str = "the parents' own words";
const OTHERS_NAMED: &str = "names who the decision was made with";
const CONTACT: &str = "another person's contact details";

/// The items of a bundle to look at before disclosure, in the bundle's order.
pub fn flags(b: &Bundle) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut flag = |item: String, review: Review, reason: &'static str| {
        out.push(Flag {
            item,
            kind: review.as_str(),
            reason,
        });
    };
    let r = &b.record;
    for (i, s) in r.stage_history.iter().enumerate() {
        if s.decided_with.as_deref().is_some_and(|t| !t.is_empty())
            || s.specialists.as_deref().is_some_and(|t| !t.is_empty())
        {
            flag(
                format!("/record/stage_history/{i}"),
                Review::ThirdParty,
                OTHERS_NAMED,
            );
        }
    }
    for (i, n) in r.needs.iter().enumerate() {
        if need_is_health(&n.code) {
            flag(format!("/record/needs/{i}"), Review::Health, HEALTH_NEED);
        }
    }
    for i in 0..r.concerns.len() {
        flag(format!("/record/concerns/{i}"), Review::ThirdParty, CONCERN);
    }
    for (i, p) in r.statutory_processes.iter().enumerate() {
        if p.kind == ProcessKind::StatutoryAssessment.as_str() {
            flag(
                format!("/record/statutory_processes/{i}"),
                Review::Health,
                EHC_ASSESSMENT,
            );
        }
    }
    for (i, p) in r.plans.iter().enumerate() {
        if !p.parent_views.is_empty() {
            flag(
                format!("/record/plans/{i}"),
                Review::ThirdParty,
                PARENT_WORDS,
            );
        }
        for j in 0..p.contributions.len() {
            flag(
                format!("/record/plans/{i}/contributions/{j}"),
                Review::ThirdParty,
                PARENT_WORDS,
            );
        }
    }
    for (i, rv) in r.reviews.iter().enumerate() {
        if !rv.parent_views.is_empty() {
            flag(
                format!("/record/reviews/{i}"),
                Review::ThirdParty,
                PARENT_WORDS,
            );
        }
    }
    let health_involvement = |inv: &senco_interop::record::InvolvementEntry| {
        inv.agency
            .as_ref()
            .and_then(|a| AgencyKind::parse(&a.kind))
            .is_some_and(agency_is_health)
    };
    for (i, inv) in r.specialists.iter().enumerate() {
        let health = health_involvement(inv);
        flag(
            format!("/record/specialists/{i}"),
            Review::ThirdParty,
            AGENCY_DETAILS,
        );
        if health {
            flag(
                format!("/record/specialists/{i}"),
                Review::Health,
                HEALTH_AGENCY,
            );
        }
        for j in 0..inv.notes.len() {
            flag(
                format!("/record/specialists/{i}/notes/{j}"),
                Review::ThirdParty,
                WRITTEN_BY_OTHERS,
            );
            if health {
                flag(
                    format!("/record/specialists/{i}/notes/{j}"),
                    Review::Health,
                    HEALTH_AGENCY,
                );
            }
        }
    }
    for (i, d) in r.documents.iter().enumerate() {
        flag(
            format!("/record/documents/{i}"),
            Review::ThirdParty,
            AGENCY_REPORT,
        );
        if r.specialists
            .iter()
            .find(|inv| inv.id == d.involvement)
            .is_some_and(health_involvement)
        {
            flag(
                format!("/record/documents/{i}"),
                Review::Health,
                HEALTH_AGENCY,
            );
        }
    }
    for i in 0..b.contacts.len() {
        flag(format!("/contacts/{i}"), Review::ThirdParty, CONTACT);
    }
    out
}

/// The bundle as JSON, pretty-printed.
pub fn to_json(b: &Bundle) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec_pretty(b)?;
    out.push(b'\n');
    Ok(out)
}

/// How many rows of a table a path of [`TABLES`] finds in a bundle (as JSON): the items of
/// its last array, or 1 for an object.
pub fn count_at(v: &Value, path: &str) -> usize {
    fn walk(v: &Value, parts: &[&str]) -> usize {
        let Some((first, rest)) = parts.split_first() else {
            return usize::from(!v.is_null());
        };
        let (key, each) = match first.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (*first, false),
        };
        let inner = &v[key];
        if each {
            inner
                .as_array()
                .map_or(0, |items| items.iter().map(|i| walk(i, rest)).sum())
        } else {
            walk(inner, rest)
        }
    }
    let parts: Vec<&str> = path.split('.').collect();
    walk(v, &parts)
}

/// The JSON-path pattern of a pointer: `/record/plans/0/targets` is `record.plans[].targets`.
fn pattern(pointer: &[String]) -> String {
    let mut out = String::new();
    for part in pointer {
        if part.parse::<usize>().is_ok() {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// The label of a field.
fn label(key: &str) -> String {
    match key {
        "upn" => "UPN".into(),
        "former_upn" => "Former UPN".into(),
        "eal" => "English as an additional language".into(),
        "fsm" => "Free school meals".into(),
        "sha256" => "SHA-256".into(),
        "urn" => "URN".into(),
        "la_code" => "Local authority code".into(),
        "id" => "Id in Senco".into(),
        _ => {
            let words = key.replace('_', " ");
            let mut chars = words.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

/// The bundle as a tree that keeps the order of its fields (`serde_json::Value` sorts them),
/// for printing.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
                Ok(Node::Number(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
                Ok(Node::Number(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Node, E> {
                Ok(Node::Number(n.to_string()))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node, E> {
                Ok(Node::Text(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Node, E> {
                Ok(Node::Text(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Node>()? {
                    fields.push((k, v));
                }
                Ok(Node::Map(fields))
            }
        }
        d.deserialize_any(V)
    }
}

impl Node {
    fn get(&self, key: &str) -> &Node {
        match self {
            Node::Map(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&Node::Null, |(_, v)| v),
            _ => &Node::Null,
        }
    }

    /// As text (`None` for nothing to show).
    fn scalar(&self) -> Option<String> {
        match self {
            Node::Null => None,
            Node::Bool(true) => Some("Yes".into()),
            Node::Bool(false) => Some("No".into()),
            Node::Number(n) => Some(n.clone()),
            Node::Text(s) if s.is_empty() => None,
            Node::Text(s) => Some(readable(s)),
            Node::List(items) if self.is_scalar() => {
                let parts: Vec<&str> = items
                    .iter()
                    .filter_map(|i| match i {
                        Node::Text(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            _ => None,
        }
    }

    /// A value, or a list of strings (areas, attendees): one cell.
    fn is_scalar(&self) -> bool {
        match self {
            Node::List(items) => items.iter().all(|i| matches!(i, Node::Text(_))),
            Node::Map(_) => false,
            _ => true,
        }
    }

    /// Compact JSON of a nested object kept as history (a plan as saved, earlier details).
    fn json(&self) -> String {
        match self {
            Node::Null => "null".into(),
            Node::Bool(b) => b.to_string(),
            Node::Number(n) => n.clone(),
            Node::Text(s) => Value::String(s.clone()).to_string(),
            Node::List(items) => {
                let inner: Vec<String> = items.iter().map(Node::json).collect();
                format!("[{}]", inner.join(", "))
            }
            Node::Map(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), v.json()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }
}

/// A code such as `sensory_and_or_physical` with spaces, so it wraps in a table cell;
/// any other text as written.
fn readable(s: &str) -> String {
    let code = s.contains('_')
        && s.split('_').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if code {
        s.replace('_', " ")
    } else {
        s.to_string()
    }
}

/// Fields in print order: the item's own id last (it is for cross-references).
fn ordered(fields: &[(String, Node)]) -> Vec<&(String, Node)> {
    let mut out: Vec<&(String, Node)> = fields.iter().filter(|(k, _)| k != "id").collect();
    out.extend(fields.iter().filter(|(k, _)| k == "id"));
    out
}

/// The most rows of one table in the PDF.
const TABLE_ROWS: usize = 100;

/// What a document's contents are replaced with in the PDF.
const FILE_NOTE: &str = "The file itself is in the JSON bundle (base64, checked by its SHA-256); download it from Senco to print it.";

struct Printer<'a> {
    flags: BTreeMap<String, Vec<&'a Flag>>,
    blocks: Vec<Block>,
}

/// Scalar fields as labelled values; nested objects flattened under their label.
fn pairs(prefix: &str, fields: &[(String, Node)], out: &mut Vec<(String, String)>) {
    let is_file = fields.iter().any(|(k, _)| k == "sha256");
    for (k, v) in ordered(fields) {
        let name = if prefix.is_empty() {
            label(k)
        } else {
            format!("{prefix}: {}", label(k).to_lowercase())
        };
        match v {
            Node::Text(_) if k == "data" && prefix.is_empty() && is_file => {
                out.push((name, FILE_NOTE.into()));
            }
            Node::Map(_) if k == "data" || k == "details" => out.push((name, v.json())),
            Node::Map(inner) => pairs(&name, inner, out),
            v if v.is_scalar() => {
                if let Some(s) = v.scalar() {
                    out.push((name, s));
                }
            }
            _ => {}
        }
    }
}

impl Printer<'_> {
    fn markers(&self, pointer: &[String]) -> Option<String> {
        let flags = self.flags.get(&format!("/{}", pointer.join("/")))?;
        let parts: Vec<String> = flags
            .iter()
            .map(|f| {
                let review = if f.kind == Review::Health.as_str() {
                    Review::Health
                } else {
                    Review::ThirdParty
                };
                format!("{} {}", review.marker(), f.reason)
            })
            .collect();
        Some(parts.join(" "))
    }

    /// A list at `pointer`: a table when its items are flat, otherwise item by item.
    fn list(&mut self, pointer: &mut Vec<String>, items: &[Node], title: &str) {
        if items.is_empty() {
            self.blocks
                .push(Block::Paragraph(format!("{title}: none held.")));
            return;
        }
        let flat = items.iter().all(|i| match i {
            Node::Map(fields) => {
                fields.len() <= 9 && fields.iter().all(|(k, v)| v.is_scalar() && k != "data")
            }
            _ => false,
        });
        if flat {
            let keys: Vec<String> = match &items[0] {
                Node::Map(fields) => ordered(fields).iter().map(|(k, _)| k.clone()).collect(),
                _ => Vec::new(),
            };
            let mut flagged = false;
            let mut rows = Vec::new();
            for (i, item) in items.iter().enumerate() {
                pointer.push(i.to_string());
                let mut row: Vec<String> = keys
                    .iter()
                    .map(|k| item.get(k).scalar().unwrap_or_default())
                    .collect();
                let m = self.markers(pointer);
                flagged |= m.is_some();
                row.push(m.unwrap_or_default());
                pointer.pop();
                rows.push(row);
            }
            let mut header: Vec<String> = keys.iter().map(|k| label(k)).collect();
            if flagged {
                header.push("Review".into());
            } else {
                rows.iter_mut().for_each(|r| {
                    r.pop();
                });
            }
            // Long lists print as tables of at most TABLE_ROWS rows each: typst lays a long
            // table out far more slowly than the same rows in parts.
            let total = rows.len();
            if total <= TABLE_ROWS {
                self.blocks.push(Block::Table {
                    caption: format!("{title} ({total})"),
                    header,
                    rows,
                });
                return;
            }
            for (n, part) in rows.chunks(TABLE_ROWS).enumerate() {
                let first = n * TABLE_ROWS + 1;
                self.blocks.push(Block::Table {
                    caption: format!("{title} ({first} to {} of {total})", first + part.len() - 1),
                    header: header.clone(),
                    rows: part.to_vec(),
                });
            }
            return;
        }
        let total = items.len();
        for (i, item) in items.iter().enumerate() {
            pointer.push(i.to_string());
            self.blocks
                .push(Block::Subheading(format!("{title}: {} of {total}", i + 1)));
            self.item(pointer, item);
            pointer.pop();
        }
    }

    /// One item at `pointer`: its flags, its fields, then its nested lists.
    fn item(&mut self, pointer: &mut Vec<String>, v: &Node) {
        if let Some(m) = self.markers(pointer) {
            self.blocks.push(Block::Paragraph(m));
        }
        let Node::Map(fields) = v else {
            if let Some(s) = v.scalar() {
                self.blocks.push(Block::Paragraph(s));
            }
            return;
        };
        let mut kv = Vec::new();
        pairs("", fields, &mut kv);
        self.blocks.push(Block::KeyValues(kv));
        for (k, inner) in fields {
            if let Node::List(items) = inner {
                if inner.is_scalar() {
                    continue;
                }
                pointer.push(k.clone());
                let title = section_title(&pattern(pointer)).unwrap_or_else(|| label(k));
                self.list(pointer, items, &title);
                pointer.pop();
            }
        }
    }
}

/// The PDF heading of a path pattern (`record.plans[].targets`), from [`TABLES`].
fn section_title(pattern: &str) -> Option<String> {
    TABLES
        .iter()
        .find(|(_, path, _)| path.trim_end_matches("[]") == pattern)
        .map(|(_, _, title)| (*title).to_string())
}

/// The sections of the PDF, in order: the path of each part of the bundle.
const SECTIONS: &[&str] = &[
    "record.pupil",
    "current_stage",
    "pupil_versions",
    "enrolments",
    "contacts",
    "teaching_assignments",
    "record.stage_history",
    "parent_notifications",
    "record.needs",
    "record.concerns",
    "record.statutory_processes",
    "record.plans",
    "record.reviews",
    "record.provision",
    "record.specialists",
    "record.documents",
    "authority_shares",
    "access_log",
];

/// A stored `YYYY-MM-DD` date in `m`'s words (as stored when it is not a date).
fn long_date(m: &senco_i18n::Messages, s: &str) -> String {
    senco_store::parse_ds(s)
        .map(|d| m.long_date(d))
        .unwrap_or_else(|_| s.to_string())
}

/// The PDF of a bundle: a cover page with the pupil, the request and the deadlines, then
/// one section per kind of record, every flagged item marked.
pub fn document(b: &Bundle, today: Date) -> Result<Document, serde_json::Error> {
    let v: Node = serde_json::from_slice(&serde_json::to_vec(b)?)?;
    let p = &b.record.pupil;
    // The bundle goes to the family: in the language the pupil's parents have letters in.
    let language = Lang::parse(&p.correspondence_language).unwrap_or_default();
    let m = senco_i18n::messages(language);
    let long_date = |s: &str| long_date(m, s);
    let name = match (&p.preferred_forename, &p.preferred_surname) {
        (None, None) => format!("{} {}", p.legal_forename, p.legal_surname),
        (f, s) => format!(
            "{} {} ({} {})",
            f.as_deref().unwrap_or(&p.legal_forename),
            s.as_deref().unwrap_or(&p.legal_surname),
            p.legal_forename,
            p.legal_surname
        ),
    };
    let d = &b.request.deadlines;
    let health = b.review.iter().filter(|f| f.kind == "health").count();
    let third = b.review.len() - health;
    let mut blocks = vec![
        Block::KeyValues(vec![
            ("Pupil".into(), name.clone()),
            ("Date of birth".into(), long_date(&p.date_of_birth)),
            ("UPN".into(), p.upn.clone().unwrap_or_default()),
            (
                "School".into(),
                format!("{} (URN {})", b.school.name, b.school.urn),
            ),
            (
                "Request from".into(),
                b.request
                    .requested_by
                    .clone()
                    .unwrap_or_else(|| "Not recorded".into()),
            ),
            (
                "Request received".into(),
                long_date(&b.request.received_on),
            ),
            (
                "Prepared by".into(),
                match &b.prepared_by.role {
                    Some(role) => format!("{} ({role})", b.prepared_by.name),
                    None => b.prepared_by.name.clone(),
                },
            ),
            ("Prepared at (UTC)".into(), b.generated_at.clone()),
        ]),
        Block::Paragraph(format!(
            "Everything Senco holds about {name}. The JSON file of the same bundle also holds \
             the files of specialists' reports."
        )),
        Block::Heading("Deadlines, for information".into()),
        Block::KeyValues(vec![
            (
                "Subject access request".into(),
                format!("{} (one calendar month)", long_date(&d.subject_access)),
            ),
            (
                "If complex, extended".into(),
                format!(
                    "{} (two months more: tell the requester within the first month)",
                    long_date(&d.subject_access_extended)
                ),
            ),
            (
                "Educational record".into(),
                match &d.educational_record {
                    Some(day) if d.educational_record_estimated => format!(
                        "{} (15 school days, estimated past the school's known term dates)",
                        long_date(day)
                    ),
                    Some(day) => format!("{} (15 school days)", long_date(day)),
                    None => "Does not apply: the school is not maintained, so a subject access request applies instead".into(),
                },
            ),
        ]),
        Block::Paragraph(
            "For information: the ICO gives one calendar month for a subject access request \
             (school holidays do not stop the clock); a maintained school gives a parent access \
             to the educational record within 15 school days (The Education (Pupil \
             Information) (England) Regulations 2005, regulation 5). Health information has \
             exemptions of its own, such as the serious-harm test."
                .into(),
        ),
        Block::Heading("Before it leaves the school".into()),
        Block::Paragraph(format!(
            "Nothing has been redacted. {} marks other people's information (notes by or about \
             others, reports from outside agencies, other people's contact details): {third} \
             items. {} marks health information: {health} items.",
            Review::ThirdParty.marker(),
            Review::Health.marker()
        )),
        Block::PageBreak,
    ];
    let mut printer = Printer {
        flags: BTreeMap::new(),
        blocks: Vec::new(),
    };
    for f in &b.review {
        printer.flags.entry(f.item.clone()).or_default().push(f);
    }
    for path in SECTIONS {
        let title = section_title(path).unwrap_or_else(|| label(path));
        printer.blocks.push(Block::Heading(title.clone()));
        let mut pointer: Vec<String> = path.split('.').map(str::to_string).collect();
        let mut at = &v;
        for part in &pointer {
            at = at.get(part);
        }
        match at {
            Node::List(items) => printer.list(&mut pointer, items, &title),
            Node::Null => printer
                .blocks
                .push(Block::Paragraph(format!("{title}: none held."))),
            other => printer.item(&mut pointer, other),
        }
    }
    blocks.append(&mut printer.blocks);
    Ok(Document {
        title: "Subject access bundle".into(),
        subtitle: Some(name),
        school: b.school.name.clone(),
        date: today,
        large_print: false,
        language,
        blocks,
    })
}

/// The PDF of a bundle, rendered off the async runtime.
pub async fn pdf(b: &Bundle, today: Date) -> anyhow::Result<Vec<u8>> {
    let doc = document(b, today)?;
    let pdf = tokio::task::spawn_blocking(move || senco_documents::render(&doc))
        .await
        .map_err(|e| anyhow::anyhow!("rendering failed: {e}"))??;
    Ok(pdf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_count_rows_through_nested_lists() {
        let v = json!({"record": {"pupil": {"upn": null}, "plans": [
            {"targets": [1, 2], "versions": []}, {"targets": [3], "versions": [1]}]},
            "current_stage": null, "contacts": []});
        assert_eq!(count_at(&v, "record.pupil"), 1);
        assert_eq!(count_at(&v, "record.plans[]"), 2);
        assert_eq!(count_at(&v, "record.plans[].targets[]"), 3);
        assert_eq!(count_at(&v, "record.plans[].versions[]"), 1);
        assert_eq!(count_at(&v, "current_stage"), 0);
        assert_eq!(count_at(&v, "contacts[]"), 0);
        assert_eq!(
            pattern(&[
                "record".into(),
                "plans".into(),
                "0".into(),
                "targets".into()
            ]),
            "record.plans[].targets"
        );
        assert_eq!(
            section_title("record.plans[].targets").as_deref(),
            Some("Targets")
        );
    }

    #[test]
    fn every_section_and_table_has_a_title_and_no_table_is_listed_twice() {
        for path in SECTIONS {
            assert!(section_title(path).is_some(), "{path}");
        }
        for (i, (table, _, _)) in TABLES.iter().enumerate() {
            assert!(!TABLES[i + 1..].iter().any(|t| t.0 == *table), "{table}");
            assert!(!EXEMPT.iter().any(|e| e.0 == *table), "{table}");
        }
        assert_eq!(label("legal_forename"), "Legal forename");
        assert_eq!(label("upn"), "UPN");
        assert_eq!(
            readable("sensory_and_or_physical"),
            "sensory and or physical"
        );
        assert_eq!(readable("Pat_Parent"), "Pat_Parent");
        assert_eq!(readable("a__b"), "a__b");
    }
}
