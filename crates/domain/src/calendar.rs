//! School-day arithmetic: bank holidays, term calendars, statutory deadlines counted in
//! school days, UK civil dates and compulsory school age.
//!
//! All dates are Europe/London local dates. Nothing here reads the clock.

use serde::{Deserialize, Serialize};
use time::macros::time;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

use crate::school::Country;

/// An inclusive range of dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    pub start: Date,
    pub end: Date,
}

impl DateRange {
    /// `None` if `end` is before `start`.
    pub fn new(start: Date, end: Date) -> Option<DateRange> {
        (start <= end).then_some(DateRange { start, end })
    }

    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<Date> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// Bank holidays in `country` in `year`, sorted. England and Wales share one list.
///
/// The rules are those in force since 1978 (early May bank holiday); earlier years are not
/// modelled separately.
pub fn bank_holidays(country: Country, year: i32) -> Vec<Date> {
    match country {
        Country::England | Country::Wales => england_and_wales_bank_holidays(year),
    }
}

/// Whether `d` is a bank holiday in `country`.
pub fn is_bank_holiday(country: Country, d: Date) -> bool {
    bank_holidays(country, d.year()).contains(&d)
}

/// One-off bank holidays (jubilees, royal weddings, a state funeral, a coronation).
const ONE_OFFS: [(i32, Month, u8); 6] = [
    (2002, Month::June, 3),
    (2011, Month::April, 29),
    (2012, Month::June, 5),
    (2022, Month::June, 3),
    (2022, Month::September, 19),
    (2023, Month::May, 8),
];

fn england_and_wales_bank_holidays(year: i32) -> Vec<Date> {
    let ymd = |m, d| Date::from_calendar_date(year, m, d).ok();
    let mut days: Vec<Date> = Vec::new();

    // Fixed dates move to the next free weekday when they fall at a weekend.
    for (m, d) in [
        (Month::January, 1),
        (Month::December, 25),
        (Month::December, 26),
    ] {
        if let Some(day) = ymd(m, d).and_then(|d| substitute(d, &days)) {
            days.push(day);
        }
    }
    if let Some(easter) = easter_sunday(year) {
        days.extend(easter.checked_sub(Duration::days(2)));
        days.extend(easter.checked_add(Duration::days(1)));
    }
    days.extend(match year {
        1995 | 2020 => ymd(Month::May, 8),
        _ => first_monday(year, Month::May),
    });
    days.extend(match year {
        2002 | 2012 => ymd(Month::June, 4),
        2022 => ymd(Month::June, 2),
        _ => last_monday(year, Month::May),
    });
    days.extend(last_monday(year, Month::August));
    days.extend(
        ONE_OFFS
            .iter()
            .filter(|(y, _, _)| *y == year)
            .filter_map(|&(_, m, d)| ymd(m, d)),
    );
    days.sort();
    days.dedup();
    days
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// `d`, or the first later weekday not already in `taken`.
fn substitute(mut d: Date, taken: &[Date]) -> Option<Date> {
    while is_weekend(d) || taken.contains(&d) {
        d = d.next_day()?;
    }
    Some(d)
}

fn first_monday(year: i32, month: Month) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let ahead = (7 - first.weekday().number_days_from_monday()) % 7;
    first.checked_add(Duration::days(ahead.into()))
}

fn last_monday(year: i32, month: Month) -> Option<Date> {
    last_weekday(year, month, Weekday::Monday)
}

fn last_weekday(year: i32, month: Month, weekday: Weekday) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    let back =
        (7 + last.weekday().number_days_from_monday() - weekday.number_days_from_monday()) % 7;
    last.checked_sub(Duration::days(back.into()))
}

