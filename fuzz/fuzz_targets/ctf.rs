//! A Common Transfer File: the hardened reader never panics and stays within its limits,
//! and whatever it accepts is written back, read again and written to the same file (the
//! data apart from the line numbers it keeps for messages).
#![no_main]

use libfuzzer_sys::fuzz_target;
use senco_interop::ctf::{Limits, parse, to_xml};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(ctf) = parse(data, &limits) {
        let written = to_xml(&ctf);
        let again = parse(written.as_bytes(), &limits).expect("Senco reads what it writes");
        assert_eq!(to_xml(&again), written, "a round trip changed the data");
    }
});
