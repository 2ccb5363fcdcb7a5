//! Decoding one table: parse every backup (a large one on all cores), keep the latest copy of each row,
//! decrypt, render CSV (on all cores, written while it is rendered).
//!
//! Rows are never copied out of the file buffers: a row is a list of (column, byte range) pairs. A file's
//! buffer is freed as soon as later files have replaced all its rows, so thousands of full re-downloads of a
//! table (MTData's cron did that) cost the memory of about one copy.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::num::NonZeroUsize;

use mtdata_crypto::{FieldOutcome, FieldStatus, PrivateKey};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use mtdata_core::decoded::{
    CellStatus, is_date_like_name, is_encrypted_column, iso_column, status_column,
};

use crate::dates::{parse_epoch_millis, parse_mtdata_date};
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

/// A kept row: its fields are `fields_len` entries from `fields_at` in part `part` of file `file`.
#[derive(Debug)]
struct Row {
    key: RowKey,
    hash: u64,
    file: u32,
    part: u32,
    fields_at: usize,
    fields_len: u32,
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

/// A file's text and the fields of its rows (one vector per part parsed in parallel).
#[derive(Debug)]
struct FileData {
    text: String,
    parts: Vec<Vec<Field>>,
}

/// A fast hash for row keys: ids come from the study's own server, so no protection against collisions
/// chosen by an attacker is needed, and SipHash was a tenth of the decode time.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn write_i128(&mut self, n: i128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
}

type KeyMap<V> = HashMap<RowKey, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// Where a kept row is: `segments[.0][.1]`.
type Slot = (u32, u32);

#[derive(Debug, Default)]
struct TableState {
    columns: Columns,
    /// The rows of each parsed part, in file order; `None` where a row replaced an earlier copy (which keeps
    /// its place: rows stay in order of first appearance).
    segments: Vec<Vec<Option<Row>>>,
    /// Numeric ids that came in ascending order (how exports list rows), with their rows: a new id is
    /// appended without hashing, and a re-download in the same order finds its copies at `cursor`.
    ascending: Vec<(i64, Slot)>,
    cursor: usize,
    /// Every other id.
    index: KeyMap<Slot>,
    /// Rows currently kept per file; a file's data is dropped when it reaches 0.
    live: Vec<u64>,
    files: Vec<Option<FileData>>,
    rows_read: u64,
    duplicates: u64,
    conflicting: BTreeSet<RowKey>,
    rows_without_id: u64,
}

impl TableState {
    /// The slot of the row with this key, or `None` after recording `new` as its slot.
    fn find_or_insert(&mut self, key: &RowKey, new: Slot) -> Option<Slot> {
        if let RowKey::Number(n) = *key
            && let Ok(n) = i64::try_from(n)
        {
            match self.ascending.last() {
                Some(&(last, _)) if n <= last => {
                    let at = match self.ascending.get(self.cursor) {
                        Some(&(id, _)) if id == n => Some(self.cursor),
                        _ => self.ascending.binary_search_by_key(&n, |e| e.0).ok(),
                    };
                    if let Some(at) = at {
                        self.cursor = at + 1;
                        return Some(self.ascending[at].1);
                    }
                    // Not in the ascending run: a smaller id that came late is in the index.
                }
                _ => {
                    // Larger than every id so far (the index only holds ids below the run's end).
                    self.ascending.push((n, new));
                    return None;
                }
            }
        }
        match self.index.entry(key.clone()) {
            Entry::Occupied(slot) => Some(*slot.get()),
            Entry::Vacant(slot) => {
                slot.insert(new);
                None
            }
        }
    }

    /// Keep row `at` of `current` (the rows of the part being added, segment number `segment`), unless it is
    /// an earlier copy's: then the later copy wins and takes the earlier one's place.
    fn commit_row(&mut self, current: &mut [Option<Row>], segment: u32, at: usize) {
        self.rows_read += 1;
        let Some(row) = current[at].as_ref() else {
            return;
        };
        let (file, hash, key) = (row.file, row.hash, row.key.clone());
        self.live[file as usize] += 1;
        let Some((old_segment, old_at)) = self.find_or_insert(&key, (segment, at as u32)) else {
            if matches!(key, RowKey::NoId(_)) {
                self.rows_without_id += 1;
            }
            return;
        };
        self.duplicates += 1;
        let row = current[at].take();
        let old_place = if old_segment == segment {
            &mut current[old_at as usize]
        } else {
            &mut self.segments[old_segment as usize][old_at as usize]
        };
        let old = std::mem::replace(old_place, row).expect("a slot holds a row");
        if old.hash != hash {
            self.conflicting.insert(key);
        }
        let old_file = old.file as usize;
        self.live[old_file] -= 1;
        if self.live[old_file] == 0 && old_file < self.files.len() {
            self.files[old_file] = None;
        }
    }

