//! Study-level behaviour: atomic replacement with identical bytes, table selection, keys.

use mtdata_core::layout::StudyLayout;
use mtdata_decode::{DecodeOptions, Error, decode_study};

use crate::support::{read, repo_path, study_from_fixture, test_key};

#[test]
fn rerunning_gives_the_same_bytes_and_never_appends() {
    let (_dir, layout) = study_from_fixture("duplicate_rows");
    let key = test_key();
    decode_study(&layout, Some(&key), &DecodeOptions::default()).unwrap();
    let csv = layout.decoded_csv("ParticipantExport");
    let first = std::fs::read(&csv).unwrap();
    decode_study(&layout, Some(&key), &DecodeOptions::default()).unwrap();
    assert_eq!(std::fs::read(&csv).unwrap(), first);
    // No temporary files left behind (the study lock stays, as export leaves it).
    let leftovers: Vec<_> = std::fs::read_dir(layout.active_data())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".mtdata.lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn rerunning_with_a_new_backup_replaces_the_csv() {
    let (_dir, layout) = study_from_fixture("conflicting_duplicates");
    decode_study(&layout, None, &DecodeOptions::default()).unwrap();
    std::fs::write(
        layout.raw_data().join("RR_20260101T000000.000000Z.json"),
        r#"[{"id":9,"score":3}]"#,
    )
    .unwrap();
    decode_study(&layout, None, &DecodeOptions::default()).unwrap();
    assert_eq!(read(&layout.decoded_csv("RR")), "id,score\n7,4\n8,2\n9,3\n");
}

#[test]
fn one_named_table_exactly() {
    let (_dir, layout) = study_from_fixture("prefix_tables");
    let options = DecodeOptions {
        table: Some("DD".into()),
        ..DecodeOptions::default()
    };
    let outcomes = decode_study(&layout, None, &options).unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].result.as_ref().unwrap().rows, 2);
    assert!(!layout.decoded_csv("DD_FU").exists());
}

#[test]
fn unknown_table_names_the_tables_that_exist() {
    let (_dir, layout) = study_from_fixture("prefix_tables");
    let options = DecodeOptions {
        table: Some("D".into()),
        ..DecodeOptions::default()
    };
    let err = decode_study(&layout, None, &options).unwrap_err();
    assert!(matches!(err, Error::NoBackups { .. }));
    assert!(
        err.to_string().contains("tables with backups: DD, DD_FU"),
        "{err}"
    );
    let options = DecodeOptions {
        table: Some("../etc".into()),
        ..DecodeOptions::default()
    };
    assert!(matches!(
        decode_study(&layout, None, &options),
        Err(Error::TableName(_))
    ));
}

#[test]
fn missing_raw_data_is_an_error_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = decode_study(
        &StudyLayout::new(dir.path()),
        None,
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("raw_data"), "{err}");
}

#[test]
fn without_a_key_ciphertext_is_kept_and_counted() {
    let (_dir, layout) = study_from_fixture("plain_ids");
    let outcomes = decode_study(&layout, None, &DecodeOptions::default()).unwrap();
    let summary = outcomes[0].result.as_ref().unwrap();
    assert_eq!(summary.fields.plain, 2);
    assert_eq!(summary.fields.empty, 2);
    assert_eq!(summary.fields.failed_no_key, 1);
    assert!(summary.has_problems());
    assert!(summary.problems()[0].contains("--key"));
    let csv = read(&layout.decoded_csv("OA"));
    assert!(csv.lines().nth(5).unwrap().contains(",failed,"), "{csv}");
}

#[test]
fn wrong_key_fails_every_field_and_says_so() {
    let (_dir, layout) = study_from_fixture("encrypted_and_dates");
    let other =
        mtdata_crypto::PrivateKey::load(&repo_path("fixtures/keys/other_private_pkcs1.pem"))
            .unwrap();
    let outcomes = decode_study(&layout, Some(&other), &DecodeOptions::default()).unwrap();
    let summary = outcomes[0].result.as_ref().unwrap();
    assert_eq!(summary.fields.failed_wrong_key_or_corrupt, 4);
    assert_eq!(summary.fields.decrypted, 0);
    let problems = summary.problems().join("\n");
    assert!(
        problems.starts_with(
            "table Affect: wrong key? 4 of 4 encrypted fields do not decrypt with this key (0 decrypted)"
        ),
        "{problems}"
    );
    assert_eq!(summary.problems().len(), 1, "one line for the table");
    // Ciphertext kept, never an empty cell.
    let csv = read(&layout.decoded_csv("Affect"));
    assert_eq!(csv.matches(",failed,").count(), 4, "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    for record in reader.records() {
        assert!(record.unwrap()[1].len() >= 344);
    }
}

#[test]
fn decrypted_ids_stay_out_of_summaries_and_errors() {
    let (_dir, layout) = study_from_fixture("encrypted_and_dates");
    let key = test_key();
    let outcomes = decode_study(&layout, Some(&key), &DecodeOptions::default()).unwrap();
    let summary = outcomes[0].result.as_ref().unwrap();
    let text = format!("{summary:?}{}", summary.problems().join(""));
    assert!(!text.contains("101") && !text.contains("102"), "{text}");
}
