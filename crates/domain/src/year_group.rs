//! National Curriculum year groups and the academic year (which starts on 1 September).

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// A National Curriculum year group, from Nursery 1 to Year 14.
///
/// `Year(n)` is only meaningful for `n` in 1..=14; [`YearGroup::from_code`],
/// [`YearGroup::parse`] and deserialisation never produce anything else. Serialised as its
/// [`code`](YearGroup::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i8", into = "i8")]
pub enum YearGroup {
    Nursery1,
    Nursery2,
    Reception,
    Year(u8),
}

impl YearGroup {
    /// N1 = -2, N2 = -1, Reception = 0, Year n = n.
    pub fn code(self) -> i8 {
        match self {
            YearGroup::Nursery1 => -2,
            YearGroup::Nursery2 => -1,
            YearGroup::Reception => 0,
            YearGroup::Year(n) => i8::try_from(n).unwrap_or(i8::MAX),
        }
    }

    pub fn from_code(code: i8) -> Option<YearGroup> {
        match code {
            -2 => Some(YearGroup::Nursery1),
            -1 => Some(YearGroup::Nursery2),
            0 => Some(YearGroup::Reception),
            1..=14 => u8::try_from(code).ok().map(YearGroup::Year),
            _ => None,
        }
    }

    /// "Nursery 1", "Nursery 2", "Reception", "Year 7".
    pub fn label(self) -> String {
        match self {
            YearGroup::Nursery1 => "Nursery 1".to_owned(),
            YearGroup::Nursery2 => "Nursery 2".to_owned(),
            YearGroup::Reception => "Reception".to_owned(),
            YearGroup::Year(n) => format!("Year {n}"),
        }
    }

    /// The census NCyearActual value: "N1", "N2", "R", "7".
    pub fn census(self) -> String {
        match self {
            YearGroup::Nursery1 => "N1".to_owned(),
            YearGroup::Nursery2 => "N2".to_owned(),
            YearGroup::Reception => "R".to_owned(),
            YearGroup::Year(n) => n.to_string(),
        }
    }

    /// Accepts census values and labels, case-insensitively and ignoring spaces:
    /// "N1", "Nursery 1", "N2", "R", "Reception", "7", "Y7", "Year 7".
    pub fn parse(s: &str) -> Option<YearGroup> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        match s.as_str() {
            "N1" | "NURSERY1" => Some(YearGroup::Nursery1),
            "N2" | "NURSERY2" => Some(YearGroup::Nursery2),
            "R" | "RECEPTION" => Some(YearGroup::Reception),
            _ => {
                let digits = s
                    .strip_prefix("YEAR")
                    .or_else(|| s.strip_prefix('Y'))
                    .unwrap_or(&s);
                if digits.is_empty()
                    || digits.len() > 2
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let n: i8 = digits.parse().ok()?;
                if n == 0 {
                    return None;
                }
                YearGroup::from_code(n)
            }
        }
    }
}

/// A number that is not a year group code (-2..=14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{code} is not a year group code")]
pub struct YearGroupCodeError {
    pub code: i8,
}

impl TryFrom<i8> for YearGroup {
    type Error = YearGroupCodeError;
    fn try_from(code: i8) -> Result<Self, YearGroupCodeError> {
        YearGroup::from_code(code).ok_or(YearGroupCodeError { code })
    }
}

impl From<YearGroup> for i8 {
    fn from(y: YearGroup) -> i8 {
        y.code()
    }
}

/// The calendar year in which the academic year containing `date` began (1 September).
pub fn academic_year_start(date: Date) -> i32 {
    if date.month() >= Month::September {
        date.year()
    } else {
        date.year() - 1
    }
}

