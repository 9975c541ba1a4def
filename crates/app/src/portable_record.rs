//! The portable full record (issue 6): a pupil's whole SEN history as a
//! `senco_interop::record::Record`, and such a record continued at another school.
//!
//! [`export`] reads through a [`Scope`] with the module readers of the store, so the
//! subject-access export can call it with the requester's scope. [`import`] checks every
//! value (dates, codes against the dated table, references inside the file) and writes the
//! whole record in the caller's transaction, or reports every problem and writes nothing.
//!
//! On import: ids are new; stage entries are marked imported; plans, their versions,
//! reviews and contributions are kept with their times; an allocation joins the new
//! school's catalogue entry of the same name, or a copy of the old entry added as inactive
//! (retired: kept for the history and its costs, never offered for new allocations);
//! involvements become closed history without a specialist account; reports keep their
//! bytes (checked against their SHA-256). People named in the record who have no account at
//! the new school (who raised a concern, a parent who contributed, authors and recorders)
//! become disabled accounts without a passphrase, so their names stay with what they did.

use std::collections::HashMap;

use senco_domain::Date;
use senco_domain::census::{AreaOfNeed, CodeSettings, need_valid_on, parse_need, provision_code};
use senco_domain::concern::ConcernStatus;
use senco_domain::framework::{ProcessKind, Stage};
use senco_domain::history::{Entry, NewEntry, check_import, in_force};
use senco_domain::person::{CorrespondenceLanguage, Sex};
use senco_domain::role::Role;
use senco_domain::school::FrameworkKey;
use senco_interop::record::{self as fmt, Record};
use senco_store::audit::AuditEvent;
use senco_store::pupils::{PupilFields, Scope};
use senco_store::record::Val;
use senco_store::schools::School;
use senco_store::users::NewUser;
use senco_store::{Store, StoreError, Tx, ds, new_id, parse_ds, parse_ts, ts};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

