//! Alerts through the binary against the simulator, received by an SMTP sink on loopback and by a command
//! hook: each kind fires once per problem, is rate-limited across runs, and sends one recovery message; no
//! alert holds a password, key text, ciphertext or decrypted participant id.
//!
//! Time passes by moving the timestamps of the study's alert state back (`Lab::age`), as if the runs had
//! been that far apart.

use std::path::{Path, PathBuf};
use std::process::Output;

use mtdata_sim::keys::ParticipantEncryptor;
use mtdata_sim::mindtrails::{Fault, Simulator};
use mtdata_sim::smtp::Sink;

use crate::export::tiny_study;
use crate::support::mtdata;

const WRONG_PASSWORD: &str = "wrong-hunter2-password";
/// A participant id that appears nowhere else: it is encrypted into one row, decoded, and must never show
/// in an alert.
const MARKED_ID: i64 = 987_654_321;

/// One alert as both channels delivered it.
#[derive(Debug)]
struct Alert {
    subject: String,
    text: String,
    json: serde_json::Value,
    /// The raw e-mail, headers and body.
    mail: String,
}

impl Alert {
    fn changes(&self) -> Vec<(String, String)> {
        self.json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["change"].as_str().unwrap().to_owned(),
                    e["key"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

/// A study on the simulator with alerts to an SMTP sink and to a command.
struct Lab {
    dir: tempfile::TempDir,
    sim: Simulator,
    sink: Sink,
    ciphertext: String,
}

impl Lab {
    fn new() -> Self {
        let sim = Simulator::start(tiny_study()).unwrap();
        let mut encryptor = ParticipantEncryptor::test_key(7).unwrap();
        let ciphertext = encryptor.encrypt_id(MARKED_ID);
        sim.insert_row(
            "RR",
            serde_json::json!({"session": "firstSession", "participantRSA": ciphertext}),
        );
        let lab = Lab {
            dir: tempfile::tempdir().unwrap(),
            sim,
            sink: Sink::start().unwrap(),
            ciphertext,
        };
        std::fs::create_dir(lab.hook_dir()).unwrap();
        lab.configure("", "");
        lab
    }

    fn hook_dir(&self) -> PathBuf {
        self.dir.path().join("hook")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("server.config")
    }

    fn study(&self) -> PathBuf {
        self.dir.path().join("study")
    }

    /// Write the config: `alerts` lines are added to the alerts block, `block` lines to the server block.
    fn configure(&self, alerts: &str, block: &str) {
        let hook = format!(
            "f='{}'/$(date +%s%N); cat > \"$f.txt\"; printf '%s' \"$MTDATA_ALERT\" > \"$f.json\"",
            self.hook_dir().display()
        );
        let text = format!(
            "alerts:\n  EMAIL_TO: [ra@lab.example.org, pi@lab.example.org]\n  EMAIL_FROM: mtdata@lab.example.org\n  \
             SMTP_HOST: {}\n  SMTP_PORT: {}\n  SMTP_SECURITY: none\n  COMMAND: {}\n{alerts}\
             sim:\n  READY: True\n  DELETE_MODE: True\n  SERVER: '{}'\n  USER: {}\n  PASS_ENV: SIM_PASSWORD\n  \
             PATH: '{}'\n  TIMEOUT: 30\n{block}",
            self.sink.host(),
            self.sink.port(),
            serde_json::to_string(&hook).unwrap(),
            self.sim.base_url(),
            self.sim.user(),
            self.study().display()
        );
        std::fs::write(self.config(), text).unwrap();
    }

    fn run_with(&self, password: &str, args: &[&str]) -> Output {
        let out = mtdata()
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env("SIM_PASSWORD", password)
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("alert not sent"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(self.sim.password(), args)
    }

    /// Every alert so far, checking that the sink and the command got the same ones.
    fn alerts(&self) -> Vec<Alert> {
        let mails = self.sink.messages();
        let mut hooked: Vec<PathBuf> = std::fs::read_dir(self.hook_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        hooked.sort();
        assert_eq!(mails.len(), hooked.len(), "both channels get every alert");
        mails
            .iter()
            .zip(hooked)
            .map(|(mail, txt)| {
                assert_eq!(mail.to, ["ra@lab.example.org", "pi@lab.example.org"]);
                let text = std::fs::read_to_string(&txt).unwrap();
                let json: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(txt.with_extension("json")).unwrap())
                        .unwrap();
                let raw = mail.text().replace("\r\n", "\n");
                let (headers, body) = raw.split_once("\n\n").unwrap();
                let body = if headers.contains("Content-Transfer-Encoding: quoted-printable") {
                    decode_quoted_printable(body)
                } else {
                    body.to_owned()
                };
                assert_eq!(
                    body.trim_end(),
                    text.trim_end(),
                    "the e-mail says what the command got"
                );
                let subject = json["subject"].as_str().unwrap().to_owned();
                assert!(
                    headers
                        .replace("\n ", " ")
                        .contains(&format!("Subject: {subject}")),
                    "{headers}"
                );
                Alert {
                    subject,
                    text,
                    json,
                    mail: raw,
                }
            })
            .collect()
    }

    /// Move every time in the alert state `minutes` into the past.
    fn age(&self, minutes: i64) {
        let path = self.study().join("active_data/alerts.json");
        let mut state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        shift(&mut state, chrono::Duration::minutes(minutes));
        std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    }

    /// No alert holds a password, the key's text, the ciphertext or the decrypted id.
    fn assert_no_secrets(&self) {
        let key = std::fs::read_to_string(mtdata_fixtures::keys::test_private_pkcs1_pem()).unwrap();
        let mut forbidden: Vec<String> = key
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
            .map(str::to_owned)
            .collect();
        forbidden.push(self.sim.password().to_owned());
        forbidden.push(WRONG_PASSWORD.to_owned());
        forbidden.push(MARKED_ID.to_string());
        forbidden.push(self.ciphertext.chars().take(24).collect());
        let alerts = self.alerts();
        assert!(!alerts.is_empty());
        for alert in &alerts {
            let all = format!(
                "{}\n{}\n{}\n{}",
                alert.subject, alert.text, alert.json, alert.mail
            );
            for secret in &forbidden {
                assert!(
                    !all.contains(secret.as_str()),
                    "an alert holds {secret:?}:\n{all}"
                );
            }
        }
    }
}

/// The body of a quoted-printable e-mail (RFC 2045 6.7): soft line breaks joined, `=XX` bytes decoded.
fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn shift(value: &mut serde_json::Value, by: chrono::Duration) {
    match value {
        serde_json::Value::String(text) => {
            if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
                *text = (time.to_utc() - by).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| shift(v, by)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| shift(v, by)),
        _ => {}
    }
}

fn changes(alerts: &[Alert]) -> Vec<Vec<(String, String)>> {
    alerts.iter().map(Alert::changes).collect()
}

fn one(change: &str, key: &str) -> Vec<(String, String)> {
    vec![(change.to_owned(), key.to_owned())]
}

#[test]
fn a_stopped_run_alerts_once_reminds_a_day_later_and_recovers_once() {
    let lab = Lab::new();
    for _ in 0..3 {
        assert_eq!(
            lab.run_with(WRONG_PASSWORD, &["export"]).status.code(),
            Some(2)
        );
    }
    assert_eq!(changes(&lab.alerts()), [one("new", "run-stopped:export")]);
    let first = &lab.alerts()[0];
    assert_eq!(
        first.subject,
        "[mtdata] sim: mtdata export stopped with an error"
    );
    assert!(
        first
            .text
            .contains("the server refused the credentials (HTTP 401)"),
        "{}",
        first.text
    );
    // A day later the problem is still there: one reminder, then quiet again.
    lab.age(25 * 60);
    lab.run_with(WRONG_PASSWORD, &["export"]);
    lab.run_with(WRONG_PASSWORD, &["export"]);
    assert_eq!(
        changes(&lab.alerts())[1],
        one("reminder", "run-stopped:export")
    );
    assert_eq!(lab.alerts().len(), 2);
    // Fixed: one recovery message, and nothing after it.
    assert_eq!(lab.run(&["export"]).status.code(), Some(0));
    lab.run(&["export"]);
    assert_eq!(
        changes(&lab.alerts())[2],
        one("recovered", "run-stopped:export")
    );
    assert_eq!(
        lab.alerts()[2].subject,
        "[mtdata] sim: cleared: mtdata export stopped with an error"
    );
    assert_eq!(lab.alerts().len(), 3);
    lab.assert_no_secrets();
}

#[test]
fn a_failed_table_and_deletes_that_keep_failing() {
    let lab = Lab::new();
    lab.sim.set_fault(Fault::status(500).on_table("RR"));
    assert_eq!(lab.run(&["export"]).status.code(), Some(1));
    lab.run(&["export"]);
    assert_eq!(
        changes(&lab.alerts()),
        [one("new", "table-failed:export RR")]
    );
    lab.sim.clear_faults();
    assert_eq!(lab.run(&["export"]).status.code(), Some(0));
    assert_eq!(
        changes(&lab.alerts())[1],
        one("recovered", "table-failed:export RR")
    );

    // A delete that fails: no alert until it has failed for DELETE_FAILED_MINUTES (60).
    let id = lab.sim.insert_row(
        "RR",
        serde_json::json!({"session": "firstSession", "participantRSA": null}),
    );
    lab.sim.set_fault(Fault::delete_fails(&[id]));
    assert_eq!(lab.run(&["export"]).status.code(), Some(1));
    assert_eq!(lab.alerts().len(), 2, "{:?}", changes(&lab.alerts()));
    lab.age(61);
    lab.run(&["export"]);
    lab.run(&["export"]);
    assert_eq!(changes(&lab.alerts())[2], one("new", "deletes-failing:RR"));
    assert!(
        lab.alerts()[2].text.contains("1 rows could not be deleted"),
        "{}",
        lab.alerts()[2].text
    );
    lab.sim.clear_faults();
    lab.run(&["export"]);
    assert_eq!(
        changes(&lab.alerts())[3],
        one("recovered", "deletes-failing:RR")
    );
    assert_eq!(lab.alerts().len(), 4);
    lab.assert_no_secrets();
}

#[test]
fn a_server_that_does_not_answer_alerts_after_its_time_and_recovers() {
    let lab = Lab::new();
    lab.run(&["export"]);
    lab.sim.set_fault(Fault::status(503));
    assert_eq!(lab.run(&["export"]).status.code(), Some(2));
    assert!(lab.sink.messages().is_empty(), "a short outage is no alert");
    lab.age(31);
    lab.run(&["export"]);
    lab.run(&["export"]);
    assert_eq!(changes(&lab.alerts()), [one("new", "server-unreachable")]);
    lab.sim.clear_faults();
    lab.run(&["export"]);
    assert_eq!(
        changes(&lab.alerts())[1],
        one("recovered", "server-unreachable")
    );
    assert_eq!(lab.alerts().len(), 2);
    lab.assert_no_secrets();
}

#[test]
fn a_backlog_near_the_server_limit_alerts_and_clears_when_exported() {
    let lab = Lab::new();
    lab.configure("  BACKLOG_ROWS: 5\n", "  ALERTS:\n    REPEAT_HOURS: 1\n");
    let keep = lab.dir.path().join("keep.config");
    std::fs::copy(lab.config(), &keep).unwrap();
    let text = std::fs::read_to_string(&keep)
        .unwrap()
        .replace("DELETE_MODE: True", "DELETE_MODE: False");
    std::fs::write(lab.config(), text).unwrap();
    lab.run(&["export"]);
    lab.run(&["export"]);
    let alerts = lab.alerts();
    assert_eq!(changes(&alerts), [one("new", "backlog")]);
    assert!(
        alerts[0]
            .text
            .contains("rows of deleteable tables are on the server"),
        "{}",
        alerts[0].text
    );
    std::fs::copy(&keep, lab.config()).unwrap();
    lab.run(&["export"]);
    assert_eq!(changes(&lab.alerts())[1], one("recovered", "backlog"));
    lab.assert_no_secrets();
}

#[test]
fn decrypt_failures_alert_once_and_never_show_the_ids() {
    let lab = Lab::new();
    lab.run(&["export", ".", "all"]);
    let other = mtdata_fixtures::keys::other_private_pkcs1_pem();
    let right = mtdata_fixtures::keys::test_private_pkcs1_pem();
    let decode = |key: &Path| lab.run(&["decode", "--key", key.to_str().unwrap()]);
    assert_eq!(decode(&other).status.code(), Some(1));
    decode(&other);
    let alerts = lab.alerts();
    assert_eq!(alerts.len(), 1, "one message for all tables");
    assert!(
        alerts[0]
            .changes()
            .iter()
            .all(|(c, k)| c == "new" && k.starts_with("decrypt-failed:"))
    );
    assert!(
        alerts[0]
            .changes()
            .contains(&("new".to_owned(), "decrypt-failed:RR".to_owned()))
    );
    assert_eq!(decode(&right).status.code(), Some(0));
    let csv = std::fs::read_to_string(lab.study().join("active_data/RR.csv")).unwrap();
    assert!(
        csv.contains(&MARKED_ID.to_string()),
        "the marked id was decrypted"
    );
    let alerts = lab.alerts();
    assert_eq!(alerts.len(), 2);
    assert!(alerts[1].changes().iter().all(|(c, _)| c == "recovered"));
    lab.assert_no_secrets();
}

#[test]
fn no_export_for_too_long_is_noticed_by_any_run() {
    let lab = Lab::new();
    lab.run(&["export"]);
    lab.age(121);
    // Cron has stopped exporting; a decode notices.
    let key = mtdata_fixtures::keys::test_private_pkcs1_pem();
    let decode = || lab.run(&["decode", "--key", key.to_str().unwrap()]);
    decode();
    decode();
    assert_eq!(changes(&lab.alerts()), [one("new", "no-export")]);
    assert!(
        lab.alerts()[0]
            .subject
            .contains("no successful export for 2 hours"),
        "{}",
        lab.alerts()[0].subject
    );
    lab.run(&["export"]);
    assert_eq!(changes(&lab.alerts())[1], one("recovered", "no-export"));
    lab.assert_no_secrets();
}

#[test]
fn the_study_log_holds_each_run_and_what_was_sent() {
    let lab = Lab::new();
    lab.run_with(WRONG_PASSWORD, &["export"]);
    lab.run(&["export"]);
    let log = std::fs::read_to_string(lab.study().join("logs/mtdata.log")).unwrap();
    assert!(log.contains(" error   export["), "{log}");
    assert!(log.contains("the server refused the credentials"), "{log}");
    assert!(log.contains("alert e-mailed to ra@lab.example.org, pi@lab.example.org: [mtdata] sim: mtdata export stopped"), "{log}");
    assert!(log.contains("sim: 7 tables, 124 new rows"), "{log}");
    assert!(!log.contains(WRONG_PASSWORD) && !log.contains(lab.sim.password()));
}
