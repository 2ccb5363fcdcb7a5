//! The checks that read the study folder and the key only.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::{DateTime, Utc};
use mtdata_core::config::{AppletPasswords, ServerConfig};
use mtdata_core::layout::RawFileName;
use mtdata_core::raw_rows::scan_array;
use mtdata_crypto::{FieldOutcome, PrivateKey, check_key_file_permissions};

use super::Check;
use crate::state::{LockedState, state_path};

/// The study folder exists (or can be made) and this user can write in it.
pub(super) fn study_folder(server: &ServerConfig) -> Check {
    const NAME: &str = "study folder";
    let root = &server.path;
    if !root.exists() {
        let parent = root
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return match writable(parent) {
            Ok(()) => Check::warn(
                NAME,
                format!("{} does not exist yet", root.display()),
                "the first export creates it; run `mtdata export` once by hand",
            ),
            Err(why) => Check::fail(
                NAME,
                format!(
                    "{} does not exist and cannot be created ({why})",
                    root.display()
                ),
                format!(
                    "create it and make it yours: mkdir -p {0} && chmod 700 {0}",
                    root.display()
                ),
            ),
        };
    }
    if !root.is_dir() {
        return Check::fail(
            NAME,
            format!("{} is not a folder", root.display()),
            "point PATH at the study folder",
        );
    }
    for dir in [
        root.clone(),
        server.layout().active_data(),
        server.layout().raw_data(),
        server.layout().logs(),
    ] {
        if dir.exists()
            && let Err(why) = writable(&dir)
        {
            return Check::fail(
                NAME,
                format!("cannot write in {} ({why})", dir.display()),
                format!(
                    "give the user that runs mtdata write access: chmod u+w {}",
                    dir.display()
                ),
            );
        }
    }
    Check::pass(NAME, format!("{} is writable", root.display()))
}

/// Whether files can be made in `dir`: its owner may write (a folder made read-only is refused even for
/// root, who could write anyway) and a probe file can be created and removed.
fn writable(dir: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(dir).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o200 == 0 {
            return Err(format!("read-only, mode {:04o}", mode & 0o7777));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let probe = dir.join(format!(".mtdata-doctor.{}", std::process::id()));
    File::create(&probe).map_err(|e| e.to_string())?;
    std::fs::remove_file(&probe).map_err(|e| e.to_string())
}

/// The study folder and its data folders are for the owner only.
pub(super) fn permissions(server: &ServerConfig) -> Check {
    const NAME: &str = "permissions";
    let layout = server.layout();
    let mut open = Vec::new();
    for dir in [
        layout.root().to_owned(),
        layout.raw_data(),
        layout.active_data(),
        layout.logs(),
    ] {
        if let Some(mode) = others_may_enter(&dir) {
            open.push(format!("{} (mode {:04o})", dir.display(), mode));
        }
    }
    if open.is_empty() {
        return Check::pass(NAME, "the study folder is for its owner only");
    }
    Check::warn(
        NAME,
        format!("other users of this machine can read {}", open.join(", ")),
        format!("chmod -R go-rwx {}", layout.root().display()),
    )
}

fn others_may_enter(dir: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o7777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// The private key loads and only its owner can read it.
pub(super) fn private_key(path: Option<&Path>) -> (Check, Option<PrivateKey>) {
    const NAME: &str = "private key";
    let Some(path) = path else {
        return (
            Check::warn(
                NAME,
                "no PRIVATE_FILE: decode keeps participant ids encrypted",
                "set PRIVATE_FILE in the server block to the study's private key",
            ),
            None,
        );
    };
    match check_key_file_permissions(path) {
        Ok(Some(warning)) => {
            return (
                Check::fail(
                    NAME,
                    warning.to_string(),
                    format!("chmod 600 {}", path.display()),
                ),
                None,
            );
        }
        Ok(None) => {}
        Err(err) => {
            return (
                Check::fail(
                    NAME,
                    mtdata_core::error::chain(&err),
                    "check PRIVATE_FILE (relative paths start at the folder mtdata runs in)",
                ),
                None,
            );
        }
    }
    match PrivateKey::load(path) {
        Ok(key) => (
            Check::pass(
                NAME,
                format!(
                    "{} loads ({}-bit {}), owner-only",
                    path.display(),
                    key.bits(),
                    key.format()
                ),
            ),
            Some(key),
        ),
        Err(err) => (
            Check::fail(
                NAME,
                mtdata_core::error::chain(&err),
                "PRIVATE_FILE must be the study's unencrypted RSA private key (PEM or DER)",
            ),
            None,
        ),
    }
}

/// The applet passwords of a MindLogger block could be read from their sources.
pub(super) fn applet_passwords(passwords: Option<&Result<AppletPasswords, String>>) -> Check {
    const NAME: &str = "applet passwords";
    match passwords {
        None | Some(Ok(_)) => Check::pass(NAME, "every source of APPLET_PASSWORDS can be read"),
        Some(Err(why)) => Check::fail(
            NAME,
            why.clone(),
            "fix the ENV or FILE source named (files: chmod 600)",
        ),
    }
}

/// Where backups exist, the key decrypts a sample `*RSA` field of the newest ones.
pub(super) fn sample_decryption(server: &ServerConfig, key: Option<&PrivateKey>) -> Check {
    const NAME: &str = "sample decryption";
    let Some(key) = key else {
        return Check::warn(
            NAME,
            "no key to try",
            "set PRIVATE_FILE (see the private key check)",
        );
    };
    let samples = newest_encrypted_fields(&server.layout().raw_data(), 5);
    if samples.is_empty() {
        return Check::pass(
            NAME,
            "no encrypted field in the backups yet: nothing to try",
        );
    }
    let outcomes: Vec<FieldOutcome> = samples
        .iter()
        .map(|(_, field)| key.decrypt_field(field))
        .collect();
    let decrypted = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                FieldOutcome::Decrypted(_) | FieldOutcome::NotEncrypted(_)
            )
        })
        .count();
    let table = &samples[0].0;
    if decrypted > 0 {
        Check::pass(
            NAME,
            format!(
                "{decrypted} of {} sample fields of {table} decrypt",
                samples.len()
            ),
        )
    } else {
        Check::fail(
            NAME,
            format!(
                "none of {} sample fields of {table} decrypt with this key",
                samples.len()
            ),
            "PRIVATE_FILE is not this server's key: find the key the study was set up with",
        )
    }
}

