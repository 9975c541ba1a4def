//! Calendar entries from a file (issue 19, point 3): a CSV with the header
//! `kind,name,start,end` (kind `term`, `inset` or `closure`; dates `YYYY-MM-DD` or
//! `DD/MM/YYYY`, both inclusive) or an iCalendar file (`.ics`) whose `VEVENT`s give
//! `SUMMARY` (the name), `CATEGORIES` (the kind), `DTSTART` and `DTEND` as dates (`DTEND` of a
//! date is the day after the last, as iCalendar says; without it the event is one day).
//! Only those properties are read; everything else in the file is ignored.
//!
//! [`parse`] gives each entry as typed with its line, so the use case can check each one
//! and refuse the whole file if any has a problem.

use senco_domain::calendar_entry::{EntryDraft, EntryKind};
use senco_domain::entry::{DateEntry, Entry};
use senco_domain::problem::Problem;
use time::{Date, Duration};

use crate::bank_holidays::iso_date;

/// The largest file read.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most entries read.
pub const MAX_ENTRIES: usize = 5_000;

/// The CSV's columns, in order.
pub const CSV_COLUMNS: [&str; 4] = ["kind", "name", "start", "end"];

/// Which kind of file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    ICalendar,
}

/// An entry as read, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub line: usize,
    pub draft: EntryDraft,
}

/// Reads the entries of a file, or the problem that stops it being read at all (field
/// `file`).
pub fn parse(bytes: &[u8]) -> Result<(Format, Vec<FileEntry>), Problem> {
    let problem = |reason, code| Problem::new("file", reason, code);
    if bytes.len() > MAX_BYTES {
        return Err(problem("too_large", "calendar.file_too_large")
            .with("limit", i64::try_from(MAX_BYTES / 1024).unwrap_or(i64::MAX)));
    }
    let (_, text) = crate::pupils_csv::decode_within(bytes, MAX_BYTES)
        .map_err(|_| problem("not_text", "calendar.file_not_text"))?;
    let entries = if text.trim_start().starts_with("BEGIN:VCALENDAR") {
        (Format::ICalendar, ics(&text))
    } else {
        (Format::Csv, csv_entries(&text)?)
    };
    if entries.1.is_empty() {
        return Err(problem("empty", "calendar.file_empty"));
    }
    if entries.1.len() > MAX_ENTRIES {
        return Err(problem("too_many", "calendar.file_too_many")
            .with("limit", i64::try_from(MAX_ENTRIES).unwrap_or(i64::MAX)));
    }
    Ok(entries)
}

fn csv_entries(text: &str) -> Result<Vec<FileEntry>, Problem> {
    let problem = |reason, code| Problem::new("file", reason, code);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| problem("not_the_format", "calendar.file_not_the_format"))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if header != CSV_COLUMNS {
        return Err(problem("not_the_format", "calendar.file_not_the_format"));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|_| problem("not_the_format", "calendar.file_not_the_format"))?;
        let line = record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        let cell = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.push(FileEntry {
            line,
            draft: EntryDraft {
                kind: EntryKind::parse(&cell(0)),
                name: cell(1),
                start: date_cell(&cell(2)),
                end: date_cell(&cell(3)),
            },
        });
    }
    Ok(out)
}

/// `YYYY-MM-DD` or `DD/MM/YYYY`.
fn date_cell(s: &str) -> DateEntry {
    Entry::parse_with(s, |s| {
        iso_date(s).or_else(|| {
            let mut parts = s.split('/');
            let day: u8 = parts.next()?.trim().parse().ok()?;
            let month: u8 = parts.next()?.trim().parse().ok()?;
            let year: i32 = parts.next()?.trim().parse().ok()?;
            if parts.next().is_some() || !(1000..=9999).contains(&year) {
                return None;
            }
            Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
        })
    })
}

