//! fixtures/report/r34_untagged: untagged repeats, lower-case task names, no Participant table.

use mtdata_report::{ClientReport, ReportOptions, ScaleReport};

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

#[test]
fn without_participant_table_the_last_logged_slot_sets_what_is_due() {
    let report = ClientReport::build(&open("r34_untagged", ReportOptions::default())).unwrap();
    assert!(!report.participant_table_found);
    let rows: Vec<(&str, usize, usize, usize, Vec<&str>)> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.participant.as_str(),
                r.completed,
                r.expected,
                r.duplicates,
                r.missing.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("10", 6, 6, 0, vec![]),
            ("11", 4, 5, 2, vec!["SESSION1/training"]),
            ("12", 1, 1, 0, vec![]),
        ]
    );
    assert!(report.rows.iter().all(|r| !r.in_participant_table));
    assert_eq!(
        report.rows[1].last_activity.as_deref(),
        Some("2018-03-04T11:21:00Z")
    );
}
