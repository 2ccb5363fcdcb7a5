//! The study folder, laid out as MTData did so existing backups and scripts keep working.
//!
//! ```text
//! PATH/
//!   raw_data/      <Table>_<stamp>.json   byte-exact server responses (never modified)
//!                  mindlogger/<applet id>/ MindLogger applets, answer pages and run files
//!                  girder/                 pages of a MindLogger v1 server's Girder structure, run files
//!   active_data/   benchMark.json         high-water marks (MTData's format, extended)
//!                  backups.json           the last backup of each table (file, size, hash)
//!                  study.json             the study schedule (GET /api/study)
//!                  <Table>.csv            decoded tables
//!   reports/       integrity reports
//!   logs/          one log per command
//!   processed_data/ cleaned_dup_data/  kept rows and the dropped-rows report (MTData's names)
//!                   scored_data/       scored tables, their rules and invalid cells
//!                   wideform_data/     one row per participant
//! ```

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::mindlogger::{AppletId, GirderId};

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

    /// Byte-exact MindLogger documents of one applet (`docs/mindlogger.md`).
    pub fn mindlogger_raw(&self, applet: &AppletId) -> PathBuf {
        self.raw_data().join("mindlogger").join(applet.as_str())
    }

    /// Byte-exact pages of a MindLogger v1 server's Girder structure ([`GirderFile`]).
    pub fn girder_raw(&self) -> PathBuf {
        self.raw_data().join("girder")
    }

    /// Decoded MindLogger tables of one applet.
    pub fn mindlogger_active(&self, applet: &AppletId) -> PathBuf {
        self.active_data().join("mindlogger").join(applet.as_str())
    }

    /// High-water marks, in MTData's file.
    pub fn bench_mark(&self) -> PathBuf {
        self.active_data().join("benchMark.json")
    }

    /// The last backup of each table, so that an unchanged answer is not saved again.
    pub fn last_backups(&self) -> PathBuf {
        self.active_data().join("backups.json")
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

    /// Cleaned, scored and wide tables, in the three [`Processed`] folders.
    pub fn processed_data(&self) -> PathBuf {
        self.root.join("processed_data")
    }

    /// One of the folders of `processed_data/`.
    pub fn processed(&self, folder: Processed) -> PathBuf {
        folder.under(&self.processed_data())
    }

    /// Held while a command changes the study folder, so two cron runs never overlap.
    pub fn lock_file(&self) -> PathBuf {
        self.active_data().join(".mtdata.lock")
    }
}

/// The folders of `processed_data/`, named as MTData named them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Processed {
    /// `cleaned_dup_data/`: kept rows, and the report of the rows duplicates removal dropped.
    CleanedDupData,
    /// `scored_data/`: scored tables, the rule of each score, invalid cells.
    ScoredData,
    /// `wideform_data/`: one row per participant.
    WideformData,
}

impl Processed {
    /// The folder's name.
    pub fn folder_name(self) -> &'static str {
        match self {
            Processed::CleanedDupData => "cleaned_dup_data",
            Processed::ScoredData => "scored_data",
            Processed::WideformData => "wideform_data",
        }
    }

    /// The folder inside `processed_data` (a study's [`StudyLayout::processed_data`], or another
    /// folder a user chose to write into).
    pub fn under(self, processed_data: &Path) -> PathBuf {
        processed_data.join(self.folder_name())
    }
}

/// The time in the name of a file mtdata writes (raw backups, reports, processed tables): one
/// format for all of them, `YYYYMMDDTHHMMSS.ffffffZ` (UTC to the microsecond, so names sort in time
/// and two files of one second never collide). MTData's local-time names stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileStamp {
    /// mtdata's `YYYYMMDDTHHMMSS.ffffffZ` (UTC, microseconds).
    Utc(DateTime<Utc>),
    /// MTData's `%b_%d_%Y_%H_%M_%S` (the lab computer's local time, seconds).
    Legacy(NaiveDateTime),
}

