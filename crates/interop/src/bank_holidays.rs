//! The government's bank-holiday file (issue 19, point 3), in the format published at
//! <https://www.gov.uk/bank-holidays.json>: an object whose keys are the divisions
//! (`england-and-wales`, `scotland`, `northern-ireland`), each with `division` and
//! `events: [{title, date, notes, bunting}]`. Senco ships a copy for the known years
//! (`data/bank-holidays.json`, the default, [`shipped`]); `senco calendar bank-holidays FILE`
//! replaces it with a newer one after [`parse`] has checked the whole file.

use std::collections::BTreeMap;

use senco_domain::bank_holidays::{BankHolidays, Division, Holiday};
use senco_domain::problem::Problem;
use serde::{Deserialize, Serialize};
use time::Date;

/// The copy shipped with this build (refresh it from gov.uk when the government publishes
/// more years: docs/calendars.md).
pub const SHIPPED: &str = include_str!("../data/bank-holidays.json");

/// The largest file read (the government's is about 20 KB).
pub const MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Deserialize, Serialize)]
struct FileDivision {
    #[serde(default)]
    division: String,
    events: Vec<FileEvent>,
}

#[derive(Debug, Deserialize, Serialize)]
struct FileEvent {
    title: String,
    date: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    bunting: bool,
}

/// The shipped bank holidays.
pub fn shipped() -> BankHolidays {
    // The shipped file is checked by a test; an unreadable one would give no holidays
    // rather than stop the service, and the rules would count instead.
    parse(SHIPPED.as_bytes()).unwrap_or_default()
}

/// Reads a whole file, or the first problem found (field `file`): not the format, an
/// unknown division, a date that is not `YYYY-MM-DD`, the same date twice in a division,
/// no holidays for England and Wales.
pub fn parse(bytes: &[u8]) -> Result<BankHolidays, Problem> {
    let problem = |reason, code| Problem::new("file", reason, code);
    if bytes.len() > MAX_BYTES {
        return Err(problem("too_large", "bank_holidays.too_large")
            .with("limit", i64::try_from(MAX_BYTES / 1024).unwrap_or(i64::MAX)));
    }
    let file: BTreeMap<String, FileDivision> = serde_json::from_slice(bytes)
        .map_err(|_| problem("not_the_format", "bank_holidays.not_the_format"))?;
    let mut divisions = Vec::new();
    for (key, body) in file {
        let Some(division) = Division::parse(&key) else {
            return Err(
                problem("unknown_division", "bank_holidays.unknown_division").with("division", key),
            );
        };
        if !body.division.is_empty() && body.division != key {
            return Err(
                problem("unknown_division", "bank_holidays.unknown_division")
                    .with("division", body.division),
            );
        }
        let mut list: Vec<Holiday> = Vec::with_capacity(body.events.len());
        for e in body.events {
            let Some(date) = iso_date(&e.date) else {
                return Err(problem("not_a_date", "bank_holidays.not_a_date").with("value", e.date));
            };
            if list.iter().any(|h| h.date == date) {
                return Err(problem("duplicate_date", "bank_holidays.duplicate_date")
                    .with("date", date)
                    .with("division", key));
            }
            list.push(Holiday {
                date,
                title: e.title,
                notes: e.notes,
                bunting: e.bunting,
            });
        }
        divisions.push((division, list));
    }
    let set = BankHolidays::new(divisions);
    if set.division(Division::EnglandAndWales).is_empty() {
        return Err(
            problem("missing_division", "bank_holidays.missing_division")
                .with("division", Division::EnglandAndWales.as_str()),
        );
    }
    Ok(set)
}

/// The set written in the published format (what `GET` of the API returns).
pub fn write(set: &BankHolidays) -> String {
    let file: BTreeMap<&str, FileDivision> = set
        .divisions()
        .iter()
        .map(|(d, list)| {
            let body = FileDivision {
                division: d.as_str().to_string(),
                events: list
                    .iter()
                    .map(|h| FileEvent {
                        title: h.title.clone(),
                        date: senco_date(h.date),
                        notes: h.notes.clone(),
                        bunting: h.bunting,
                    })
                    .collect(),
            };
            (d.as_str(), body)
        })
        .collect();
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

fn senco_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A `YYYY-MM-DD` date.
pub(crate) fn iso_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let bytes = s.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(5..7)?.parse().ok()?;
    let day: u8 = s.get(8..10)?.parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_file_reads_and_covers_every_division_from_2024_to_2027() {
        let set = parse(SHIPPED.as_bytes()).unwrap();
        for d in Division::ALL {
            assert_eq!(set.years(d), Some((2024, 2027)), "{}", d.as_str());
        }
        let ew = set.division(Division::EnglandAndWales);
        assert!(ew.iter().any(|h| h.date == date!(2026 - 12 - 28)));
        let sc = set.division(Division::Scotland);
        assert!(sc.iter().any(|h| h.date == date!(2026 - 11 - 30)));
        // What it writes reads back the same.
        assert_eq!(parse(write(&set).as_bytes()).unwrap(), set);
    }

    #[test]
    fn a_file_in_the_published_format_is_read_and_a_wrong_one_refused() {
        let ok = br#"{"england-and-wales":{"division":"england-and-wales","events":[
            {"title":"Boxing Day","date":"2028-12-26","notes":"","bunting":true},
            {"title":"Christmas Day","date":"2028-12-25","notes":"","bunting":true}]}}"#;
        let set = parse(ok).unwrap();
        let list = set.division(Division::EnglandAndWales);
        assert_eq!(list[0].date, date!(2028 - 12 - 25), "sorted");
        assert!(set.division(Division::Scotland).is_empty());

        let reason = |b: &[u8]| parse(b).unwrap_err().reason;
        assert_eq!(reason(b"not json"), "not_the_format");
        assert_eq!(reason(br#"{"wales":{"events":[]}}"#), "unknown_division");
        assert_eq!(
            reason(br#"{"england-and-wales":{"events":[{"title":"x","date":"2028-02-30"}]}}"#),
            "not_a_date"
        );
        assert_eq!(
            reason(
                br#"{"england-and-wales":{"events":[{"title":"x","date":"2028-01-03"},{"title":"y","date":"2028-01-03"}]}}"#
            ),
            "duplicate_date"
        );
        assert_eq!(
            reason(br#"{"scotland":{"events":[{"title":"x","date":"2028-01-03"}]}}"#),
            "missing_division"
        );
    }
}
