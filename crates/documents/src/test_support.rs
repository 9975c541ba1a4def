//! Test helpers: hostile strings, dates, and reading PDFs back with poppler's
//! `pdftotext` and `pdfinfo` (Debian package poppler-utils).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Date;

/// Text that would do something if it were read as typst markup or code.
pub const HOSTILE: &[&str] = &[
    "#panic(\"boom\")",
    "\"); #panic(\"out\"); (\"",
    "*bold* _under_ $x^2$ <label> @ref `raw`",
    "] [ } { ) ( \\ \\\\ \\u{41}",
    "= Not a heading",
    "- not a list",
    "// not a comment /* nor this */",
    "#read(\"/etc/passwd\") #import \"x.typ\"",
    "#set text(size: 1pt) #show: none",
    "'single' \"double\" ~ -- ... <b>html</b> &amp;",
];

pub fn date(year: i32, month: u8, day: u8) -> Date {
    let month = time::Month::try_from(month).unwrap();
    Date::from_calendar_date(year, month, day).unwrap()
}

/// Writes `pdf` to a fresh temporary file, runs a poppler tool on it with
/// `args` before the file name and `after` after it, and returns its output.
fn poppler(tool: &str, args: &[&str], after: &[&str], pdf: &[u8]) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path: PathBuf =
        std::env::temp_dir().join(format!("senco-documents-{}-{n}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(after)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` is not installed: these tests read PDFs back with poppler-utils \
             (run `apt-get install -y poppler-utils`)"
        ),
        Err(e) => panic!("could not run `{tool}`: {e}"),
    };
    assert!(
        output.status.success(),
        "`{tool}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The text of `pdf`, as `pdftotext` extracts it.
pub fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-enc", "UTF-8"], &["-"], pdf)
}

/// The right-hand edge, in points, of the rightmost word of `pdf`.
pub fn rightmost_word_edge(pdf: &[u8]) -> f64 {
    let html = poppler("pdftotext", &["-bbox", "-enc", "UTF-8"], &["-"], pdf);
    html.split("xMax=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse::<f64>().ok())
        .fold(0.0, f64::max)
}

/// `pdfinfo`'s report on `pdf` (title, page count, tagging, …).
pub fn pdf_info(pdf: &[u8]) -> String {
    poppler("pdfinfo", &["-enc", "UTF-8"], &[], pdf)
}

/// One field of `pdfinfo`'s report ("Title", "Pages", "Tagged", …).
pub fn info_field(pdf: &[u8], field: &str) -> String {
    let info = pdf_info(pdf);
    info.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|value| value.trim().to_owned())
        .unwrap_or_else(|| panic!("pdfinfo reports no {field}:\n{info}"))
}

/// The number of pages of `pdf`.
pub fn page_count(pdf: &[u8]) -> usize {
    info_field(pdf, "Pages").parse().unwrap()
}

/// Collapses every run of white space to one space, so that text wrapped
/// across lines still matches.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that each of `expected` appears in `text`, white space aside.
pub fn assert_contains_all(text: &str, expected: &[&str]) {
    let haystack = normalise(text);
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|e| !haystack.contains(&normalise(e)))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from the PDF's text: {missing:?}\n--- text ---\n{text}"
    );
}
