//! `mtdata export` of MindLogger blocks through the binary, against the v1 and v2 simulators.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use mtdata_core::layout::MindLoggerFile;
use mtdata_core::mindlogger::{MindLoggerApi, RunRecord};
use mtdata_sim::mindlogger::{
    Fault, LiveSubmissions, SimOptions, Simulator, StudyOptions, TokenLifetime,
};

use crate::support::{mtdata, render, snapshot_settings};

pub fn small(api: MindLoggerApi) -> SimOptions {
    SimOptions {
        study: StudyOptions {
            applets: 2,
            respondents: 3,
            answers: 50,
            ..StudyOptions::default()
        },
        v1_page_size: 10,
        ..SimOptions::new(api)
    }
}

/// A study folder with a config whose block `ema` points at `sim`, applet passwords from environment
/// variables `EMA_PW_<n>`.
pub struct Study {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Study {
    pub fn new(sim: &Simulator, login: (String, String), extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut passwords = String::from("  APPLET_PASSWORDS:\n");
        for (n, id) in sim.applet_ids().iter().enumerate() {
            passwords.push_str(&format!("    {id}:\n      - ENV: EMA_PW_{n}\n"));
        }
        let page_size = match sim.api() {
            MindLoggerApi::V1 => "",
            MindLoggerApi::V2 => "  PAGE_SIZE: 10\n",
        };
        let text = format!(
            "ema:\n  PLATFORM: {}\n  READY: True\n  SERVER: '{}'\n  USER: {}\n  PASS_ENV: EMA_ACCOUNT_PW\n  PATH: '{}'\n  TIMEOUT: 5\n{page_size}{passwords}{extra}",
            sim.api(),
            sim.base_url(),
            login.0,
            dir.path().join("study").display()
        );
        let config = dir.path().join("server.config");
        std::fs::write(&config, text).unwrap();
        let study = Study { dir, config };
        study.set_account_password(&login.1);
        study
    }

    fn set_account_password(&self, password: &str) {
        std::fs::write(self.dir.path().join("account.pw"), password).unwrap();
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("study")
    }

    /// `mtdata export` with the account and applet passwords in the environment.
    pub fn command(&self, sim: &Simulator) -> Command {
        let mut cmd = mtdata();
        let account = std::fs::read_to_string(self.dir.path().join("account.pw")).unwrap();
        cmd.arg("--config")
            .arg(&self.config)
            .args(["export", "ema"])
            .env("EMA_ACCOUNT_PW", account);
        for (n, id) in sim.applet_ids().iter().enumerate() {
            cmd.env(format!("EMA_PW_{n}"), sim.applet_password(id).unwrap());
        }
        cmd
    }

    pub fn export(&self, sim: &Simulator) -> Output {
        self.command(sim).output().unwrap()
    }
}

/// The answers of the complete runs of one applet: id to creation time. Panics on a run file that does not
/// parse or names a page that does not.
pub fn backed_up(study: &Path, applet: &str) -> BTreeMap<String, DateTime<Utc>> {
    let folder = study.join("raw_data/mindlogger").join(applet);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return BTreeMap::new();
    };
    // Temporary files of a killed run may lie there until the next run; anything else must be ours.
    let files: Vec<MindLoggerFile> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(mtdata_core::fsutil::TEMP_SUFFIX))
        .map(|name| MindLoggerFile::parse(&name).unwrap_or_else(|| panic!("stray file {name}")))
        .collect();
    let mut answers = BTreeMap::new();
    for run in files
        .iter()
        .filter(|f| matches!(f, MindLoggerFile::Run { .. }))
    {
        let record: RunRecord =
            serde_json::from_slice(&std::fs::read(folder.join(run.file_name())).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", run.file_name()));
        assert!(record.complete);
        for page in 0..record.pages {
            let name = MindLoggerFile::Data {
                stamp: run.stamp(),
                page,
            }
            .file_name();
            let body: serde_json::Value =
                serde_json::from_slice(&std::fs::read(folder.join(&name)).unwrap())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            let (list, id, created) = match record.platform {
                MindLoggerApi::V1 => ("/responses", "_id", "created"),
                MindLoggerApi::V2 => ("/result/answers", "id", "createdAt"),
            };
            for answer in body.pointer(list).and_then(|l| l.as_array()).unwrap() {
                let time = answer[created].as_str().unwrap();
                let time = DateTime::parse_from_rfc3339(time)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|_| {
                        chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%dT%H:%M:%S%.f")
                            .unwrap()
                            .and_utc()
                    });
                answers.insert(answer[id].as_str().unwrap().to_owned(), time);
            }
        }
    }
    answers
}

