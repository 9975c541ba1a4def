//! The portable full record: everything about one child's SEN history, as one JSON file
//! (`"format": "senco-record"`, `"version": 1`), documented in `docs/record.md` with a
//! JSON Schema in `docs/record.schema.json`.
//!
//! These serde types are the format: they are never the store's structs, so the file
//! changes only on purpose. Parsing is strict (unknown fields are refused, the size is
//! capped, the format and version are checked first, with their own messages); the values
//! inside (dates, codes, references) are checked by whoever imports the record. Records
//! refer to each other by the `id` they carry in the file (the exporting system's ids),
//! never by position, so references survive reordering.
//!
//! Pure: no I/O, no clock.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// The value of `format`.
pub const FORMAT: &str = "senco-record";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;
/// The largest file accepted (reports are inside, base64-encoded).
pub const MAX_BYTES: usize = 200 * 1024 * 1024;

/// Why a file is not a record this version can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the file is {size} bytes, more than the {max} bytes a record may have")]
    TooLarge { size: usize, max: usize },
    #[error(
        "the file is not a Senco record (its \"format\" is {found:?}, expected \"senco-record\")"
    )]
    NotARecord { found: Option<String> },
    #[error(
        "the record is version {found}, which this Senco cannot read (it reads version {VERSION}): update Senco"
    )]
    UnsupportedVersion { found: u64 },
    #[error("the file is not valid JSON or does not follow the record format: {0}")]
    Malformed(String),
    #[error("document {id}: its contents are not valid base64")]
    Base64 { id: String },
}

/// A pupil's whole SEN record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Always `senco-record`.
    pub format: String,
    /// Always 1 for this layout.
    pub version: u32,
    /// When the file was written (UTC, RFC 3339).
    pub exported_at: String,
    /// The school the record comes from.
    pub source_school: SourceSchool,
    /// Who the child is.
    pub pupil: PupilDetails,
    /// Every stage entry in recording order, corrections included.
    pub stage_history: Vec<StageEntry>,
    /// Ranked needs, open and ended.
    pub needs: Vec<NeedEntry>,
    /// Concerns raised, newest first.
    pub concerns: Vec<ConcernEntry>,
    /// Statutory assessment requests and ALN decisions, newest first.
    pub statutory_processes: Vec<ProcessEntry>,
    /// Every plan, newest first.
    pub plans: Vec<PlanEntry>,
    /// Every review of every plan.
    pub reviews: Vec<ReviewEntry>,
    /// Every allocation to provision, newest first.
    pub provision: Vec<AllocationEntry>,
    /// Specialists consulted.
    pub specialists: Vec<InvolvementEntry>,
    /// Specialists' reports, with their contents.
    pub documents: Vec<DocumentEntry>,
}

/// The school the record comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSchool {
    /// The school's unique reference number.
    pub urn: String,
    /// The name.
    pub name: String,
    /// The local authority's three-digit code.
    pub la_code: String,
}

/// Who the child is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PupilDetails {
    /// Unique pupil number.
    pub upn: Option<String>,
    /// An earlier UPN.
    pub former_upn: Option<String>,
    /// Legal first name.
    pub legal_forename: String,
    /// Legal surname.
    pub legal_surname: String,
    /// The first name the child uses, if different.
    pub preferred_forename: Option<String>,
    /// The surname the child uses, if different.
    pub preferred_surname: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// `F` or `M`.
    pub sex: String,
    /// Looked after by the local authority.
    pub looked_after: bool,
    /// English as an additional language.
    pub eal: bool,
    /// Eligible for free school meals.
    pub fsm: bool,
    /// `english` or `welsh`.
    pub correspondence_language: String,
}

/// One entry of the stage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The framework key.
    pub framework: String,
    /// The stage key within the framework.
    pub stage: String,
    /// The first day the stage applies.
    pub effective_on: String,
    /// Why.
    pub reason: String,
    /// Who the decision was made with.
    pub decided_with: Option<String>,
    /// Specialists consulted.
    pub specialists: Option<String>,
    /// The `id` of the earlier entry this one corrects.
    pub supersedes: Option<String>,
    /// Whether the entry was itself imported (from another school or system).
    pub imported: bool,
    /// When it was recorded.
    pub recorded_at: String,
    /// When and how parents were told, if recorded.
    pub parents_told: Option<ParentsTold>,
}