    /// Take the rows of a parsed file (its parts in order) into the table: columns first, then the rows in
    /// file order, exactly as if the file had been read row by row. Returns the fields to keep with the file.
    fn add_parts(&mut self, parts: Vec<Part>) -> Vec<Vec<Field>> {
        let mut kept = Vec::with_capacity(parts.len());
        for part in parts {
            let Part {
                columns,
                mut fields,
                mut rows,
                ..
            } = part;
            let map: Vec<u32> = columns
                .names
                .iter()
                .map(|name| self.columns.intern(name))
                .collect();
            for (local, &global) in map.iter().enumerate() {
                let g = global as usize;
                self.columns.has_date_string[g] |= columns.has_date_string[local];
                self.columns.has_epoch[g] |= columns.has_epoch[local];
            }
            if map
                .iter()
                .enumerate()
                .any(|(local, &global)| local as u32 != global)
            {
                for field in &mut fields {
                    field.col = map[field.col as usize];
                }
            }
            let segment = u32::try_from(self.segments.len()).expect("fewer than 4 billion parts");
            for at in 0..rows.len() {
                self.commit_row(&mut rows, segment, at);
            }
            self.segments.push(rows);
            kept.push(fields);
        }
        kept
    }

    /// The kept rows, in order of first appearance.
    fn rows(&self) -> impl Iterator<Item = &Row> {
        self.segments.iter().flatten().flatten()
    }

    fn text(&self, file: u32) -> &str {
        &self.file(file).text
    }

    fn fields(&self, row: &Row) -> &[Field] {
        &self.file(row.file).parts[row.part as usize][row.fields_at..][..row.fields_len as usize]
    }

    fn file(&self, file: u32) -> &FileData {
        self.files[file as usize]
            .as_ref()
            .expect("a file with kept rows keeps its data")
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
    // The common escapes by hand (serde_json's String parser was a few percent of the decode time); `\u`
    // (surrogate pairs and all) by serde_json. Already validated by the parser.
    let simple = || {
        let mut out = String::with_capacity(inner.len());
        let mut rest = inner;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            out.push(match rest.as_bytes().get(at + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                _ => return None,
            });
            rest = &rest[at + 2..];
        }
        out.push_str(rest);
        Some(out)
    };
    std::borrow::Cow::Owned(simple().unwrap_or_else(|| {
        serde_json::from_str::<String>(raw).unwrap_or_else(|_| inner.to_owned())
    }))
}

// ---- parsing ----------------------------------------------------------------------------------------------

/// Rows parsed from one part of a file, with columns numbered in the order they first appear in the part.
#[derive(Debug)]
struct Part {
    file: u32,
    /// This part's number in its file.
    index: u32,
    columns: Columns,
    fields: Vec<Field>,
    /// All `Some` until [`TableState::add_parts`].
    rows: Vec<Option<Row>>,
}

impl Part {
    fn new(file: u32, index: u32) -> Self {
        Part {
            file,
            index,
            columns: Columns::default(),
            fields: Vec::new(),
            rows: Vec::new(),
        }
    }
}

struct FileSeed<'s> {
    part: &'s mut Part,
    base: usize,
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
        let FileSeed { part, base } = self;
        while seq
            .next_element_seed(RowSeed {
                part: &mut *part,
                base,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct RowSeed<'s> {
    part: &'s mut Part,
    base: usize,
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
        let RowSeed { part, base } = self;
        let mut row = part.begin_row();
        loop {
            let position = row.position(part);
            let Some(col) = map.next_key_seed(KeySeed(&mut part.columns, position))? else {
                break;
            };
            let raw: &'de RawValue = map.next_value()?;
            part.add_field(&mut row, col, raw.get(), base)
                .map_err(<A::Error as de::Error>::custom)?;
        }
        part.end_row(row);
        Ok(())
    }
}

/// A row being parsed.
struct RowBuilder<'b> {
    fields_at: usize,
    hash: u64,
    id: Option<&'b str>,
}

