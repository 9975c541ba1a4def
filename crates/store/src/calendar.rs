//! Calendars (issue 19, point 3): the entries of a local authority's or a school's calendar
//! (terms, INSET days, closures) and the published bank holidays last loaded.

use senco_domain::bank_holidays::{BankHolidays, Division, Holiday};
use senco_domain::calendar::DateRange;
use senco_domain::calendar_entry::{EntryKind, ValidEntry};
use sqlx::Row;

use crate::{AnyRow, Result, Store, StoreError, Tx, ds, flag, get_flag, new_id, parse_ds};

/// A stored entry of a calendar: an authority's (`school_id` empty) or a school's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub id: String,
    pub la_id: String,
    pub school_id: Option<String>,
    pub entry: ValidEntry,
}

fn entry_from(r: &AnyRow) -> Result<CalendarEntry> {
    let kind: String = r.try_get("kind")?;
    let corrupt = |column: &'static str, value: String| StoreError::Corrupt {
        table: "calendar_entries",
        column,
        value,
    };
    let start = parse_ds(&r.try_get::<String, _>("starts_on")?)?;
    let end = parse_ds(&r.try_get::<String, _>("ends_on")?)?;
    Ok(CalendarEntry {
        id: r.try_get("id")?,
        la_id: r.try_get("la_id")?,
        school_id: r.try_get("school_id")?,
        entry: ValidEntry {
            kind: EntryKind::parse(&kind).ok_or_else(|| corrupt("kind", kind.clone()))?,
            name: r.try_get("name")?,
            range: DateRange::new(start, end).ok_or_else(|| corrupt("ends_on", ds(end)))?,
        },
    })
}

impl Store {
    /// An authority's own entries (`school_id` `None`) or a school's own, by first day.
    pub async fn calendar_entries(
        &self,
        la_id: &str,
        school_id: Option<&str>,
    ) -> Result<Vec<CalendarEntry>> {
        let rows = match school_id {
            None => sqlx::query(
                "SELECT id, la_id, school_id, kind, name, starts_on, ends_on FROM calendar_entries \
                     WHERE la_id = $1 AND school_id IS NULL ORDER BY starts_on, kind, name",
            )
            .bind(la_id)
            .fetch_all(self.pool())
            .await?,
            Some(school) => sqlx::query(
                "SELECT id, la_id, school_id, kind, name, starts_on, ends_on FROM calendar_entries \
                     WHERE la_id = $1 AND school_id = $2 ORDER BY starts_on, kind, name",
            )
            .bind(la_id)
            .bind(school)
            .fetch_all(self.pool())
            .await?,
        };
        rows.iter().map(entry_from).collect()
    }

    /// One entry, or [`StoreError::NotFound`].
    pub async fn calendar_entry(&self, id: &str) -> Result<CalendarEntry> {
        let row = sqlx::query("SELECT id, la_id, school_id, kind, name, starts_on, ends_on FROM calendar_entries WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        entry_from(&row)
    }

    /// Adds an entry to an authority's calendar, or to one school's when `school_id` is given.
    pub async fn insert_calendar_entry(
        tx: &mut Tx,
        la_id: &str,
        school_id: Option<&str>,
        entry: &ValidEntry,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO calendar_entries (id, la_id, school_id, kind, name, starts_on, ends_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(la_id)
        .bind(school_id)
        .bind(entry.kind.as_str())
        .bind(&entry.name)
        .bind(ds(entry.range.start))
        .bind(ds(entry.range.end))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Changes an entry's kind, name and dates.
    pub async fn update_calendar_entry(tx: &mut Tx, id: &str, entry: &ValidEntry) -> Result<()> {
        let done = sqlx::query(
            "UPDATE calendar_entries SET kind = $1, name = $2, starts_on = $3, ends_on = $4 \
             WHERE id = $5",
        )
        .bind(entry.kind.as_str())
        .bind(&entry.name)
        .bind(ds(entry.range.start))
        .bind(ds(entry.range.end))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Removes an entry.
    pub async fn delete_calendar_entry(tx: &mut Tx, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM calendar_entries WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The bank holidays last loaded, or `None` if none were (the shipped copy applies).
    pub async fn bank_holidays(&self) -> Result<Option<BankHolidays>> {
        let rows = sqlx::query(
            "SELECT division, on_date, title, notes, bunting FROM bank_holidays \
             ORDER BY division, on_date",
        )
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut divisions: Vec<(Division, Vec<Holiday>)> = Vec::new();
        for r in &rows {
            let key: String = r.try_get("division")?;
            let division = Division::parse(&key).ok_or_else(|| StoreError::Corrupt {
                table: "bank_holidays",
                column: "division",
                value: key.clone(),
            })?;
            let holiday = Holiday {
                date: parse_ds(&r.try_get::<String, _>("on_date")?)?,
                title: r.try_get("title")?,
                notes: r.try_get("notes")?,
                bunting: get_flag(r, "bunting")?,
            };
            match divisions.last_mut() {
                Some((d, list)) if *d == division => list.push(holiday),
                _ => divisions.push((division, vec![holiday])),
            }
        }
        Ok(Some(BankHolidays::new(divisions)))
    }

    /// Replaces the stored bank holidays with `set`, inside the caller's transaction.
    pub async fn replace_bank_holidays(tx: &mut Tx, set: &BankHolidays) -> Result<()> {
        sqlx::query("DELETE FROM bank_holidays")
            .execute(&mut **tx)
            .await?;
        for (division, list) in set.divisions() {
            for h in list {
                sqlx::query(
                    "INSERT INTO bank_holidays (division, on_date, title, notes, bunting) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(division.as_str())
                .bind(ds(h.date))
                .bind(&h.title)
                .bind(&h.notes)
                .bind(flag(h.bunting))
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }
}
