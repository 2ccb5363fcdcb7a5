//! Kill `mtdata export` at random moments while rows are being deleted; a clean run afterwards
//! must leave every deleted row in a parseable backup and nothing on the server.

use std::collections::HashSet;
use std::time::Duration;

use mtdata_core::layout::RawFileName;
use mtdata_core::raw_rows::scan_array;
use mtdata_sim::mindtrails::{LiveSubmissions, SimOptions, Simulator};
use mtdata_sim::study::StudyOptions;

use crate::support::{kill_at_random_moments, mtdata, write_config};

const KILLS: u64 = 50;

#[test]
fn killed_exports_lose_nothing() {
    let sim = Simulator::start(SimOptions {
        study: Some(StudyOptions {
            participants: 40,
            ..StudyOptions::default()
        }),
        // Participants keep submitting, so every run has rows to back up and delete.
        live: Some(LiveSubmissions {
            tables: vec!["Affect".into(), "RR".into(), "JsPsychTrial".into()],
            rows_per_fetch: 0,
            every: Some(Duration::from_millis(5)),
        }),
        ..SimOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim, true);
    let killed_while_running = kill_at_random_moments(
        KILLS,
        0x9e37_79b9_7f4a_7c15,
        || {
            let mut cmd = mtdata();
            cmd.arg("--config")
                .arg(&config)
                .args(["export", ".", ".", "-q"]);
            cmd
        },
        || {},
    );
    assert!(
        killed_while_running >= KILLS / 2,
        "only {killed_while_running} kills hit a running export"
    );

    sim.set_live(None);
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["export", ".", ".", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Every backup parses, and holds every row the server deleted.
    let raw = dir.path().join("study/raw_data");
    let mut backed_up: HashSet<(String, i64)> = HashSet::new();
    for entry in std::fs::read_dir(&raw).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let parsed = RawFileName::parse(&name).unwrap_or_else(|| panic!("stray file {name}"));
        let bytes = std::fs::read(&path).unwrap();
        scan_array(bytes.as_slice(), |row| {
            backed_up.insert((parsed.table.clone(), row.id.unwrap()));
        })
        .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    }
    let deleted = sim.all_deleted();
    assert!(
        deleted.len() > 100,
        "the kills should have let many deletes through"
    );
    for (table, id) in &deleted {
        assert!(
            backed_up.contains(&(table.clone(), *id)),
            "{table} {id} deleted without a backup"
        );
    }
    for table in ["Affect", "RR", "JsPsychTrial", "BBSIQ", "Credibility"] {
        assert!(
            sim.table_ids(table).is_empty(),
            "{table} rows left on the server"
        );
    }
}
