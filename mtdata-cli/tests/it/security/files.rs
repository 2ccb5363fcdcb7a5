//! Someone else on the lab machine, a full disk, and two commands on one study folder: permissions,
//! repeated backups, decode beside a running export.

use std::path::Path;
use std::time::{Duration, Instant};

use mtdata_sim::mindtrails::{Fault, Simulator};

use super::{backups_of, run, study};
use crate::support::{mtdata, render, snapshot_settings};

/// Every file and folder under `root` whose permissions let group or others in.
#[cfg(unix)]
fn readable_by_others(root: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let shown = path.strip_prefix(root).unwrap_or(&path).display();
            found.push(format!("{shown} {mode:o}"));
        }
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
    found.sort();
    found
}

/// Fix 2: everything export, decode, report and status make under the study folder is owner-only from
/// the start: raw backups, marks, the lock, logs, decoded tables, reports.
#[cfg(unix)]
#[test]
fn everything_made_under_the_study_folder_is_owner_only() {
    let (_sim, dir, config) = study(true);
    for words in [
        &["export", "sim", "all"][..],
        &["decode", "sim"],
        &["report", "scale", "sim", "--html"],
        &["status", "all", "sim"],
        &["export", "sim", "all"],
    ] {
        let out = run(&config, words);
        assert!(
            out.status.code().unwrap() < 2,
            "{words:?}: {}",
            render(&out)
        );
    }
    let study = dir.path().join("study");
    for made in [
        "raw_data/schedule",
        "active_data/benchMark.json",
        "active_data/backups.json",
        "active_data/.mtdata.lock",
        "active_data/OA.csv",
        "logs/mtdata.log",
        "reports",
    ] {
        assert!(study.join(made).exists(), "{made}");
    }
    assert_eq!(readable_by_others(&study), Vec::<String>::new());
}

/// Fix 2: a config file holding a password that others can read gives a warning on every run, until
/// it is made owner-only.
#[cfg(unix)]
#[test]
fn a_config_with_a_password_others_can_read_warns_on_every_run() {
    use std::os::unix::fs::PermissionsExt as _;
    let (sim, dir, config) = study(false);
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let first = run(&config, &["export", "sim", "OA"]);
    let second = run(&config, &["decode", "sim", "OA"]);
    for out in [&first, &second] {
        let text = render(out);
        assert!(
            text.contains("holds a password (PASS) and can be read by other users (mode 0644)"),
            "{text}"
        );
        assert!(!text.contains(sim.password()), "{text}");
    }
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let quiet = run(&config, &["export", "sim", "OA"]);
    assert!(quiet.stderr.is_empty(), "{}", render(&quiet));
    snapshot_settings(dir.path()).bind(|| {
        insta::assert_snapshot!("config_readable_by_others", render(&first));
    });
}

/// Fix 4: while the deletes of a table keep failing and the server sends the same table, the table is
/// not saved again: one backup, and a line in the summary says why. A changed table is saved as usual.
#[test]
fn a_table_whose_deletes_keep_failing_is_saved_once_while_unchanged() {
    let (sim, dir, config) = study(true);
    sim.set_fault(Fault::status(403).on_method("DELETE"));
    let runs: Vec<_> = (0..3)
        .map(|_| run(&config, &["export", "sim", "RR"]))
        .collect();
    for out in &runs {
        assert_eq!(out.status.code(), Some(1), "{}", render(out));
    }
    assert_eq!(backups_of(dir.path(), "RR").len(), 1, "saved once");
    let text = render(&runs[2]);
    assert!(text.contains("not saved again"), "{text}");
    sim.insert_row("RR", serde_json::json!({"session": "firstSession"}));
    let changed = run(&config, &["export", "sim", "RR"]);
    assert_eq!(
        backups_of(dir.path(), "RR").len(),
        2,
        "{}",
        render(&changed)
    );
    // Deletes work again: the rows go, from the backup that holds them.
    sim.clear_faults();
    let fixed = run(&config, &["export", "sim", "RR"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", render(&fixed));
    assert_eq!(sim.row_count("RR"), 0);
    assert_eq!(backups_of(dir.path(), "RR").len(), 2, "{}", render(&fixed));
    snapshot_settings(dir.path()).bind(|| {
        insta::assert_snapshot!(
            "not_saved_again",
            format!("{}\n{}", render(&runs[1]), render(&fixed))
        );
    });
}

/// Start `mtdata export sim OA --full` with OA sent slowly (some seconds), and wait until it holds the
/// study lock.
fn slow_export(sim: &Simulator, config: &Path, study: &Path) -> std::process::Child {
    sim.set_fault(Fault::slow_body(16, Duration::from_millis(20)).on_path("/api/export/OA"));
    let child = mtdata()
        .arg("--config")
        .arg(config)
        .args(["export", "sim", "OA", "--full", "-q"])
        .spawn()
        .unwrap();
    let note = format!("mtdata export, pid {}", child.id());
    let started = Instant::now();
    while !std::fs::read_to_string(study.join("active_data/.mtdata.lock"))
        .is_ok_and(|text| text.contains(&note))
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the export never locked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Fix 9: a decode started while an export runs waits for it, then decodes what it backed up; with no
/// time to wait it says an export is running (exit 2) and touches nothing.
#[test]
fn decode_waits_for_a_running_export() {
    let (sim, dir, config) = study(false);
    let study = dir.path().join("study");
    assert!(
        run(&config, &["export", "sim", "OA", "-q"])
            .status
            .success()
    );
    let marker = sim.insert_row("OA", serde_json::json!({"session": "marker-session"}));

    let mut export = slow_export(&sim, &config, &study);
    let impatient = run(&config, &["decode", "sim", "OA", "--wait", "0"]);
    let decode = run(&config, &["decode", "sim", "OA"]);
    assert!(export.wait().unwrap().success());
    let impatient_text = render(&impatient);
    assert_eq!(impatient.status.code(), Some(2), "{impatient_text}");
    assert!(
        impatient_text.contains(&format!(
            "mtdata export, pid {} is using study folder",
            export.id()
        )),
        "{impatient_text}"
    );
    assert_eq!(decode.status.code(), Some(0), "{}", render(&decode));
    let csv = std::fs::read_to_string(study.join("active_data/OA.csv")).unwrap();
    assert!(
        csv.lines().any(|l| l.starts_with(&format!("{marker},"))),
        "decode waited for the export and read its backup"
    );
    assert_eq!(backups_of(dir.path(), "OA").len(), 2);
    // Nothing of either run is left half-written.
    let temporary = |folder: &str| {
        std::fs::read_dir(study.join(folder))
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy()
                    .ends_with(mtdata_core::fsutil::TEMP_SUFFIX)
            })
            .count()
    };
    assert_eq!(temporary("raw_data") + temporary("active_data"), 0);
    let shown = impatient_text.replace(&export.id().to_string(), "[PID]");
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!("decode_beside_export", shown));
}
