//! Invariants on random studies: rates stay in 0..=1 whatever the duplicates, counts add up.

use std::fmt::Write as _;

use mtdata_report::{CellState, ClientReport, ReportOptions, ScaleReport, StudyFolder};
use proptest::prelude::*;

const SCHEDULE: &str = r#"[{"name":"P","sessions":[
  {"name":"s1","tasks":[{"name":"Affect"},{"name":"A"},{"name":"Affect"}]},
  {"name":"s2","tasks":[{"name":"A"},{"name":"B"}]},
  {"name":"COMPLETE","tasks":[]}]}]"#;

/// (participant, session, task, tag) rows; the same shapes feed TaskLog and the data tables.
fn rows() -> impl Strategy<Value = Vec<(u8, u8, u8, u8)>> {
    proptest::collection::vec((0u8..5, 0u8..3, 0u8..3, 0u8..3), 0..40)
}

fn write_study(dir: &std::path::Path, log: &[(u8, u8, u8, u8)], data: &[(u8, u8, u8, u8)]) {
    let active = dir.join("active_data");
    std::fs::create_dir_all(&active).unwrap();
    std::fs::write(active.join("study.json"), SCHEDULE).unwrap();
    let session = |s: u8| ["s1", "s2", "elsewhere"][usize::from(s)];
    let task = |t: u8| ["Affect", "A", "B"][usize::from(t)];
    let tag = |t: u8| ["", "pre", "post"][usize::from(t)];
    let mut text = String::from("id,sessionName,taskName,tag,participantId\n");
    for (i, (p, s, t, g)) in log.iter().enumerate() {
        writeln!(text, "{i},{},{},{},{p}", session(*s), task(*t), tag(*g)).unwrap();
    }
    std::fs::write(active.join("TaskLog.csv"), text).unwrap();
    for name in ["Affect", "A", "B"] {
        let mut text = String::from("id,participantRSA,session,tag\n");
        for (i, (p, s, t, g)) in data.iter().enumerate() {
            if task(*t) == name {
                writeln!(text, "{i},{p},{},{}", session(*s), tag(*g)).unwrap();
            }
        }
        std::fs::write(active.join(format!("{name}.csv")), text).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rates_and_counts_are_consistent(log in rows(), data in rows()) {
        let dir = tempfile::tempdir().unwrap();
        write_study(dir.path(), &log, &data);
        let study = StudyFolder::open(dir.path(), ReportOptions::default()).unwrap();
        let scale = ScaleReport::build(&study).unwrap();
        for r in &scale.rows {
            prop_assert!(r.missing <= r.tasklog_completions);
            prop_assert!(r.tasklog_completions <= r.tasklog_rows);
            prop_assert!(r.data_completions + r.duplicates + r.unlinked_rows == r.data_rows);
            if let Some(rate) = r.missing_rate {
                prop_assert!((0.0..=1.0).contains(&rate), "rate {rate}");
            }
        }
        let logged: usize = scale.rows.iter().map(|r| r.tasklog_rows).sum();
        prop_assert_eq!(logged, log.len());
        let client = ClientReport::build(&study).unwrap();
        for r in &client.rows {
            prop_assert_eq!(r.cells.len(), 5);
            prop_assert!(r.completed <= 5 && r.expected <= 5);
            let not_logged = r.cells.iter().filter(|c| **c == CellState::Missing).count();
            let no_data = r.cells.iter().filter(|c| **c == CellState::NoData).count();
            prop_assert_eq!(no_data, r.no_data);
            prop_assert_eq!(not_logged + no_data, r.missing.len());
            prop_assert!(not_logged <= r.expected);
            prop_assert!(no_data <= r.completed);
        }
        // A slot without data has at least one TaskLog completion the scale report finds
        // missing; slots of one task and participant never share a completion.
        let no_data: usize = client.rows.iter().map(|r| r.no_data).sum();
        let missing: usize = scale.rows.iter().map(|r| r.missing).sum();
        prop_assert!(no_data <= missing, "{no_data} slots without data, {missing} missing");
        let placed: usize = client.rows.iter().map(|r| r.completed + r.duplicates + r.unscheduled).sum();
        prop_assert_eq!(placed, log.len());
    }
}
