//! Creating and changing pupils' records, shared by the pages and the API.
//!
//! Each change is one transaction holding the change, the previous version and its audit
//! row, so either all of it lands or none.

use senco_domain::Date;
use senco_domain::pupil::{Problem, PupilField, ValidPupil};
use senco_store::pupils::{Pupil, PupilFields};
use senco_store::{Store, StoreError};

use crate::App;
use crate::access::Actor;
use crate::transfers::{ProbeError, ProbeGuard};
use senco_store::imports::Probe;

/// The parts of a pupil's record beyond the validated identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Circumstances {
    pub year_override: Option<i64>,
    pub reg_group_id: Option<String>,
    pub looked_after: bool,
    pub eal: bool,
    pub fsm: bool,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// A field is wrong (already-known rules, such as a UPN used by another pupil).
    #[error("invalid field")]
    Invalid(Vec<(PupilField, Problem)>),
    /// The record changed since the caller read it.
    #[error("conflict")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored form of validated details.
pub fn fields(v: &ValidPupil, c: &Circumstances) -> PupilFields {
    PupilFields {
        upn: v.upn.as_ref().map(|u| u.as_str().to_string()),
        former_upn: v.former_upn.as_ref().map(|u| u.as_str().to_string()),
        legal_forename: v.legal_forename.as_str().to_string(),
        legal_surname: v.legal_surname.as_str().to_string(),
        preferred_forename: v
            .preferred_forename
            .as_ref()
            .map(|n| n.as_str().to_string()),
        preferred_surname: v.preferred_surname.as_ref().map(|n| n.as_str().to_string()),
        date_of_birth: v.date_of_birth,
        sex: v.sex,
        year_override: c.year_override,
        reg_group_id: c.reg_group_id.clone(),
        looked_after: c.looked_after,
        eal: c.eal,
        fsm: c.fsm,
        language: v.language,
    }
}

/// What [`upn_problems`] found.
#[derive(Debug, Default)]
struct UpnCheck {
    problems: Vec<(PupilField, Problem)>,
    probes: Vec<Probe>,
}

/// A UPN (or former UPN) must not belong to any other pupil in the installation. The
/// answer reveals nothing about that pupil. A new UPN of another school's pupil whose date of
/// birth is not the one entered is a probe (SR-07), which [`refuse`] audits and counts; when
/// the person is `over_limit` already, new UPNs are refused whoever holds them.
async fn upn_problems(
    tx: &mut senco_store::Tx,
    f: &PupilFields,
    before: Option<&Pupil>,
    school_id: &str,
    over_limit: bool,
) -> Result<UpnCheck, StoreError> {
    let except = before.map(|p| p.id.as_str());
    let mut out = UpnCheck::default();
    for (field, upn, old) in [
        (PupilField::Upn, &f.upn, before.and_then(|b| b.upn.as_ref())),
        (
            PupilField::FormerUpn,
            &f.former_upn,
            before.and_then(|b| b.former_upn.as_ref()),
        ),
    ] {
        let Some(upn) = upn else { continue };
        if over_limit && old != Some(upn) {
            out.problems.push((field, Problem::TooManyProbes));
            continue;
        }
        if let Some((pupil_id, holder_school, born)) = Store::upn_holder(tx, upn, except).await? {
            if holder_school != school_id && born != f.date_of_birth {
                out.probes.push(Probe {
                    row: 0,
                    pupil_id,
                    school_id: holder_school,
                });
            }
            out.problems.push((field, Problem::InUse));
        }
    }
    Ok(out)
}

/// The refusal of UPN problems, once the change's transaction is gone: probes are audited
/// and counted, and past the limit every "in use" becomes "too many attempts".
async fn refuse(guard: &ProbeGuard, state: &App, mut check: UpnCheck) -> ChangeError {
    match guard.record(&state.store, &check.probes).await {
        Ok(()) => {}
        Err(ProbeError::TooMany) => {
            for p in check.problems.iter_mut().filter(|p| p.1 == Problem::InUse) {
                p.1 = Problem::TooManyProbes;
            }
        }
        Err(ProbeError::Store(e)) => return e.into(),
    }
    ChangeError::Invalid(check.problems)
}

