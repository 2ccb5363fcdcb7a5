//! High-water marks in MTData's `active_data/benchMark.json`.
//!
//! MTData wrote `{"<Table>": {"current": <max id>, "deleteable": <bool>}}` (and, before that,
//! `{"<Table>": <max id>}`). Both are read; the first is written, with an optional `after` date
//! for servers that take `?after=`, so MTData can still read what mtdata writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The mark of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The highest row id held in a verified backup.
    pub current: i64,
    pub deleteable: bool,
    /// The newest row date (server time, `yyyy-MM-dd-HH-mm-ss`) held in a verified backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
                after: None
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
            },
        );
        marks.save(&path).unwrap();
        assert_eq!(Marks::load(&path).unwrap(), marks);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"current\": 9"), "{text}");
    }
}