/// Up to `limit` non-empty `*RSA` fields (table, field text) from the newest backups.
fn newest_encrypted_fields(raw_data: &Path, limit: usize) -> Vec<(String, String)> {
    const LARGEST_READ: u64 = 64 << 20;
    let Ok(entries) = std::fs::read_dir(raw_data) else {
        return Vec::new();
    };
    let mut files: Vec<(RawFileName, std::path::PathBuf, u64)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = RawFileName::parse(&e.file_name().to_string_lossy())?;
            let size = e.metadata().ok()?.len();
            Some((name, e.path(), size))
        })
        .filter(|(_, _, size)| *size <= LARGEST_READ)
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0.stamp));
    let mut found = Vec::new();
    for (name, path, _) in files.into_iter().take(20) {
        let Ok(file) = File::open(&path) else {
            continue;
        };
        let _ = scan_array(BufReader::new(file), |row| {
            if found.len() >= limit {
                return;
            }
            let Ok(serde_json::Value::Object(map)) =
                serde_json::from_str::<serde_json::Value>(row.raw)
            else {
                return;
            };
            for (column, value) in map {
                if column.ends_with("RSA")
                    && let serde_json::Value::String(text) = value
                    && !text.trim().is_empty()
                    && found.len() < limit
                {
                    found.push((name.table.clone(), text));
                }
            }
        });
        if found.len() >= limit {
            break;
        }
    }
    found
}

/// No mtdata run holds the study folder.
pub(super) fn lock(server: &ServerConfig) -> Check {
    const NAME: &str = "lock";
    match mtdata_export::study_lock_is_free(&server.layout()) {
        Ok(true) => Check::pass(NAME, "no mtdata run holds the study folder"),
        Ok(false) => Check::fail(
            NAME,
            format!(
                "another mtdata run holds {}",
                server.layout().lock_file().display()
            ),
            "wait for it to finish; if none runs (`pgrep -a mtdata`), a hung process holds it: stop that process",
        ),
        Err(err) => Check::fail(
            NAME,
            mtdata_core::error::chain(&err),
            "check the permissions of active_data/",
        ),
    }
}

/// Free space on the study's disk for at least twice the largest backup seen.
pub(super) fn disk_space(server: &ServerConfig) -> Check {
    const NAME: &str = "disk space";
    let mut existing = server.path.as_path();
    while !existing.exists() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    let available = match fs4::available_space(existing) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Check::warn(
                NAME,
                format!("cannot measure free space on {} ({e})", existing.display()),
                "check the disk by hand: df -h",
            );
        }
    };
    let largest = largest_backup(&server.layout().raw_data());
    let needed = (largest * 2).max(64 << 20);
    let words = |b: u64| format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0);
    if available < needed {
        Check::fail(
            NAME,
            format!(
                "{} free; the largest backup is {}, and a run needs room for at least twice that",
                words(available),
                words(largest)
            ),
            "free disk space or move the study folder (PATH) to a larger disk",
        )
    } else {
        Check::pass(
            NAME,
            format!(
                "{} free, largest backup {}",
                words(available),
                words(largest)
            ),
        )
    }
}

fn largest_backup(raw_data: &Path) -> u64 {
    std::fs::read_dir(raw_data)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// The last export that went through, from the alert state.
pub(super) fn last_export(server: &ServerConfig, now: DateTime<Utc>) -> Check {
    const NAME: &str = "last export";
    let layout = server.layout();
    if !state_path(&layout).exists() {
        return Check::warn(
            NAME,
            "no export recorded yet",
            "run `mtdata export` once; every run records when it went through",
        );
    }
    let state = match LockedState::open(&layout) {
        Ok(locked) => locked.state,
        Err(err) => {
            return Check::warn(
                NAME,
                mtdata_core::error::chain(&err),
                "move the damaged file away; the next run starts it afresh",
            );
        }
    };
    let Some(last) = state.last_export else {
        return Check::warn(
            NAME,
            "no export has gone through yet",
            "run `mtdata export` and read its errors",
        );
    };
    let minutes = (now - last).num_minutes().max(0);
    let limit = server.alerts.rules.no_export_minutes;
    let when = format!(
        "the last export went through {minutes} minutes ago ({} UTC)",
        last.format("%Y-%m-%d %H:%M")
    );
    if minutes as u64 >= limit {
        Check::fail(
            NAME,
            format!("{when}; more than NO_EXPORT_MINUTES ({limit})"),
            "check that cron or the systemd timer runs `mtdata export` (`mtdata cron` prints both) and read the study's log",
        )
    } else {
        Check::pass(NAME, when)
    }
}
