//! `mtdata report adherence` end to end: the v1 simulator serves the hand-counted fixture study
//! (`fixtures/report/mindlogger_adherence/`) as Girder documents, `mtdata export` walks it with
//! `GIRDER: true`, and the report made from the saved pages is the README's table.

use std::path::{Path, PathBuf};

use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_sim::mindlogger::{GirderSource, SimOptions, Simulator};

use crate::mindlogger::{Study, small};
use crate::support::{mtdata, render, snapshot_settings};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/report/mindlogger_adherence")
}

/// Files of `PATH/reports/` whose name contains `kind`.
fn reports(study: &Path, kind: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(study.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(kind))
        .collect();
    found.sort();
    found
}

#[test]
fn export_then_adherence_of_the_hand_counted_study() {
    let sim = Simulator::start(SimOptions {
        girder: GirderSource::Fixture(fixture()),
        ..small(MindLoggerApi::V1)
    })
    .unwrap();
    let study = Study::new(
        &sim,
        sim.manager(),
        "  GIRDER: true\n  TIMEZONE: America/New_York\n",
    );
    let export = study.export(&sim);
    assert_eq!(export.status.code(), Some(0), "{}", render(&export));

    let run = |args: &[&str]| {
        mtdata()
            .arg("--config")
            .arg(&study.config)
            .args([
                "report",
                "adherence",
                "ema",
                "--cut-off",
                "2026-03-12T15:00:00Z",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--html"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    // The README's totals and bob's Morning row.
    assert!(
        stdout.contains(
            "all               39       12     6      18        3        4         2      50.0%"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "bob    Morning     8        2     1       4        1        1         1      42.9%"
        ),
        "{stdout}"
    );
    snapshot_settings(study.dir.path()).bind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z", "[TIME]");
        settings.bind(|| insta::assert_snapshot!("adherence_cli", render(&out)));
    });

    let root = study.root();
    let per_row = std::fs::read_to_string(&reports(&root, "_adherence_report_")[0]).unwrap();
    assert_eq!(per_row.lines().count(), 13, "{per_row}");
    assert!(
        per_row
            .contains("EMA study,6500000000000000000000b2,bob,Morning,8,2,1,4,1,1,1,0.4286,0.2857"),
        "{per_row}"
    );
    let per_day = std::fs::read_to_string(&reports(&root, "_adherence_days_")[0]).unwrap();
    assert_eq!(per_day.lines().count(), 42, "{per_day}");
    let html = std::fs::read_to_string(
        reports(&root, "_adherence_")
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "html"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(html.matches("class=\"hm-row\"").count(), 3);

    let json = run(&["--json", "--no-csv"]);
    assert_eq!(json.status.code(), Some(0), "{}", render(&json));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["time_zone"], "America/New_York");
    assert_eq!(value["totals"]["due"], 39);
    assert_eq!(value["totals"]["missed"], 18);
    assert_eq!(value["days"].as_array().unwrap().len(), 41);

    // The block's time zone can be overridden: in UTC the days and DST-sensitive answers change.
    let utc = run(&["--time-zone", "UTC", "--no-csv"]);
    assert_eq!(utc.status.code(), Some(0), "{}", render(&utc));
    assert_ne!(utc.stdout, out.stdout);
}

#[test]
fn a_study_without_a_girder_walk_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = mtdata()
        .args(["report", "adherence", "--study"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", render(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GIRDER: true"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
