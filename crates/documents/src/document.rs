//! The generic document: a title, an optional subtitle, the school, a date and
//! a list of blocks, rendered with the shared page setup.

use std::fmt::Write as _;

use crate::escape::{str_array, str_lit};
use crate::templates::{PageSetup, TITLE_EM, preamble};
use crate::world::compile;
use crate::{Date, DocumentError};

/// The language of a document: `senco_i18n::messages(language)` writes the dates and the
/// words the template prints ("Page 1 of 2") and names the PDF's language tag.
pub use senco_domain::lang::Lang;

/// One part of a document's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A heading within a section (level 2).
    Subheading(String),
    /// Starts a new page (after a cover page, say).
    PageBreak,
    /// Text; a blank line inside it starts a new paragraph.
    Paragraph(String),
    /// Labelled values ("Date of birth", "4 May 2015"), each label heading its row.
    KeyValues(Vec<(String, String)>),
    /// A table whose header row repeats on every page it spans. Rows shorter
    /// than the header are padded with empty cells; longer rows widen the table.
    Table {
        caption: String,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Lines to sign on, one for each label ("Parent or carer", "SENCO"),
    /// each with a line for the date.
    Signatures(Vec<String>),
    /// Vertical space.
    Spacer,
}

/// A generic document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The title, shown at the top and stored as the PDF's title.
    pub title: String,
    pub subtitle: Option<String>,
    /// Shown above the title and in every page's footer.
    pub school: String,
    /// The date the document is dated, shown under the title.
    pub date: Date,
    /// Sets body text at 16 point instead of 12.
    pub large_print: bool,
    pub language: Lang,
    pub blocks: Vec<Block>,
}

/// Renders `doc` as a PDF.
pub fn render(doc: &Document) -> Result<Vec<u8>, DocumentError> {
    compile(source(doc), doc.date).map(|rendered| rendered.pdf)
}

/// The typst source of `doc`.
pub(crate) fn source(doc: &Document) -> String {
    let mut out = preamble(&PageSetup {
        title: &doc.title,
        school: &doc.school,
        date: doc.date,
        lang: doc.language,
        large_print: doc.large_print,
        title_em: TITLE_EM,
    });
    out.push_str("#strong(cfg.school)\n#title()\n");
    if let Some(subtitle) = &doc.subtitle {
        let _ = writeln!(out, "#par(text(size: 1.25em, {}))", str_lit(subtitle));
    }
    out.push_str("#par(cfg.date-text)\n\n");
    for block in &doc.blocks {
        push_block(&mut out, block);
    }
    out
}