/// When and how parents were told of a stage change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentsTold {
    /// The day.
    pub on: String,
    /// `meeting`, `letter`, `phone` or `email`.
    pub method: String,
}

/// A ranked need (primary = 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The census need code.
    pub code: String,
    /// 1 for the primary need, then 2, 3, ...
    pub rank: i64,
    /// The first day.
    pub starts_on: String,
    /// The last day, if ended.
    pub ends_on: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
}

/// A concern raised about the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcernEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The name of who raised it.
    pub raised_by: String,
    /// The day it was raised.
    pub raised_on: String,
    /// The framework key.
    pub framework: String,
    /// Area-of-need keys.
    pub areas: Vec<String>,
    /// Details given.
    pub details: Option<String>,
    /// Trigger ids of the framework.
    pub triggers: Vec<String>,
    /// What had been tried.
    pub tried: String,
    /// What happened.
    pub result: String,
    /// `awaiting_triage`, `monitoring`, `placed` or `closed`.
    pub status: String,
    /// Why it was decided so.
    pub outcome_reason: Option<String>,
    /// The `id` of the stage entry the concern led to.
    pub stage_change: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
}

/// A statutory process (assessment request, ALN decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// `statutory_assessment` or `aln_decision`.
    pub kind: String,
    /// When it started.
    pub started_on: String,
    /// When it was decided.
    pub decided_on: Option<String>,
    /// The outcome.
    pub outcome: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
}

/// A plan (IEP, SEN support plan, IDP) as it stands, with every saved version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The `id` of the plan this one follows.
    pub previous_plan: Option<String>,
    /// The framework key.
    pub framework: String,
    /// The stage key within the framework.
    pub stage: String,
    /// `draft`, `agreed_with_parents`, `active`, `under_review` or `closed`.
    pub status: String,
    /// The first day.
    pub starts_on: String,
    /// When it is to be reviewed.
    pub review_on: String,
    /// The nature of the child's difficulties.
    pub nature: String,
    /// Help at home.
    pub help_at_home: String,
    /// Pastoral care.
    pub pastoral: String,
    /// The child's views.
    pub pupil_views: String,
    /// The parents' views.
    pub parent_views: String,
    /// Who was consulted.
    pub consulted: String,
    /// When the parents agreed it.
    pub agreed_on: Option<String>,
    /// How they agreed it.
    pub agreed_how: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it was last changed.
    pub updated_at: String,
    /// The targets.
    pub targets: Vec<TargetEntry>,
    /// Every allocation to provision, newest first.
    pub provision: Vec<PlanProvisionEntry>,
    /// Every saved version, newest first.
    pub versions: Vec<PlanVersionEntry>,
    /// Parents' (and the child's) own words before a review, newest first.
    pub contributions: Vec<ContributionEntry>,
}

/// A target of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The area of need.
    pub area: Option<String>,
    /// The target.
    pub target: String,
    /// The strategies to reach it.
    pub strategies: String,
    /// How success is known.
    pub success_criteria: String,
    /// When it should be met.
    pub by_when: Option<String>,
    /// The `id` of the target of an earlier plan this one carries forward.
    pub carried_from: Option<String>,
}

/// A line of a plan's provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanProvisionEntry {
    /// What the help is.
    pub what: String,
    /// Who gives it.
    pub who: String,
    /// How often.
    pub how_often: String,
    /// Children in the group.
    pub group_size: Option<i64>,
    /// The first day.
    pub from_on: Option<String>,
    /// The last day.
    pub to_on: Option<String>,
}

/// A saved version of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanVersionEntry {
    /// The version number (1, 2, ...).
    pub version: i64,
    /// What changed in this version.
    pub changed_fields: String,
    /// The name of who saved it.
    pub changed_by: Option<String>,
    /// When it was saved.
    pub changed_at: String,
    /// The plan as saved then (its fields, targets and provision), kept as the exporting
    /// system wrote it: history to read, not interpreted on import.
    pub data: serde_json::Value,
}

