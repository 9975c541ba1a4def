//! The letter telling parents that their child's SEN (or ALN) stage changes.

use std::fmt::Write as _;

use crate::escape::str_lit;
use crate::templates::{LETTER_TITLE_EM, PageSetup, preamble};
use crate::world::compile;
use crate::{Date, DocumentError, Lang};

/// A letter to a parent or carer about a change of stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentLetter {
    pub school: String,
    /// The school's postal address; each line of the text is a line of the address.
    pub school_address: Option<String>,
    /// The date the letter is dated.
    pub date: Date,
    pub parent_name: String,
    pub pupil_name: String,
    /// The new stage, e.g. "School Action Plus".
    pub stage: String,
    pub effective_on: Date,
    /// Why the stage changes; a blank line starts a new paragraph.
    pub reason: String,
    pub what_happens_next: String,
    pub senco_name: String,
    /// "SENCO" or "ALNCo"; "ALNCo" makes the letter speak of additional
    /// learning needs (ALN) instead of special educational needs (SEN).
    pub coordinator_title: String,
    /// The language the parents have letters in (the pupil's "language for letters"):
    /// `senco_i18n::messages(language)` writes its dates.
    pub language: Lang,
}

/// Renders the letter as a one- or two-page PDF in English.
pub fn parent_letter(l: &ParentLetter) -> Result<Vec<u8>, DocumentError> {
    compile(source(l), l.date).map(|rendered| rendered.pdf)
}

/// The title of the letter: its subject line and the PDF's title.
fn title(l: &ParentLetter) -> String {
    format!("Change of support stage for {}", l.pupil_name)
}

