//! Network faults: retried, never half-saved, never a delete without a whole backup.

use std::time::Duration;

use mtdata_export::TableStatus;
use mtdata_sim::mindtrails::Fault;

use crate::support::{Setup, all_files};

fn assert_recovers(fault: Fault) {
    let setup = Setup::new(true);
    let rows = setup.sim.rows("RR");
    setup
        .sim
        .set_fault(fault.clone().on_table("RR").on_method("GET").times(2));
    let report = setup.export("RR");
    let rr = &report.tables[0];
    assert_eq!(rr.status, TableStatus::Done, "{fault:?}: {rr:#?}");
    assert_eq!(rr.deleted as usize, rows.len());
    assert_eq!(setup.backed_up("RR").len(), rows.len());
    assert!(
        all_files(setup.study())
            .iter()
            .all(|f| !f.contains("mtdata-tmp")),
        "no temporary file left"
    );
}

#[test]
fn server_errors_are_retried() {
    assert_recovers(Fault::status(503));
}

#[test]
fn reset_connections_are_retried() {
    assert_recovers(Fault::reset_before_response());
    assert_recovers(Fault::reset_after_body_bytes(100));
}

#[test]
fn truncated_bodies_are_retried() {
    assert_recovers(Fault::truncated_body(50));
}

#[test]
fn slow_bodies_complete() {
    let setup = Setup::new(false);
    setup
        .sim
        .set_fault(Fault::slow_body(4096, Duration::from_millis(20)).on_table("JsPsychTrial"));
    let report = setup.export("JsPsychTrial");
    assert_eq!(report.tables[0].status, TableStatus::Done);
    assert_eq!(
        setup.backed_up("JsPsychTrial").len(),
        setup.sim.row_count("JsPsychTrial")
    );
}

#[test]
fn a_table_that_keeps_failing_is_skipped_and_nothing_deleted() {
    let setup = Setup::new(true);
    setup
        .sim
        .set_fault(Fault::truncated_body(10).on_table("RR"));
    let report = setup.export(".");
    let rr = report.tables.iter().find(|t| t.table == "RR").unwrap();
    assert!(
        matches!(&rr.status, TableStatus::Failed(w) if w.contains("nothing deleted")),
        "{rr:#?}"
    );
    assert!(setup.sim.deleted("RR").is_empty());
    assert!(crate::support::backups(setup.study(), "RR").is_empty());
    // The other tables were exported.
    let affect = report.tables.iter().find(|t| t.table == "Affect").unwrap();
    assert_eq!(affect.status, TableStatus::Done);
    assert!(report.has_problems());
}

#[test]
fn wrong_password_is_one_clear_error_without_the_password() {
    let mut setup = Setup::new(false);
    setup.server.pass = Some(mtdata_core::Secret::new("wrong-password-123"));
    let err = mtdata_export::export_server(
        &setup.server,
        &crate::support::options(),
        &mut mtdata_export::NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("the server refused the credentials (HTTP 401)"),
        "{err}"
    );
    assert!(!err.contains("wrong-password-123"));
}

#[test]
fn unreachable_server_is_one_clear_error() {
    let mut setup = Setup::new(false);
    setup.server.server = mtdata_core::url::ServerUrl::parse("http://127.0.0.1:9/api/").unwrap();
    let err = mtdata_export::export_server(
        &setup.server,
        &crate::support::options(),
        &mut mtdata_export::NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("cannot list tables at http://127.0.0.1:9/api/"),
        "{err}"
    );
}
