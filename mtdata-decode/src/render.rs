//! The CSV of a table: which columns it has (values, decrypted `*RSA` columns with their status, ISO 8601
//! dates), the decryption of each distinct ciphertext once, and the rows rendered on all cores.

use std::borrow::Cow;
use std::collections::HashMap;

use mtdata_core::csv_cell::CsvCells;
use mtdata_core::decoded::{CellStatus, iso_column, status_column};
use mtdata_core::raw_rows::unescape;
use mtdata_crypto::{FieldOutcome, FieldStatus, PrivateKey};

use crate::dates::{parse_epoch_millis, parse_mtdata_date};
use crate::part::Columns;
use crate::store::{Row, TableState, raw_text};
use crate::summary::{FieldCounts, TableSummary};

/// What one output column shows.
#[derive(Debug, Clone, Copy)]
enum OutColumn {
    Value(u32),
    Decrypted(u32),
    Status(u32),
    Iso(u32),
}

/// The output columns of a table, in order.
#[derive(Debug)]
pub(crate) struct Plan {
    columns: Vec<OutColumn>,
    /// The CSV header.
    pub(crate) header: Vec<String>,
    /// The `*RSA` columns.
    pub(crate) encrypted: Vec<String>,
    /// How free-text cells are written.
    pub(crate) cells: CsvCells,
}

impl Plan {
    /// Every column as sent, each `*RSA` column followed by its status column, each date column by its ISO
    /// column (the decoded-table contract of [`mtdata_core::decoded`]).
    pub(crate) fn new(columns: &Columns, cells: CsvCells) -> Self {
        let mut plan = Vec::new();
        let mut encrypted = Vec::new();
        for col in 0..columns.names.len() as u32 {
            if columns.is_encrypted(col) {
                plan.push(OutColumn::Decrypted(col));
                plan.push(OutColumn::Status(col));
                encrypted.push(columns.names[col as usize].clone());
            } else {
                plan.push(OutColumn::Value(col));
            }
            if columns.has_iso(col) {
                plan.push(OutColumn::Iso(col));
            }
        }
        let header = plan
            .iter()
            .map(|c| match *c {
                OutColumn::Value(col) | OutColumn::Decrypted(col) => {
                    columns.names[col as usize].clone()
                }
                OutColumn::Status(col) => status_column(&columns.names[col as usize]),
                OutColumn::Iso(col) => iso_column(&columns.names[col as usize]),
            })
            .collect();
        Plan {
            columns: plan,
            header,
            encrypted,
            cells,
        }
    }
}