/// Every answer the simulator holds is in a complete run.
pub fn assert_all_backed_up(sim: &Simulator, study: &Path) {
    for applet in sim.applet_ids() {
        let held = backed_up(study, &applet);
        for id in sim.answer_ids(&applet) {
            assert!(
                held.contains_key(&id),
                "applet {applet}: answer {id} is in no complete run"
            );
        }
    }
}

fn data_requests(sim: &Simulator) -> Vec<String> {
    let mut paths: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/data"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn export_end_to_end_then_only_the_overlap_window() {
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = Simulator::start(small(api)).unwrap();
        let study = Study::new(&sim, sim.manager(), "");
        let first = study.export(&sim);
        assert_eq!(first.status.code(), Some(0), "{}", render(&first));
        assert_all_backed_up(&sim, &study.root());
        let first_pages = data_requests(&sim).len();

        // Respondents keep submitting while the second run pages.
        sim.set_live(Some(LiveSubmissions {
            per_page: 1,
            every: None,
        }));
        sim.clear_requests();
        let second = study.export(&sim);
        sim.set_live(None);
        assert_eq!(second.status.code(), Some(0), "{}", render(&second));
        let second_pages = data_requests(&sim);
        assert!(
            second_pages.len() * 2 < first_pages,
            "{api}: {second_pages:?}"
        );
        if api == MindLoggerApi::V2 {
            assert!(
                second_pages
                    .iter()
                    .all(|p| p.contains("fromDate=2024-03-01T")),
                "{second_pages:?}"
            );
        }
        assert!(sim.requests().iter().all(|r| r.method != "DELETE"));
        // What the second run could not see (submitted after its last page) the third run gets.
        let third = study.export(&sim);
        assert_eq!(third.status.code(), Some(0), "{}", render(&third));
        assert_all_backed_up(&sim, &study.root());
        snapshot_settings(study.dir.path()).bind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.add_filter(r"\d+(\.\d+)? (B|KiB|MiB)", "[SIZE]");
            settings.set_snapshot_suffix(api.as_str());
            settings.bind(|| {
                insta::assert_snapshot!("first_run", render(&first));
                insta::assert_snapshot!("second_run", render(&second));
            });
        });
    }
}

#[test]
fn a_wrong_applet_password_is_exit_2_before_any_answer() {
    let sim = Simulator::start(small(MindLoggerApi::V2)).unwrap();
    let study = Study::new(&sim, sim.manager(), "");
    let out = study
        .command(&sim)
        .env("EMA_PW_1", "not-the-password")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(data_requests(&sim).is_empty());
    let text = render(&out);
    assert!(!text.contains("not-the-password"), "{text}");
    snapshot_settings(study.dir.path()).bind(|| insta::assert_snapshot!(text));
}