impl FileStamp {
    /// A key that orders stamps in time (legacy local times are taken as they are).
    pub fn sort_key(&self) -> NaiveDateTime {
        match self {
            FileStamp::Utc(t) => t.naive_utc(),
            FileStamp::Legacy(t) => *t,
        }
    }

    /// The stamp for a new file: now, in UTC, to the microsecond.
    pub fn now() -> Self {
        Self::at(Utc::now())
    }

    /// The stamp for a file written at `time` (cut to the microsecond).
    pub fn at(time: DateTime<Utc>) -> Self {
        FileStamp::Utc(chrono::SubsecRound::trunc_subsecs(time, 6))
    }

    /// Read a stamp in either format.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, UTC_FORMAT) {
            return Some(FileStamp::Utc(t.and_utc()));
        }
        NaiveDateTime::parse_from_str(text, LEGACY_FORMAT)
            .ok()
            .map(FileStamp::Legacy)
    }

    /// The text used in file names.
    pub fn format(&self) -> String {
        match self {
            FileStamp::Utc(t) => t.format("%Y%m%dT%H%M%S%.6fZ").to_string(),
            FileStamp::Legacy(t) => t.format(LEGACY_FORMAT).to_string(),
        }
    }
}

const UTC_FORMAT: &str = "%Y%m%dT%H%M%S%.fZ";
const LEGACY_FORMAT: &str = "%b_%d_%Y_%H_%M_%S";

/// The name of an output file: `<name>_<kind>_<stamp>.<ext>` (reports, processed tables), with
/// `name` made safe for a file name (a study's display name or a server block may hold anything).
pub fn output_file_name(name: &str, kind: &str, stamp: &FileStamp, ext: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    let safe = if safe.is_empty() { "study" } else { safe };
    format!("{safe}_{kind}_{}.{ext}", stamp.format())
}

impl PartialOrd for FileStamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FileStamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

/// A raw backup file name: `<Table>_<stamp>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawFileName {
    pub table: String,
    pub stamp: FileStamp,
}

impl RawFileName {
    pub fn new(table: &str, stamp: FileStamp) -> Self {
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
            && let Ok(t) = NaiveDateTime::parse_from_str(stamp, UTC_FORMAT)
            && !table.is_empty()
        {
            return Some(RawFileName::new(table, FileStamp::Utc(t.and_utc())));
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
                FileStamp::Legacy(NaiveDateTime::new(date, time)),
            ));
        }
        None
    }
}

/// A file of `raw_data/mindlogger/<applet id>/`. All files of one export run share its stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MindLoggerFile {
    /// `applet_<stamp>.json` (v2), or `applet_<stamp>_<chunk>.json` (v1, one per chunk of
    /// `GET /applet/{id}`, four digits from `0000`).
    Applet {
        stamp: FileStamp,
        chunk: Option<u32>,
    },
    /// `data_<stamp>_<page>.json`: the run's page number `page` (four digits from `0000`).
    Data { stamp: FileStamp, page: u32 },
    /// `run_<stamp>.json`, written last ([`crate::mindlogger::RunRecord`]).
    Run { stamp: FileStamp },
}

impl MindLoggerFile {
    /// The run the file belongs to.
    pub fn stamp(&self) -> FileStamp {
        match *self {
            MindLoggerFile::Applet { stamp, .. }
            | MindLoggerFile::Data { stamp, .. }
            | MindLoggerFile::Run { stamp } => stamp,
        }
    }

    pub fn file_name(&self) -> String {
        match self {
            MindLoggerFile::Applet { stamp, chunk: None } => {
                format!("applet_{}.json", stamp.format())
            }
            MindLoggerFile::Applet {
                stamp,
                chunk: Some(n),
            } => format!("applet_{}_{n:04}.json", stamp.format()),
            MindLoggerFile::Data { stamp, page } => {
                format!("data_{}_{page:04}.json", stamp.format())
            }
            MindLoggerFile::Run { stamp } => format!("run_{}.json", stamp.format()),
        }
    }