/// Render the rows in blocks on `threads` threads, handing the blocks to `sink` in order on this thread.
pub(crate) fn render_in_order(
    state: &TableState,
    plan: &Plan,
    outcomes: &Outcomes,
    kept: &[&Row],
    threads: usize,
    sink: &mut dyn FnMut(Vec<u8>) -> std::io::Result<Vec<u8>>,
) -> std::io::Result<()> {
    // Blocks small enough that writing starts early, large enough to keep the hand-over cheap.
    let block_rows = kept.len().div_ceil(threads * 16).max(4096);
    let blocks: Vec<&[&Row]> = kept.chunks(block_rows).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let spare: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::default();
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, Vec<u8>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(blocks.len()) {
            let sender = sender.clone();
            let (blocks, next, spare) = (&blocks, &next, &spare);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(rows) = blocks.get(i) else { break };
                    let out = spare
                        .lock()
                        .map(|mut spare| spare.pop())
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    if sender
                        .send((i, render_rows(state, plan, outcomes, rows, out)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut pending = std::collections::BTreeMap::new();
        let mut wanted = 0;
        for (i, bytes) in receiver.iter() {
            pending.insert(i, bytes);
            while let Some(bytes) = pending.remove(&wanted) {
                let back = sink(bytes)?;
                if back.capacity() > 0
                    && let Ok(mut spare) = spare.lock()
                {
                    spare.push(back);
                }
                wanted += 1;
            }
        }
        Ok(())
    })
}

/// `Some(outcome)`, or `None` for ciphertext that could not be tried for lack of a key.
pub(crate) type Outcomes = HashMap<String, Option<FieldOutcome>>;

/// Classify every `*RSA` field of the kept rows, decrypting each distinct ciphertext once, on all threads.
pub(crate) fn decrypt_distinct(
    state: &TableState,
    kept: &[&Row],
    key: Option<&PrivateKey>,
    threads: usize,
    summary: &mut TableSummary,
) -> Outcomes {
    let mut occurrences: HashMap<Cow<'_, str>, u64> = HashMap::new();
    let mut counts = FieldCounts::default();
    let encrypted: Vec<u32> = (0..state.columns.names.len() as u32)
        .filter(|&c| state.columns.is_encrypted(c))
        .collect();
    if encrypted.is_empty() {
        return Outcomes::new();
    }
    for row in kept {
        let buf = state.text(row);
        let fields = state.fields(row);
        for &col in &encrypted {
            let field = fields.iter().rev().find(|f| f.col == col);
            let text = field.map(|f| raw_text(buf, f));
            match text {
                None | Some("null") => counts.empty += 1,
                Some(t) if t.starts_with('"') => *occurrences.entry(cache_key(t)).or_default() += 1,
                // A number is a plain id; anything else (list, object, bool) is not a ciphertext.
                Some(t) if t.as_bytes()[0].is_ascii_digit() => counts.plain += 1,
                Some(_) => {
                    counts.failed += 1;
                    counts.failed_not_base64 += 1;
                }
            }
        }
    }
    let distinct: Vec<(&str, u64)> = occurrences.iter().map(|(t, n)| (t.as_ref(), *n)).collect();
    let results: Vec<Option<FieldOutcome>> = match key {
        None => distinct
            .iter()
            .map(|(t, _)| classify_without_key(t))
            .collect(),
        Some(key) => {
            let per_thread = distinct.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                let handles: Vec<_> = distinct
                    .chunks(per_thread)
                    .map(|chunk| {
                        scope.spawn(move || {
                            let key = key.fork();
                            chunk
                                .iter()
                                .map(|(t, _)| Some(key.decrypt_field(t)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("decrypt thread panicked"))
                    .collect()
            })
        }
    };
    let mut outcomes = Outcomes::with_capacity(distinct.len());
    for ((text, n), outcome) in distinct.iter().zip(results) {
        match &outcome {
            Some(FieldOutcome::Decrypted(_)) => {
                counts.decrypted += n;
                summary.distinct_ciphertexts += 1;
            }
            Some(FieldOutcome::NotEncrypted(_)) => counts.plain += n,
            Some(FieldOutcome::Empty) => counts.empty += n,
            Some(FieldOutcome::NotBase64) => {
                counts.failed += n;
                counts.failed_not_base64 += n;
            }
            Some(FieldOutcome::WrongKeyOrCorrupt) => {
                counts.failed += n;
                counts.failed_wrong_key_or_corrupt += n;
                summary.distinct_ciphertexts += 1;
            }
            None => {
                counts.failed += n;
                counts.failed_no_key += n;
            }
        }
        outcomes.insert((*text).to_owned(), outcome);
    }
    summary.fields = counts;
    outcomes
}

/// Without a key only plain ids and empty fields can be told; ciphertext stays as it is.
fn classify_without_key(text: &str) -> Option<FieldOutcome> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Some(FieldOutcome::Empty)
    } else if trimmed.bytes().all(|b| b.is_ascii_digit()) && trimmed.len() < 40 {
        Some(FieldOutcome::NotEncrypted(trimmed.to_owned()))
    } else if mtdata_crypto::decode_base64(trimmed).is_none() {
        Some(FieldOutcome::NotBase64)
    } else {
        None
    }
}

pub(crate) fn render_header(header: &[String], cells: CsvCells) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing into a Vec cannot fail. Column names come from the server too.
    let _ = writer.write_record(header.iter().map(|name| cells.cell(name).into_owned()));
    writer.into_inner().unwrap_or_default()
}

/// The CSV lines of `rows`, into `out` (cleared first, its memory reused).
fn render_rows(
    state: &TableState,
    plan: &Plan,
    outcomes: &Outcomes,
    rows: &[&Row],
    mut out: Vec<u8>,
) -> Vec<u8> {
    out.clear();
    out.reserve(rows.len() * 128);
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(out);
    let mut cells: Vec<Option<&str>> = vec![None; state.columns.names.len()];
    let mut scratch = String::new();
    for row in rows {
        let buf = state.text(row);
        cells.iter_mut().for_each(|c| *c = None);
        for field in state.fields(row) {
            cells[field.col as usize] = Some(raw_text(buf, field));
        }
        for out in &plan.columns {
            let written = match *out {
                OutColumn::Value(col) => {
                    write_value(&mut writer, cells[col as usize], plan.cells, &mut scratch)
                }
                OutColumn::Decrypted(col) => {
                    let cell = cells[col as usize];
                    match lookup(outcomes, cell) {
                        Some(Some(outcome)) if outcome.value().is_some() => {
                            writer.write_field(outcome.value().unwrap_or_default())
                        }
                        // Failures keep what was sent.
                        _ => write_value(&mut writer, cell, plan.cells, &mut scratch),
                    }
                }
                OutColumn::Status(col) => {
                    let cell = cells[col as usize];
                    let status = match cell {
                        None | Some("null") => CellStatus::Empty,
                        Some(t) if t.starts_with('"') => match lookup(outcomes, cell) {
                            Some(Some(outcome)) => cell_status(outcome.status()),
                            _ => CellStatus::Failed,
                        },
                        Some(t) if t.as_bytes()[0].is_ascii_digit() => CellStatus::Plain,
                        Some(_) => CellStatus::Failed,
                    };
                    writer.write_field(status.as_str())
                }
                OutColumn::Iso(col) => {
                    let iso = cells[col as usize].and_then(|t| match t.as_bytes()[0] {
                        b'"' => parse_mtdata_date(&unescape(t)),
                        b'0'..=b'9' if state.columns.date_like[col as usize] => {
                            parse_epoch_millis(t)
                        }
                        _ => None,
                    });
                    writer.write_field(iso.unwrap_or_default())
                }
            };
            // Writing into a Vec cannot fail.
            let _ = written;
        }
        let _ = writer.write_record(None::<&[u8]>);
    }
    writer.into_inner().unwrap_or_default()
}

/// The decoded-table status of a crypto outcome.
fn cell_status(status: FieldStatus) -> CellStatus {
    match status {
        FieldStatus::Decrypted => CellStatus::Decrypted,
        FieldStatus::Plain => CellStatus::Plain,
        FieldStatus::Empty => CellStatus::Empty,
        FieldStatus::Failed => CellStatus::Failed,
    }
}

fn lookup<'o>(outcomes: &'o Outcomes, cell: Option<&str>) -> Option<&'o Option<FieldOutcome>> {
    let text = cell?;
    if !text.starts_with('"') {
        return None;
    }
    outcomes.get(cache_key(text).as_ref())
}

/// The text of a string field without whitespace: a ciphertext wrapped over lines is the same ciphertext.
fn cache_key(raw: &str) -> Cow<'_, str> {
    let text = unescape(raw);
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        text
    }
}

/// A JSON value as a CSV cell: strings unquoted (spreadsheet-safe as `cells` says), null empty, numbers
/// and booleans as sent, lists and objects as compact JSON text.
fn write_value(
    writer: &mut csv::Writer<Vec<u8>>,
    cell: Option<&str>,
    cells: CsvCells,
    scratch: &mut String,
) -> csv::Result<()> {
    let Some(text) = cell else {
        return writer.write_field("");
    };
    match text.as_bytes()[0] {
        b'n' => writer.write_field(""),
        b'"' => writer.write_field(cells.cell_bytes(unescape(text).as_bytes())),
        b'[' | b'{' if text.bytes().any(|b| b.is_ascii_whitespace()) => {
            scratch.clear();
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => scratch.push_str(&value.to_string()),
                Err(_) => scratch.push_str(text),
            }
            writer.write_field(scratch.as_bytes())
        }
        _ => writer.write_field(text),
    }
}
