//! Errors of mtdata-scales: each says what failed and where.

use std::path::PathBuf;

/// Everything that can go wrong while reading codebooks, cleaning, scoring or reshaping.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A codebook file or built-in definition is inconsistent.
    #[error("codebook {source_name}: {message}")]
    Codebook {
        source_name: String,
        message: String,
    },

    /// The codebook has no definition for a scale (table).
    #[error("study {study} has no codebook entry for scale {scale} (known: {known})")]
    UnknownScale {
        study: String,
        scale: String,
        known: String,
    },

    /// A scoring variant name that the scale does not define.
    #[error("scale {scale} has no scoring variant {variant} (known: {known})")]
    UnknownVariant {
        scale: String,
        variant: String,
        known: String,
    },

    /// A column the operation needs is missing from the table.
    #[error("table {table}: no column {column}; {hint}")]
    MissingColumn {
        table: String,
        column: String,
        hint: String,
    },

    /// Two or more rows share a wide-form key and no duplicate policy was chosen.
    #[error(
        "table {table}: {groups} (participant, session, tag) keys have more than one row; run `mtdata clean` first or choose a duplicate policy (first, last, mean-of-unique, mtdata)"
    )]
    DuplicateKeys { table: String, groups: usize },

    /// A table's `recoded` column does not name the codebook's recode, so it is unknown whether
    /// its answers are stored codes or meanings.
    #[error(
        "table {table}: column recoded holds {found}, but the codebook's recode is `{expected}`; score the decoded table, or a table cleaned with this codebook"
    )]
    RecodeMismatch {
        table: String,
        found: String,
        expected: String,
    },

    /// A wide table would have more cells than long-to-wide can index.
    #[error(
        "table {table}: a wide table of {rows} participants × {slots} sessions is too large; split the table by session first"
    )]
    TooWide {
        table: String,
        rows: usize,
        slots: usize,
    },

    /// Reading or writing a file failed.
    #[error("cannot {action} {path}: {message}")]
    File {
        action: &'static str,
        path: PathBuf,
        message: String,
    },

    /// No codebook was named and none could be guessed.
    #[error(
        "cannot tell which study's codebook to use for {place}; name the study (r34, templeton, calm-thinking) or give a codebook file"
    )]
    NoStudy { place: String },

    /// A study folder holds no decoded table of any scale of its codebook.
    #[error(
        "no decoded table of a scale of codebook {codebook} in {folder}; decode the study first"
    )]
    NoTables { folder: PathBuf, codebook: String },

    /// Creating an output folder or writing an output file failed (the error names it).
    #[error(transparent)]
    Write(#[from] mtdata_core::Error),

    /// polars reported an error (a malformed CSV or Parquet file, a type mismatch).
    #[error("table {table}")]
    Polars {
        table: String,
        #[source]
        source: polars::error::PolarsError,
    },
}

impl Error {
    pub(crate) fn polars(table: &str, source: polars::error::PolarsError) -> Self {
        Error::Polars {
            table: table.to_owned(),
            source,
        }
    }

    pub(crate) fn codebook(source_name: &str, message: impl Into<String>) -> Self {
        Error::Codebook {
            source_name: source_name.to_owned(),
            message: message.into(),
        }
    }
}

/// Result of mtdata-scales operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
