//! An uploaded specialist's report: the kind check, the DOCX archive walk and the image
//! metadata stripping never panic, and what is accepted keeps its kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use senco_interop::upload::check_upload;

fuzz_target!(|data: &[u8]| {
    for name in ["report.pdf", "report.docx", "photo.png", "photo.jpg"] {
        if let Ok(checked) = check_upload(name, data, 10 * 1024 * 1024) {
            assert!(checked.bytes.len() <= data.len(), "stripping grew the file");
        }
    }
});
