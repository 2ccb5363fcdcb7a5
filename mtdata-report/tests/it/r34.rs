//! fixtures/report/r34_untagged: untagged repeats, lower-case task names, no Participant table.

use mtdata_report::{CellState, ClientReport, ReportOptions, ScaleReport};

use crate::open;

#[test]
fn untagged_repeats_and_duplicates_never_give_negative_rates() {
    let report = ScaleReport::build(&open("r34_untagged", ReportOptions::default())).unwrap();
    let rows: Vec<(&str, &str, bool, [usize; 6])> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.task.as_str(),
                r.table.as_str(),
                r.data_found,
                [
                    r.tasklog_rows,
                    r.tasklog_completions,
                    r.data_rows,
                    r.data_completions,
                    r.duplicates,
                    r.missing,
                ],
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("credibility", "Credibility", true, [3, 3, 3, 2, 1, 1]),
            ("OA", "OA", true, [4, 3, 5, 3, 2, 0]),
            ("SUDS", "SUDS", true, [5, 4, 3, 3, 0, 1]),
            ("training", "training", false, [1, 1, 0, 0, 0, 1]),
        ]
    );
    let rates: Vec<Option<f64>> = report.rows.iter().map(|r| r.missing_rate).collect();
    assert_eq!(rates, [Some(1.0 / 3.0), Some(0.0), Some(0.25), Some(1.0)]);
}

/// participant, completed, expected, [TaskLog duplicates, data duplicates, no data], missing.
type ClientSummary<'a> = (&'a str, usize, usize, [usize; 3], Vec<&'a str>);

#[test]
fn without_participant_table_the_last_logged_slot_sets_what_is_due() {
    let report = ClientReport::build(&open("r34_untagged", ReportOptions::default())).unwrap();
    assert!(!report.participant_table_found);
    let rows: Vec<ClientSummary> = report
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
        .collect();
    assert_eq!(
        rows,
        [
            ("10", 6, 6, [0, 0, 0], vec![]),
            (
                "11",
                4,
                5,
                [2, 3, 1],
                vec!["SESSION1/training", "SESSION1/SUDS (post) (no data)"]
            ),
            ("12", 1, 1, [0, 0, 1], vec!["PRE/credibility (no data)"]),
        ]
    );
    use CellState::{Done, Duplicate, Missing, NoData, NotDue};
    // `training` has no table: logged means done (data unknown), never "no data".
    assert_eq!(report.unchecked_tasks, ["training"]);
    assert_eq!(report.rows[0].cells, [Done; 6]);
    // credibility and PRE/OA have extra data rows; SUDS: 3 untagged rows, one data row (the 1st).
    assert_eq!(
        report.rows[1].cells,
        [Duplicate, Duplicate, Done, Missing, NoData, NotDue]
    );
    assert_eq!(report.rows[2].cells[0], NoData);
    assert!(
        report.to_string().ends_with(
            "no data file for training: its logged slots count as done (data unknown)\n"
        )
    );
    assert!(report.rows.iter().all(|r| !r.in_participant_table));
    assert_eq!(
        report.rows[1].last_activity.as_deref(),
        Some("2018-03-04T11:21:00Z")
    );
}