#[test]
fn password_files_must_be_owner_only() {
    let sim = Simulator::start(small(MindLoggerApi::V1)).unwrap();
    let applet = sim.applet_ids()[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("applet.pass");
    std::fs::write(
        &file,
        format!("{}\n", sim.applet_password(&applet).unwrap()),
    )
    .unwrap();
    let extra = format!("  APPLETS: [{applet}]\n");
    let study = Study::new(&sim, sim.manager(), &extra);
    let text = std::fs::read_to_string(&study.config).unwrap();
    let text = text.replace(
        "      - ENV: EMA_PW_0\n",
        &format!("      - FILE: {}\n", file.display()),
    );
    std::fs::write(&study.config, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = study.export(&sim);
        assert_eq!(out.status.code(), Some(2));
        let shown = render(&out).replace(&dir.path().display().to_string(), "[PWDIR]");
        snapshot_settings(study.dir.path()).bind(|| insta::assert_snapshot!(shown));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = study.export(&sim);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
}

#[test]
fn a_respondent_account_gets_a_clear_auth_error() {
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = Simulator::start(small(api)).unwrap();
        let study = Study::new(&sim, sim.plain_user(), "");
        let all = study.export(&sim);
        let one = Study::new(
            &sim,
            sim.plain_user(),
            &format!("  APPLETS: [{}]\n", sim.applet_ids()[0]),
        );
        let listed = one.export(&sim);
        study.set_account_password("wrong");
        let wrong = study.export(&sim);
        let text = [all, listed, wrong]
            .iter()
            .map(|out| {
                assert_eq!(out.status.code(), Some(2));
                String::from_utf8_lossy(&out.stderr).into_owned()
            })
            .collect::<String>();
        snapshot_settings(study.dir.path()).bind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_suffix(api.as_str());
            settings.add_filter(&sim.applet_ids()[0], "[APPLET]");
            settings.add_filter(&one.dir.path().display().to_string(), "[DIR2]");
            settings.bind(|| insta::assert_snapshot!(text));
        });
    }
}

#[test]
fn an_expired_token_is_renewed_and_a_5xx_burst_retried() {
    let sim = Simulator::start(SimOptions {
        token_lifetime: TokenLifetime::Requests(3),
        ..small(MindLoggerApi::V2)
    })
    .unwrap();
    sim.set_fault(Fault::status(503).on_path_prefix("/answers/").times(3));
    let study = Study::new(&sim, sim.manager(), "");
    let out = study.export(&sim);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert_all_backed_up(&sim, &study.root());
    let requests = sim.requests();
    assert!(
        requests
            .iter()
            .filter(|r| r.path == "/auth/token/refresh")
            .count()
            >= 2
    );
    assert_eq!(requests.iter().filter(|r| r.status == 503).count(), 3);
}

/// `mtdata decode` of the block, with the applet passwords in the environment.
fn decode(study: &Study, sim: &Simulator) -> Output {
    let mut cmd = mtdata();
    cmd.arg("--config")
        .arg(&study.config)
        .args(["decode", "ema"]);
    for (n, id) in sim.applet_ids().iter().enumerate() {
        cmd.env(format!("EMA_PW_{n}"), sim.applet_password(id).unwrap());
    }
    cmd.output().unwrap()
}

/// Rows of a decoded `responses.csv`, by column name.
fn responses(study: &Path, applet: &str) -> Vec<BTreeMap<String, String>> {
    use mtdata_core::decoded::mindlogger::RESPONSES_FILE;
    let path = mtdata_core::layout::StudyLayout::new(study)
        .mindlogger_active(&mtdata_core::mindlogger::AppletId::parse_any(applet).unwrap())
        .join(RESPONSES_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = csv_rows(&text).into_iter();
    let header = lines.next().unwrap();
    lines
        .map(|row| header.iter().cloned().zip(row).collect())
        .collect()
}

/// A CSV text as rows of cells (quoted cells with commas, quotes and line breaks included).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[test]
fn export_then_decode_gives_every_answer_decrypted() {
    use mtdata_core::decoded::mindlogger::{ResponseColumn, is_usable_status};
    for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
        let sim = Simulator::start(small(api)).unwrap();
        let study = Study::new(&sim, sim.manager(), "");
        let export = study.export(&sim);
        assert_eq!(export.status.code(), Some(0), "{}", render(&export));
        let decoded = decode(&study, &sim);
        assert_eq!(decoded.status.code(), Some(0), "{}", render(&decoded));
        for applet in sim.applet_ids() {
            let rows = responses(&study.root(), &applet);
            let submission = ResponseColumn::ActivitySubmissionId.name();
            let status = ResponseColumn::AnswerStatus.name();
            let mut seen = std::collections::BTreeSet::new();
            for row in &rows {
                assert!(
                    is_usable_status(&row[status]),
                    "{api} {applet}: answer {} is {}",
                    row[submission],
                    row[status]
                );
                seen.insert(row[submission].clone());
            }
            let held: std::collections::BTreeSet<String> =
                sim.answer_ids(&applet).into_iter().collect();
            assert_eq!(
                seen, held,
                "{api} {applet}: decoded answers differ from the server's"
            );
            // Reviewer answers (keyed by an id string) and unencrypted ones are among them.
            let truth = sim.answers(&applet);
            assert!(truth.iter().any(|a| a.review) && truth.iter().any(|a| !a.encrypted));
        }
        let first = &sim.applet_ids()[0];
        let path = mtdata_core::layout::StudyLayout::new(study.root())
            .mindlogger_active(&mtdata_core::mindlogger::AppletId::parse_any(first).unwrap())
            .join(mtdata_core::decoded::mindlogger::RESPONSES_FILE);
        let head: String = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .take(12)
            .map(|l| format!("{l}\n"))
            .collect();
        snapshot_settings(study.dir.path()).bind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_suffix(api.as_str());
            settings.bind(|| {
                insta::assert_snapshot!("decode", render(&decoded));
                insta::assert_snapshot!("responses_head", head);
            });
        });
    }
}