/// A parent's contribution before a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributionEntry {
    /// The name of the parent who wrote it.
    pub author: String,
    /// The parents' views.
    pub parent_views: String,
    /// The child's views, as the parent gives them.
    pub child_views: String,
    /// When it was sent.
    pub submitted_at: String,
}

/// A review of a plan, with the outcome of each target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The `id` of the plan reviewed.
    pub plan: String,
    /// The day of the review.
    pub held_on: String,
    /// Who was invited.
    pub invited: String,
    /// Who came.
    pub attended: String,
    /// When a copy was sent to the parents.
    pub copy_sent_on: Option<String>,
    /// Progress made.
    pub progress: String,
    /// The parents' views.
    pub parent_views: String,
    /// The child's views.
    pub pupil_views: String,
    /// `continue_same_stage`, `move_up`, `move_down`, `off_register` or
    /// `request_statutory_assessment`.
    pub decision: String,
    /// The `id` of the stage entry the decision recorded.
    pub stage_change: Option<String>,
    /// The `id` of the plan drafted from the review.
    pub next_plan: Option<String>,
    /// The outcome of each target reviewed.
    pub outcomes: Vec<OutcomeEntry>,
}

/// The outcome of one target at a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeEntry {
    /// The `id` of the target.
    pub target: String,
    /// `achieved`, `partly_achieved`, `not_achieved` or `no_longer_relevant`.
    pub outcome: String,
    /// The evidence for the outcome.
    pub evidence: String,
}

/// An allocation of the child to a provision, with its measures and delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// Every allocation to provision, newest first.
    pub provision: ProvisionDescription,
    /// The first day.
    pub from_on: String,
    /// The last day.
    pub to_on: String,
    /// Sessions a week.
    pub sessions_per_week: i64,
    /// The `id`s of the plan targets it works towards.
    pub targets: Vec<String>,
    /// What progress is measured by.
    pub measure: Option<MeasureEntry>,
    /// The measure on entry.
    pub entry: Option<MeasureValue>,
    /// The measure on exit.
    pub exit: Option<MeasureValue>,
    /// Every recorded session, by date.
    pub sessions: Vec<SessionEntry>,
}

/// The catalogue entry an allocation was to, as the exporting school described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionDescription {
    /// The name.
    pub name: String,
    /// `small_group`, `one_to_one`, `equipment`, `teaching_programme`,
    /// `specialist_teaching` or `therapy`.
    pub kind: String,
    /// The area of need.
    pub area: String,
    /// A description.
    pub description: String,
    /// The role of who runs it.
    pub staff_role: String,
    /// Children in the group.
    pub group_size: i64,
    /// Sessions a week.
    pub sessions_per_week: i64,
    /// Minutes a session.
    pub minutes_per_session: i64,
    /// `staff_time`, `per_item` or `per_term`.
    pub cost_basis: String,
    /// The cost in pence on its cost basis.
    pub cost_pence: i64,
    /// The expected gain from entry to exit, in thousandths of the measure's unit.
    pub expected_gain_milli: Option<i64>,
}

/// What an allocation is measured by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureEntry {
    /// The name.
    pub name: String,
    /// `months`, `standardised_score`, `words_per_minute` or `school_scale`.
    pub unit: String,
}

/// A measurement, in thousandths of the unit (so 92.5 is 92500), and its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureValue {
    /// The value in thousandths of the unit.
    pub value_milli: i64,
    /// The day.
    pub on: String,
}

/// A recorded session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionEntry {
    /// The day.
    pub on: String,
    /// Minutes given.
    pub minutes: i64,
    /// `delivered`, `pupil_absent` or `cancelled`.
    pub status: String,
    /// Why.
    pub reason: Option<String>,
    /// The name of who recorded it.
    pub recorded_by: Option<String>,
}

/// A specialist's involvement with the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvolvementEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The agency, if one was named.
    pub agency: Option<AgencyEntry>,
    /// The agency's person, if one was named.
    pub person: Option<PersonEntry>,
    /// The name of the specialist's Senco account at the exporting school, if any.
    pub specialist_name: Option<String>,
    /// `requested`, `accepted`, `active` or `closed`.
    pub status: String,
    /// The day of the referral.
    pub referral_on: Option<String>,
    /// Why.
    pub reason: String,
    /// When the parents consented.
    pub consent_on: Option<String>,
    /// Who consented.
    pub consent_by: Option<String>,
    /// When consent was withdrawn.
    pub consent_withdrawn_on: Option<String>,
    /// When the involvement closed.
    pub closed_on: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// Notes.
    pub notes: Vec<NoteEntry>,
}

