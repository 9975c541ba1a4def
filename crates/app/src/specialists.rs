//! Outside specialists, shared by pages and API: the school's agencies and their people,
//! referrals with parental consent, the involvement's status, visits and advice, uploaded
//! reports (checked and cleaned by [`senco_interop::upload`]) and turning a recommendation
//! into a plan strategy.
//!
//! The rules are the domain's ([`senco_domain::specialist`]); every change is one
//! transaction with its audit row, and every download of a report is audited.

use senco_domain::Date;
use senco_domain::entry::Entry;
use senco_domain::policy::{Action, Relation, Resource, pupil_reach};
use senco_domain::specialist::{
    AgencyKind, InvolvementStatus, NoteKind, add_strategy, check_status, only_own_involvements,
    report_visible,
};
use senco_interop::upload::check_upload;
use senco_store::pupils::Pupil;
use senco_store::specialists::{
    Involvement, InvolvementState, NewInvolvement, NewNote, NewReport, Note, Report,
};
use senco_store::{Store, StoreError};
use sha2::{Digest, Sha256};

use crate::App;
use crate::access::{AccessError, Actor, deny_pupil, may, pupil_for};
use crate::principal::Principal;
use crate::provision::Typed;
use crate::sen::SenError;
use senco_domain::problem::Problem;