fn milli(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

fn opt_ds(d: Option<Date>) -> Option<String> {
    d.map(ds)
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A pupil's whole record, read through `scope`. The caller audits the export.
pub async fn export(
    store: &Store,
    scope: &Scope,
    pupil_id: &str,
    now: OffsetDateTime,
    m: &senco_i18n::Messages,
) -> Result<Record, StoreError> {
    let pupil = store.pupil(scope, pupil_id).await?;
    let school = store.school(&pupil.school_id).await?;

    let stage_history = read_stage_history(store, &pupil.id, m).await?;
    let needs = read_needs(store, &pupil.id).await?;
    let concerns = read_concerns(store, &pupil.id).await?;
    let statutory_processes = read_processes(store, &pupil.id, m).await?;
    let (plans, reviews) = read_plans(store, &pupil.id).await?;
    let provision = read_provision(store, scope, &pupil.id).await?;
    let (specialists, involvement_ids) = read_specialists(store, scope, &pupil.id).await?;
    let documents = read_documents(store, &involvement_ids).await?;

    Ok(Record {
        format: fmt::FORMAT.into(),
        version: fmt::VERSION,
        exported_at: ts(now),
        source_school: fmt::SourceSchool {
            urn: school.urn,
            name: school.name,
            la_code: school.la_code,
        },
        pupil: fmt::PupilDetails {
            upn: pupil.upn,
            former_upn: pupil.former_upn,
            legal_forename: pupil.legal_forename,
            legal_surname: pupil.legal_surname,
            preferred_forename: pupil.preferred_forename,
            preferred_surname: pupil.preferred_surname,
            date_of_birth: ds(pupil.date_of_birth),
            sex: pupil.sex.code().into(),
            looked_after: pupil.looked_after,
            eal: pupil.eal,
            fsm: pupil.fsm,
            correspondence_language: pupil.language.as_str().into(),
        },
        stage_history,
        needs,
        concerns,
        statutory_processes,
        plans,
        reviews,
        provision,
        specialists,
        documents,
    })
}

/// The stage history, oldest first.
async fn read_stage_history(
    store: &Store,
    pupil_id: &str,
    m: &senco_i18n::Messages,
) -> Result<Vec<fmt::StageEntry>, StoreError> {
    Ok(store
        .stage_changes(pupil_id)
        .await?
        .into_iter()
        .map(|c| fmt::StageEntry {
            id: c.id,
            framework: c.framework.as_str().into(),
            stage: c.stage.as_str().into(),
            effective_on: ds(c.effective_on),
            reason: m.stage_reason(&c.reason),
            decided_with: c.decided_with,
            specialists: c.specialists,
            supersedes: c.supersedes,
            imported: c.imported,
            recorded_at: ts(c.recorded_at),
            parents_told: c
                .parents_told
                .map(|(on, method)| fmt::ParentsTold { on: ds(on), method }),
        })
        .collect())
}

/// The needs, with the days they applied.
async fn read_needs(store: &Store, pupil_id: &str) -> Result<Vec<fmt::NeedEntry>, StoreError> {
    Ok(store
        .needs(pupil_id)
        .await?
        .into_iter()
        .map(|n| fmt::NeedEntry {
            id: n.id,
            code: n.code,
            rank: n.rank,
            starts_on: ds(n.starts_on),
            ends_on: opt_ds(n.ends_on),
            recorded_at: ts(n.recorded_at),
        })
        .collect())
}

/// The concerns raised about the pupil.
async fn read_concerns(
    store: &Store,
    pupil_id: &str,
) -> Result<Vec<fmt::ConcernEntry>, StoreError> {
    Ok(store
        .concerns_for_pupil(pupil_id)
        .await?
        .into_iter()
        .map(|c| fmt::ConcernEntry {
            id: c.id,
            raised_by: c.raised_by_name,
            raised_on: ds(c.raised_on),
            framework: c.framework.as_str().into(),
            areas: split(&c.areas),
            details: c.details,
            triggers: split(&c.triggers),
            tried: c.tried,
            result: c.result,
            status: c.status.as_str().into(),
            outcome_reason: c.outcome_reason,
            stage_change: c.stage_change_id,
            recorded_at: ts(c.recorded_at),
        })
        .collect())
}

/// The statutory processes.
async fn read_processes(
    store: &Store,
    pupil_id: &str,
    m: &senco_i18n::Messages,
) -> Result<Vec<fmt::ProcessEntry>, StoreError> {
    Ok(store
        .processes(pupil_id)
        .await?
        .into_iter()
        .map(|p| fmt::ProcessEntry {
            id: p.id,
            kind: p.kind.as_str().into(),
            started_on: ds(p.started_on),
            decided_on: opt_ds(p.decided_on),
            outcome: p.outcome,
            notes: p.notes.as_ref().map(|n| m.process_notes(n)),
            recorded_at: ts(p.recorded_at),
        })
        .collect())
}

/// The plans with their versions and parents' contributions, and the reviews of them all.
async fn read_plans(
    store: &Store,
    pupil_id: &str,
) -> Result<(Vec<fmt::PlanEntry>, Vec<fmt::ReviewEntry>), StoreError> {
    let mut plans = Vec::new();
    let mut reviews = Vec::new();
    for summary in store.plans_for_pupil(pupil_id).await? {
        let plan = store.plan(&summary.id).await?;
        let mut versions = Vec::new();
        for v in store.plan_versions(&plan.id).await? {
            versions.push(fmt::PlanVersionEntry {
                version: v.version,
                changed_fields: v.changed_fields,
                changed_by: v.changed_by,
                changed_at: ts(v.changed_at),
                data: serde_json::from_str(&v.data)
                    .map_err(|e| StoreError::Malformed(format!("plan version: {e}")))?,
            });
        }
        let contributions = store
            .contributions(&plan.id)
            .await?
            .into_iter()
            .map(|c| fmt::ContributionEntry {
                author: c.author_name,
                parent_views: c.parent_views,
                child_views: c.child_views,
                submitted_at: ts(c.submitted_at),
            })
            .collect();
        for r in store.reviews(&plan.id).await? {
            reviews.push(fmt::ReviewEntry {
                id: r.id,
                plan: r.plan_id,
                held_on: ds(r.held_on),
                invited: r.invited,
                attended: r.attended,
                copy_sent_on: opt_ds(r.copy_sent_on),
                progress: r.progress,
                parent_views: r.parent_views,
                pupil_views: r.pupil_views,
                decision: r.decision.as_str().into(),
                stage_change: r.stage_change_id,
                next_plan: r.next_plan_id,
                outcomes: r
                    .outcomes
                    .into_iter()
                    .map(|(target, outcome, evidence)| fmt::OutcomeEntry {
                        target,
                        outcome,
                        evidence,
                    })
                    .collect(),
            });
        }
        let f = plan.fields;
        plans.push(fmt::PlanEntry {
            id: plan.id,
            previous_plan: plan.previous_plan_id,
            framework: f.framework.as_str().into(),
            stage: f.stage.as_str().into(),
            status: f.status.as_str().into(),
            starts_on: ds(f.starts_on),
            review_on: ds(f.review_on),
            nature: f.nature,
            help_at_home: f.help_at_home,
            pastoral: f.pastoral,
            pupil_views: f.pupil_views,
            parent_views: f.parent_views,
            consulted: f.consulted,
            agreed_on: opt_ds(f.agreed_on),
            agreed_how: f.agreed_how,
            created_at: ts(plan.created_at),
            updated_at: ts(plan.updated_at),
            targets: f
                .targets
                .into_iter()
                .map(|t| fmt::TargetEntry {
                    id: t.id,
                    area: t.area,
                    target: t.target,
                    strategies: t.strategies,
                    success_criteria: t.success_criteria,
                    by_when: opt_ds(t.by_when),
                    carried_from: t.carried_from,
                })
                .collect(),
            provision: f
                .provision
                .into_iter()
                .map(|p| fmt::PlanProvisionEntry {
                    what: p.what,
                    who: p.who,
                    how_often: p.how_often,
                    group_size: p.group_size,
                    from_on: opt_ds(p.from_on),
                    to_on: opt_ds(p.to_on),
                })
                .collect(),
            versions,
            contributions,
        });
    }
    Ok((plans, reviews))
}

/// The provision allocated, each with the catalogue entry it came from and its sessions.
async fn read_provision(
    store: &Store,
    scope: &Scope,
    pupil_id: &str,
) -> Result<Vec<fmt::AllocationEntry>, StoreError> {
    let allocations = store
        .allocations(
            scope,
            senco_store::provision::AllocationsOf::Pupil(pupil_id),
        )
        .await?;
    let ids: Vec<String> = allocations.iter().map(|a| a.id.clone()).collect();
    let sessions = store.sessions(&ids).await?;
    let mut provision = Vec::new();
    for a in allocations {
        // The entry of the catalogue that made the allocation: after a transfer, the old
        // school's (issue 16, point 9: the bundle answered "not found").
        let v = store.provision_by_id(&a.provision_id).await?;
        let f = v.fields;
        provision.push(fmt::AllocationEntry {
            provision: fmt::ProvisionDescription {
                name: f.name,
                kind: f.kind.as_str().to_string(),
                area: f.area.as_str().to_string(),
                description: f.description,
                staff_role: f.staff_role,
                group_size: f.group_size,
                sessions_per_week: f.sessions_per_week,
                minutes_per_session: f.minutes_per_session,
                cost_basis: f.cost_basis.as_str().to_string(),
                cost_pence: f.cost_pence,
                expected_gain_milli: f.expected_gain.map(milli),
            },
            from_on: ds(a.from_on),
            to_on: ds(a.to_on),
            sessions_per_week: a.sessions_per_week,
            targets: a.targets,
            measure: a.measure.map(|m| fmt::MeasureEntry {
                name: m.name,
                unit: m.unit.as_str().into(),
            }),
            entry: a.entry.map(|(v, on)| fmt::MeasureValue {
                value_milli: milli(v),
                on: ds(on),
            }),
            exit: a.exit.map(|(v, on)| fmt::MeasureValue {
                value_milli: milli(v),
                on: ds(on),
            }),
            sessions: sessions
                .iter()
                .filter(|s| s.allocation_id == a.id)
                .map(|s| fmt::SessionEntry {
                    on: ds(s.on),
                    minutes: s.minutes,
                    status: s.status.as_str().into(),
                    reason: s.reason.clone(),
                    recorded_by: s.recorded_by_name.clone(),
                })
                .collect(),
            id: a.id,
        });
    }
    Ok(provision)
}

/// The specialists involved, with their agencies, people and notes, and the ids of the
/// involvements (whose reports are the record's documents).
async fn read_specialists(
    store: &Store,
    scope: &Scope,
    pupil_id: &str,
) -> Result<(Vec<fmt::InvolvementEntry>, Vec<String>), StoreError> {
    let involvements = store
        .involvements(scope, Some(pupil_id), None, None)
        .await?;
    let ids: Vec<String> = involvements.iter().map(|i| i.id.clone()).collect();
    let notes = store.notes(&ids).await?;
    // The agencies and people the involvements name, whichever school's lists hold them
    // (a pupil who moved keeps the old school's referrals).
    let agency_ids: Vec<String> = involvements
        .iter()
        .filter_map(|i| i.agency_id.clone())
        .collect();
    let person_ids: Vec<String> = involvements
        .iter()
        .filter_map(|i| i.person_id.clone())
        .collect();
    let agencies = store.agencies_by_ids(&agency_ids).await?;
    let people = store.people_by_ids(&person_ids).await?;
    let mut specialists = Vec::new();
    for i in involvements {
        let agency = i
            .agency_id
            .as_ref()
            .and_then(|id| agencies.iter().find(|a| &a.id == id))
            .map(|a| fmt::AgencyEntry {
                name: a.name.clone(),
                kind: a.kind.as_str().into(),
                email: a.email.clone(),
                phone: a.phone.clone(),
            });
        let person = i
            .person_id
            .as_ref()
            .and_then(|id| people.iter().find(|p| &p.id == id))
            .map(|p| fmt::PersonEntry {
                name: p.name.clone(),
                role: p.role.clone(),
                email: p.email.clone(),
            });
        specialists.push(fmt::InvolvementEntry {
            agency,
            person,
            specialist_name: i.specialist_name,
            status: i.status.as_str().into(),
            referral_on: opt_ds(i.referral_on),
            reason: i.reason,
            consent_on: opt_ds(i.consent_on),
            consent_by: i.consent_by,
            consent_withdrawn_on: opt_ds(i.consent_withdrawn_on),
            closed_on: opt_ds(i.closed_on),
            created_at: ts(i.created_at),
            notes: notes
                .iter()
                .filter(|n| n.involvement_id == i.id)
                .map(|n| fmt::NoteEntry {
                    kind: n.kind.as_str().into(),
                    on: ds(n.on),
                    body: n.body.clone(),
                    author: n.author_name.clone(),
                    strategy_target: n.strategy_target_id.clone(),
                })
                .collect(),
            id: i.id,
        });
    }
    Ok((specialists, ids))
}

/// The specialists' reports on the involvements `ids`, with their bytes.
async fn read_documents(
    store: &Store,
    ids: &[String],
) -> Result<Vec<fmt::DocumentEntry>, StoreError> {
    let mut documents = Vec::new();
    for r in store.reports(ids).await? {
        let data = store.report_data(&r.id).await?;
        documents.push(fmt::DocumentEntry {
            id: r.id,
            involvement: r.involvement_id,
            title: r.title,
            file_name: r.file_name,
            kind: r.kind,
            sha256: r.sha256,
            shared_with_parents: r.shared_with_parents,
            uploaded_by: r.uploaded_by_name,
            uploaded_at: ts(r.uploaded_at),
            data: fmt::DocumentEntry::encode(&data),
        });
    }
    Ok(documents)
}

/// Why a record was not imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "a pupil with the UPN {0} is already in this installation: moving an existing pupil to another school is the job of `senco import pupils --accept-transfers`"
    )]
    UpnTaken(String),
    #[error("the record has {} problem(s):\n  {}", .0.len(), .0.join("\n  "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub pupil_id: String,
    pub stage_entries: usize,
    pub plans: usize,
    pub allocations: usize,
    pub involvements: usize,
    pub documents: usize,
}