/// The `VEVENT`s of an iCalendar text (lines unfolded first).
fn ics(text: &str) -> Vec<FileEntry> {
    // Unfold: a line starting with a space or a tab continues the one before.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((i + 1, raw.to_string())),
        }
    }
    let mut out = Vec::new();
    let mut current: Option<(usize, Event)> = None;
    for (line, text) in lines {
        let Some((head, value)) = text.split_once(':') else {
            continue;
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or("").to_ascii_uppercase();
        let is_date_value = params.any(|p| p.eq_ignore_ascii_case("VALUE=DATE"));
        match (name.as_str(), value.trim(), current.as_mut()) {
            ("BEGIN", v, _) if v.eq_ignore_ascii_case("VEVENT") => {
                current = Some((line, Event::default()));
            }
            ("END", v, Some(_)) if v.eq_ignore_ascii_case("VEVENT") => {
                if let Some((line, event)) = current.take() {
                    out.push(FileEntry {
                        line,
                        draft: event.draft(),
                    });
                }
            }
            ("SUMMARY", v, Some((_, e))) => e.summary = unescape(v),
            ("CATEGORIES", v, Some((_, e))) => {
                e.kind = e.kind.or_else(|| v.split(',').find_map(EntryKind::parse));
            }
            ("DTSTART", v, Some((_, e))) => e.start = ics_date(v),
            ("DTEND", v, Some((_, e))) => {
                e.end = Some((ics_date(v), is_date_value || v.len() == 8))
            }
            _ => {}
        }
    }
    out
}

#[derive(Default)]
struct Event {
    summary: String,
    kind: Option<EntryKind>,
    start: DateEntry,
    /// The end as given, and whether it is a date (exclusive) rather than a date-time.
    end: Option<(DateEntry, bool)>,
}

impl Event {
    fn draft(self) -> EntryDraft {
        let end = match self.end {
            None => self.start,
            Some((DateEntry::Valid(d), true)) => DateEntry::Valid(
                d.checked_sub(Duration::DAY)
                    .filter(|e| self.start.valid().is_none_or(|s| *e >= s))
                    .unwrap_or(d),
            ),
            Some((end, _)) => end,
        };
        EntryDraft {
            kind: self.kind,
            name: self.summary,
            start: self.start,
            end,
        }
    }
}

/// `YYYYMMDD`, or the date of a `YYYYMMDDTHHMMSS[Z]` date-time.
fn ics_date(v: &str) -> DateEntry {
    Entry::parse_with(v, |v| {
        let d = v.get(0..8)?;
        if !d.bytes().all(|b| b.is_ascii_digit()) || (v.len() > 8 && !v[8..].starts_with('T')) {
            return None;
        }
        let year: i32 = d.get(0..4)?.parse().ok()?;
        let month: u8 = d.get(4..6)?.parse().ok()?;
        let day: u8 = d.get(6..8)?.parse().ok()?;
        Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
    })
}

/// iCalendar's text escapes (`\,`, `\;`, `\n`, `\\`).
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_csv_gives_each_row_as_typed_with_its_line() {
        let (format, entries) = parse(
            b"kind,name,start,end\nterm,Autumn 1,2026-09-02,2026-10-23\nINSET,Training,01/09/2026,01/09/2026\nholiday,Oops,2026-13-01,\n",
        )
        .unwrap();
        assert_eq!(format, Format::Csv);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].line, 2);
        assert_eq!(entries[0].draft.kind, Some(EntryKind::Term));
        assert_eq!(
            entries[1].draft.start,
            DateEntry::Valid(date!(2026 - 09 - 01))
        );
        assert_eq!(entries[2].draft.kind, None);
        assert_eq!(entries[2].draft.start, DateEntry::Invalid);
        assert_eq!(entries[2].draft.end, DateEntry::Blank);
        assert_eq!(
            parse(b"type,name\nterm,x\n").unwrap_err().reason,
            "not_the_format"
        );
        assert_eq!(parse(b"kind,name,start,end\n").unwrap_err().reason, "empty");
    }

    #[test]
    fn an_icalendar_file_gives_its_events_with_the_exclusive_end_made_inclusive() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Spring\r\n  term 1\r\nCATEGORIES:TERM\r\nDTSTART;VALUE=DATE:20270105\r\nDTEND;VALUE=DATE:20270213\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Training day\\, staff\r\nCATEGORIES:INSET\r\nDTSTART;VALUE=DATE:20270104\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let (format, entries) = parse(ics.as_bytes()).unwrap();
        assert_eq!(format, Format::ICalendar);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[0].draft.name, "Spring term 1");
        assert_eq!(entries[0].draft.kind, Some(EntryKind::Term));
        assert_eq!(
            entries[0].draft.end,
            DateEntry::Valid(date!(2027 - 02 - 12))
        );
        assert_eq!(entries[1].draft.name, "Training day, staff");
        assert_eq!(
            entries[1].draft.end,
            DateEntry::Valid(date!(2027 - 01 - 04))
        );
    }
}
