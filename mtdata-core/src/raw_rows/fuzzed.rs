//! Inputs the fuzz targets (`fuzz/`, docs/reliability.md) found worth keeping: each pins what the scan and
//! the whole-buffer parse do with it, and that they agree.

use super::agreement::{parse, scan};

/// A lone UTF-16 surrogate escape in a value is valid JSON text (Java servers write one for a broken
/// string): the row is kept with its exact bytes by both, its value as sent. (Found by the scan_array
/// target: serde_json accepts the body but will not decode the value into a `String`.)
#[test]
fn a_lone_surrogate_in_a_value_is_kept_as_sent() {
    let text = r#"[{"id":1,"d":3,"t":"\ud8500","rosFeelings":554}]"#;
    let rows = scan(text, 7).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1),
        (&text[1..text.len() - 1], Some(1))
    );
    let (parsed, valid) = parse(text, 2);
    assert!(valid);
    assert_eq!(
        parsed[0].fields[2],
        ("t".to_owned(), r#""\ud8500""#.to_owned())
    );
}

/// A lone surrogate escape in a key: the column name cannot be text, so both refuse the body (a table
/// whose server writes such a key fails, and its rows stay on the server).
#[test]
fn a_lone_surrogate_in_a_key_is_refused_by_both() {
    let text = r#"[{"id":1,"a\\\ude00\\":1E+2}]"#;
    let error = scan(text, 7).unwrap_err().to_string();
    assert!(error.contains("surrogate"), "{error}");
    let (parsed, valid) = parse(text, 2);
    assert!(!valid);
    assert!(parsed.is_empty());
}
