//! Dataset-wide identifier bookkeeping: UPN serial numbers and e-mail
//! addresses, so that both stay unique across every school and authority.

use std::collections::{BTreeMap, BTreeSet};

use senco_domain::upn::Upn;

/// Tracks identifiers handed out so far while a dataset is generated.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    serials: BTreeMap<(u16, u16, u8), u16>,
    emails: BTreeSet<String>,
}

impl Registry {
    /// A fresh permanent UPN allocated by establishment `estab` of
    /// authority `la` in the academic year starting in `year`. Returns
    /// `None` if that school has used all 999 serials for the year or the
    /// parts are rejected.
    pub(crate) fn upn(&mut self, la: u16, estab: u16, year: i32) -> Option<Upn> {
        let year2 = u8::try_from(year.rem_euclid(100)).ok()?;
        let serial = self.serials.entry((la, estab, year2)).or_insert(0);
        if *serial >= 999 {
            return None;
        }
        *serial += 1;
        Upn::permanent(la, estab, year2, *serial).ok()
    }

    /// Claims a unique e-mail address `local@domain`, adding a number to
    /// the local part if it is already taken.
    pub(crate) fn email(&mut self, local: &str, domain: &str) -> String {
        let local = if local.is_empty() { "user" } else { local };
        let mut candidate = format!("{local}@{domain}");
        let mut n = 2;
        while self.emails.contains(&candidate) {
            candidate = format!("{local}{n}@{domain}");
            n += 1;
        }
        self.emails.insert(candidate.clone());
        candidate
    }
}
