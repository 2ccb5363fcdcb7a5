//! Finding the raw backups of each table: exact table names, MTData's and mtdata's file names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mtdata_core::layout::RawFileName;
use mtdata_core::table::TableName;

use crate::error::{Error, Result};

/// One raw backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    pub path: PathBuf,
    pub name: RawFileName,
}

impl RawFile {
    /// A backup at `path`, if its file name is a backup name.
    pub fn from_path(path: impl Into<PathBuf>) -> Option<Self> {
        let path = path.into();
        let name = RawFileName::parse(path.file_name()?.to_str()?)?;
        Some(RawFile { path, name })
    }
}

/// Put backups in the order they were written: by stamp, then by file name (stable for equal stamps).
pub fn sort_files(files: &mut [RawFile]) {
    files.sort_by(|a, b| {
        a.name
            .stamp
            .cmp(&b.name.stamp)
            .then_with(|| a.path.file_name().cmp(&b.path.file_name()))
    });
}

/// Every backup in `raw_dir`, grouped by exact table name and sorted with [`sort_files`].
/// Files that are not backups (`benchMark.json`, temporary files, names that are not safe table names) are skipped.
pub fn list_raw_files(raw_dir: &Path) -> Result<BTreeMap<String, Vec<RawFile>>> {
    let list_error = |source| Error::ListRaw {
        path: raw_dir.to_owned(),
        source,
    };
    let mut tables: BTreeMap<String, Vec<RawFile>> = BTreeMap::new();
    for entry in std::fs::read_dir(raw_dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        if name.starts_with('.') || !entry.file_type().map_err(list_error)?.is_file() {
            continue;
        }
        let Some(raw) = RawFile::from_path(entry.path()) else {
            continue;
        };
        if TableName::new(&raw.name.table).is_err() {
            tracing::warn!(file = %raw.path.display(), "skipping a backup whose table name is not safe");
            continue;
        }
        tables.entry(raw.name.table.clone()).or_default().push(raw);
    }
    for files in tables.values_mut() {
        sort_files(files);
    }
    Ok(tables)
}
