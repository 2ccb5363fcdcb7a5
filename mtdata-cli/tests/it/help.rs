//! The help texts, pinned.

use crate::support::mtdata;

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
