//! The typst `World`: one in-memory source, the embedded fonts, the standard
//! library and a fixed date. No files, no packages, no network, no clock.
//!
//! Fonts and the library are built once per process and shared by every render.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Feature, Features, Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use crate::{Date, DocumentError};

/// The font family every document is set in.
pub(crate) const FONT_FAMILY: &str = "Liberation Sans";

/// Liberation Sans 2.1.5 (SIL Open Font License 1.1, see `fonts/LICENSE`).
const FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../fonts/LiberationSans-Italic.ttf"),
    include_bytes!("../fonts/LiberationSans-BoldItalic.ttf"),
];

/// The parsed fonts and their metadata, shared by every render.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// Whether the embedded fonts can show `c` (an accessible PDF refuses a character with no
/// glyph, so text in a script they lack is replaced before it reaches typst).
pub(crate) fn can_show(c: char) -> bool {
    FONTS
        .fonts
        .first()
        .is_some_and(|f| f.info().coverage.contains(c as u32))
}

/// The standard library, with the `a11y-extras` feature for row header cells
/// (`pdf.header-cell`) in key-value tables.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| {
    LazyHash::new(
        Library::builder()
            .with_features([Feature::A11yExtras].into_iter().collect::<Features>())
            .build(),
    )
});

/// A world holding one generated source file.
struct SencoWorld {
    main: Source,
    today: Option<Datetime>,
}

impl World for SencoWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_owned()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        self.today
    }
}

/// A finished PDF and the warnings typst gave while making it.
pub(crate) struct Rendered {
    pub pdf: Vec<u8>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub warnings: Vec<String>,
}

/// Compiles typst `source` into a tagged PDF/UA-1 document.
pub(crate) fn compile(source: String, today: Date) -> Result<Rendered, DocumentError> {
    let result = compile_uncached(source, today);
    // Drop memoised results that the last few renders did not use, so that a
    // long-running server does not keep every document it ever made.
    typst::comemo::evict(10);
    result
}

fn compile_uncached(source: String, today: Date) -> Result<Rendered, DocumentError> {
    let world = SencoWorld {
        main: Source::detached(source),
        today: Datetime::from_ymd(today.year(), u8::from(today.month()), today.day()),
    };
    let warned = typst::compile::<PagedDocument>(&world);
    let warnings = warned.warnings.iter().map(describe).collect();
    let document = warned
        .output
        .map_err(|errors| DocumentError::typst(&errors[..]))?;

    let standards = PdfStandards::new(&[PdfStandard::Ua_1])
        .map_err(|e| DocumentError::new(format!("PDF standards: {}", e.message())))?;
    let options = PdfOptions {
        creator: Smart::Custom(Some("Senco".into())),
        standards,
        ..PdfOptions::default()
    };
    let pdf =
        typst_pdf::pdf(&document, &options).map_err(|errors| DocumentError::typst(&errors[..]))?;
    Ok(Rendered { pdf, warnings })
}

/// One diagnostic as a line of text: its message and hints.
pub(crate) fn describe(diagnostic: &SourceDiagnostic) -> String {
    let kind = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut line = format!("{kind}: {}", diagnostic.message);
    for hint in &diagnostic.hints {
        line.push_str(" (hint: ");
        line.push_str(&hint.v);
        line.push(')');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_four_faces_load_into_one_family() {
        assert_eq!(FONTS.fonts.len(), 4);
        let family = FONT_FAMILY.to_lowercase();
        assert_eq!(FONTS.book.select_family(&family).count(), 4);
    }

    #[test]
    fn today_comes_from_the_parameter() {
        let date = Date::from_calendar_date(2026, time::Month::March, 1).unwrap();
        let source =
            "#set document(title: \"t\")\n#title()\n#datetime.today().display()".to_owned();
        let rendered = compile(source, date).unwrap();
        assert!(rendered.pdf.starts_with(b"%PDF"));
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
        let text = crate::test_support::pdf_text(&rendered.pdf);
        assert!(text.contains("2026-03-01"), "{text}");
    }

    #[test]
    fn files_and_packages_are_refused() {
        let date = Date::from_calendar_date(2026, time::Month::March, 1).unwrap();
        for source in [
            "#read(\"/etc/passwd\")",
            "#import \"other.typ\": x",
            "#import \"@preview/example:0.1.0\": *",
            "#image(\"picture.png\")",
        ] {
            let err = compile(source.to_owned(), date).err().unwrap();
            assert!(err.message().starts_with("error: "), "{err}");
        }
    }

    #[test]
    fn errors_carry_typsts_diagnostics() {
        let date = Date::from_calendar_date(2026, time::Month::March, 1).unwrap();
        let err = compile("#panic(\"stop\")\n#unknown-name".to_owned(), date)
            .err()
            .unwrap();
        assert!(err.message().contains("panicked"), "{err}");
        assert!(
            err.to_string()
                .starts_with("could not make the PDF: error: ")
        );
    }
}
