//! Integration tests of mtdata-scales: fixtures with hand-computed scores, properties,
//! the comparison with MTData's pandas arithmetic, typed and Parquet input, long-to-wide
//! against a reference, the notebook walkthrough, and the crate's layout rules.

mod compare;
mod fixtures;
mod invariants;
mod layout;
mod notebook;
mod props;
mod typed;
mod wide;

use std::path::PathBuf;

/// `fixtures/scales/` at the workspace root.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("..")
        .join("fixtures")
        .join("scales")
}
