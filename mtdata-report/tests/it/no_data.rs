//! fixtures/report/no_data: logged tasks whose table has no row for them, matched per
//! participant, session and tag; tables keyed by `sessionName`, without `tag` or without `session`;
//! two tasks sharing one table; a task without a table (unknown, never "no data").

use mtdata_report::CsvCells;
use mtdata_report::{CellState, ClientReport, ReportOptions, ScaleReport};

use crate::open;

/// task, data found, [logged rows, logged completions, data rows, data completions, people,
/// duplicates, missing, unlogged].
type ScaleSummary<'a> = (&'a str, bool, [usize; 8]);

fn scale_summary(report: &ScaleReport) -> Vec<ScaleSummary<'_>> {
    report
        .rows
        .iter()
        .map(|r| {
            (
                r.task.as_str(),
                r.data_found,
                [
                    r.tasklog_rows,
                    r.tasklog_completions,
                    r.data_rows,
                    r.data_completions,
                    r.participants,
                    r.duplicates,
                    r.missing,
                    r.unlogged,
                ],
            )
        })
        .collect()
}

#[test]
fn scale_report_matches_hand_counts() {
    let report = ScaleReport::build(&open("no_data", ReportOptions::default())).unwrap();
    assert_eq!(
        scale_summary(&report),
        [
            ("Consent", false, [4, 4, 0, 0, 0, 0, 4, 0]),
            ("Phq4", true, [4, 4, 3, 3, 3, 0, 2, 1]),
            ("Affect", true, [6, 5, 4, 4, 3, 0, 1, 0]),
            ("1", true, [2, 2, 3, 3, 2, 0, 0, 1]),
            ("2", true, [2, 2, 3, 3, 2, 0, 1, 2]),
            ("Survey", true, [2, 2, 4, 3, 3, 1, 0, 1]),
        ]
    );
    let tables: Vec<&str> = report.rows.iter().map(|r| r.table.as_str()).collect();
    assert_eq!(
        tables,
        [
            "Consent",
            "Phq4",
            "Affect",
            "AngularTraining",
            "AngularTraining",
            "Survey"
        ]
    );
}

/// participant, completed, expected, [TaskLog duplicates, data duplicates, no data], missing.
type ClientSummary<'a> = (&'a str, usize, usize, [usize; 3], Vec<&'a str>);

fn client_summary(report: &ClientReport) -> Vec<ClientSummary<'_>> {
    report
        .rows
        .iter()
        .map(|r| {
            (
                r.participant.as_str(),
                r.completed,
                r.expected,
                [r.duplicates, r.data_duplicates, r.no_data],
                r.missing.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

#[test]
fn logged_slots_without_a_data_row_are_missing_by_name() {
    let report = ClientReport::build(&open("no_data", ReportOptions::default())).unwrap();
    assert_eq!(
        report.slots,
        [
            "preTest/Consent",
            "preTest/Phq4",
            "session1/Affect (pre)",
            "session1/1",
            "session1/Affect (post)",
            "session2/2",
            "session2/Survey",
        ]
    );
    assert_eq!(report.unchecked_tasks, ["Consent"]);
    assert_eq!(
        client_summary(&report),
        [
            ("21", 7, 7, [0, 0, 0], vec![]),
            (
                "22",
                7,
                7,
                [1, 1, 3],
                vec![
                    "preTest/Phq4 (no data)",
                    "session1/Affect (post) (no data)",
                    "session2/2 (no data)",
                ]
            ),
            (
                "23",
                3,
                5,
                [0, 0, 0],
                vec!["session1/1", "session1/Affect (post)"]
            ),
            ("24", 2, 2, [0, 0, 1], vec!["preTest/Phq4 (no data)"]),
        ]
    );
    use CellState::{Done, Duplicate, Missing, NoData, NotDue};
    let cells: Vec<&[CellState]> = report.rows.iter().map(|r| r.cells.as_slice()).collect();
    assert_eq!(
        cells,
        [
            &[Done; 7][..],
            // Phq4's row is in session1; Affect post logged twice, never submitted (no data wins
            // over duplicate); AngularTraining has session1's row only; Survey submitted twice.
            &[Done, NoData, Done, Done, NoData, NoData, Duplicate],
            &[Done, Done, Done, Missing, Missing, NotDue, NotDue],
            &[Done, NoData, NotDue, NotDue, NotDue, NotDue, NotDue],
        ]
    );

    let mut csv = Vec::new();
    report.write_csv(&mut csv, CsvCells::default()).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines().nth(2).unwrap().contains(
            ",7,7,3,3,preTest/Phq4 (no data); session1/Affect (post) (no data); session2/2 (no data),1,1,"
        ),
        "{csv}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["rows"][1]["no_data"], 3);
    assert_eq!(json["unchecked_tasks"][0], "Consent");
}

#[test]
fn excluded_admins_leave_both_reports() {
    let options = ReportOptions {
        exclude_admins: true,
        ..ReportOptions::default()
    };
    let study = open("no_data", options);
    let scale = ScaleReport::build(&study).unwrap();
    assert_eq!(
        scale_summary(&scale)[1],
        ("Phq4", true, [3, 3, 3, 3, 3, 0, 1, 1])
    );
    let client = ClientReport::build(&study).unwrap();
    let no_data: Vec<(&str, usize)> = client
        .rows
        .iter()
        .map(|r| (r.participant.as_str(), r.no_data))
        .collect();
    assert_eq!(no_data, [("21", 0), ("22", 3), ("23", 0)]);
}
