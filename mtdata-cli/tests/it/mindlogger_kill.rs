//! Kill `mtdata export` of a MindLogger block at random moments while respondents submit. After every kill the
//! mark points at no answer newer than the complete runs hold and every run file is whole; after a clean run
//! every answer the server holds is in a complete run and no temporary file is left.

use std::time::Duration;

use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_export::marks::Marks;
use mtdata_sim::mindlogger::{LiveSubmissions, SimOptions, Simulator, StudyOptions};

use crate::mindlogger::{Study, assert_all_backed_up, backed_up};
use crate::support::{kill_at_random_moments, render};

const KILLS: u64 = 30;

/// The marks never point past what complete runs hold.
fn assert_marks_are_backed(sim: &Simulator, study: &Study) {
    let marks = Marks::load(&study.root().join("active_data/benchMark.json")).unwrap();
    for applet in sim.applet_ids() {
        let Some(after) = marks
            .get(&format!("mindlogger/{applet}"))
            .and_then(|m| m.after.clone())
        else {
            continue;
        };
        let after = chrono::DateTime::parse_from_rfc3339(&after).unwrap();
        let newest = backed_up(&study.root(), &applet).into_values().max();
        assert!(
            newest.is_some_and(|n| n >= after),
            "applet {applet}: mark {after} past {newest:?}"
        );
    }
}

fn kill_while_exporting(api: MindLoggerApi) {
    let sim = Simulator::start(SimOptions {
        study: StudyOptions {
            applets: 2,
            respondents: 4,
            answers: 120,
            ..StudyOptions::default()
        },
        v1_page_size: 10,
        live: Some(LiveSubmissions {
            per_page: 1,
            every: Some(Duration::from_millis(5)),
        }),
        ..SimOptions::new(api)
    })
    .unwrap();
    let study = Study::new(&sim, sim.manager(), "");
    let killed_while_running = kill_at_random_moments(
        KILLS,
        0x2545_f491_4f6c_dd1d,
        || {
            let mut cmd = study.command(&sim);
            cmd.arg("-q");
            cmd
        },
        || assert_marks_are_backed(&sim, &study),
    );
    assert!(
        killed_while_running >= KILLS / 2,
        "{api}: only {killed_while_running} kills hit a running export"
    );

    sim.set_live(None);
    let out = study.export(&sim);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert_all_backed_up(&sim, &study.root());
    assert_marks_are_backed(&sim, &study);
    let mut stack = vec![study.root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert!(
                !path.to_string_lossy().ends_with(".mtdata-tmp"),
                "{} left",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
}

#[test]
fn killed_v1_exports_lose_nothing() {
    kill_while_exporting(MindLoggerApi::V1);
}

#[test]
fn killed_v2_exports_lose_nothing() {
    kill_while_exporting(MindLoggerApi::V2);
}
