//! After a run, per study: the alert decisions are mtdata-unattended's; the program reads the secrets
//! (the SMTP password from the environment or an owner-only file), names the machine, sends what is due
//! and logs what it sent. Any run also looks at the other READY studies for "no successful export".

use std::path::Path;

use chrono::Utc;
use mtdata_core::Secret;
use mtdata_core::config::{Config, EmailSettings, PasswordFile, ServerConfig};
use mtdata_unattended::facts::{Command, RunFacts, StopKind};
use mtdata_unattended::message::{Notification, Redactor};
use mtdata_unattended::send::{CommandHook, Mailer};
use mtdata_unattended::state::{LockedState, state_path};
use tracing::Level;

/// What stopped a run, for the alert decisions.
pub fn stopped(command: Command, err: &anyhow::Error) -> RunFacts {
    let kind = err
        .chain()
        .find_map(|e| e.downcast_ref::<mtdata_export::Error>())
        .map_or(StopKind::Other, StopKind::of_export_error);
    RunFacts::stopped(command, kind, format!("{err:#}"))
}

/// Record a run of `server` and send the alerts that are due.
pub fn after_run(server: &ServerConfig, facts: &RunFacts) {
    update(server, Some(facts));
}

/// Check "no successful export" for the READY servers with alerts that this run did not work on.
pub fn check_others(config: &Config, done: &[&str]) {
    for server in config
        .servers
        .iter()
        .filter(|s| s.ready && !done.contains(&s.name.as_str()))
    {
        // Only studies that have exported before: never create a folder here.
        if server.alerts.enabled() && state_path(&server.layout()).exists() {
            update(server, None);
        }
    }
}

fn update(server: &ServerConfig, facts: Option<&RunFacts>) {
    let layout = server.layout();
    let mut locked = match open_state(server) {
        Some(locked) => locked,
        None => return,
    };
    let now = Utc::now();
    let rules = &server.alerts.rules;
    if let Some(facts) = facts {
        locked.state.observe(facts, rules, now);
    }
    locked.state.check_no_export(rules, now);
    let due = locked.state.due(rules, now);
    if !due.is_empty() && server.alerts.enabled() {
        let notification = Notification::new(
            server.study_name(),
            &server.name,
            &host_name(),
            &layout.root().display().to_string(),
            now,
            &due,
            &Redactor::new(secrets(server)),
        );
        if send(server, &notification) {
            locked.state.mark_sent(&due, now);
        }
    }
    if let Err(err) = locked.save() {
        tracing::warn!(
            "server {}: cannot save the alert state: {}",
            server.name,
            mtdata_core::error::chain(&err)
        );
    }
}

/// The study's alert state under its lock; a damaged one is set aside and started afresh.
fn open_state(server: &ServerConfig) -> Option<LockedState> {
    let layout = server.layout();
    match LockedState::open(&layout) {
        Ok(locked) => Some(locked),
        Err(err @ mtdata_unattended::Error::State { .. }) => {
            let path = state_path(&layout);
            let aside = path.with_extension(format!(
                "json.damaged-{}",
                Utc::now().format("%Y%m%dT%H%M%S")
            ));
            tracing::warn!(
                "server {}: {}; moved to {} and started afresh",
                server.name,
                mtdata_core::error::chain(&err),
                aside.display()
            );
            std::fs::rename(&path, &aside).ok()?;
            LockedState::open(&layout).ok()
        }
        Err(err) => {
            tracing::warn!(
                "server {}: cannot keep the alert state: {}",
                server.name,
                mtdata_core::error::chain(&err)
            );
            None
        }
    }
}

/// Send through every channel of the server; true when one took it.
fn send(server: &ServerConfig, notification: &Notification) -> bool {
    let mut sent = false;
    let subject = notification.subject();
    if let Some(email) = &server.alerts.email {
        let result = smtp_password(email)
            .and_then(|password| Ok(Mailer::new(email, password).send(notification)?));
        match result {
            Ok(()) => {
                sent = true;
                crate::logging::record(
                    Level::INFO,
                    &format!("alert e-mailed to {}: {subject}", email.to.join(", ")),
                );
            }
            Err(err) => tracing::error!("server {}: alert not sent: {err:#}", server.name),
        }
    }
    if let Some(command) = &server.alerts.command {
        match CommandHook::new(command).send(notification) {
            Ok(()) => {
                sent = true;
                crate::logging::record(
                    Level::INFO,
                    &format!("alert given to `{}`: {subject}", command.describe()),
                );
            }
            Err(err) => tracing::error!(
                "server {}: alert not sent: {}",
                server.name,
                mtdata_core::error::chain(&err)
            ),
        }
    }
    sent
}

/// The SMTP password, read from the environment or its owner-only file.
pub fn smtp_password(email: &EmailSettings) -> anyhow::Result<Option<Secret>> {
    Ok(email.resolve_password(|name| std::env::var(name).ok(), read_secret_file)?)
}

/// Every secret this run may know of the server, for the redactor.
fn secrets(server: &ServerConfig) -> Vec<String> {
    let mut secrets: Vec<String> = server.pass.iter().map(|p| p.expose().to_owned()).collect();
    if let Some(email) = &server.alerts.email
        && let Ok(Some(password)) = smtp_password(email)
    {
        secrets.push(password.expose().to_owned());
    }
    if let Some(mindlogger) = server.platform.mindlogger()
        && let Ok(passwords) =
            mindlogger.resolve_passwords(|name| std::env::var(name).ok(), read_secret_file)
    {
        for applet in passwords.applets() {
            let each = passwords.for_applet(applet).iter();
            secrets.extend(each.map(|p| p.password.expose().to_owned()));
        }
    }
    secrets
}

/// A secret file and its permission bits (the library refuses one others can read).
pub fn read_secret_file(path: &Path) -> std::io::Result<PasswordFile> {
    let metadata = std::fs::metadata(path)?;
    #[cfg(unix)]
    let mode = Some(std::os::unix::fs::PermissionsExt::mode(
        &metadata.permissions(),
    ));
    #[cfg(not(unix))]
    let mode = {
        let _ = metadata;
        None
    };
    Ok(PasswordFile {
        text: Secret::new(std::fs::read_to_string(path)?),
        mode,
    })
}

/// This machine's name, for alerts ("which machine runs the cron job?").
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            let name = std::fs::read_to_string(path).ok()?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| "this machine".to_owned())
}
