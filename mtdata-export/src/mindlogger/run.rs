//! The files of one export run in `raw_data/mindlogger/<applet id>/` (one stamp for all of them), and the
//! times the marks and the servers speak.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use mtdata_core::fsutil::{self, AtomicFile};
use mtdata_core::layout::{FileStamp, MindLoggerFile};
use mtdata_core::mindlogger::{AppletId, MindLoggerApi, RunRecord};
use xxhash_rust::xxh3::xxh3_128;

use crate::error::{Error, Result};

/// Writes the files of one run: each durable and read back before the call returns.
pub(crate) struct RunFiles {
    folder: PathBuf,
    stamp: FileStamp,
    pages: u32,
}

impl RunFiles {
    /// A run in `folder` (created owner-only: the pages hold participants' answers and secret ids).
    pub fn new(folder: PathBuf) -> Result<Self> {
        create_private_dir(&folder)?;
        Ok(RunFiles {
            folder,
            stamp: FileStamp::now(),
            pages: 0,
        })
    }

    /// Save one chunk of the applet document (`chunk` for v1, `None` for v2's single document).
    pub fn save_applet(&mut self, chunk: Option<u32>, bytes: &[u8]) -> Result<u64> {
        let file = MindLoggerFile::Applet {
            stamp: self.stamp,
            chunk,
        };
        self.save(file, bytes)
    }

    /// Save the next page of answers.
    pub fn save_page(&mut self, bytes: &[u8]) -> Result<u64> {
        let file = MindLoggerFile::Data {
            stamp: self.stamp,
            page: self.pages,
        };
        let written = self.save(file, bytes)?;
        self.pages += 1;
        Ok(written)
    }

    /// Write the run file, after every page: from now on decode uses the run.
    pub fn finish(
        self,
        platform: MindLoggerApi,
        applet: &AppletId,
        from_date: Option<String>,
    ) -> Result<PathBuf> {
        let record = RunRecord {
            platform,
            applet: applet.clone(),
            pages: self.pages,
            from_date,
            complete: true,
        };
        let mut text = serde_json::to_vec_pretty(&record).expect("a run record serializes");
        text.push(b'\n');
        let path = self
            .folder
            .join(MindLoggerFile::Run { stamp: self.stamp }.file_name());
        self.write(&path, &text)?;
        Ok(path)
    }

    fn save(&self, file: MindLoggerFile, bytes: &[u8]) -> Result<u64> {
        self.write(&self.folder.join(file.file_name()), bytes)?;
        Ok(bytes.len() as u64)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        write_durable(path, bytes)
    }
}

/// Write a new file of a run: temporary file, fsync, no-overwrite link, folder fsync, then read back.
pub(crate) fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create_new(path)?;
    file.write_all(bytes)
        .map_err(|source| mtdata_core::Error::Io {
            action: "cannot write",
            path: path.to_owned(),
            source,
        })?;
    file.commit()?;
    let back = std::fs::read(path).map_err(|source| mtdata_core::Error::Io {
        action: "cannot read back",
        path: path.to_owned(),
        source,
    })?;
    match xxh3_128(&back) == xxh3_128(bytes) {
        true => Ok(()),
        false => Err(Error::BackupMismatch {
            path: path.to_owned(),
        }),
    }
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    fsutil::ensure_dir(dir)?;
    fsutil::sync_dir(dir.parent().unwrap_or(dir))?;
    Ok(())
}

/// A time as the servers write it: v1 `created` (`2023-07-02T14:03:11.123000+00:00`), v2 `createdAt`
/// (`2025-06-05T15:50:02.936000`, UTC without a zone), and the marks (`…Z`).
pub(crate) fn parse_server_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// The bound a run asks from: `YYYY-MM-DDTHH:MM:SS` in UTC, cut to the second (earlier, never later),
/// as the v2 admin panel sends `fromDate`.
pub(crate) fn from_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The mark after a complete run: the newest answer time held in a complete run (`…Z`, microseconds), or
/// `None` when the run moved nothing (no answer newer than the previous mark).
pub(crate) fn mark_after(
    previous: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
) -> Option<String> {
    match (previous, newest) {
        (Some(p), Some(n)) if n <= p => None,
        (_, Some(n)) => Some(n.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        (_, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn server_times_and_marks() {
        let t = Utc.with_ymd_and_hms(2023, 7, 2, 14, 3, 11).unwrap()
            + chrono::Duration::microseconds(123_000);
        assert_eq!(
            parse_server_time("2023-07-02T14:03:11.123000+00:00"),
            Some(t)
        );
        assert_eq!(parse_server_time("2023-07-02T14:03:11.123000"), Some(t));
        assert_eq!(parse_server_time("2023-07-02T14:03:11.123000Z"), Some(t));
        assert_eq!(parse_server_time("yesterday"), None);
        assert_eq!(from_date(t), "2023-07-02T14:03:11");
        let mark = mark_after(None, Some(t)).unwrap();
        assert_eq!(mark, "2023-07-02T14:03:11.123000Z");
        assert_eq!(parse_server_time(&mark), Some(t));
        assert_eq!(mark_after(Some(t), Some(t)), None);
        assert_eq!(mark_after(Some(t), None), None);
        let later = t + chrono::Duration::seconds(1);
        assert_eq!(
            mark_after(Some(t), Some(later)),
            Some("2023-07-02T14:03:12.123000Z".into())
        );
    }

    #[test]
    fn a_run_writes_its_pages_then_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir
            .path()
            .join("raw_data/mindlogger/5f0e35523477de8b4a528dd0");
        let applet = AppletId::parse_any("5f0e35523477de8b4a528dd0").unwrap();
        let mut run = RunFiles::new(folder.clone()).unwrap();
        assert_eq!(run.save_applet(Some(0), b"{\"applet\":1}").unwrap(), 12);
        run.save_page(b"{\"responses\":[]}").unwrap();
        run.save_page(b"{\"responses\":[1]}").unwrap();
        let record_path = run
            .finish(
                MindLoggerApi::V1,
                &applet,
                Some("2024-03-01T09:00:00".into()),
            )
            .unwrap();
        let mut names: Vec<MindLoggerFile> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| MindLoggerFile::parse(e.unwrap().file_name().to_str().unwrap()).unwrap())
            .collect();
        names.sort_by_key(MindLoggerFile::file_name);
        let stamp = names[0].stamp();
        assert!(names.iter().all(|f| f.stamp() == stamp));
        assert_eq!(
            names,
            [
                MindLoggerFile::Applet {
                    stamp,
                    chunk: Some(0)
                },
                MindLoggerFile::Data { stamp, page: 0 },
                MindLoggerFile::Data { stamp, page: 1 },
                MindLoggerFile::Run { stamp },
            ]
        );
        let record: RunRecord =
            serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
        assert_eq!((record.pages, record.complete), (2, true));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
    }
}
