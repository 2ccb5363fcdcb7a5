//! The MindTrails raw backup format, read in one place: a JSON array of row objects, exactly as a
//! server sent it (`raw_data/<Table>_<stamp>.json`, see [`crate::layout`]), or several such arrays one
//! after the other (white space between), as MTData's append mode left re-downloads in one file.
//!
//! Two entry points, one for each way rows are read, both built on one byte-level splitter (strings, escapes
//! and nesting tracked) and one row parser (a fast byte scanner with serde_json for what it does not take):
//!
//! - [`scan_array`]: streaming, from a reader, one array (a server's answer, or a backup mtdata wrote):
//!   each row's exact bytes, its `id` and its date, holding one read buffer and one row. Export scans
//!   downloads with it and re-reads backups with it before deleting anything.
//! - [`parse_backup`]: a whole file in memory, one or more arrays: every field of every row as (column name,
//!   raw value text) handed to a [`RowSink`], on all cores for a large file. Decode reads backups with it,
//!   and it keeps the complete rows before any damage and says where the damage is ([`Damage`]).
//!
//! They agree on any text: when [`scan_array`] accepts it, [`parse_backup`] finds no damage and hands over
//! the same rows with the same fields; when [`parse_backup`] finds no damage, [`scan_array`] accepts it too,
//! or stops with [`ScanError::AfterArray`] because the text holds more than one array. A fuzz target can
//! check this on any text (with a small [`Split::min_part_bytes`], so that guessed part boundaries are
//! exercised); [`parse_backup`] takes text, so bytes that are not UTF-8 are the caller's to cut, as decode
//! does.
//!
//! ```
//! use mtdata_core::raw_rows::{RowSink, Split, parse_backup, scan_array};
//!
//! let body = r#"[{"id":1,"date":"Wed, 08 Jun 2016 16:15:30 -0500"},{"id":"2","tags":["a"]}]"#;
//! let mut ids = Vec::new();
//! let rows = scan_array(body.as_bytes(), |row| ids.push(row.id))?;
//! assert_eq!((rows, ids), (2, vec![Some(1), Some(2)]));
//!
//! /// Counts fields per row.
//! #[derive(Default)]
//! struct Widths(Vec<usize>);
//! impl<'b> RowSink<'b> for Widths {
//!     fn begin_row(&mut self) { self.0.push(0) }
//!     fn field(&mut self, _: usize, _: &str, _: &'b str) -> Result<(), &'static str> {
//!         *self.0.last_mut().unwrap() += 1;
//!         Ok(())
//!     }
//!     fn end_row(&mut self) {}
//! }
//! let parsed = parse_backup(&format!("{body}\n[]"), Split::threads(2), |_| Widths::default());
//! assert!(parsed.damage.is_none());
//! assert_eq!(parsed.parts.into_iter().flat_map(|p| p.0).collect::<Vec<_>>(), [2, 2]);
//! # Ok::<(), mtdata_core::raw_rows::ScanError>(())
//! ```

mod backup;
mod fields;
mod splitter;
mod stream;

pub use backup::{Damage, MIN_PART_BYTES, ParsedBackup, Split, parse_backup};
pub use fields::unescape;
pub use stream::{Row, RowDate, ScanError, row_id, scan_array};

/// Receives the rows of a [`parse_backup`], field by field, in file order.
///
/// A row is `begin_row`, its fields, `end_row`. A row that fails part way (damage, or a refused field) gets
/// no `end_row`: its fields so far are to be forgotten, and the next `begin_row` (if any) starts afresh.
pub trait RowSink<'b> {
    /// A row starts.
    fn begin_row(&mut self);

    /// One field of the current row: its position in the row (from 0), its column name (escapes resolved)
    /// and its value's exact JSON text, a slice of the parsed buffer. A key sent twice comes twice.
    /// An `Err` stops the parse of this buffer: it is then damaged at this row.
    fn field(&mut self, position: usize, name: &str, value: &'b str) -> Result<(), &'static str>;

    /// The current row is complete.
    fn end_row(&mut self);

    /// Called once per part, after its first 1024 rows on the fast path: `done` of the part's `total` bytes
    /// are parsed, so the sink can make room for the rest at once (growing a vector of hundreds of
    /// megabytes moves it). Does nothing by default.
    fn part_progress(&mut self, _done: usize, _total: usize) {}
}

#[cfg(test)]
mod agreement;
#[cfg(test)]
mod fuzzed;
