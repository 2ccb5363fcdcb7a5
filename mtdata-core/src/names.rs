//! Names that come from a server (tables, applets, activities): shown escaped in the terminal and
//! logs, and checked before they name a file.
//!
//! A server may send any text as a name. Printed as it is, a name could move the cursor, recolour or
//! clear the terminal, or forge a log line; used as a file name on Windows or macOS, `CON` is a
//! device and `OA` and `oa` are one file. [`escaped`] is the one way a server-supplied name is shown;
//! [`is_reserved`] and [`case_collisions`] say which names cannot be paths.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// Names longer than this (in characters, once escaped) are cut when shown.
const SHOWN_CHARS: usize = 60;

/// `name` with control, invisible and formatting characters, double quotes and backslashes escaped as
/// Rust's `escape_debug` does (`\n`, `\u{1b}`, `\u{202e}`), so that printing it can only print
/// visible characters. Borrowed when nothing needed escaping.
pub fn escaped(name: &str) -> Cow<'_, str> {
    // A single quote is harmless and common in applet and activity names ("Kid's mood").
    let plain = |c: char| c == '\'' || c.escape_debug().eq(std::iter::once(c));
    if name.chars().all(plain) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if plain(c) {
            out.push(c);
        } else {
            out.extend(c.escape_debug());
        }
    }
    Cow::Owned(out)
}

/// `name` escaped, in double quotes, cut to 60 characters with its length in bytes: for messages
/// that name a value which may be long or hostile.
pub fn shown(name: &str) -> String {
    let escaped = escaped(name);
    if escaped.chars().count() > SHOWN_CHARS {
        let cut: String = escaped.chars().take(SHOWN_CHARS).collect();
        format!("\"{cut}…\" ({} bytes)", name.len())
    } else {
        format!("\"{escaped}\"")
    }
}

/// Windows device names, which cannot be files in any folder, with or without an extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$", "COM0", "COM1", "COM2", "COM3",
    "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5",
    "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Whether `name` is a Windows device name (`CON`, `nul`, `COM1`, `Lpt9.json`, ...), case-insensitive,
/// with or without an extension: such a file cannot be made where study folders are often synced.
pub fn is_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem))
}

/// The names of one listing that another name of it equals but for case (`OA` and `oa`): on Windows and
/// macOS they would be one file, so neither may be used as a path.
pub fn case_collisions<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut by_lower: HashMap<String, Vec<&str>> = HashMap::new();
    for name in names {
        by_lower.entry(name.to_lowercase()).or_default().push(name);
    }
    by_lower
        .into_values()
        .filter(|same| {
            let distinct: BTreeSet<&&str> = same.iter().collect();
            distinct.len() > 1
        })
        .flatten()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_only_printable_text() {
        assert!(matches!(escaped("DASS21_AS"), Cow::Borrowed("DASS21_AS")));
        assert!(matches!(escaped("Étude à 2"), Cow::Borrowed(_)));
        assert_eq!(escaped("red\x1b[31m!"), "red\\u{1b}[31m!");
        assert_eq!(escaped("a\nb\r\"c\\"), "a\\nb\\r\\\"c\\\\");
        assert_eq!(escaped("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(escaped("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert!(matches!(escaped("Kid's mood"), Cow::Borrowed(_)));
        assert_eq!(shown("OA"), "\"OA\"");
        let long = shown(&"L".repeat(10_000));
        assert!(
            long.ends_with("…\" (10000 bytes)") && long.len() < 80,
            "{long}"
        );
    }

    #[test]
    fn windows_device_names_are_reserved() {
        for name in [
            "CON",
            "con",
            "Nul",
            "COM1",
            "lpt9",
            "AUX.json",
            "nul.tar.gz",
            "CON ",
        ] {
            assert!(is_reserved(name), "{name}");
        }
        for name in ["CONSENT", "COM10", "NULL", "OA", "Console", "LPT"] {
            assert!(!is_reserved(name), "{name}");
        }
    }

    #[test]
    fn names_equal_but_for_case_collide() {
        let found = case_collisions(["OA", "RR", "oa", "Oa", "TaskLog", "RR"]);
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["OA", "Oa", "oa"]);
        assert!(case_collisions(["OA", "RR"]).is_empty());
    }
}
