//! Writing CSV for people to open in a spreadsheet: RFC 4180 quoting, CRLF line ends, and
//! no field a spreadsheet would run as a formula.

/// One CSV field: quoted, inner quotes doubled, and a leading apostrophe before anything a
/// spreadsheet would run as a formula.
pub fn field(value: &str) -> String {
    let neutral = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

/// Appends one line of fields to `out`.
pub fn line<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    let joined: Vec<String> = cells.iter().map(|c| field(c.as_ref())).collect();
    out.push_str(&joined.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        assert_eq!(field("=1+1"), "\"'=1+1\"");
        assert_eq!(field("-2"), "\"'-2\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        let mut out = String::new();
        line(&mut out, &["a", "@b"]);
        assert_eq!(out, "\"a\",\"'@b\"\r\n");
    }
}
