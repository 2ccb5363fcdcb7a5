//! Decoding one table: stream-parse every backup, keep the latest copy of each row, decrypt, render CSV.
//!
//! Rows are never copied out of the file buffers: a row is a list of (column, byte range) pairs. A file's
//! buffer is freed as soon as later files have replaced all its rows, so thousands of full re-downloads of a
//! table (MTData's cron did that) cost the memory of about one copy.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::num::NonZeroUsize;

use mtdata_crypto::{FieldOutcome, PrivateKey};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::dates::{is_date_like_name, parse_epoch_millis, parse_mtdata_date};
use crate::discover::{RawFile, sort_files};
use crate::summary::{FieldCounts, FileProblem, TableSummary};

/// Options of a decode, with defaults a notebook cell can start from.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// One table (MTData's SCALE argument), or every table with backups when `None`.
    pub table: Option<String>,
    /// Worker threads for decryption and rendering; all cores when `None`.
    pub threads: Option<NonZeroUsize>,
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

/// One field of a row: a column and where its raw JSON value sits in the file buffer.
#[derive(Debug, Clone, Copy)]
struct Field {
    start: usize,
    len: u32,
    col: u32,
}

#[derive(Debug)]
struct Row {
    file: u32,
    hash: u64,
    fields: Box<[Field]>,
}

/// How rows are told apart: by `id`, or by content when a row has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum RowKey {
    Number(i128),
    Text(String),
    NoId(u64),
}

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowKey::Number(n) => write!(f, "{n}"),
            RowKey::Text(t) => write!(f, "{t:?}"),
            RowKey::NoId(h) => write!(f, "<no id, content {h:016x}>"),
        }
    }
}

#[derive(Debug, Default)]
struct Columns {
    names: Vec<String>,
    index: HashMap<String, u32>,
    /// Hash seed per column, from its name, so content hashes do not depend on column order.
    seeds: Vec<u64>,
    date_like: Vec<bool>,
    has_date_string: Vec<bool>,
    has_epoch: Vec<bool>,
    /// The columns of the previous row by position: rows of one table repeat the same key order, so most
    /// lookups are one string comparison instead of a hash.
    recent: Vec<u32>,
}

impl Columns {
    fn intern_at(&mut self, position: usize, name: &str) -> u32 {
        if let Some(&col) = self.recent.get(position)
            && self.names[col as usize] == name
        {
            return col;
        }
        let col = self.intern(name);
        if position < self.recent.len() {
            self.recent[position] = col;
        } else {
            self.recent.push(col);
        }
        col
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&col) = self.index.get(name) {
            return col;
        }
        let col = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), col);
        self.seeds.push(xxh3_64(name.as_bytes()));
        self.date_like.push(is_date_like_name(name));
        self.has_date_string.push(false);
        self.has_epoch.push(false);
        col
    }

    fn is_encrypted(&self, col: u32) -> bool {
        is_encrypted_column(&self.names[col as usize])
    }

    fn has_iso(&self, col: u32) -> bool {
        self.has_date_string[col as usize] || self.has_epoch[col as usize]
    }
}

/// MTData's convention: decrypt every column whose name ends in `RSA`.
pub fn is_encrypted_column(name: &str) -> bool {
    name.ends_with("RSA")
}

#[derive(Debug, Default)]
struct TableState {
    columns: Columns,
    rows: Vec<Row>,
    index: HashMap<RowKey, usize>,
    /// Rows currently kept per file; a file's buffer is dropped when it reaches 0.
    live: Vec<u64>,
    buffers: Vec<Option<String>>,
    rows_read: u64,
    duplicates: u64,
    conflicting: BTreeSet<RowKey>,
    rows_without_id: u64,
}

impl TableState {
    fn commit_row(&mut self, file: u32, fields: &[Field], id: Option<&str>, hash: u64) {
        self.rows_read += 1;
        let key = match id.and_then(row_key) {
            Some(key) => key,
            None => RowKey::NoId(hash),
        };
        let row = Row {
            file,
            hash,
            fields: fields.into(),
        };
        self.live[file as usize] += 1;
        match self.index.entry(key) {
            Entry::Vacant(slot) => {
                if matches!(slot.key(), RowKey::NoId(_)) {
                    self.rows_without_id += 1;
                }
                slot.insert(self.rows.len());
                self.rows.push(row);
            }
            Entry::Occupied(slot) => {
                // The later copy wins.
                self.duplicates += 1;
                let old = std::mem::replace(&mut self.rows[*slot.get()], row);
                if old.hash != hash {
                    self.conflicting.insert(slot.key().clone());
                }
                let old_file = old.file as usize;
                self.live[old_file] -= 1;
                if self.live[old_file] == 0 && old_file < self.buffers.len() {
                    self.buffers[old_file] = None;
                }
            }
        }
    }

