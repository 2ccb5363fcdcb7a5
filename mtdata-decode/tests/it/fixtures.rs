//! One snapshot per fixture case in fixtures/decode/: the decoded CSV and the summary.

use crate::support::{decode_to_text, study_from_fixture, test_key};

fn snapshot_case(case: &str) -> String {
    let (_dir, layout) = study_from_fixture(case);
    let key = test_key();
    let text = decode_to_text(&layout, Some(&key));
    insta::assert_snapshot!(case, text);
    text
}

#[test]
fn prefix_tables_are_kept_apart() {
    let text = snapshot_case("prefix_tables");
    let dd = text.split("== active_data/DD.csv ==").nth(1).unwrap();
    let dd = dd.split("== active_data/DD.summary.json").next().unwrap();
    assert!(!dd.contains("followup"), "DD picked up DD_FU:\n{dd}");
}

#[test]
fn added_column() {
    let text = snapshot_case("added_column");
    assert!(
        text.starts_with("== active_data/Affect.csv ==\nid,date,date_iso,posFeelings,timeOnPage\n")
    );
}

#[test]
fn appended_arrays() {
    let text = snapshot_case("appended_arrays");
    assert!(text.contains("\"rows\": 2") && text.contains("\"duplicates\": 1"));
}

#[test]
fn duplicate_rows() {
    let text = snapshot_case("duplicate_rows");
    assert!(text.contains("\"rows_read\": 9") && text.contains("\"rows\": 3"));
}

#[test]
fn conflicting_duplicates() {
    let text = snapshot_case("conflicting_duplicates");
    assert!(text.contains("7,4\n") && text.contains("\"conflicting_ids\": 1"));
}

#[test]
fn lists_and_objects() {
    let text = snapshot_case("lists_and_objects");
    assert!(text.contains(r#""[""GAD"",""Panic""]""#), "{text}");
    assert!(!text.contains("u'"));
}

#[test]
fn plain_ids() {
    let text = snapshot_case("plain_ids");
    assert!(text.contains("1,123,plain,") && text.contains("2,1234,plain,"));
    assert!(text.contains("5,77,decrypted,"));
}

#[test]
fn undecryptable() {
    let text = snapshot_case("undecryptable");
    assert!(text.contains("\"failed\": 3"), "{text}");
    assert!(
        text.contains("\"failed_not_base64\": 1")
            && text.contains("\"failed_wrong_key_or_corrupt\": 2")
    );
    assert!(text.contains("1,532,decrypted,") && text.contains("5,532,decrypted,"));
    assert!(text.contains("\"distinct_ciphertexts\": 3"));
}

#[test]
fn legacy_and_new_names() {
    let text = snapshot_case("legacy_and_new_names");
    // Apr is later than Feb (MTData's sorted() had it the other way round); 2019 beats both.
    assert!(text.contains("1,apr\n2,2019\n3,2019\n"), "{text}");
}

#[test]
fn encrypted_and_dates() {
    let text = snapshot_case("encrypted_and_dates");
    assert!(text.contains("\"decrypted\": 4") && text.contains("\"distinct_ciphertexts\": 2"));
}

#[test]
fn truncated_file() {
    let text = snapshot_case("truncated_file");
    assert!(text.contains("1,a\n2,b\n"), "{text}");
    assert!(text.contains("truncated") && text.contains("\"rows_kept\": 1"));
}
