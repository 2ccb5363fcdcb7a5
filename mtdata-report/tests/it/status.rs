use mtdata_report::{StatusOptions, StatusReport, TableStatus, TextOptions};

use crate::fixture;
use mtdata_report::CsvCells;

fn status_all() -> StatusReport {
    StatusReport::for_folder(
        &fixture("templeton").join("active_data"),
        &StatusOptions::default(),
    )
    .unwrap()
}

fn table<'a>(report: &'a StatusReport, name: &str) -> &'a TableStatus {
    report.tables.iter().find(|t| t.table == name).unwrap()
}

/// rows, participants, unlinked, duplicates, valid rows, PNA cells, out-of-range cells.
fn counts(t: &TableStatus) -> [usize; 7] {
    [
        t.rows,
        t.participants,
        t.unlinked_rows,
        t.duplicates,
        t.valid_rows,
        t.pna_cells,
        t.out_of_range_cells,
    ]
}

#[test]
fn status_all_matches_hand_counts() {
    let report = status_all();
    assert!(report.failures.is_empty());
    let names: Vec<&str> = report.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(
        names,
        [
            "Affect",
            "Credibility",
            "Demographics",
            "JsPsychTrial",
            "OA",
            "Participant",
            "Phq4",
            "RR",
            "TaskLog"
        ]
    );
    assert_eq!(counts(table(&report, "Affect")), [4, 3, 0, 0, 4, 1, 0]);
    assert_eq!(counts(table(&report, "Credibility")), [4, 4, 0, 0, 3, 1, 1]);
    assert_eq!(counts(table(&report, "Phq4")), [3, 2, 0, 1, 2, 0, 1]);
    assert_eq!(
        counts(table(&report, "JsPsychTrial")),
        [7, 3, 0, 1, 7, 0, 0]
    );
    assert_eq!(counts(table(&report, "OA")), [2, 1, 1, 0, 2, 1, 0]);
    assert_eq!(counts(table(&report, "RR")), [1, 1, 0, 0, 1, 1, 0]);
    let demographics = table(&report, "Demographics");
    assert!(!demographics.checked);
    let birth = demographics
        .columns
        .iter()
        .find(|c| c.column == "birthYear")
        .unwrap();
    assert_eq!((birth.missing, birth.range.as_deref()), (1, None));
    let listed: Vec<(&str, usize, &str, &str)> = report
        .tables
        .iter()
        .flat_map(|t| &t.out_of_range)
        .map(|o| (o.table.as_str(), o.row, o.column.as_str(), o.value.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("Credibility", 3, "important", "7"),
            ("Phq4", 1, "nervous", "4")
        ]
    );
}

#[test]
fn status_of_one_file_uses_the_named_scale() {
    let path = fixture("templeton").join("active_data/Phq4.csv");
    let report = StatusReport::for_file("Phq4", &path, &StatusOptions::default()).unwrap();
    assert_eq!(counts(&report.tables[0]), [3, 2, 0, 1, 2, 0, 1]);
    insta::assert_snapshot!(
        "status_phq4_text",
        report.to_text(TextOptions {
            width: Some(100),
            color: false
        })
    );
    let missing = StatusReport::for_file(
        "Phq4",
        &path.with_file_name("Nope.csv"),
        &StatusOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(missing.contains("Nope.csv"), "{missing}");
}

#[test]
fn status_all_text_and_csv_snapshots() {
    let report = status_all();
    insta::assert_snapshot!(
        "status_all_text",
        report.to_text(TextOptions {
            width: Some(100),
            color: false
        })
    );
    let mut csv = Vec::new();
    report
        .write_out_of_range_csv(&mut csv, CsvCells::default())
        .unwrap();
    insta::assert_snapshot!("status_out_of_range_csv", String::from_utf8(csv).unwrap());
    let mut columns = Vec::new();
    report
        .write_columns_csv(&mut columns, CsvCells::default())
        .unwrap();
    let columns = String::from_utf8(columns).unwrap();
    assert!(
        columns.contains("Credibility,important,4,4,0,3,0,0.0000,0–5 (PNA 555),0,1\n"),
        "{columns}"
    );
}

#[test]
fn an_unreadable_table_is_a_failure_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Good.csv"), "id,participant\n1,5\n").unwrap();
    std::fs::write(dir.path().join("Bad.csv"), b"id,participant\n1,\xff\xfe\n").unwrap();
    let report = StatusReport::for_folder(dir.path(), &StatusOptions::default()).unwrap();
    assert_eq!(report.tables.len(), 1);
    assert_eq!(report.failures.len(), 1);
    assert!(
        report.failures[0].error.contains("Bad.csv"),
        "{:?}",
        report.failures
    );
}
