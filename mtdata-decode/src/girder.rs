//! Read the Girder structure an export saved (`raw_data/girder/`, `GIRDER: true`) back into
//! [`GirderDocuments`], offline: the latest walk that has its run file (a walk without one was interrupted
//! and is never used), every page of it, each document deduplicated by id (a document can appear on two
//! pages when the server's listing shifted while the walk paged through it; the first copy is kept).
//!
//! A page that is not what the server sent (not a JSON array of Girder documents, a document without the
//! fields of its kind) or a page the run file counts but the folder lacks is an error naming the file.
//!
//! ```no_run
//! use mtdata_core::layout::StudyLayout;
//!
//! let loaded = mtdata_decode::girder::load_girder(&StudyLayout::new("/lab/data/ema"))?;
//! println!("{} items in {}", loaded.documents.items.len(), loaded.run_file.display());
//! # Ok::<(), mtdata_decode::Error>(())
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use mindlogger_model::girder::{Collection, Folder, GirderDocuments, Item, User};
use mtdata_core::layout::{FileStamp, GirderFile, StudyLayout};
use mtdata_core::mindlogger::GirderRunRecord;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// The documents of one complete walk.
#[derive(Debug, Clone)]
pub struct LoadedGirder {
    pub documents: GirderDocuments,
    /// The walk's stamp and run file.
    pub stamp: FileStamp,
    pub run_file: PathBuf,
    pub record: GirderRunRecord,
    /// Pages read.
    pub pages: u32,
    /// Copies of documents already read from an earlier page of the walk, dropped.
    pub duplicates: u64,
}

/// The latest complete walk of the study's `raw_data/girder/`.
pub fn load_girder(layout: &StudyLayout) -> Result<LoadedGirder> {
    load_girder_dir(&layout.girder_raw())
}

/// The latest complete walk saved in `dir`.
pub fn load_girder_dir(dir: &Path) -> Result<LoadedGirder> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::ListRaw {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: BTreeMap<FileStamp, Vec<GirderFile>> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ListRaw {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name();
        // Temporary files of an interrupted write and anything else are not pages.
        if let Some(file) = name.to_str().and_then(GirderFile::parse) {
            files.entry(file.stamp()).or_default().push(file);
        }
    }
    let Some((stamp, mut walk)) = files
        .into_iter()
        .rev()
        .find(|(_, walk)| walk.iter().any(|f| matches!(f, GirderFile::Run { .. })))
    else {
        return Err(Error::NoGirderRun {
            dir: dir.to_owned(),
        });
    };
    let run_file = dir.join(GirderFile::Run { stamp }.file_name());
    let record: GirderRunRecord = serde_json::from_slice(&read(&run_file)?)
        .map_err(|e| damaged(&run_file, format!("not a run record ({e})")))?;
    if !record.complete {
        return Err(damaged(
            &run_file,
            "the run record does not say complete".into(),
        ));
    }
    walk.retain(|f| !matches!(f, GirderFile::Run { .. }));
    if walk.len() != record.pages as usize {
        return Err(damaged(
            &run_file,
            format!(
                "the walk saved {} pages and {} are in the folder; a page was removed or added since",
                record.pages,
                walk.len()
            ),
        ));
    }
    walk.sort_by_key(GirderFile::file_name);
    let mut loaded = Documents::default();
    for file in &walk {
        let path = dir.join(file.file_name());
        let bytes = read(&path)?;
        match file {
            GirderFile::Collections { .. } => loaded.add(
                &path,
                &bytes,
                |d| &mut d.collections,
                |c: &Collection| &c.id,
            )?,
            GirderFile::Users { .. } => {
                loaded.add(&path, &bytes, |d| &mut d.users, |u: &User| &u.id)?
            }
            GirderFile::Folders { .. } => {
                loaded.add(&path, &bytes, |d| &mut d.folders, |f: &Folder| &f.id)?
            }
            GirderFile::Items { .. } => {
                loaded.add(&path, &bytes, |d| &mut d.items, |i: &Item| &i.id)?
            }
            GirderFile::Run { .. } => unreachable!("run files were set aside"),
        }
    }
    Ok(LoadedGirder {
        documents: loaded.documents,
        stamp,
        run_file,
        record,
        pages: walk.len() as u32,
        duplicates: loaded.duplicates,
    })
}

