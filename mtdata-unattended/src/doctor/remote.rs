//! The checks that ask the server, read-only, through mtdata-export's client.

use std::time::Duration;

use mtdata_core::config::unattended::SERVER_ROW_LIMIT;
use mtdata_core::config::{AppletPasswords, ServerConfig};
use mtdata_export::RetryPolicy;
use mtdata_export::client::{HttpFailure, ServerClient};
use mtdata_export::mindlogger::check_access;

use super::Check;

/// The doctor asks once more after a failure, without the export's patience.
fn retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        first_delay: Duration::from_millis(200),
    }
}

/// The connection's protection, then what the server answers.
pub(super) fn server_checks(
    server: &ServerConfig,
    applet_passwords: Option<&Result<AppletPasswords, String>>,
) -> Vec<Check> {
    let mut checks = vec![connection(server)];
    match server.platform.mindlogger() {
        None => checks.extend(mindtrails(server)),
        Some(_) => checks.extend(mindlogger(server, applet_passwords)),
    }
    checks
}

fn connection(server: &ServerConfig) -> Check {
    const NAME: &str = "connection";
    let url = &server.server;
    if !url.is_plain_http() {
        Check::pass(NAME, format!("{url} over TLS"))
    } else if url.is_loopback() {
        Check::pass(
            NAME,
            format!("{url} on this machine (plain HTTP stays on loopback)"),
        )
    } else {
        Check::fail(
            NAME,
            format!("{url} sends the password and participant data in clear"),
            "use the server's https:// address in SERVER",
        )
    }
}

fn unanswered(server: &ServerConfig, failure: &HttpFailure) -> Check {
    Check::fail(
        "server answers",
        format!("{} did not answer: {failure}", server.server),
        "check SERVER, that the server is up, and that this machine reaches it (VPN, firewall)",
    )
}

fn mindtrails(server: &ServerConfig) -> Vec<Check> {
    let client = match ServerClient::new(server, retry()) {
        Ok(client) => client,
        Err(err) => {
            return vec![Check::fail(
                "server answers",
                mtdata_core::error::chain(&err),
                "report this as a bug",
            )];
        }
    };
    let listed = match client.list_tables() {
        Ok(listed) => listed,
        Err(HttpFailure::Auth(status)) => {
            return vec![
                Check::pass("server answers", format!("{} answers", server.server)),
                Check::fail(
                    "credentials",
                    format!(
                        "the server refused USER {} (HTTP {status})",
                        server.user.as_deref().unwrap_or("(none)")
                    ),
                    format!(
                        "check USER and the password (PASS_ENV, MTDATA_{}_PASS or PASS); the account must be an admin",
                        mtdata_core::config::env_name(&server.name)
                    ),
                ),
            ];
        }
        Err(HttpFailure::NotFound) => {
            return vec![
                Check::pass("server answers", format!("{} answers", server.server)),
                Check::fail(
                    "table list",
                    format!("{}export/ does not exist (HTTP 404)", server.server),
                    "SERVER must be the base URL ending in /api/",
                ),
            ];
        }
        Err(failure) => return vec![unanswered(server, &failure)],
    };
    let backlog: u64 = listed.iter().filter(|t| t.deleteable).map(|t| t.size).sum();
    let threshold = server.alerts.rules.backlog_rows;
    let list_detail = format!(
        "{} tables, {backlog} rows in deleteable tables (the server stops taking submissions at {SERVER_ROW_LIMIT})",
        listed.len()
    );
    let list = if backlog >= threshold {
        Check::warn(
            "table list",
            list_detail,
            "export with DELETE_MODE: True now, and from cron every five minutes",
        )
    } else {
        Check::pass("table list", list_detail)
    };
    let schedule = match client.get_bytes(
        "study",
        "the study schedule",
        mtdata_core::limits::MAX_SCHEDULE_BYTES,
        "MAX_SCHEDULE_BYTES",
    ) {
        Ok(bytes) if serde_json::from_slice::<serde_json::Value>(&bytes).is_ok() => {
            Check::pass("schedule", "the study schedule (/api/study) can be read")
        }
        Ok(_) => Check::warn(
            "schedule",
            "the study schedule is not JSON",
            "reports use the last good copy; tell the server's developers",
        ),
        Err(HttpFailure::NotFound) => Check::warn(
            "schedule",
            "the server has no study schedule (/api/study: servers before 2016-11)",
            "reports that need the schedule cannot run for this study",
        ),
        Err(failure) => Check::fail(
            "schedule",
            format!("the study schedule cannot be read: {failure}"),
            "check that the account may read /api/study",
        ),
    };
    vec![
        Check::pass("server answers", format!("{} answers", server.server)),
        Check::pass(
            "credentials",
            format!("USER {} is accepted", server.user.as_deref().unwrap_or("")),
        ),
        list,
        schedule,
    ]
}

fn mindlogger(
    server: &ServerConfig,
    passwords: Option<&Result<AppletPasswords, String>>,
) -> Vec<Check> {
    use mtdata_export::Error;
    let answers = Check::pass("server answers", format!("{} answers", server.server));
    let Some(Ok(passwords)) = passwords else {
        return vec![Check::warn(
            "applet password check",
            "skipped: the applet passwords could not be read",
            "fix the applet passwords check first",
        )];
    };
    match check_access(server, passwords, retry()) {
        Ok(applets) => {
            let failed: Vec<String> = applets
                .iter()
                .filter_map(|a| {
                    a.failure
                        .as_ref()
                        .map(|why| format!("applet {}: {why}", a.applet))
                })
                .collect();
            let checked: usize = applets.iter().map(|a| a.passwords_checked).sum();
            let applet_check = if failed.is_empty() {
                Check::pass(
                    "applets",
                    format!("{} applets can be exported", applets.len()),
                )
            } else {
                Check::fail(
                    "applets",
                    failed.join("; "),
                    "check APPLETS and the account's role in each applet",
                )
            };
            vec![
                answers,
                Check::pass("credentials", "the login is accepted"),
                applet_check,
                Check::pass(
                    "applet password check",
                    format!("{checked} applet passwords open their applets"),
                ),
            ]
        }
        Err(Error::Server { what, .. }) => vec![Check::fail(
            "server answers",
            what,
            "check SERVER, that the server is up, and that this machine reaches it",
        )],
        Err(err @ Error::Auth { .. }) => vec![
            answers,
            Check::fail(
                "credentials",
                err.to_string(),
                "check USER and the password (PASS_ENV or MTDATA_<BLOCK>_PASS)",
            ),
        ],
        Err(err @ Error::WrongAppletPassword { .. }) => vec![
            answers,
            Check::pass("credentials", "the login is accepted"),
            Check::fail(
                "applet password check",
                mtdata_core::error::chain(&err),
                "give the applet's current password in APPLET_PASSWORDS",
            ),
        ],
        Err(err) => vec![
            answers,
            Check::fail(
                "applets",
                mtdata_core::error::chain(&err),
                "check APPLETS and the account's role in each applet",
            ),
        ],
    }
}
