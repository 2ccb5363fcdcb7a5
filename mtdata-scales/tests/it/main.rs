//! Integration tests of mtdata-scales: fixtures with hand-computed scores, properties,
//! the comparison with MTData's pandas arithmetic, and the notebook walkthrough.

mod compare;
mod fixtures;
mod notebook;
mod props;

use std::path::PathBuf;

/// `fixtures/scales/` at the workspace root.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
        .join("scales")
}