/// The probe guard for `actor`, and whether they are over its limit already. The count is
/// read only when `f` names a UPN that `before` does not hold, so editing other details of
/// a pupil costs no extra query.
async fn probe_guard(
    state: &App,
    actor: &Actor<'_>,
    f: &PupilFields,
    before: Option<&Pupil>,
) -> Result<(ProbeGuard, bool), StoreError> {
    let guard = ProbeGuard::new(
        actor.event(state, "pupil", "create", "allowed"),
        &state.settings,
    );
    let new_upn = [
        (&f.upn, before.and_then(|b| b.upn.as_ref())),
        (&f.former_upn, before.and_then(|b| b.former_upn.as_ref())),
    ]
    .into_iter()
    .any(|(upn, old)| upn.is_some() && upn.as_ref() != old);
    if !new_upn {
        return Ok((guard, false));
    }
    let over = match guard.check(&state.store).await {
        Ok(()) => false,
        Err(ProbeError::TooMany) => true,
        Err(ProbeError::Store(e)) => return Err(e),
    };
    Ok((guard, over))
}

/// Adds a pupil at `school_id`, audited as a creation.
pub async fn create_pupil(
    state: &App,
    actor: &Actor<'_>,
    school_id: &str,
    f: &PupilFields,
    enrolled_on: Date,
) -> Result<String, ChangeError> {
    let now = state.now();
    let (guard, over) = probe_guard(state, actor, f, None).await?;
    let mut tx = state.store.begin().await?;
    let check = upn_problems(&mut tx, f, None, school_id, over).await?;
    if !check.problems.is_empty() {
        drop(tx);
        return Err(refuse(&guard, state, check).await);
    }
    let id = Store::insert_pupil(&mut tx, school_id, f, enrolled_on, now).await?;
    let e = actor
        .event(state, "pupil", "create", "allowed")
        .school(school_id.to_string())
        .pupil(id.clone())
        .record(id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Changes a pupil's details if `expected_version` is still current, auditing the names of
/// the fields changed. Returns the new version.
pub async fn update_pupil(
    state: &App,
    actor: &Actor<'_>,
    before: &Pupil,
    f: &PupilFields,
    expected_version: i64,
) -> Result<i64, ChangeError> {
    if expected_version != before.version {
        return Err(ChangeError::Conflict);
    }
    let changed = f.changed_fields(&PupilFields::from(before));
    if changed.is_empty() {
        return Ok(before.version);
    }
    let now = state.now();
    let (guard, over) = probe_guard(state, actor, f, Some(before)).await?;
    let mut tx = state.store.begin().await?;
    let check = upn_problems(&mut tx, f, Some(before), &before.school_id, over).await?;
    if !check.problems.is_empty() {
        drop(tx);
        return Err(refuse(&guard, state, check).await);
    }
    let version = match Store::update_pupil(
        &mut tx,
        before,
        f,
        expected_version,
        Some(&actor.principal.user.id),
        now,
    )
    .await
    {
        Err(StoreError::Conflict) => return Err(ChangeError::Conflict),
        other => other?,
    };
    let e = actor
        .event(state, "pupil", "update", "allowed")
        .school(before.school_id.clone())
        .pupil(before.id.clone())
        .record(before.id.clone())
        .fields(changed.join(","));
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(version)
}

/// The year group shown for a pupil: the school's override, or worked out from the date of
/// birth for the academic year containing `today`.
pub fn year_group(p: &Pupil, today: Date) -> Option<senco_domain::year_group::YearGroup> {
    use senco_domain::year_group::{YearGroup, academic_year_start, nc_year};
    match p.year_override {
        Some(code) => i8::try_from(code).ok().and_then(YearGroup::from_code),
        None => nc_year(p.date_of_birth, academic_year_start(today)),
    }
}

/// The date-of-birth range of a year group in the academic year containing `today`.
pub fn year_dob_range(code: i8, today: Date) -> Option<(Date, Date)> {
    use senco_domain::year_group::academic_year_start;
    let cohort = academic_year_start(today) - i32::from(code) - 5;
    let from = Date::from_calendar_date(cohort, time::Month::September, 1).ok()?;
    let to = Date::from_calendar_date(cohort + 1, time::Month::August, 31).ok()?;
    Some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn year_ranges_match_the_domain_rule() {
        let today = date!(2026 - 11 - 23);
        let (from, to) = year_dob_range(0, today).unwrap();
        assert_eq!((from, to), (date!(2021 - 09 - 01), date!(2022 - 08 - 31)));
        for d in [from, to] {
            let y = senco_domain::year_group::nc_year(d, 2026).unwrap();
            assert_eq!(y.code(), 0);
        }
    }
}
