//! The row store of one table: every parsed row kept by key, the latest copy of an id winning (conflicting
//! copies counted), and each file's buffer freed once later files have replaced all its rows.
//!
//! Rows are never copied out of the file buffers: a row is a list of (column, byte range) pairs. So thousands
//! of full re-downloads of a table (MTData's cron did that) cost the memory of about one copy.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

use mtdata_core::raw_rows::{Damage, ParsedBackup, Split, parse_backup, unescape};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::part::{Columns, Part};

/// One field of a row: a column and where its raw JSON value sits in the file buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) start: usize,
    pub(crate) len: u32,
    pub(crate) col: u32,
}

/// The raw JSON value of a field in its file's text.
pub(crate) fn raw_text<'b>(buf: &'b str, field: &Field) -> &'b str {
    // The range was a &str of this buffer when parsed, so it is on character boundaries.
    buf.get(field.start..field.start + field.len as usize)
        .unwrap_or_default()
}

/// A kept row: its fields are `fields_len` entries from `fields_at` in part `part` of file `file`.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) key: RowKey,
    /// The hash of the row's content (see [`crate::part`]): copies with different hashes conflict.
    pub(crate) hash: u64,
    pub(crate) file: u32,
    pub(crate) part: u32,
    pub(crate) fields_at: usize,
    pub(crate) fields_len: u32,
}

/// How rows are told apart: by `id`, or by content when a row has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RowKey {
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

/// The rows of one table, from all its files.
#[derive(Debug, Default)]
pub(crate) struct TableState {
    /// Every column of the table, in order of first appearance.
    pub(crate) columns: Columns,
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
    /// Rows in all files, copies included.
    pub(crate) rows_read: u64,
    /// Rows that replaced an earlier copy.
    pub(crate) duplicates: u64,
    /// Ids whose copies differ.
    pub(crate) conflicting: BTreeSet<RowKey>,
    pub(crate) rows_without_id: u64,
}

impl TableState {
    /// Parse the next file (backups in time order) into the table, on up to `threads` threads. With damage,
    /// the complete rows before it are kept.
    pub(crate) fn add_file(&mut self, text: String, threads: usize) -> Option<Damage> {
        let file = self.files.len();
        self.live.push(0);
        let ParsedBackup { parts, damage } =
            parse_backup(&text, Split::threads(threads), |index| {
                Part::new(file as u32, index, &text)
            });
        let parts = self.add_parts(parts);
        self.files
            .push((self.live[file] > 0).then_some(FileData { text, parts }));
        damage
    }

    /// The next file could not be read.
    pub(crate) fn add_unreadable_file(&mut self) {
        self.live.push(0);
        self.files.push(None);
    }

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
    fn add_parts(&mut self, parts: Vec<Part<'_>>) -> Vec<Vec<Field>> {
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
    pub(crate) fn rows(&self) -> impl Iterator<Item = &Row> {
        self.segments.iter().flatten().flatten()
    }

    /// The text of the file a kept row is in.
    pub(crate) fn text(&self, row: &Row) -> &str {
        &self.file(row.file).text
    }

    pub(crate) fn fields(&self, row: &Row) -> &[Field] {
        &self.file(row.file).parts[row.part as usize][row.fields_at..][..row.fields_len as usize]
    }

    fn file(&self, file: u32) -> &FileData {
        self.files[file as usize]
            .as_ref()
            .expect("a file with kept rows keeps its data")
    }
}

/// The key of a row whose `id` field is this raw JSON value (`None` for null).
pub(crate) fn row_key(id: &str) -> Option<RowKey> {
    match id.as_bytes().first()? {
        b'n' => None,
        b'"' => Some(RowKey::Text(unescape(id).into_owned())),
        _ => Some(match id.parse::<i128>() {
            Ok(n) => RowKey::Number(n),
            Err(_) => RowKey::Text(id.to_owned()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(files: &[&str], threads: usize) -> TableState {
        let mut state = TableState::default();
        for text in files {
            assert_eq!(state.add_file((*text).to_owned(), threads), None);
        }
        state
    }

    #[test]
    fn superseded_backups_are_freed() {
        // Full re-downloads of a table: only the newest copy stays in memory.
        let full = r#"[{"id":1,"a":1},{"id":2,"a":2}]"#;
        let state = parse_all(&[full, full, full, r#"[{"id":2,"a":3}]"#], 2);
        let kept: Vec<bool> = state.files.iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, false, true, true]);
        assert_eq!(state.duplicates, 5);
        assert_eq!(state.conflicting.len(), 1);
    }

    /// Everything parsing leaves in the state, as text.
    fn dump(state: &TableState) -> Vec<String> {
        let mut out = vec![format!(
            "{:?} {:?} {:?} read {} dup {} conflicting {:?} without id {}",
            state.columns.names,
            state.columns.has_date_string,
            state.columns.has_epoch,
            state.rows_read,
            state.duplicates,
            state.conflicting,
            state.rows_without_id,
        )];
        for row in state.rows() {
            let text = state.text(row);
            let fields: Vec<String> = state
                .fields(row)
                .iter()
                .map(|f| format!("{}={}", f.col, raw_text(text, f)))
                .collect();
            out.push(format!("{:?} {:x} {}", row.key, row.hash, fields.join(" ")));
        }
        out
    }

    /// Two backups of a few MB whose later parts bring new columns, date columns and copies of earlier rows.
    fn growing_backups() -> [String; 2] {
        let backup = |from: u32, to: u32| {
            let rows: Vec<String> = (from..to)
                .map(|i| match i % 5 {
                    0 if i > 30_000 => format!(r#"{{"id":{},"late":"x{i}","a":1}}"#, i % 40_000),
                    1 => format!(
                        r#"{{"id":"t{}","when":"Tue, 07 Mar 2017 14:05:33 -0500"}}"#,
                        i % 900
                    ),
                    2 if i > 20_000 => {
                        format!(r#"{{"a":{},"dateSubmitted":1488913533000}}"#, i % 3)
                    }
                    _ => format!(r#"{{"a":{},"id":{i},"b":[{}]}}"#, i % 2, i % 7),
                })
                .collect();
            format!("[{}]", rows.join(",\n"))
        };
        [backup(0, 60_000), backup(25_000, 90_000)]
    }

    #[test]
    fn rows_parsed_in_parts_are_kept_as_if_parsed_in_one() {
        let files = growing_backups();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let one = dump(&parse_all(&files, 1));
        for threads in [2, 3, 7] {
            let mut state = TableState::default();
            let mut parts = 0;
            for text in &files {
                assert_eq!(state.add_file((*text).to_owned(), threads), None);
                parts += state.files.last().unwrap().as_ref().unwrap().parts.len();
            }
            assert!(parts > 2, "{threads} threads: {parts} parts");
            assert_eq!(dump(&state), one, "{threads} threads");
        }
    }
}
