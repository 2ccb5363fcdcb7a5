//! Configuration errors: one line naming the file, block and key, exit status 2.

use crate::support::{mtdata, render};

fn run_with_config(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.config");
    std::fs::write(&config, text).unwrap();
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["export", ".", "."])
        .output()
        .unwrap();
    render(&out).replace(&dir.path().display().to_string(), "[DIR]")
}

#[test]
fn missing_config_file() {
    let out = mtdata()
        .current_dir(tempfile::tempdir().unwrap().path())
        .args(["export"])
        .output()
        .unwrap();
    insta::assert_snapshot!(render(&out));
}

#[test]
fn config_errors() {
    let cases = [
        "templeton:\n  READY: True\n  PATH: /tmp/x\n",
        "templeton:\n  READY: perhaps\n  SERVER: https://x.example/api/\n  PATH: /tmp/x\n",
        "templeton:\n  READY: False\n  SERVER: https://x.example/api/\n  PATH: /tmp/x\n",
        "templeton: [\n",
    ];
    let all: Vec<String> = cases.iter().map(|c| run_with_config(c)).collect();
    for rendered in &all {
        assert!(rendered.starts_with("status: 2\n"), "{rendered}");
    }
    insta::assert_snapshot!(all.join("\n"));
}

#[test]
fn env_password_is_used_and_never_printed() {
    let sim = mtdata_sim::mindtrails::Simulator::start(crate::export::tiny_study()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.config");
    std::fs::write(
        &config,
        format!(
            "sim:\n  READY: True\n  SERVER: '{}'\n  USER: {}\n  PASS: wrong-in-file\n  PATH: '{}'\n",
            sim.base_url(),
            sim.user(),
            dir.path().join("study").display()
        ),
    )
    .unwrap();
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["export", ".", "all"])
        .output()
        .unwrap();
    let text = render(&out);
    assert!(text.starts_with("status: 2"), "{text}");
    assert!(
        text.contains("refused the credentials (HTTP 401)"),
        "{text}"
    );
    assert!(!text.contains("wrong-in-file"));
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .env("MTDATA_SIM_PASS", sim.password())
        .args(["export", ".", "all", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert!(!render(&out).contains(sim.password()));
}
