//! Errors of mtdata-core.

use std::path::PathBuf;

/// What went wrong, with the file, block and key where it happened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file could not be read.
    #[error("cannot read config file {path}")]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid YAML.
    #[error("config file {path} is not valid YAML: {message}")]
    ConfigSyntax { path: PathBuf, message: String },
    /// A value in the configuration is missing or wrong.
    #[error("config file {path}, block \"{block}\", key {key}: {message}")]
    ConfigValue {
        path: PathBuf,
        block: String,
        key: String,
        message: String,
    },
    /// An applet password file named in the configuration cannot be read.
    #[error(transparent)]
    PasswordFile(Box<PasswordFileError>),
    /// The configuration has a problem that is not tied to one key.
    #[error("config file {path}: {message}")]
    Config { path: PathBuf, message: String },
    /// A table name from a server cannot be used in a file name.
    #[error(transparent)]
    TableName(#[from] crate::table::InvalidTableName),
    /// The study schedule (`study.json`) is missing or not a schedule.
    #[error("study schedule {path}: {message}")]
    Schedule { path: PathBuf, message: String },
    /// Another mtdata process holds the study folder's lock ([`crate::lock::StudyLock`]).
    #[error(
        "{holder} is using study folder {path}{}; this run left it alone: run it again when that one has finished (if none is running, look for a hung mtdata process)",
        waited_note(*.waited)
    )]
    Locked {
        path: PathBuf,
        /// Who holds it, as it wrote itself into the lock file (`mtdata export, pid 4242`).
        holder: String,
        /// Seconds this run waited for it.
        waited: u64,
    },
    /// A file operation failed.
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A password file of `APPLET_PASSWORDS` that cannot be read (boxed in [`Error`] to keep it small).
#[derive(Debug, thiserror::Error)]
#[error(
    "config file {path}, block \"{block}\", key APPLET_PASSWORDS: applet {applet}: cannot read password file {file}"
)]
pub struct PasswordFileError {
    pub path: PathBuf,
    pub block: String,
    pub applet: String,
    pub file: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// An error and its causes on one line, `what: cause: cause`, for messages that are kept as text
/// (a table's failure in a summary). Errors of mtdata keep their cause out of their own message, so
/// each cause appears once.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        // Errors of other crates sometimes repeat their cause; do not print it twice.
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

fn waited_note(seconds: u64) -> String {
    match seconds {
        0 => String::new(),
        s => format!(" (waited {s} s)"),
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
