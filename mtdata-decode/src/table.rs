//! Decoding one table: read its backups in time order into the row store ([`crate::store`]), then decrypt
//! and render the CSV ([`crate::render`], on all cores, written while it is rendered).

use std::num::NonZeroUsize;

use mtdata_core::raw_rows::MIN_PART_BYTES;
use mtdata_crypto::PrivateKey;

use crate::discover::{RawFile, sort_files};
use crate::render::{Plan, decrypt_distinct, render_header, render_in_order};
use crate::store::{Row, TableState};
use crate::summary::{FileProblem, TableSummary};
use mtdata_core::csv_cell::CsvCells;
use std::time::Duration;

/// Options of a decode, with defaults a notebook cell can start from.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// One table (MTData's SCALE argument), or every table with backups when `None`.
    pub table: Option<String>,
    /// Worker threads for decryption and rendering; all cores when `None`.
    pub threads: Option<NonZeroUsize>,
    /// Free-text cells a spreadsheet would run as formulas get a leading `'` (the default), or every
    /// cell is written as the data holds it ([`CsvCells::Raw`], for tools); `docs/decode.md`.
    pub csv_cells: CsvCells,
    /// How long [`crate::decode_study`] waits for a running export to release the study folder
    /// (default: not at all, an error at once).
    pub lock_wait: Duration,
}

impl DecodeOptions {
    pub(crate) fn thread_count(&self) -> usize {
        self.threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
    }
}

/// A decoded table, rendered as CSV in memory.
#[derive(Debug, Clone)]
pub struct DecodedTable {
    /// Output column names, in order.
    pub columns: Vec<String>,
    pub summary: TableSummary,
    /// The header line and the rows, in pieces rendered in parallel.
    chunks: Vec<Vec<u8>>,
}

impl DecodedTable {
    /// Write the CSV (header first).
    pub fn write_csv(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for chunk in &self.chunks {
            out.write_all(chunk)?;
        }
        Ok(())
    }

    /// The CSV as one byte vector.
    pub fn to_csv_bytes(&self) -> Vec<u8> {
        self.chunks.concat()
    }

    /// Size of the CSV in bytes.
    pub fn csv_len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }
}

/// Decode one table from its backups (any order: they are sorted by the stamp in their names).
///
/// Unreadable or damaged files are reported in the summary; the rows before the damage are kept.
/// `key` may be `None` when the table has no ciphertext (a plain id or an empty field needs no key).
pub fn decode_table(
    table: &str,
    files: &[RawFile],
    key: Option<&PrivateKey>,
    options: &DecodeOptions,
) -> DecodedTable {
    let mut chunks = Vec::new();
    let (columns, summary, _) = decode_table_into(table, files, key, options, &mut |chunk| {
        chunks.push(chunk);
        Ok(Vec::new())
    });
    DecodedTable {
        columns,
        summary,
        chunks,
    }
}