/// The typst source of the letter. Writing to a String cannot fail.
pub(crate) fn source(l: &ParentLetter) -> String {
    let lang = l.language;
    let m = senco_i18n::messages(lang);
    let title = title(l);
    let mut out = preamble(&PageSetup {
        title: &title,
        school: &l.school,
        date: l.date,
        lang,
        large_print: false,
        title_em: LETTER_TITLE_EM,
    });
    let needs = if l.coordinator_title.trim().eq_ignore_ascii_case("ALNCo") {
        "additional learning needs (ALN) support"
    } else {
        "special educational needs (SEN) support"
    };

    // The school's name and address, top right.
    let _ = writeln!(
        out,
        "#align(right, block(align(left, {{\n  strong(cfg.school)\n  \
         for line in {}.split(\"\\n\") {{\n    \
         if line.trim() != \"\" {{ linebreak(); line.trim() }}\n  }}\n}})))",
        str_lit(l.school_address.as_deref().unwrap_or(""))
    );
    out.push_str("#v(1em)\n#par(cfg.date-text)\n#title()\n");
    let _ = writeln!(
        out,
        "#par({})",
        str_lit(&format!("Dear {},", l.parent_name))
    );
    let _ = writeln!(
        out,
        "#par({} + strong({}) + {})",
        str_lit(&format!(
            "I am writing to let you know that from {}, {} will receive support at the ",
            m.long_date(l.effective_on),
            l.pupil_name
        )),
        str_lit(&l.stage),
        str_lit(&format!(" stage of our {needs}.")),
    );
    let _ = writeln!(
        out,
        "#heading(level: 1, \"Why this is changing\")\n#senco-paras({})",
        str_lit(&l.reason)
    );
    let _ = writeln!(
        out,
        "#heading(level: 1, \"What happens next\")\n#senco-paras({})",
        str_lit(&l.what_happens_next)
    );
    let _ = writeln!(
        out,
        "#par({})",
        str_lit(&format!(
            "You know {} best, and we want to work with you. If you have any questions, \
             or would like to meet to talk about this, please contact me at the school.",
            l.pupil_name
        ))
    );
    let _ = writeln!(
        out,
        "#block(breakable: false, {{\n  par(\"Yours sincerely,\")\n  v(2.5em)\n  \
         par({{ strong({}); linebreak(); {} }})\n}})",
        str_lit(&l.senco_name),
        str_lit(&l.coordinator_title),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{HOSTILE, assert_contains_all, date, page_count, pdf_text};
    use crate::world::compile;

    fn letter() -> ParentLetter {
        ParentLetter {
            school: "Ysgol Gynradd Aberdaron".into(),
            school_address: Some("Stryd Fawr\nAberdaron\r\nPwllheli LL53 8BE".into()),
            date: date(2026, 11, 23),
            parent_name: "Mrs Gwenllïan Ŵyn".into(),
            pupil_name: "Siân ap Dafydd".into(),
            stage: "School Action Plus".into(),
            effective_on: date(2026, 12, 1),
            reason: "Siân has found reading harder this term.\n\nThe speech and language \
                     therapist has offered to see her."
                .into(),
            what_happens_next: "We will meet you to write an individual education plan.".into(),
            senco_name: "Rhys Owen".into(),
            coordinator_title: "SENCO".into(),
            language: Lang::English,
        }
    }

    /// A letter to parents who have letters in Welsh is written by Welsh's catalogue, which
    /// is the English one until the Welsh catalogue exists: English dates, tagged English.
    #[test]
    fn a_welsh_letter_is_worded_by_the_welsh_catalogue() {
        let l = ParentLetter {
            language: Lang::Welsh,
            ..letter()
        };
        let source = source(&l);
        let m = senco_i18n::messages(Lang::Welsh);
        assert!(source.contains(&m.long_date(l.effective_on)));
        assert!(source.contains(&format!("lang: \"{}\"", m.lang.tag())));
        assert_eq!(source, super::source(&letter()));
    }

    #[test]
    fn the_letter_names_the_pupil_the_stage_and_the_dates() {
        let l = letter();
        let rendered = compile(source(&l), l.date).unwrap();
        assert!(rendered.pdf.starts_with(b"%PDF"));
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
        assert_eq!(parent_letter(&l).unwrap(), rendered.pdf);
        assert_eq!(page_count(&rendered.pdf), 1);
        let text = pdf_text(&rendered.pdf);
        assert_contains_all(
            &text,
            &[
                "Ysgol Gynradd Aberdaron",
                "Stryd Fawr",
                "Pwllheli LL53 8BE",
                "23 November 2026",
                "Change of support stage for Siân ap Dafydd",
                "Dear Mrs Gwenllïan Ŵyn,",
                "from 1 December 2026, Siân ap Dafydd will receive support at the \
                 School Action Plus stage of our special educational needs (SEN) support.",
                "Why this is changing",
                "The speech and language therapist has offered to see her.",
                "What happens next",
                "individual education plan",
                "Yours sincerely,",
                "Rhys Owen",
                "SENCO",
                "Page 1 of 1",
            ],
        );
        assert_eq!(
            crate::test_support::info_field(&rendered.pdf, "Title"),
            "Change of support stage for Siân ap Dafydd"
        );
        assert_eq!(
            crate::test_support::info_field(&rendered.pdf, "Tagged"),
            "yes"
        );
    }

    #[test]
    fn hostile_text_in_every_field_is_printed_literally() {
        for hostile in HOSTILE {
            let l = ParentLetter {
                school: format!("School {hostile}"),
                school_address: Some(format!("Address {hostile}")),
                parent_name: format!("Parent {hostile}"),
                pupil_name: format!("Pupil {hostile}"),
                stage: format!("Stage {hostile}"),
                reason: format!("Reason {hostile}"),
                what_happens_next: format!("Next {hostile}"),
                senco_name: format!("Senco {hostile}"),
                coordinator_title: format!("Title {hostile}"),
                ..letter()
            };
            let rendered = compile(source(&l), l.date).unwrap();
            assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
            let text = pdf_text(&rendered.pdf);
            let expected: Vec<String> = [
                "School", "Address", "Parent", "Pupil", "Stage", "Reason", "Next", "Senco", "Title",
            ]
            .iter()
            .map(|field| format!("{field} {hostile}"))
            .collect();
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            assert_contains_all(&text, &expected);
        }
    }

    #[test]
    fn an_alnco_letter_speaks_of_additional_learning_needs() {
        let l = ParentLetter {
            stage: "Individual development plan (school)".into(),
            coordinator_title: "ALNCo".into(),
            school_address: None,
            ..letter()
        };
        let text = pdf_text(&parent_letter(&l).unwrap());
        assert_contains_all(&text, &["additional learning needs (ALN) support", "ALNCo"]);
        assert!(!text.contains("(SEN)"));
    }
}