/// The UK civil date at instant `utc` (any offset is accepted; only the instant matters).
///
/// British Summer Time (UTC+1) runs from 01:00 UTC on the last Sunday of March to 01:00 UTC
/// on the last Sunday of October (the rule since 1996).
pub fn london_date(utc: OffsetDateTime) -> Date {
    let Some(utc) = utc.checked_to_offset(UtcOffset::UTC) else {
        return utc.date();
    };
    let change = |month| {
        last_weekday(utc.year(), month, Weekday::Sunday)
            .map(|d| d.with_time(time!(01:00)).assume_utc())
    };
    let in_bst = match (change(Month::March), change(Month::October)) {
        (Some(start), Some(end)) => start <= utc && utc < end,
        _ => false,
    };
    if in_bst {
        utc.checked_add(Duration::HOUR).unwrap_or(utc).date()
    } else {
        utc.date()
    }
}

/// A school's known term dates and closures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolCalendar {
    country: Country,
    terms: Vec<DateRange>,
    closures: Vec<DateRange>,
    /// The published bank holidays of the country's division and the years they cover;
    /// other years follow the rules of [`bank_holidays`].
    published: Vec<Date>,
    published_years: Vec<i32>,
}

/// A date reached by counting school days. `estimated` is true when the count ran past
/// the known calendar (or there was none), so weekdays that are not bank holidays were
/// counted instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deadline {
    pub date: Date,
    pub estimated: bool,
}

impl SchoolCalendar {
    /// `terms` are the term-time ranges (half-terms and holidays are the gaps between
    /// them); `closures` are extra non-school days within terms, such as INSET or snow days.
    /// Ranges whose end is before their start are ignored.
    pub fn new(country: Country, terms: Vec<DateRange>, closures: Vec<DateRange>) -> Self {
        let valid = |ranges: Vec<DateRange>| {
            let mut ranges: Vec<DateRange> =
                ranges.into_iter().filter(|r| r.start <= r.end).collect();
            ranges.sort_by_key(|r| r.start);
            ranges
        };
        SchoolCalendar {
            country,
            terms: valid(terms),
            closures: valid(closures),
            published: Vec::new(),
            published_years: Vec::new(),
        }
    }

    /// The calendar with the published bank holidays of its country's division
    /// ([`crate::bank_holidays::BankHolidays`]): they replace the rules for every year they
    /// cover.
    #[must_use]
    pub fn with_bank_holidays(mut self, set: &crate::bank_holidays::BankHolidays) -> Self {
        let mut dates: Vec<Date> = set
            .division(crate::bank_holidays::Division::of(self.country))
            .iter()
            .map(|h| h.date)
            .collect();
        dates.sort();
        dates.dedup();
        let mut years: Vec<i32> = dates.iter().map(|d| d.year()).collect();
        years.dedup();
        self.published = dates;
        self.published_years = years;
        self
    }

    /// Whether `d` is a bank holiday: the published list for a year it covers, the rules
    /// otherwise.
    pub fn is_bank_holiday(&self, d: Date) -> bool {
        if self.published_years.contains(&d.year()) {
            self.published.binary_search(&d).is_ok()
        } else {
            is_bank_holiday(self.country, d)
        }
    }

    pub fn country(&self) -> Country {
        self.country
    }

    /// Within a term, Monday to Friday, not a bank holiday and not a closure.
    pub fn is_school_day(&self, d: Date) -> bool {
        !is_weekend(d)
            && self.terms.iter().any(|t| t.contains(d))
            && !self.closures.iter().any(|c| c.contains(d))
            && !self.is_bank_holiday(d)
    }

    /// The end of the last term.
    pub fn known_until(&self) -> Option<Date> {
        self.terms.iter().map(|t| t.end).max()
    }

    /// The `n`th school day after `trigger` (the trigger day itself never counts).
    ///
    /// Past the known calendar, weekdays that are not bank holidays are counted and the
    /// result is marked estimated. `n == 0` gives the trigger itself.
    pub fn add_school_days(&self, trigger: Date, n: u32) -> Deadline {
        let known_until = self.known_until();
        let mut date = trigger;
        let mut estimated = false;
        let mut counted = 0;
        while counted < n {
            let Some(next) = date.next_day() else {
                return Deadline {
                    date,
                    estimated: true,
                };
            };
            date = next;
            let counts = match known_until {
                Some(end) if date <= end => self.is_school_day(date),
                _ => {
                    estimated = true;
                    !is_weekend(date) && !self.is_bank_holiday(date)
                }
            };
            if counts {
                counted += 1;
            }
        }
        Deadline { date, estimated }
    }

