//! Settings for unattended operation: where alerts go and when they fire (`alerts:` for every server,
//! `ALERTS:` in a block), and how big a study's log may grow (`LOG_MAX_MB`, `LOG_KEEP`, `LOG_FORMAT`).
//!
//! ```yaml
//! alerts:                        # reserved block name: settings for every server, not a server
//!   EMAIL_TO: [ra@lab.example.org, pi@lab.example.org]
//!   EMAIL_FROM: mtdata@lab.example.org
//!   SMTP_HOST: smtp.lab.example.org
//!   SMTP_PORT: 587               # default: 587 for starttls, 465 for tls, 25 for none
//!   SMTP_SECURITY: starttls      # starttls (default), tls, or none (a relay on this machine only)
//!   SMTP_USER: mtdata@lab.example.org
//!   SMTP_PASS_ENV: LAB_SMTP_PASSWORD   # or SMTP_PASS_FILE: an owner-only file; never the password itself
//!   COMMAND: /usr/local/bin/post-to-slack   # text on stdin, JSON in $MTDATA_ALERT
//! templeton:
//!   ...
//!   ALERTS:                      # this block's changes to `alerts:` (key by key), or `ALERTS: False`
//!     EMAIL_TO: templeton-team@lab.example.org
//!   LOG_MAX_MB: 20
//! ```
//!
//! A file written before `alerts:` was reserved, with a server block of that name (it has `SERVER`), is
//! read as before, with a warning. Reading the SMTP password from its source is the program's job
//! ([`EmailSettings::resolve_password`] takes the readers, as the applet passwords do).

use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;

use super::{BlockParser, PasswordFile, SecretLocation};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The top-level block that holds the alert settings of every server.
pub const ALERTS_BLOCK: &str = "alerts";

/// The keys of a server block this module reads.
pub(super) const BLOCK_KEYS: &[&str] = &["ALERTS", "LOG_MAX_MB", "LOG_KEEP", "LOG_FORMAT"];

/// The keys of `alerts:` (and of a block's `ALERTS:`).
const ALERT_KEYS: &[&str] = &[
    "EMAIL_TO",
    "EMAIL_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USER",
    "SMTP_PASS_ENV",
    "SMTP_PASS_FILE",
    "COMMAND",
    "REPEAT_HOURS",
    "DELETE_FAILED_MINUTES",
    "UNREACHABLE_MINUTES",
    "BACKLOG_ROWS",
    "NO_EXPORT_MINUTES",
];

/// The environment variable read for the SMTP password when `SMTP_USER` is set and no source is named.
pub const DEFAULT_SMTP_PASS_ENV: &str = "MTDATA_SMTP_PASS";

/// Where a MindTrails server stops taking submissions: `export.maxRecords` deleteable rows.
pub const SERVER_ROW_LIMIT: u64 = 900_000;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must be offered (port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine.
    None,
}

impl SmtpSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

/// Alerts by e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub to: Vec<String>,
    pub from: String,
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    /// Where the SMTP password comes from (never the password itself).
    pub password: Option<SecretLocation>,
    /// For messages: the config file and the block the settings came from.
    config_path: PathBuf,
    block: String,
}

