//! `mtdata doctor [SERVER]`: check a setup before a lab relies on it, one line per check.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use mtdata_core::config::{Config, ServerConfig};
use mtdata_unattended::doctor::{Check, DoctorInput, Status, all_passed, check_server};

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

const AFTER_HELP: &str = "\
Checks, in the order to fix them: the config parses and only you can read it; the study folder
exists, is writable and owner-only; the private key loads and is owner-only (MindLogger: the applet
passwords can be read); the server is reached over TLS (or on this machine); it answers; the
credentials work; the table list and the study schedule can be read (MindLogger: the applets, and
each applet password opens its applet); where backups exist, the key decrypts a sample field; no
run holds the lock; the disk has room; the last export is recent; alerts reach the mail server
(with --send-test-alert: a test alert is sent by e-mail and to the command).

Nothing is exported, deleted or changed.

Examples:
  mtdata doctor                         # every READY block
  mtdata doctor templeton --send-test-alert

Exit status: 0 when no check failed (warnings allowed), 1 when one failed.";

/// Arguments of `mtdata doctor`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct DoctorArgs {
    /// Server block, or `.` for every READY block (a named block need not be READY)
    #[arg(default_value = ".")]
    pub server: String,

    /// Send a test alert through every alert channel of the block
    #[arg(long)]
    pub send_test_alert: bool,

    /// Private key to try; overrides PRIVATE_FILE of the server block
    #[arg(long, value_name = "FILE", env = "MTDATA_PRIVATE_KEY")]
    pub key: Option<PathBuf>,
}

pub fn run(args: &DoctorArgs, ctx: &Context) -> CommandResult {
    let path = &ctx.global.config;
    let config = match crate::app::load_config(path) {
        Ok(config) => config,
        Err(err) => {
            let check = Check::fail(
                "config",
                format!("{err:#}"),
                "fix the file as the message says (docs/guide.md has an example)",
            );
            print_checks(&[check], ctx)?;
            return Ok(Outcome::Problems);
        }
    };
    let servers = config.select(&args.server, false)?;
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for server in servers {
        // The doctor writes to a study log that exists; it creates no folder.
        let _log = server
            .layout()
            .logs()
            .is_dir()
            .then(|| crate::logging::study::open(server, "doctor"));
        let mut checks = vec![config_check(&config)];
        checks.extend(check_server(&input(server, args)));
        writeln!(
            out,
            "{} ({}), study folder {}",
            server.name,
            server.study_name(),
            server.path.display()
        )?;
        drop(out);
        print_checks(&checks, ctx)?;
        out = std::io::stdout().lock();
        let count = |status| checks.iter().filter(|c| c.status == status).count();
        let summary = format!(
            "{}: {} checks, {} pass, {} warn, {} fail",
            server.name,
            checks.len(),
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail)
        );
        writeln!(out, "{summary}\n")?;
        crate::logging::record(tracing::Level::INFO, &summary);
        failed |= !all_passed(&checks);
    }
    Ok(Outcome::problems_if(failed))
}

/// What the doctor needs that only the program may read: secrets and the machine's name.
fn input<'a>(server: &'a ServerConfig, args: &DoctorArgs) -> DoctorInput<'a> {
    let applet_passwords = server.platform.mindlogger().map(|config| {
        config
            .resolve_passwords(
                |name| std::env::var(name).ok(),
                crate::unattended::read_secret_file,
            )
            .map_err(|e| mtdata_core::error::chain(&e))
    });
    let smtp_password = match &server.alerts.email {
        Some(email) => crate::unattended::smtp_password(email).map_err(|e| format!("{e:#}")),
        None => Ok(None),
    };
    DoctorInput {
        server,
        key_path: args.key.clone().or_else(|| server.private_file.clone()),
        applet_passwords,
        smtp_password,
        send_test_alert: args.send_test_alert,
        host: crate::unattended::host_name(),
        now: chrono::Utc::now(),
    }
}

/// The config parsed; only its owner should read it (it may hold a password).
fn config_check(config: &Config) -> Check {
    const NAME: &str = "config";
    let detail = format!(
        "{} parses: {} server blocks",
        config.path.display(),
        config.servers.len()
    );
    match others_may_read(&config.path) {
        Some(mode) => Check::warn(
            NAME,
            format!("{detail}; other users can read it (mode {mode:04o})"),
            format!("chmod 600 {}", config.path.display()),
        ),
        None => Check::pass(NAME, detail),
    }
}

fn others_may_read(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// `  pass  name                   detail`, and for a warning or failure a line with what to do.
fn print_checks(checks: &[Check], ctx: &Context) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for check in checks {
        let word = check.status.word();
        let shown = match (ctx.color_stdout, check.status) {
            (false, _) | (true, Status::Pass) => word.to_owned(),
            (true, Status::Warn) => format!("\x1b[33m{word}\x1b[0m"),
            (true, Status::Fail) => format!("\x1b[31m{word}\x1b[0m"),
        };
        let line = format!("  {shown}  {:<22} {}", check.name, check.detail);
        writeln!(out, "{line}")?;
        let level = match check.status {
            Status::Pass => tracing::Level::INFO,
            Status::Warn => tracing::Level::WARN,
            Status::Fail => tracing::Level::ERROR,
        };
        crate::logging::record(level, &format!("{word} {}: {}", check.name, check.detail));
        if let Some(fix) = &check.fix {
            writeln!(out, "        {:<22} fix: {fix}", "")?;
        }
    }
    Ok(())
}
