//! An applet's raw folder: its applet documents, and the pages of its complete runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mindlogger_model::AppletEncryption;
use mtdata_core::layout::{FileStamp, MindLoggerFile};
use mtdata_core::mindlogger::RunRecord;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::summary::FileProblem;

/// What `raw_data/mindlogger/<applet id>/` holds, read and sorted; pages are read later, in parallel.
#[derive(Debug, Clone)]
pub struct RawApplet {
    /// The applet id (the folder's name).
    pub applet: String,
    pub dir: PathBuf,
    /// The newest applet document (v1 chunks merged), when there is one.
    pub document: Option<AppletDocument>,
    /// Complete runs, oldest first.
    pub runs: Vec<RawRun>,
    /// Runs without a run file (a killed export): their pages are not read.
    pub incomplete_runs: Vec<IncompleteRun>,
    /// Files that could not be read; the rest is decoded.
    pub problems: Vec<FileProblem>,
}

/// One complete run.
#[derive(Debug, Clone)]
pub struct RawRun {
    pub stamp: FileStamp,
    /// Its pages in page order.
    pub pages: Vec<PathBuf>,
}

/// A run whose pages were ignored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncompleteRun {
    pub stamp: String,
    pub pages: usize,
}

/// An applet document, `GET /applet/{id}` (v1) or `GET /applets/{id}` (v2).
#[derive(Debug, Clone, PartialEq)]
pub enum AppletDocument {
    /// The v1 JSON-LD document, chunks' `activities` and `items` merged.
    V1(Value),
    /// The v2 applet (`result` of the response).
    V2(Value),
}

impl AppletDocument {
    /// The applet's encryption, when it has one (`None`: an unencrypted applet).
    pub fn encryption(&self) -> Option<mindlogger_model::Result<AppletEncryption>> {
        match self {
            AppletDocument::V2(applet) => {
                let encryption = applet.get("encryption").filter(|e| !e.is_null())?;
                Some(AppletEncryption::from_v2(encryption))
            }
            AppletDocument::V1(document) => {
                let has = ["applet", "meta"].iter().any(|parent| {
                    document
                        .get(parent)
                        .and_then(|p| p.get("encryption"))
                        .is_some_and(|e| !e.is_null())
                });
                has.then(|| AppletEncryption::from_v1_applet(document))
            }
        }
    }
}

/// Read the folder of one applet: which runs are complete, and the newest applet document.
pub fn read_raw_applet(dir: &Path) -> Result<RawApplet> {
    let list_error = |source| Error::ListRaw {
        path: dir.to_owned(),
        source,
    };
    let applet = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut documents: BTreeMap<FileStamp, Vec<(Option<u32>, PathBuf)>> = BTreeMap::new();
    let mut pages: BTreeMap<FileStamp, Vec<(u32, PathBuf)>> = BTreeMap::new();
    let mut run_files: BTreeMap<FileStamp, PathBuf> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !entry.file_type().map_err(list_error)?.is_file() {
            continue;
        }
        match MindLoggerFile::parse(&name) {
            Some(MindLoggerFile::Applet { stamp, chunk }) => documents
                .entry(stamp)
                .or_default()
                .push((chunk, entry.path())),
            Some(MindLoggerFile::Data { stamp, page }) => {
                pages.entry(stamp).or_default().push((page, entry.path()))
            }
            Some(MindLoggerFile::Run { stamp }) => {
                run_files.insert(stamp, entry.path());
            }
            None => {}
        }
    }
    let mut problems = Vec::new();
    let mut runs = Vec::new();
    let mut incomplete_runs = Vec::new();
    for (stamp, mut run_pages) in pages {
        run_pages.sort();
        let Some(run_file) = run_files.get(&stamp) else {
            incomplete_runs.push(IncompleteRun {
                stamp: stamp.format(),
                pages: run_pages.len(),
            });
            continue;
        };
        match read_run_record(run_file) {
            Ok(record) if record.complete => {
                if record.pages as usize != run_pages.len() {
                    problems.push(FileProblem {
                        file: file_name(run_file),
                        problem: format!(
                            "the run wrote {} pages but {} are in the folder",
                            record.pages,
                            run_pages.len()
                        ),
                        rows_kept: 0,
                    });
                }
                runs.push(RawRun {
                    stamp,
                    pages: run_pages.into_iter().map(|(_, path)| path).collect(),
                });
            }
            Ok(_) => incomplete_runs.push(IncompleteRun {
                stamp: stamp.format(),
                pages: run_pages.len(),
            }),
            Err(problem) => problems.push(FileProblem {
                file: file_name(run_file),
                problem,
                rows_kept: 0,
            }),
        }
    }
    let document = match documents.into_iter().next_back() {
        Some((_, mut chunks)) => {
            chunks.sort();
            read_document(&chunks, &mut problems)
        }
        None => None,
    };
    Ok(RawApplet {
        applet,
        dir: dir.to_owned(),
        document,
        runs,
        incomplete_runs,
        problems,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_run_record(path: &Path) -> std::result::Result<RunRecord, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not a run record: {e}"))
}

/// The document of one stamp: v2 is one file; v1 chunks are merged in chunk order.
fn read_document(
    chunks: &[(Option<u32>, PathBuf)],
    problems: &mut Vec<FileProblem>,
) -> Option<AppletDocument> {
    let mut merged: Option<AppletDocument> = None;
    for (_, path) in chunks {
        let parsed = std::fs::read(path)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|bytes| {
                serde_json::from_slice::<Value>(&bytes).map_err(|e| format!("not JSON: {e}"))
            });
        let value = match parsed {
            Ok(value) => value,
            Err(problem) => {
                problems.push(FileProblem {
                    file: file_name(path),
                    problem,
                    rows_kept: 0,
                });
                continue;
            }
        };
        merged = Some(match (merged, value) {
            (None, Value::Object(mut object)) if object.contains_key("result") => {
                AppletDocument::V2(object.remove("result").unwrap_or_default())
            }
            (None, value) if value.get("encryption").is_some() && value.get("applet").is_none() => {
                AppletDocument::V2(value)
            }
            (None, value) => AppletDocument::V1(value),
            (Some(AppletDocument::V1(mut first)), chunk) => {
                for field in ["activities", "items"] {
                    if let (Some(Value::Object(into)), Some(Value::Object(from))) =
                        (first.get_mut(field), chunk.get(field))
                    {
                        into.extend(from.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
                AppletDocument::V1(first)
            }
            (Some(done), _) => done,
        });
    }
    merged
}
