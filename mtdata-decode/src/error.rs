//! Errors that stop the decoding of a table or a study. Bad rows, files and fields do not: they are counted
//! in the [`crate::TableSummary`].

use std::path::PathBuf;

/// The error type of mtdata-decode.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot list raw backups in {path} (check PATH in the server block)")]
    ListRaw {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no raw backups of table {table} in {dir}{hint}")]
    NoBackups {
        table: String,
        dir: PathBuf,
        /// Tables that do have backups, for the message.
        hint: String,
    },
    #[error(transparent)]
    TableName(#[from] mtdata_core::table::InvalidTableName),
    #[error("table {table}: cannot write {path}")]
    Write {
        table: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The study folder cannot be used (an export holds it).
    #[error(transparent)]
    Study { source: mtdata_core::error::Error },
    #[error("table {table}")]
    Core {
        table: String,
        #[source]
        source: mtdata_core::error::Error,
    },
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
