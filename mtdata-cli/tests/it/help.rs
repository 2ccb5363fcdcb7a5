//! The help texts, pinned.

use crate::support::mtdata;

// The list of commands depends on the `scales` feature; the default build is pinned.
#[cfg(feature = "scales")]
#[test]
fn top_level_help() {
    let out = mtdata().arg("--help").output().unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn export_help() {
    let out = mtdata().args(["export", "--help"]).output().unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
