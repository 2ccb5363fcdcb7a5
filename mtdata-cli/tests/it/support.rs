//! Run the real binary and normalise its output for snapshots.

use std::path::Path;
use std::process::{Command, Output};

use mtdata_sim::mindtrails::Simulator;

pub fn mtdata() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mtdata"));
    cmd.env_remove("MTDATA_CONFIG")
        .env_remove("MTDATA_LOG")
        .env("NO_COLOR", "1");
    cmd
}

/// Status code, stdout and stderr in one text for a snapshot.
pub fn render(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("killed".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Replace what changes from run to run: folders, ports, time stamps.
fn filters(dir: &Path) -> Vec<(String, String)> {
    vec![
        (regex_escape(&dir.display().to_string()), "[DIR]".to_owned()),
        (
            r"127\.0\.0\.1:\d+".to_owned(),
            "127.0.0.1:[PORT]".to_owned(),
        ),
        (r"\d{8}T\d{6}\.\d{6}Z".to_owned(), "[STAMP]".to_owned()),
    ]
}

/// insta settings with [`filters`] for `dir`, for `settings.bind(|| ...)`.
pub fn snapshot_settings(dir: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (from, to) in filters(dir) {
        settings.add_filter(&from, to);
    }
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Write a config with one READY block `sim` pointing at `sim`, study folder `dir/study`.
pub fn write_config(dir: &Path, sim: &Simulator, delete_mode: bool) -> std::path::PathBuf {
    let path = dir.join("server.config");
    std::fs::write(
        &path,
        format!(
            "sim:\n  READY: True\n  DELETE_MODE: {}\n  SERVER: '{}'\n  USER: {}\n  PASS: {}\n  PATH: '{}'\n  TIMEOUT: 5\n",
            if delete_mode { "True" } else { "False" },
            sim.base_url(),
            sim.user(),
            sim.password(),
            dir.join("study").display()
        ),
    )
    .unwrap();
    path
}
