//! Second runs download only what is new; marks in MTData's benchMark.json.

use mtdata_export::TableStatus;
use mtdata_export::marks::Marks;
use serde_json::json;

use crate::support::{Setup, backups};

fn new_affect_row() -> serde_json::Value {
    json!({"date": "Wed, 08 Mar 2017 10:00:00 -0500", "session": "firstSession", "tag": "pre",
           "timeOnPage": 3.5, "participantRSA": null, "posFeelings": 10, "negFeelings": 2})
}

#[test]
fn second_run_downloads_only_new_rows() {
    let setup = Setup::new(false);
    let first = setup.export("all");
    assert!(!first.has_problems());
    let marks = Marks::load(&setup.study().join("active_data/benchMark.json")).unwrap();
    let oa_mark = marks.get("OA").unwrap().current;
    assert_eq!(oa_mark, *setup.sim.table_ids("OA").iter().max().unwrap());

    setup.sim.clear_requests();
    let new_id = setup.sim.insert_row("Affect", new_affect_row());
    let second = setup.export("all");
    assert!(!second.has_problems(), "{second:#?}");
    let affect = second.tables.iter().find(|t| t.table == "Affect").unwrap();
    assert_eq!(
        (affect.rows, affect.new_rows),
        (1, 1),
        "only the new row is sent"
    );
    assert_eq!(affect.status, TableStatus::Done);
    let oa = second.tables.iter().find(|t| t.table == "OA").unwrap();
    assert_eq!((oa.rows, oa.status.clone()), (0, TableStatus::NothingNew));
    // The server was asked with the mark.
    let asked: Vec<String> = setup.sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        asked
            .iter()
            .any(|p| p.starts_with("/api/export/OA?greaterThan=")),
        "{asked:?}"
    );
    // TaskLog ignores greaterThan: the whole table comes back, nothing new, no new file.
    let tasklog = second.tables.iter().find(|t| t.table == "TaskLog").unwrap();
    assert_eq!(tasklog.new_rows, 0);
    assert_eq!(backups(setup.study(), "TaskLog").len(), 1);
    assert_eq!(backups(setup.study(), "Affect").len(), 2);
    assert!(setup.backed_up("Affect").contains_key(&new_id));
}

