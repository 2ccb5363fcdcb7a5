//! How each verb reports an error: one line on stderr, `error: server <name>: what: cause`, each
//! cause once, exit status 2; with several servers the others still run and the status is 2 too.

use std::path::Path;

use crate::support::{mtdata, render, snapshot_settings};

/// A config with two READY blocks: `good` (a study folder with a schedule and decoded tables)
/// and `broken` (a server nobody listens on, a study folder with nothing in it).
fn two_servers(dir: &Path) -> std::path::PathBuf {
    let good = dir.join("good");
    let active = good.join("active_data");
    std::fs::create_dir_all(&active).unwrap();
    std::fs::write(
        active.join("study.json"),
        r#"[{"name":"S","sessions":[{"name":"one","tasks":[{"name":"OA"}]}]}]"#,
    )
    .unwrap();
    std::fs::write(
        active.join("TaskLog.csv"),
        "id,participantId,sessionName,taskName,dateCompleted\n1,7,one,OA,1441908506000\n",
    )
    .unwrap();
    std::fs::write(active.join("OA.csv"), "id,participant,session\n2,7,one\n").unwrap();
    std::fs::create_dir_all(good.join("raw_data")).unwrap();
    std::fs::write(
        good.join("raw_data/OA_20240203T040506.000000Z.json"),
        r#"[{"id":2,"participant":7,"session":"one"}]"#,
    )
    .unwrap();
    let config = dir.join("server.config");
    std::fs::write(
        &config,
        format!(
            "good:\n  READY: True\n  SERVER: 'http://127.0.0.1:9/api/'\n  PATH: '{}'\n  TIMEOUT: 1\n\
             broken:\n  READY: True\n  SERVER: 'http://127.0.0.1:9/api/'\n  PATH: '{}'\n  TIMEOUT: 1\n  PRIVATE_FILE: '{}'\n",
            good.display(),
            dir.join("broken").display(),
            dir.join("no-such-key.pem").display()
        ),
    )
    .unwrap();
    config
}

fn run(dir: &Path, config: &Path, words: &[&str]) -> String {
    let out = mtdata()
        .current_dir(dir)
        .arg("--config")
        .arg(config)
        .args(words)
        .output()
        .unwrap();
    let text = render(&out);
    assert!(text.starts_with("status: 2\n"), "{words:?}: {text}");
    let errors = text.lines().filter(|l| l.starts_with("error: ")).count();
    assert!(errors >= 1, "{words:?}: {text}");
    text
}

#[test]
fn each_verb_reports_a_failed_server_once_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_servers(dir.path());
    let cases = [
        // No server answers: both blocks fail the same way.
        ("export", vec!["export", ".", "."]),
        // `good` decodes; `broken` has no key file.
        ("decode", vec!["decode", "."]),
        // `good` reports; `broken` has no schedule.
        ("report scale", vec!["report", "scale", ".", "--no-csv"]),
        ("report client", vec!["report", "client", ".", "--no-csv"]),
        ("status all", vec!["status", "all", ".", "--no-csv"]),
        (
            "status of a missing file",
            vec!["status", "OA", "nowhere/OA.csv"],
        ),
    ];
    let mut all = String::new();
    for (name, words) in cases {
        all.push_str(&format!(
            "=== {name}\n{}\n",
            run(dir.path(), &config, &words)
        ));
    }
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!(all));
}

#[cfg(feature = "scales")]
#[test]
fn scale_verbs_report_errors_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_servers(dir.path());
    let mut all = String::new();
    for words in [
        vec!["scores", "OA", "nowhere/OA.csv", "--study", "r34"],
        vec!["prepare", "OA", "nowhere/OA.csv", "--study", "nope"],
    ] {
        all.push_str(&format!(
            "=== {}\n{}\n",
            words.join(" "),
            run(dir.path(), &config, &words)
        ));
    }
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!(all));
}

#[test]
fn demo_refuses_a_folder_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("thesis.docx"), b"keep me").unwrap();
    let out = mtdata()
        .args(["demo", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = render(&out);
    assert!(text.starts_with("status: 2\n"), "{text}");
    assert!(dir.path().join("thesis.docx").exists());
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!(text));
}
