//! Run the real binary and normalise its output for snapshots.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mtdata_sim::mindtrails::Simulator;

pub fn mtdata() -> Command {
    test_env(Command::new(env!("CARGO_BIN_EXE_mtdata")))
}

/// `program` with a file size limit of `blocks` 512-byte blocks (`ulimit -f` of `sh`): a write past it fails
/// with EFBIG, as on a full disk (SIGXFSZ is ignored, so the write returns the error instead of killing).
/// `sh` execs the program, so the child's pid is the program's.
pub fn with_file_limit(program: &OsStr, blocks: u32) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -f {blocks}; trap '' XFSZ; exec \"$0\" \"$@\""
        ))
        .arg(program);
    test_env(cmd)
}

/// The environment of every test run: no config or log settings of the machine, no colour.
pub fn test_env(mut cmd: Command) -> Command {
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

/// Write `text` to `path` readable by its owner only, as a config holding a password should be.
pub fn write_owner_only(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// The TEST-ONLY private key written owner-only to `dir/private.pem` (a key others can read gets a warning).
pub fn write_test_key(dir: &Path) -> std::path::PathBuf {
    let key = dir.join("private.pem");
    write_owner_only(
        &key,
        std::str::from_utf8(mtdata_sim::keys::TEST_PRIVATE_PKCS1_PEM).unwrap(),
    );
    key
}

/// Write a config with one READY block `sim` pointing at `sim`, study folder `dir/study`.
pub fn write_config(dir: &Path, sim: &Simulator, delete_mode: bool) -> std::path::PathBuf {
    let path = dir.join("server.config");
    write_owner_only(
        &path,
        &format!(
            "sim:\n  READY: True\n  DELETE_MODE: {}\n  SERVER: '{}'\n  USER: {}\n  PASS: {}\n  PATH: '{}'\n  TIMEOUT: 5\n",
            if delete_mode { "True" } else { "False" },
            sim.base_url(),
            sim.user(),
            sim.password(),
            dir.join("study").display()
        ),
    );
    path
}

/// Start the command `kills` times and SIGKILL it after a random delay (from `seed`), calling `after_kill`
/// after each; returns how many kills hit a running process. The window to kill in adapts to how long a
/// run takes on this machine, so most kills land while the command runs, at a random point of it.
pub fn kill_at_random_moments(
    kills: u64,
    mut seed: u64,
    command: impl Fn() -> Command,
    mut after_kill: impl FnMut(),
) -> u64 {
    let mut killed_while_running = 0;
    let mut window_us: u64 = 150_000;
    for _ in 0..kills {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_micros((seed >> 33) % window_us);
        let mut child = command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
            window_us = window_us * 11 / 10;
        } else {
            window_us = (window_us * 7 / 10).max(5_000);
        }
        child.kill().ok(); // SIGKILL: no clean-up code runs
        child.wait().unwrap();
        after_kill();
    }
    killed_while_running
}
