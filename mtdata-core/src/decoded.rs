//! The decoded table: what `decode` writes to `active_data/<Table>.csv` (and `.parquet`), and all
//! that reports and scales may rely on. This module is the one definition of that contract.
//!
//! - Every column any row of the table had, in the order first seen; empty cells for rows without it.
//! - After each encrypted column ([`is_encrypted_column`], MTData's rule: the name ends in `RSA`), a
//!   status column ([`status_column`], `participantRSA_status`) holding a [`CellStatus`]. A cell that
//!   did not decrypt keeps what the server sent (a ciphertext is nobody's id: readers skip it).
//! - After each date column that held a date in one of MindTrails' encodings, an ISO 8601 UTC copy
//!   ([`iso_column`], `date_iso`); readers prefer it ([`DateColumn`]).
//! - A row's participant is found by [`ParticipantColumns`], the same way in every report and scale.
//!
//! ```
//! use mtdata_core::decoded::{CellStatus, ParticipantColumns};
//!
//! let header = ["id", "participant", "participantRSA", "participantRSA_status"];
//! let columns = ParticipantColumns::new(header);
//! // `participant` is empty and the encrypted id did not decrypt: no participant.
//! let row = ["7", "", "bkUHY+xs...kg==", CellStatus::Failed.as_str()];
//! assert_eq!(columns.participant(|i| row.get(i).copied()), None);
//! let row = ["8", "", "532", "decrypted"];
//! assert_eq!(columns.participant(|i| row.get(i).copied()), Some("532"));
//! ```

use std::fmt;

pub mod mindlogger;

/// Participant id columns, in the order they are tried for each row: linked tables' plain
/// `participant`, TaskLog's `participantId`, R34's plain `participantDAO`, then the decrypted
/// `participantRSA` (plain ids first: they can never be a failed decryption).
pub const PARTICIPANT_COLUMNS: [&str; 4] = [
    "participant",
    "participantId",
    "participantDAO",
    "participantRSA",
];

const STATUS_SUFFIX: &str = "_status";
const ISO_SUFFIX: &str = "_iso";

/// MTData's convention: every column whose name ends in `RSA` is encrypted.
pub fn is_encrypted_column(name: &str) -> bool {
    name.ends_with("RSA")
}

/// The status column written after encrypted column `column`.
pub fn status_column(column: &str) -> String {
    format!("{column}{STATUS_SUFFIX}")
}

/// The ISO 8601 copy written after date column `column`.
pub fn iso_column(column: &str) -> String {
    format!("{column}{ISO_SUFFIX}")
}

/// Whether a column name says it holds dates (`date`, `dateCompleted`, `lastLoginDate`,
/// `lastLogin`, ...); only such columns get an ISO copy.
pub fn is_date_like_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("date") || lower.ends_with("login") || lower.contains("timestamp")
}

/// What became of one encrypted cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellStatus {
    /// Decrypted; the cell holds the plaintext.
    Decrypted,
    /// The server sent the value unencrypted (encryption was off); kept as sent.
    Plain,
    /// Nothing was sent.
    Empty,
    /// Not decrypted (wrong key, corrupt, no key); the cell keeps what the server sent.
    Failed,
}

impl CellStatus {
    /// Every status, in a stable order.
    pub const ALL: [CellStatus; 4] = [
        CellStatus::Decrypted,
        CellStatus::Plain,
        CellStatus::Empty,
        CellStatus::Failed,
    ];

    /// The text written in the status column.
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Decrypted => "decrypted",
            CellStatus::Plain => "plain",
            CellStatus::Empty => "empty",
            CellStatus::Failed => "failed",
        }
    }

    /// Read a status column's text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the cell beside it holds an id a reader may use.
    pub fn usable(self) -> bool {
        !matches!(self, CellStatus::Failed)
    }
}

impl fmt::Display for CellStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a table's participant ids are: the [`PARTICIPANT_COLUMNS`] present, in preference order,
/// each with its status column when it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantColumns {
    /// (column index, index of its status column).
    columns: Vec<(usize, Option<usize>)>,
    names: Vec<&'static str>,
}

impl ParticipantColumns {
    /// Find the participant columns in a header.
    pub fn new<S: AsRef<str>>(header: impl IntoIterator<Item = S>) -> Self {
        let header: Vec<S> = header.into_iter().collect();
        let position = |name: &str| header.iter().position(|h| h.as_ref() == name);
        let mut columns = Vec::new();
        let mut names = Vec::new();
        for name in PARTICIPANT_COLUMNS {
            if let Some(index) = position(name) {
                let status = is_encrypted_column(name)
                    .then(|| position(&status_column(name)))
                    .flatten();
                columns.push((index, status));
                names.push(name);
            }
        }
        ParticipantColumns { columns, names }
    }