    /// The number of school days `d` with `after < d <= up_to` (known calendar only).
    pub fn school_days_between(&self, after: Date, up_to: Date) -> u32 {
        let (Some(first), Some(last)) = (self.terms.first(), self.known_until()) else {
            return 0;
        };
        let up_to = up_to.min(last);
        let mut d = after.max(first.start.previous_day().unwrap_or(first.start));
        let mut count = 0;
        while d < up_to {
            let Some(next) = d.next_day() else { break };
            d = next;
            if self.is_school_day(d) {
                count += 1;
            }
        }
        count
    }
}

/// When a child reaches compulsory school age: the first prescribed day on or after the
/// birthday on which they turn `start_age`. They are treated as of compulsory school age
/// from the day after that prescribed day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompulsorySchoolAge {
    pub start_age: u8,
    pub prescribed_days: Vec<(Month, u8)>,
}

impl CompulsorySchoolAge {
    /// England and Wales: age 5; prescribed days 31 March, 31 August and 31 December.
    pub fn default_for(country: Country) -> Self {
        match country {
            Country::England | Country::Wales => CompulsorySchoolAge {
                start_age: 5,
                prescribed_days: vec![
                    (Month::March, 31),
                    (Month::August, 31),
                    (Month::December, 31),
                ],
            },
        }
    }

    /// The first day on which a child born on `dob` is of compulsory school age.
    ///
    /// A 29 February birthday falls on 1 March in common years. Prescribed days that do
    /// not exist in a year are skipped; with no usable prescribed day, the birthday itself
    /// is used. Dates beyond the supported range saturate to [`Date::MAX`].
    pub fn starts_on(&self, dob: Date) -> Date {
        let year = dob.year() + i32::from(self.start_age);
        let Some(birthday) = Date::from_calendar_date(year, dob.month(), dob.day())
            .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
            .ok()
        else {
            return Date::MAX;
        };
        let prescribed = [year, year + 1]
            .into_iter()
            .flat_map(|y| {
                self.prescribed_days
                    .iter()
                    .filter_map(move |&(m, d)| Date::from_calendar_date(y, m, d).ok())
            })
            .filter(|&p| p >= birthday)
            .min();
        match prescribed {
            Some(day) => day.next_day().unwrap_or(Date::MAX),
            None => birthday,
        }
    }

