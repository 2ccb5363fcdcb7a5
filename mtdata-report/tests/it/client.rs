use mtdata_report::{CellState, ClientReport, ReportOptions, TextOptions};

use crate::open;
use mtdata_report::CsvCells;

/// participant, completed, expected, duplicates (TaskLog, data), unscheduled, sessions completed,
/// logged without data, missing.
type Summary<'a> = (
    &'a str,
    usize,
    usize,
    (usize, usize),
    usize,
    u32,
    usize,
    Vec<&'a str>,
);

#[test]
fn client_report_matches_hand_counts() {
    let report = ClientReport::build(&open("templeton", ReportOptions::default())).unwrap();
    assert_eq!(report.slots.len(), 8);
    assert_eq!(report.slots[5], "firstSession/Affect (post)");
    let summary: Vec<Summary> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.participant.as_str(),
                r.completed,
                r.expected,
                (r.duplicates, r.data_duplicates),
                r.unscheduled,
                r.sessions_completed,
                r.no_data,
                r.missing.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("1", 8, 8, (0, 0), 0, 2, 0, vec![]),
            (
                "2",
                6,
                6,
                (1, 1),
                0,
                1,
                1,
                vec!["firstSession/Affect (post) (no data)"]
            ),
            ("3", 4, 5, (0, 1), 1, 1, 0, vec!["preTest/Phq4"]),
            ("4", 1, 0, (0, 0), 0, 0, 0, vec![]),
            ("5", 0, 1, (0, 0), 0, 0, 0, vec!["preTest/Credibility"]),
            (
                "99",
                1,
                1,
                (0, 0),
                0,
                0,
                1,
                vec!["preTest/Credibility (no data)"]
            ),
        ]
    );
    let flags: Vec<(bool, bool, bool)> = report
        .rows
        .iter()
        .map(|r| (r.admin, r.test_account, r.in_participant_table))
        .collect();
    assert_eq!(
        flags,
        [
            (false, false, true),
            (false, false, true),
            (false, false, true),
            (true, false, true),
            (false, true, true),
            (false, false, false),
        ]
    );
    assert!(report.rows[0].finished());
    assert_eq!(
        report.rows[0].last_activity.as_deref(),
        Some("2024-01-10T10:35:10Z")
    );
    assert_eq!(report.rows[4].last_activity, None);
    assert_eq!(
        report.rows[2].current_task.as_deref(),
        Some("Affect (post)")
    );
    use CellState::{Done, Duplicate, Missing, NoData, NotDue};
    assert_eq!(report.rows[0].cells, [Done; 8]);
    // Phq4 logged twice (and two rows); Affect post logged without its row.
    assert_eq!(
        report.rows[1].cells,
        [Done, Done, Duplicate, Done, Done, NoData, NotDue, NotDue]
    );
    // Phq4 due and not logged; JsPsychTrial logged once but its final screen submitted twice.
    assert_eq!(
        report.rows[2].cells,
        [Done, Done, Missing, Done, Duplicate, NotDue, NotDue, NotDue]
    );
    assert_eq!(report.rows[3].cells[..2], [Done, NotDue]);
    assert_eq!(report.rows[4].cells[..2], [Missing, NotDue]);
    // Only in TaskLog: Credibility logged, no Credibility row.
    assert_eq!(report.rows[5].cells[..2], [NoData, NotDue]);
    assert!(report.unchecked_tasks.is_empty());
}

#[test]
fn admins_and_test_accounts_can_be_left_out() {
    let options = ReportOptions {
        exclude_admins: true,
        exclude_test_accounts: true,
        ..ReportOptions::default()
    };
    let report = ClientReport::build(&open("templeton", options)).unwrap();
    let ids: Vec<&str> = report.rows.iter().map(|r| r.participant.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "99"]);
}

#[test]
fn client_report_text_csv_and_json_snapshots() {
    let report = ClientReport::build(&open("templeton", ReportOptions::default())).unwrap();
    insta::assert_snapshot!(
        "client_text",
        report.to_text(TextOptions {
            width: Some(120),
            color: false
        })
    );
    insta::assert_snapshot!(
        "client_text_unlimited",
        report.to_text(TextOptions {
            width: None,
            color: false
        })
    );
    let mut csv = Vec::new();
    report.write_csv(&mut csv, CsvCells::default()).unwrap();
    insta::assert_snapshot!("client_csv", String::from_utf8(csv).unwrap());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["rows"][2]["missing"][0], "preTest/Phq4");
    assert_eq!(
        json["rows"][1]["missing"][0],
        "firstSession/Affect (post) (no data)"
    );
    assert_eq!(json["rows"][1]["no_data"], 1);
    assert_eq!(json["rows"][2]["data_duplicates"], 1);
    assert!(json["rows"][0].get("cells").is_none());
}