impl EmailSettings {
    /// Read the SMTP password from its source through the program's readers: `env` looks up a variable,
    /// `read_file` reads a file and its mode. A file others can read, an unset variable and an empty
    /// password are refused.
    pub fn resolve_password(
        &self,
        env: impl Fn(&str) -> Option<String>,
        read_file: impl Fn(&Path) -> std::io::Result<PasswordFile>,
    ) -> Result<Option<Secret>> {
        let Some(location) = &self.password else {
            return Ok(None);
        };
        let error = |key: &str, message: String| Error::ConfigValue {
            path: self.config_path.clone(),
            block: self.block.clone(),
            key: key.to_owned(),
            message,
        };
        let password = match location {
            SecretLocation::Env(name) => env(name).map(Secret::new).ok_or_else(|| {
                error(
                    "SMTP_PASS_ENV",
                    format!("names environment variable {name}, which is not set"),
                )
            })?,
            SecretLocation::File(path) => {
                let file = read_file(path).map_err(|e| {
                    error(
                        "SMTP_PASS_FILE",
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                if let Some(mode) = file.mode.filter(|mode| mode & 0o077 != 0) {
                    return Err(error(
                        "SMTP_PASS_FILE",
                        format!(
                            "{} can be read by other users (mode {:04o}); run `chmod 600 {}`",
                            path.display(),
                            mode & 0o7777,
                            path.display()
                        ),
                    ));
                }
                Secret::new(file.text.expose().lines().next().unwrap_or_default())
            }
        };
        if password.is_empty() {
            return Err(error(
                match location {
                    SecretLocation::Env(_) => "SMTP_PASS_ENV",
                    SecretLocation::File(_) => "SMTP_PASS_FILE",
                },
                format!("the SMTP password from {location} is empty"),
            ));
        }
        Ok(Some(password))
    }
}

/// A program that receives each alert: the text on stdin, the JSON in `MTDATA_ALERT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertCommand {
    /// A command line for `/bin/sh -c`.
    Shell(String),
    /// A program and its arguments, run without a shell.
    Argv(Vec<String>),
}

impl AlertCommand {
    /// The command as a person wrote it, for messages.
    pub fn describe(&self) -> String {
        match self {
            AlertCommand::Shell(line) => line.clone(),
            AlertCommand::Argv(argv) => argv.join(" "),
        }
    }
}

/// When a problem becomes an alert, and how often an ongoing one is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertRules {
    /// An ongoing problem is sent again after this many hours (MTData mailed every five minutes).
    pub repeat_hours: u64,
    /// Rows whose delete keeps failing for this long are an alert.
    pub delete_failed_minutes: u64,
    /// A server that has not answered for this long is an alert.
    pub unreachable_minutes: u64,
    /// Deleteable rows on a server at or above this are an alert (the server stops at 900,000).
    pub backlog_rows: u64,
    /// No successful export for this long is an alert.
    pub no_export_minutes: u64,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            repeat_hours: 24,
            delete_failed_minutes: 60,
            unreachable_minutes: 30,
            backlog_rows: 500_000,
            no_export_minutes: 120,
        }
    }
}

/// Where a server's alerts go and when they fire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertSettings {
    pub email: Option<EmailSettings>,
    pub command: Option<AlertCommand>,
    pub rules: AlertRules,
}

impl AlertSettings {
    /// Whether alerts go anywhere.
    pub fn enabled(&self) -> bool {
        self.email.is_some() || self.command.is_some()
    }
}

/// How a study's log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One line per event a person can read: `time level message`.
    #[default]
    Text,
    /// One JSON object per line, for tools.
    Json,
}

/// The size of a study's log: `PATH/logs/` never holds more than `max_bytes` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    /// The current file and the kept ones together.
    pub max_bytes: u64,
    /// Older files kept after rotation.
    pub keep: u32,
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            max_bytes: 20 << 20,
            keep: 4,
            format: LogFormat::Text,
        }
    }
}

/// The environment variables a block reads its account from, so `mtdata cron` can name them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountEnv {
    /// `PASS_ENV`, else `MTDATA_<BLOCK>_PASS`; `None` when `PASS` is written in the file.
    pub pass: Option<String>,
    /// `USER_ENV`, when given.
    pub user: Option<String>,
}

/// Whether a top-level block named [`ALERTS_BLOCK`] is the alert settings (and not a server block of an
/// older file, which has `SERVER`).
pub(super) fn is_settings_block(name: &str, block: &Yaml) -> bool {
    name == ALERTS_BLOCK
        && !matches!(block, Yaml::Hash(map) if map.contains_key(&Yaml::String("SERVER".into())))
}