/// Issue 15, fix 8, through the binary: a MindLogger answer whose free text a spreadsheet would run as a
/// formula is written with a leading `'` in `responses.csv` and the wide table, and as it is with
/// `--raw-csv` (decode fixture `formula_text`, offline).
#[test]
fn formula_answers_are_text_in_the_decoded_tables_unless_raw_csv() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/decode/mindlogger/formula_text");
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture.join("case.json")).unwrap()).unwrap();
    let password = case["passwords"][0]["password"].as_str().unwrap();
    let applet = "0b5c6a4e-1f2d-4c3b-8a9e-7d6f5e4c3b2a";
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study");
    let raw = study.join("raw_data/mindlogger").join(applet);
    std::fs::create_dir_all(&raw).unwrap();
    for entry in std::fs::read_dir(fixture.join("raw_data/mindlogger").join(applet)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, raw.join(path.file_name().unwrap())).unwrap();
    }
    let config = dir.path().join("server.config");
    std::fs::write(
        &config,
        format!(
            "ema:\n  PLATFORM: mindlogger-v2\n  READY: True\n  SERVER: 'https://mindlogger.example.org'\n  USER: ra@lab.example.org\n  PASS_ENV: EMA_ACCOUNT_PW\n  PATH: '{}'\n  APPLET_PASSWORDS:\n    {applet}:\n      - ENV: EMA_PW_0\n",
            study.display()
        ),
    )
    .unwrap();
    let out = study.join("active_data/mindlogger").join(applet);
    let decode = |extra: &[&str]| {
        let output = mtdata()
            .arg("--config")
            .arg(&config)
            .args(["decode", "ema"])
            .args(extra)
            .env("EMA_PW_0", password)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", render(&output));
        let read = |file: &str| std::fs::read_to_string(out.join(file)).unwrap();
        (read("responses.csv"), read("wide/EMA_Morning.csv"))
    };
    // Spreadsheet-safe by default: a `'` before each formula; `--raw-csv`: the cells as they are.
    for (extra, quote) in [(&[][..], "'"), (&["--raw-csv"][..], "")] {
        let (responses, wide) = decode(extra);
        for table in [&responses, &wide] {
            let link = "=HYPERLINK(\"\"http://example.invalid\"\",\"\"click\"\")";
            assert!(table.contains(&format!(",\"{quote}{link}\",")), "{table}");
            for note in ["+1 555 0100", "-just a dash", "@SUM(A1)"] {
                assert!(
                    table.contains(&format!(",{quote}{note},")),
                    "{note}: {table}"
                );
            }
            assert!(table.contains(",-5,"), "a number stays as it is");
            assert!(!quote.is_empty() || !table.contains(",'"), "{table}");
        }
        assert!(wide.contains(&format!(",{quote}=0+cmd,")), "{wide}");
    }
}
