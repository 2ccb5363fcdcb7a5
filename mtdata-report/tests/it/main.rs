//! Integration tests: hand-made fixture studies under fixtures/report/ with hand-counted answers
//! (see each case's EXPECTED.md).

mod adherence;
mod browser;
mod client;
mod invariants;
mod no_data;
mod r34;
mod scale;
mod status;

use std::path::PathBuf;

use mtdata_report::{ReportOptions, StudyFolder};

/// The root of a fixture study (MTData's `PATH`).
pub fn fixture(case: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("../fixtures/report")
        .join(case)
}

pub fn open(case: &str, options: ReportOptions) -> StudyFolder {
    StudyFolder::open(&fixture(case), options).unwrap()
}