    /// Whether a child born on `dob` is still below compulsory school age on `on`.
    pub fn is_below(&self, dob: Date, on: Date) -> bool {
        on < self.starts_on(dob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    fn holidays(year: i32) -> Vec<Date> {
        let england = bank_holidays(Country::England, year);
        assert_eq!(england, bank_holidays(Country::Wales, year));
        england
    }

    #[test]
    fn easter() {
        assert_eq!(easter_sunday(2024), Some(date!(2024 - 03 - 31)));
        assert_eq!(easter_sunday(2025), Some(date!(2025 - 04 - 20)));
        assert_eq!(easter_sunday(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(easter_sunday(2019), Some(date!(2019 - 04 - 21)));
        assert_eq!(easter_sunday(2038), Some(date!(2038 - 04 - 25)));
        assert_eq!(easter_sunday(2285), Some(date!(2285 - 03 - 22)));
    }

    #[test]
    fn bank_holidays_2024() {
        assert_eq!(
            holidays(2024),
            [
                date!(2024 - 01 - 01),
                date!(2024 - 03 - 29),
                date!(2024 - 04 - 01),
                date!(2024 - 05 - 06),
                date!(2024 - 05 - 27),
                date!(2024 - 08 - 26),
                date!(2024 - 12 - 25),
                date!(2024 - 12 - 26),
            ]
        );
    }

    #[test]
    fn bank_holidays_2025() {
        assert_eq!(
            holidays(2025),
            [
                date!(2025 - 01 - 01),
                date!(2025 - 04 - 18),
                date!(2025 - 04 - 21),
                date!(2025 - 05 - 05),
                date!(2025 - 05 - 26),
                date!(2025 - 08 - 25),
                date!(2025 - 12 - 25),
                date!(2025 - 12 - 26),
            ]
        );
    }

    #[test]
    fn bank_holidays_2026_boxing_day_substitute() {
        assert_eq!(
            holidays(2026),
            [
                date!(2026 - 01 - 01),
                date!(2026 - 04 - 03),
                date!(2026 - 04 - 06),
                date!(2026 - 05 - 04),
                date!(2026 - 05 - 25),
                date!(2026 - 08 - 31),
                date!(2026 - 12 - 25),
                date!(2026 - 12 - 28),
            ]
        );
    }

    #[test]
    fn bank_holidays_2020_ve_day() {
        assert_eq!(
            holidays(2020),
            [
                date!(2020 - 01 - 01),
                date!(2020 - 04 - 10),
                date!(2020 - 04 - 13),
                date!(2020 - 05 - 08),
                date!(2020 - 05 - 25),
                date!(2020 - 08 - 31),
                date!(2020 - 12 - 25),
                date!(2020 - 12 - 28),
            ]
        );
    }

    #[test]
    fn bank_holidays_2022_jubilee_and_funeral() {
        assert_eq!(
            holidays(2022),
            [
                date!(2022 - 01 - 03),
                date!(2022 - 04 - 15),
                date!(2022 - 04 - 18),
                date!(2022 - 05 - 02),
                date!(2022 - 06 - 02),
                date!(2022 - 06 - 03),
                date!(2022 - 08 - 29),
                date!(2022 - 09 - 19),
                date!(2022 - 12 - 26),
                date!(2022 - 12 - 27),
            ]
        );
    }

    #[test]
    fn bank_holidays_other_special_years() {
        // Christmas on Saturday, Boxing Day on Sunday.
        let h2021 = holidays(2021);
        assert!(h2021.contains(&date!(2021 - 12 - 27)));
        assert!(h2021.contains(&date!(2021 - 12 - 28)));
        // New Year's Day on Sunday; coronation.
        let h2023 = holidays(2023);
        assert!(h2023.contains(&date!(2023 - 01 - 02)));
        assert!(h2023.contains(&date!(2023 - 05 - 08)));
        assert_eq!(h2023.len(), 9);
        let h2012 = holidays(2012);
        assert!(h2012.contains(&date!(2012 - 06 - 04)));
        assert!(h2012.contains(&date!(2012 - 06 - 05)));
        assert!(!h2012.contains(&date!(2012 - 05 - 28)));
        let h2002 = holidays(2002);
        assert!(h2002.contains(&date!(2002 - 06 - 03)));
        assert!(h2002.contains(&date!(2002 - 06 - 04)));
        assert!(holidays(2011).contains(&date!(2011 - 04 - 29)));
        assert!(holidays(1995).contains(&date!(1995 - 05 - 08)));
        assert!(!holidays(1995).contains(&date!(1995 - 05 - 01)));
        assert!(is_bank_holiday(Country::Wales, date!(2025 - 08 - 25)));
        assert!(!is_bank_holiday(Country::Wales, date!(2025 - 08 - 26)));
    }

    #[test]
    fn bank_holidays_at_the_edge_of_the_date_range_do_not_panic() {
        let _ = holidays(9999);
        let _ = holidays(-9999);
        assert!(holidays(10_000).is_empty());
    }

    #[test]
    fn london_dates() {
        // Winter: GMT.
        assert_eq!(
            london_date(datetime!(2024-12-01 23:30 UTC)),
            date!(2024 - 12 - 01)
        );
        // Summer: BST.
        assert_eq!(
            london_date(datetime!(2024-06-01 23:30 UTC)),
            date!(2024 - 06 - 02)
        );
        // Spring forward at 01:00 UTC on 31 March 2024.
        assert_eq!(
            london_date(datetime!(2024-03-30 23:30 UTC)),
            date!(2024 - 03 - 30)
        );
        assert_eq!(
            london_date(datetime!(2024-03-31 00:59 UTC)),
            date!(2024 - 03 - 31)
        );
        // Fall back at 01:00 UTC on 27 October 2024.
        assert_eq!(
            london_date(datetime!(2024-10-26 23:00 UTC)),
            date!(2024 - 10 - 27)
        );
        assert_eq!(
            london_date(datetime!(2024-10-26 22:59 UTC)),
            date!(2024 - 10 - 26)
        );
        assert_eq!(
            london_date(datetime!(2024-10-27 23:30 UTC)),
            date!(2024 - 10 - 27)
        );
        // Other offsets: only the instant matters.
        assert_eq!(
            london_date(datetime!(2024-07-02 01:30 +02:00)),
            date!(2024 - 07 - 02)
        );
        assert_eq!(
            london_date(datetime!(2024-07-02 00:30 +02:00)),
            date!(2024 - 07 - 01)
        );
    }

    fn range(start: Date, end: Date) -> DateRange {
        DateRange::new(start, end).unwrap()
    }

    /// 2024/25 terms for a school with half-terms and an INSET day on 6 January 2025.
    fn calendar() -> SchoolCalendar {
        SchoolCalendar::new(
            Country::England,
            vec![
                range(date!(2025 - 06 - 02), date!(2025 - 07 - 22)),
                range(date!(2024 - 09 - 03), date!(2024 - 10 - 25)),
                range(date!(2024 - 11 - 04), date!(2024 - 12 - 20)),
                range(date!(2025 - 01 - 06), date!(2025 - 02 - 14)),
                range(date!(2025 - 02 - 24), date!(2025 - 04 - 04)),
                range(date!(2025 - 04 - 22), date!(2025 - 05 - 23)),
            ],
            vec![range(date!(2025 - 01 - 06), date!(2025 - 01 - 06))],
        )
    }

    #[test]
    fn date_ranges() {
        assert!(DateRange::new(date!(2024 - 01 - 02), date!(2024 - 01 - 01)).is_none());
        let r = range(date!(2024 - 01 - 01), date!(2024 - 01 - 01));
        assert!(r.contains(date!(2024 - 01 - 01)));
        assert!(!r.contains(date!(2024 - 01 - 02)));
    }

    #[test]
    fn school_days() {
        let cal = calendar();
        assert!(cal.is_school_day(date!(2024 - 09 - 03)));
        assert!(!cal.is_school_day(date!(2024 - 09 - 02)), "before term");
        assert!(!cal.is_school_day(date!(2024 - 09 - 07)), "Saturday");
        assert!(!cal.is_school_day(date!(2024 - 10 - 28)), "half-term");
        assert!(!cal.is_school_day(date!(2025 - 01 - 06)), "INSET");
        assert!(cal.is_school_day(date!(2025 - 01 - 07)));
        assert!(!cal.is_school_day(date!(2025 - 05 - 05)), "bank holiday");
        assert_eq!(cal.known_until(), Some(date!(2025 - 07 - 22)));
        assert_eq!(cal.country(), Country::England);
    }

    #[test]
    fn adding_school_days() {
        let cal = calendar();
        // Friday before half-term: the next school day is after the break.
        assert_eq!(
            cal.add_school_days(date!(2024 - 10 - 25), 1),
            Deadline {
                date: date!(2024 - 11 - 04),
                estimated: false
            }
        );
        // The trigger day does not count, even when it is a school day.
        assert_eq!(
            cal.add_school_days(date!(2024 - 09 - 03), 1).date,
            date!(2024 - 09 - 04)
        );
        // 15 school days from Monday 2 December 2024: 14 left before Christmas, then the
        // INSET day on 6 January is skipped.
        assert_eq!(
            cal.add_school_days(date!(2024 - 12 - 02), 15),
            Deadline {
                date: date!(2025 - 01 - 07),
                estimated: false
            }
        );
        // Across the May bank holiday.
        assert_eq!(
            cal.add_school_days(date!(2025 - 05 - 02), 1).date,
            date!(2025 - 05 - 06)
        );
        assert_eq!(
            cal.add_school_days(date!(2025 - 05 - 02), 0),
            Deadline {
                date: date!(2025 - 05 - 02),
                estimated: false
            }
        );
    }

    #[test]
    fn counting_past_the_known_calendar_is_estimated() {
        let cal = calendar();
        // Mon 21 and Tue 22 July are the last school days; then weekdays are counted.
        assert_eq!(
            cal.add_school_days(date!(2025 - 07 - 20), 2),
            Deadline {
                date: date!(2025 - 07 - 22),
                estimated: false
            }
        );
        assert_eq!(
            cal.add_school_days(date!(2025 - 07 - 20), 5),
            Deadline {
                date: date!(2025 - 07 - 25),
                estimated: true
            }
        );
        // Across the August bank holiday (25 August 2025).
        assert_eq!(
            cal.add_school_days(date!(2025 - 08 - 22), 1),
            Deadline {
                date: date!(2025 - 08 - 26),
                estimated: true
            }
        );
        // No terms at all: Christmas and Boxing Day are skipped.
        let empty = SchoolCalendar::new(Country::Wales, vec![], vec![]);
        assert_eq!(empty.known_until(), None);
        assert_eq!(
            empty.add_school_days(date!(2024 - 12 - 20), 3),
            Deadline {
                date: date!(2024 - 12 - 27),
                estimated: true
            }
        );
        assert_eq!(
            empty.school_days_between(date!(2024 - 01 - 01), date!(2025 - 01 - 01)),
            0
        );
    }

    #[test]
    fn counting_school_days_between() {
        let cal = calendar();
        assert_eq!(
            cal.school_days_between(date!(2024 - 09 - 02), date!(2024 - 09 - 06)),
            4
        );
        assert_eq!(
            cal.school_days_between(date!(2024 - 09 - 03), date!(2024 - 09 - 03)),
            0
        );
        assert_eq!(
            cal.school_days_between(date!(2024 - 09 - 06), date!(2024 - 09 - 02)),
            0
        );
        assert_eq!(
            cal.school_days_between(date!(2024 - 12 - 02), date!(2025 - 01 - 07)),
            15
        );
        // Autumn term 2024: 8 weeks less a day, then 7 weeks.
        assert_eq!(
            cal.school_days_between(date!(2000 - 01 - 01), date!(2024 - 12 - 31)),
            39 + 35
        );
        assert_eq!(
            cal.school_days_between(date!(2025 - 07 - 22), date!(2030 - 01 - 01)),
            0
        );
    }

    #[test]
    fn invalid_ranges_are_ignored() {
        let backwards = DateRange {
            start: date!(2024 - 09 - 10),
            end: date!(2024 - 09 - 01),
        };
        let cal = SchoolCalendar::new(Country::England, vec![backwards], vec![backwards]);
        assert_eq!(cal.known_until(), None);
        assert!(!cal.is_school_day(date!(2024 - 09 - 05)));
    }

    #[test]
    fn compulsory_school_age() {
        let csa = CompulsorySchoolAge::default_for(Country::England);
        assert_eq!(csa, CompulsorySchoolAge::default_for(Country::Wales));
        let cases = [
            (date!(2015 - 09 - 01), date!(2021 - 01 - 01)),
            (date!(2015 - 12 - 31), date!(2021 - 01 - 01)),
            (date!(2016 - 01 - 01), date!(2021 - 04 - 01)),
            (date!(2016 - 03 - 31), date!(2021 - 04 - 01)),
            (date!(2016 - 04 - 01), date!(2021 - 09 - 01)),
            (date!(2016 - 08 - 31), date!(2021 - 09 - 01)),
            (date!(2016 - 02 - 29), date!(2021 - 04 - 01)),
        ];
        for (dob, starts) in cases {
            assert_eq!(csa.starts_on(dob), starts, "born {dob}");
        }
        let dob = date!(2016 - 08 - 31);
        assert!(csa.is_below(dob, date!(2021 - 08 - 31)));
        assert!(!csa.is_below(dob, date!(2021 - 09 - 01)));
    }

    #[test]
    fn compulsory_school_age_edge_cases() {
        // A 29 February prescribed day is skipped in common years.
        let leap_only = CompulsorySchoolAge {
            start_age: 5,
            prescribed_days: vec![(Month::February, 29)],
        };
        assert_eq!(
            leap_only.starts_on(date!(2014 - 06 - 01)),
            date!(2020 - 03 - 01)
        );
        let none = CompulsorySchoolAge {
            start_age: 5,
            prescribed_days: vec![],
        };
        assert_eq!(none.starts_on(date!(2014 - 06 - 01)), date!(2019 - 06 - 01));
        let csa = CompulsorySchoolAge::default_for(Country::England);
        assert_eq!(csa.starts_on(date!(9998 - 01 - 01)), Date::MAX);
    }

    fn calendar_strategy() -> impl Strategy<Value = SchoolCalendar> {
        let ranges = |max_len: i64, count: usize| {
            prop::collection::vec((0i64..500, 0i64..max_len), 0..count)
        };
        (ranges(70, 7), ranges(5, 4)).prop_map(|(terms, closures)| {
            let base = date!(2024 - 01 - 01);
            let to_range = |(offset, len): (i64, i64)| {
                let start = base + Duration::days(offset);
                range(start, start + Duration::days(len))
            };
            SchoolCalendar::new(
                Country::England,
                terms.into_iter().map(to_range).collect(),
                closures.into_iter().map(to_range).collect(),
            )
        })
    }

    proptest! {
        #[test]
        fn add_school_days_is_consistent(cal in calendar_strategy(), offset in -30i64..560, n in 1u32..200) {
            let trigger = date!(2024 - 01 - 01) + Duration::days(offset);
            let deadline = cal.add_school_days(trigger, n);
            prop_assert!(deadline.date > trigger);
            if deadline.estimated {
                prop_assert!(cal.known_until().is_none_or(|end| deadline.date > end));
            } else {
                prop_assert!(cal.is_school_day(deadline.date));
                prop_assert_eq!(cal.school_days_between(trigger, deadline.date), n);
            }
        }

        #[test]
        fn school_days_between_is_additive(cal in calendar_strategy(), a in -30i64..560, b in 0i64..300, c in 0i64..300) {
            let x = date!(2024 - 01 - 01) + Duration::days(a);
            let y = x + Duration::days(b);
            let z = y + Duration::days(c);
            prop_assert_eq!(
                cal.school_days_between(x, z),
                cal.school_days_between(x, y) + cal.school_days_between(y, z)
            );
        }

        #[test]
        fn bank_holidays_are_sorted_weekdays(year in 1978i32..2200) {
            let days = holidays(year);
            prop_assert!(days.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(days.iter().all(|d| d.year() == year && !is_weekend(*d)));
            let one_offs = ONE_OFFS.iter().filter(|(y, _, _)| *y == year).count();
            prop_assert_eq!(days.len(), 8 + one_offs);
        }

        #[test]
        fn london_date_is_utc_date_or_next(secs in 0i64..4_102_444_800) {
            let instant = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let local = london_date(instant);
            let utc = instant.date();
            prop_assert!(local == utc || Some(local) == utc.next_day());
        }

        #[test]
        fn compulsory_school_age_follows_the_fifth_birthday(days in 0i64..40_000) {
            let dob = date!(1950 - 01 - 01) + Duration::days(days);
            let csa = CompulsorySchoolAge::default_for(Country::Wales);
            let starts = csa.starts_on(dob);
            let year = dob.year() + 5;
            let fifth_birthday = Date::from_calendar_date(year, dob.month(), dob.day())
                .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
                .unwrap();
            let prescribed = starts.previous_day().unwrap();
            prop_assert!(matches!((prescribed.month(), prescribed.day()), (Month::March | Month::August | Month::December, 31)));
            // The first prescribed day on or after the birthday: never more than 152 days on.
            prop_assert!(prescribed >= fifth_birthday);
            prop_assert!(prescribed - fifth_birthday <= Duration::days(152));
            prop_assert!(csa.is_below(dob, prescribed));
            prop_assert!(!csa.is_below(dob, starts));
        }
    }
}
