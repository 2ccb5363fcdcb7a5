//! The rows of one part of a backup file, as the raw-row parser hands them over: columns numbered in
//! the order they first appear in the part, each field a byte range of the file buffer, each row
//! hashed and keyed.

use std::collections::HashMap;

use mtdata_core::decoded::{is_date_like_name, is_encrypted_column};
use mtdata_core::raw_rows::RowSink;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::dates::{parse_epoch_millis, parse_mtdata_date};
use crate::store::{Field, Row, RowKey, row_key};

/// The columns of a part, or of a whole table.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) names: Vec<String>,
    index: HashMap<String, u32>,
    /// Hash seed per column, from its name, so content hashes do not depend on column order.
    seeds: Vec<u64>,
    /// Whether epoch milliseconds in the column are dates (by its name).
    pub(crate) date_like: Vec<bool>,
    /// Whether the column holds a MindTrails date string (it then gets an ISO column).
    pub(crate) has_date_string: Vec<bool>,
    /// Whether the column holds epoch milliseconds and is date-like (it then gets an ISO column).
    pub(crate) has_epoch: Vec<bool>,
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

    pub(crate) fn intern(&mut self, name: &str) -> u32 {
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

    pub(crate) fn is_encrypted(&self, col: u32) -> bool {
        is_encrypted_column(&self.names[col as usize])
    }

    pub(crate) fn has_iso(&self, col: u32) -> bool {
        self.has_date_string[col as usize] || self.has_epoch[col as usize]
    }
}

/// Rows parsed from one part of a file, with columns numbered in the order they first appear in the part.
#[derive(Debug)]
pub(crate) struct Part<'b> {
    file: u32,
    /// This part's number in its file.
    index: u32,
    /// The address of the file text: fields are kept as offsets from it.
    base: usize,
    pub(crate) columns: Columns,
    pub(crate) fields: Vec<Field>,
    /// All `Some` until [`crate::store::TableState::add_parts`].
    pub(crate) rows: Vec<Option<Row>>,
    current: RowBuilder<'b>,
}

/// The row being parsed.
#[derive(Debug, Default)]
struct RowBuilder<'b> {
    fields_at: usize,
    hash: u64,
    id: Option<&'b str>,
}

impl<'b> Part<'b> {
    /// Part `index` of file number `file`, whose text is `text`.
    pub(crate) fn new(file: u32, index: u32, text: &'b str) -> Self {
        Part {
            file,
            index,
            base: text.as_ptr() as usize,
            columns: Columns::default(),
            fields: Vec::new(),
            rows: Vec::new(),
            current: RowBuilder::default(),
        }
    }

    /// One field of the current row: `text` is its raw JSON value, a slice of the file text.
    fn add_field(&mut self, col: u32, text: &'b str) -> Result<(), &'static str> {
        let c = col as usize;
        let cols = &mut self.columns;
        let row = &mut self.current;
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
            start: text.as_ptr() as usize - self.base,
            len: u32::try_from(text.len()).map_err(|_| "a value over 4 GiB")?,
            col,
        });
        Ok(())
    }
}

impl<'b> RowSink<'b> for Part<'b> {
    fn begin_row(&mut self) {
        self.current = RowBuilder {
            fields_at: self.fields.len(),
            hash: 0,
            id: None,
        };
    }

    fn field(&mut self, position: usize, name: &str, value: &'b str) -> Result<(), &'static str> {
        let col = self.columns.intern_at(position, name);
        self.add_field(col, value)
    }

    fn end_row(&mut self) {
        let row = &self.current;
        self.rows.push(Some(Row {
            key: row.id.and_then(row_key).unwrap_or(RowKey::NoId(row.hash)),
            hash: row.hash,
            file: self.file,
            part: self.index,
            fields_at: row.fields_at,
            fields_len: (self.fields.len() - row.fields_at) as u32,
        }));
    }

    /// Make room for the rest of the part at once: growing a vector of hundreds of megabytes moves it (and
    /// the kernel's remapping stalls the other threads' page faults).
    fn part_progress(&mut self, done: usize, total: usize) {
        let scale = |n: usize| (n as f64 * total as f64 / done.max(1) as f64 * 1.05) as usize;
        let (rows, fields) = (scale(self.rows.len()), scale(self.fields.len()));
        self.rows.reserve(rows.saturating_sub(self.rows.len()));
        self.fields
            .reserve(fields.saturating_sub(self.fields.len()));
    }
}
