//! The notebook walkthrough's code (docs/notebooks/scales_walkthrough.rs), run as a test.

#[path = "../../../docs/notebooks/scales_walkthrough.rs"]
mod walkthrough;

#[test]
fn notebook_walkthrough_runs() {
    let summary = walkthrough::run(&crate::fixtures_dir()).unwrap();
    assert!(summary.contains("OA_oa_total_PRE"), "{summary}");
}