/// A saved plan version with the file's ids of targets and plans replaced by the new ones,
/// so that its history still points at the right targets.
fn remap(v: &serde_json::Value, maps: &[&HashMap<String, String>]) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(
            maps.iter()
                .find_map(|m| m.get(s))
                .cloned()
                .unwrap_or_else(|| s.clone()),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| remap(i, maps)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, i)| (k.clone(), remap(i, maps)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Collects the problems of a record, each naming its record and field.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn date(&mut self, what: &str, s: &str) -> Option<Date> {
        match parse_ds(s) {
            Ok(d) => Some(d),
            Err(_) => {
                self.0
                    .push(format!("{what}: {s:?} is not a date written YYYY-MM-DD"));
                None
            }
        }
    }

    fn opt_date(&mut self, what: &str, s: &Option<String>) -> Option<String> {
        let s = s.as_ref()?;
        self.date(what, s).map(ds)
    }

    fn time(&mut self, what: &str, s: &str) -> String {
        match parse_ts(s) {
            Ok(t) => ts(t),
            Err(_) => {
                self.0.push(format!(
                    "{what}: {s:?} is not a time written like 2026-03-01T09:00:00Z"
                ));
                String::new()
            }
        }
    }

    fn one_of(&mut self, what: &str, s: &str, allowed: &[&str]) {
        if !allowed.contains(&s) {
            self.0.push(format!(
                "{what}: {s:?} is not one of {}",
                allowed.join(", ")
            ));
        }
    }

    fn reference(&mut self, what: &str, map: &HashMap<String, String>, id: &str) -> String {
        match map.get(id) {
            Some(new) => new.clone(),
            None => {
                self.0.push(format!(
                    "{what}: refers to {id:?}, which is not (earlier) in the file"
                ));
                String::new()
            }
        }
    }

    fn opt_reference(
        &mut self,
        what: &str,
        map: &HashMap<String, String>,
        id: &Option<String>,
    ) -> Option<String> {
        id.as_ref().map(|id| self.reference(what, map, id))
    }
}

/// Accounts for people named in the record, made once per (role, name) per import.
struct People<'a> {
    school_id: &'a str,
    now: OffsetDateTime,
    made: HashMap<(Role, String), String>,
}

impl People<'_> {
    async fn account(&mut self, tx: &mut Tx, role: Role, name: &str) -> Result<String, StoreError> {
        if let Some(id) = self.made.get(&(role, name.to_string())) {
            return Ok(id.clone());
        }
        let email = format!("imported-{}@record.invalid", new_id());
        let id = Store::insert_user(
            tx,
            &NewUser {
                email: &email,
                name,
                role,
                school_id: Some(self.school_id),
                la_id: None,
                password_hash: None,
                must_change_password: false,
            },
            self.now,
        )
        .await?;
        Store::disable_user(tx, &id, self.now).await?;
        self.made.insert((role, name.to_string()), id.clone());
        Ok(id)
    }

    async fn opt_account(
        &mut self,
        tx: &mut Tx,
        role: Role,
        name: &Option<String>,
    ) -> Result<Option<String>, StoreError> {
        match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Ok(Some(self.account(tx, role, n).await?)),
            None => Ok(None),
        }
    }
}

const PLAN_STATUSES: &[&str] = &[
    "draft",
    "agreed_with_parents",
    "active",
    "under_review",
    "closed",
];
const DECISIONS: &[&str] = &[
    "continue_same_stage",
    "move_up",
    "move_down",
    "off_register",
    "request_statutory_assessment",
];
const OUTCOMES: &[&str] = &[
    "achieved",
    "partly_achieved",
    "not_achieved",
    "no_longer_relevant",
];
const CONCERN_STATUSES: &[&str] = &[
    ConcernStatus::AwaitingTriage.as_str(),
    ConcernStatus::Monitoring.as_str(),
    ConcernStatus::Placed.as_str(),
    ConcernStatus::Closed.as_str(),
];
const TOLD_HOW: &[&str] = &["meeting", "letter", "phone", "email"];
const PROCESS_KINDS: &[&str] = &[
    ProcessKind::StatutoryAssessment.as_str(),
    ProcessKind::AlnDecision.as_str(),
];
const PROVISION_KINDS: &[&str] = &[
    "small_group",
    "one_to_one",
    "equipment",
    "teaching_programme",
    "specialist_teaching",
    "therapy",
];
const COST_BASES: &[&str] = &["staff_time", "per_item", "per_term"];
/// Areas of need a provision or a target may name: what the store reads back.
const AREAS: &[&str] = &[
    AreaOfNeed::CommunicationAndInteraction.as_str(),
    AreaOfNeed::CognitionAndLearning.as_str(),
    AreaOfNeed::SocialEmotionalAndMentalHealth.as_str(),
    AreaOfNeed::SensoryAndOrPhysical.as_str(),
    AreaOfNeed::BehaviourEmotionalAndSocialDevelopment.as_str(),
];
const UNITS: &[&str] = &[
    "months",
    "standardised_score",
    "words_per_minute",
    "school_scale",
];
const SESSION_STATUSES: &[&str] = &["delivered", "pupil_absent", "cancelled"];
const NOTE_KINDS: &[&str] = &["visit", "assessment", "advice", "recommendation"];
const AGENCY_KINDS: &[&str] = &[
    "educational_psychology",
    "speech_and_language_therapy",
    "specialist_teaching",
    "occupational_therapy",
    "physiotherapy",
    "camhs",
    "sensory_service",
    "behaviour_support",
    "school_nurse",
    "social_care",
];
const DOCUMENT_KINDS: &[&str] = &["pdf", "docx", "png", "jpeg"];

