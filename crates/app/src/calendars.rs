//! Calendars (issue 19, point 3): a local authority's term dates, INSET days and closures,
//! a school's own entries over them, imports from a CSV or iCalendar file, and the published
//! bank holidays. Shared by the pages, the API and `senco calendar`.
//!
//! A school's own entries override its authority's simply: if the school has any term of
//! its own, its terms replace all of the authority's; INSET days and closures always add up.
//! Deadlines read the school's effective calendar through [`school_calendar`]. Every change
//! is one transaction with its audit row; an import is checked whole and written all or
//! nothing.

use std::sync::LazyLock;

use senco_domain::bank_holidays::BankHolidays;
use senco_domain::calendar::SchoolCalendar;
use senco_domain::calendar_entry::{EntryDraft, ValidEntry};
use senco_domain::problem::Problem;
use senco_interop::calendar_file::{self, Format};
use senco_store::audit::AuditEvent;
use senco_store::calendar::CalendarEntry;
use senco_store::schools::School;
use senco_store::{Store, StoreError};
use time::OffsetDateTime;

/// The bank holidays shipped in the binary (read once).
static SHIPPED: LazyLock<BankHolidays> = LazyLock::new(senco_interop::bank_holidays::shipped);

/// Whose calendar an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Authority { la_id: &'a str },
    School { la_id: &'a str, school_id: &'a str },
}

impl Owner<'_> {
    fn la_id(&self) -> &str {
        match self {
            Owner::Authority { la_id } | Owner::School { la_id, .. } => la_id,
        }
    }

    fn school_id(&self) -> Option<&str> {
        match self {
            Owner::Authority { .. } => None,
            Owner::School { school_id, .. } => Some(school_id),
        }
    }
}

/// Why a change was not made (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Every problem of what was given, by field.
    #[error("the entry has problems")]
    Invalid(Vec<Problem>),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CalendarError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CalendarError::NotFound,
            e => CalendarError::Store(e),
        }
    }
}

/// The bank holidays in force: those last loaded, or the shipped copy.
pub async fn bank_holidays(store: &Store) -> Result<BankHolidays, StoreError> {
    Ok(store
        .bank_holidays()
        .await?
        .unwrap_or_else(|| SHIPPED.clone()))
}

/// A school's effective calendar: its terms (or its authority's), the INSET days and
/// closures of both, and the bank holidays in force. Past its last term, deadlines are
/// counted in weekdays and marked estimated (`SchoolCalendar::add_school_days`).
pub async fn school_calendar(store: &Store, school: &School) -> Result<SchoolCalendar, StoreError> {
    let calendar = store.school_calendar(school).await?;
    Ok(calendar.with_bank_holidays(&bank_holidays(store).await?))
}

fn event(base: &AuditEvent, action: &'static str, id: &str, now: OffsetDateTime) -> AuditEvent {
    AuditEvent {
        at: now,
        record_type: "calendar_entry",
        action,
        record_id: Some(id.to_string()),
        outcome: "allowed",
        fields: Some("kind,name,start,end".into()),
        ..base.clone()
    }
}

/// Adds an entry to `owner`'s calendar.
pub async fn add_entry(
    store: &Store,
    audit: &AuditEvent,
    owner: Owner<'_>,
    draft: &EntryDraft,
    now: OffsetDateTime,
) -> Result<String, CalendarError> {
    let entry = draft.validate().map_err(CalendarError::Invalid)?;
    let mut tx = store.begin().await?;
    let id =
        Store::insert_calendar_entry(&mut tx, owner.la_id(), owner.school_id(), &entry).await?;
    Store::audit_in(
        &mut tx,
        &event(audit, "create", &id, now).school(owner.school_id().map(str::to_string)),
    )
    .await?;
    senco_store::commit(tx).await?;
    Ok(id)
}

/// Changes an entry.
pub async fn edit_entry(
    store: &Store,
    audit: &AuditEvent,
    current: &CalendarEntry,
    draft: &EntryDraft,
    now: OffsetDateTime,
) -> Result<(), CalendarError> {
    let entry = draft.validate().map_err(CalendarError::Invalid)?;
    let mut changed = Vec::new();
    let old = &current.entry;
    for (field, differs) in [
        ("kind", old.kind != entry.kind),
        ("name", old.name != entry.name),
        ("start", old.range.start != entry.range.start),
        ("end", old.range.end != entry.range.end),
    ] {
        if differs {
            changed.push(field);
        }
    }
    let mut tx = store.begin().await?;
    Store::update_calendar_entry(&mut tx, &current.id, &entry).await?;
    let mut e = event(audit, "update", &current.id, now).school(current.school_id.clone());
    e.fields = Some(changed.join(","));
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// Removes an entry.
pub async fn delete_entry(
    store: &Store,
    audit: &AuditEvent,
    current: &CalendarEntry,
    now: OffsetDateTime,
) -> Result<(), CalendarError> {
    let mut tx = store.begin().await?;
    Store::delete_calendar_entry(&mut tx, &current.id).await?;
    let e = event(audit, "delete", &current.id, now).school(current.school_id.clone());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}

/// A checked calendar file: every entry valid, with the line it came from.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub format: Format,
    pub entries: Vec<(usize, ValidEntry)>,
}

/// Why a file cannot be imported (nothing was written).
#[derive(Debug, Clone)]
pub enum ImportError {
    /// The file as a whole (too large, not the format, empty).
    File(Problem),
    /// The problems of its entries, by line.
    Lines(Vec<(usize, Problem)>),
}

/// Reads and checks a whole calendar file.
pub fn plan_import(bytes: &[u8]) -> Result<ImportPlan, ImportError> {
    let (format, entries) = calendar_file::parse(bytes).map_err(ImportError::File)?;
    let mut problems = Vec::new();
    let mut valid = Vec::new();
    for e in entries {
        match e.draft.validate() {
            Ok(v) => valid.push((e.line, v)),
            Err(ps) => problems.extend(ps.into_iter().map(|p| (e.line, p))),
        }
    }
    if problems.is_empty() {
        Ok(ImportPlan {
            format,
            entries: valid,
        })
    } else {
        Err(ImportError::Lines(problems))
    }
}

/// Adds every entry of a checked file to `owner`'s calendar in one transaction, with one
/// audit row.
pub async fn commit_import(
    store: &Store,
    audit: &AuditEvent,
    owner: Owner<'_>,
    plan: &ImportPlan,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    for (_, entry) in &plan.entries {
        Store::insert_calendar_entry(&mut tx, owner.la_id(), owner.school_id(), entry).await?;
    }
    let e = AuditEvent {
        at: now,
        record_type: "calendar_entry",
        action: "import",
        record_id: Some(owner.school_id().unwrap_or(owner.la_id()).to_string()),
        outcome: "allowed",
        fields: None,
        ..audit.clone()
    }
    .school(owner.school_id().map(str::to_string));
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(plan.entries.len())
}

/// Replaces the bank holidays in force with a checked set, with its audit row.
pub async fn replace_bank_holidays(
    store: &Store,
    audit: &AuditEvent,
    set: &BankHolidays,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    Store::replace_bank_holidays(&mut tx, set).await?;
    let e = AuditEvent {
        at: now,
        record_type: "bank_holidays",
        action: "update",
        record_id: None,
        outcome: "allowed",
        fields: None,
        ..audit.clone()
    };
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(())
}