/// An outside agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyEntry {
    /// The name.
    pub name: String,
    /// `educational_psychology`, `speech_and_language_therapy`, ... (see docs/record.md).
    pub kind: String,
    /// Email address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
}

/// A person of an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEntry {
    /// The name.
    pub name: String,
    /// Their role.
    pub role: String,
    /// Email address.
    pub email: Option<String>,
}

/// A note of an involvement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteEntry {
    /// `visit`, `assessment`, `advice` or `recommendation`.
    pub kind: String,
    /// The day.
    pub on: String,
    /// What the note says.
    pub body: String,
    /// The name of who wrote it.
    pub author: Option<String>,
    /// The `id` of the plan target a recommendation became a strategy of.
    pub strategy_target: Option<String>,
}

/// An uploaded report, with its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentEntry {
    /// The record's id in this file (see Rules).
    pub id: String,
    /// The `id` of the involvement it belongs to.
    pub involvement: String,
    /// The report's title.
    pub title: String,
    /// The file name as uploaded.
    pub file_name: String,
    /// `pdf`, `docx`, `png` or `jpeg`.
    pub kind: String,
    /// The SHA-256 of the contents, lower-case hex.
    pub sha256: String,
    /// Whether the school shared it with the parents.
    pub shared_with_parents: bool,
    /// The name of who uploaded it.
    pub uploaded_by: Option<String>,
    /// When it was uploaded.
    pub uploaded_at: String,
    /// The contents, base64 (standard alphabet, padded).
    pub data: String,
}

impl DocumentEntry {
    /// Encodes a report's contents for [`DocumentEntry::data`].
    pub fn encode(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The report's contents.
    pub fn bytes(&self) -> Result<Vec<u8>, RecordError> {
        base64::engine::general_purpose::STANDARD
            .decode(self.data.as_bytes())
            .map_err(|_| RecordError::Base64 {
                id: self.id.clone(),
            })
    }
}

/// Just enough to say what a file claims to be before reading the rest.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// Reads a record: the size cap, then the format and version (so that a file from a newer
/// Senco says so, whatever else differs), then the whole, strictly.
pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
    if bytes.len() > MAX_BYTES {
        return Err(RecordError::TooLarge {
            size: bytes.len(),
            max: MAX_BYTES,
        });
    }
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| RecordError::Malformed(e.to_string()))?;
    let format = header
        .format
        .as_ref()
        .and_then(|v| v.as_str())
        .map(str::to_string);
    if format.as_deref() != Some(FORMAT) {
        return Err(RecordError::NotARecord { found: format });
    }
    match header.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(found) => return Err(RecordError::UnsupportedVersion { found }),
        None => {
            return Err(RecordError::Malformed(
                "\"version\" must be a whole number".into(),
            ));
        }
    }
    serde_json::from_slice(bytes).map_err(|e| RecordError::Malformed(e.to_string()))
}

