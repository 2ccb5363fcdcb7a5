//! Paths to the test-only keys and helpers to run external tools.

use std::path::PathBuf;
use std::process::Command;

use mtdata_crypto::{Backend, PrivateKey};

pub fn key_path(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("../fixtures/keys")
        .join(name)
}

pub const PRIVATE_KEYS: [&str; 4] = [
    "test_private_pkcs1.pem",
    "test_private_pkcs1.der",
    "test_private_pkcs8.pem",
    "test_private_pkcs8.der",
];

/// The test key in every format, on every backend built in.
pub fn all_keys() -> Vec<(String, PrivateKey)> {
    let mut keys = Vec::new();
    for backend in Backend::available() {
        for name in PRIVATE_KEYS {
            let key = PrivateKey::load_with(&key_path(name), backend).unwrap();
            keys.push((format!("{name} on {backend}"), key));
        }
    }
    keys
}

/// Whether a program can be started (`prog -version` or similar succeeds).
pub fn has_tool(program: &str, version_arg: &str) -> bool {
    Command::new(program)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Run a command, panicking with its stderr when it fails.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