/// [`decode_table`], handing the CSV (header first) to `sink` in order while the rest is still rendered,
/// so that writing the file overlaps rendering. `sink` may give the buffer back for reuse (fresh memory
/// costs a page fault per 4 KiB). A `sink` error stops the rendering and is returned.
pub(crate) fn decode_table_into(
    table: &str,
    files: &[RawFile],
    key: Option<&PrivateKey>,
    options: &DecodeOptions,
    sink: &mut dyn FnMut(Vec<u8>) -> std::io::Result<Vec<u8>>,
) -> (Vec<String>, TableSummary, std::io::Result<()>) {
    let threads = options.thread_count();
    let mut summary = TableSummary {
        table: table.to_owned(),
        files: files.len(),
        ..TableSummary::default()
    };
    let state = read_backups(table, files, threads, &mut summary);

    // Kept rows in a stable order: numeric ids, then text ids, then rows without id (by content).
    // Ids are unique, so any sort gives this order. The rows are in order of first appearance, and exports
    // come in id order: the stable sort finds the sorted runs and merges them in about linear time.
    let mut kept: Vec<&Row> = state.rows().collect();
    kept.sort_by(|a, b| a.key.cmp(&b.key));

    let plan = Plan::new(&state.columns, options.csv_cells);
    summary.encrypted_columns = plan.encrypted.clone();
    let outcomes = decrypt_distinct(&state, &kept, key, threads, &mut summary);
    let written = sink(render_header(&plan.header, plan.cells))
        .and_then(|_| render_in_order(&state, &plan, &outcomes, &kept, threads, sink));

    summary.rows_read = state.rows_read;
    summary.rows = kept.len() as u64;
    summary.duplicates = state.duplicates;
    summary.conflicting_ids = state.conflicting.len() as u64;
    summary.conflicting_id_examples = state
        .conflicting
        .iter()
        .take(10)
        .map(ToString::to_string)
        .collect();
    summary.rows_without_id = state.rows_without_id;
    summary.columns = plan.header.len();
    (plan.header, summary, written)
}

/// Read the backups in time order into a row store, noting unreadable and damaged files in `summary`.
fn read_backups(
    table: &str,
    files: &[RawFile],
    threads: usize,
    summary: &mut TableSummary,
) -> TableState {
    let mut files = files.to_vec();
    sort_files(&mut files);
    let mut state = TableState::default();
    for raw in &files {
        let file_name = raw
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (text, utf8_problem) = match read_file(&raw.path, threads).map(into_utf8) {
            Ok(read) => read,
            Err(e) => {
                summary.bad_files.push(FileProblem {
                    file: file_name,
                    problem: format!("cannot read: {e}"),
                    rows_kept: 0,
                });
                state.add_unreadable_file();
                continue;
            }
        };
        summary.bytes += text.len() as u64;
        let before = state.rows_read;
        let damage = state.add_file(text, threads);
        if let Some(problem) = utf8_problem.or(damage.map(|d| d.to_string())) {
            summary.bad_files.push(FileProblem {
                file: file_name,
                problem,
                rows_kept: state.rows_read - before,
            });
        }
        tracing::debug!(table, file = %raw.path.display(), rows = state.rows_read - before, "parsed");
    }
    state
}

/// `std::fs::read`, with a large file read in parts on `threads` threads (copying from the page cache is a
/// tenth of the decode time).
fn read_file(path: &std::path::Path, threads: usize) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
        if threads > 1 && (2 * MIN_PART_BYTES..usize::MAX / 2).contains(&len) {
            let mut buf = vec![0u8; len];
            let part_len = len.div_ceil(threads);
            let read = std::thread::scope(|scope| {
                let handles: Vec<_> = buf
                    .chunks_mut(part_len)
                    .enumerate()
                    .map(|(k, part)| {
                        let file = &file;
                        scope.spawn(move || file.read_exact_at(part, (k * part_len) as u64))
                    })
                    .collect();
                handles
                    .into_iter()
                    .all(|h| h.join().is_ok_and(|r| r.is_ok()))
            });
            // The file changed size meanwhile (or a read failed): read it the ordinary way.
            if read && file.read_at(&mut [0u8], len as u64).is_ok_and(|n| n == 0) {
                return Ok(buf);
            }
        }
    }
    std::fs::read(path)
}

/// The file as text; invalid UTF-8 cuts it at the first bad byte (the rows before it are still read).
fn into_utf8(bytes: Vec<u8>) -> (String, Option<String>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            let text = String::from_utf8(bytes).unwrap_or_default();
            (text, Some(format!("not UTF-8 at byte {valid}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_damage_keeps_the_valid_part() {
        let (text, problem) = into_utf8(b"[{\"id\":1}]\xff".to_vec());
        assert_eq!(text, "[{\"id\":1}]");
        assert_eq!(problem.as_deref(), Some("not UTF-8 at byte 10"));
    }
}