    fn buffer(&self, file: u32) -> &str {
        self.buffers[file as usize]
            .as_deref()
            .expect("a file with kept rows keeps its buffer")
    }
}

fn row_key(id: &str) -> Option<RowKey> {
    match id.as_bytes().first()? {
        b'n' => None,
        b'"' => Some(RowKey::Text(unescape(id).into_owned())),
        _ => Some(match id.parse::<i128>() {
            Ok(n) => RowKey::Number(n),
            Err(_) => RowKey::Text(id.to_owned()),
        }),
    }
}

/// The text of a JSON string value (`raw` includes the quotes).
fn unescape(raw: &str) -> std::borrow::Cow<'_, str> {
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    // Already validated by the parser.
    std::borrow::Cow::Owned(
        serde_json::from_str::<String>(raw).unwrap_or_else(|_| inner.to_owned()),
    )
}

// ---- parsing ----------------------------------------------------------------------------------------------

struct FileSeed<'s> {
    state: &'s mut TableState,
    scratch: &'s mut Vec<Field>,
    base: usize,
    file: u32,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let FileSeed {
            state,
            scratch,
            base,
            file,
        } = self;
        while seq
            .next_element_seed(RowSeed {
                state: &mut *state,
                scratch: &mut *scratch,
                base,
                file,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct RowSeed<'s> {
    state: &'s mut TableState,
    scratch: &'s mut Vec<Field>,
    base: usize,
    file: u32,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let RowSeed {
            state,
            scratch,
            base,
            file,
        } = self;
        scratch.clear();
        let mut hash = 0u64;
        let mut id: Option<&'de str> = None;
        while let Some(col) = map.next_key_seed(KeySeed(&mut state.columns, scratch.len()))? {
            let raw: &'de RawValue = map.next_value()?;
            let text = raw.get();
            let c = col as usize;
            let cols = &mut state.columns;
            let first = text.as_bytes()[0];
            if first == b'"'
                && !cols.has_date_string[c]
                && text.len() == 33
                && parse_mtdata_date(&text[1..32]).is_some()
            {
                cols.has_date_string[c] = true;
            }
            if first.is_ascii_digit()
                && cols.date_like[c]
                && !cols.has_epoch[c]
                && parse_epoch_millis(text).is_some()
            {
                cols.has_epoch[c] = true;
            }
            if text != "null" {
                // Order-independent, and a missing field equals null (a later file may add a column).
                hash = hash.wrapping_add(xxh3_64_with_seed(text.as_bytes(), cols.seeds[c]));
            }
            if cols.names[c] == "id" {
                id = Some(text);
            }
            scratch.push(Field {
                start: text.as_ptr() as usize - base,
                len: u32::try_from(text.len())
                    .map_err(|_| <A::Error as de::Error>::custom("a value over 4 GiB"))?,
                col,
            });
        }
        state.commit_row(file, scratch, id, hash);
        Ok(())
    }
}

/// Interns a key; the second field is the key's position in the row.
struct KeySeed<'s>(&'s mut Columns, usize);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = u32;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u32, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<u32, E> {
        Ok(self.0.intern_at(self.1, name))
    }
}

/// A parse error described by position only: serde_json's messages can quote data.
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "the file ends in the middle of a value (truncated?)",
        Category::Syntax => "invalid JSON",
        Category::Data => "not an array of row objects",
        Category::Io => "read error",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Parse one backup (one or more concatenated JSON arrays) into the table state.
