//! `mtdata doctor`: checks of one server block before a lab relies on it, one [`Check`] each, with what
//! to do when it is not a pass.
//!
//! Local checks (the study folder, its permissions, the key, the lock, disk space, the last export) read
//! the study folder only; the server checks ask the server what an export would (read-only: the table
//! list, the schedule; a MindLogger login and the applet documents); the alert check connects to the mail
//! server and, when asked, sends a test alert. Nothing is written but a probe file, removed at once.

mod local;
mod remote;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use mtdata_core::Secret;
use mtdata_core::config::{AppletPasswords, ServerConfig};
use serde::Serialize;

use crate::message::Notification;
use crate::send::{CommandHook, Mailer};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check of a setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Short and stable: `study folder`, `private key`, `credentials`, ...
    pub name: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do (warn and fail).
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Check {
            name,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// What the program read for the doctor (only the program reads the environment and secret files).
#[derive(Debug, Clone)]
pub struct DoctorInput<'a> {
    pub server: &'a ServerConfig,
    /// The private key to try (`--key`, else `PRIVATE_FILE`).
    pub key_path: Option<PathBuf>,
    /// A MindLogger block's applet passwords, or why they could not be read.
    pub applet_passwords: Option<Result<AppletPasswords, String>>,
    /// The SMTP password, or why it could not be read (`Ok(None)`: no login).
    pub smtp_password: Result<Option<Secret>, String>,
    /// Send a test alert through every channel.
    pub send_test_alert: bool,
    /// The machine's name, for the test alert.
    pub host: String,
    pub now: DateTime<Utc>,
}

/// Every check of one server block, in the order a person fixes them.
pub fn check_server(input: &DoctorInput<'_>) -> Vec<Check> {
    let server = input.server;
    let mut checks = vec![local::study_folder(server), local::permissions(server)];
    let key = match server.platform.mindlogger() {
        None => {
            let (check, key) = local::private_key(input.key_path.as_deref());
            checks.push(check);
            key
        }
        Some(_) => {
            checks.push(local::applet_passwords(input.applet_passwords.as_ref()));
            None
        }
    };
    checks.extend(remote::server_checks(
        server,
        input.applet_passwords.as_ref(),
    ));
    if server.platform.mindlogger().is_none() {
        checks.push(local::sample_decryption(server, key.as_ref()));
    }
    checks.push(local::lock(server));
    checks.push(local::disk_space(server));
    checks.push(local::last_export(server, input.now));
    checks.push(alerts(input));
    checks
}

/// Where alerts go, and whether they get there.
fn alerts(input: &DoctorInput<'_>) -> Check {
    const NAME: &str = "alerts";
    let settings = &input.server.alerts;
    if !settings.enabled() {
        return Check::warn(
            NAME,
            "no alerts are set up: problems show only in the study's log",
            "add an alerts: block with EMAIL_TO and SMTP_HOST, or COMMAND (docs/unattended.md)",
        );
    }
    let mut done = Vec::new();
    if let Some(email) = &settings.email {
        let password = match &input.smtp_password {
            Ok(password) => password.clone(),
            Err(why) => {
                return Check::fail(
                    NAME,
                    why.clone(),
                    "set the SMTP password's source (SMTP_PASS_ENV or an owner-only SMTP_PASS_FILE)",
                );
            }
        };
        let mailer = Mailer::new(email, password);
        let result = if input.send_test_alert {
            mailer.send(&test_notification(input))
        } else {
            mailer.check()
        };
        if let Err(err) = result {
            return Check::fail(
                NAME,
                mtdata_core::error::chain(&err),
                "fix the SMTP settings of the alerts block, then run `mtdata doctor --send-test-alert`",
            );
        }
        let to = email.to.join(", ");
        done.push(match input.send_test_alert {
            true => format!("test e-mail sent to {to}"),
            false => format!(
                "e-mail to {to} through {}:{} ({}), login accepted",
                email.host,
                email.port,
                email.security.name()
            ),
        });
    }
    if let Some(command) = &settings.command {
        if input.send_test_alert {
            if let Err(err) = CommandHook::new(command).send(&test_notification(input)) {
                return Check::fail(
                    NAME,
                    mtdata_core::error::chain(&err),
                    "make the command exit with status 0; it gets the alert text on stdin and JSON in MTDATA_ALERT",
                );
            }
            done.push(format!("test alert given to `{}`", command.describe()));
        } else {
            done.push(format!("command `{}`", command.describe()));
        }
    }
    let detail = done.join("; ");
    if input.send_test_alert {
        Check::pass(NAME, detail)
    } else {
        Check::pass(NAME, format!("{detail}; `--send-test-alert` sends a test"))
    }
}

fn test_notification(input: &DoctorInput<'_>) -> Notification {
    let server = input.server;
    Notification::test(
        server.study_name(),
        &server.name,
        &input.host,
        &server.path.display().to_string(),
        input.now,
    )
}

/// Whether nothing failed.
pub fn all_passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}