    /// Recognise the names [`MindLoggerFile::file_name`] writes (mtdata's UTC stamps only).
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(".json")?;
        let (kind, rest) = stem.split_once('_')?;
        let stamp_of = |text: &str| match FileStamp::parse(text)? {
            stamp @ FileStamp::Utc(_) => Some(stamp),
            FileStamp::Legacy(_) => None,
        };
        let numbered = |text: &str| -> Option<(FileStamp, u32)> {
            let (stamp, n) = text.rsplit_once('_')?;
            let digits = n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit());
            Some((stamp_of(stamp)?, digits.then(|| n.parse().ok()).flatten()?))
        };
        match kind {
            "run" => Some(MindLoggerFile::Run {
                stamp: stamp_of(rest)?,
            }),
            "data" => numbered(rest).map(|(stamp, page)| MindLoggerFile::Data { stamp, page }),
            "applet" => match numbered(rest) {
                Some((stamp, n)) => Some(MindLoggerFile::Applet {
                    stamp,
                    chunk: Some(n),
                }),
                None => Some(MindLoggerFile::Applet {
                    stamp: stamp_of(rest)?,
                    chunk: None,
                }),
            },
            _ => None,
        }
    }
}

/// The parent whose folders a Girder listing asks for (`GET /folder?parentType=..&parentId=..`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GirderParent {
    Collection(GirderId),
    Folder(GirderId),
    User(GirderId),
}

impl GirderParent {
    /// The `parentType` Girder takes: `collection`, `folder` or `user`.
    pub fn parent_type(&self) -> &'static str {
        match self {
            GirderParent::Collection(_) => "collection",
            GirderParent::Folder(_) => "folder",
            GirderParent::User(_) => "user",
        }
    }

    pub fn id(&self) -> &GirderId {
        match self {
            GirderParent::Collection(id) | GirderParent::Folder(id) | GirderParent::User(id) => id,
        }
    }

    /// The parent of a `parentType` and an id already checked.
    pub fn of_type(parent_type: &str, id: GirderId) -> Option<Self> {
        match parent_type {
            "collection" => Some(GirderParent::Collection(id)),
            "folder" => Some(GirderParent::Folder(id)),
            "user" => Some(GirderParent::User(id)),
            _ => None,
        }
    }
}

/// A file of `raw_data/girder/`: one page of one Girder listing, or the run file. All files of one walk
/// share its stamp; pages are numbered from `0000` per listing. Ids in names are [`GirderId`]s, so a
/// server-supplied id can never make a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GirderFile {
    /// `collection_<stamp>_<page>.json`: `GET /collection`.
    Collections { stamp: FileStamp, page: u32 },
    /// `user_<stamp>_<page>.json`: `GET /user`.
    Users { stamp: FileStamp, page: u32 },
    /// `folder_<stamp>_<parentType>-<parent id>_<page>.json`: `GET /folder?parentType=&parentId=`.
    Folders {
        stamp: FileStamp,
        parent: GirderParent,
        page: u32,
    },
    /// `item_<stamp>_<folder id>_<page>.json`: `GET /item?folderId=`.
    Items {
        stamp: FileStamp,
        folder: GirderId,
        page: u32,
    },
    /// `run_<stamp>.json`, written last ([`crate::mindlogger::GirderRunRecord`]).
    Run { stamp: FileStamp },
}

impl GirderFile {
    /// The walk the file belongs to.
    pub fn stamp(&self) -> FileStamp {
        match self {
            GirderFile::Collections { stamp, .. }
            | GirderFile::Users { stamp, .. }
            | GirderFile::Folders { stamp, .. }
            | GirderFile::Items { stamp, .. }
            | GirderFile::Run { stamp } => *stamp,
        }
    }

