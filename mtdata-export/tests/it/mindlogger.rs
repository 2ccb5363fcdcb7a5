//! MindLogger export against the v1 and v2 simulators over loopback: what a run saves, the stop rules, password
//! checks before any data, token renewal and faults.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use mtdata_core::Secret;
use mtdata_core::config::{AppletPassword, AppletPasswords, Config, SecretLocation, ServerConfig};
use mtdata_core::layout::MindLoggerFile;
use mtdata_core::mindlogger::{AppletId, MindLoggerApi, RunRecord};
use mtdata_export::marks::Marks;
use mtdata_export::mindlogger::{MindLoggerReport, export_mindlogger};
use mtdata_export::{Error, ExportOptions, NoProgress, RetryPolicy, TableStatus};
use mtdata_sim::mindlogger::{Fault, SimOptions, Simulator, StudyOptions, TokenLifetime};

use crate::support::all_files;

fn sim(api: MindLoggerApi) -> Simulator {
    Simulator::start(SimOptions {
        study: StudyOptions {
            applets: 2,
            respondents: 3,
            answers: 60,
            ..StudyOptions::default()
        },
        v1_page_size: 8,
        ..SimOptions::new(api)
    })
    .unwrap()
}

pub fn block(sim: &Simulator, study: &Path, login: (String, String), extra: &str) -> ServerConfig {
    let yaml = format!(
        "ema:\n  PLATFORM: {}\n  READY: True\n  SERVER: '{}'\n  USER: {}\n  PASS: {}\n  PATH: '{}'\n  TIMEOUT: 5\n{extra}",
        sim.api(),
        sim.base_url(),
        login.0,
        login.1,
        study.display()
    );
    Config::from_yaml_str(&yaml, Path::new("test.config"), |_| None)
        .unwrap()
        .servers[0]
        .clone()
}

fn passwords(sim: &Simulator) -> AppletPasswords {
    let mut passwords = AppletPasswords::default();
    for id in sim.applet_ids() {
        passwords.push(
            AppletId::parse_any(&id).unwrap(),
            AppletPassword {
                password: Secret::new(sim.applet_password(&id).unwrap()),
                account_id: None,
                source: SecretLocation::Env("TEST".into()),
            },
        );
    }
    passwords
}

fn options() -> ExportOptions {
    ExportOptions {
        retry: RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(10),
        },
        ..ExportOptions::default()
    }
}

fn export(server: &ServerConfig, passwords: &AppletPasswords) -> Result<MindLoggerReport, Error> {
    export_mindlogger(server, passwords, &options(), &mut NoProgress)
}

/// Answer ids in the pages of complete runs of one applet (runs without a run file do not count).
pub fn backed_up(study: &Path, applet: &str) -> BTreeSet<String> {
    let folder = study.join("raw_data/mindlogger").join(applet);
    let names: Vec<MindLoggerFile> = std::fs::read_dir(&folder)
        .map(|entries| {
            entries
                .filter_map(|e| MindLoggerFile::parse(e.unwrap().file_name().to_str()?))
                .collect()
        })
        .unwrap_or_default();
    let mut ids = BTreeSet::new();
    for run in names
        .iter()
        .filter(|f| matches!(f, MindLoggerFile::Run { .. }))
    {
        let record: RunRecord =
            serde_json::from_slice(&std::fs::read(folder.join(run.file_name())).unwrap()).unwrap();
        for page in 0..record.pages {
            let file = MindLoggerFile::Data {
                stamp: run.stamp(),
                page,
            };
            let body: serde_json::Value =
                serde_json::from_slice(&std::fs::read(folder.join(file.file_name())).unwrap())
                    .unwrap();
            let (list, field) = match record.platform {
                MindLoggerApi::V1 => ("/responses", "_id"),
                MindLoggerApi::V2 => ("/result/answers", "id"),
            };
            for answer in body.pointer(list).and_then(|l| l.as_array()).unwrap() {
                ids.insert(answer[field].as_str().unwrap().to_owned());
            }
        }
    }
    ids
}