fn optional(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// An agency as typed.
#[derive(Debug, Clone, Default)]
pub struct AgencyInput {
    pub kind: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// Adds an agency to a school's list.
pub async fn add_agency(
    state: &App,
    actor: &Actor<'_>,
    school_id: &str,
    input: &AgencyInput,
) -> Result<String, SenError> {
    let mut issues = Vec::new();
    let kind = AgencyKind::parse(&input.kind);
    if kind.is_none() {
        issues.push(Problem::new("kind", "missing", "specialists.kind_missing"));
    }
    let name = input.name.trim();
    if name.is_empty() {
        issues.push(Problem::new(
            "agency_name",
            "missing",
            "specialists.agency_name_missing",
        ));
    }
    let (Some(kind), true) = (kind, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let id = Store::insert_agency(
        &mut tx,
        school_id,
        kind,
        name,
        optional(&input.email),
        optional(&input.phone),
        state.now(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Duplicate(_) => SenError::Invalid(vec![Problem::new(
            "agency_name",
            "duplicate",
            "specialists.agency_name_duplicate",
        )]),
        e => SenError::Store(e),
    })?;
    let e = actor
        .event(state, "agency", "create", "allowed")
        .school(school_id.to_string())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// A person of an agency as typed.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub agency_id: String,
    pub name: String,
    pub role: String,
    pub email: String,
}

/// Adds a person to one of a school's agencies.
pub async fn add_person(
    state: &App,
    actor: &Actor<'_>,
    school_id: &str,
    input: &PersonInput,
) -> Result<String, SenError> {
    let mut issues = Vec::new();
    let agency = state
        .store
        .agencies(school_id)
        .await?
        .into_iter()
        .find(|a| a.id == input.agency_id.trim());
    if agency.is_none() {
        issues.push(Problem::new(
            "agency_id",
            "unknown_value",
            "specialists.agency_id_unknown_value",
        ));
    }
    if input.name.trim().is_empty() {
        issues.push(Problem::new(
            "person_name",
            "missing",
            "specialists.person_name_missing",
        ));
    }
    let email = optional(&input.email).map(|e| e.to_lowercase());
    if let Some(e) = &email
        && senco_domain::person::Email::parse(e).is_err()
    {
        issues.push(Problem::new(
            "person_email",
            "email",
            "specialists.person_email_email",
        ));
    }
    let (Some(agency), true) = (agency, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let id = Store::insert_person(
        &mut tx,
        &agency,
        input.name.trim(),
        input.role.trim(),
        email.as_deref(),
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "agency_person", "create", "allowed")
        .school(school_id.to_string())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// A referral as typed.
#[derive(Debug, Clone, Default)]
pub struct ReferralInput {
    pub agency_id: String,
    pub person_id: String,
    pub referral_on: Typed<Date>,
    pub reason: String,
    pub consent_on: Typed<Date>,
    pub consent_by: String,
}

fn past_date(
    issues: &mut Vec<Problem>,
    field: &'static str,
    v: Typed<Date>,
    today: Date,
    missing: &'static str,
) -> Option<Date> {
    match v {
        Entry::Valid(d) if d <= today => Some(d),
        Entry::Valid(_) => {
            issues.push(Problem::new(field, "in_future", "date.in_future"));
            None
        }
        Entry::Invalid => {
            issues.push(Problem::new(field, "not_a_date", "date.not_real"));
            None
        }
        Entry::Blank => {
            if !missing.is_empty() {
                issues.push(Problem::new(field, "missing", missing));
            }
            None
        }
    }
}

/// The consent given: a date and who gave it, both or neither.
fn consent_of<'a>(
    issues: &mut Vec<Problem>,
    on: Typed<Date>,
    by: &'a str,
    today: Date,
) -> Option<(Date, &'a str)> {
    let by = by.trim();
    if on.is_blank() && by.is_empty() {
        return None;
    }
    let date = past_date(
        issues,
        "consent_on",
        on,
        today,
        "specialists.consent_on_missing",
    );
    if by.is_empty() {
        issues.push(Problem::new(
            "consent_by",
            "missing",
            "specialists.consent_by_missing",
        ));
    }
    date.filter(|_| !by.is_empty()).map(|d| (d, by))
}

/// Records a referral to an outside agency.
pub async fn refer(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    input: &ReferralInput,
) -> Result<String, SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    let agencies = state.store.agencies(&pupil.school_id).await?;
    let agency = agencies.iter().find(|a| a.id == input.agency_id.trim());
    if agency.is_none() {
        issues.push(Problem::new(
            "agency_id",
            "unknown_value",
            "specialists.agency_id_unknown_value",
        ));
    }
    let people = state.store.people(&pupil.school_id).await?;
    let person = match optional(&input.person_id) {
        None => None,
        Some(id) => {
            let p = people
                .iter()
                .find(|p| p.id == id && agency.is_some_and(|a| a.id == p.agency_id));
            if p.is_none() {
                issues.push(Problem::new(
                    "person_id",
                    "unknown_value",
                    "specialists.person_id_unknown_value",
                ));
            }
            p
        }
    };
    let referral_on = past_date(
        &mut issues,
        "referral_on",
        input.referral_on,
        today,
        "specialists.referral_on_missing",
    );
    if input.reason.trim().is_empty() {
        issues.push(Problem::new(
            "reason",
            "missing",
            "specialists.reason_missing",
        ));
    }
    let consent = consent_of(&mut issues, input.consent_on, &input.consent_by, today);
    let (Some(agency), Some(referral_on), true) = (agency, referral_on, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let id = Store::insert_referral(
        &mut tx,
        &NewInvolvement {
            pupil_id: &pupil.id,
            school_id: &pupil.school_id,
            agency_id: &agency.id,
            person_id: person.map(|p| p.id.as_str()),
            specialist_user_id: person.and_then(|p| p.user_id.as_deref()),
            referral_on,
            reason: input.reason.trim(),
            consent,
            created_by: Some(&actor.principal.user.id),
        },
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "involvement", "create", "allowed")
        .school(pupil.school_id.clone())
        .pupil(pupil.id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// A change of an involvement's status or consent.
#[derive(Debug, Clone, Default)]
pub struct StatusInput {
    pub status: String,
    pub consent_on: Typed<Date>,
    pub consent_by: String,
    pub withdraw_consent: bool,
}

/// Moves an involvement on, records or withdraws consent. Closing it or withdrawing consent
/// removes the specialist's access on their next request.
pub async fn change_involvement(
    state: &App,
    actor: &Actor<'_>,
    inv: &Involvement,
    version: i64,
    input: &StatusInput,
) -> Result<(), SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    let to = match input.status.trim() {
        "" => Some(inv.status),
        s => InvolvementStatus::parse(s),
    };
    if to.is_none() {
        issues.push(Problem::new(
            "status",
            "unknown_value",
            "specialists.status_unknown_value",
        ));
    }
    let new_consent = consent_of(&mut issues, input.consent_on, &input.consent_by, today);
    let (consent, withdrawn) = if input.withdraw_consent {
        (None, Some(today))
    } else {
        let kept = inv.consent_on.zip(inv.consent_by.as_deref());
        (new_consent.or(kept), inv.consent_withdrawn_on)
    };
    // Withdrawing consent leaves the status as it is (access ends all the same); moving on
    // to accepted or active needs consent.
    if let Some(to) = to
        && let Err(e) = check_status(inv.status, to, consent.is_some() || to == inv.status)
    {
        issues.push(e.problem("status"));
    }
    let (Some(to), true) = (to, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let closed_on = match to {
        InvolvementStatus::Closed => inv.closed_on.or(Some(today)),
        _ => None,
    };
    let mut tx = state.store.begin().await?;
    Store::update_involvement(
        &mut tx,
        &inv.id,
        version,
        &InvolvementState {
            status: to,
            consent,
            consent_withdrawn_on: withdrawn,
            closed_on,
        },
        state.now(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict => SenError::Conflict,
        e => SenError::Store(e),
    })?;
    let e = actor
        .event(state, "involvement", "update", "allowed")
        .school(inv.school_id.clone())
        .pupil(inv.pupil_id.clone())
        .record(inv.id.clone())
        .fields("status,consent".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// A note as typed.
#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    pub kind: String,
    pub on: Typed<Date>,
    pub body: String,
}

/// Adds a visit, assessment, advice or recommendation to an open involvement.
pub async fn add_note(
    state: &App,
    actor: &Actor<'_>,
    inv: &Involvement,
    input: &NoteInput,
) -> Result<String, SenError> {
    let today = state.today();
    let mut issues = Vec::new();
    if !inv.status.is_open() {
        issues.push(Problem::new(
            "kind",
            "closed_involvement",
            "specialists.kind_closed_involvement",
        ));
    }
    let kind = NoteKind::parse(&input.kind);
    if kind.is_none() {
        issues.push(Problem::new(
            "kind",
            "missing",
            "specialists.note_kind_missing",
        ));
    }
    let on = past_date(
        &mut issues,
        "on",
        input.on,
        today,
        "specialists.note_on_missing",
    );
    let body = input.body.trim();
    if body.is_empty() {
        issues.push(Problem::new("body", "missing", "specialists.body_missing"));
    } else if body.chars().count() > 20_000 {
        issues.push(Problem::new(
            "body",
            "too_long",
            "specialists.body_too_long",
        ));
    }
    let (Some(kind), Some(on), true) = (kind, on, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let mut tx = state.store.begin().await?;
    let id = Store::insert_note(
        &mut tx,
        &NewNote {
            involvement: inv,
            kind,
            on,
            body,
            author: Some(&actor.principal.user.id),
        },
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "involvement_note", "create", "allowed")
        .school(inv.school_id.clone())
        .pupil(inv.pupil_id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Checks, cleans and stores an uploaded report. A file of the wrong type, too large, or
/// whose name does not match its contents, is refused and nothing is stored.
pub async fn upload_report(
    state: &App,
    actor: &Actor<'_>,
    inv: &Involvement,
    title: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<String, SenError> {
    let mut issues = Vec::new();
    if !inv.status.is_open() {
        issues.push(Problem::new(
            "file",
            "closed_involvement",
            "specialists.file_closed_involvement",
        ));
    }
    let title = title.trim();
    if title.is_empty() {
        issues.push(Problem::new(
            "title",
            "missing",
            "specialists.title_missing",
        ));
    }
    let checked = if bytes.is_empty() && file_name.trim().is_empty() {
        issues.push(Problem::new("file", "missing", "specialists.file_missing"));
        None
    } else {
        match check_upload(file_name, bytes, state.settings.upload_limit) {
            Ok(c) => Some(c),
            Err(e) => {
                issues.push(e.problem("file"));
                None
            }
        }
    };
    let (Some(checked), true) = (checked, issues.is_empty()) else {
        return Err(SenError::Invalid(issues));
    };
    let sha = crate::credentials::hex(&Sha256::digest(&checked.bytes));
    let mut tx = state.store.begin().await?;
    let id = Store::insert_report(
        &mut tx,
        &NewReport {
            involvement: inv,
            title,
            file_name: &checked.display_name,
            kind: checked.kind.as_str(),
            sha256: &sha,
            data: &checked.bytes,
            uploaded_by: Some(&actor.principal.user.id),
        },
        state.now(),
    )
    .await?;
    let e = actor
        .event(state, "specialist_report", "create", "allowed")
        .school(inv.school_id.clone())
        .pupil(inv.pupil_id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Shares a report with the pupil's parents, or stops sharing it.
pub async fn share_report(
    state: &App,
    actor: &Actor<'_>,
    report: &Report,
    shared: bool,
) -> Result<(), SenError> {
    let mut tx = state.store.begin().await?;
    Store::set_report_shared(&mut tx, &report.id, shared).await?;
    let e = actor
        .event(state, "specialist_report", "update", "allowed")
        .school(report.school_id.clone())
        .pupil(report.pupil_id.clone())
        .record(report.id.clone())
        .fields("shared_with_parents".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// Adds a recommendation to the strategies of a target of the pupil's current plan, saving
/// a new version of the plan, and marks the recommendation as used.
pub async fn recommendation_to_strategy(
    state: &App,
    actor: &Actor<'_>,
    pupil: &Pupil,
    note: &Note,
    target_id: &str,
) -> Result<String, SenError> {
    let invalid = |code: &'static str| {
        SenError::Invalid(vec![Problem::new("target_id", "unknown_value", code)])
    };
    if note.kind != NoteKind::Recommendation {
        return Err(SenError::Invalid(vec![Problem::new(
            "note",
            "not_a_recommendation",
            "specialists.note_not_a_recommendation",
        )]));
    }
    let mut found = None;
    for listed in state.store.plans_for_pupil(&pupil.id).await? {
        if listed.fields.status == senco_domain::plan::PlanStatus::Closed {
            continue;
        }
        let plan = state.store.plan(&listed.id).await?;
        if plan.fields.targets.iter().any(|t| t.id == target_id) {
            found = Some(plan);
            break;
        }
    }
    let Some(plan) = found else {
        return Err(invalid("specialists.target_id_not_current"));
    };
    let mut input = crate::plans::PlanInput::from_stored(&plan.fields);
    let Some(slot) = input.targets.iter_mut().find(|t| t.id == target_id) else {
        return Err(invalid("specialists.target_id_not_current"));
    };
    slot.strategies = add_strategy(&slot.strategies, &note.body);
    crate::plans::save_plan(state, actor, pupil, &plan, &input, plan.version)
        .await
        .map_err(|e| match e {
            crate::plans::PlanError::Conflict => SenError::Conflict,
            crate::plans::PlanError::Store(e) => SenError::Store(e),
            _ => invalid("specialists.plan_unchangeable"),
        })?;
    let mut tx = state.store.begin().await?;
    Store::set_note_strategy(&mut tx, &note.id, target_id).await?;
    senco_store::commit(tx).await?;
    Ok(plan.id)
}

/// The relation through which the caller reaches pupils.
fn relation(p: &Principal) -> Option<Relation> {
    pupil_reach(p.user.role)
}

/// The involvements of a pupil the caller may see (a specialist only their own).
pub async fn visible_involvements(
    state: &App,
    p: &Principal,
    pupil_id: &str,
) -> Result<Vec<Involvement>, StoreError> {
    if !may(p, Resource::Involvement, Action::Read) {
        return Ok(Vec::new());
    }
    let own = relation(p)
        .is_some_and(only_own_involvements)
        .then_some(p.user.id.as_str());
    state
        .store
        .involvements(&p.scope(), Some(pupil_id), None, own)
        .await
}

/// One involvement the caller may see, by id.
pub async fn visible_involvement(
    state: &App,
    p: &Principal,
    id: &str,
) -> Result<Option<Involvement>, StoreError> {
    if !may(p, Resource::Involvement, Action::Read) {
        return Ok(None);
    }
    let own = relation(p)
        .is_some_and(only_own_involvements)
        .then_some(p.user.id.as_str());
    Ok(state
        .store
        .involvements(&p.scope(), None, Some(id), own)
        .await?
        .into_iter()
        .next())
}

/// The reports of some involvements the caller may see (parents only shared ones).
pub async fn visible_reports(
    state: &App,
    p: &Principal,
    involvements: &[Involvement],
) -> Result<Vec<Report>, StoreError> {
    if !may(p, Resource::SpecialistReports, Action::Read) {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = involvements.iter().map(|i| i.id.clone()).collect();
    let Some(rel) = relation(p) else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .reports(&ids)
        .await?
        .into_iter()
        .filter(|r| report_visible(rel, r.shared_with_parents))
        .collect())
}

/// Audits a download of a report before it is sent: written at once, not queued, so that no
/// download goes unrecorded even if the server stops a moment later.
pub async fn audit_download(
    state: &App,
    actor: &Actor<'_>,
    report: &Report,
) -> Result<(), StoreError> {
    let e = actor
        .event(state, "specialist_report", "download", "allowed")
        .school(report.school_id.clone())
        .pupil(report.pupil_id.clone())
        .record(report.id.clone());
    state.store.audit(&e).await
}

/// The chronology events of a pupil's involvements the caller may see: referrals, consent,
/// notes (for those who may read them) and reports (parents only shared ones).
pub async fn chronology_items(
    state: &App,
    p: &Principal,
    pupil: &Pupil,
) -> Result<Vec<crate::sen::ChronologyItem>, StoreError> {
    use crate::sen::ChronologyItem;
    let involvements = visible_involvements(state, p, &pupil.id).await?;
    let mut items = Vec::new();
    for i in &involvements {
        let agency = i.agency_name.clone().unwrap_or_default();
        if let Some(on) = i.referral_on {
            items.push(ChronologyItem {
                date: on,
                kind: "referral",
                title: format!("Referral to {agency}"),
                detail: i.reason.clone(),
                record_id: i.id.clone(),
            });
        }
        if let (Some(on), Some(by)) = (i.consent_on, &i.consent_by) {
            items.push(ChronologyItem {
                date: on,
                kind: "consent",
                title: format!("Consent to the referral to {agency}"),
                detail: format!("Given by {by}"),
                record_id: i.id.clone(),
            });
        }
        if let Some(on) = i.closed_on {
            items.push(ChronologyItem {
                date: on,
                kind: "involvement_closed",
                title: format!("Involvement of {agency} closed"),
                detail: String::new(),
                record_id: i.id.clone(),
            });
        }
    }
    let ids: Vec<String> = involvements.iter().map(|i| i.id.clone()).collect();
    if may(p, Resource::InvolvementNotes, Action::Read) {
        for n in state.store.notes(&ids).await? {
            let agency = involvements
                .iter()
                .find(|i| i.id == n.involvement_id)
                .and_then(|i| i.agency_name.clone())
                .unwrap_or_default();
            items.push(ChronologyItem {
                date: n.on,
                kind: n.kind.as_str(),
                title: format!("{}: {agency}", n.kind.label()),
                detail: n.body,
                record_id: n.id,
            });
        }
    }
    for r in visible_reports(state, p, &involvements).await? {
        items.push(ChronologyItem {
            date: senco_domain::calendar::london_date(r.uploaded_at),
            kind: "report",
            title: format!("Report: {}", r.title),
            detail: r.file_name,
            record_id: r.id,
        });
    }
    Ok(items)
}

/// An involvement by id the caller may see, checked by the matrix like its pupil; one out
/// of reach is refused as not found, and the refusal audited.
pub async fn reach_involvement(
    state: &App,
    actor: &Actor<'_>,
    id: &str,
    resource: Resource,
    action: Action,
) -> Result<(Involvement, Pupil), AccessError> {
    match visible_involvement(state, actor.principal, id).await? {
        Some(inv) => {
            let pupil = pupil_for(state, actor, &inv.pupil_id, resource, action).await?;
            Ok((inv, pupil))
        }
        None => {
            match state.store.involvement_pupil_unscoped_for_audit(id).await? {
                Some(pupil) => deny_pupil(state, actor, &pupil, resource, action).await,
                // A probe of a missing id is audited alike (SR-03).
                None => crate::access::deny_missing(state, actor, id, resource, action).await,
            }
            Err(AccessError::NotFound)
        }
    }
}

/// A report by id the caller may see (parents only shared ones), with its involvement and
/// pupil; anything else is refused as not found, and the refusal audited.
pub async fn reach_report(
    state: &App,
    actor: &Actor<'_>,
    id: &str,
    action: Action,
) -> Result<(Report, Involvement, Pupil), AccessError> {
    let report = match state.store.report(id).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => {
            crate::access::deny_missing(state, actor, id, Resource::SpecialistReports, action)
                .await;
            return Err(AccessError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    let (inv, pupil) = reach_involvement(
        state,
        actor,
        &report.involvement_id,
        Resource::SpecialistReports,
        action,
    )
    .await?;
    let visible = visible_reports(state, actor.principal, std::slice::from_ref(&inv))
        .await?
        .into_iter()
        .any(|r| r.id == report.id);
    if !visible {
        deny_pupil(
            state,
            actor,
            &report.pupil_id,
            Resource::SpecialistReports,
            action,
        )
        .await;
        return Err(AccessError::NotFound);
    }
    Ok((report, inv, pupil))
}

#[cfg(test)]
mod tests {
    use senco_interop::upload::{FileKind, UploadError};

    /// Issue 18: an upload's problem reads exactly as the error's own words did.
    #[test]
    fn upload_problems_read_as_before() {
        for e in [
            UploadError::Empty,
            UploadError::TooLarge {
                limit: 10 * 1024 * 1024,
            },
            UploadError::TooLarge { limit: 100 },
            UploadError::NotAllowed,
            UploadError::ExtensionMismatch {
                kind: FileKind::Pdf,
            },
            UploadError::Archive,
            UploadError::ArchiveTooLarge,
            UploadError::Image,
        ] {
            let p = e.problem("file");
            assert_eq!(p.reason, e.reason());
            assert_eq!(
                senco_i18n::messages(senco_domain::lang::Lang::English).problem(&p),
                e.to_string(),
                "{}",
                p.code
            );
        }
    }
}
