//! Deletes happen only for rows in a verified, durable backup; failures are retried.

use mtdata_export::{ExportOptions, TableSelection, TableStatus};
use mtdata_sim::mindtrails::Fault;

use crate::support::{Setup, all_files, options};

/// Every deleted row is in a parseable backup with the content the server had.
fn assert_deleted_rows_backed_up(setup: &Setup, before: &[(String, Vec<serde_json::Value>)]) {
    for (table, rows) in before {
        let deleted = setup.sim.deleted(table);
        let backed_up = setup.backed_up(table);
        for row in rows {
            let id = row["id"].as_i64().unwrap();
            if deleted.contains(&id) {
                let saved: serde_json::Value = serde_json::from_str(&backed_up[&id])
                    .unwrap_or_else(|_| panic!("{table} {id} deleted but not backed up"));
                assert_eq!(&saved, row);
            }
        }
    }
}

fn snapshot(setup: &Setup) -> Vec<(String, Vec<serde_json::Value>)> {
    setup
        .sim
        .table_names()
        .into_iter()
        .map(|t| {
            let rows = setup.sim.rows(&t);
            (t, rows)
        })
        .collect()
}

#[test]
fn deletes_only_backed_up_deleteable_rows() {
    let setup = Setup::new(true);
    let before = snapshot(&setup);
    let report = setup.export("all");
    assert!(!report.has_problems(), "{report:#?}");
    assert_deleted_rows_backed_up(&setup, &before);
    for t in &report.tables {
        if t.deleteable {
            assert_eq!(t.deleted, t.rows, "{}", t.table);
            assert!(setup.sim.table_ids(&t.table).is_empty(), "{}", t.table);
        } else {
            assert_eq!(t.deleted, 0);
            assert!(setup.sim.deleted(&t.table).is_empty(), "{}", t.table);
        }
    }
}

#[test]
fn dry_run_deletes_nothing() {
    let setup = Setup::new(true);
    let report = setup.export_with(ExportOptions {
        tables: TableSelection::Deleteable,
        dry_run: true,
        ..options()
    });
    assert!(setup.sim.all_deleted().is_empty());
    let rr = report.tables.iter().find(|t| t.table == "RR").unwrap();
    assert_eq!(rr.would_delete, rr.rows);
}

#[test]
fn failed_deletes_are_retried_by_the_next_run() {
    let setup = Setup::new(true);
    let ids = setup.sim.table_ids("RR");
    let failing = [ids[0], ids[ids.len() / 2]];
    setup.sim.set_fault(Fault::delete_fails(&failing));
    let first = setup.export(".");
    let rr = first.tables.iter().find(|t| t.table == "RR").unwrap();
    assert_eq!(rr.delete_failed, 2);
    assert!(matches!(&rr.status, TableStatus::Failed(why) if why.contains("next run")));
    assert!(first.has_problems());
    assert_eq!(setup.sim.table_ids("RR"), failing.to_vec());

    setup.sim.clear_faults();
    let second = setup.export(".");
    assert!(!second.has_problems(), "{second:#?}");
    let rr = second.tables.iter().find(|t| t.table == "RR").unwrap();
    // Both rows are at or below the mark: MTData left such rows on the server forever.
    assert_eq!((rr.leftovers, rr.deleted), (2, 2));
    assert!(setup.sim.table_ids("RR").is_empty());
}

#[test]
fn delete_that_answers_200_without_deleting_is_caught_next_run() {
    let setup = Setup::new(true);
    setup
        .sim
        .set_fault(Fault::delete_ignored().on_table("Credibility"));
    setup.export(".");
    assert!(!setup.sim.table_ids("Credibility").is_empty());
    setup.sim.clear_faults();
    setup.export(".");
    assert!(setup.sim.table_ids("Credibility").is_empty());
}

#[test]
fn delete_404_for_rows_that_stay_is_a_failure() {
    let setup = Setup::new(true);
    setup
        .sim
        .set_fault(Fault::status(404).on_method("DELETE").on_table("RR"));
    let report = setup.export("RR");
    let rr = &report.tables[0];
    // The re-read after the deletes finds every row: none counts as gone.
    assert_eq!((rr.already_gone, rr.deleted), (0, 0));
    assert_eq!(rr.still_on_server, rr.rows);
    assert!(rr.failed() && report.has_problems());
    assert_eq!(setup.sim.table_ids("RR").len() as u64, rr.rows);
}

#[test]
fn hostile_table_names_never_touch_a_path() {
    let setup = Setup::new(true);
    let hostile = setup.sim.add_hostile_tables();
    let report = setup.export("all");
    let invalid = hostile
        .iter()
        .filter(|name| mtdata_core::table::TableName::new(name).is_err());
    for name in invalid {
        let t = report.tables.iter().find(|t| &t.table == name).unwrap();
        match &t.status {
            TableStatus::Failed(why) => {
                assert!(why.starts_with("server sim listed a table name"), "{why}");
                assert!(why.len() < 300, "{why}");
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
    // The other tables went on.
    assert!(
        report
            .tables
            .iter()
            .any(|t| t.table == "RR" && t.status == TableStatus::Done)
    );
    // Nothing was written outside the study folder's own folders.
    for file in all_files(setup.study()) {
        assert!(
            file.starts_with("raw_data/")
                || file.starts_with("active_data/")
                || file.starts_with("logs"),
            "{file}"
        );
    }
    let parent = setup.study().parent().unwrap();
    assert!(!parent.join("etc").exists());
}

#[test]
fn emptied_non_json_and_id_less_tables_fail_alone() {
    let setup = Setup::new(true);
    setup.sim.add_emptied_table("Emptied", 5);
    setup
        .sim
        .add_raw_table("Garbage", b"<html>Whitelabel Error Page</html>");
    setup.sim.add_table(
        "NoIds",
        true,
        mtdata_sim::mindtrails::TableKind::Questionnaire,
    );
    setup
        .sim
        .insert_row_as_is("NoIds", serde_json::json!({"x": 1}));
    let report = setup.export("all");
    let get = |name: &str| report.tables.iter().find(|t| t.table == name).unwrap();
    assert_eq!(get("Emptied").status, TableStatus::NothingNew);
    assert!(
        matches!(&get("Garbage").status, TableStatus::Failed(w) if w.contains("not a JSON array"))
    );
    assert!(matches!(&get("NoIds").status, TableStatus::Failed(w) if w.contains("no id")));
    assert_eq!(
        setup.sim.table_ids("NoIds").len(),
        0,
        "row without id is listed but has no id"
    );
    assert_eq!(setup.sim.row_count("NoIds"), 1, "nothing deleted");
    assert!(get("RR").status == TableStatus::Done && get("RR").deleted > 0);
}

#[test]
fn a_second_run_on_the_same_study_folder_stops_at_once() {
    let setup = Setup::new(true);
    std::fs::create_dir_all(setup.study().join("active_data")).unwrap();
    let held = std::fs::File::create(setup.study().join("active_data/.mtdata.lock")).unwrap();
    held.lock().unwrap();
    let err =
        mtdata_export::export_server(&setup.server, &options(), &mut mtdata_export::NoProgress)
            .unwrap_err()
            .to_string();
    assert!(err.starts_with("another mtdata run is using"), "{err}");
    assert!(setup.sim.all_deleted().is_empty());
    drop(held);
    assert!(!setup.export(".").has_problems());
}
