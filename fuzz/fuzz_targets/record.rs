//! A portable record from another school: the strict reader never panics, and whatever it
//! accepts is written and read back to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use senco_interop::record::{parse, to_json};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = parse(data) {
        let written = to_json(&record).expect("an accepted record can be written");
        let again = parse(&written).expect("Senco reads what it writes");
        assert_eq!(again, record, "a round trip changed the record");
    }
});
