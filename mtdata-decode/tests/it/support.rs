//! Fixture paths and helpers.

use std::path::{Path, PathBuf};

use mtdata_core::layout::StudyLayout;
use mtdata_crypto::PrivateKey;
use mtdata_decode::{DecodeOptions, decode_study, summary_path};

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("..")
        .join(rel)
}

pub fn test_key() -> PrivateKey {
    PrivateKey::load(&repo_path("fixtures/keys/test_private_pkcs1.pem")).unwrap()
}

/// Copy a fixture case into a fresh study folder.
pub fn study_from_fixture(case: &str) -> (tempfile::TempDir, StudyLayout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = StudyLayout::new(dir.path());
    std::fs::create_dir_all(layout.raw_data()).unwrap();
    let src = repo_path(&format!("fixtures/decode/{case}/raw_data"));
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), layout.raw_data().join(entry.file_name())).unwrap();
    }
    (dir, layout)
}

/// Decode every table and return the CSV and summary of each, as one text for a snapshot.
pub fn decode_to_text(layout: &StudyLayout, key: Option<&PrivateKey>) -> String {
    let outcomes = decode_study(layout, key, &DecodeOptions::default()).unwrap();
    let mut text = String::new();
    for outcome in outcomes {
        let summary = outcome.result.unwrap();
        assert_eq!(summary.table, outcome.table);
        text.push_str(&format!("== active_data/{}.csv ==\n", outcome.table));
        text.push_str(&read(&outcome.csv));
        text.push_str(&format!(
            "== active_data/{}.summary.json ==\n",
            outcome.table
        ));
        text.push_str(&read(&summary_path(layout, &outcome.table)));
    }
    text
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
