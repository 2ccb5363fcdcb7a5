//! The walk of a v1 server's Girder structure (`GIRDER: true`) against the simulator over loopback: what it
//! saves (byte for byte, every page), what the loader reads back, the run file written last, and hostile
//! servers (ids that are not ObjectIds, names with `../`, pages cut short, 5xx, listings that never end).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use mtdata_core::config::{AppletPasswords, ServerConfig};
use mtdata_core::layout::{GirderFile, StudyLayout};
use mtdata_core::mindlogger::{GirderRunRecord, MindLoggerApi};
use mtdata_decode::girder::load_girder;
use mtdata_export::mindlogger::{GIRDER_PAGE_LIMIT, MindLoggerReport, export_mindlogger};
use mtdata_export::{ExportOptions, NoProgress, RetryPolicy, TableStatus};
use mtdata_sim::mindlogger::{
    Fault, GirderKind, GirderOptions, GirderSource, GirderStructure, SimOptions, Simulator,
    StudyOptions,
};
use serde_json::{Value, json};

use crate::support::all_files;

fn options(girder: GirderOptions) -> SimOptions {
    SimOptions {
        study: StudyOptions {
            applets: 1,
            respondents: 2,
            answers: 4,
            ..StudyOptions::default()
        },
        girder: GirderSource::Synthetic(girder),
        ..SimOptions::new(MindLoggerApi::V1)
    }
}

fn small() -> GirderOptions {
    GirderOptions {
        activity_sets: 2,
        respondents: 3,
        ..GirderOptions::default()
    }
}

fn block(sim: &Simulator, study: &Path, extra: &str) -> ServerConfig {
    crate::mindlogger::block(sim, study, sim.manager(), extra)
}

fn export(server: &ServerConfig) -> MindLoggerReport {
    let options = ExportOptions {
        retry: RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(5),
        },
        ..ExportOptions::default()
    };
    export_mindlogger(
        server,
        &AppletPasswords::default(),
        &options,
        &mut NoProgress,
    )
    .unwrap()
}

fn ids(documents: &[Value]) -> BTreeSet<String> {
    documents
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect()
}

fn girder_files(study: &Path) -> Vec<GirderFile> {
    let mut files: Vec<GirderFile> = std::fs::read_dir(study.join("raw_data/girder"))
        .unwrap()
        .map(|e| GirderFile::parse(e.unwrap().file_name().to_str().unwrap()).unwrap())
        .collect();
    files.sort_by_key(GirderFile::file_name);
    files
}

/// What the loader read equals what the simulator served, kind by kind.
fn assert_read_back(study: &Path, served: &GirderStructure) {
    let loaded = load_girder(&StudyLayout::new(study)).unwrap();
    let docs = &loaded.documents;
    let read = |it: Vec<String>| -> BTreeSet<String> { it.into_iter().collect() };
    assert_eq!(
        read(docs.collections.iter().map(|c| c.id.clone()).collect()),
        ids(&served.collections)
    );
    assert_eq!(
        read(docs.folders.iter().map(|f| f.id.clone()).collect()),
        ids(&served.folders)
    );
    assert_eq!(
        read(docs.items.iter().map(|i| i.id.clone()).collect()),
        ids(&served.items)
    );
    assert_eq!(
        read(docs.users.iter().map(|u| u.id.clone()).collect()),
        ids(&served.users)
    );
    assert_eq!(docs.items.len(), served.items.len(), "deduplicated by id");
}

