//! Synthetic school term dates and date helpers.
//!
//! Terms follow the usual pattern of English and Welsh local authorities:
//! six half-terms per academic year (autumn 1 and 2, spring 1 and 2,
//! summer 1 and 2), with the October half-term in the week of the last
//! Monday of October, the February half-term in mid-February, an Easter
//! break placed around Easter Sunday, the May half-term in the week of the
//! spring bank holiday and the summer holidays from about 20 July.

use senco_domain::Date;
use senco_domain::calendar::DateRange;
use senco_domain::school::Country;
use time::{Duration, Month, Weekday};

/// Builds a date from literal parts that are known to be valid.
pub(crate) fn ymd(year: i32, month: u8, day: u8) -> Date {
    let month = Month::January.nth_next(month.saturating_sub(1));
    Date::from_calendar_date(year, month, day)
        .or_else(|_| Date::from_calendar_date(year, month, 28))
        .unwrap_or(Date::MIN)
}

/// `date` moved by `days` (negative moves back).
pub(crate) fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(Duration::days(days)).unwrap_or(date)
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The first weekday on or after `date`.
pub(crate) fn weekday_on_or_after(mut date: Date) -> Date {
    while is_weekend(date) {
        date = add_days(date, 1);
    }
    date
}

/// The last weekday on or before `date`.
pub(crate) fn weekday_on_or_before(mut date: Date) -> Date {
    while is_weekend(date) {
        date = add_days(date, -1);
    }
    date
}

fn next_monday_on_or_after(mut date: Date) -> Date {
    while date.weekday() != Weekday::Monday {
        date = add_days(date, 1);
    }
    date
}

/// The last Monday of the month containing `date`.
fn last_monday_of_month(year: i32, month: u8) -> Date {
    let start_next = if month == 12 {
        ymd(year + 1, 1, 1)
    } else {
        ymd(year, month + 1, 1)
    };
    let mut d = add_days(start_next, -1);
    while d.weekday() != Weekday::Monday {
        d = add_days(d, -1);
    }
    d
}

/// Easter Sunday (Gregorian, anonymous algorithm).
pub(crate) fn easter_sunday(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u8, day as u8)
}

fn range(start: Date, end: Date) -> DateRange {
    DateRange { start, end }
}

/// The six half-terms of the academic year starting in September of
/// `year`, oldest first.
pub(crate) fn academic_year_terms(country: Country, year: i32) -> Vec<DateRange> {
    let next = year + 1;

    let autumn1_start = weekday_on_or_after(ymd(year, 9, 2));
    let october = last_monday_of_month(year, 10);
    let autumn1_end = add_days(october, -3);
    let autumn2_start = add_days(october, 7);
    let autumn2_end = weekday_on_or_before(ymd(year, 12, 20));

    let jan3 = ymd(next, 1, 3);
    let spring1_start = match jan3.weekday() {
        Weekday::Monday | Weekday::Tuesday | Weekday::Wednesday => jan3,
        _ => next_monday_on_or_after(jan3),
    };
    let february = next_monday_on_or_after(ymd(next, 2, 12));
    let spring1_end = add_days(february, -3);
    let spring2_start = add_days(february, 7);

    let easter = easter_sunday(next);
    let (spring2_end, summer1_start) = if easter <= ymd(next, 4, 3) {
        (add_days(easter, -3), add_days(easter, 15))
    } else if easter <= ymd(next, 4, 12) {
        (add_days(easter, -9), add_days(easter, 8))
    } else {
        (add_days(easter, -16), add_days(easter, 2))
    };

    let may = last_monday_of_month(next, 5);
    let summer1_end = add_days(may, -3);
    let summer2_start = add_days(may, 7);
    let summer_end_day = match country {
        Country::England => 22,
        Country::Wales => 20,
    };
    let summer2_end = weekday_on_or_before(ymd(next, 7, summer_end_day));

    vec![
        range(autumn1_start, autumn1_end),
        range(autumn2_start, autumn2_end),
        range(spring1_start, spring1_end),
        range(spring2_start, spring2_end),
        range(summer1_start, summer1_end),
        range(summer2_start, summer2_end),
    ]
}

/// The first day of the autumn term of the academic year starting in `year`.
pub(crate) fn first_day_of_year(year: i32) -> Date {
    weekday_on_or_after(ymd(year, 9, 2))
}

/// Days that schools commonly use for INSET (staff training) in the
/// academic year starting in `year`: the first days of autumn, the first
/// day of spring, and days either side of half-terms.
pub(crate) fn inset_candidates(country: Country, year: i32) -> Vec<Date> {
    let terms = academic_year_terms(country, year);
    let mut days = vec![
        terms[0].start,
        weekday_on_or_after(add_days(terms[0].start, 1)),
        terms[0].end,
        terms[2].start,
        terms[3].end,
        terms[5].start,
        terms[4].end,
    ];
    days.sort();
    days.dedup();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), ymd(2024, 3, 31));
        assert_eq!(easter_sunday(2025), ymd(2025, 4, 20));
        assert_eq!(easter_sunday(2026), ymd(2026, 4, 5));
        assert_eq!(easter_sunday(2019), ymd(2019, 4, 21));
    }

    #[test]
    fn terms_are_ordered_weekdays() {
        for year in 2000..2040 {
            for country in [Country::England, Country::Wales] {
                let terms = academic_year_terms(country, year);
                assert_eq!(terms.len(), 6);
                for pair in terms.windows(2) {
                    assert!(pair[0].end < pair[1].start, "{year}: {pair:?}");
                }
                for t in &terms {
                    assert!(t.start < t.end);
                    assert!(!is_weekend(t.start) && !is_weekend(t.end), "{t:?}");
                }
                assert!(terms[0].start >= ymd(year, 9, 2));
                assert!(terms[5].end <= ymd(year + 1, 7, 22));
            }
        }
    }

    #[test]
    fn known_year() {
        let t = academic_year_terms(Country::England, 2024);
        assert_eq!(t[0], range(ymd(2024, 9, 2), ymd(2024, 10, 25)));
        assert_eq!(t[1], range(ymd(2024, 11, 4), ymd(2024, 12, 20)));
        assert_eq!(t[2], range(ymd(2025, 1, 6), ymd(2025, 2, 14)));
        assert_eq!(t[3], range(ymd(2025, 2, 24), ymd(2025, 4, 4)));
        assert_eq!(t[4], range(ymd(2025, 4, 22), ymd(2025, 5, 23)));
        assert_eq!(t[5], range(ymd(2025, 6, 2), ymd(2025, 7, 22)));
    }
}