fn all_held(sim: &Simulator, study: &Path) {
    for applet in sim.applet_ids() {
        let held: BTreeSet<String> = sim.answer_ids(&applet).into_iter().collect();
        assert_eq!(backed_up(study, &applet), held, "applet {applet}");
    }
}

fn data_requests(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.contains("/data"))
        .map(|r| r.path)
        .collect()
}

#[test]
fn first_and_incremental_runs_keep_every_answer() {
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = sim(api);
        let dir = tempfile::tempdir().unwrap();
        let page_size = match api {
            MindLoggerApi::V1 => "",
            MindLoggerApi::V2 => "  PAGE_SIZE: 7\n",
        };
        let server = block(&sim, dir.path(), sim.manager(), page_size);
        let report = export(&server, &passwords(&sim)).unwrap();
        assert_eq!(report.applets.len(), 2);
        for applet in &report.applets {
            assert_eq!(applet.status, TableStatus::Done, "{applet:#?}");
            assert_eq!(applet.new_answers, 60);
            assert!(applet.run_file.is_some());
        }
        all_held(&sim, dir.path());
        let first_pages: usize = data_requests(&sim).len();

        // New answers; the second run asks only for the overlap window.
        let applet = sim.applet_ids()[0].clone();
        sim.submit(&applet).unwrap();
        sim.submit(&applet).unwrap();
        sim.clear_requests();
        let report = export(&server, &passwords(&sim)).unwrap();
        all_held(&sim, dir.path());
        assert_eq!(report.applets[0].new_answers, 2, "{api}");
        assert_eq!(report.applets[1].status, TableStatus::NothingNew);
        let second = data_requests(&sim);
        assert!(second.len() < first_pages / 2, "{api}: {second:?}");
        if api == MindLoggerApi::V2 {
            let marks = Marks::load(&dir.path().join("active_data/benchMark.json")).unwrap();
            let mark = marks
                .get(&format!("mindlogger/{}", sim.applet_ids()[1]))
                .unwrap();
            let after =
                chrono::DateTime::parse_from_rfc3339(mark.after.as_deref().unwrap()).unwrap();
            let expected =
                (after - chrono::Duration::minutes(60)).format("fromDate=%Y-%m-%dT%H%%3A%M%%3A%S");
            assert!(
                second.iter().any(|p| p.contains(&expected.to_string())),
                "{second:?}"
            );
        }
        assert!(sim.requests().iter().all(|r| r.method != "DELETE"));
        assert!(
            all_files(dir.path())
                .iter()
                .all(|f| !f.contains("mtdata-tmp"))
        );
    }
}

#[test]
fn a_wrong_applet_password_stops_before_any_answer_is_fetched() {
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = sim(api);
        let dir = tempfile::tempdir().unwrap();
        let server = block(&sim, dir.path(), sim.manager(), "");
        let mut wrong = AppletPasswords::default();
        let applet = sim.applet_ids()[1].clone();
        wrong.push(
            AppletId::parse_any(&applet).unwrap(),
            AppletPassword {
                password: Secret::new("not the password"),
                account_id: None,
                source: SecretLocation::Env("EMA_PW".into()),
            },
        );
        // A password of an older owner's key cannot be checked, and does not stop the export.
        wrong.push(
            AppletId::parse_any(&sim.applet_ids()[0]).unwrap(),
            AppletPassword {
                password: Secret::new("older"),
                account_id: Some("5e9a1c2b3d4e5f6071829304".into()),
                source: SecretLocation::Env("OLD".into()),
            },
        );
        let err = export(&server, &wrong).unwrap_err();
        let text = mtdata_core::error::chain(&err);
        assert!(matches!(err, Error::WrongAppletPassword { .. }), "{text}");
        assert!(text.starts_with(&format!("applet {applet} (")), "{text}");
        assert!(
            text.contains("from ENV EMA_PW") && !text.contains("not the password"),
            "{text}"
        );
        assert!(data_requests(&sim).is_empty());
        assert!(!dir.path().join("raw_data/mindlogger").exists());
    }
}