#[test]
fn reads_mtdata_old_benchmark_format() {
    let setup = Setup::new(false);
    let ids = setup.sim.table_ids("RR");
    let mark = ids[ids.len() / 2];
    std::fs::create_dir_all(setup.study().join("active_data")).unwrap();
    std::fs::write(
        setup.study().join("active_data/benchMark.json"),
        format!(r#"{{"RR": {mark}}}"#),
    )
    .unwrap();
    let report = setup.export("RR");
    let rr = &report.tables[0];
    let expected = ids.iter().filter(|&&id| id > mark).count() as u64;
    assert_eq!(rr.new_rows, expected);
    let marks = Marks::load(&setup.study().join("active_data/benchMark.json")).unwrap();
    assert_eq!(marks.get("RR").unwrap().current, *ids.iter().max().unwrap());
}

#[test]
fn reads_mtdata_new_benchmark_format_and_refuses_a_damaged_one() {
    let setup = Setup::new(false);
    let path = setup.study().join("active_data/benchMark.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, r#"{"RR": {"current": 1, "deleteable": true}}"#).unwrap();
    assert!(!setup.export("RR").has_problems());
    std::fs::write(&path, r#"{"RR": {"current": 1, "dele"#).unwrap();
    let options = mtdata_export::ExportOptions {
        tables: mtdata_export::TableSelection::All,
        ..crate::support::options()
    };
    let err = mtdata_export::export_server(&setup.server, &options, &mut mtdata_export::NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("benchMark.json is not a valid benchMark.json"),
        "{err}"
    );
}

#[test]
fn rows_added_during_an_export_are_kept_for_the_next_run() {
    use mtdata_sim::mindtrails::LiveSubmissions;
    let setup = Setup::new(true);
    setup.sim.set_live(Some(LiveSubmissions {
        tables: vec!["Affect".into(), "RR".into()],
        rows_per_fetch: 2,
        every: None,
    }));
    let first = setup.export(".");
    assert!(!first.has_problems(), "{first:#?}");
    // Rows submitted after the snapshot are still on the server, never deleted unseen.
    let left = setup.sim.table_ids("Affect");
    assert!(!left.is_empty());
    let backed_up = setup.backed_up("Affect");
    assert!(left.iter().all(|id| !backed_up.contains_key(id)));
    setup.sim.set_live(None);
    assert!(!setup.export(".").has_problems());
    assert!(setup.sim.table_ids("Affect").is_empty());
    assert!(setup.sim.table_ids("RR").is_empty());
    for id in left {
        assert!(setup.backed_up("Affect").contains_key(&id));
    }
}

#[test]
fn era_d_servers_are_asked_with_after() {
    use mtdata_sim::mindtrails::Era;
    let setup = Setup::with(
        mtdata_sim::mindtrails::SimOptions {
            era: Era::D,
            ..crate::support::small_study()
        },
        false,
        "  INCREMENTAL: after\n",
    );
    assert!(!setup.export("all").has_problems());
    let marks = Marks::load(&setup.study().join("active_data/benchMark.json")).unwrap();
    assert!(marks.get("OA").unwrap().after.is_some());
    setup.sim.clear_requests();
    let mut row = new_affect_row();
    // Later than every generated row.
    row["date"] = json!("Fri, 01 Jan 2038 10:00:00 -0500");
    let new_id = setup.sim.insert_row("Affect", row);
    let second = setup.export("all");
    assert!(!second.has_problems(), "{second:#?}");
    let affect = second.tables.iter().find(|t| t.table == "Affect").unwrap();
    assert_eq!(affect.new_rows, 1);
    assert!(setup.backed_up("Affect").contains_key(&new_id));
    let asked: Vec<String> = setup.sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        asked.iter().any(|p| p.starts_with("/api/export/OA?after=")),
        "{asked:?}"
    );
    // TaskLog is filtered by date on these servers: nothing new comes back.
    let tasklog = second.tables.iter().find(|t| t.table == "TaskLog").unwrap();
    assert_eq!(tasklog.new_rows, 0);
}

#[test]
fn rows_an_after_query_missed_are_backed_up_by_a_whole_download() {
    use mtdata_sim::mindtrails::Era;
    let setup = Setup::with(
        mtdata_sim::mindtrails::SimOptions {
            era: Era::D,
            ..crate::support::small_study()
        },
        false,
        "  INCREMENTAL: after\n",
    );
    assert!(!setup.export("all").has_problems());
    let marks = Marks::load(&setup.study().join("active_data/benchMark.json")).unwrap();
    let held = marks.get("Affect").unwrap().rows.unwrap();
    assert_eq!(held, setup.sim.row_count("Affect") as u64);
    // A server clock that went back dates a new row before the `after` mark: no `after` query
    // returns it, but the server's list counts it.
    let mut early = new_affect_row();
    early["date"] = json!("Sat, 01 Jan 2000 10:00:00 -0500");
    let early_id = setup.sim.insert_row("Affect", early);
    setup.sim.clear_requests();
    let second = setup.export("all");
    assert!(!second.has_problems(), "{second:#?}");
    assert!(setup.backed_up("Affect").contains_key(&early_id));
    let asked: Vec<String> = setup.sim.requests().into_iter().map(|r| r.path).collect();
    assert!(asked.iter().any(|p| p == "/api/export/Affect"), "{asked:?}");
    let marks = Marks::load(&setup.study().join("active_data/benchMark.json")).unwrap();
    assert_eq!(marks.get("Affect").unwrap().rows, Some(held + 1));
    // Caught up: the next run asks with `after` again.
    setup.sim.clear_requests();
    assert!(!setup.export("all").has_problems());
    let asked: Vec<String> = setup.sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        asked
            .iter()
            .any(|p| p.starts_with("/api/export/Affect?after=")),
        "{asked:?}"
    );
}
