//! Kill `mtdata export` at random moments while rows are being deleted; a clean run afterwards
//! must leave every deleted row in a parseable backup and nothing on the server.

use std::collections::HashSet;
use std::time::Duration;

use mtdata_core::layout::RawFileName;
use mtdata_core::raw_rows::scan_array;
use mtdata_sim::mindtrails::{LiveSubmissions, SimOptions, Simulator};
use mtdata_sim::study::StudyOptions;

use crate::support::{mtdata, write_config};

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
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed_while_running = 0;
    // The window to kill in adapts to how long a run takes on this machine, so most kills land
    // while the export is running, at a random point of it.
    let mut window_us: u64 = 150_000;
    for _ in 0..KILLS {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_micros((seed >> 33) % window_us);
        let mut child = mtdata()
            .arg("--config")
            .arg(&config)
            .args(["export", ".", ".", "-q"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
            window_us = window_us * 11 / 10;
        } else {
            window_us = (window_us * 7 / 10).max(5_000);
        }
        child.kill().ok(); // SIGKILL: no clean-up code runs
        child.wait().unwrap();
    }
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
