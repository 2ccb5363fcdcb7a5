//! High-water marks in MTData's `active_data/benchMark.json`, and beside them the last backup of each
//! table (`active_data/backups.json`).
//!
//! MTData wrote `{"<Table>": {"current": <max id>, "deleteable": <bool>}}` (and, before that,
//! `{"<Table>": <max id>}`). Both are read; the first is written, with an optional `after` date
//! for servers that take `?after=`, so MTData can still read what mtdata writes.
//!
//! The last backup of a table is recorded by file name, size and hash, so that an answer the server
//! sends again unchanged (rows whose delete keeps failing, rows without an id) is not saved again in
//! full every run: disk use stays bounded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The mark of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The highest row id held in a verified backup.
    pub current: i64,
    pub deleteable: bool,
    /// The date (server time, `yyyy-MM-dd-HH-mm-ss`) of the newest row, by id, held in a verified
    /// backup: where the next `after` query starts (less the overlap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Rows with ids held in verified backups of a table that nothing deletes from, counted from a
    /// whole download on: a listed size above it means an incremental query missed rows (a server
    /// clock that went back dates new rows before the `after` mark), and the next run downloads the
    /// whole table. `None` for tables rows are deleted from, and for marks made before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// All marks of a study.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub tables: BTreeMap<String, Mark>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AnyMark {
    New(Mark),
    Old(i64),
}

impl Marks {
    /// Read `path`; a missing file means no marks. A damaged file is an error, never a silent reset
    /// (MTData's reset made every row count as new again).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Marks::default()),
            Err(e) => {
                return Err(Error::BenchMark {
                    path: path.to_owned(),
                    message: e.to_string(),
                });
            }
        };
        Self::parse(&bytes).map_err(|message| Error::BenchMark {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse either of MTData's formats.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Marks::default());
        }
        let raw: BTreeMap<String, AnyMark> =
            serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let tables = raw
            .into_iter()
            .map(|(table, mark)| {
                let mark = match mark {
                    AnyMark::New(mark) => mark,
                    AnyMark::Old(current) => Mark {
                        current,
                        ..Mark::default()
                    },
                };
                (table, mark)
            })
            .collect();
        Ok(Marks { tables })
    }

    /// Write atomically (temporary file, fsync, rename, fsync of the folder).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(&self.tables).expect("marks serialize");
        text.push('\n');
        mtdata_core::fsutil::write_atomic(path, text.as_bytes())?;
        Ok(())
    }

    pub fn get(&self, table: &str) -> Option<&Mark> {
        self.tables.get(table)
    }
}

/// The last backup of one table: its file in `raw_data/`, its size and the 128-bit xxh3 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub file: String,
    pub bytes: u64,
    /// Lower-case hex.
    pub xxh3: String,
}

impl BackupRecord {
    /// The record of an answer of `bytes` bytes hashing to `hash`, to be saved as `file`.
    pub fn of_answer(file: &str, bytes: u64, hash: u128) -> Self {
        BackupRecord {
            file: file.to_owned(),
            bytes,
            xxh3: format!("{hash:032x}"),
        }
    }

    /// Same size and hash: the same bytes.
    fn same_content(&self, other: &BackupRecord) -> bool {
        self.bytes == other.bytes && self.xxh3 == other.xxh3
    }
}

/// The last backup of each table, in `active_data/backups.json` (written atomically).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastBackups {
    pub tables: BTreeMap<String, BackupRecord>,
    changed: bool,
}

impl LastBackups {
    /// Read `path`. A missing or damaged file means no records: at worst an answer is saved once more.
    pub fn load(path: &Path) -> Self {
        let tables = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(
                    "{} is damaged ({e}); the next backups of every table are saved in full",
                    path.display()
                );
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        LastBackups {
            tables,
            changed: false,
        }
    }

    /// Write atomically, when something changed since [`LastBackups::load`].
    pub fn save(&mut self, path: &Path) -> Result<()> {
        if self.changed {
            let mut text = serde_json::to_string_pretty(&self.tables).expect("records serialize");
            text.push('\n');
            mtdata_core::fsutil::write_atomic(path, text.as_bytes())?;
            self.changed = false;
        }
        Ok(())
    }

    /// The last backup of `table` in `raw_data`, when it still exists and holds exactly `answer`'s bytes.
    pub fn holding(&self, table: &str, answer: &BackupRecord, raw_data: &Path) -> Option<PathBuf> {
        let last = self.tables.get(table).filter(|r| r.same_content(answer))?;
        let path = raw_data.join(&last.file);
        std::fs::metadata(&path)
            .is_ok_and(|m| m.is_file() && m.len() == last.bytes)
            .then_some(path)
    }

    /// `table`'s last backup is now `path`, holding `answer`'s bytes.
    pub fn record(&mut self, table: &str, answer: &BackupRecord, path: &Path) {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| answer.file.clone());
        self.tables.insert(
            table.to_owned(),
            BackupRecord {
                file,
                ..answer.clone()
            },
        );
        self.changed = true;
    }

    /// Forget `table`'s last backup (it did not read back as recorded).
    pub fn forget(&mut self, table: &str) {
        self.changed |= self.tables.remove(table).is_some();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_held_by_the_last_backup_only_with_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let answer = BackupRecord::of_answer("RR_1.json", 7, 0xabc);
        let mut backups = LastBackups::default();
        assert_eq!(backups.holding("RR", &answer, dir.path()), None);
        std::fs::write(dir.path().join("RR_1.json"), b"[{},{}]").unwrap();
        backups.record("RR", &answer, &dir.path().join("RR_1.json"));
        let again = BackupRecord::of_answer("RR_2.json", 7, 0xabc);
        assert_eq!(
            backups.holding("RR", &again, dir.path()),
            Some(dir.path().join("RR_1.json"))
        );
        let changed = BackupRecord::of_answer("RR_2.json", 7, 0xabd);
        assert_eq!(backups.holding("RR", &changed, dir.path()), None);
        assert_eq!(backups.holding("OA", &again, dir.path()), None);
        let path = dir.path().join("backups.json");
        backups.save(&path).unwrap();
        assert_eq!(LastBackups::load(&path).tables, backups.tables);
        // A backup moved away is not trusted.
        std::fs::remove_file(dir.path().join("RR_1.json")).unwrap();
        assert_eq!(backups.holding("RR", &again, dir.path()), None);
        std::fs::write(&path, b"{").unwrap();
        assert!(LastBackups::load(&path).tables.is_empty());
    }

    #[test]
    fn reads_both_mtdata_formats() {
        let old = Marks::parse(br#"{"OA": 41, "RR": 7}"#).unwrap();
        assert_eq!(old.get("OA").unwrap().current, 41);
        let new = Marks::parse(br#"{"OA": {"current": 41, "deleteable": true}}"#).unwrap();
        assert_eq!(
            new.get("OA").unwrap(),
            &Mark {
                current: 41,
                deleteable: true,
                after: None,
                rows: None,
            }
        );
        assert!(Marks::parse(b"").unwrap().tables.is_empty());
        assert!(Marks::parse(br#"{"OA": {"current": 4"#).is_err());
    }

    #[test]
    fn save_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("benchMark.json");
        let mut marks = Marks::default();
        marks.tables.insert(
            "TaskLog".into(),
            Mark {
                current: 9,
                deleteable: false,
                after: Some("2019-05-10-00-00-00".into()),
                rows: Some(9),
            },
        );
        marks.save(&path).unwrap();
        assert_eq!(Marks::load(&path).unwrap(), marks);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"current\": 9"), "{text}");
    }
}
