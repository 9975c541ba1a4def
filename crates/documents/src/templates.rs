//! The shared page setup every document starts with: A4, margins, the sans
//! font, type sizes, heading styles, a footer with page numbers, and the
//! typst functions that lay out blocks (paragraphs, key-value lists, tables,
//! signature lines).
//!
//! The generated source begins with a `cfg` dictionary of this document's
//! settings, written by [`preamble`] with every piece of text as a string
//! literal; the fixed typst below it reads `cfg` and never sees user text as
//! markup.

use std::fmt::Write as _;

use crate::escape::str_lit;
use crate::{Date, Lang};

/// Body text size for ordinary documents (clear print: at least 12 point).
const BODY_PT: u32 = 12;
/// Body text size for large print.
const LARGE_PRINT_PT: u32 = 16;

/// The settings of one document.
pub(crate) struct PageSetup<'a> {
    /// Goes into the PDF metadata and is shown by `#title()`.
    pub title: &'a str,
    pub school: &'a str,
    pub date: Date,
    pub lang: Lang,
    pub large_print: bool,
    /// The title's size relative to body text: [`TITLE_EM`] or [`LETTER_TITLE_EM`].
    pub title_em: f32,
}

/// The title's size relative to body text in documents.
pub(crate) const TITLE_EM: f32 = 1.6;
/// The size of a letter's subject line relative to body text.
pub(crate) const LETTER_TITLE_EM: f32 = 1.3;

/// The typst language tag and region of `lang`.
fn lang_tag(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::English => ("en", "gb"),
        Lang::Welsh => ("cy", "gb"),
    }
}

/// The start of every generated source: `cfg`, then the shared set-up.
pub(crate) fn preamble(setup: &PageSetup<'_>) -> String {
    // The catalogue of the document's language writes its words and dates, and its own
    // language is the PDF's (Welsh falls back to English until its catalogue exists).
    let m = senco_i18n::messages(setup.lang);
    let (lang, region) = lang_tag(m.lang);
    let size = if setup.large_print {
        LARGE_PRINT_PT
    } else {
        BODY_PT
    };
    let date = setup.date;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "#let cfg = (\n  title: {title},\n  school: {school},\n  date: datetime(year: {y}, month: {m}, day: {d}),\n  \
         date-text: {date_text},\n  lang: {lang},\n  region: {region},\n  size: {size}pt,\n  title-size: {title_em:.2}em,\n  \
         font: {font},\n  page-word: {page},\n  of-word: {of},\n  date-word: {date_word},\n)\n",
        title = str_lit(setup.title),
        school = str_lit(setup.school),
        y = date.year(),
        m = u8::from(date.month()),
        d = date.day(),
        date_text = str_lit(&m.long_date(date)),
        lang = str_lit(lang),
        region = str_lit(region),
        font = str_lit(crate::world::FONT_FAMILY),
        page = str_lit(m.doc_page),
        of = str_lit(m.doc_of),
        date_word = str_lit(m.doc_date),
        title_em = setup.title_em,
    );
    out.push_str(SHARED);
    out
}

/// The fixed part of the set-up. It reads only `cfg` and its arguments.
const SHARED: &str = r#"
#set document(title: cfg.title, date: cfg.date)
#set text(font: cfg.font, size: cfg.size, lang: cfg.lang, region: cfg.region, hyphenate: false)
#set par(justify: false, leading: 0.75em, spacing: 1.3em)
#set page(
  paper: "a4",
  margin: (x: 2.2cm, top: 2.2cm, bottom: 2.8cm),
  footer: context {
    set text(size: 0.8em)
    let here = counter(page).get().first()
    let total = counter(page).final().first()
    grid(
      columns: (1fr, auto),
      column-gutter: 1em,
      cfg.school,
      cfg.page-word + " " + str(here) + " " + cfg.of-word + " " + str(total),
    )
  },
)
#show title: set text(size: cfg.title-size, weight: "bold")
#show title: set block(below: 0.9em)
#show title: set par(leading: 0.45em)
#show heading: set text(weight: "bold")
#show heading.where(level: 1): set text(size: 1.3em)
#show heading.where(level: 2): set text(size: 1.1em)
#show heading: set block(above: 1.5em, below: 0.8em)
#show figure: set block(breakable: true)
#show figure.caption: set text(weight: "bold")
#show figure.caption: set align(left)
// A word too long for a line (a web address, say) may break after every ten
// characters: zero-width spaces give the line breaker somewhere to break.
#show regex("\\S{30,}"): it => {
  it.text.clusters().chunks(10).map(c => c.join()).join("\u{200b}")
}
#set table(inset: 0.5em, align: left + top, stroke: 0.75pt + luma(90))

// Paragraphs: a blank line in the text starts a new paragraph.
#let senco-paras(body) = {
  for p in body.split(regex("\n[ \t]*\n")) {
    let p = p.trim()
    if p != "" { par(p) }
  }
}

// Key-value pairs: a two-column table whose keys head their rows.
#let senco-kv(pairs) = table(
  columns: (auto, 1fr),
  stroke: none,
  inset: (x: 0pt, y: 0.4em),
  column-gutter: 1.5em,
  ..pairs.map(((k, v)) => (pdf.header-cell(scope: "row", strong(k)), v)).flatten(),
)

// A table with a caption above and a header row repeated on every page.
// `columns` is the number of columns; `header` may be empty.
#let senco-table(caption, columns, header, rows) = figure(
  kind: table,
  supplement: none,
  numbering: none,
  caption: figure.caption(position: top, caption),
  table(
    columns: columns,
    fill: (_, y) => if y == 0 and header.len() > 0 { luma(225) },
    ..if header.len() > 0 { (table.header(..header.map(strong)),) } else { () },
    ..rows.flatten(),
  ),
)

// Lines to sign on, each with a line for the date beside it.
#let senco-signatures(labels) = {
  for l in labels {
    block(breakable: false, above: 3em, grid(
      columns: (2fr, 1fr),
      column-gutter: 2em,
      row-gutter: 0.5em,
      line(length: 100%, stroke: 0.75pt),
      line(length: 100%, stroke: 0.75pt),
      l,
      cfg.date-word,
    ))
  }
}

"#;

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    #[test]
    fn dates_are_written_out_by_the_documents_catalogue() {
        let setup = |lang| PageSetup {
            title: "t",
            school: "s",
            date: Date::from_calendar_date(2026, Month::November, 3).unwrap(),
            lang,
            large_print: false,
            title_em: TITLE_EM,
        };
        assert!(preamble(&setup(Lang::English)).contains(r#"date-text: "3 November 2026""#));
        // Welsh falls back to the English catalogue until the Welsh one exists.
        assert!(preamble(&setup(Lang::Welsh)).contains(r#"date-text: "3 November 2026""#));
    }

    #[test]
    fn the_preamble_quotes_its_text() {
        let setup = PageSetup {
            title: "\"#panic()",
            school: "Ysgol *Y* Bryn",
            date: Date::from_calendar_date(2026, Month::January, 9).unwrap(),
            lang: Lang::Welsh,
            large_print: true,
            title_em: TITLE_EM,
        };
        let source = preamble(&setup);
        assert!(source.contains(r##"title: "\"#panic()","##));
        assert!(source.contains(r#"school: "Ysgol *Y* Bryn","#));
        assert!(source.contains("size: 16pt"));
        assert!(source.contains("title-size: 1.60em"));
        // The words are the English catalogue's until a Welsh one exists, and say so.
        assert!(source.contains(&format!("lang: \"{}\"", Lang::English.tag())));
    }
}
