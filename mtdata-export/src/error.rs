//! Errors of mtdata-export.

use std::path::PathBuf;

/// What stopped an export of a whole server (per-table problems are in the table summaries).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration or the study folder is unusable.
    #[error(transparent)]
    Core(#[from] mtdata_core::Error),
    /// The server could not be reached or answered badly even after retries.
    // The caller knows which server it exported; the CLI names it once.
    #[error("{what}")]
    Server { server: String, what: String },
    /// The server refused the credentials.
    #[error(
        "the server refused the credentials (HTTP {status}); check USER and PASS (or MTDATA_{env}_USER/_PASS)"
    )]
    Auth {
        server: String,
        status: u16,
        env: String,
    },
    /// A MindLogger block was given to the MindTrails export, or the other way round.
    #[error("server {server} is a {platform} block; this export does not apply to it")]
    WrongPlatform {
        server: String,
        platform: &'static str,
    },
    /// The MindLogger account may export no applet. (Like the other MindLogger errors, the message leaves
    /// the server to the caller, who names it once.)
    #[error(
        "the account {user} may export no applet (it is not owner, manager or reviewer of any); use a manager's account in USER"
    )]
    NoExportableApplets { server: String, user: String },
    /// The MindLogger account may not read an applet it was asked to export.
    #[error(
        "the account may not export applet {applet} (HTTP {status}); ask its owner for the manager or reviewer role, or remove it from APPLETS"
    )]
    AppletForbidden {
        server: String,
        applet: String,
        status: u16,
    },
    /// An applet password does not open its applet; nothing was downloaded.
    #[error(
        "applet {applet} ({name}): the password from {source_location} does not open the applet; no answer was downloaded"
    )]
    WrongAppletPassword {
        server: String,
        applet: String,
        name: String,
        source_location: String,
        #[source]
        source: mtdata_crypto::AppletKeyError,
    },
    /// A written backup did not read back as written.
    #[error("backup {path} did not read back as written; check the disk")]
    BackupMismatch { path: PathBuf },
    /// The HTTP client could not be built.
    #[error("cannot set up HTTP client")]
    Client(#[source] reqwest::Error),
    /// benchMark.json is unreadable; it is never silently reset.
    #[error(
        "{path} is not a valid benchMark.json ({message}); fix or move it away (mtdata then downloads everything again)"
    )]
    BenchMark { path: PathBuf, message: String },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
