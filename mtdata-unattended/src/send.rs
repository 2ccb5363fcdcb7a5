//! Sending a [`Notification`]: by e-mail over SMTP ([`Mailer`]) and to a command ([`CommandHook`]).
//!
//! The program resolves the SMTP password (environment or owner-only file) and passes it in; this module
//! reads nothing but what it is given.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use mtdata_core::Secret;
use mtdata_core::config::{AlertCommand, EmailSettings, SmtpSecurity};

use crate::error::{Error, Result};
use crate::message::Notification;

/// How long the mail server and the command may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends alerts by e-mail.
#[derive(Debug, Clone)]
pub struct Mailer {
    settings: EmailSettings,
    password: Option<Secret>,
    timeout: Duration,
}

impl Mailer {
    /// A mailer for `settings`, with the SMTP password the program read from its source.
    pub fn new(settings: &EmailSettings, password: Option<Secret>) -> Self {
        Mailer {
            settings: settings.clone(),
            password,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    fn smtp_error(&self, source: lettre::transport::smtp::Error) -> Error {
        Error::Smtp {
            host: self.settings.host.clone(),
            port: self.settings.port,
            security: self.settings.security.name(),
            source,
        }
    }

    fn transport(&self) -> Result<SmtpTransport> {
        let s = &self.settings;
        let tls = match s.security {
            SmtpSecurity::None => Tls::None,
            security => {
                let parameters =
                    TlsParameters::new(s.host.clone()).map_err(|e| self.smtp_error(e))?;
                match security {
                    SmtpSecurity::Tls => Tls::Wrapper(parameters),
                    _ => Tls::Required(parameters),
                }
            }
        };
        let mut builder = SmtpTransport::builder_dangerous(s.host.as_str())
            .port(s.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let (Some(user), Some(password)) = (&s.user, &self.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(builder.build())
    }

    /// Connect, secure the connection and log in, sending nothing (what `mtdata doctor` checks).
    pub fn check(&self) -> Result<()> {
        self.transport()?
            .test_connection()
            .map(|_| ())
            .map_err(|e| self.smtp_error(e))
    }

    /// Send `notification` to every recipient.
    pub fn send(&self, notification: &Notification) -> Result<()> {
        let mailbox = |address: &str| {
            address.parse::<Mailbox>().map_err(|source| Error::Address {
                address: address.to_owned(),
                source,
            })
        };
        let mut message = lettre::Message::builder()
            .from(mailbox(&self.settings.from)?)
            .subject(notification.subject())
            .header(ContentType::TEXT_PLAIN);
        for to in &self.settings.to {
            message = message.to(mailbox(to)?);
        }
        let message = message.body(notification.text()).map_err(Error::Mail)?;
        self.transport()?
            .send(&message)
            .map(|_| ())
            .map_err(|e| self.smtp_error(e))
    }
}

/// Runs the alert command: the text on stdin, the JSON in `MTDATA_ALERT`, `MTDATA_ALERT_SUBJECT` too.
#[derive(Debug, Clone)]
pub struct CommandHook {
    command: AlertCommand,
    timeout: Duration,
}

impl CommandHook {
    pub fn new(command: &AlertCommand) -> Self {
        CommandHook {
            command: command.clone(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Run the command for `notification`; it must exit with status 0 within the time limit.
    pub fn send(&self, notification: &Notification) -> Result<()> {
        let error = |what: String| Error::Command {
            command: self.command.describe(),
            what,
        };
        let mut command = match &self.command {
            AlertCommand::Shell(line) => {
                let mut c = Command::new("/bin/sh");
                c.arg("-c").arg(line);
                c
            }
            AlertCommand::Argv(argv) => {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]);
                c
            }
        };
        let mut child = command
            .env("MTDATA_ALERT", notification.json().to_string())
            .env("MTDATA_ALERT_SUBJECT", notification.subject())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| error(format!("cannot be started ({e}); check COMMAND")))?;
        // A command that does not read its stdin must not block us: write from a thread.
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let text = notification.text();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr.by_ref().take(4096).read_to_end(&mut bytes);
            bytes
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() < self.timeout => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(error(format!(
                        "did not finish within {} seconds and was stopped",
                        self.timeout.as_secs()
                    )));
                }
                Err(e) => return Err(error(format!("cannot be waited for ({e})"))),
            }
        };
        let _ = writer.join();
        let stderr = reader.join().unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&stderr);
        let said = said.lines().next().unwrap_or("").trim();
        Err(error(match said {
            "" => format!("failed ({status})"),
            said => format!("failed ({status}): {said}"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn notification() -> Notification {
        Notification::test("Study", "s", "host", "/data/s", Utc::now())
    }

    #[test]
    fn the_command_gets_text_on_stdin_and_json_in_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let line = format!(
            "cat > '{0}.txt'; printf '%s' \"$MTDATA_ALERT\" > '{0}.json'",
            out.display()
        );
        CommandHook::new(&AlertCommand::Shell(line))
            .send(&notification())
            .unwrap();
        let text = std::fs::read_to_string(out.with_extension("txt")).unwrap();
        assert!(text.contains("This is a test alert"), "{text}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.with_extension("json")).unwrap()).unwrap();
        assert_eq!(json["test"], true);
        assert_eq!(json["study"], "Study");
    }

    #[test]
    fn a_failing_or_slow_command_is_an_error_that_says_why() {
        let failing = AlertCommand::Argv(vec![
            "/bin/sh".into(),
            "-c".into(),
            "echo 'no webhook set' >&2; exit 3".into(),
        ]);
        let err = CommandHook::new(&failing)
            .send(&notification())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("failed (exit status: 3): no webhook set"),
            "{err}"
        );
        let missing = AlertCommand::Argv(vec!["/nonexistent/notify".into()]);
        let err = CommandHook::new(&missing)
            .send(&notification())
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot be started"), "{err}");
        let mut slow = CommandHook::new(&AlertCommand::Shell("sleep 5".into()));
        slow.timeout = Duration::from_millis(200);
        let err = slow.send(&notification()).unwrap_err().to_string();
        assert!(err.contains("did not finish within 0 seconds"), "{err}");
    }
}
