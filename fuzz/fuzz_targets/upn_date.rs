//! UPNs and dates as typed or exported: the parsers never panic, what they accept
//! round-trips (a parsed UPN parses again to itself; a parsed date writes back to a string
//! that parses to the same date), and every accepted UPN is 13 characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use senco_domain::entry::Entry;
use senco_domain::pupil::{date_from_iso, date_from_parts};
use senco_domain::upn::Upn;
use senco_interop::pupils_csv::parse_date;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(upn) = Upn::parse(text) {
        assert_eq!(upn.as_str().chars().count(), 13);
        assert_eq!(Upn::parse(upn.as_str()).as_ref(), Ok(&upn));
    }
    for parsed in [date_from_iso(text), parse_date(text)] {
        if let Entry::Valid(date) = parsed {
            let iso = format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
            assert_eq!(date_from_iso(&iso), Entry::Valid(date), "{iso}");
        }
    }
    let mut parts = text.splitn(3, '/');
    let (d, m, y) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if let Entry::Valid(date) = date_from_parts(d, m, y) {
        assert!((1000..=9999).contains(&date.year()));
    }
});