#[test]
fn the_structure_is_walked_saved_byte_exact_and_read_back() {
    let sim = Simulator::start(options(small())).unwrap();
    let served = sim.girder();
    let dir = tempfile::tempdir().unwrap();
    let report = export(&block(&sim, dir.path(), "  GIRDER: true\n"));
    let girder = report.girder.as_ref().unwrap();
    assert_eq!(girder.status, TableStatus::Done, "{girder:?}");
    assert!(!report.has_problems());
    assert_eq!(
        (
            girder.collections,
            girder.folders,
            girder.items,
            girder.users
        ),
        (
            served.collections.len() as u64,
            served.folders.len() as u64,
            served.items.len() as u64,
            served.users.len() as u64,
        )
    );
    assert_read_back(dir.path(), &served);

    // The run file is the walk's record, and the pages are the server's bytes.
    let files = girder_files(dir.path());
    let run = files
        .iter()
        .find(|f| matches!(f, GirderFile::Run { .. }))
        .unwrap();
    assert_eq!(
        Some(dir.path().join("raw_data/girder").join(run.file_name())),
        girder.run_file
    );
    let record: GirderRunRecord =
        serde_json::from_slice(&std::fs::read(girder.run_file.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(record.pages as usize, files.len() - 1);
    assert!(files.iter().all(|f| f.stamp() == run.stamp()));
    let page = |file: &GirderFile| {
        std::fs::read(dir.path().join("raw_data/girder").join(file.file_name())).unwrap()
    };
    let limit = GIRDER_PAGE_LIMIT as usize;
    let stamp = run.stamp();
    let users = page(&GirderFile::Users { stamp, page: 0 });
    let expected: Vec<&Value> = served.users.iter().take(limit).collect();
    assert_eq!(users, serde_json::to_vec(&expected).unwrap());
    // The largest response folder is paged: each of its pages holds the server's documents in order.
    let mut paged = 0;
    for file in &files {
        if let GirderFile::Items {
            folder, page: n, ..
        } = file
        {
            let in_folder: Vec<&Value> = served
                .items
                .iter()
                .filter(|i| i["folderId"] == folder.as_str())
                .skip(*n as usize * limit)
                .take(limit)
                .collect();
            assert_eq!(
                page(file),
                serde_json::to_vec(&in_folder).unwrap(),
                "{}",
                file.file_name()
            );
            paged += usize::from(*n > 0);
        }
    }
    assert!(paged > 0, "some item listing took more than one page");

    // Every listing asked with limit and offset, and nothing was ever deleted or changed.
    let requests = sim.requests();
    for r in &requests {
        let switch = r.method == "PUT" && r.path.starts_with("/api/v1/user/switchAccount");
        assert!(r.method == "GET" || switch, "{} {}", r.method, r.path);
    }
    for r in requests.iter().filter(|r| {
        [
            "/api/v1/collection",
            "/api/v1/folder",
            "/api/v1/item",
            "/api/v1/user?",
        ]
        .iter()
        .any(|p| r.path.starts_with(p))
    }) {
        assert!(
            r.path.contains(&format!("limit={limit}")) && r.path.contains("offset="),
            "{}",
            r.path
        );
    }

    // A second run is a walk of its own; the loader takes the latest.
    let again = export(&block(&sim, dir.path(), "  GIRDER: true\n"));
    let second = again.girder.unwrap().run_file.unwrap();
    assert_ne!(Some(&second), girder.run_file.as_ref());
    assert_eq!(
        load_girder(&StudyLayout::new(dir.path())).unwrap().run_file,
        second
    );
}

#[test]
fn without_girder_true_nothing_is_walked() {
    let sim = Simulator::start(options(small())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = export(&block(&sim, dir.path(), "  GIRDER: false\n"));
    assert!(report.girder.is_none());
    assert!(!dir.path().join("raw_data/girder").exists());
    assert!(
        sim.requests()
            .iter()
            .all(|r| !r.path.starts_with("/api/v1/collection"))
    );
}

#[test]
fn retried_faults_lose_nothing() {
    let sim = Simulator::start(options(small())).unwrap();
    sim.set_fault(Fault::truncated_body(10).on_path("/api/v1/item").times(2));
    sim.set_fault(Fault::status(503).on_path("/api/v1/folder").times(2));
    sim.set_fault(
        Fault::reset_after_body_bytes(7)
            .on_path("/api/v1/user")
            .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let report = export(&block(&sim, dir.path(), "  GIRDER: true\n"));
    assert_eq!(report.girder.unwrap().status, TableStatus::Done);
    let faulted = sim.requests().iter().filter(|r| r.fault.is_some()).count();
    assert_eq!(faulted, 5);
    assert_read_back(dir.path(), &sim.girder());
}

#[test]
fn a_walk_that_fails_leaves_no_run_file_and_the_previous_walk_stands() {
    let sim = Simulator::start(options(small())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = block(&sim, dir.path(), "  GIRDER: true\n");
    sim.set_fault(Fault::status(500).on_path("/api/v1/item"));
    let failed = export(&server);
    let girder = failed.girder.as_ref().unwrap();
    let TableStatus::Failed(why) = &girder.status else {
        panic!("{girder:?}")
    };
    assert!(
        why.contains("GET /item?folderId=") && why.contains("no run file"),
        "{why}"
    );
    assert!(failed.has_problems());
    assert!(girder.pages > 0 && girder.run_file.is_none());
    let err = load_girder(&StudyLayout::new(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no complete Girder walk"), "{err}");

    sim.clear_faults();
    let complete = export(&server).girder.unwrap().run_file.unwrap();
    // A later walk that stops half way (a kill, a failure) does not hide the complete one.
    sim.set_fault(Fault::status(500).on_path("/api/v1/item"));
    assert!(export(&server).girder.unwrap().failed());
    assert_eq!(
        load_girder(&StudyLayout::new(dir.path())).unwrap().run_file,
        complete
    );
    assert_read_back(dir.path(), &sim.girder());
}

#[test]
fn hostile_ids_stop_the_walk_and_hostile_names_stay_names() {
    let sim = Simulator::start(options(small())).unwrap();
    let collection = sim.girder().collections[0]["_id"].clone();
    // A name with `../` under a proper id is only a name.
    sim.add_girder_document(
        GirderKind::Folder,
        json!({"_id": "65000000000000000000beef", "name": "../../escape", "parentId": collection,
               "parentCollection": "collection"}),
    );
    let dir = tempfile::tempdir().unwrap();
    let server = block(&sim, dir.path(), "  GIRDER: true\n");
    assert_eq!(export(&server).girder.unwrap().status, TableStatus::Done);
    let loaded = load_girder(&StudyLayout::new(dir.path())).unwrap();
    assert!(
        loaded
            .documents
            .folders
            .iter()
            .any(|f| f.name == "../../escape")
    );
    assert!(all_files(dir.path()).iter().all(|f| !f.contains("escape")));

    // An id that is not an ObjectId never names a file.
    sim.add_girder_document(
        GirderKind::Folder,
        json!({"_id": "../../../tmp/x", "name": "x", "parentId": collection,
               "parentCollection": "collection"}),
    );
    let report = export(&server);
    let TableStatus::Failed(why) = &report.girder.as_ref().unwrap().status else {
        panic!("{report:?}")
    };
    assert!(
        why.contains(r#""../../../tmp/x" is not a Girder id"#),
        "{why}"
    );
    assert!(report.has_problems());
    for file in all_files(dir.path()) {
        assert!(!file.contains("tmp") && !file.contains(".."), "{file}");
    }
    assert!(!dir.path().join("tmp").exists() && !dir.path().join("raw_data/tmp").exists());
}

#[test]
fn a_listing_that_never_ends_is_stopped() {
    let sim = Simulator::start(SimOptions {
        girder_ignore_offset: true,
        ..options(small())
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = export(&block(&sim, dir.path(), "  GIRDER: true\n"));
    let TableStatus::Failed(why) = &report.girder.as_ref().unwrap().status else {
        panic!("{report:?}")
    };
    assert!(
        why.contains("does not end") && why.contains("ignores offset"),
        "{why}"
    );
    let item_pages = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/item"))
        .count();
    assert!(item_pages < 500, "{item_pages}");
}

#[test]
fn a_fixture_folder_is_served_as_it_is() {
    let generated = Simulator::start(options(small())).unwrap().girder();
    let fixture = tempfile::tempdir().unwrap();
    for kind in GirderKind::ALL {
        let path = fixture.path().join(format!("{}.json", kind.name()));
        std::fs::write(path, serde_json::to_vec_pretty(generated.of(kind)).unwrap()).unwrap();
    }
    let sim = Simulator::start(SimOptions {
        girder: GirderSource::Fixture(fixture.path().to_owned()),
        ..options(small())
    })
    .unwrap();
    assert_eq!(sim.girder(), generated);
    let dir = tempfile::tempdir().unwrap();
    export(&block(&sim, dir.path(), "  GIRDER: true\n"));
    assert_read_back(dir.path(), &generated);

    std::fs::remove_file(fixture.path().join("user.json")).unwrap();
    let err = Simulator::start(SimOptions {
        girder: GirderSource::Fixture(fixture.path().to_owned()),
        ..options(small())
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("user.json"), "{err}");
}

#[test]
fn the_adherence_fixture_study_is_served_exported_and_read_back() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/report/mindlogger_adherence");
    let sim = Simulator::start(SimOptions {
        girder: GirderSource::Fixture(fixture),
        ..options(small())
    })
    .unwrap();
    let served = sim.girder();
    assert!(!served.items.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let report = export(&block(
        &sim,
        dir.path(),
        "  GIRDER: true\n  TIMEZONE: America/New_York\n",
    ));
    assert_eq!(report.girder.unwrap().status, TableStatus::Done);
    assert_read_back(dir.path(), &served);
    let loaded = load_girder(&StudyLayout::new(dir.path())).unwrap();
    mindlogger_model::girder::GirderTree::build(&loaded.documents).unwrap();
}

#[test]
fn a_refused_listing_is_skipped_and_named() {
    let sim = Simulator::start(options(small())).unwrap();
    sim.set_fault(Fault::status(403).on_path("/api/v1/item").times(1));
    let dir = tempfile::tempdir().unwrap();
    let report = export(&block(&sim, dir.path(), "  GIRDER: true\n"));
    let girder = report.girder.unwrap();
    assert_eq!(girder.status, TableStatus::Done);
    assert_eq!(girder.refused.len(), 1, "{:?}", girder.refused);
    assert!(
        girder.refused[0].starts_with("GET /item?folderId="),
        "{:?}",
        girder.refused
    );
    let record: GirderRunRecord =
        serde_json::from_slice(&std::fs::read(girder.run_file.unwrap()).unwrap()).unwrap();
    assert_eq!(record.refused, girder.refused);
    // The refused folder's items are not in the walk; everything else is.
    let folder = girder.refused[0].rsplit('=').next().unwrap().to_owned();
    let loaded = load_girder(&StudyLayout::new(dir.path())).unwrap();
    let expected: BTreeSet<String> = sim
        .girder()
        .items
        .iter()
        .filter(|i| i["folderId"] != folder.as_str())
        .map(|i| i["_id"].as_str().unwrap().to_owned())
        .collect();
    let read: BTreeSet<String> = loaded
        .documents
        .items
        .iter()
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(read, expected);
}