/// Writes a record as indented JSON.
pub fn to_json(record: &Record) -> Result<Vec<u8>, RecordError> {
    let mut out =
        serde_json::to_vec_pretty(record).map_err(|e| RecordError::Malformed(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// Where a written record and a JSON Schema of this format disagree: a key the schema does
/// not describe at its place, an object that does not refuse unknown keys, or a key always
/// written that the schema does not require. Empty when the schema covers the record.
/// (A light structural check, not a full validator; `$ref` to `#/$defs/...` and `anyOf`
/// with `null` are followed.)
pub fn schema_gaps(schema: &serde_json::Value, record: &serde_json::Value) -> Vec<String> {
    let mut gaps = Vec::new();
    gaps_at(schema, schema, record, "$", &mut gaps);
    gaps
}

fn resolve<'a>(root: &'a serde_json::Value, s: &'a serde_json::Value) -> &'a serde_json::Value {
    if let Some(r) = s.get("$ref").and_then(|r| r.as_str()) {
        return &root["$defs"][r.trim_start_matches("#/$defs/")];
    }
    let other = s
        .get("anyOf")
        .and_then(|a| a.as_array())
        .and_then(|options| {
            options
                .iter()
                .find(|o| o.get("type") != Some(&"null".into()))
        });
    match other {
        Some(o) => resolve(root, o),
        None => s,
    }
}

fn gaps_at(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    path: &str,
    gaps: &mut Vec<String>,
) {
    let schema = resolve(root, schema);
    match value {
        serde_json::Value::Object(map) => {
            let Some(props) = schema.get("properties") else {
                // An opaque object (a plan version's data).
                return;
            };
            if schema.get("additionalProperties") != Some(&serde_json::Value::Bool(false)) {
                gaps.push(format!("{path}: unknown keys are not refused"));
            }
            let required = schema.get("required").and_then(|r| r.as_array());
            for (k, v) in map {
                match props.get(k) {
                    Some(s) => gaps_at(root, s, v, &format!("{path}.{k}"), gaps),
                    None => gaps.push(format!("{path}.{k}: not described")),
                }
                if !required.is_some_and(|r| r.iter().any(|x| x == k)) {
                    gaps.push(format!("{path}.{k}: always written but not required"));
                }
            }
        }
        serde_json::Value::Array(items) => {
            let item = schema.get("items").unwrap_or(&serde_json::Value::Null);
            for (i, v) in items.iter().enumerate() {
                gaps_at(root, item, v, &format!("{path}[{i}]"), gaps);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {

    /// A number in a record (a plan's snapshot holds free JSON) is read back exactly as it
    /// was written: the fuzz target found 3.7777777777777777e77 read one unit off without
    /// serde_json's `float_roundtrip`.
    #[test]
    fn numbers_round_trip_exactly() {
        for text in [
            "3.7777777777777777e77",
            "0.1",
            "2.2250738585072014e-308",
            "1e300",
        ] {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            let again: serde_json::Value =
                serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(again, v, "{text}");
        }
    }
    use super::*;

    /// A record with one of everything.
    pub(crate) fn sample() -> Record {
        Record {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: "2026-03-01T09:00:00.000000Z".into(),
            source_school: SourceSchool {
                urn: "100001".into(),
                name: "Oak Primary".into(),
                la_code: "201".into(),
            },
            pupil: PupilDetails {
                upn: Some("A201000100012".into()),
                former_upn: None,
                legal_forename: "Ada".into(),
                legal_surname: "Lovelace".into(),
                preferred_forename: Some("Addie".into()),
                preferred_surname: None,
                date_of_birth: "2016-05-04".into(),
                sex: "F".into(),
                looked_after: false,
                eal: true,
                fsm: false,
                correspondence_language: "english".into(),
            },
            stage_history: vec![StageEntry {
                id: "s1".into(),
                framework: "england_2014".into(),
                stage: "sen_support".into(),
                effective_on: "2025-09-10".into(),
                reason: "Reading".into(),
                decided_with: Some("Parents".into()),
                specialists: None,
                supersedes: None,
                imported: false,
                recorded_at: "2025-09-10T10:00:00.000000Z".into(),
                parents_told: Some(ParentsTold {
                    on: "2025-09-11".into(),
                    method: "letter".into(),
                }),
            }],
            needs: vec![NeedEntry {
                id: "n1".into(),
                code: "SPLD".into(),
                rank: 1,
                starts_on: "2025-09-10".into(),
                ends_on: None,
                recorded_at: "2025-09-10T10:00:00.000000Z".into(),
            }],
            concerns: vec![ConcernEntry {
                id: "c1".into(),
                raised_by: "Ms Teacher".into(),
                raised_on: "2025-09-01".into(),
                framework: "england_2014".into(),
                areas: vec!["cognition_learning".into()],
                details: None,
                triggers: vec![],
                tried: "Phonics".into(),
                result: "Little progress".into(),
                status: "placed".into(),
                outcome_reason: None,
                stage_change: Some("s1".into()),
                recorded_at: "2025-09-01T10:00:00.000000Z".into(),
            }],
            statutory_processes: vec![],
            plans: vec![PlanEntry {
                id: "p1".into(),
                previous_plan: None,
                framework: "england_2014".into(),
                stage: "sen_support".into(),
                status: "active".into(),
                starts_on: "2025-09-15".into(),
                review_on: "2025-12-15".into(),
                nature: String::new(),
                help_at_home: String::new(),
                pastoral: String::new(),
                pupil_views: String::new(),
                parent_views: String::new(),
                consulted: String::new(),
                agreed_on: None,
                agreed_how: None,
                created_at: "2025-09-15T10:00:00.000000Z".into(),
                updated_at: "2025-09-15T10:00:00.000000Z".into(),
                targets: vec![TargetEntry {
                    id: "t1".into(),
                    area: None,
                    target: "Read 20 words".into(),
                    strategies: "Flash cards".into(),
                    success_criteria: "20 of 20".into(),
                    by_when: None,
                    carried_from: None,
                }],
                provision: vec![],
                versions: vec![PlanVersionEntry {
                    version: 1,
                    changed_fields: "created".into(),
                    changed_by: None,
                    changed_at: "2025-09-15T10:00:00.000000Z".into(),
                    data: serde_json::json!({"status": "active"}),
                }],
                contributions: vec![],
            }],
            reviews: vec![],
            provision: vec![],
            specialists: vec![],
            documents: vec![DocumentEntry {
                id: "d1".into(),
                involvement: "i1".into(),
                title: "Report".into(),
                file_name: "report.pdf".into(),
                kind: "pdf".into(),
                sha256: "00".into(),
                shared_with_parents: false,
                uploaded_by: None,
                uploaded_at: "2025-10-01T10:00:00.000000Z".into(),
                data: DocumentEntry::encode(b"%PDF-1.7 \x00\xff"),
            }],
        }
    }

    #[test]
    fn a_record_survives_writing_and_reading() {
        let r = sample();
        let bytes = to_json(&r).unwrap();
        assert_eq!(parse(&bytes).unwrap(), r);
        assert_eq!(r.documents[0].bytes().unwrap(), b"%PDF-1.7 \x00\xff");
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["pupil"]["nickname"] = "Ada".into();
        let e = parse(v.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(&e, RecordError::Malformed(m) if m.contains("nickname")),
            "{e}"
        );
        let mut v = serde_json::to_value(sample()).unwrap();
        v["extra"] = 1.into();
        assert!(matches!(
            parse(v.to_string().as_bytes()),
            Err(RecordError::Malformed(_))
        ));
    }

    #[test]
    fn another_version_or_format_is_named() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["version"] = 2.into();
        v["new_thing"] = true.into();
        assert_eq!(
            parse(v.to_string().as_bytes()),
            Err(RecordError::UnsupportedVersion { found: 2 })
        );
        let mut v = serde_json::to_value(sample()).unwrap();
        v["format"] = "ctf".into();
        assert_eq!(
            parse(v.to_string().as_bytes()),
            Err(RecordError::NotARecord {
                found: Some("ctf".into())
            })
        );
        assert!(
            parse(b"{}")
                .unwrap_err()
                .to_string()
                .contains("not a Senco record")
        );
    }

    #[test]
    fn a_truncated_file_is_malformed() {
        let bytes = to_json(&sample()).unwrap();
        let e = parse(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(matches!(e, RecordError::Malformed(_)), "{e}");
        assert!(e.to_string().contains("line"), "{e}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused_before_reading() {
        let big = vec![b' '; MAX_BYTES + 1];
        assert_eq!(
            parse(&big),
            Err(RecordError::TooLarge {
                size: MAX_BYTES + 1,
                max: MAX_BYTES
            })
        );
    }

    #[test]
    fn bad_base64_names_the_document() {
        let mut r = sample();
        r.documents[0].data = "not base64!".into();
        assert_eq!(
            r.documents[0].bytes(),
            Err(RecordError::Base64 { id: "d1".into() })
        );
    }

    /// Every key the writer produces is described by the schema in `docs/`, at its place.
    #[test]
    fn the_schema_describes_every_field_written() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/record.schema.json"))
                .expect("docs/record.schema.json is valid JSON");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let value = serde_json::to_value(sample()).unwrap();
        assert_eq!(schema_gaps(&schema, &value), Vec::<String>::new());
    }
}