#[derive(Default)]
struct Documents {
    documents: GirderDocuments,
    seen: HashSet<(&'static str, String)>,
    duplicates: u64,
}

impl Documents {
    /// The documents of one page, of type `T`, after those read so far.
    fn add<T: DeserializeOwned>(
        &mut self,
        path: &Path,
        bytes: &[u8],
        list: impl Fn(&mut GirderDocuments) -> &mut Vec<T>,
        id: impl Fn(&T) -> &String,
    ) -> Result<()> {
        let kind = std::any::type_name::<T>();
        let values: Vec<Value> = serde_json::from_slice(bytes)
            .map_err(|e| damaged(path, format!("not a JSON array of Girder documents ({e})")))?;
        for (n, value) in values.into_iter().enumerate() {
            let shown_id = value
                .get("_id")
                .and_then(Value::as_str)
                .map(mtdata_core::names::shown)
                .unwrap_or_else(|| "without an _id".into());
            let document: T = serde_json::from_value(value).map_err(|e| {
                damaged(
                    path,
                    format!("document {n} ({shown_id}) cannot be read ({e})"),
                )
            })?;
            if self.seen.insert((kind, id(&document).clone())) {
                list(&mut self.documents).push(document);
            } else {
                self.duplicates += 1;
            }
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| damaged(path, format!("cannot be read ({e})")))
}

fn damaged(path: &Path, message: String) -> Error {
    Error::GirderFile {
        path: path.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "64000000000000000000c001";
    const F1: &str = "64000000000000000000f001";

    fn write(dir: &Path, file: GirderFile, text: &str) {
        std::fs::write(dir.join(file.file_name()), text).unwrap();
    }

    fn run(pages: u32) -> String {
        serde_json::to_string(&GirderRunRecord {
            pages,
            collections: 1,
            folders: 1,
            items: 0,
            users: 0,
            limit: 100,
            refused: Vec::new(),
            complete: true,
        })
        .unwrap()
    }

    #[test]
    fn the_latest_complete_walk_is_read_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        let t = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 1, 0, 0, 0).unwrap();
        let (old, new, killed) = (
            FileStamp::at(t),
            FileStamp::at(t + chrono::Duration::hours(1)),
            FileStamp::at(t + chrono::Duration::hours(2)),
        );
        let collection = format!(r#"[{{"_id":"{C1}","name":"Activity Sets"}}]"#);
        let folder = format!(
            r#"[{{"_id":"{F1}","name":"Set","parentId":"{C1}","parentCollection":"collection"}}]"#
        );
        let id = mtdata_core::mindlogger::GirderId::parse(C1).unwrap();
        let parent = mtdata_core::layout::GirderParent::Collection(id);
        for stamp in [old, new] {
            write(
                dir.path(),
                GirderFile::Collections { stamp, page: 0 },
                &collection,
            );
            write(
                dir.path(),
                GirderFile::Collections { stamp, page: 1 },
                &collection,
            );
            let folders = GirderFile::Folders {
                stamp,
                parent: parent.clone(),
                page: 0,
            };
            write(dir.path(), folders, &folder);
            write(dir.path(), GirderFile::Run { stamp }, &run(3));
        }
        // A later walk that was killed: pages, no run file.
        write(
            dir.path(),
            GirderFile::Collections {
                stamp: killed,
                page: 0,
            },
            "[]",
        );
        let loaded = load_girder_dir(dir.path()).unwrap();
        assert_eq!(loaded.stamp, new);
        assert_eq!(loaded.documents.collections.len(), 1);
        assert_eq!(loaded.documents.folders[0].id, F1);
        assert_eq!((loaded.pages, loaded.duplicates), (3, 1));

        // A damaged page of the latest complete walk is an error naming it.
        let page = GirderFile::Folders {
            stamp: new,
            parent,
            page: 0,
        };
        write(dir.path(), page.clone(), &folder[..folder.len() - 5]);
        let err = load_girder_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&page.file_name()), "{err}");
        assert!(err.contains("not a JSON array"), "{err}");
        write(
            dir.path(),
            page.clone(),
            r#"[{"_id":"x","name":"no parent"}]"#,
        );
        let err = load_girder_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("document 0 (\"x\") cannot be read"), "{err}");
        std::fs::remove_file(dir.path().join(page.file_name())).unwrap();
        let err = load_girder_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("saved 3 pages and 2 are in the folder"),
            "{err}"
        );
    }

    #[test]
    fn no_complete_walk_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_girder_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("GIRDER: true"), "{err}");
        assert!(load_girder_dir(&dir.path().join("missing")).is_err());
    }
}
