//! Errors of mtdata-unattended.

use std::path::PathBuf;

/// What failed while keeping the alert state or sending an alert.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the study folder could not be read or written.
    #[error(transparent)]
    Core(#[from] mtdata_core::Error),
    /// The alert state is not what mtdata writes; it is set aside and started afresh.
    #[error("alert state {path} is damaged ({message}); move it away to start afresh")]
    State { path: PathBuf, message: String },
    /// An address of the alert settings is not one the mail library accepts.
    #[error("alert e-mail address \"{address}\" is not valid; fix EMAIL_TO or EMAIL_FROM")]
    Address {
        address: String,
        #[source]
        source: lettre::address::AddressError,
    },
    /// The mail could not be built.
    #[error("cannot build the alert e-mail")]
    Mail(#[source] lettre::error::Error),
    /// The mail server refused the alert, or could not be reached.
    #[error(
        "cannot send the alert through {host}:{port} ({security}); check SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USER and the password"
    )]
    Smtp {
        host: String,
        port: u16,
        security: &'static str,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// The alert command could not be started, failed or took too long.
    #[error("alert command `{command}` {what}")]
    Command { command: String, what: String },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
