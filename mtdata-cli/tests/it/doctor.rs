//! `mtdata doctor` and `mtdata cron` through the binary: a healthy setup passes, and each broken setup names
//! the check that fails.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Output;

use mtdata_sim::mindtrails::Simulator;
use mtdata_sim::smtp::Sink;

use crate::export::tiny_study;
use crate::support::{mtdata, snapshot_settings};

/// A healthy setup: a study exported once, its key, alerts to an SMTP sink.
struct Setup {
    dir: tempfile::TempDir,
    sim: Simulator,
    sink: Sink,
}

/// What may be broken in a setup.
#[derive(Default, Clone)]
struct Breakage {
    server: Option<String>,
    key: Option<PathBuf>,
    smtp_security: Option<&'static str>,
}

impl Setup {
    fn new() -> Self {
        let setup = Setup {
            dir: tempfile::tempdir().unwrap(),
            sim: Simulator::start(tiny_study()).unwrap(),
            sink: Sink::start().unwrap(),
        };
        let key = setup.dir.path().join("private.pem");
        std::fs::copy(mtdata_fixtures::keys::test_private_pkcs1_pem(), &key).unwrap();
        chmod(&key, 0o600);
        setup.configure(&Breakage::default());
        let out = setup.mtdata(&["export", ".", "all"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for dir in ["", "raw_data", "active_data", "logs"] {
            chmod(&setup.study().join(dir), 0o700);
        }
        setup
    }

    fn study(&self) -> PathBuf {
        self.dir.path().join("study")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("server.config")
    }

    fn configure(&self, broken: &Breakage) {
        let key = broken
            .key
            .clone()
            .unwrap_or_else(|| self.dir.path().join("private.pem"));
        let text = format!(
            "alerts:\n  EMAIL_TO: ra@lab.example.org\n  EMAIL_FROM: mtdata@lab.example.org\n  SMTP_HOST: {}\n  \
             SMTP_PORT: {}\n  SMTP_SECURITY: {}\n\
             sim:\n  READY: True\n  DELETE_MODE: True\n  SERVER: '{}'\n  USER: {}\n  PASS_ENV: SIM_PASSWORD\n  \
             PRIVATE_FILE: '{}'\n  PATH: '{}'\n  TIMEOUT: 30\n",
            self.sink.host(),
            self.sink.port(),
            broken.smtp_security.unwrap_or("none"),
            broken.server.clone().unwrap_or_else(|| self.sim.base_url()),
            self.sim.user(),
            key.display(),
            self.study().display()
        );
        std::fs::write(self.config(), text).unwrap();
        chmod(&self.config(), 0o600);
    }

    fn mtdata_with(&self, password: &str, args: &[&str]) -> Output {
        mtdata()
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env("SIM_PASSWORD", password)
            .output()
            .unwrap()
    }

    fn mtdata(&self, args: &[&str]) -> Output {
        self.mtdata_with(self.sim.password(), args)
    }
}

fn chmod(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// The lines of failed checks, with their fix.
fn failures(out: &Output) -> Vec<String> {
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if line.starts_with("  fail  ") {
            found.push(line.trim().to_owned());
            if let Some(fix) = lines
                .get(n + 1)
                .filter(|l| l.trim_start().starts_with("fix:"))
            {
                found.push(format!("  {}", fix.trim()));
            }
        }
    }
    found
}

fn failed_checks(out: &Output) -> Vec<String> {
    failures(out)
        .iter()
        .filter(|l| l.starts_with("fail"))
        .map(|l| l[4..].trim().split("  ").next().unwrap().to_owned())
        .collect()
}

#[test]
fn a_healthy_setup_passes_and_sends_a_test_alert() {
    let setup = Setup::new();
    let out = setup.mtdata(&["doctor", "--send-test-alert"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(failures(&out).is_empty(), "{text}");
    for check in [
        "config",
        "study folder",
        "permissions",
        "private key",
        "connection",
        "server answers",
        "credentials",
        "table list",
        "schedule",
        "sample decryption",
        "lock",
        "disk space",
        "last export",
        "alerts",
    ] {
        assert!(
            text.contains(&format!("  pass  {check:<22} ")),
            "{check}: {text}"
        );
    }
    let mails = setup.sink.messages();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].text().contains("This is a test alert"),
        "{}",
        mails[0].text()
    );
    assert!(
        text.contains("test e-mail sent to ra@lab.example.org"),
        "{text}"
    );
}

#[test]
fn each_broken_setup_names_the_failing_check() {
    let setup = Setup::new();
    let mut table = String::new();
    let mut case =
        |name: &str, broken: Breakage, password: &str, expected: &str, undo: &dyn Fn()| {
            setup.configure(&broken);
            let out = setup.mtdata_with(password, &["doctor", "sim"]);
            undo();
            setup.configure(&Breakage::default());
            assert_eq!(
                out.status.code(),
                Some(1),
                "{name}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert_eq!(
                failed_checks(&out),
                [expected],
                "{name}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            table.push_str(&format!("## {name}\n{}\n\n", failures(&out).join("\n")));
        };
    let nothing = || {};
    case(
        "wrong password",
        Breakage::default(),
        "not-the-password",
        "credentials",
        &nothing,
    );
    let closed = Breakage {
        server: Some("http://127.0.0.1:9/api/".into()),
        ..Breakage::default()
    };
    case(
        "unreachable server",
        closed,
        setup.sim.password(),
        "server answers",
        &nothing,
    );
    let key = setup.dir.path().join("private.pem");
    chmod(&key, 0o644);
    case(
        "key file readable by others",
        Breakage::default(),
        setup.sim.password(),
        "private key",
        &|| chmod(&key, 0o600),
    );
    let other = setup.dir.path().join("other.pem");
    std::fs::copy(mtdata_fixtures::keys::other_private_pkcs1_pem(), &other).unwrap();
    chmod(&other, 0o600);
    let wrong_key = Breakage {
        key: Some(other),
        ..Breakage::default()
    };
    case(
        "wrong key",
        wrong_key,
        setup.sim.password(),
        "sample decryption",
        &nothing,
    );
    chmod(&setup.study(), 0o500);
    case(
        "read-only folder",
        Breakage::default(),
        setup.sim.password(),
        "study folder",
        &|| chmod(&setup.study(), 0o700),
    );
    let lock = File::options()
        .write(true)
        .open(setup.study().join("active_data/.mtdata.lock"))
        .unwrap();
    lock.lock().unwrap();
    case(
        "held lock",
        Breakage::default(),
        setup.sim.password(),
        "lock",
        &nothing,
    );
    drop(lock);
    let starttls = Breakage {
        smtp_security: Some("starttls"),
        ..Breakage::default()
    };
    case(
        "bad SMTP settings (STARTTLS demanded, not offered)",
        starttls,
        setup.sim.password(),
        "alerts",
        &nothing,
    );
    snapshot_settings(setup.dir.path()).bind(|| insta::assert_snapshot!("broken_setups", table));
    // Healthy again.
    assert_eq!(setup.mtdata(&["doctor"]).status.code(), Some(0));
}

#[test]
fn a_config_that_does_not_parse_is_a_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.config");
    std::fs::write(&config, "sim:\n  PATH: x\n").unwrap();
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .arg("doctor")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(failed_checks(&out), ["config"]);
}

#[test]
fn cron_prints_a_crontab_line_and_a_systemd_pair_with_absolute_paths() {
    let setup = Setup::new();
    let text = std::fs::read_to_string(setup.config())
        .unwrap()
        .replace(
            "alerts:\n",
            "alerts:\n  SMTP_USER: mtdata@lab.example.org\n  SMTP_PASS_ENV: LAB_SMTP_PASSWORD\n",
        )
        .replace("SMTP_SECURITY: none", "SMTP_SECURITY: tls");
    std::fs::write(
        setup.config(),
        text.replace("SMTP_HOST: 127.0.0.1", "SMTP_HOST: localhost"),
    )
    .unwrap();
    let out = mtdata()
        .current_dir(setup.dir.path())
        .args(["--config", "server.config", "cron", "sim"])
        .env("USER", "ra")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text =
        String::from_utf8_lossy(&out.stdout).replace(env!("CARGO_BIN_EXE_mtdata"), "[MTDATA]");
    assert!(!text.contains(setup.sim.password()));
    let mut settings = snapshot_settings(setup.dir.path());
    settings.add_filter(r"/private\[DIR\]", "[DIR]"); // macOS temp folders
    settings.bind(|| insta::assert_snapshot!("cron", text));
}

#[test]
fn a_mindlogger_block_checks_its_login_and_each_applet_password() {
    use mtdata_core::mindlogger::MindLoggerApi;
    let sim = mtdata_sim::mindlogger::Simulator::start(crate::mindlogger::small(MindLoggerApi::V2))
        .unwrap();
    let study = crate::mindlogger::Study::new(&sim, sim.manager(), "");
    let doctor = |applet_password: Option<&str>| {
        let mut cmd = mtdata();
        cmd.arg("--config")
            .arg(&study.config)
            .args(["doctor", "ema"])
            .env("EMA_ACCOUNT_PW", sim.manager().1);
        for (n, id) in sim.applet_ids().iter().enumerate() {
            let password =
                applet_password.map_or_else(|| sim.applet_password(id).unwrap(), str::to_owned);
            cmd.env(format!("EMA_PW_{n}"), password);
        }
        cmd.output().unwrap()
    };
    let good = doctor(None);
    let text = String::from_utf8_lossy(&good.stdout);
    assert_eq!(good.status.code(), Some(0), "{text}");
    assert!(
        text.contains("  pass  applet password check  2 applet passwords open their applets"),
        "{text}"
    );
    assert!(
        text.contains("  pass  credentials            the login is accepted"),
        "{text}"
    );
    let bad = doctor(Some("not the applet password"));
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        failed_checks(&bad),
        ["applet password check"],
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
}