/// Continues a record at `school` in `tx`: a new pupil with every record of the file. On
/// any problem returns them all, having written nothing the caller should commit. `audit`
/// is the caller's event (channel, actor); the pupil and school are filled in here.
///
/// The phases run in the order of the file, each checking its records and writing them
/// while no problem has been found, so that later records can refer to earlier ones.
pub async fn import(
    tx: &mut Tx,
    school: &School,
    rec: &Record,
    settings: &CodeSettings,
    today: Date,
    now: OffsetDateTime,
    mut audit: AuditEvent,
) -> Result<Imported, ImportError> {
    let pupil_id = import_pupil(tx, school, rec, today, now).await?;
    let sid = school.id.as_str();
    let mut import = Import {
        rec,
        settings,
        today,
        rows: Rows {
            pupil_id: &pupil_id,
            school_id: sid,
            now,
        },
        pr: Problems::default(),
        people: People {
            school_id: sid,
            now,
            made: HashMap::new(),
        },
        stage_ids: HashMap::new(),
        entries: Vec::new(),
        plan_ids: HashMap::new(),
        target_ids: HashMap::new(),
        involvement_ids: HashMap::new(),
    };
    import.stage_history(tx).await?;
    import.needs(tx).await?;
    import.concerns(tx).await?;
    import.statutory_processes(tx).await?;
    import.plans(tx).await?;
    import.reviews(tx).await?;
    import.provision(tx).await?;
    import.specialists(tx).await?;
    import.documents(tx).await?;
    let pr = import.pr;

    if !pr.0.is_empty() {
        return Err(ImportError::Invalid(pr.0));
    }

    let history = Store::stage_changes_in(tx, &pupil_id).await?;
    Store::set_current_stage(
        tx,
        &pupil_id,
        sid,
        crate::sen::stage_in_force(&history, today).as_ref(),
    )
    .await?;

    audit.school_id = Some(school.id.clone());
    audit.pupil_id = Some(pupil_id.clone());
    audit.record_id = Some(pupil_id.clone());
    audit.fields = Some(
        "pupil,stage_history,needs,concerns,statutory_processes,plans,reviews,provision,specialists,documents"
            .into(),
    );
    Store::audit_in(tx, &audit).await?;
    Ok(Imported {
        pupil_id,
        stage_entries: rec.stage_history.len(),
        plans: rec.plans.len(),
        allocations: rec.provision.len(),
        involvements: rec.specialists.len(),
        documents: rec.documents.len(),
    })
}

/// The pupil of a record, checked and written first: every other record hangs from it.
async fn import_pupil(
    tx: &mut Tx,
    school: &School,
    rec: &Record,
    today: Date,
    now: OffsetDateTime,
) -> Result<String, ImportError> {
    let mut pr = Problems::default();
    let p = &rec.pupil;

    let upn = match p.upn.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => match senco_domain::upn::Upn::parse(u) {
            Ok(u) => Some(u.as_str().to_string()),
            Err(e) => {
                pr.0.push(format!("pupil.upn: {e}"));
                None
            }
        },
        None => None,
    };
    if let Some(u) = &upn
        && Store::upn_in_use(tx, u, None).await?
    {
        return Err(ImportError::UpnTaken(u.clone()));
    }
    let dob = pr.date("pupil.date_of_birth", &p.date_of_birth);
    let sex = Sex::parse(&p.sex);
    if sex.is_none() {
        pr.0.push(format!("pupil.sex: {:?} is not F or M", p.sex));
    }
    let language = CorrespondenceLanguage::parse(&p.correspondence_language);
    if language.is_none() {
        pr.0.push(format!(
            "pupil.correspondence_language: {:?} is not english or welsh",
            p.correspondence_language
        ));
    }
    for (what, v) in [
        ("pupil.legal_forename", &p.legal_forename),
        ("pupil.legal_surname", &p.legal_surname),
    ] {
        if v.trim().is_empty() {
            pr.0.push(format!("{what}: must not be empty"));
        }
    }
    let (Some(dob), Some(sex), Some(language)) = (dob, sex, language) else {
        return Err(ImportError::Invalid(pr.0));
    };
    if !pr.0.is_empty() {
        return Err(ImportError::Invalid(pr.0));
    }
    let pupil_id = Store::insert_pupil(
        tx,
        &school.id,
        &PupilFields {
            upn,
            former_upn: p.former_upn.clone().filter(|s| !s.trim().is_empty()),
            legal_forename: p.legal_forename.trim().to_string(),
            legal_surname: p.legal_surname.trim().to_string(),
            preferred_forename: p.preferred_forename.clone(),
            preferred_surname: p.preferred_surname.clone(),
            date_of_birth: dob,
            sex,
            year_override: None,
            reg_group_id: None,
            looked_after: p.looked_after,
            eal: p.eal,
            fsm: p.fsm,
            language,
        },
        today,
        now,
    )
    .await?;
    Ok(pupil_id)
}

/// The columns every row of a pupil's record starts with.
#[derive(Clone, Copy)]
struct Rows<'a> {
    pupil_id: &'a str,
    school_id: &'a str,
    now: OffsetDateTime,
}

impl Rows<'_> {
    /// A new row of the pupil's: a new id, the pupil and the school, then `extra`.
    fn base(&self, extra: Vec<(&'static str, Val)>) -> Vec<(&'static str, Val)> {
        let mut cols: Vec<(&'static str, Val)> = vec![
            ("id", Val::from(new_id())),
            ("pupil_id", Val::from(self.pupil_id)),
            ("school_id", Val::from(self.school_id)),
        ];
        cols.extend(extra);
        cols
    }
}