/// The year group a child born on `dob` is normally in during the academic year starting in
/// `academic_year_start`, or `None` if outside Nursery 1..=Year 14.
pub fn nc_year(dob: Date, academic_year_start: i32) -> Option<YearGroup> {
    let cohort = self::academic_year_start(dob);
    let n = i64::from(academic_year_start) - i64::from(cohort) - 5;
    YearGroup::from_code(i8::try_from(n).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn codes_labels_census() {
        let cases = [
            (YearGroup::Nursery1, -2, "Nursery 1", "N1"),
            (YearGroup::Nursery2, -1, "Nursery 2", "N2"),
            (YearGroup::Reception, 0, "Reception", "R"),
            (YearGroup::Year(7), 7, "Year 7", "7"),
            (YearGroup::Year(14), 14, "Year 14", "14"),
        ];
        for (y, code, label, census) in cases {
            assert_eq!(y.code(), code);
            assert_eq!(YearGroup::from_code(code), Some(y));
            assert_eq!(y.label(), label);
            assert_eq!(y.census(), census);
        }
        assert_eq!(YearGroup::from_code(-3), None);
        assert_eq!(YearGroup::from_code(15), None);
        assert!(YearGroup::Nursery2 < YearGroup::Reception);
        assert!(YearGroup::Year(2) < YearGroup::Year(10));
    }

    #[test]
    fn parsing() {
        let y7 = Some(YearGroup::Year(7));
        for s in ["7", "Y7", "y7", "Year 7", "year7", " YEAR 7 ", "07"] {
            assert_eq!(YearGroup::parse(s), y7, "{s}");
        }
        assert_eq!(YearGroup::parse("N1"), Some(YearGroup::Nursery1));
        assert_eq!(YearGroup::parse("Nursery 2"), Some(YearGroup::Nursery2));
        assert_eq!(YearGroup::parse("R"), Some(YearGroup::Reception));
        assert_eq!(YearGroup::parse("reception"), Some(YearGroup::Reception));
        for s in [
            "", "0", "Y0", "15", "Year 15", "-1", "Y", "N3", "Year", "+7", "007",
        ] {
            assert_eq!(YearGroup::parse(s), None, "{s}");
        }
    }

    #[test]
    fn serde_uses_the_code() {
        assert_eq!(serde_json::to_string(&YearGroup::Year(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&YearGroup::Nursery1).unwrap(), "-2");
        assert_eq!(
            serde_json::from_str::<YearGroup>("0").unwrap(),
            YearGroup::Reception
        );
        assert!(serde_json::from_str::<YearGroup>("15").is_err());
    }

    #[test]
    fn academic_years() {
        assert_eq!(academic_year_start(date!(2020 - 09 - 01)), 2020);
        assert_eq!(academic_year_start(date!(2021 - 08 - 31)), 2020);
        assert_eq!(academic_year_start(date!(2021 - 01 - 15)), 2020);
        assert_eq!(academic_year_start(date!(2020 - 12 - 31)), 2020);
    }

    #[test]
    fn year_groups_from_birth_dates() {
        assert_eq!(
            nc_year(date!(2015 - 10 - 01), 2020),
            Some(YearGroup::Reception)
        );
        assert_eq!(
            nc_year(date!(2016 - 08 - 31), 2020),
            Some(YearGroup::Reception)
        );
        assert_eq!(
            nc_year(date!(2016 - 09 - 01), 2020),
            Some(YearGroup::Nursery2)
        );
        assert_eq!(
            nc_year(date!(2009 - 05 - 20), 2020),
            Some(YearGroup::Year(7))
        );
        assert_eq!(
            nc_year(date!(2017 - 09 - 01), 2020),
            Some(YearGroup::Nursery1)
        );
        assert_eq!(nc_year(date!(2018 - 09 - 01), 2020), None);
        assert_eq!(nc_year(date!(2000 - 09 - 01), 2020), None);
        assert_eq!(
            nc_year(date!(2001 - 09 - 01), 2020),
            Some(YearGroup::Year(14))
        );
        assert_eq!(nc_year(date!(2015 - 10 - 01), i32::MIN), None);
    }

    proptest! {
        #[test]
        fn code_round_trips(code in -2i8..=14) {
            let y = YearGroup::from_code(code).unwrap();
            prop_assert_eq!(y.code(), code);
            prop_assert_eq!(YearGroup::parse(&y.census()), Some(y));
            prop_assert_eq!(YearGroup::parse(&y.label()), Some(y));
        }

        #[test]
        fn one_year_older_means_one_year_on(days in 0i64..20_000, ays in 1990i32..2060) {
            let dob = date!(1980 - 01 - 01) + time::Duration::days(days);
            if let (Some(a), Some(b)) = (nc_year(dob, ays), nc_year(dob, ays + 1)) {
                prop_assert_eq!(b.code(), a.code() + 1);
            }
        }
    }
}
