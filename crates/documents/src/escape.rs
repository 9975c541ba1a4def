//! Safe text: user text enters typst source only as a string literal.
//!
//! Names, reasons and targets are never spliced into typst markup. Each one is
//! written as a typst string literal (`"…"`), which typst shows as plain text:
//! markup characters (`#`, `*`, `$`, `<`, `@`, `]`, …) inside it mean nothing,
//! so user text is printed literally and can never run code.

use std::fmt::Write as _;

/// What stands in a PDF for text in a script its fonts cannot show.
pub const NOT_SHOWN: &str = "[text in another script: see Senco]";

/// Writes `text` as a typst string literal, quotes included.
///
/// Only `\` and `"` need escaping inside a typst string; line breaks become
/// `\n` (a Windows `\r\n` or a lone `\r` counts as one line break), tabs become
/// spaces, and other control characters, which no font can show, are dropped. A run of
/// characters the embedded fonts cannot show (Chinese, Arabic or Urdu script, say) becomes
/// [`NOT_SHOWN`], so the document still renders; the text itself stays in Senco.
pub fn str_lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_control() && c != ' ' && !crate::world::can_show(c) {
            while chars
                .peek()
                .is_some_and(|n| !n.is_control() && !crate::world::can_show(*n))
            {
                chars.next();
            }
            out.push_str(NOT_SHOWN);
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a typst array of string literals: `("a", "b", )`.
///
/// The trailing comma keeps a one-element array an array.
pub fn str_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("(");
    for item in items {
        // Writing to a String cannot fail.
        let _ = write!(out, "{}, ", str_lit(item.as_ref()));
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use typst::syntax::{SyntaxKind, ast, parse_code};

    fn has_errors(node: &typst::syntax::SyntaxNode) -> bool {
        !node.errors_and_warnings().0.is_empty()
    }

    /// Parses `literal` as typst code and returns the string it denotes, if it
    /// is exactly one string literal and nothing else.
    fn parse_string(literal: &str) -> Option<String> {
        let root = parse_code(literal);
        if has_errors(&root) {
            return None;
        }
        let mut exprs = root.children().filter(|n| !n.kind().is_trivia());
        let node = exprs.next()?;
        if exprs.next().is_some() || node.kind() != SyntaxKind::Str {
            return None;
        }
        node.cast::<ast::Str>().map(|s| s.get().to_string())
    }

    const HOSTILE: &[&str] = &[
        "#panic(\"boom\")",
        "\"); #panic(\"out\"); (\"",
        "*bold* _under_ $x^2$ <label> @ref `raw`",
        "] [ } { ) ( \\ \\\\ \\u{41} \\n",
        "= Not a heading\n- not a list\n+ not numbered\n/ term: no",
        "// not a comment /* nor this */",
        "#read(\"/etc/passwd\") #import \"x.typ\": *",
        "Siân ap Dafydd, Gwenllïan Ŵyn — 'quotes' \"double\" ~ -- ...",
        "",
    ];

    #[test]
    fn text_the_fonts_cannot_show_is_replaced_by_run() {
        assert_eq!(
            str_lit("Mum: 我们希望 ok 好"),
            format!("\"Mum: {NOT_SHOWN} ok {NOT_SHOWN}\"")
        );
        // Latin, Welsh and Polish letters, dashes and quotes stay as written.
        assert_eq!(
            str_lit("Siân Ŵyn Łucja – “hi”"),
            "\"Siân Ŵyn Łucja – “hi”\""
        );
    }

    #[test]
    fn literals_round_trip_through_the_typst_parser() {
        for text in HOSTILE {
            let lit = str_lit(text);
            assert_eq!(
                parse_string(&lit).as_deref(),
                Some(*text),
                "literal {lit} does not denote {text:?}"
            );
        }
    }

    #[test]
    fn escapes_only_what_it_must() {
        assert_eq!(str_lit("plain"), r#""plain""#);
        assert_eq!(str_lit(r#"a\b"c"#), r#""a\\b\"c""#);
        assert_eq!(str_lit("*x* #y $z$ <w> @v ]"), r#""*x* #y $z$ <w> @v ]""#);
    }

    #[test]
    fn line_breaks_are_normalised_and_controls_dropped() {
        assert_eq!(str_lit("a\r\nb\rc\nd"), r#""a\nb\nc\nd""#);
        assert_eq!(str_lit("a\tb\u{0}c\u{7f}d\u{1b}e"), r#""a bcde""#);
        assert_eq!(parse_string(&str_lit("a\r\nb")).as_deref(), Some("a\nb"));
    }

    #[test]
    fn arrays_of_literals_parse_as_arrays() {
        assert_eq!(str_array::<&str>(&[]), "()");
        assert_eq!(str_array(&["a"]), r#"("a", )"#);
        let root = parse_code(&str_array(HOSTILE));
        assert!(!has_errors(&root));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_one_string_literal(text in "\\PC*") {
            let lit = str_lit(&text);
            // What the fonts can show comes back exactly; the rest as the stand-in.
            let mut expected = String::new();
            let mut in_run = false;
            for c in text.chars() {
                if crate::world::can_show(c) || c == ' ' {
                    expected.push(c);
                    in_run = false;
                } else if !in_run {
                    expected.push_str(NOT_SHOWN);
                    in_run = true;
                }
            }
            proptest::prop_assert_eq!(parse_string(&lit), Some(expected));
        }

        #[test]
        fn any_input_stays_inside_its_literal(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert!(parse_string(&str_lit(&text)).is_some());
        }
    }
}
