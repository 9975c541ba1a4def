//! A national register's CSV extract: decoding, format recognition and row checks never
//! panic, and every data row ends up checked, left out or with a problem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use senco_interop::schools_csv::{check, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = parse(data) {
        let checked = check(&file, |la| la != "330", |_, estab| {
            (estab == "2001").then(|| "400001".to_string())
        });
        let problem_lines: std::collections::BTreeSet<u64> =
            checked.problems.iter().map(|p| p.line).collect();
        assert!(checked.schools.len() + checked.skipped.len() + problem_lines.len() <= checked.rows);
    }
});
