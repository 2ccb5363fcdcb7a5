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
