//! Errors of mtdata-export.

use std::path::PathBuf;

/// What stopped an export of a whole server (per-table problems are in the table summaries).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration or the study folder is unusable.
    #[error(transparent)]
    Core(#[from] mtdata_core::Error),
    /// Another mtdata process holds the study folder.
    #[error(
        "another mtdata run is using {path}; this run left it alone (if none is running, look for a hung mtdata process)"
    )]
    Locked { path: PathBuf },
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
