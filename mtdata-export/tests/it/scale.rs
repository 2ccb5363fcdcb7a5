//! MTData's SCALE argument and the shape of a first export.

use mtdata_export::TableStatus;

use crate::support::Setup;

#[test]
fn dot_exports_the_deleteable_tables_only() {
    let setup = Setup::new(false);
    let report = setup.export(".");
    assert!(!report.has_problems(), "{report:#?}");
    let names: Vec<&str> = report.tables.iter().map(|t| t.table.as_str()).collect();
    assert!(
        names.contains(&"RR") && names.contains(&"Affect"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"OA") && !names.contains(&"TaskLog"),
        "{names:?}"
    );
    assert!(report.tables.iter().all(|t| t.deleteable));
}

#[test]
fn static_exports_the_kept_tables_only() {
    let setup = Setup::new(false);
    let report = setup.export("static");
    let names: Vec<&str> = report.tables.iter().map(|t| t.table.as_str()).collect();
    assert!(
        names.contains(&"OA") && names.contains(&"TaskLog"),
        "{names:?}"
    );
    assert!(report.tables.iter().all(|t| !t.deleteable));
}

#[test]
fn all_backs_up_every_row_byte_for_byte() {
    let setup = Setup::new(false);
    let report = setup.export("all");
    assert!(!report.has_problems(), "{report:#?}");
    assert!(report.tables.len() >= 10);
    for table in report.tables.iter().map(|t| t.table.clone()) {
        let on_server = setup.sim.rows(&table);
        let backed_up = setup.backed_up(&table);
        assert_eq!(backed_up.len(), on_server.len(), "{table}");
        for row in on_server {
            let id = row["id"].as_i64().unwrap();
            let saved: serde_json::Value = serde_json::from_str(&backed_up[&id]).unwrap();
            assert_eq!(saved, row, "{table} {id}");
        }
    }
    // Without DELETE_MODE nothing is deleted.
    assert!(setup.sim.all_deleted().is_empty());
    // The schedule is kept for offline reports.
    let schedule = std::fs::read(setup.study().join("active_data/study.json")).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&schedule).is_ok());
}

#[test]
fn one_table_by_name() {
    let setup = Setup::new(false);
    let report = setup.export("TaskLog");
    assert_eq!(report.tables.len(), 1);
    assert_eq!(report.tables[0].table, "TaskLog");
    assert_eq!(report.tables[0].status, TableStatus::Done);
    let unknown = setup.export("NoSuchTable");
    assert!(
        matches!(&unknown.tables[0].status, TableStatus::Failed(why) if why.contains("HTTP 404"))
    );
}
