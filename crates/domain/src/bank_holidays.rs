//! Bank holidays as the government publishes them (gov.uk/bank-holidays.json): one list per
//! division (England and Wales, Scotland, Northern Ireland). Reading the file is
//! `senco_interop::bank_holidays`; a calendar uses the list of its country's division for the
//! years the list covers ([`crate::calendar::SchoolCalendar::with_bank_holidays`]).

use time::Date;

use crate::school::Country;

/// A division of the published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Division {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The division's key in the published file.
    pub fn as_str(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    pub fn parse(s: &str) -> Option<Division> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The division whose bank holidays a school in `country` keeps (Wales shares England's).
    pub fn of(country: Country) -> Division {
        match country {
            Country::England | Country::Wales => Division::EnglandAndWales,
        }
    }
}

/// One published bank holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub title: String,
    pub notes: String,
    pub bunting: bool,
}

/// The published bank holidays of every division, each list sorted by date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankHolidays {
    divisions: Vec<(Division, Vec<Holiday>)>,
}

impl BankHolidays {
    /// A set from each division's holidays (sorted here).
    pub fn new(divisions: Vec<(Division, Vec<Holiday>)>) -> BankHolidays {
        let mut divisions = divisions;
        for (_, list) in &mut divisions {
            list.sort_by_key(|h| h.date);
        }
        divisions.sort_by_key(|(d, _)| *d);
        BankHolidays { divisions }
    }

    /// The holidays of `division` (none if the set lacks it).
    pub fn division(&self, division: Division) -> &[Holiday] {
        self.divisions
            .iter()
            .find(|(d, _)| *d == division)
            .map_or(&[], |(_, list)| list.as_slice())
    }

    /// Every division with its holidays.
    pub fn divisions(&self) -> &[(Division, Vec<Holiday>)] {
        &self.divisions
    }

    /// The first and last year of `division`'s list.
    pub fn years(&self, division: Division) -> Option<(i32, i32)> {
        let list = self.division(division);
        Some((list.first()?.date.year(), list.last()?.date.year()))
    }
}
