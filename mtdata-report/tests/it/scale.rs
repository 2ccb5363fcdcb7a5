use mtdata_report::{ReportOptions, ScaleReport, ScaleRow, TableMap, TextOptions};

use crate::open;
use mtdata_report::CsvCells;

fn counts(r: &ScaleRow) -> [usize; 10] {
    [
        r.tasklog_rows,
        r.tasklog_completions,
        r.data_rows,
        r.data_completions,
        r.participants,
        r.duplicates,
        r.unlinked_rows,
        r.missing,
        r.unlogged,
        usize::from(r.data_found),
    ]
}

#[test]
fn scale_report_matches_hand_counts() {
    let report = ScaleReport::build(&open("templeton", ReportOptions::default())).unwrap();
    let rows: Vec<(&str, &str, [usize; 10])> = report
        .rows
        .iter()
        .map(|r| (r.task.as_str(), r.table.as_str(), counts(r)))
        .collect();
    assert_eq!(
        rows,
        [
            ("Credibility", "Credibility", [5, 5, 4, 4, 4, 0, 0, 1, 0, 1]),
            (
                "Demographics",
                "Demographics",
                [3, 3, 3, 3, 3, 0, 0, 0, 0, 1]
            ),
            ("Phq4", "Phq4", [3, 2, 3, 2, 2, 1, 0, 0, 0, 1]),
            ("Affect", "Affect", [5, 5, 4, 4, 3, 0, 0, 1, 0, 1]),
            (
                "JsPsychTrial",
                "JsPsychTrial",
                [3, 3, 4, 3, 3, 1, 0, 0, 0, 1]
            ),
            ("RecognitionRatings", "RR", [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]),
            ("OA", "OA", [1, 1, 2, 1, 1, 0, 1, 0, 0, 1]),
        ]
    );
    let rates: Vec<Option<f64>> = report.rows.iter().map(|r| r.missing_rate).collect();
    assert_eq!(
        rates,
        [
            Some(0.2),
            Some(0.0),
            Some(0.0),
            Some(0.2),
            Some(0.0),
            Some(0.0),
            Some(0.0)
        ]
    );
}

#[test]
fn excluding_admins_and_test_accounts_changes_the_counts() {
    let options = ReportOptions {
        exclude_admins: true,
        exclude_test_accounts: true,
        ..ReportOptions::default()
    };
    let report = ScaleReport::build(&open("templeton", options)).unwrap();
    let credibility = &report.rows[0];
    assert_eq!(counts(credibility), [4, 4, 3, 3, 3, 0, 0, 1, 0, 1]);
    assert_eq!(credibility.missing_rate, Some(0.25));
}

#[test]
fn table_map_file_redirects_a_task() {
    let dir = tempfile::tempdir().unwrap();
    let map_file = dir.path().join("map.csv");
    std::fs::write(&map_file, "task,table\nOA,OASIS\n").unwrap();
    let mut table_map = TableMap::default();
    table_map.extend_from_file(&map_file).unwrap();
    let report = ScaleReport::build(&open(
        "templeton",
        ReportOptions {
            table_map,
            ..ReportOptions::default()
        },
    ))
    .unwrap();
    let oa = report.rows.iter().find(|r| r.task == "OA").unwrap();
    assert_eq!(oa.table, "OASIS");
    assert!(!oa.data_found);
    assert_eq!((oa.missing, oa.missing_rate), (1, Some(1.0)));
    // The built-in mapping still applies.
    assert_eq!(report.rows[5].table, "RR");
}

#[test]
fn missing_schedule_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("active_data")).unwrap();
    let err = mtdata_report::StudyFolder::open(dir.path(), ReportOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("study.json") && text.contains("export the study first"),
        "{text}"
    );
}

#[test]
fn scale_report_text_and_csv_snapshots() {
    let report = ScaleReport::build(&open("templeton", ReportOptions::default())).unwrap();
    insta::assert_snapshot!(
        "scale_text",
        report.to_text(TextOptions {
            width: Some(100),
            color: false
        })
    );
    let mut csv = Vec::new();
    report.write_csv(&mut csv, CsvCells::default()).unwrap();
    insta::assert_snapshot!("scale_csv", String::from_utf8(csv).unwrap());
}

#[test]
fn scale_report_fits_a_narrow_terminal_and_colours() {
    let report = ScaleReport::build(&open("templeton", ReportOptions::default())).unwrap();
    let text = report.to_text(TextOptions {
        width: Some(60),
        color: false,
    });
    assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
    let colored = report.to_text(TextOptions {
        width: None,
        color: true,
    });
    assert!(colored.contains("\x1b[38;5;9m"));
    assert!(!report.to_string().contains('\x1b'));
}

#[test]
fn a_table_name_that_is_a_path_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("active_data");
    std::fs::create_dir(&active).unwrap();
    std::fs::write(
        active.join("study.json"),
        r#"[{"name":"S","sessions":[{"name":"one","tasks":[{"name":"../secret"}]}]}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secret.csv"),
        "id,participant,session\n1,5,one\n",
    )
    .unwrap();
    std::fs::write(
        active.join("TaskLog.csv"),
        "id,sessionName,taskName,participantId\n1,one,../secret,5\n",
    )
    .unwrap();
    let report = ScaleReport::build(
        &mtdata_report::StudyFolder::open(dir.path(), ReportOptions::default()).unwrap(),
    )
    .unwrap();
    assert!(!report.rows[0].data_found);
    assert_eq!(report.rows[0].missing, 1);
}