fn parse_file(
    state: &mut TableState,
    buf: &str,
    file: u32,
    scratch: &mut Vec<Field>,
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_str(buf);
    let base = buf.as_ptr() as usize;
    let mut arrays = 0usize;
    loop {
        if de.end().is_ok() {
            break;
        }
        FileSeed {
            state: &mut *state,
            scratch: &mut *scratch,
            base,
            file,
        }
        .deserialize(&mut de)
        .map_err(|e| describe_json_error(&e))?;
        arrays += 1;
    }
    if arrays == 0 {
        return Err("empty file (no JSON array)".into());
    }
    Ok(())
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

// ---- decoding ---------------------------------------------------------------------------------------------

/// What one output column shows.
#[derive(Debug, Clone, Copy)]
enum OutColumn {
    Value(u32),
    Decrypted(u32),
    Status(u32),
    Iso(u32),
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
    let threads = options.thread_count();
    let mut files = files.to_vec();
    sort_files(&mut files);

    let mut state = TableState::default();
    let mut summary = TableSummary {
        table: table.to_owned(),
        files: files.len(),
        ..TableSummary::default()
    };
    let mut scratch = Vec::new();
    for (file_index, raw) in files.iter().enumerate() {
        let file_name = raw
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        state.live.push(0);
        let (buf, utf8_problem) = match std::fs::read(&raw.path).map(into_utf8) {
            Ok(read) => read,
            Err(e) => {
                summary.bad_files.push(FileProblem {
                    file: file_name,
                    problem: format!("cannot read: {e}"),
                    rows_kept: 0,
                });
                state.buffers.push(None);
                continue;
            }
        };
        summary.bytes += buf.len() as u64;
        let before = state.rows_read;
        let file = file_index as u32;
        let parsed = parse_file(&mut state, &buf, file, &mut scratch);
        if let Some(problem) = utf8_problem.or(parsed.err()) {
            summary.bad_files.push(FileProblem {
                file: file_name,
                problem,
                rows_kept: state.rows_read - before,
            });
        }
        tracing::debug!(table, file = %raw.path.display(), rows = state.rows_read - before, "parsed");
        state
            .buffers
            .push((state.live[file_index] > 0).then_some(buf));
    }

    // Kept rows in a stable order: numeric ids, then text ids, then rows without id (by content).
    let mut kept: Vec<(&RowKey, &Row)> = state
        .index
        .iter()
        .map(|(key, &slot)| (key, &state.rows[slot]))
        .collect();
    // Stable merge sort: exports come in id order, and runs of sorted rows are merged in linear time.
    kept.sort_by(|a, b| a.0.cmp(b.0));

    let columns = &state.columns;
    let mut plan = Vec::new();
    for col in 0..columns.names.len() as u32 {
        if columns.is_encrypted(col) {
            plan.push(OutColumn::Decrypted(col));
            plan.push(OutColumn::Status(col));
            summary
                .encrypted_columns
                .push(columns.names[col as usize].clone());
        } else {
            plan.push(OutColumn::Value(col));
        }
        if columns.has_iso(col) {
            plan.push(OutColumn::Iso(col));
        }
    }
    let header: Vec<String> = plan
        .iter()
        .map(|c| match *c {
            OutColumn::Value(col) | OutColumn::Decrypted(col) => {
                columns.names[col as usize].clone()
            }
            OutColumn::Status(col) => format!("{}_status", columns.names[col as usize]),
            OutColumn::Iso(col) => format!("{}_iso", columns.names[col as usize]),
        })
        .collect();

    let outcomes = decrypt_distinct(&state, &kept, key, threads, &mut summary);

    let mut chunks = Vec::with_capacity(threads + 1);
    chunks.push(render_header(&header));
    let per_thread = kept.len().div_ceil(threads).max(1);
    let rendered: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = kept
            .chunks(per_thread)
            .map(|rows| {
                let state = &state;
                let plan = &plan;
                let outcomes = &outcomes;
                scope.spawn(move || render_rows(state, plan, outcomes, rows))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("render thread panicked"))
            .collect()
    });
    chunks.extend(rendered);

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
    summary.columns = header.len();
    DecodedTable {
        columns: header,
        summary,
        chunks,
    }
}

/// `Some(outcome)`, or `None` for ciphertext that could not be tried for lack of a key.
type Outcomes = HashMap<String, Option<FieldOutcome>>;

