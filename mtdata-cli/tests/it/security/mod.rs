//! The protections of docs/security.md, each proved through the binary against the simulator: the
//! network (plain HTTP, URLs, redirects, deletes that did nothing), the study folder (permissions,
//! repeated backups, decode beside export) and the data (keys, ids, names, limits, CSV cells).

mod data;
mod files;
mod network;

use std::path::{Path, PathBuf};
use std::process::Output;

use mtdata_sim::mindtrails::Simulator;

use crate::support::{mtdata, write_owner_only};

/// A simulator with the tiny study, a scratch folder, and a config for them (`sim_config`).
fn study(delete_mode: bool) -> (Simulator, tempfile::TempDir, PathBuf) {
    let sim = Simulator::start(crate::export::tiny_study()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = sim_config(dir.path(), &sim, delete_mode, "");
    (sim, dir, config)
}

/// A config with one READY block `sim` (DELETE_MODE as asked, study folder `dir/study`) and `extra`
/// lines, written owner-only.
fn sim_config(dir: &Path, sim: &Simulator, delete_mode: bool, extra: &str) -> PathBuf {
    let path = dir.join("server.config");
    let text = format!(
        "sim:\n  READY: True\n  DELETE_MODE: {}\n  SERVER: '{}'\n  USER: {}\n  PASS: {}\n  PATH: '{}'\n  TIMEOUT: 5\n  PRIVATE_FILE: '{}'\n{extra}",
        if delete_mode { "True" } else { "False" },
        sim.base_url(),
        sim.user(),
        sim.password(),
        dir.join("study").display(),
        key_file(dir).display(),
    );
    write_owner_only(&path, &text);
    path
}

/// The test-only private key, copied owner-only into `dir`.
fn key_file(dir: &Path) -> PathBuf {
    let key = dir.join("private.pem");
    if !key.exists() {
        let pem = std::fs::read(mtdata_fixtures::keys::test_private_pkcs1_pem()).unwrap();
        write_owner_only(&key, &String::from_utf8(pem).unwrap());
    }
    key
}

/// `mtdata --config <config> <words>`.
fn run(config: &Path, words: &[&str]) -> Output {
    mtdata()
        .arg("--config")
        .arg(config)
        .args(words)
        .output()
        .unwrap()
}

/// The raw backups of `table` in `study/raw_data/`.
fn backups_of(dir: &Path, table: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("study/raw_data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            mtdata_core::layout::RawFileName::parse(n).is_some_and(|name| name.table == table)
        })
        .collect();
    names.sort();
    names
}
