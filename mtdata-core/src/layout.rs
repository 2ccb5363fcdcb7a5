//! The study folder, laid out as MTData did so existing backups and scripts keep working.
//!
//! ```text
//! PATH/
//!   raw_data/      <Table>_<stamp>.json   byte-exact server responses (never modified)
//!   active_data/   benchMark.json         high-water marks (MTData's format, extended)
//!                  study.json             the study schedule (GET /api/study)
//!                  <Table>.csv            decoded tables
//!   reports/       integrity reports
//!   logs/          one log per command
//!   processed_data/ cleaned, scored and wide tables
//! ```

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The folders and files of one study (the `PATH` of a server block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyLayout {
    root: PathBuf,
}

impl StudyLayout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StudyLayout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Byte-exact server responses.
    pub fn raw_data(&self) -> PathBuf {
        self.root.join("raw_data")
    }

    /// Decoded tables and export state.
    pub fn active_data(&self) -> PathBuf {
        self.root.join("active_data")
    }

    /// High-water marks, in MTData's file.
    pub fn bench_mark(&self) -> PathBuf {
        self.active_data().join("benchMark.json")
    }

    /// The latest study schedule (`GET /api/study`), so reports run offline.
    pub fn schedule(&self) -> PathBuf {
        self.active_data().join("study.json")
    }

    /// The decoded CSV of one table.
    pub fn decoded_csv(&self, table: &str) -> PathBuf {
        self.active_data().join(format!("{table}.csv"))
    }

    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn processed_data(&self) -> PathBuf {
        self.root.join("processed_data")
    }

    /// Held while a command changes the study folder, so two cron runs never overlap.
    pub fn lock_file(&self) -> PathBuf {
        self.active_data().join(".mtdata.lock")
    }
}

/// When a raw backup was written, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawStamp {
    /// mtdata's `YYYYMMDDTHHMMSS.ffffffZ` (UTC, microseconds).
    Utc(DateTime<Utc>),
    /// MTData's `%b_%d_%Y_%H_%M_%S` (the lab computer's local time, seconds).
    Legacy(NaiveDateTime),
}

impl RawStamp {
    /// A key that orders stamps in time (legacy local times are taken as they are).
    pub fn sort_key(&self) -> NaiveDateTime {
        match self {
            RawStamp::Utc(t) => t.naive_utc(),
            RawStamp::Legacy(t) => *t,
        }
    }

    /// The stamp for a new file: now, in UTC, to the microsecond.
    pub fn now() -> Self {
        RawStamp::Utc(chrono::SubsecRound::trunc_subsecs(Utc::now(), 6))
    }

    /// The text used in file names.
    pub fn format(&self) -> String {
        match self {
            RawStamp::Utc(t) => t.format("%Y%m%dT%H%M%S%.6fZ").to_string(),
            RawStamp::Legacy(t) => t.format("%b_%d_%Y_%H_%M_%S").to_string(),
        }
    }
}

impl PartialOrd for RawStamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RawStamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

/// A raw backup file name: `<Table>_<stamp>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawFileName {
    pub table: String,
    pub stamp: RawStamp,
}

impl RawFileName {
    pub fn new(table: &str, stamp: RawStamp) -> Self {
        RawFileName {
            table: table.to_owned(),
            stamp,
        }
    }

    /// The file name, e.g. `OA_20261122T004512.123456Z.json`.
    pub fn file_name(&self) -> String {
        format!("{}_{}.json", self.table, self.stamp.format())
    }

    /// Recognise mtdata's and MTData's names. The table is whatever precedes the stamp, so
    /// `DD_FU_Mar_28_2017_14_05_33.json` is table `DD_FU`, never `DD`.
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(".json")?;
        if let Some((table, stamp)) = stem.rsplit_once('_')
            && let Ok(t) = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.fZ")
            && !table.is_empty()
        {
            return Some(RawFileName::new(table, RawStamp::Utc(t.and_utc())));
        }
        // MTData: six `_`-separated fields after the table.
        let parts: Vec<&str> = stem.rsplitn(7, '_').collect();
        if parts.len() == 7 && !parts[6].is_empty() {
            let [sec, min, hour, year, day, month] =
                [parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]];
            let date =
                NaiveDate::parse_from_str(&format!("{month} {day} {year}"), "%b %d %Y").ok()?;
            let time =
                chrono::NaiveTime::parse_from_str(&format!("{hour}:{min}:{sec}"), "%H:%M:%S")
                    .ok()?;
            return Some(RawFileName::new(
                parts[6],
                RawStamp::Legacy(NaiveDateTime::new(date, time)),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_names_round_trip() {
        let name = RawFileName::new("DASS21_AS", RawStamp::now());
        let parsed = RawFileName::parse(&name.file_name()).unwrap();
        assert_eq!(parsed, name);
    }

    #[test]
    fn legacy_names_keep_the_whole_table_name() {
        let dd = RawFileName::parse("DD_Mar_28_2017_14_05_33.json").unwrap();
        let dd_fu = RawFileName::parse("DD_FU_Mar_28_2017_14_05_33.json").unwrap();
        assert_eq!(dd.table, "DD");
        assert_eq!(dd_fu.table, "DD_FU");
        assert_eq!(dd.stamp.format(), "Mar_28_2017_14_05_33");
    }

    #[test]
    fn legacy_names_sort_chronologically_not_alphabetically() {
        let apr = RawFileName::parse("OA_Apr_01_2017_00_00_00.json").unwrap();
        let feb = RawFileName::parse("OA_Feb_01_2017_00_00_00.json").unwrap();
        assert!(feb.stamp < apr.stamp);
    }

    #[test]
    fn other_files_are_not_backups() {
        for name in [
            "OA.csv",
            "benchMark.json",
            "OA_.json",
            "_20261122T004512.000001Z.json",
        ] {
            assert_eq!(RawFileName::parse(name), None, "{name}");
        }
    }
}