/// Appends the typst for one block. Writing to a String cannot fail.
pub(crate) fn push_block(out: &mut String, block: &Block) {
    match block {
        Block::Heading(text) => {
            let _ = writeln!(out, "#heading(level: 1, {})", str_lit(text));
        }
        Block::Subheading(text) => {
            let _ = writeln!(out, "#heading(level: 2, {})", str_lit(text));
        }
        Block::PageBreak => out.push_str("#pagebreak(weak: true)\n"),
        Block::Paragraph(text) => {
            let _ = writeln!(out, "#senco-paras({})", str_lit(text));
        }
        Block::KeyValues(pairs) => {
            if pairs.is_empty() {
                return;
            }
            out.push_str("#senco-kv((\n");
            for (key, value) in pairs {
                let _ = writeln!(out, "  ({}, {}),", str_lit(key), str_lit(value));
            }
            out.push_str("))\n");
        }
        Block::Table {
            caption,
            header,
            rows,
        } => {
            let columns = rows.iter().map(Vec::len).chain([header.len()]).max();
            let columns = match columns {
                Some(n) if n > 0 => n,
                _ => return,
            };
            let _ = writeln!(
                out,
                "#senco-table(\n  {},\n  {columns},\n  {},\n  (",
                str_lit(caption),
                str_array(header)
            );
            for row in rows {
                let mut cells: Vec<&str> = row.iter().map(String::as_str).collect();
                cells.resize(columns, "");
                let _ = writeln!(out, "    {},", str_array(&cells));
            }
            out.push_str("  ),\n)\n");
        }
        Block::Signatures(labels) => {
            if !labels.is_empty() {
                let _ = writeln!(out, "#senco-signatures({})", str_array(labels));
            }
        }
        Block::Spacer => out.push_str("#v(1.5em)\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{HOSTILE, assert_contains_all, date, info_field, pdf_text};
    use crate::world::compile;

    fn sample(large_print: bool, language: Lang) -> Document {
        let mut blocks = vec![
            Block::Heading("About Gwenllïan Ŵyn".into()),
            Block::Subheading("Her first term".into()),
            Block::Paragraph(
                "Gwenllïan joined the school in Year 3.\n\nShe likes drawing and stories.".into(),
            ),
            Block::KeyValues(vec![
                ("Name".into(), "Gwenllïan Ŵyn".into()),
                ("Stage".into(), "School Action Plus".into()),
                ("Year group".into(), "Year 5".into()),
            ]),
            Block::Table {
                caption: "Targets".into(),
                header: vec!["Target".into(), "How we will help".into(), "By".into()],
                rows: (1..=40)
                    .map(|n| {
                        vec![
                            format!("Target {n}: read a short passage aloud with confidence"),
                            "Daily paired reading with a teaching assistant, ten minutes".into(),
                            "July 2027".into(),
                        ]
                    })
                    .chain([vec!["A short row".into()]])
                    .collect(),
            },
            Block::Spacer,
            Block::Signatures(vec!["Parent or carer".into(), "SENCO".into()]),
            Block::PageBreak,
        ];
        for hostile in HOSTILE {
            blocks.push(Block::Heading((*hostile).into()));
            blocks.push(Block::Subheading((*hostile).into()));
            blocks.push(Block::Paragraph((*hostile).into()));
            blocks.push(Block::KeyValues(vec![(
                (*hostile).into(),
                (*hostile).into(),
            )]));
            blocks.push(Block::Table {
                caption: (*hostile).into(),
                header: vec![(*hostile).into()],
                rows: vec![vec![(*hostile).into()]],
            });
            blocks.push(Block::Signatures(vec![(*hostile).into()]));
        }
        Document {
            title: "Support plan for Siân ap Dafydd".into(),
            subtitle: Some("Autumn term #panic()".into()),
            school: "Ysgol Gymraeg *Bryn* $Teg$".into(),
            date: date(2026, 11, 23),
            large_print,
            language,
            blocks,
        }
    }

    #[test]
    fn renders_every_block_with_hostile_text_printed_literally() {
        let doc = sample(false, Lang::English);
        let rendered = compile(source(&doc), doc.date).unwrap();
        assert!(rendered.pdf.starts_with(b"%PDF"));
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
        assert_eq!(render(&doc).unwrap(), rendered.pdf);

        let text = pdf_text(&rendered.pdf);
        let mut expected = vec![
            "Support plan for Siân ap Dafydd",
            "Autumn term #panic()",
            "Ysgol Gymraeg *Bryn* $Teg$",
            "23 November 2026",
            "About Gwenllïan Ŵyn",
            "Her first term",
            "She likes drawing and stories.",
            "School Action Plus",
            "Target 40: read a short passage aloud with confidence",
            "Parent or carer",
            "Page 1 of",
        ];
        expected.extend(HOSTILE);
        assert_contains_all(&text, &expected);
        // The header row repeats: once per page the table spans.
        assert!(text.matches("How we will help").count() >= 2, "{text}");
    }

    #[test]
    fn text_in_a_script_the_fonts_lack_still_renders() {
        let mut doc = sample(false, Lang::English);
        doc.blocks = vec![
            Block::Heading("Parent's views".into()),
            Block::Paragraph("我们希望在家里帮助阅读 — and Zoë said: بالعربية, ok".into()),
            Block::KeyValues(vec![("Name".into(), "Łucja Wiśniewska".into())]),
        ];
        let pdf = render(&doc).expect("renders despite the missing glyphs");
        let text = pdf_text(&pdf);
        assert_contains_all(
            &text,
            &[
                "[text in another script: see Senco] — and Zoë said:",
                "Łucja Wiśniewska",
            ],
        );
    }

    #[test]
    fn large_print_and_welsh() {
        let doc = sample(true, Lang::Welsh);
        let rendered = compile(source(&doc), doc.date).unwrap();
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
        let text = pdf_text(&rendered.pdf);
        // A Welsh document is worded by `senco_i18n::messages(Lang::Welsh)`, which is the
        // English catalogue until the Welsh one exists: English words, tagged English.
        assert_contains_all(&text, &["23 November 2026", "Page 1 of", "Date"]);

        let small = render(&sample(false, Lang::Welsh)).unwrap();
        let pages = |pdf: &[u8]| crate::test_support::page_count(pdf);
        assert!(pages(&rendered.pdf) > pages(&small));
        assert!(source(&doc).contains("size: 16pt"));
        let pdf = String::from_utf8_lossy(&rendered.pdf);
        assert!(
            pdf.contains("/Lang (en") || pdf.contains("en-GB"),
            "no English lang tag"
        );
    }

    #[test]
    fn the_pdf_is_tagged_and_titled() {
        let doc = Document {
            title: "Record of a meeting".into(),
            subtitle: None,
            school: "Oak Primary".into(),
            date: date(2026, 1, 5),
            large_print: false,
            language: Lang::English,
            blocks: vec![Block::Paragraph("Short.".into())],
        };
        let pdf = render(&doc).unwrap();
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("/StructTreeRoot"), "not tagged");
        assert!(raw.contains("pdfuaid:part"), "not marked as PDF/UA");
        assert_eq!(info_field(&pdf, "Title"), "Record of a meeting");
        assert_eq!(info_field(&pdf, "Tagged"), "yes");
        assert_eq!(info_field(&pdf, "Page size"), "595.276 x 841.89 pts (A4)");
    }

    #[test]
    fn long_words_wrap_inside_the_margins() {
        let long = "https://example.invalid/".to_owned() + &"verylongpath".repeat(30);
        let doc = Document {
            title: "Long words".into(),
            subtitle: None,
            school: "Oak Primary".into(),
            date: date(2026, 1, 5),
            large_print: true,
            language: Lang::English,
            blocks: vec![
                Block::Paragraph(long.clone()),
                Block::KeyValues(vec![("Link".into(), long.clone())]),
                Block::Table {
                    caption: "Links".into(),
                    header: vec!["Link".into(), "Note".into(), "Date".into()],
                    rows: vec![vec![long.clone(), long.clone(), "today".into()]],
                },
            ],
        };
        let pdf = render(&doc).unwrap();
        // A4 is 595.28 points wide; the right margin is 2.2 cm (62.36 points).
        let edge = crate::test_support::rightmost_word_edge(&pdf);
        assert!(
            edge > 400.0 && edge < 595.28 - 62.36 + 1.0,
            "text reaches {edge} pt"
        );
    }

    #[test]
    fn empty_blocks_are_skipped() {
        let doc = Document {
            title: "Empty".into(),
            subtitle: None,
            school: "Oak Primary".into(),
            date: date(2026, 1, 5),
            large_print: false,
            language: Lang::English,
            blocks: vec![
                Block::KeyValues(vec![]),
                Block::Table {
                    caption: "Nothing".into(),
                    header: vec![],
                    rows: vec![],
                },
                Block::Table {
                    caption: "No header".into(),
                    header: vec![],
                    rows: vec![vec!["a".into(), "b".into()]],
                },
                Block::Signatures(vec![]),
            ],
        };
        assert!(render(&doc).unwrap().starts_with(b"%PDF"));
    }
}
