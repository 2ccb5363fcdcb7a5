//! CSV cells that a spreadsheet shows as text: the one rule every CSV writer of mtdata applies (decoded
//! tables, reports, status files).
//!
//! A spreadsheet opening a CSV runs a cell that begins with `=`, `+`, `-` or `@` (and, in some, a tab
//! or carriage return) as a formula: a participant's free-text answer `=HYPERLINK("http://…")` would
//! become a link, or worse, on the research assistant's computer (OWASP, "CSV injection"). Such a cell
//! is written with a single quote before it, which spreadsheets show as text. Numbers (`-5`, `+3.2`,
//! `-1e3`) are left as they are, so numeric columns stay numeric. Tools that read the CSVs themselves
//! can ask for the cells exactly as the data holds them ([`CsvCells::Raw`]).

use std::borrow::Cow;

/// How free-text cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvCells {
    /// A cell a spreadsheet would run as a formula gets a leading `'` (the default).
    #[default]
    SpreadsheetSafe,
    /// Every cell exactly as the data holds it, for tools.
    Raw,
}

impl CsvCells {
    /// The cell to write for `text`.
    pub fn cell<'a>(self, text: &'a str) -> Cow<'a, str> {
        match self {
            CsvCells::SpreadsheetSafe => spreadsheet_safe(text),
            CsvCells::Raw => Cow::Borrowed(text),
        }
    }

    /// [`CsvCells::cell`] on bytes (CSV writers take bytes); bytes that are not UTF-8 are checked by
    /// their first byte all the same.
    pub fn cell_bytes<'a>(self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            CsvCells::SpreadsheetSafe if starts_formula(bytes) && !is_number(bytes) => {
                let mut out = Vec::with_capacity(bytes.len() + 1);
                out.push(b'\'');
                out.extend_from_slice(bytes);
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(bytes),
        }
    }
}

/// `text`, with a `'` before it when a spreadsheet would take it for a formula: it begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return and is not a number.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if starts_formula(text.as_bytes()) && !is_number(text.as_bytes()) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn starts_formula(bytes: &[u8]) -> bool {
    matches!(
        bytes.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// A decimal number: optional sign, digits with an optional fraction (or a fraction alone), optional
/// exponent. Not `inf` or `NaN`, which a spreadsheet reads as text anyway.
fn is_number(bytes: &[u8]) -> bool {
    let digits = |mut i: usize| {
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i > start)
    };
    let i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let (mut i, whole) = digits(i);
    let mut fraction = false;
    if bytes.get(i) == Some(&b'.') {
        (i, fraction) = digits(i + 1);
    }
    if !(whole || fraction) {
        return false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        let exponent;
        (i, exponent) = digits(i);
        if !exponent {
            return false;
        }
    }
    i == bytes.len()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (text, written) in [
            ("=1+1", "'=1+1"),
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1-800-FLOWERS", "'+1-800-FLOWERS"),
            ("-", "'-"),
            ("--", "'--"),
            ("-x", "'-x"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "'\r=1"),
            ("-1e", "'-1e"),
            ("-.", "'-."),
            ("-inf", "'-inf"),
            ("-5", "-5"),
            ("+3.2", "+3.2"),
            ("-1e3", "-1e3"),
            ("-1.5E-3", "-1.5E-3"),
            ("-.5", "-.5"),
            ("+7.", "+7."),
            ("5", "5"),
            ("", ""),
            ("plain text", "plain text"),
            ("a=b", "a=b"),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(spreadsheet_safe(text), written, "{text:?}");
            assert_eq!(
                CsvCells::SpreadsheetSafe
                    .cell_bytes(text.as_bytes())
                    .as_ref(),
                written.as_bytes()
            );
            assert_eq!(CsvCells::Raw.cell(text), text);
        }
    }

    proptest! {
        #[test]
        fn numbers_are_never_changed(n in any::<f64>().prop_filter("finite", |n| n.is_finite())) {
            for text in [n.to_string(), format!("{n:e}"), format!("{n:+}")] {
                prop_assert_eq!(spreadsheet_safe(&text), text.as_str());
            }
        }

        #[test]
        fn a_changed_cell_is_the_text_after_one_quote(text in "\\PC{0,12}") {
            let safe = spreadsheet_safe(&text);
            let quoted = format!("'{}", text);
            prop_assert!(safe == text.as_str() || *safe == quoted);
            prop_assert!(!matches!(safe.as_bytes().first(), Some(b'=' | b'+' | b'@' | b'\t' | b'\r'))
                || safe == text.as_str() && is_number(text.as_bytes()));
        }
    }
}
