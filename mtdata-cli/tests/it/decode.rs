//! `mtdata decode` through the binary on MTData-era fixture backups.

use std::path::Path;

use crate::support::{mtdata, render, write_test_key};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A study folder holding the `raw_data/` of some fixture cases, and a config pointing at it.
fn study_from_fixtures(dir: &Path, cases: &[&str]) -> std::path::PathBuf {
    let fixtures = mtdata_fixtures::fixtures_dir().join("decode");
    for case in cases {
        copy_dir(&fixtures.join(case), &dir.join("study"));
    }
    let key = write_test_key(dir);
    let config = dir.join("server.config");
    std::fs::write(
        &config,
        format!(
            "old_study:\n  READY: False\n  SERVER: 'https://gone.example.org/api/'\n  PRIVATE_FILE: '{}'\n  PATH: '{}'\n",
            key.display(),
            dir.join("study").display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn decodes_old_backups_and_reports_failed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let config = study_from_fixtures(
        dir.path(),
        &["encrypted_and_dates", "undecryptable", "prefix_tables"],
    );
    // A named server is decoded even when not READY (MTData's rule), with no network.
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["decode", "old_study"])
        .output()
        .unwrap();
    let text = render(&out).replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(text);
    assert_eq!(out.status.code(), Some(1), "a field failed to decrypt");
    let first = std::fs::read(dir.path().join("study/active_data/OA.csv")).unwrap();
    // Re-running gives the same bytes, never appended duplicates.
    mtdata()
        .arg("--config")
        .arg(&config)
        .args(["decode", "old_study"])
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("study/active_data/OA.csv")).unwrap(),
        first
    );
}

#[cfg(feature = "scales")]
#[test]
fn parquet_output_next_to_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let config = study_from_fixtures(dir.path(), &["lists_and_objects"]);
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["decode", "old_study", ".", "--format", "parquet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let active = dir.path().join("study/active_data");
    let parquet: Vec<_> = std::fs::read_dir(&active)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert!(!parquet.is_empty(), "{}", render(&out));
    for file in parquet {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
            "{}",
            file.display()
        );
        let frame = mtdata_scales::read_table(&file).unwrap();
        let csv = mtdata_scales::read_table(&file.with_extension("csv")).unwrap();
        assert_eq!(frame.shape(), csv.shape());
    }
}

/// The TEST-ONLY password of a MindLogger fixture case (`fixtures/decode/mindlogger/<case>/case.json`).
fn mindlogger_case_password(case: &str) -> String {
    let path = mtdata_fixtures::fixtures_dir().join(format!("decode/mindlogger/{case}/case.json"));
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    case["passwords"][0]["password"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn decodes_mindlogger_applets_of_both_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = mtdata_fixtures::fixtures_dir().join("decode/mindlogger");
    copy_dir(&fixtures.join("v1_two_pages"), &dir.path().join("v1"));
    copy_dir(&fixtures.join("wrong_key"), &dir.path().join("v2"));
    let password_file = dir.path().join("v1.pass");
    std::fs::write(
        &password_file,
        mindlogger_case_password("v1_two_pages") + "\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&password_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = dir.path().join("server.config");
    std::fs::write(
        &config,
        format!(
            "old_ema:\n  PLATFORM: mindlogger-v1\n  READY: True\n  SERVER: 'https://gone.example.org/api/v1/'\n  \
             USER: ra@lab.example.org\n  PATH: '{}'\n  APPLETS: all\n  APPLET_PASSWORDS:\n    \
             64a1f0c2e1b2c3d4e5f60718:\n      - FILE: '{}'\n\
             ema:\n  PLATFORM: mindlogger-v2\n  READY: True\n  SERVER: 'https://gone.example.org/'\n  \
             USER: ra@lab.example.org\n  PATH: '{}'\n  APPLETS: all\n  APPLET_PASSWORDS:\n    \
             0b5c6a4e-1f2d-4c3b-8a9e-7d6f5e4c3b2a:\n      - ENV: MTDATA_TEST_APPLET_PASSWORD\n",
            dir.path().join("v1").display(),
            password_file.display(),
            dir.path().join("v2").display()
        ),
    )
    .unwrap();
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .arg("decode")
        .env(
            "MTDATA_TEST_APPLET_PASSWORD",
            mindlogger_case_password("wrong_key"),
        )
        .output()
        .unwrap();
    let text = render(&out).replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(text);
    assert_eq!(out.status.code(), Some(1), "an answer did not decrypt");
    assert!(!text.contains(&mindlogger_case_password("wrong_key")));
    let applet = dir
        .path()
        .join("v1/active_data/mindlogger/64a1f0c2e1b2c3d4e5f60718");
    let responses = std::fs::read_to_string(applet.join("responses.csv")).unwrap();
    assert_eq!(
        responses.lines().count(),
        17,
        "16 answered items and the header"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&applet.join("responses.csv")), 0o600);
        assert_eq!(mode(&applet.join("wide/Morning.csv")), 0o600);
        assert_eq!(mode(&applet), 0o700);
    }
}

/// A study holding MindLogger fixture `case` (the v2 applet) and a config with one v2 block whose applet
/// password comes from `MTDATA_TEST_APPLET_PASSWORD`.
fn v2_study(dir: &Path, case: &str) -> std::path::PathBuf {
    let fixtures = mtdata_fixtures::fixtures_dir().join("decode/mindlogger");
    copy_dir(&fixtures.join(case), &dir.join("v2"));
    let config = dir.join("server.config");
    std::fs::write(
        &config,
        format!(
            "ema:\n  PLATFORM: mindlogger-v2\n  READY: True\n  SERVER: 'https://gone.example.org/'\n  \
             USER: ra@lab.example.org\n  PATH: '{}'\n  APPLETS: all\n  APPLET_PASSWORDS:\n    \
             0b5c6a4e-1f2d-4c3b-8a9e-7d6f5e4c3b2a:\n      - ENV: MTDATA_TEST_APPLET_PASSWORD\n",
            dir.join("v2").display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn a_wrong_applet_password_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = v2_study(dir.path(), "v2_hidden_items");
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .arg("decode")
        .env("MTDATA_TEST_APPLET_PASSWORD", "not the applet password")
        .output()
        .unwrap();
    let text = render(&out).replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(text);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text.contains("not the applet password"));
}

#[cfg(feature = "scales")]
#[test]
fn mindlogger_parquet_beside_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let config = v2_study(dir.path(), "v2_hidden_items");
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["decode", ".", ".", "--format", "parquet"])
        .env(
            "MTDATA_TEST_APPLET_PASSWORD",
            mindlogger_case_password("v2_hidden_items"),
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let applet = dir
        .path()
        .join("v2/active_data/mindlogger/0b5c6a4e-1f2d-4c3b-8a9e-7d6f5e4c3b2a");
    for csv in [
        applet.join("responses.csv"),
        applet.join("activity_user_journey.csv"),
        applet.join("wide/EMA_Morning.csv"),
    ] {
        let parquet = mtdata_scales::read_table(&csv.with_extension("parquet")).unwrap();
        let frame = mtdata_scales::read_table(&csv).unwrap();
        assert_eq!(parquet.shape(), frame.shape(), "{}", csv.display());
    }
}