/// Classify every `*RSA` field of the kept rows, decrypting each distinct ciphertext once, on all threads.
fn decrypt_distinct(
    state: &TableState,
    kept: &[(&RowKey, &Row)],
    key: Option<&PrivateKey>,
    threads: usize,
    summary: &mut TableSummary,
) -> Outcomes {
    let mut occurrences: HashMap<std::borrow::Cow<'_, str>, u64> = HashMap::new();
    let mut counts = FieldCounts::default();
    let encrypted: Vec<u32> = (0..state.columns.names.len() as u32)
        .filter(|&c| state.columns.is_encrypted(c))
        .collect();
    if encrypted.is_empty() {
        return Outcomes::new();
    }
    for (_, row) in kept {
        let buf = state.buffer(row.file);
        for &col in &encrypted {
            let field = row.fields.iter().rev().find(|f| f.col == col);
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

fn raw_text<'b>(buf: &'b str, field: &Field) -> &'b str {
    // The range was a &str of this buffer when parsed, so it is on character boundaries.
    buf.get(field.start..field.start + field.len as usize)
        .unwrap_or_default()
}

fn render_header(header: &[String]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(header);
    writer.into_inner().unwrap_or_default()
}

fn render_rows(
    state: &TableState,
    plan: &[OutColumn],
    outcomes: &Outcomes,
    rows: &[(&RowKey, &Row)],
) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(Vec::with_capacity(rows.len() * 128));
    let mut cells: Vec<Option<&str>> = vec![None; state.columns.names.len()];
    let mut scratch = String::new();
    for (_, row) in rows {
        let buf = state.buffer(row.file);
        cells.iter_mut().for_each(|c| *c = None);
        for field in row.fields.iter() {
            cells[field.col as usize] = Some(raw_text(buf, field));
        }
        for out in plan {
            let written = match *out {
                OutColumn::Value(col) => {
                    write_value(&mut writer, cells[col as usize], &mut scratch)
                }
                OutColumn::Decrypted(col) => {
                    let cell = cells[col as usize];
                    match lookup(outcomes, cell) {
                        Some(Some(outcome)) if outcome.value().is_some() => {
                            writer.write_field(outcome.value().unwrap_or_default())
                        }
                        // Failures keep what was sent.
                        _ => write_value(&mut writer, cell, &mut scratch),
                    }
                }
                OutColumn::Status(col) => {
                    let cell = cells[col as usize];
                    let status = match cell {
                        None | Some("null") => "empty",
                        Some(t) if t.starts_with('"') => match lookup(outcomes, cell) {
                            Some(Some(outcome)) => outcome.status().as_str(),
                            _ => "failed",
                        },
                        Some(t) if t.as_bytes()[0].is_ascii_digit() => "plain",
                        Some(_) => "failed",
                    };
                    writer.write_field(status)
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

fn lookup<'o>(outcomes: &'o Outcomes, cell: Option<&str>) -> Option<&'o Option<FieldOutcome>> {
    let text = cell?;
    if !text.starts_with('"') {
        return None;
    }
    outcomes.get(cache_key(text).as_ref())
}

/// The text of a string field without whitespace: a ciphertext wrapped over lines is the same ciphertext.
fn cache_key(raw: &str) -> std::borrow::Cow<'_, str> {
    let text = unescape(raw);
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        text
    }
}

/// A JSON value as a CSV cell: strings unquoted, null empty, numbers and booleans as sent, lists and
/// objects as compact JSON text.
fn write_value(
    writer: &mut csv::Writer<Vec<u8>>,
    cell: Option<&str>,
    scratch: &mut String,
) -> csv::Result<()> {
    let Some(text) = cell else {
        return writer.write_field("");
    };
    match text.as_bytes()[0] {
        b'n' => writer.write_field(""),
        b'"' => writer.write_field(unescape(text).as_bytes()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(files: &[&str]) -> TableState {
        let mut state = TableState::default();
        let mut scratch = Vec::new();
        for (i, text) in files.iter().enumerate() {
            state.live.push(0);
            parse_file(&mut state, text, i as u32, &mut scratch).unwrap();
            state
                .buffers
                .push((state.live[i] > 0).then(|| (*text).to_owned()));
        }
        state
    }

    #[test]
    fn superseded_backups_are_freed() {
        // Full re-downloads of a table: only the newest copy stays in memory.
        let full = r#"[{"id":1,"a":1},{"id":2,"a":2}]"#;
        let state = parse_all(&[full, full, full, r#"[{"id":2,"a":3}]"#]);
        let kept: Vec<bool> = state.buffers.iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, false, true, true]);
        assert_eq!(state.duplicates, 5);
        assert_eq!(state.conflicting.len(), 1);
    }

    #[test]
    fn concatenated_arrays_and_whitespace_parse() {
        let state = parse_all(&["[{\"id\":1}]\n[{\"id\":2}] \r\n[]"]);
        assert_eq!(state.rows_read, 2);
        let mut state = TableState::default();
        state.live.push(0);
        let err = parse_file(&mut state, "[{\"id\":1}] x", 0, &mut Vec::new()).unwrap_err();
        assert!(err.starts_with("invalid JSON at line 1"), "{err}");
        let err = parse_file(&mut state, "{\"id\":1}", 0, &mut Vec::new()).unwrap_err();
        assert!(err.starts_with("not an array of row objects"), "{err}");
        let err = parse_file(&mut state, "  ", 0, &mut Vec::new()).unwrap_err();
        assert!(err.starts_with("empty file"), "{err}");
    }

    #[test]
    fn json_parse_errors_do_not_quote_data() {
        let mut state = TableState::default();
        state.live.push(0);
        let err = parse_file(&mut state, r#"["secret-value"]"#, 0, &mut Vec::new()).unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn utf8_damage_keeps_the_valid_part() {
        let (text, problem) = into_utf8(b"[{\"id\":1}]\xff".to_vec());
        assert_eq!(text, "[{\"id\":1}]");
        assert_eq!(problem.as_deref(), Some("not UTF-8 at byte 10"));
    }
}
