//! Errors of mtdata-report.

use std::path::PathBuf;

/// What went wrong, with the file (and line) where it happened and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed.
    #[error("cannot read CSV {path}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// The study schedule or another shared file is missing or malformed.
    #[error(transparent)]
    Core(#[from] mtdata_core::Error),
    /// A table the report needs is absent.
    #[error("table {table} not found at {path}; export and decode the study first")]
    MissingTable { table: String, path: PathBuf },
    /// A study folder holds no decoded table.
    #[error("no decoded table in {path}; export and decode the study first")]
    NothingDecoded { path: PathBuf },
    /// A required column is absent from a table.
    #[error("table {table} ({path}) has no column {column}")]
    MissingColumn {
        table: String,
        path: PathBuf,
        column: String,
    },
    /// A line of a table-name mapping or codebook file is wrong.
    #[error("{path}, line {line}: {message}")]
    BadLine {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The Girder documents hold no Activity Set to report on.
    #[error(
        "no activity set in the girder documents (a collection `Activity Sets` with one folder per set); export the study with GIRDER: true first"
    )]
    NoActivitySet,
    /// Writing JSON failed.
    #[error("cannot serialize report")]
    Json(#[from] serde_json::Error),
}

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

    pub(crate) fn csv(path: impl Into<PathBuf>, source: csv::Error) -> Self {
        Error::Csv {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