    /// The page number, for a page.
    pub fn page(&self) -> Option<u32> {
        match self {
            GirderFile::Collections { page, .. }
            | GirderFile::Users { page, .. }
            | GirderFile::Folders { page, .. }
            | GirderFile::Items { page, .. } => Some(*page),
            GirderFile::Run { .. } => None,
        }
    }

    pub fn file_name(&self) -> String {
        match self {
            GirderFile::Collections { stamp, page } => {
                format!("collection_{}_{page:04}.json", stamp.format())
            }
            GirderFile::Users { stamp, page } => format!("user_{}_{page:04}.json", stamp.format()),
            GirderFile::Folders {
                stamp,
                parent,
                page,
            } => format!(
                "folder_{}_{}-{}_{page:04}.json",
                stamp.format(),
                parent.parent_type(),
                parent.id()
            ),
            GirderFile::Items {
                stamp,
                folder,
                page,
            } => format!("item_{}_{folder}_{page:04}.json", stamp.format()),
            GirderFile::Run { stamp } => format!("run_{}.json", stamp.format()),
        }
    }

    /// Recognise the names [`GirderFile::file_name`] writes (anything else, temporary files included, is
    /// `None`).
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(".json")?;
        let parts: Vec<&str> = stem.split('_').collect();
        let stamp = match FileStamp::parse(parts.get(1)?)? {
            stamp @ FileStamp::Utc(_) => stamp,
            FileStamp::Legacy(_) => return None,
        };
        let page = |text: &str| -> Option<u32> {
            let digits = text.len() >= 4 && text.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| text.parse().ok()).flatten()
        };
        match parts.as_slice() {
            ["run", _] => Some(GirderFile::Run { stamp }),
            ["collection", _, n] => Some(GirderFile::Collections {
                stamp,
                page: page(n)?,
            }),
            ["user", _, n] => Some(GirderFile::Users {
                stamp,
                page: page(n)?,
            }),
            ["folder", _, parent, n] => {
                let (parent_type, id) = parent.split_once('-')?;
                let id = GirderId::parse(id).ok()?;
                Some(GirderFile::Folders {
                    stamp,
                    parent: GirderParent::of_type(parent_type, id)?,
                    page: page(n)?,
                })
            }
            ["item", _, folder, n] => Some(GirderFile::Items {
                stamp,
                folder: GirderId::parse(folder).ok()?,
                page: page(n)?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_names_round_trip() {
        let name = RawFileName::new("DASS21_AS", FileStamp::now());
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
    fn output_names_sort_by_time_and_stay_in_the_folder() {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 2, 3, 4, 5, 6).unwrap();
        let stamp = FileStamp::at(t);
        assert_eq!(
            output_file_name("templeton", "scale_report", &stamp, "csv"),
            "templeton_scale_report_20240203T040506.000000Z.csv"
        );
        assert_eq!(
            output_file_name("../x/y", "client_report", &stamp, "csv"),
            "_x_y_client_report_20240203T040506.000000Z.csv"
        );
        assert_eq!(FileStamp::parse(&stamp.format()), Some(stamp));
        let legacy = FileStamp::parse("Mar_28_2017_14_05_33").unwrap();
        assert_eq!(legacy.format(), "Mar_28_2017_14_05_33");
    }

    #[test]
    fn mindlogger_names_round_trip() {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 2, 3, 4, 5, 6).unwrap();
        let stamp = FileStamp::at(t);
        let files = [
            (
                MindLoggerFile::Applet { stamp, chunk: None },
                "applet_20240203T040506.000000Z.json",
            ),
            (
                MindLoggerFile::Applet {
                    stamp,
                    chunk: Some(1),
                },
                "applet_20240203T040506.000000Z_0001.json",
            ),
            (
                MindLoggerFile::Data { stamp, page: 12 },
                "data_20240203T040506.000000Z_0012.json",
            ),
            (
                MindLoggerFile::Data {
                    stamp,
                    page: 12_345,
                },
                "data_20240203T040506.000000Z_12345.json",
            ),
            (
                MindLoggerFile::Run { stamp },
                "run_20240203T040506.000000Z.json",
            ),
        ];
        for (file, name) in files {
            assert_eq!(file.file_name(), name);
            assert_eq!(MindLoggerFile::parse(name), Some(file), "{name}");
            assert_eq!(file.stamp(), stamp);
        }
        for name in [
            "data_20240203T040506.000000Z.json",
            "data_20240203T040506.000000Z_1.json",
            "run_Mar_28_2017_14_05_33.json",
            "notes_20240203T040506.000000Z.json",
            ".data_20240203T040506.000000Z_0001.json.1.2.mtdata-tmp",
        ] {
            assert_eq!(MindLoggerFile::parse(name), None, "{name}");
        }
        let applet = AppletId::parse_any("5f0e35523477de8b4a528dd0").unwrap();
        let layout = StudyLayout::new("/s");
        assert_eq!(
            layout.mindlogger_raw(&applet),
            Path::new("/s/raw_data/mindlogger/5f0e35523477de8b4a528dd0")
        );
    }

    #[test]
    fn girder_names_round_trip_and_hold_only_checked_ids() {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 2, 3, 4, 5, 6).unwrap();
        let stamp = FileStamp::at(t);
        let id = GirderId::parse("5f0e35523477de8b4a528dd0").unwrap();
        let files = [
            (
                GirderFile::Collections { stamp, page: 0 },
                "collection_20240203T040506.000000Z_0000.json",
            ),
            (
                GirderFile::Users { stamp, page: 12 },
                "user_20240203T040506.000000Z_0012.json",
            ),
            (
                GirderFile::Folders {
                    stamp,
                    parent: GirderParent::Collection(id.clone()),
                    page: 1,
                },
                "folder_20240203T040506.000000Z_collection-5f0e35523477de8b4a528dd0_0001.json",
            ),
            (
                GirderFile::Folders {
                    stamp,
                    parent: GirderParent::User(id.clone()),
                    page: 12_345,
                },
                "folder_20240203T040506.000000Z_user-5f0e35523477de8b4a528dd0_12345.json",
            ),
            (
                GirderFile::Items {
                    stamp,
                    folder: id.clone(),
                    page: 2,
                },
                "item_20240203T040506.000000Z_5f0e35523477de8b4a528dd0_0002.json",
            ),
            (
                GirderFile::Run { stamp },
                "run_20240203T040506.000000Z.json",
            ),
        ];
        for (file, name) in files {
            assert_eq!(file.file_name(), name);
            assert_eq!(GirderFile::parse(name), Some(file.clone()), "{name}");
            assert_eq!(file.stamp(), stamp);
        }
        for name in [
            "collection_20240203T040506.000000Z.json",
            "collection_20240203T040506.000000Z_1.json",
            "folder_20240203T040506.000000Z_group-5f0e35523477de8b4a528dd0_0001.json",
            "folder_20240203T040506.000000Z_folder-..%2F..%2Fetc_0001.json",
            "item_20240203T040506.000000Z_../../etc_0001.json",
            "item_20240203T040506.000000Z_0001.json",
            "run_Mar_28_2017_14_05_33.json",
            ".item_20240203T040506.000000Z_5f0e35523477de8b4a528dd0_0002.json.1.2.mtdata-tmp",
        ] {
            assert_eq!(GirderFile::parse(name), None, "{name}");
        }
        assert_eq!(
            StudyLayout::new("/s").girder_raw(),
            Path::new("/s/raw_data/girder")
        );
    }

    #[test]
    fn processed_folders_have_mtdata_names() {
        let layout = StudyLayout::new("/s");
        assert_eq!(
            layout.processed(Processed::CleanedDupData),
            Path::new("/s/processed_data/cleaned_dup_data")
        );
        assert_eq!(
            Processed::WideformData.under(Path::new("out")),
            Path::new("out/wideform_data")
        );
        assert_eq!(Processed::ScoredData.folder_name(), "scored_data");
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