/// The warning for an older file's server block named `alerts`.
pub(super) fn old_server_block_warning(path: &Path) -> String {
    format!(
        "config file {}, block \"{ALERTS_BLOCK}\": read as a server block because it has SERVER; the name is \
         reserved for alert settings, rename the block to use them",
        path.display()
    )
}

impl<E: Fn(&str) -> Option<String>> BlockParser<'_, E> {
    /// The top-level `alerts:` block, checked on its own so its mistakes name it.
    pub(super) fn alerts_block(&self, block: &Yaml, warnings: &mut Vec<String>) -> Result<Hash> {
        match block {
            Yaml::Hash(map) => {
                self.warn_unknown(map, "", warnings);
                self.alert_settings(map, "")?;
                Ok(map.clone())
            }
            Yaml::Null => Ok(Hash::new()),
            _ => Err(self.error(
                "-",
                "the alerts block must be a mapping of keys such as EMAIL_TO and SMTP_HOST",
            )),
        }
    }

    /// A block's settings: `ALERTS` over the top-level `alerts:` (key by key; `ALERTS: False` turns
    /// alerts off for the block), and the log's size and format.
    pub(super) fn unattended(
        &self,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
        top: &Hash,
        warnings: &mut Vec<String>,
    ) -> Result<(AlertSettings, LogSettings)> {
        let mut merged = top.clone();
        match get("ALERTS") {
            None | Some(Yaml::Null) => {}
            Some(Yaml::Boolean(false)) => return Ok((AlertSettings::default(), self.logs(get)?)),
            Some(Yaml::String(s)) if matches!(s.to_ascii_lowercase().as_str(), "off" | "no") => {
                return Ok((AlertSettings::default(), self.logs(get)?));
            }
            Some(Yaml::Hash(own)) => {
                self.warn_unknown(&own, "ALERTS: ", warnings);
                for (key, value) in own {
                    merged.insert(key, value);
                }
            }
            Some(_) => {
                return Err(self.error(
                    "ALERTS",
                    "must be a mapping of alert keys (EMAIL_TO, COMMAND, ...) or False",
                ));
            }
        }
        Ok((self.alert_settings(&merged, "ALERTS: ")?, self.logs(get)?))
    }

    /// Where the block's account comes from in the environment.
    pub(super) fn account_env(
        &self,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
    ) -> Result<AccountEnv> {
        let pass_in_file = self.string(get, "PASS")?.is_some();
        let pass = match self.string(get, "PASS_ENV")? {
            Some(name) => Some(name),
            None if pass_in_file => None,
            None => Some(format!("MTDATA_{}_PASS", super::env_name(self.block))),
        };
        Ok(AccountEnv {
            pass,
            user: self.string(get, "USER_ENV")?,
        })
    }

    fn warn_unknown(&self, map: &Hash, prefix: &str, warnings: &mut Vec<String>) {
        for key in map.keys() {
            if !matches!(key, Yaml::String(k) if ALERT_KEYS.contains(&k.as_str())) {
                warnings.push(format!(
                    "config file {}, block \"{}\": unknown key {prefix}{}, ignored",
                    self.path.display(),
                    self.block,
                    super::yaml_key(key)
                ));
            }
        }
    }

    /// Parse alert keys; `prefix` names where they sit in messages (`ALERTS: ` inside a block).
    fn alert_settings(&self, map: &Hash, prefix: &str) -> Result<AlertSettings> {
        let mut get = |key: &str| map.get(&Yaml::String(key.to_owned())).cloned();
        let key = |k: &str| format!("{prefix}{k}");
        let at = |k: &str, message: &str| self.error(&key(k), message);
        if map.contains_key(&Yaml::String("SMTP_PASS".into())) {
            return Err(at(
                "SMTP_PASS",
                "an SMTP password is never written in the config; name its source with SMTP_PASS_ENV or SMTP_PASS_FILE",
            ));
        }
        let positive = |get: &mut dyn FnMut(&str) -> Option<Yaml>, k: &str, default: u64| match self
            .unsigned(&mut |x| get(x), k)
        {
            Ok(Some(0)) => Err(at(k, "must be at least 1")),
            Ok(value) => Ok(value.unwrap_or(default)),
            Err(_) => Err(at(k, "must be a whole number, 1 or more")),
        };
        let defaults = AlertRules::default();
        let rules = AlertRules {
            repeat_hours: positive(&mut get, "REPEAT_HOURS", defaults.repeat_hours)?,
            delete_failed_minutes: positive(
                &mut get,
                "DELETE_FAILED_MINUTES",
                defaults.delete_failed_minutes,
            )?,
            unreachable_minutes: positive(
                &mut get,
                "UNREACHABLE_MINUTES",
                defaults.unreachable_minutes,
            )?,
            backlog_rows: positive(&mut get, "BACKLOG_ROWS", defaults.backlog_rows)?,
            no_export_minutes: positive(&mut get, "NO_EXPORT_MINUTES", defaults.no_export_minutes)?,
        };
        if rules.backlog_rows >= SERVER_ROW_LIMIT {
            return Err(at(
                "BACKLOG_ROWS",
                "must be below 900000, where the server stops taking submissions; warn well before it",
            ));
        }
        let command = match get("COMMAND") {
            None | Some(Yaml::Null) => None,
            Some(Yaml::String(line)) if line.trim().is_empty() => None,
            Some(Yaml::String(line)) => Some(AlertCommand::Shell(line)),
            Some(Yaml::Array(items)) => {
                let argv: Option<Vec<String>> = items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect();
                match argv {
                    Some(argv) if !argv.is_empty() => Some(AlertCommand::Argv(argv)),
                    _ => {
                        return Err(at(
                            "COMMAND",
                            "must be a command line, or a list of a program and its arguments",
                        ));
                    }
                }
            }
            Some(_) => return Err(at("COMMAND", "must be a command line or a list")),
        };
        Ok(AlertSettings {
            email: self.email(&mut get, prefix)?,
            command,
            rules,
        })
    }

    fn email(
        &self,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
        prefix: &str,
    ) -> Result<Option<EmailSettings>> {
        let at = |k: &str, message: &str| self.error(&format!("{prefix}{k}"), message);
        let to = match get("EMAIL_TO") {
            None | Some(Yaml::Null) => Vec::new(),
            Some(Yaml::Array(items)) => items
                .iter()
                .map(|item| scalar_text(item).ok_or_else(|| at("EMAIL_TO", "must be addresses")))
                .collect::<Result<_>>()?,
            Some(item) => vec![
                scalar_text(&item)
                    .ok_or_else(|| at("EMAIL_TO", "must be an address or a list of addresses"))?,
            ],
        };
        if to.is_empty() {
            // Mail settings without recipients (shared ones, say, with EMAIL_TO per block): no e-mail.
            return Ok(None);
        }
        for address in &to {
            if !is_address(address) {
                return Err(at(
                    "EMAIL_TO",
                    &format!("\"{address}\" is not an e-mail address"),
                ));
            }
        }
        let host = self.string(get, "SMTP_HOST")?.ok_or_else(|| {
            at(
                "SMTP_HOST",
                "is missing; name the mail server that sends the alerts",
            )
        })?;
        let security = match self.string(get, "SMTP_SECURITY")?.as_deref() {
            None => SmtpSecurity::StartTls,
            Some(v) if v.eq_ignore_ascii_case("starttls") => SmtpSecurity::StartTls,
            Some(v) if v.eq_ignore_ascii_case("tls") => SmtpSecurity::Tls,
            Some(v) if v.eq_ignore_ascii_case("none") => SmtpSecurity::None,
            Some(_) => return Err(at("SMTP_SECURITY", "must be starttls, tls or none")),
        };
        if security == SmtpSecurity::None && !crate::url::is_loopback_host(&host) {
            return Err(at(
                "SMTP_SECURITY",
                "none sends alerts and the SMTP password in clear; use starttls or tls (none is for a relay on this machine only: localhost or 127.0.0.1)",
            ));
        }
        let port = match self.unsigned(get, "SMTP_PORT") {
            Ok(None) => security.default_port(),
            Ok(Some(p)) => u16::try_from(p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| at("SMTP_PORT", "must be a port number, 1 to 65535"))?,
            Err(_) => return Err(at("SMTP_PORT", "must be a port number, 1 to 65535")),
        };
        let user = self.string(get, "SMTP_USER")?;
        let password = match (
            self.string(get, "SMTP_PASS_ENV")?,
            self.string(get, "SMTP_PASS_FILE")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(at(
                    "SMTP_PASS_FILE",
                    "give SMTP_PASS_ENV or SMTP_PASS_FILE, not both",
                ));
            }
            (Some(var), None) => Some(SecretLocation::Env(var)),
            (None, Some(file)) => Some(SecretLocation::File(PathBuf::from(file))),
            (None, None) => user
                .as_ref()
                .map(|_| SecretLocation::Env(DEFAULT_SMTP_PASS_ENV.to_owned())),
        };
        if password.is_some() && user.is_none() {
            return Err(at(
                "SMTP_USER",
                "is missing; a password is given, so name the account it belongs to",
            ));
        }
        let from = match self.string(get, "EMAIL_FROM")? {
            Some(from) => from,
            None => user
                .clone()
                .filter(|u| is_address(u))
                .ok_or_else(|| at("EMAIL_FROM", "is missing; give the sender's address"))?,
        };
        if !is_address(&from) {
            return Err(at(
                "EMAIL_FROM",
                &format!("\"{from}\" is not an e-mail address"),
            ));
        }
        Ok(Some(EmailSettings {
            to,
            from,
            host,
            port,
            security,
            user,
            password,
            config_path: self.path.to_owned(),
            block: self.block.to_owned(),
        }))
    }

    fn logs(&self, get: &mut impl FnMut(&str) -> Option<Yaml>) -> Result<LogSettings> {
        let defaults = LogSettings::default();
        let max_bytes = match get("LOG_MAX_MB") {
            None | Some(Yaml::Null) => defaults.max_bytes,
            Some(value) => {
                let mb = match &value {
                    Yaml::Integer(i) => Some(*i as f64),
                    Yaml::Real(r) => r.parse::<f64>().ok(),
                    Yaml::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match mb {
                    Some(mb) if (0.1..=1_000_000.0).contains(&mb) => {
                        (mb * 1024.0 * 1024.0).round() as u64
                    }
                    _ => {
                        return Err(
                            self.error("LOG_MAX_MB", "must be a number of megabytes, 0.1 or more")
                        );
                    }
                }
            }
        };
        let keep = match self.unsigned(get, "LOG_KEEP") {
            Ok(None) => defaults.keep,
            Ok(Some(n)) if (1..=100).contains(&n) => n as u32,
            _ => return Err(self.error("LOG_KEEP", "must be a whole number from 1 to 100")),
        };
        let format = match self.string(get, "LOG_FORMAT")?.as_deref() {
            None => LogFormat::Text,
            Some(v) if v.eq_ignore_ascii_case("text") => LogFormat::Text,
            Some(v) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
            Some(_) => return Err(self.error("LOG_FORMAT", "must be text or json")),
        };
        Ok(LogSettings {
            max_bytes,
            keep,
            format,
        })
    }
}