#[test]
fn a_v1_account_without_exportable_applets_still_walks_girder() {
    let sim = sim(MindLoggerApi::V1);
    let dir = tempfile::tempdir().unwrap();
    let viewer = block(&sim, dir.path(), sim.plain_user(), "  GIRDER: true\n");
    let report = export(&viewer, &AppletPasswords::default()).unwrap();
    assert!(report.applets.is_empty());
    let girder = report.girder.expect("the Girder structure is walked");
    assert!(!girder.failed(), "{girder:?}");
    assert!(dir.path().join("raw_data/girder").is_dir());
    assert!(!dir.path().join("raw_data/mindlogger").exists());
}

#[test]
fn a_respondent_account_may_export_nothing() {
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = sim(api);
        let dir = tempfile::tempdir().unwrap();
        let all = block(&sim, dir.path(), sim.plain_user(), "");
        let err = export(&all, &AppletPasswords::default()).unwrap_err();
        assert!(matches!(err, Error::NoExportableApplets { .. }), "{err}");
        let one = block(
            &sim,
            dir.path(),
            sim.plain_user(),
            &format!("  APPLETS: [{}]\n", sim.applet_ids()[0]),
        );
        let err = export(&one, &AppletPasswords::default()).unwrap_err();
        assert!(
            matches!(err, Error::AppletForbidden { status: 403, .. }),
            "{err}"
        );
        let bad = block(&sim, dir.path(), (sim.manager().0, "wrong".into()), "");
        let err = export(&bad, &AppletPasswords::default()).unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err}");
    }
}

#[test]
fn an_expired_v2_token_is_renewed_mid_run() {
    let sim = Simulator::start(SimOptions {
        token_lifetime: TokenLifetime::Requests(4),
        ..SimOptions::new(MindLoggerApi::V2)
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = block(&sim, dir.path(), sim.manager(), "  PAGE_SIZE: 10\n");
    let report = export(&server, &passwords(&sim)).unwrap();
    assert!(!report.has_problems(), "{report:#?}");
    all_held(&sim, dir.path());
    let refreshes = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/auth/token/refresh")
        .count();
    assert!(refreshes >= 3, "{refreshes} refreshes");
    // A token refused again right after renewal is the credentials' problem, not retried forever.
    let forever = Simulator::start(SimOptions {
        token_lifetime: TokenLifetime::Requests(0),
        ..SimOptions::new(MindLoggerApi::V2)
    })
    .unwrap();
    let server = block(&forever, dir.path(), forever.manager(), "");
    assert!(matches!(
        export(&server, &AppletPasswords::default()),
        Err(Error::Auth { status: 401, .. })
    ));
}

#[test]
fn faults_are_retried_and_a_lasting_one_fails_only_its_applet() {
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = sim(api);
        let dir = tempfile::tempdir().unwrap();
        let server = block(&sim, dir.path(), sim.manager(), "");
        let [first, second] = <[String; 2]>::try_from(sim.applet_ids()).unwrap();
        sim.set_fault(Fault::status(503).on_applet(&first).times(3));
        sim.set_fault(Fault::truncated_body(20).on_applet(&second).times(1));
        sim.set_fault(
            Fault::reset_after_body_bytes(50)
                .on_applet(&second)
                .times(1),
        );
        let report = export(&server, &passwords(&sim)).unwrap();
        assert!(!report.has_problems(), "{report:#?}");
        all_held(&sim, dir.path());

        sim.set_fault(
            Fault::status(502)
                .on_applet(&first)
                .on_path_prefix(match api {
                    MindLoggerApi::V1 => "/api/v1/applet/",
                    MindLoggerApi::V2 => "/answers/",
                }),
        );
        sim.submit(&first).unwrap();
        let report = export(&server, &passwords(&sim)).unwrap();
        let TableStatus::Failed(why) = &report.applets[0].status else {
            panic!("{report:#?}");
        };
        assert!(
            why.contains("failed after 4 tries: HTTP 502; the next run tries again"),
            "{why}"
        );
        assert!(report.applets[0].run_file.is_none());
        assert_eq!(report.applets[1].status, TableStatus::NothingNew);
        sim.clear_faults();
        export(&server, &passwords(&sim)).unwrap();
        all_held(&sim, dir.path());
    }
}
