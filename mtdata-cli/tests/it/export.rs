//! `mtdata export` through the binary against the simulator.

use mtdata_sim::mindtrails::{Fault, SimOptions, Simulator};
use mtdata_sim::study::StudyOptions;

use crate::support::{mtdata, render, snapshot_settings, write_config};

pub fn tiny_study() -> SimOptions {
    SimOptions {
        study: Some(StudyOptions {
            participants: 4,
            ..StudyOptions::default()
        }),
        ..SimOptions::default()
    }
}

fn export(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    mtdata()
        .arg("--config")
        .arg(config)
        .arg("export")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn summary_and_exit_status() {
    let sim = Simulator::start(tiny_study()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim, true);
    let first = export(&config, &[".", "all"]);
    let id = sim.insert_row(
        "RR",
        serde_json::json!({"session": "firstSession", "participantRSA": null}),
    );
    sim.set_fault(Fault::delete_fails(&[id]));
    let second = export(&config, &[]);
    snapshot_settings(dir.path()).bind(|| {
        insta::assert_snapshot!("first_run", render(&first));
        insta::assert_snapshot!("second_run_with_a_failed_delete", render(&second));
    });
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(second.status.code(), Some(1));
    let log = std::fs::read_to_string(dir.path().join("study/logs/mtdata.log")).unwrap();
    assert!(log.contains("deletes failed (retried next run)"), "{log}");
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = mtdata()
        .args(["demo", "--participants", "5", "--dir"])
        .arg(&demo)
        .output()
        .unwrap();
    let text = render(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("rows of deleteable tables still on the server after the export: 0"),
        "{text}"
    );
    // The demo checks its own setup the way a lab should before cron: nothing fails.
    assert!(
        text.contains("demo: 14 checks, ") && text.contains(", 0 fail\n"),
        "{text}"
    );
    assert!(demo.join("study/active_data/benchMark.json").exists());
    assert!(demo.join("study/active_data/study.json").exists());
    // The MindLogger study: every applet decoded, nothing failed.
    let applets: Vec<_> = std::fs::read_dir(demo.join("ema/active_data/mindlogger"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(applets.len(), 3, "{text}");
    for applet in &applets {
        let responses = std::fs::read_to_string(applet.join("responses.csv")).unwrap();
        assert!(responses.lines().count() > 10, "{}", applet.display());
        assert!(!responses.contains("wrong key") && !responses.contains("missing key"));
    }
    // The key is the binary's embedded copy of the test-only key, written owner-only.
    let key = demo.join("keys/demo_private.pem");
    assert_eq!(
        std::fs::read(&key).unwrap(),
        std::fs::read(mtdata_fixtures::keys::test_private_pkcs1_pem()).unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&demo.join("config/server.config")), 0o600);
        assert_eq!(mode(&demo.join("keys")), 0o700);
    }
    #[cfg(feature = "scales")]
    assert!(
        std::fs::read_dir(demo.join("study/processed_data/wideform_data"))
            .unwrap()
            .any(|f| f
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("OA_transed_")),
        "the demo prepares the scales"
    );
    // A second demo replaces the first; a folder that is not a demo's is refused.
    assert!(
        mtdata()
            .args(["demo", "--participants", "3", "--dir"])
            .arg(&demo)
            .output()
            .unwrap()
            .status
            .success()
    );
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("thesis.docx"), b"x").unwrap();
    let out = mtdata()
        .args(["demo", "--dir"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(other.join("thesis.docx").exists());
}
