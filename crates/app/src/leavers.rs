//! Recording that a pupil has left their school (issue 19, point 6), for the pupil page, the
//! API and `senco retention leave`. The enrolment ends (feeding retention), and the
//! destination's DfE number, when known, addresses the pupil's CTF.

use senco_domain::leaving::{Laestab, Leaving, LeavingEntry, LeavingProblem, check};
use senco_domain::policy::{Action, Resource};
use senco_store::audit::AuditEvent;
use senco_store::pupils::{Enrolment, Pupil};
use senco_store::{Store, StoreError};

use crate::App;
use crate::access::{AccessError, Actor, pupil_for};

/// Why a leaving was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    /// Not there, or not for this person.
    #[error("not found")]
    NotFound,
    /// The pupil is not on roll at their school (already left).
    #[error("not on roll")]
    NotOnRoll,
    #[error("invalid leaving")]
    Invalid(Vec<LeavingProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessError> for LeaveError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => LeaveError::NotFound,
            AccessError::Store(e) => LeaveError::Store(e),
        }
    }
}

/// The enrolment at the pupil's own school that has not ended, if any.
pub fn open_enrolment<'a>(pupil: &Pupil, enrolments: &'a [Enrolment]) -> Option<&'a Enrolment> {
    enrolments
        .iter()
        .find(|e| e.school_id == pupil.school_id && e.ends_on.is_none())
}

/// A pupil who may be recorded as leaving by the caller, with their open enrolment.
pub async fn leaver(
    app: &App,
    actor: &Actor<'_>,
    pupil_id: &str,
) -> Result<(Pupil, Enrolment), LeaveError> {
    let pupil = pupil_for(app, actor, pupil_id, Resource::PupilDetails, Action::Update).await?;
    let enrolments = app.store.enrolments(&pupil.id).await?;
    let open = open_enrolment(&pupil, &enrolments)
        .cloned()
        .ok_or(LeaveError::NotOnRoll)?;
    Ok((pupil, open))
}

/// Checks `entry` for `pupil`, who joined on `open.starts_on`, against their school's number.
pub async fn checked(
    store: &Store,
    pupil: &Pupil,
    open: &Enrolment,
    entry: &LeavingEntry<'_>,
    today: senco_domain::Date,
) -> Result<Leaving, LeaveError> {
    let school = store.school(&pupil.school_id).await?;
    let own = Laestab::parse(&format!("{}{}", school.la_code, school.estab_number));
    check(entry, today, open.starts_on, own).map_err(LeaveError::Invalid)
}

/// Writes a checked leaving and its audit row in one transaction.
pub async fn write(
    store: &Store,
    pupil: &Pupil,
    leaving: &Leaving,
    mut event: AuditEvent,
) -> Result<(), LeaveError> {
    let destination = leaving.destination.map(|d| d.to_string());
    let mut tx = store.begin().await?;
    match Store::record_leaving(
        &mut tx,
        &pupil.id,
        leaving.on,
        leaving.transferred_out,
        destination.as_deref(),
    )
    .await
    {
        Err(StoreError::NotFound) => return Err(LeaveError::NotOnRoll),
        other => other?,
    }
    event.school_id = Some(pupil.school_id.clone());
    event.pupil_id = Some(pupil.id.clone());
    event.record_id = Some(pupil.id.clone());
    event.fields = Some("ends_on,leaving,destination_laestab".into());
    Store::audit_in(&mut tx, &event).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// Records that a pupil left, as the pages and the API do: only someone who may change the
/// pupil's details, only while they are on roll, and nothing changes when refused.
pub async fn record_leaving(
    app: &App,
    actor: &Actor<'_>,
    pupil_id: &str,
    entry: &LeavingEntry<'_>,
) -> Result<Leaving, LeaveError> {
    let (pupil, open) = leaver(app, actor, pupil_id).await?;
    let leaving = checked(&app.store, &pupil, &open, entry, app.today()).await?;
    write(
        &app.store,
        &pupil,
        &leaving,
        actor.event(app, "enrolment", "update", "allowed"),
    )
    .await?;
    Ok(leaving)
}

/// The destination every one of `pupil_ids` was recorded as leaving for, when they all
/// share one: the CTF export's default address.
pub async fn shared_destination(
    store: &Store,
    pupil_ids: &[String],
) -> Result<Option<Laestab>, StoreError> {
    let mut shared: Option<Laestab> = None;
    for id in pupil_ids {
        let enrolments = store.enrolments(id).await?;
        let dest = enrolments
            .iter()
            .filter_map(|e| e.destination_laestab.as_deref())
            .next()
            .and_then(Laestab::parse);
        match (dest, shared) {
            (None, _) => return Ok(None),
            (Some(d), None) => shared = Some(d),
            (Some(d), Some(s)) if d != s => return Ok(None),
            _ => {}
        }
    }
    Ok(shared)
}
