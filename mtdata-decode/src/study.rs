//! Decoding the tables of one study folder and writing `active_data/<Table>.csv` atomically.

use std::io::Write as _;
use std::path::PathBuf;

use mtdata_core::fsutil::{AtomicFile, ensure_dir, write_atomic};
use mtdata_core::layout::StudyLayout;
use mtdata_core::lock::StudyLock;
use mtdata_core::table::TableName;
use mtdata_crypto::PrivateKey;

use crate::discover::list_raw_files;
use crate::error::{Error, Result};
use crate::summary::TableSummary;
use crate::table::{DecodeOptions, decode_table_into};

/// The result of one table of a study.
#[derive(Debug)]
pub struct TableOutcome {
    pub table: String,
    /// Where the CSV is (or would have been) written.
    pub csv: PathBuf,
    pub result: Result<TableSummary>,
}

/// `active_data/<Table>.summary.json`, written next to the CSV.
pub fn summary_path(layout: &StudyLayout, table: &str) -> PathBuf {
    layout.active_data().join(format!("{table}.summary.json"))
}

/// Decode the tables of a study (all with backups, or `options.table`) and replace their CSV and summary files.
///
/// Decode holds the study's lock (`active_data/.mtdata.lock`, the one export holds) while it runs: it
/// waits up to `options.lock_wait` for a running export to finish, so it reads only complete exports and
/// an export started meanwhile waits its turn instead of clearing decode's temporary files.
///
/// One table failing to write does not stop the others; its error is in its [`TableOutcome`].
/// Errors returned here stop the whole study: `raw_data/` cannot be listed, the named table has no
/// backups, or an export held the study folder for longer than `options.lock_wait`.
pub fn decode_study(
    layout: &StudyLayout,
    key: Option<&PrivateKey>,
    options: &DecodeOptions,
) -> Result<Vec<TableOutcome>> {
    let raw_dir = layout.raw_data();
    // A study folder without backups is an error before any folder is made for the lock.
    list_raw_files(&raw_dir)?;
    let _lock = StudyLock::acquire(layout, "mtdata decode", options.lock_wait)
        .map_err(|source| Error::Study { source })?;
    let mut tables = list_raw_files(&raw_dir)?;
    if let Some(table) = &options.table {
        TableName::new(table)?;
        let Some(files) = tables.remove(table) else {
            let known: Vec<&str> = tables.keys().map(String::as_str).collect();
            let hint = if known.is_empty() {
                String::new()
            } else {
                format!(" (tables with backups: {})", known.join(", "))
            };
            return Err(Error::NoBackups {
                table: table.clone(),
                dir: raw_dir,
                hint,
            });
        };
        tables = [(table.clone(), files)].into_iter().collect();
    }
    let mut outcomes = Vec::with_capacity(tables.len());
    for (table, files) in &tables {
        let csv = layout.decoded_csv(table);
        let result = decode_and_write(layout, table, files, key, options, &csv);
        outcomes.push(TableOutcome {
            table: table.clone(),
            csv,
            result,
        });
    }
    Ok(outcomes)
}

fn decode_and_write(
    layout: &StudyLayout,
    table: &str,
    files: &[crate::RawFile],
    key: Option<&PrivateKey>,
    options: &DecodeOptions,
    csv: &std::path::Path,
) -> Result<TableSummary> {
    let core_error = |source| Error::Core {
        table: table.to_owned(),
        source: Box::new(source),
    };
    ensure_dir(&layout.active_data()).map_err(core_error)?;
    let mut file = AtomicFile::create(csv)
        .map_err(core_error)?
        .release_while_writing();
    // The CSV is written while it is rendered.
    let (_, summary, written) = decode_table_into(table, files, key, options, &mut |chunk| {
        file.write_all(&chunk).map(|()| chunk)
    });
    written.map_err(|source| Error::Write {
        table: table.to_owned(),
        path: csv.to_owned(),
        source,
    })?;
    file.commit().map_err(core_error)?;
    let mut json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
    json.push(b'\n');
    write_atomic(summary_path(layout, table), &json).map_err(core_error)?;
    tracing::info!(table, rows = summary.rows, csv = %csv.display(), "decoded");
    Ok(summary)
}