/// The id of a row made by [`Rows::base`].
fn id_of(cols: &[(&'static str, Val)]) -> String {
    match &cols[0].1 {
        Val::Text(Some(s)) => s.clone(),
        _ => String::new(),
    }
}

/// One import under way: the record, the problems found so far, the accounts made for the
/// people it names, and the new ids of the records that later ones refer to.
struct Import<'a> {
    rec: &'a Record,
    settings: &'a CodeSettings,
    today: Date,
    rows: Rows<'a>,
    pr: Problems,
    people: People<'a>,
    /// Stage entries by their id in the file.
    stage_ids: HashMap<String, String>,
    /// The stage history so far, as the domain checks it.
    entries: Vec<Entry>,
    plan_ids: HashMap<String, String>,
    target_ids: HashMap<String, String>,
    involvement_ids: HashMap<String, String>,
}

impl Import<'_> {
    /// The stage history, checked entry by entry as the domain checks an import.
    async fn stage_history(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let settings = self.settings;
        let today = self.today;
        let rows = self.rows;
        let Import {
            pr,
            stage_ids,
            entries,
            ..
        } = self;
        let mut seq_of: HashMap<String, u64> = HashMap::new();
        for (i, e) in rec.stage_history.iter().enumerate() {
            let what = format!("stage_history[{}] ({})", i + 1, e.id);
            let framework = FrameworkKey::parse(&e.framework);
            let stage = Stage::parse(&e.stage);
            if framework.is_none() {
                pr.0.push(format!(
                    "{what}: {:?} is not a framework Senco knows",
                    e.framework
                ));
            }
            if stage.is_none() {
                pr.0.push(format!("{what}: {:?} is not a stage Senco knows", e.stage));
            }
            let effective = pr.date(&format!("{what}.effective_on"), &e.effective_on);
            let recorded_at = pr.time(&format!("{what}.recorded_at"), &e.recorded_at);
            let supersedes = match &e.supersedes {
                Some(old) => match seq_of.get(old) {
                    Some(seq) => Some(*seq),
                    None => {
                        pr.0.push(format!(
                            "{what}.supersedes: refers to {old:?}, which is not earlier in the file"
                        ));
                        continue;
                    }
                },
                None => None,
            };
            let (Some(framework), Some(stage), Some(effective)) = (framework, stage, effective)
            else {
                continue;
            };
            let new = NewEntry {
                framework,
                stage,
                effective,
                supersedes,
            };
            if let Err(err) = check_import(entries, &new, today) {
                pr.0.push(format!(
                    "{what}: {} on {}: {err}",
                    stage.as_str(),
                    ds(effective)
                ));
                continue;
            }
            if let Err(err) =
                provision_code(framework.country(), framework, stage, effective, settings)
            {
                pr.0.push(format!(
                    "{what}: {} on {}: {err}",
                    stage.as_str(),
                    ds(effective)
                ));
                continue;
            }
            if let Some(t) = &e.parents_told {
                pr.one_of(&format!("{what}.parents_told.method"), &t.method, TOLD_HOW);
            }
            let told_on = e
                .parents_told
                .as_ref()
                .and_then(|t| pr.date(&format!("{what}.parents_told.on"), &t.on));
            let seq = entries.len() as u64 + 1;
            entries.push(Entry {
                id: seq,
                framework,
                stage,
                effective,
                supersedes,
            });
            seq_of.insert(e.id.clone(), seq);
            if !pr.0.is_empty() {
                continue;
            }
            let cols = rows.base(vec![
                ("seq", Val::from(seq as i64)),
                ("framework", Val::from(framework.as_str())),
                ("stage", Val::from(stage.as_str())),
                ("effective_on", Val::from(ds(effective))),
                ("reason", Val::from(e.reason.as_str())),
                ("decided_with", Val::from(e.decided_with.clone())),
                ("specialists", Val::from(e.specialists.clone())),
                (
                    "supersedes",
                    Val::from(
                        e.supersedes
                            .as_ref()
                            .and_then(|s| stage_ids.get(s).cloned()),
                    ),
                ),
                ("imported", Val::from(true)),
                ("recorded_at", Val::from(recorded_at.clone())),
            ]);
            let new_id = id_of(&cols);
            Store::insert_record_row(tx, "stage_changes", &cols).await?;
            if let (Some(t), Some(on)) = (&e.parents_told, told_on) {
                let cols = rows.base(vec![
                    ("stage_change_id", Val::from(new_id.as_str())),
                    ("informed_on", Val::from(ds(on))),
                    ("method", Val::from(t.method.as_str())),
                    ("recorded_at", Val::from(recorded_at)),
                ]);
                Store::insert_record_row(tx, "parent_notifications", &cols).await?;
            }
            stage_ids.insert(e.id.clone(), new_id);
        }
        Ok(())
    }

    /// Needs, against the dated table and the stage in force on their first day.
    async fn needs(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let settings = self.settings;
        let rows = self.rows;
        let Import { pr, entries, .. } = self;
        for (i, n) in rec.needs.iter().enumerate() {
            let what = format!("needs[{}] ({})", i + 1, n.id);
            let Some(starts) = pr.date(&format!("{what}.starts_on"), &n.starts_on) else {
                continue;
            };
            let ends = pr.opt_date(&format!("{what}.ends_on"), &n.ends_on);
            let recorded_at = pr.time(&format!("{what}.recorded_at"), &n.recorded_at);
            let code = match parse_need(&n.code) {
                Ok((code, _)) => code,
                Err(err) => {
                    pr.0.push(format!("{what}: {} on {}: {err}", n.code, ds(starts)));
                    continue;
                }
            };
            let in_force_code = in_force(entries, starts).and_then(|e| {
                provision_code(
                    e.framework.country(),
                    e.framework,
                    e.stage,
                    starts,
                    settings,
                )
                .ok()
                .map(|c| c.code)
            });
            if let Err(err) = need_valid_on(code, starts, in_force_code.as_deref(), settings) {
                pr.0.push(format!("{what}: {} on {}: {err}", n.code, ds(starts)));
                continue;
            }
            if n.rank < 1 {
                pr.0.push(format!("{what}.rank: must be 1 or more"));
            }
            if !pr.0.is_empty() {
                continue;
            }
            let cols = rows.base(vec![
                ("code", Val::from(code.code())),
                ("rank", Val::from(n.rank)),
                ("starts_on", Val::from(ds(starts))),
                ("ends_on", Val::from(ends)),
                ("recorded_at", Val::from(recorded_at)),
            ]);
            Store::insert_record_row(tx, "needs", &cols).await?;
        }
        Ok(())
    }

    /// Concerns, with accounts for the people who raised them.
    async fn concerns(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let rows = self.rows;
        let Import {
            pr,
            people,
            stage_ids,
            ..
        } = self;
        for (i, c) in rec.concerns.iter().enumerate() {
            let what = format!("concerns[{}] ({})", i + 1, c.id);
            let raised_on = pr.date(&format!("{what}.raised_on"), &c.raised_on);
            let recorded_at = pr.time(&format!("{what}.recorded_at"), &c.recorded_at);
            if FrameworkKey::parse(&c.framework).is_none() {
                pr.0.push(format!(
                    "{what}: {:?} is not a framework Senco knows",
                    c.framework
                ));
            }
            pr.one_of(&format!("{what}.status"), &c.status, CONCERN_STATUSES);
            let stage_change =
                pr.opt_reference(&format!("{what}.stage_change"), stage_ids, &c.stage_change);
            if c.raised_by.trim().is_empty() {
                pr.0.push(format!("{what}.raised_by: must name someone"));
            }
            let Some(raised_on) = raised_on else { continue };
            if !pr.0.is_empty() {
                continue;
            }
            let by = people
                .account(tx, Role::Teacher, c.raised_by.trim())
                .await?;
            let cols = rows.base(vec![
                ("raised_by", Val::from(by)),
                ("raised_on", Val::from(ds(raised_on))),
                ("framework", Val::from(c.framework.as_str())),
                ("areas", Val::from(c.areas.join(","))),
                ("details", Val::from(c.details.clone())),
                ("triggers", Val::from(c.triggers.join(","))),
                ("tried", Val::from(c.tried.as_str())),
                ("result", Val::from(c.result.as_str())),
                ("status", Val::from(c.status.as_str())),
                ("outcome_reason", Val::from(c.outcome_reason.clone())),
                ("stage_change_id", Val::from(stage_change)),
                ("recorded_at", Val::from(recorded_at)),
            ]);
            Store::insert_record_row(tx, "concerns", &cols).await?;
        }
        Ok(())
    }

    /// Statutory processes.
    async fn statutory_processes(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let rows = self.rows;
        let Import { pr, .. } = self;
        for (i, s) in rec.statutory_processes.iter().enumerate() {
            let what = format!("statutory_processes[{}] ({})", i + 1, s.id);
            pr.one_of(&format!("{what}.kind"), &s.kind, PROCESS_KINDS);
            let started = pr.date(&format!("{what}.started_on"), &s.started_on);
            let decided = pr.opt_date(&format!("{what}.decided_on"), &s.decided_on);
            let recorded_at = pr.time(&format!("{what}.recorded_at"), &s.recorded_at);
            let Some(started) = started else { continue };
            if !pr.0.is_empty() {
                continue;
            }
            let cols = rows.base(vec![
                ("kind", Val::from(s.kind.as_str())),
                ("started_on", Val::from(ds(started))),
                ("decided_on", Val::from(decided)),
                ("outcome", Val::from(s.outcome.clone())),
                ("notes", Val::from(s.notes.clone())),
                ("recorded_at", Val::from(recorded_at)),
            ]);
            Store::insert_record_row(tx, "processes", &cols).await?;
        }
        Ok(())
    }

    /// Plans oldest first, so that a plan's predecessor and carried targets exist.
    async fn plans(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let rows = self.rows;
        let Import {
            pr,
            people,
            plan_ids,
            target_ids,
            ..
        } = self;
        for (i, pl) in rec.plans.iter().enumerate().rev() {
            let what = format!("plans[{}] ({})", i + 1, pl.id);
            if FrameworkKey::parse(&pl.framework).is_none() {
                pr.0.push(format!(
                    "{what}: {:?} is not a framework Senco knows",
                    pl.framework
                ));
            }
            if Stage::parse(&pl.stage).is_none() {
                pr.0.push(format!("{what}: {:?} is not a stage Senco knows", pl.stage));
            }
            pr.one_of(&format!("{what}.status"), &pl.status, PLAN_STATUSES);
            let starts = pr.date(&format!("{what}.starts_on"), &pl.starts_on);
            let review = pr.date(&format!("{what}.review_on"), &pl.review_on);
            if let (Some(s), Some(r)) = (starts, review)
                && r < s
            {
                pr.0.push(format!(
                    "{what}.review_on: {} is before the plan starts on {}",
                    ds(r),
                    ds(s)
                ));
            }
            let agreed = pr.opt_date(&format!("{what}.agreed_on"), &pl.agreed_on);
            let created_at = pr.time(&format!("{what}.created_at"), &pl.created_at);
            let updated_at = pr.time(&format!("{what}.updated_at"), &pl.updated_at);
            let previous = pr.opt_reference(
                &format!("{what}.previous_plan"),
                plan_ids,
                &pl.previous_plan,
            );
            if !pr.0.is_empty() {
                continue;
            }
            let cols = rows.base(vec![
                ("framework", Val::from(pl.framework.as_str())),
                ("stage", Val::from(pl.stage.as_str())),
                ("status", Val::from(pl.status.as_str())),
                ("starts_on", Val::from(pl.starts_on.as_str())),
                ("review_on", Val::from(pl.review_on.as_str())),
                ("nature", Val::from(pl.nature.as_str())),
                ("help_at_home", Val::from(pl.help_at_home.as_str())),
                ("pastoral", Val::from(pl.pastoral.as_str())),
                ("pupil_views", Val::from(pl.pupil_views.as_str())),
                ("parent_views", Val::from(pl.parent_views.as_str())),
                ("consulted", Val::from(pl.consulted.as_str())),
                ("agreed_on", Val::from(agreed)),
                ("agreed_how", Val::from(pl.agreed_how.clone())),
                ("previous_plan_id", Val::from(previous)),
                ("version", Val::from(pl.versions.len().max(1) as i64)),
                ("created_at", Val::from(created_at)),
                ("updated_at", Val::from(updated_at)),
            ]);
            let plan_id = id_of(&cols);
            Store::insert_record_row(tx, "plans", &cols).await?;
            plan_ids.insert(pl.id.clone(), plan_id.clone());
            let plan_base = |extra: Vec<(&'static str, Val)>| {
                let mut cols = rows.base(vec![("plan_id", Val::from(plan_id.as_str()))]);
                cols.extend(extra);
                cols
            };
            for (j, t) in pl.targets.iter().enumerate() {
                let twhat = format!("{what}.targets[{}] ({})", j + 1, t.id);
                let by_when = pr.opt_date(&format!("{twhat}.by_when"), &t.by_when);
                let carried = pr.opt_reference(
                    &format!("{twhat}.carried_from"),
                    target_ids,
                    &t.carried_from,
                );
                if !pr.0.is_empty() {
                    continue;
                }
                let cols = plan_base(vec![
                    ("position", Val::from(j as i64)),
                    ("area", Val::from(t.area.clone())),
                    ("target", Val::from(t.target.as_str())),
                    ("strategies", Val::from(t.strategies.as_str())),
                    ("success_criteria", Val::from(t.success_criteria.as_str())),
                    ("by_when", Val::from(by_when)),
                    ("carried_from", Val::from(carried)),
                ]);
                target_ids.insert(t.id.clone(), id_of(&cols));
                Store::insert_record_row(tx, "plan_targets", &cols).await?;
            }
            for (j, v) in pl.provision.iter().enumerate() {
                let vwhat = format!("{what}.provision[{}]", j + 1);
                let from = pr.opt_date(&format!("{vwhat}.from_on"), &v.from_on);
                let to = pr.opt_date(&format!("{vwhat}.to_on"), &v.to_on);
                if !pr.0.is_empty() {
                    continue;
                }
                let cols = plan_base(vec![
                    ("position", Val::from(j as i64)),
                    ("what", Val::from(v.what.as_str())),
                    ("who", Val::from(v.who.as_str())),
                    ("how_often", Val::from(v.how_often.as_str())),
                    ("group_size", Val::from(v.group_size)),
                    ("from_on", Val::from(from)),
                    ("to_on", Val::from(to)),
                ]);
                Store::insert_record_row(tx, "plan_provision", &cols).await?;
            }
            for v in &pl.versions {
                let vwhat = format!("{what}.versions (version {})", v.version);
                let at = pr.time(&format!("{vwhat}.changed_at"), &v.changed_at);
                if pl
                    .versions
                    .iter()
                    .filter(|o| o.version == v.version)
                    .count()
                    > 1
                {
                    pr.0.push(format!("{vwhat}: the version appears more than once"));
                }
                if !pr.0.is_empty() {
                    continue;
                }
                let by = people.opt_account(tx, Role::Teacher, &v.changed_by).await?;
                let data = remap(&v.data, &[target_ids, plan_ids]);
                let cols = plan_base(vec![
                    ("version", Val::from(v.version)),
                    ("data", Val::from(data.to_string())),
                    ("changed_fields", Val::from(v.changed_fields.as_str())),
                    ("changed_by", Val::from(by)),
                    ("changed_at", Val::from(at)),
                ]);
                Store::insert_record_row(tx, "plan_versions", &cols).await?;
            }
            for (j, c) in pl.contributions.iter().enumerate() {
                let cwhat = format!("{what}.contributions[{}]", j + 1);
                let at = pr.time(&format!("{cwhat}.submitted_at"), &c.submitted_at);
                if c.author.trim().is_empty() {
                    pr.0.push(format!("{cwhat}.author: must name someone"));
                }
                if !pr.0.is_empty() {
                    continue;
                }
                let author = people.account(tx, Role::Parent, c.author.trim()).await?;
                let cols = plan_base(vec![
                    ("author_user_id", Val::from(author)),
                    ("parent_views", Val::from(c.parent_views.as_str())),
                    ("child_views", Val::from(c.child_views.as_str())),
                    ("submitted_at", Val::from(at)),
                ]);
                Store::insert_record_row(tx, "parent_contributions", &cols).await?;
            }
        }
        Ok(())
    }

    /// Reviews of the plans, with the outcome of each target.
    async fn reviews(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let rows = self.rows;
        let now = rows.now;
        let Import {
            pr,
            stage_ids,
            plan_ids,
            target_ids,
            ..
        } = self;
        for (i, r) in rec.reviews.iter().enumerate() {
            let what = format!("reviews[{}] ({})", i + 1, r.id);
            let plan = pr.reference(&format!("{what}.plan"), plan_ids, &r.plan);
            let held = pr.date(&format!("{what}.held_on"), &r.held_on);
            let copy = pr.opt_date(&format!("{what}.copy_sent_on"), &r.copy_sent_on);
            pr.one_of(&format!("{what}.decision"), &r.decision, DECISIONS);
            let stage_change =
                pr.opt_reference(&format!("{what}.stage_change"), stage_ids, &r.stage_change);
            let next = pr.opt_reference(&format!("{what}.next_plan"), plan_ids, &r.next_plan);
            let mut outcomes = Vec::new();
            for (j, o) in r.outcomes.iter().enumerate() {
                let owhat = format!("{what}.outcomes[{}]", j + 1);
                pr.one_of(&format!("{owhat}.outcome"), &o.outcome, OUTCOMES);
                let t = pr.reference(&format!("{owhat}.target"), target_ids, &o.target);
                outcomes.push((t, o));
            }
            let Some(held) = held else { continue };
            if !pr.0.is_empty() {
                continue;
            }
            let cols = rows.base(vec![
                ("plan_id", Val::from(plan)),
                ("held_on", Val::from(ds(held))),
                ("invited", Val::from(r.invited.as_str())),
                ("attended", Val::from(r.attended.as_str())),
                ("copy_sent_on", Val::from(copy)),
                ("progress", Val::from(r.progress.as_str())),
                ("parent_views", Val::from(r.parent_views.as_str())),
                ("pupil_views", Val::from(r.pupil_views.as_str())),
                ("decision", Val::from(r.decision.as_str())),
                ("stage_change_id", Val::from(stage_change)),
                ("next_plan_id", Val::from(next)),
                ("recorded_at", Val::from(ts(now))),
            ]);
            let review_id = id_of(&cols);
            Store::insert_record_row(tx, "reviews", &cols).await?;
            for (target, o) in outcomes {
                let cols = rows.base(vec![
                    ("review_id", Val::from(review_id.as_str())),
                    ("target_id", Val::from(target)),
                    ("outcome", Val::from(o.outcome.as_str())),
                    ("evidence", Val::from(o.evidence.as_str())),
                ]);
                Store::insert_record_row(tx, "target_outcomes", &cols).await?;
            }
        }
        Ok(())
    }

    /// Provision, under the new school's catalogue names.
    async fn provision(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let rows = self.rows;
        let sid = rows.school_id;
        let now = rows.now;
        let Import {
            pr,
            people,
            target_ids,
            ..
        } = self;
        for (i, a) in rec.provision.iter().enumerate() {
            let what = format!("provision[{}] ({})", i + 1, a.id);
            let v = &a.provision;
            pr.one_of(&format!("{what}.provision.kind"), &v.kind, PROVISION_KINDS);
            pr.one_of(&format!("{what}.provision.area"), &v.area, AREAS);
            pr.one_of(
                &format!("{what}.provision.cost_basis"),
                &v.cost_basis,
                COST_BASES,
            );
            if v.name.trim().is_empty() {
                pr.0.push(format!("{what}.provision.name: must not be empty"));
            }
            if v.group_size < 1
                || v.sessions_per_week < 0
                || v.minutes_per_session < 0
                || v.cost_pence < 0
                || a.sessions_per_week < 0
            {
                pr.0.push(format!(
                    "{what}: group size must be 1 or more and the other numbers 0 or more"
                ));
            }
            let from = pr.date(&format!("{what}.from_on"), &a.from_on);
            let to = pr.date(&format!("{what}.to_on"), &a.to_on);
            if let (Some(f), Some(t)) = (from, to)
                && t < f
            {
                pr.0.push(format!("{what}.to_on: before from_on"));
            }
            if let Some(m) = &a.measure {
                pr.one_of(&format!("{what}.measure.unit"), &m.unit, UNITS);
            }
            let entry_on = a
                .entry
                .as_ref()
                .and_then(|m| pr.date(&format!("{what}.entry.on"), &m.on));
            let exit_on = a
                .exit
                .as_ref()
                .and_then(|m| pr.date(&format!("{what}.exit.on"), &m.on));
            let targets: Vec<String> = a
                .targets
                .iter()
                .map(|t| pr.reference(&format!("{what}.targets"), target_ids, t))
                .collect();
            let mut sessions = Vec::new();
            for (j, s) in a.sessions.iter().enumerate() {
                let swhat = format!("{what}.sessions[{}]", j + 1);
                pr.one_of(&format!("{swhat}.status"), &s.status, SESSION_STATUSES);
                if s.minutes < 0 {
                    pr.0.push(format!("{swhat}.minutes: must be 0 or more"));
                }
                if a.sessions.iter().filter(|o| o.on == s.on).count() > 1 {
                    pr.0.push(format!("{swhat}: two sessions on {}", s.on));
                }
                if let Some(on) = pr.date(&format!("{swhat}.on"), &s.on) {
                    sessions.push((on, s));
                }
            }
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            if !pr.0.is_empty() {
                continue;
            }
            let provision_id = match Store::provision_id_by_name(tx, sid, v.name.trim()).await? {
                Some(id) => id,
                None => {
                    let id = new_id();
                    let cols: Vec<(&'static str, Val)> = vec![
                        ("id", Val::from(id.as_str())),
                        ("school_id", Val::from(sid)),
                        ("name", Val::from(v.name.trim())),
                        ("kind", Val::from(v.kind.as_str())),
                        ("area", Val::from(v.area.as_str())),
                        ("description", Val::from(v.description.as_str())),
                        ("staff_role", Val::from(v.staff_role.as_str())),
                        ("group_size", Val::from(v.group_size)),
                        ("sessions_per_week", Val::from(v.sessions_per_week)),
                        ("minutes_per_session", Val::from(v.minutes_per_session)),
                        ("cost_basis", Val::from(v.cost_basis.as_str())),
                        ("cost_pence", Val::from(v.cost_pence)),
                        ("expected_gain_milli", Val::from(v.expected_gain_milli)),
                        ("active", Val::from(false)),
                        ("version", Val::from(1)),
                        ("created_at", Val::from(ts(now))),
                        ("updated_at", Val::from(ts(now))),
                    ];
                    Store::insert_record_row(tx, "provisions", &cols).await?;
                    id
                }
            };
            let cols = rows.base(vec![
                ("provision_id", Val::from(provision_id.as_str())),
                ("from_on", Val::from(ds(from))),
                ("to_on", Val::from(ds(to))),
                ("sessions_per_week", Val::from(a.sessions_per_week)),
                ("targets", Val::from(targets.join(","))),
                (
                    "measure_name",
                    Val::from(a.measure.as_ref().map(|m| m.name.clone())),
                ),
                (
                    "measure_unit",
                    Val::from(a.measure.as_ref().map(|m| m.unit.clone())),
                ),
                (
                    "entry_milli",
                    Val::from(a.entry.as_ref().map(|m| m.value_milli)),
                ),
                ("entry_on", Val::from(entry_on.map(ds))),
                (
                    "exit_milli",
                    Val::from(a.exit.as_ref().map(|m| m.value_milli)),
                ),
                ("exit_on", Val::from(exit_on.map(ds))),
                ("version", Val::from(1)),
                ("created_at", Val::from(ts(now))),
                ("updated_at", Val::from(ts(now))),
            ]);
            let allocation_id = id_of(&cols);
            Store::insert_record_row(tx, "allocations", &cols).await?;
            for (on, s) in sessions {
                let by = people
                    .opt_account(tx, Role::Teacher, &s.recorded_by)
                    .await?;
                let cols = rows.base(vec![
                    ("allocation_id", Val::from(allocation_id.as_str())),
                    ("provision_id", Val::from(provision_id.as_str())),
                    ("on_date", Val::from(ds(on))),
                    ("minutes", Val::from(s.minutes)),
                    ("status", Val::from(s.status.as_str())),
                    ("reason", Val::from(s.reason.clone())),
                    ("recorded_by", Val::from(by)),
                    ("recorded_at", Val::from(ts(now))),
                ]);
                Store::insert_record_row(tx, "delivery_sessions", &cols).await?;
            }
        }
        Ok(())
    }

    /// Specialists: closed history, no account link.
    async fn specialists(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let today = self.today;
        let rows = self.rows;
        let sid = rows.school_id;
        let now = rows.now;
        let Import {
            pr,
            people,
            target_ids,
            involvement_ids,
            ..
        } = self;
        for (i, inv) in rec.specialists.iter().enumerate() {
            let what = format!("specialists[{}] ({})", i + 1, inv.id);
            if let Some(a) = &inv.agency {
                pr.one_of(&format!("{what}.agency.kind"), &a.kind, AGENCY_KINDS);
                if a.name.trim().is_empty() {
                    pr.0.push(format!("{what}.agency.name: must not be empty"));
                }
            }
            if inv.person.is_some() && inv.agency.is_none() {
                pr.0.push(format!("{what}.person: a person needs their agency"));
            }
            pr.one_of(
                &format!("{what}.status"),
                &inv.status,
                &["requested", "accepted", "active", "closed"],
            );
            let referral = pr.opt_date(&format!("{what}.referral_on"), &inv.referral_on);
            let consent = pr.opt_date(&format!("{what}.consent_on"), &inv.consent_on);
            let withdrawn = pr.opt_date(
                &format!("{what}.consent_withdrawn_on"),
                &inv.consent_withdrawn_on,
            );
            let closed = pr
                .opt_date(&format!("{what}.closed_on"), &inv.closed_on)
                .unwrap_or_else(|| ds(today));
            let created_at = pr.time(&format!("{what}.created_at"), &inv.created_at);
            let mut notes = Vec::new();
            for (j, n) in inv.notes.iter().enumerate() {
                let nwhat = format!("{what}.notes[{}]", j + 1);
                pr.one_of(&format!("{nwhat}.kind"), &n.kind, NOTE_KINDS);
                let on = pr.date(&format!("{nwhat}.on"), &n.on);
                let strategy = pr.opt_reference(
                    &format!("{nwhat}.strategy_target"),
                    target_ids,
                    &n.strategy_target,
                );
                if let Some(on) = on {
                    notes.push((on, strategy, n));
                }
            }
            if !pr.0.is_empty() {
                continue;
            }
            let (agency_id, person_id) = match &inv.agency {
                Some(a) => {
                    let agency_id = match Store::agency_id_by_name(tx, sid, a.name.trim()).await? {
                        Some(id) => id,
                        None => {
                            let id = new_id();
                            let cols: Vec<(&'static str, Val)> = vec![
                                ("id", Val::from(id.as_str())),
                                ("school_id", Val::from(sid)),
                                ("kind", Val::from(a.kind.as_str())),
                                ("name", Val::from(a.name.trim())),
                                ("email", Val::from(a.email.clone())),
                                ("phone", Val::from(a.phone.clone())),
                                ("created_at", Val::from(ts(now))),
                            ];
                            Store::insert_record_row(tx, "agencies", &cols).await?;
                            id
                        }
                    };
                    let person_id = match &inv.person {
                        Some(p) => Some(
                            match Store::person_id_by_name(tx, &agency_id, p.name.trim()).await? {
                                Some(id) => id,
                                None => {
                                    let id = new_id();
                                    let cols: Vec<(&'static str, Val)> = vec![
                                        ("id", Val::from(id.as_str())),
                                        ("agency_id", Val::from(agency_id.as_str())),
                                        ("school_id", Val::from(sid)),
                                        ("name", Val::from(p.name.trim())),
                                        ("role", Val::from(p.role.as_str())),
                                        ("email", Val::from(p.email.clone())),
                                        ("created_at", Val::from(ts(now))),
                                    ];
                                    Store::insert_record_row(tx, "agency_people", &cols).await?;
                                    id
                                }
                            },
                        ),
                        None => None,
                    };
                    (Some(agency_id), person_id)
                }
                None => (None, None),
            };
            let cols = rows.base(vec![
                ("agency_id", Val::from(agency_id)),
                ("person_id", Val::from(person_id)),
                ("status", Val::from("closed")),
                ("referral_on", Val::from(referral)),
                ("reason", Val::from(inv.reason.as_str())),
                ("consent_recorded_on", Val::from(consent)),
                ("consent_by", Val::from(inv.consent_by.clone())),
                ("consent_withdrawn_on", Val::from(withdrawn)),
                ("closed_on", Val::from(closed)),
                ("version", Val::from(1)),
                ("created_at", Val::from(created_at)),
                ("updated_at", Val::from(ts(now))),
            ]);
            let involvement_id = id_of(&cols);
            Store::insert_record_row(tx, "involvements", &cols).await?;
            for (on, strategy, n) in notes {
                let author = people.opt_account(tx, Role::Teacher, &n.author).await?;
                let cols = rows.base(vec![
                    ("involvement_id", Val::from(involvement_id.as_str())),
                    ("kind", Val::from(n.kind.as_str())),
                    ("on_date", Val::from(ds(on))),
                    ("body", Val::from(n.body.as_str())),
                    ("author_user_id", Val::from(author)),
                    ("strategy_target_id", Val::from(strategy)),
                    ("created_at", Val::from(ts(now))),
                ]);
                Store::insert_record_row(tx, "involvement_notes", &cols).await?;
            }
            involvement_ids.insert(inv.id.clone(), involvement_id);
        }
        Ok(())
    }

    /// Reports of the specialists, checked against their SHA-256.
    async fn documents(&mut self, tx: &mut Tx) -> Result<(), ImportError> {
        let rec = self.rec;
        let rows = self.rows;
        let Import {
            pr,
            people,
            involvement_ids,
            ..
        } = self;
        for (i, d) in rec.documents.iter().enumerate() {
            let what = format!("documents[{}] ({})", i + 1, d.id);
            let involvement = pr.reference(
                &format!("{what}.involvement"),
                involvement_ids,
                &d.involvement,
            );
            pr.one_of(&format!("{what}.kind"), &d.kind, DOCUMENT_KINDS);
            let at = pr.time(&format!("{what}.uploaded_at"), &d.uploaded_at);
            let bytes = match d.bytes() {
                Ok(b) => b,
                Err(e) => {
                    pr.0.push(e.to_string());
                    continue;
                }
            };
            let sha = crate::credentials::hex(&Sha256::digest(&bytes));
            if !sha.eq_ignore_ascii_case(d.sha256.trim()) {
                pr.0.push(format!(
                    "{what}: the contents do not match their SHA-256 (the file is damaged)"
                ));
            }
            if !pr.0.is_empty() {
                continue;
            }
            let by = people
                .opt_account(tx, Role::Teacher, &d.uploaded_by)
                .await?;
            let cols = rows.base(vec![
                ("involvement_id", Val::from(involvement)),
                ("title", Val::from(d.title.as_str())),
                ("file_name", Val::from(d.file_name.as_str())),
                ("kind", Val::from(d.kind.as_str())),
                ("size_bytes", Val::from(bytes.len() as i64)),
                ("sha256", Val::from(sha)),
                ("data", Val::Blob(bytes)),
                ("shared_with_parents", Val::from(d.shared_with_parents)),
                ("uploaded_by", Val::from(by)),
                ("uploaded_at", Val::from(at)),
            ]);
            Store::insert_record_row(tx, "involvement_reports", &cols).await?;
        }
        Ok(())
    }
}