impl RowBuilder<'_> {
    /// The position in the row of the next field.
    fn position(&self, part: &Part) -> usize {
        part.fields.len() - self.fields_at
    }
}

impl Part {
    fn begin_row<'b>(&self) -> RowBuilder<'b> {
        RowBuilder {
            fields_at: self.fields.len(),
            hash: 0,
            id: None,
        }
    }

    /// One field: `text` is its raw JSON value, a slice of the file text starting at address `base`.
    fn add_field<'b>(
        &mut self,
        row: &mut RowBuilder<'b>,
        col: u32,
        text: &'b str,
        base: usize,
    ) -> Result<(), &'static str> {
        let c = col as usize;
        let cols = &mut self.columns;
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
            row.hash = row
                .hash
                .wrapping_add(xxh3_64_with_seed(text.as_bytes(), cols.seeds[c]));
        }
        if cols.names[c] == "id" {
            row.id = Some(text);
        }
        self.fields.push(Field {
            start: text.as_ptr() as usize - base,
            len: u32::try_from(text.len()).map_err(|_| "a value over 4 GiB")?,
            col,
        });
        Ok(())
    }

    /// Make room for the rest of a part of `total` bytes, after `done` bytes: growing a vector of hundreds
    /// of megabytes moves it (and the kernel's remapping stalls the other threads' page faults).
    fn reserve_for(&mut self, done: usize, total: usize) {
        let scale = |n: usize| (n as f64 * total as f64 / done.max(1) as f64 * 1.05) as usize;
        let (rows, fields) = (scale(self.rows.len()), scale(self.fields.len()));
        self.rows.reserve(rows.saturating_sub(self.rows.len()));
        self.fields
            .reserve(fields.saturating_sub(self.fields.len()));
    }

    fn end_row(&mut self, row: RowBuilder<'_>) {
        self.rows.push(Some(Row {
            key: row.id.and_then(row_key).unwrap_or(RowKey::NoId(row.hash)),
            hash: row.hash,
            file: self.file,
            part: self.index,
            fields_at: row.fields_at,
            fields_len: (self.fields.len() - row.fields_at) as u32,
        }));
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

/// Parse one backup (one or more concatenated JSON arrays) into the table state, on up to `threads` threads.
///
/// Valid files take the fast path ([`parse_parallel`]). Anything it does not accept is parsed again by one
/// streaming parser, which keeps the complete rows before the damage and says where the damage is.
fn parse_file(
    state: &mut TableState,
    buf: &str,
    file: u32,
    threads: usize,
) -> (Vec<Vec<Field>>, Result<(), String>) {
    if let Some(parts) = parse_parallel(buf, file, threads) {
        return (state.add_parts(parts), Ok(()));
    }
    let mut part = Part::new(file, 0);
    let parsed = parse_streaming(buf, &mut part);
    (state.add_parts(vec![part]), parsed)
}

/// The streaming parser: rows are kept up to the first error.
fn parse_streaming(buf: &str, part: &mut Part) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_str(buf);
    let base = buf.as_ptr() as usize;
    let mut arrays = 0usize;
    loop {
        if de.end().is_ok() {
            break;
        }
        FileSeed {
            part: &mut *part,
            base,
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

/// Parts smaller than this are not worth a thread.
const MIN_PART_BYTES: usize = 1 << 20;

/// Rows nested deeper than this go to the streaming parser, whose nesting limit counts the array too.
const MAX_FAST_DEPTH: u32 = 64;

/// The fast path for a valid file: cut it into `threads` parts at row boundaries and parse them at once.
///
/// A part boundary is guessed (`}` `,` `{` after the middle of the file) and verified: the part before it
/// must reach a row starting exactly there, otherwise it simply goes on to the end and the later parts are
/// dropped. Each row is cut out by a byte scan and parsed from its slice. `None` when anything is wrong:
/// then the caller parses the file again with the streaming parser, which reports the damage exactly.
fn parse_parallel(buf: &str, file: u32, threads: usize) -> Option<Vec<Part>> {
    let bytes = buf.as_bytes();
    let mut starts = vec![0usize];
    if threads > 1 && bytes.len() >= 2 * MIN_PART_BYTES {
        for k in 1..threads {
            let from = bytes.len() / threads * k;
            let last = *starts.last().unwrap_or(&0);
            if from < last + MIN_PART_BYTES {
                continue;
            }
            match guess_row_start(bytes, from) {
                Some(start) if start > last => starts.push(start),
                _ => break,
            }
        }
    }
    let results: Vec<Option<(Part, bool)>> = if starts.len() == 1 {
        vec![parse_part(buf, Part::new(file, 0), 0, None)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = starts
                .iter()
                .enumerate()
                .map(|(k, &start)| {
                    let stop = starts.get(k + 1).copied();
                    let part = Part::new(file, k as u32);
                    scope.spawn(move || parse_part(buf, part, start, stop))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("parse thread panicked"))
                .collect()
        })
    };
    let mut parts = Vec::with_capacity(results.len());
    for result in results {
        let (part, reached_next) = result?;
        parts.push(part);
        if !reached_next {
            // This part went on to the end of the file (the guessed boundary was not a row start).
            break;
        }
    }
    Some(parts)
}

/// The first `{` at or after `from` that follows `}` and `,` (white space allowed): probably a row start.
fn guess_row_start(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from.max(1);
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let before = bytes[..i]
                .iter()
                .rev()
                .copied()
                .filter(|&b| !is_json_space(b));
            let mut before = before.take(2);
            if before.next() == Some(b',') && before.next() == Some(b'}') {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

/// Where the file's arrays are, between rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Between {
    /// Before an array (or at the start of the file).
    Array,
    /// After `[`: a row or `]`.
    FirstRowOrEnd,
    /// After `,`: a row.
    Row,
    /// After a row: `,` or `]`.
    CommaOrEnd,
    /// After `]`: another array or the end of the file.
    Done,
}

/// Parse rows from `start` (the file's start, or a guessed row start) to the end of the file, or until a row
/// starts at `stop`. Returns the rows and whether `stop` was reached; `None` on anything unexpected.
fn parse_part(
    buf: &str,
    mut part: Part,
    start: usize,
    stop: Option<usize>,
) -> Option<(Part, bool)> {
    let bytes = buf.as_bytes();
    let base = buf.as_ptr() as usize;
    let mut state = if start == 0 {
        Between::Array
    } else {
        Between::Row
    };
    let mut stop = stop;
    let mut pos = start;
    let mut pairs = Vec::new();
    loop {
        while pos < bytes.len() && is_json_space(bytes[pos]) {
            pos += 1;
        }
        let Some(&b) = bytes.get(pos) else {
            return (state == Between::Done).then_some((part, false));
        };
        match (state, b) {
            (Between::Array | Between::Done, b'[') => state = Between::FirstRowOrEnd,
            (Between::FirstRowOrEnd | Between::Row, b'{') => {
                if let Some(at) = stop {
                    if pos == at {
                        return Some((part, true));
                    }
                    if pos > at {
                        stop = None;
                    }
                }
                let end = if let Some(end) = scan_row(buf, pos, &mut pairs) {
                    let mut row = part.begin_row();
                    for (position, &(key, text)) in pairs.iter().enumerate() {
                        let col = part.columns.intern_at(position, key);
                        part.add_field(&mut row, col, text, base).ok()?;
                    }
                    part.end_row(row);
                    if part.rows.len() == 1024 {
                        part.reserve_for(pos - start, stop.unwrap_or(bytes.len()) - start);
                    }
                    end
                } else {
                    // Something the scanner does not handle (an escaped key, \u, or an error): serde_json
                    // decides, on this row's slice.
                    let end = row_end(bytes, pos)?;
                    let mut de = serde_json::Deserializer::from_str(&buf[pos..end]);
                    RowSeed {
                        part: &mut part,
                        base,
                    }
                    .deserialize(&mut de)
                    .ok()?;
                    de.end().ok()?;
                    end
                };
                state = Between::CommaOrEnd;
                pos = end;
                continue;
            }
            (Between::FirstRowOrEnd | Between::CommaOrEnd, b']') => state = Between::Done,
            (Between::CommaOrEnd, b',') => state = Between::Row,
            _ => return None,
        }
        pos += 1;
    }
}

/// The fast row parser: a row object at `start` whose keys have no escapes and whose strings have no `\\u`,
/// as (key, raw value) pairs; returns the end of the row. It accepts only valid JSON, and produces what
/// serde_json's `RawValue` does (the value's exact text). `None` for anything else, valid or not: then
/// serde_json parses the row.
fn scan_row<'b>(buf: &'b str, start: usize, pairs: &mut Vec<(&'b str, &'b str)>) -> Option<usize> {
    let bytes = buf.as_bytes();
    pairs.clear();
    let mut i = skip_space(bytes, start + 1);
    if *bytes.get(i)? == b'}' {
        return Some(i + 1);
    }
    loop {
        if *bytes.get(i)? != b'"' {
            return None;
        }
        let (key_end, escaped) = scan_string(bytes, i)?;
        if escaped {
            return None;
        }
        let key = &buf[i + 1..key_end - 1];
        i = skip_space(bytes, key_end);
        if *bytes.get(i)? != b':' {
            return None;
        }
        i = skip_space(bytes, i + 1);
        let value_end = scan_value(bytes, i, 1)?;
        pairs.push((key, &buf[i..value_end]));
        i = skip_space(bytes, value_end);
        match *bytes.get(i)? {
            b',' => i = skip_space(bytes, i + 1),
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_json_space(bytes[i]) {
        i += 1;
    }
    i
}

/// The end of the string starting at `start` (its opening quote) and whether it has escapes.
fn scan_string(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => match *bytes.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                    escaped = true;
                    i += 2;
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// The end of the JSON value starting at `start`.
fn scan_value(bytes: &[u8], start: usize, depth: u32) -> Option<usize> {
    match *bytes.get(start)? {
        b'"' => scan_string(bytes, start).map(|(end, _)| end),
        b'-' | b'0'..=b'9' => scan_number(bytes, start),
        b't' => bytes[start..].starts_with(b"true").then_some(start + 4),
        b'f' => bytes[start..].starts_with(b"false").then_some(start + 5),
        b'n' => bytes[start..].starts_with(b"null").then_some(start + 4),
        b'[' if depth < MAX_FAST_DEPTH => {
            let mut i = skip_space(bytes, start + 1);
            if *bytes.get(i)? == b']' {
                return Some(i + 1);
            }
            loop {
                i = skip_space(bytes, scan_value(bytes, i, depth + 1)?);
                match *bytes.get(i)? {
                    b',' => i = skip_space(bytes, i + 1),
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'{' if depth < MAX_FAST_DEPTH => {
            let mut i = skip_space(bytes, start + 1);
            if *bytes.get(i)? == b'}' {
                return Some(i + 1);
            }
            loop {
                if *bytes.get(i)? != b'"' {
                    return None;
                }
                i = skip_space(bytes, scan_string(bytes, i)?.0);
                if *bytes.get(i)? != b':' {
                    return None;
                }
                i = skip_space(
                    bytes,
                    scan_value(bytes, skip_space(bytes, i + 1), depth + 1)?,
                );
                match *bytes.get(i)? {
                    b',' => i = skip_space(bytes, i + 1),
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// The end of the number starting at `start` (JSON's grammar: no leading zeros, digits after `.` and `e`).
fn scan_number(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(bytes[start] == b'-');
    match *bytes.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i + 1),
        _ => return None,
    }
    if bytes.get(i) == Some(&b'.') {
        if !bytes.get(i + 1)?.is_ascii_digit() {
            return None;
        }
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !bytes.get(i)?.is_ascii_digit() {
            return None;
        }
        i = digits(i);
    }
    Some(i)
}

/// The end (exclusive) of the object or array starting at `start`, tracking strings; `None` when the file
/// ends first or the nesting is deep.
fn row_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0u32;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                loop {
                    match *bytes.get(i)? {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_FAST_DEPTH {
                    return None;
                }
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
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
    let mut files = files.to_vec();
    sort_files(&mut files);

    let mut state = TableState::default();
    let mut summary = TableSummary {
        table: table.to_owned(),
        files: files.len(),
        ..TableSummary::default()
    };
    for (file_index, raw) in files.iter().enumerate() {
        let file_name = raw
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        state.live.push(0);
        let (buf, utf8_problem) = match read_file(&raw.path, threads).map(into_utf8) {
            Ok(read) => read,
            Err(e) => {
                summary.bad_files.push(FileProblem {
                    file: file_name,
                    problem: format!("cannot read: {e}"),
                    rows_kept: 0,
                });
                state.files.push(None);
                continue;
            }
        };
        summary.bytes += buf.len() as u64;
        let before = state.rows_read;
        let file = file_index as u32;
        let (parts, parsed) = parse_file(&mut state, &buf, file, threads);
        if let Some(problem) = utf8_problem.or(parsed.err()) {
            summary.bad_files.push(FileProblem {
                file: file_name,
                problem,
                rows_kept: state.rows_read - before,
            });
        }
        tracing::debug!(table, file = %raw.path.display(), rows = state.rows_read - before, "parsed");
        state
            .files
            .push((state.live[file_index] > 0).then_some(FileData { text: buf, parts }));
    }

    // Kept rows in a stable order: numeric ids, then text ids, then rows without id (by content).
    // Ids are unique, so any sort gives this order. The rows are in order of first appearance, and exports
    // come in id order: the stable sort finds the sorted runs and merges them in about linear time.
    let mut kept: Vec<&Row> = state.rows().collect();
    kept.sort_by(|a, b| a.key.cmp(&b.key));

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
            OutColumn::Status(col) => status_column(&columns.names[col as usize]),
            OutColumn::Iso(col) => iso_column(&columns.names[col as usize]),
        })
        .collect();

    let outcomes = decrypt_distinct(&state, &kept, key, threads, &mut summary);

    let written = sink(render_header(&header))
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
    summary.columns = header.len();
    (header, summary, written)
}

/// Render the rows in blocks on `threads` threads, handing the blocks to `sink` in order on this thread.
fn render_in_order(
    state: &TableState,
    plan: &[OutColumn],
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
type Outcomes = HashMap<String, Option<FieldOutcome>>;

/// Classify every `*RSA` field of the kept rows, decrypting each distinct ciphertext once, on all threads.
fn decrypt_distinct(
    state: &TableState,
    kept: &[&Row],
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
    for row in kept {
        let buf = state.text(row.file);
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
        let buf = state.text(row.file);
        cells.iter_mut().for_each(|c| *c = None);
        for field in state.fields(row) {
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
        for (i, text) in files.iter().enumerate() {
            state.live.push(0);
            let (parts, parsed) = parse_file(&mut state, text, i as u32, 2);
            parsed.unwrap();
            state.files.push((state.live[i] > 0).then(|| FileData {
                text: (*text).to_owned(),
                parts,
            }));
        }
        state
    }

    #[test]
    fn superseded_backups_are_freed() {
        // Full re-downloads of a table: only the newest copy stays in memory.
        let full = r#"[{"id":1,"a":1},{"id":2,"a":2}]"#;
        let state = parse_all(&[full, full, full, r#"[{"id":2,"a":3}]"#]);
        let kept: Vec<bool> = state.files.iter().map(Option::is_some).collect();
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
        let err = parse_file(&mut state, "[{\"id\":1}] x", 0, 2)
            .1
            .unwrap_err();
        assert!(err.starts_with("invalid JSON at line 1"), "{err}");
        let err = parse_file(&mut state, "{\"id\":1}", 0, 2).1.unwrap_err();
        assert!(err.starts_with("not an array of row objects"), "{err}");
        let err = parse_file(&mut state, "  ", 0, 2).1.unwrap_err();
        assert!(err.starts_with("empty file"), "{err}");
    }

    #[test]
    fn json_parse_errors_do_not_quote_data() {
        let mut state = TableState::default();
        state.live.push(0);
        let err = parse_file(&mut state, r#"["secret-value"]"#, 0, 2)
            .1
            .unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    /// Everything parsing leaves in the state, as text.
    fn dump(state: &TableState) -> Vec<String> {
        let mut out = vec![format!(
            "{:?} {:?} {:?} read {} dup {} conflicting {:?}",
            state.columns.names,
            state.columns.has_date_string,
            state.columns.has_epoch,
            state.rows_read,
            state.duplicates,
            state.conflicting
        )];
        for row in state.rows() {
            let text = state.text(row.file);
            let fields: Vec<String> = state
                .fields(row)
                .iter()
                .map(|f| format!("{}={}", f.col, raw_text(text, f)))
                .collect();
            out.push(format!("{:?} {:x} {}", row.key, row.hash, fields.join(" ")));
        }
        out
    }

    fn parse_one(text: &str, streaming: bool, threads: usize) -> (Vec<String>, Result<(), String>) {
        let mut state = TableState::default();
        state.live.push(0);
        let (parts, parsed) = if streaming {
            let mut part = Part::new(0, 0);
            let parsed = parse_streaming(text, &mut part);
            (state.add_parts(vec![part]), parsed)
        } else {
            parse_file(&mut state, text, 0, threads)
        };
        state.files.push(Some(FileData {
            text: text.to_owned(),
            parts,
        }));
        (dump(&state), parsed)
    }

    /// A backup of a few MB with what the fast path must get right or hand to serde_json.
    fn tricky_backup() -> String {
        let mut text = String::from("[\n");
        for i in 0..40_000u32 {
            if i > 0 {
                text.push_str(if i % 7 == 0 { " ,\r\n\t" } else { "," });
            }
            if i == 20_000 {
                // Two arrays in one file, as MTData's append left them.
                text.push_str("{\"id\":0}]\n[");
            }
            let row = match i % 6 {
                0 => format!(
                    r#"{{"id":{i},"date":"Tue, 07 Mar 2017 14:05:33 -0500","n":-1.5e3,"s":"a \"q\" \\ \/ \t"}}"#
                ),
                1 => format!(
                    r#"{{ "id" : "{i}" , "tricky":"}},{{\"id\":1}}" , "list":[1,{{"a":[]}},null,true,false] }}"#
                ),
                2 => format!(
                    r#"{{"id":{},"k\u00e9y":"\u00e9\ud83d\ude00","dateSubmitted":1488913533{:03}}}"#,
                    i % 500,
                    i % 1000
                ),
                3 => format!(r#"{{"i\"d":{i},"nested":{{"x":{{"y":[[],{{}}]}}}},"z":0}}"#),
                4 => format!(r#"{{"id":null,"v":{}}}"#, i % 3),
                _ => format!(
                    r#"{{"id":{i},"id":{},"e":"","big":123456789012345678901234567890}}"#,
                    i + 1
                ),
            };
            text.push_str(&row);
        }
        text.push_str("\n]\n");
        text
    }

    #[test]
    fn fast_parallel_parse_equals_streaming_parse() {
        let text = tricky_backup();
        assert!(text.len() > 2 * MIN_PART_BYTES, "{}", text.len());
        let streaming = parse_one(&text, true, 1);
        assert_eq!(streaming.1, Ok(()));
        for threads in [1, 2, 3, 7] {
            let parts = parse_parallel(&text, 0, threads).unwrap();
            // A boundary may be guessed inside a string (and then not used), but not every one.
            assert!(threads == 1 || parts.len() > 1, "{threads} threads");
            assert_eq!(
                parse_one(&text, false, threads),
                streaming,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn a_guessed_boundary_inside_a_string_is_not_used() {
        // The middle of the file falls in a long string holding "},{": the guess is wrong, and the first
        // part goes on to the end.
        let filler = "},{".repeat(MIN_PART_BYTES);
        let text = format!(r#"[{{"id":1,"s":"{filler}"}},{{"id":2}},{{"id":3}}]"#);
        let streaming = parse_one(&text, true, 1);
        assert_eq!(parse_one(&text, false, 2), streaming);
        let parts = parse_parallel(&text, 0, 2).unwrap();
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn damage_late_in_a_large_file_keeps_the_rows_before_it() {
        let text = tricky_backup();
        for cut in [text.len() - 10, text.len() / 2 + 7, text.len() / 3] {
            let damaged = &text[..cut];
            let (dump, parsed) = parse_one(damaged, false, 2);
            assert_eq!((dump, parsed.clone()), parse_one(damaged, true, 1));
            assert!(parsed.unwrap_err().contains("truncated"));
        }
        let bad = text.replacen("\"z\":0", "\"z\":01", 3000);
        let (_, parsed) = parse_one(&bad, false, 2);
        assert!(parsed.unwrap_err().starts_with("invalid JSON at line"));
        let (dump, parsed) = parse_one(&format!("{text} ["), false, 2);
        assert_eq!(
            (dump, parsed.clone()),
            parse_one(&format!("{text} ["), true, 1)
        );
        assert!(parsed.is_err());
    }

    #[test]
    fn unescape_matches_serde_json() {
        for raw in [
            r#""plain""#,
            r#""a \"q\" \\ \/ \b\f\n\r\t end""#,
            r#""\u00e9 \ud83d\ude00 \n""#,
            r#""\\u0041""#,
        ] {
            assert_eq!(
                unescape(raw),
                serde_json::from_str::<String>(raw).unwrap(),
                "{raw}"
            );
        }
    }

    #[test]
    fn utf8_damage_keeps_the_valid_part() {
        let (text, problem) = into_utf8(b"[{\"id\":1}]\xff".to_vec());
        assert_eq!(text, "[{\"id\":1}]");
        assert_eq!(problem.as_deref(), Some("not UTF-8 at byte 10"));
    }
}
