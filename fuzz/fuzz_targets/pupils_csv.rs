//! An MIS CSV export: decoding, reading, header recognition and row checks never panic,
//! and every data row ends up either checked or with a problem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use senco_domain::entry::Entry;
use senco_domain::school::Phase;
use senco_interop::pupils_csv::{Mapping, parse, parse_date, validate};

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = parse(data) {
        let mapping = Mapping::detect(&file.headers);
        let Entry::Valid(today) = parse_date("2026-12-01") else {
            panic!("the fixed date must parse");
        };
        let _ = validate(&file, &mapping, today, Phase::Primary);
    }
});
