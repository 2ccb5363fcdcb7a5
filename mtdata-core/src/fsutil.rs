//! Crash-safe writes: a temporary file in the target folder, fsync, atomic rename, fsync of the folder.
//!
//! After [`AtomicFile::commit`] returns, the file is complete under its final name and survives a
//! power cut; before, the final name holds either nothing or the previous complete version.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// The suffix of temporary files; a crash can leave them behind, and [`remove_stale_temp_files`]
/// clears them (they never hold the only copy of anything).
pub const TEMP_SUFFIX: &str = ".mtdata-tmp";

/// A file being written under a temporary name until [`AtomicFile::commit`].
#[derive(Debug)]
pub struct AtomicFile {
    temp_path: PathBuf,
    final_path: PathBuf,
    writer: Option<BufWriter<File>>,
    /// Refuse to replace an existing file at commit (raw backups are never overwritten).
    no_clobber: bool,
    committed: bool,
}

impl AtomicFile {
    /// Start writing `final_path`; an existing file there is replaced at commit.
    pub fn create(final_path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(final_path.into(), false, false)
    }

    /// [`AtomicFile::create`] for participant data: the file is readable and writable by its owner only
    /// (0600 on Unix) from its first byte.
    pub fn create_private(final_path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(final_path.into(), false, true)
    }

    /// Start writing `final_path`; commit fails if a file of that name exists by then.
    pub fn create_new(final_path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(final_path.into(), true, false)
    }

    fn open(final_path: PathBuf, no_clobber: bool, private: bool) -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = parent(&final_path);
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp_path = dir.join(format!(
            ".{name}.{}.{}{TEMP_SUFFIX}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let file = options
            .open(&temp_path)
            .map_err(|e| Error::io("cannot create", &temp_path, e))?;
        Ok(AtomicFile {
            temp_path,
            final_path,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            no_clobber,
            committed: false,
        })
    }

    /// Where the file will be once committed.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Flush, fsync, rename into place and fsync the folder.
    pub fn commit(mut self) -> Result<PathBuf> {
        let writer = self.writer.take().expect("writer present until commit");
        let file = writer
            .into_inner()
            .map_err(|e| Error::io("cannot write", &self.temp_path, e.into_error()))?;
        file.sync_all()
            .map_err(|e| Error::io("cannot fsync", &self.temp_path, e))?;
        drop(file);
        if self.no_clobber {
            // A hard link fails if the target exists, so a backup is never overwritten.
            fs::hard_link(&self.temp_path, &self.final_path)
                .map_err(|e| Error::io("cannot create", &self.final_path, e))?;
            fs::remove_file(&self.temp_path)
                .map_err(|e| Error::io("cannot remove", &self.temp_path, e))?;
        } else {
            fs::rename(&self.temp_path, &self.final_path)
                .map_err(|e| Error::io("cannot rename into", &self.final_path, e))?;
        }
        self.committed = true;
        sync_dir(parent(&self.final_path))?;
        Ok(self.final_path.clone())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer
            .as_mut()
            .expect("writer present until commit")
            .write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer
            .as_mut()
            .expect("writer present until commit")
            .write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer
            .as_mut()
            .expect("writer present until commit")
            .flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed: the temporary file is abandoned.
            self.writer = None;
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

/// Write `bytes` to `path` atomically, replacing any previous file.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path.as_ref())?;
    file.write_all(bytes)
        .map_err(|e| Error::io("cannot write", path.as_ref(), e))?;
    file.commit()?;
    Ok(())
}

/// fsync a folder so that a rename or a new file in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot fsync folder", dir, e))
}

/// Create `dir` and its parents if missing.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))
}

/// Create `dir` and its parents if missing; on Unix the folders created are owner-only (0700), and `dir`
/// itself is made owner-only if it already existed (it holds participant data).
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder
            .create(dir)
            .map_err(|e| Error::io("cannot create folder", dir, e))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("cannot make owner-only", dir, e))
    }
    #[cfg(not(unix))]
    builder
        .create(dir)
        .map_err(|e| Error::io("cannot create folder", dir, e))
}

/// Remove temporary files that a killed run left in `dir`; returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io("cannot list", dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("cannot list", dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(TEMP_SUFFIX) {
            fs::remove_file(entry.path())
                .map_err(|e| Error::io("cannot remove", entry.path(), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn commit_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"[1]").unwrap();
        write_atomic(&path, b"[2]").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"[2]");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = AtomicFile::create(dir.path().join("a.json")).unwrap();
        file.write_all(b"[").unwrap();
        drop(file);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn create_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        fs::write(&path, b"old").unwrap();
        let mut file = AtomicFile::create_new(&path).unwrap();
        file.write_all(b"new").unwrap();
        assert!(file.commit().is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_folders_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("a/b");
        ensure_private_dir(&folder).unwrap();
        let mut file = AtomicFile::create_private(folder.join("x.csv")).unwrap();
        file.write_all(b"x").unwrap();
        let path = file.commit().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
    }

    #[test]
    fn stale_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(format!(".x.json.1.2{TEMP_SUFFIX}")), b"[").unwrap();
        fs::write(dir.path().join("x.json"), b"[]").unwrap();
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 1);
        assert!(dir.path().join("x.json").exists());
    }
}
