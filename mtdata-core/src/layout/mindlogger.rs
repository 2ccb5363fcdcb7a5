//! Where MindLogger backups are, and their file names (`docs/mindlogger.md`, "Raw backups"):
//!
//! ```text
//! PATH/raw_data/mindlogger/<applet id>/
//!   applet_<stamp>.json          the applet document (v1: applet_<stamp>_<n>.json, one per chunk)
//!   data_<stamp>_<page>.json     one page of answers; <page> has four digits from 0000
//!   run_<stamp>.json             written last: the run is complete
//! PATH/active_data/mindlogger/<applet id>/   what decode writes (`crate::decoded::mindlogger`)
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{FileStamp, StudyLayout};

/// The folder of all MindLogger backups, and of each applet's decoded tables, under `raw_data/` and
/// `active_data/`.
pub const FOLDER: &str = "mindlogger";

impl StudyLayout {
    /// `raw_data/mindlogger/`: one folder per applet id.
    pub fn mindlogger_raw(&self) -> PathBuf {
        self.raw_data().join(FOLDER)
    }

    /// `raw_data/mindlogger/<applet id>/`. The id must have been checked (it becomes a path).
    pub fn mindlogger_raw_applet(&self, applet: &str) -> PathBuf {
        self.mindlogger_raw().join(applet)
    }

    /// `active_data/mindlogger/<applet id>/`: the decoded tables of one applet.
    pub fn mindlogger_decoded(&self, applet: &str) -> PathBuf {
        self.active_data().join(FOLDER).join(applet)
    }
}

/// The name of a file in an applet's raw folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RawMindLoggerFile {
    /// `applet_<stamp>.json`, or chunk `n` of a v1 applet: `applet_<stamp>_<n>.json`.
    Applet {
        stamp: FileStamp,
        chunk: Option<u32>,
    },
    /// `data_<stamp>_<page>.json`.
    Data { stamp: FileStamp, page: u32 },
    /// `run_<stamp>.json`.
    Run { stamp: FileStamp },
}

impl RawMindLoggerFile {
    /// The run (or applet download) the file belongs to.
    pub fn stamp(&self) -> &FileStamp {
        match self {
            RawMindLoggerFile::Applet { stamp, .. }
            | RawMindLoggerFile::Data { stamp, .. }
            | RawMindLoggerFile::Run { stamp } => stamp,
        }
    }

    /// The file name.
    pub fn file_name(&self) -> String {
        match self {
            RawMindLoggerFile::Applet { stamp, chunk: None } => {
                format!("applet_{}.json", stamp.format())
            }
            RawMindLoggerFile::Applet {
                stamp,
                chunk: Some(n),
            } => format!("applet_{}_{n}.json", stamp.format()),
            RawMindLoggerFile::Data { stamp, page } => {
                format!("data_{}_{page:04}.json", stamp.format())
            }
            RawMindLoggerFile::Run { stamp } => format!("run_{}.json", stamp.format()),
        }
    }

    /// Recognise a name; anything else (temporary files, notes) is `None`. Only mtdata's UTC stamps occur
    /// here: MindLogger backups never had MTData names.
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(".json")?;
        let utc = |text: &str| match FileStamp::parse(text)? {
            stamp @ FileStamp::Utc(_) => Some(stamp),
            FileStamp::Legacy(_) => None,
        };
        let number = |text: &str| {
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())
                .flatten()
        };
        if let Some(rest) = stem.strip_prefix("run_") {
            return Some(RawMindLoggerFile::Run { stamp: utc(rest)? });
        }
        if let Some(rest) = stem.strip_prefix("data_") {
            let (stamp, page) = rest.rsplit_once('_')?;
            return Some(RawMindLoggerFile::Data {
                stamp: utc(stamp)?,
                page: number(page).filter(|_| page.len() >= 4)?,
            });
        }
        let rest = stem.strip_prefix("applet_")?;
        if let Some(stamp) = utc(rest) {
            return Some(RawMindLoggerFile::Applet { stamp, chunk: None });
        }
        let (stamp, chunk) = rest.rsplit_once('_')?;
        Some(RawMindLoggerFile::Applet {
            stamp: utc(stamp)?,
            chunk: Some(number(chunk)?),
        })
    }
}

/// `run_<stamp>.json`: written after every page of the run is durable. Decode reads only the pages of runs
/// that have one, so a killed export never contributes half a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// `mindlogger-v1` or `mindlogger-v2`.
    pub platform: String,
    /// The applet id.
    pub applet: String,
    /// How many `data_<stamp>_<page>.json` files the run wrote.
    pub pages: u32,
    /// The `fromDate` the run asked for (v2), if any.
    #[serde(default)]
    pub from_date: Option<String>,
    /// Always true in a file the export wrote.
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn stamp() -> FileStamp {
        FileStamp::at(Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap())
    }

    #[test]
    fn names_round_trip() {
        for file in [
            RawMindLoggerFile::Applet {
                stamp: stamp(),
                chunk: None,
            },
            RawMindLoggerFile::Applet {
                stamp: stamp(),
                chunk: Some(2),
            },
            RawMindLoggerFile::Data {
                stamp: stamp(),
                page: 12,
            },
            RawMindLoggerFile::Run { stamp: stamp() },
        ] {
            assert_eq!(RawMindLoggerFile::parse(&file.file_name()), Some(file));
        }
        assert_eq!(
            RawMindLoggerFile::Data {
                stamp: stamp(),
                page: 3
            }
            .file_name(),
            "data_20260304T050607.000000Z_0003.json"
        );
    }

    #[test]
    fn other_files_are_not_backups() {
        for name in [
            "data_20260304T050607.000000Z.json",
            "data_20260304T050607.000000Z_3.json",
            "data_20260304T050607.000000Z_00x1.json",
            "run_Mar_28_2017_14_05_33.json",
            "applet_.json",
            ".data_20260304T050607.000000Z_0001.json.1.2.mtdata-tmp",
            "notes.txt",
        ] {
            assert_eq!(RawMindLoggerFile::parse(name), None, "{name}");
        }
    }

    #[test]
    fn folders() {
        let layout = StudyLayout::new("/s");
        assert_eq!(
            layout.mindlogger_raw_applet("abc"),
            PathBuf::from("/s/raw_data/mindlogger/abc")
        );
        assert_eq!(
            layout.mindlogger_decoded("abc"),
            PathBuf::from("/s/active_data/mindlogger/abc")
        );
    }
}