fn scalar_text(item: &Yaml) -> Option<String> {
    item.as_str().map(|s| s.trim().to_owned())
}

/// A plain `local@domain` address: no spaces, commas or line ends (a header must stay one header).
fn is_address(text: &str) -> bool {
    let ok_chars = !text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>' | '"'));
    match text.split_once('@') {
        Some((local, domain)) => {
            ok_chars && !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    const SERVER: &str = "  SERVER: https://x.example.org/api/\n  PATH: /data/s\n";

    fn parse(text: &str) -> Result<Config> {
        Config::from_yaml_str(text, Path::new("server.config"), |_| None)
    }

    fn mail_block() -> String {
        "alerts:\n  EMAIL_TO: [ra@lab.example.org, pi@lab.example.org]\n  EMAIL_FROM: mtdata@lab.example.org\n  \
         SMTP_HOST: smtp.lab.example.org\n  SMTP_USER: mtdata@lab.example.org\n  SMTP_PASS_ENV: LAB_SMTP\n  \
         REPEAT_HOURS: 6\n"
            .to_owned()
    }

    #[test]
    fn top_level_alerts_apply_to_every_block_and_a_block_changes_them_key_by_key() {
        let text = format!(
            "{}one:\n{SERVER}two:\n{SERVER}  ALERTS:\n    EMAIL_TO: two@lab.example.org\n    COMMAND: [notify, --channel, lab]\nthree:\n{SERVER}  ALERTS: False\n",
            mail_block()
        );
        let config = parse(&text).unwrap();
        assert_eq!(config.servers.len(), 3, "alerts is not a server");
        let one = &config.servers[0].alerts;
        let email = one.email.as_ref().unwrap();
        assert_eq!(email.to, ["ra@lab.example.org", "pi@lab.example.org"]);
        assert_eq!((email.port, email.security), (587, SmtpSecurity::StartTls));
        assert_eq!(email.password, Some(SecretLocation::Env("LAB_SMTP".into())));
        assert_eq!(one.rules.repeat_hours, 6);
        assert_eq!(one.rules.unreachable_minutes, 30);
        let two = &config.servers[1].alerts;
        assert_eq!(two.email.as_ref().unwrap().to, ["two@lab.example.org"]);
        assert_eq!(two.email.as_ref().unwrap().host, "smtp.lab.example.org");
        assert_eq!(
            two.command,
            Some(AlertCommand::Argv(vec![
                "notify".into(),
                "--channel".into(),
                "lab".into()
            ]))
        );
        assert!(!config.servers[2].alerts.enabled());
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn files_without_alerts_and_old_server_blocks_named_alerts_keep_working() {
        let config = parse(&format!("s:\n{SERVER}")).unwrap();
        assert!(!config.servers[0].alerts.enabled());
        assert_eq!(config.servers[0].logs, LogSettings::default());
        let config = parse(&format!("alerts:\n{SERVER}  READY: True\n")).unwrap();
        assert_eq!(config.servers[0].name, "alerts");
        assert!(
            config.warnings[0].contains("read as a server block"),
            "{:?}",
            config.warnings
        );
        // Only alert settings and no server: the file has no server block.
        let err = parse(&mail_block()).unwrap_err().to_string();
        assert!(err.contains("has no server blocks"), "{err}");
    }

    #[test]
    fn mistakes_name_the_block_and_key() {
        let cases = [
            (
                "alerts:\n  EMAIL_TO: ra@x.org\n",
                "block \"alerts\", key SMTP_HOST",
                "is missing",
            ),
            (
                "alerts:\n  EMAIL_TO: ra@x.org\n  SMTP_HOST: smtp.x.org\n  EMAIL_FROM: a@x.org\n  SMTP_PASS: hunter2\n",
                "key SMTP_PASS",
                "never written in the config",
            ),
            (
                "alerts:\n  EMAIL_TO: ra@x.org\n  SMTP_HOST: smtp.x.org\n  EMAIL_FROM: a@x.org\n  SMTP_SECURITY: none\n",
                "key SMTP_SECURITY",
                "in clear",
            ),
            (
                "alerts:\n  EMAIL_TO: \"a@x.org\\r\\nBcc: b@y.org\"\n  SMTP_HOST: h\n  EMAIL_FROM: a@x.org\n",
                "key EMAIL_TO",
                "not an e-mail address",
            ),
            (
                "alerts:\n  BACKLOG_ROWS: 950000\n",
                "key BACKLOG_ROWS",
                "900000",
            ),
            (
                "alerts:\n  UNREACHABLE_MINUTES: 0\n",
                "key UNREACHABLE_MINUTES",
                "at least 1",
            ),
            (
                "alerts:\n  SMTP_PORT: 70000\n  EMAIL_TO: a@x.org\n  SMTP_HOST: h\n  EMAIL_FROM: a@x.org\n",
                "key SMTP_PORT",
                "port number",
            ),
        ];
        for (alerts, location, message) in cases {
            let err = parse(&format!("{alerts}s:\n{SERVER}"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(location) && err.contains(message),
                "{alerts:?}: {err}"
            );
            assert!(!err.contains("hunter2"), "{err}");
        }
        let err = parse(&format!("s:\n{SERVER}  ALERTS:\n    SMTP_PORT: x\n    EMAIL_TO: a@x.org\n    SMTP_HOST: h\n    EMAIL_FROM: a@x.org\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("block \"s\", key ALERTS: SMTP_PORT"), "{err}");
        let err = parse(&format!("s:\n{SERVER}  LOG_FORMAT: xml\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key LOG_FORMAT: must be text or json"),
            "{err}"
        );
    }

    #[test]
    fn a_local_relay_may_go_without_tls_and_unknown_keys_are_warnings() {
        let text = format!(
            "alerts:\n  EMAIL_TO: ra@x.org\n  SMTP_HOST: 127.0.0.1\n  SMTP_SECURITY: none\n  EMAIL_FROM: m@x.org\n  COLOUR: red\ns:\n{SERVER}  LOG_MAX_MB: 0.5\n  LOG_KEEP: 2\n  LOG_FORMAT: json\n"
        );
        let config = parse(&text).unwrap();
        let server = &config.servers[0];
        let email = server.alerts.email.as_ref().unwrap();
        assert_eq!((email.port, email.security), (25, SmtpSecurity::None));
        assert_eq!(
            server.logs,
            LogSettings {
                max_bytes: 512 * 1024,
                keep: 2,
                format: LogFormat::Json
            }
        );
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("block \"alerts\": unknown key COLOUR"));
    }

    #[test]
    fn the_smtp_password_comes_from_the_environment_or_an_owner_only_file() {
        let text = format!("{}s:\n{SERVER}", mail_block());
        let config = parse(&text).unwrap();
        let email = config.servers[0].alerts.email.clone().unwrap();
        let no_file = |_: &Path| -> std::io::Result<PasswordFile> { unreachable!() };
        let found = email
            .resolve_password(|v| (v == "LAB_SMTP").then(|| "pw".to_owned()), no_file)
            .unwrap();
        assert_eq!(found.unwrap().expose(), "pw");
        let err = email
            .resolve_password(|_| None, no_file)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(
                "key SMTP_PASS_ENV: names environment variable LAB_SMTP, which is not set"
            ),
            "{err}"
        );
        let file_config =
            parse(&text.replace("SMTP_PASS_ENV: LAB_SMTP", "SMTP_PASS_FILE: smtp.pass")).unwrap();
        let email = file_config.servers[0].alerts.email.clone().unwrap();
        let read = |mode: u32| {
            move |_: &Path| {
                Ok(PasswordFile {
                    text: Secret::new("from file\n"),
                    mode: Some(mode),
                })
            }
        };
        let found = email.resolve_password(|_| None, read(0o600)).unwrap();
        assert_eq!(found.unwrap().expose(), "from file");
        let err = email
            .resolve_password(|_| None, read(0o644))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("can be read by other users (mode 0644)"),
            "{err}"
        );
        // A user without a named source reads MTDATA_SMTP_PASS.
        let implicit = parse(&text.replace("  SMTP_PASS_ENV: LAB_SMTP\n", "")).unwrap();
        assert_eq!(
            implicit.servers[0].alerts.email.as_ref().unwrap().password,
            Some(SecretLocation::Env(DEFAULT_SMTP_PASS_ENV.into()))
        );
    }
}