    /// Whether the table has any participant column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The participant columns found, in preference order.
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }

    /// The column indices (with their status columns) in preference order, for readers that
    /// work column by column; they must apply [`participant_cell`] to each cell.
    pub fn indices(&self) -> &[(usize, Option<usize>)] {
        &self.columns
    }

    /// The participant of a row whose cells `cell(index)` gives: the first preferred column with
    /// a usable id ([`participant_cell`]).
    pub fn participant<'r>(&self, cell: impl Fn(usize) -> Option<&'r str>) -> Option<&'r str> {
        self.columns
            .iter()
            .find_map(|&(index, status)| participant_cell(cell(index), status.and_then(&cell)))
    }
}

/// The id in one participant cell, given the text of its status column (for encrypted columns):
/// none for an empty cell, `null`, or a cell whose decryption failed; a linked participant
/// serialized as an object (`{"id": 7, ...}`) gives its `id`.
pub fn participant_cell<'r>(value: Option<&'r str>, status: Option<&str>) -> Option<&'r str> {
    if status.and_then(CellStatus::parse) == Some(CellStatus::Failed) {
        return None;
    }
    let value = value?.trim();
    if value.is_empty() || value == "null" {
        return None;
    }
    if value.starts_with('{') {
        return linked_object_id(value);
    }
    Some(value)
}

/// The `id` of a linked participant serialized as JSON text, without parsing the whole object.
fn linked_object_id(json: &str) -> Option<&str> {
    let start = json.find("\"id\"")? + 4;
    let rest = json[start..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let end = rest.find([',', '}', '"'])?;
    let id = rest[..end].trim();
    (!id.is_empty()).then_some(id)
}

/// Which column of a table holds a date: its ISO copy when decode wrote one, else the column as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateColumn {
    /// The column to read.
    pub name: String,
    /// True when it is the ISO 8601 UTC copy.
    pub iso: bool,
}

impl DateColumn {
    /// The column to read dates of `base` (`date`, `dateCompleted`) from, among `header`.
    pub fn find<S: AsRef<str>>(header: impl IntoIterator<Item = S>, base: &str) -> Option<Self> {
        let iso = iso_column(base);
        let mut found = None;
        for name in header {
            let name = name.as_ref();
            if name == iso {
                return Some(DateColumn {
                    name: iso,
                    iso: true,
                });
            }
            if name == base {
                found = Some(DateColumn {
                    name: base.to_owned(),
                    iso: false,
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_come_before_the_decrypted_one() {
        let header = ["participantRSA", "participantRSA_status", "participantDAO"];
        let columns = ParticipantColumns::new(header);
        assert_eq!(columns.names(), ["participantDAO", "participantRSA"]);
        let row = ["532", "decrypted", "531"];
        assert_eq!(columns.participant(|i| row.get(i).copied()), Some("531"));
        let row = ["532", "decrypted", ""];
        assert_eq!(columns.participant(|i| row.get(i).copied()), Some("532"));
    }

    #[test]
    fn failed_empty_null_and_linked_cells() {
        assert_eq!(participant_cell(Some("abc=="), Some("failed")), None);
        assert_eq!(participant_cell(Some(" "), None), None);
        assert_eq!(participant_cell(Some("null"), None), None);
        assert_eq!(participant_cell(None, None), None);
        assert_eq!(
            participant_cell(Some(r#"{"id": 17, "study": "x"}"#), None),
            Some("17")
        );
        assert_eq!(participant_cell(Some(r#"{"name": "x"}"#), None), None);
        assert_eq!(
            participant_cell(Some(r#"{"admin":false,"id":"9"}"#), None),
            Some("9")
        );
        assert_eq!(participant_cell(Some("12"), Some("plain")), Some("12"));
    }

    #[test]
    fn statuses_round_trip() {
        for status in CellStatus::ALL {
            assert_eq!(CellStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(status_column("participantRSA"), "participantRSA_status");
        assert_eq!(iso_column("date"), "date_iso");
    }

    #[test]
    fn date_like_names() {
        for name in [
            "date",
            "dateCompleted",
            "lastLoginDate",
            "lastLogin",
            "dateSubmitted",
            "lastSessionDate",
        ] {
            assert!(is_date_like_name(name), "{name}");
        }
        for name in ["id", "timeOnPage", "session", "participantRSA"] {
            assert!(!is_date_like_name(name), "{name}");
        }
    }

    #[test]
    fn iso_copy_is_preferred() {
        let found = DateColumn::find(["date", "date_iso"], "date").unwrap();
        assert_eq!((found.name.as_str(), found.iso), ("date_iso", true));
        let found = DateColumn::find(["dateCompleted"], "dateCompleted").unwrap();
        assert!(!found.iso);
        assert_eq!(DateColumn::find(["x"], "date"), None);
    }
}
