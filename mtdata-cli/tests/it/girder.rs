//! `mtdata export` of a v1 block with `GIRDER: true` through the binary: the Girder structure is walked
//! into `raw_data/girder/` and reads back, document for document, as the simulator served it; a failing walk
//! is exit status 1 and leaves no run file.

use std::collections::BTreeSet;

use mtdata_core::layout::StudyLayout;
use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_decode::girder::load_girder;
use mtdata_sim::mindlogger::{
    Fault, GirderKind, GirderOptions, GirderSource, SimOptions, Simulator,
};

use crate::mindlogger::{Study, small};
use crate::support::{render, snapshot_settings};

/// A v1 simulator serving a generated Girder structure.
fn girder_sim(activity_sets: usize, respondents: usize) -> Simulator {
    Simulator::start(SimOptions {
        girder: GirderSource::Synthetic(GirderOptions {
            activity_sets,
            respondents,
            ..GirderOptions::default()
        }),
        ..small(MindLoggerApi::V1)
    })
    .unwrap()
}

/// The ids of the items a loaded walk holds.
fn item_ids(loaded: &mtdata_decode::girder::LoadedGirder) -> BTreeSet<String> {
    loaded
        .documents
        .items
        .iter()
        .map(|i| i.id.clone())
        .collect()
}

#[test]
fn girder_true_walks_the_structure_and_it_reads_back() {
    let sim = girder_sim(2, 3);
    let study = Study::new(
        &sim,
        sim.manager(),
        "  GIRDER: true\n  TIMEZONE: America/New_York\n",
    );
    let out = study.export(&sim);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let served = sim.girder();
    let loaded = load_girder(&StudyLayout::new(study.root())).unwrap();
    for kind in GirderKind::ALL {
        let read: BTreeSet<String> = match kind {
            GirderKind::Collection => loaded
                .documents
                .collections
                .iter()
                .map(|d| d.id.clone())
                .collect(),
            GirderKind::Folder => loaded
                .documents
                .folders
                .iter()
                .map(|d| d.id.clone())
                .collect(),
            GirderKind::Item => item_ids(&loaded),
            GirderKind::User => loaded
                .documents
                .users
                .iter()
                .map(|d| d.id.clone())
                .collect(),
        };
        let held: BTreeSet<String> = served.ids(kind).into_iter().collect();
        assert_eq!(read, held, "{}", kind.name());
    }
    snapshot_settings(study.dir.path()).bind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\d+(\.\d+)? (B|KiB|MiB)", "[SIZE]");
        settings.bind(|| insta::assert_snapshot!("girder_first_run", render(&out)));
    });

    // A walk that fails is a problem of the run (exit 1), and the complete walk before it still reads.
    sim.set_fault(Fault::status(500).on_path("/api/v1/item"));
    let failed = study.export(&sim);
    assert_eq!(failed.status.code(), Some(1), "{}", render(&failed));
    let text = render(&failed);
    assert!(
        text.contains("Girder structure  FAILED: GET /item?folderId="),
        "{text}"
    );
    assert_eq!(
        load_girder(&StudyLayout::new(study.root()))
            .unwrap()
            .run_file,
        loaded.run_file
    );
}

/// A viewer's account may export no applet's answers, but with `GIRDER: true` it still walks the Girder
/// structure (what the adherence report and sharing read): the run succeeds and the walk reads back.
#[test]
fn an_account_without_exportable_applets_still_walks_girder() {
    let sim = girder_sim(1, 2);
    let study = Study::new(&sim, sim.plain_user(), "  GIRDER: true\n");
    let out = study.export(&sim);
    let text = render(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Girder structure"), "{text}");
    assert!(!text.contains("may export no applet"), "{text}");
    let loaded = load_girder(&StudyLayout::new(study.root())).unwrap();
    let items: BTreeSet<String> = sim.girder().ids(GirderKind::Item).into_iter().collect();
    assert_eq!(item_ids(&loaded), items);
}

/// Kill `mtdata export` with `GIRDER: true` at random moments: after every kill the latest complete walk
/// (if any) reads back whole, as the server holds it; a clean run then completes and leaves no temporary
/// file.
#[test]
fn killed_walks_are_never_taken_for_complete() {
    let sim = girder_sim(2, 2);
    let served = sim.girder();
    let items: BTreeSet<String> = served.ids(GirderKind::Item).into_iter().collect();
    let study = Study::new(&sim, sim.manager(), "  GIRDER: true\n");
    let layout = StudyLayout::new(study.root());
    let killed = crate::support::kill_at_random_moments(
        20,
        0x9e37_79b9_7f4a_7c15,
        || {
            let mut cmd = study.command(&sim);
            cmd.arg("-q");
            cmd
        },
        || match load_girder(&layout) {
            Ok(loaded) => {
                assert_eq!(item_ids(&loaded), items, "{}", loaded.run_file.display());
            }
            Err(e) => assert!(
                matches!(
                    e,
                    mtdata_decode::Error::NoGirderRun { .. } | mtdata_decode::Error::ListRaw { .. }
                ),
                "{e}"
            ),
        },
    );
    assert!(killed >= 10, "only {killed} kills hit a running export");
    let out = study.export(&sim);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let loaded = load_girder(&layout).unwrap();
    assert_eq!(loaded.documents.items.len(), items.len());
    for entry in std::fs::read_dir(layout.girder_raw()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            !name.ends_with(mtdata_core::fsutil::TEMP_SUFFIX),
            "{name} left"
        );
    }
}
