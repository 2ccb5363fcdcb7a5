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
    #[error("applet {applet}: password {position} does not give the applet's key")]
    AppletPassword {
        applet: String,
        /// 1-based, in the order the passwords were given.
        position: usize,
        #[source]
        source: Box<mtdata_crypto::Error>,
    },
    #[error(
        "applet {applet}: a password was given but no applet document in its raw folder holds the applet's \
         encryption to check it against; export the applet again, or give the password with the account id \
         it was set under"
    )]
    NoAppletEncryption { applet: String },
    #[error("applet {applet}: the applet document's encryption cannot be read")]
    AppletEncryption {
        applet: String,
        #[source]
        source: Box<mindlogger_model::Error>,
    },
    #[error("applet {applet}: cannot write {path}")]
    WriteApplet {
        applet: String,
        path: PathBuf,
        #[source]
        source: Box<mtdata_core::error::Error>,
    },
    #[error(
        "no complete Girder walk in {dir}; set GIRDER: true in the mindlogger-v1 server block and run mtdata export"
    )]
    NoGirderRun { dir: PathBuf },
    #[error("Girder file {path}: {message}")]
    GirderFile { path: PathBuf, message: String },
    /// The study folder cannot be used (an export holds it).
    #[error(transparent)]
    Study { source: mtdata_core::error::Error },
    #[error("share: cannot read {path}")]
    ShareRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("share: cannot write {path}")]
    ShareWrite {
        path: PathBuf,
        #[source]
        source: Box<mtdata_core::error::Error>,
    },
    #[error(
        "share: the folder {path} is not empty; give a new or empty folder, so that nothing else is handed over with the share"
    )]
    ShareNotEmpty { path: PathBuf },
    #[error("share: activity set id {0} cannot name a folder (letters, digits, - and _ only)")]
    ShareSetId(String),
    #[error("table {table}")]
    Core {
        table: String,
        #[source]
        source: Box<mtdata_core::error::Error>,
    },
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
