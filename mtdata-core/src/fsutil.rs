//! Crash-safe writes: a temporary file in the target folder, fsync, atomic rename, fsync of the folder.
//!
//! After [`AtomicFile::commit`] returns, the file is complete under its final name and survives a
//! power cut; before, the final name holds either nothing or the previous complete version.
//!
//! Everything made here is owner-only on Unix from the moment it exists (files `0600`, folders
//! `0700`): study folders hold participant data, so no file is ever readable by others, not even
//! between its creation and a `chmod`.

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
    /// Fsync and drop from the page cache every [`RELEASE_WINDOW`] bytes ([`AtomicFile::release_while_writing`]).
    release: bool,
    /// Bytes handed to the writer, and how many of them are on disk and out of the page cache.
    written: u64,
    released: u64,
    /// Refuse to replace an existing file at commit (raw backups are never overwritten).
    no_clobber: bool,
    committed: bool,
}

impl AtomicFile {
    /// Start writing `final_path`; an existing file there is replaced at commit.
    pub fn create(final_path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(final_path.into(), false)
    }

    /// Start writing `final_path`; commit fails if a file of that name exists by then.
    pub fn create_new(final_path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(final_path.into(), true)
    }

    fn open(final_path: PathBuf, no_clobber: bool) -> Result<Self> {
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
        let file = private_options()
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .map_err(|e| Error::io("cannot create", &temp_path, e))?;
        Ok(AtomicFile {
            temp_path,
            final_path,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            release: false,
            written: 0,
            released: 0,
            no_clobber,
            committed: false,
        })
    }

    /// For large outputs nothing reads again soon (decoded tables): every [`RELEASE_WINDOW`] bytes, what
    /// is written is fsynced and dropped from the page cache. Raw backups do not: they are read back
    /// right after commit to verify them, and the export that streams them would wait on the disk.
    pub fn release_while_writing(mut self) -> Self {
        self.release = true;
        self
    }

    /// Past every [`RELEASE_WINDOW`] bytes, put what is written on disk and out of the page cache.
    fn release_written(&mut self) -> io::Result<()> {
        if !self.release || self.written - self.released < RELEASE_WINDOW {
            return Ok(());
        }
        let writer = self.writer.as_mut().expect("writer present until commit");
        writer.flush()?;
        writer.get_ref().sync_data()?;
        release_cached(writer.get_ref(), self.written);
        self.released = self.written;
        Ok(())
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
        if self.released > 0 {
            release_cached(&file, self.written);
        }
        drop(file);
        if self.no_clobber {
            link_no_clobber(&self.temp_path, &self.final_path)?;
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

/// The largest `write` call an [`AtomicFile`] makes. A buffer larger than the `BufWriter`'s goes to the
/// kernel in one call, and on Linux 6.x (ext4 with large folios) one `write` of 2 MiB or more copies
/// into the page cache 6-25 times slower than the same bytes in 1 MiB calls (`dd` of 1 GB on the CI
/// machine: 0.28 s at `bs=1M`, 4.4 s at `bs=2M`, 6.9 s at `bs=8M`; docs/benchmarks.md).
const MAX_WRITE: usize = 1 << 19;

/// How much a large file written with [`AtomicFile::release_while_writing`] is written before it is
/// fsynced and dropped from the page cache (the tail under one window stays cached, so small files are
/// untouched). A decode writes a gigabyte of CSV: left
/// in the page cache, it pushes out what the machine was using, and on the CI machine (a VM) writing
/// into fresh page-cache memory was 4-15 times slower than into recycled pages (1 GB: 6.5-14.6 s
/// against 1.6-1.8 s when released every 64 MiB; docs/benchmarks.md). The data is on disk before it
/// is released, so nothing changes for a crash: the file still only gets its name at commit.
const RELEASE_WINDOW: u64 = 64 << 20;

/// Ask the kernel to drop the first `len` bytes of `file` from the page cache (advice: errors ignored).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn release_cached(file: &File, len: u64) {
    let _ = rustix::fs::fadvise(
        file,
        0,
        std::num::NonZeroU64::new(len),
        rustix::fs::Advice::DontNeed,
    );
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn release_cached(_file: &File, _len: u64) {}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let buf = &buf[..buf.len().min(MAX_WRITE)];
        let n = self
            .writer
            .as_mut()
            .expect("writer present until commit")
            .write(buf)?;
        self.written += n as u64;
        self.release_written()?;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        for chunk in buf.chunks(MAX_WRITE) {
            self.writer
                .as_mut()
                .expect("writer present until commit")
                .write_all(chunk)?;
            self.written += chunk.len() as u64;
            self.release_written()?;
        }
        Ok(())
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

/// Give `temp`'s complete, fsynced content the name `target`, failing if `target` exists. A hard link
/// does it in one step. Where the file system takes no hard links (exFAT, SMB shares, FUSE sync
/// folders: EPERM, ENOTSUP, EXDEV, ...), the content is copied into `target` created exclusively, then
/// fsynced; a copy cut short is removed, so `target` never holds part of a file. `temp` stays for the
/// caller to remove.
fn link_no_clobber(temp: &Path, target: &Path) -> Result<()> {
    match hard_link(temp, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(Error::io("cannot create", target, e))
        }
        Err(link_error) => {
            tracing::debug!(
                "cannot hard-link {} ({link_error}); copying it instead",
                target.display()
            );
            copy_no_clobber(temp, target)
        }
    }
}

/// The exclusive-create copy of [`link_no_clobber`].
fn copy_no_clobber(temp: &Path, target: &Path) -> Result<()> {
    let mut out = private_options()
        .write(true)
        .create_new(true)
        .open(target)
        .map_err(|e| Error::io("cannot create", target, e))?;
    let copied = File::open(temp)
        .and_then(|mut source| io::copy(&mut source, &mut out))
        .and_then(|_| out.sync_all());
    if let Err(e) = copied {
        drop(out);
        // Ours: created exclusively above. A partial copy must not stand under the final name.
        let _ = fs::remove_file(target);
        return Err(Error::io("cannot copy into", target, e));
    }
    Ok(())
}

#[cfg(not(test))]
fn hard_link(from: &Path, to: &Path) -> io::Result<()> {
    fs::hard_link(from, to)
}

/// In unit tests, a switch makes every hard link fail as on a file system without them.
#[cfg(test)]
fn hard_link(from: &Path, to: &Path) -> io::Result<()> {
    if tests::NO_HARD_LINKS.get() {
        // EPERM, what Linux answers for a vfat or exFAT folder.
        return Err(io::Error::from_raw_os_error(1));
    }
    fs::hard_link(from, to)
}

/// `OpenOptions` that create files owner-only (`0600` on Unix): for every file of a study folder.
pub fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
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

/// Create `dir` and its parents if missing, owner-only (`0700` on Unix; folders that exist are left
/// as they are).
pub fn ensure_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::io("cannot create folder", dir, e))
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
    use std::cell::Cell;
    use std::io::Write;

    use super::*;

    thread_local! {
        /// Makes [`hard_link`] fail on this thread, as on exFAT.
        pub(super) static NO_HARD_LINKS: Cell<bool> = const { Cell::new(false) };
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        std::os::unix::fs::PermissionsExt::mode(&fs::metadata(path).unwrap().permissions()) & 0o777
    }

    #[test]
    fn without_hard_links_a_backup_is_copied_and_still_never_overwrites() {
        NO_HARD_LINKS.set(true);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("OA.json");
        let mut file = AtomicFile::create_new(&path).unwrap();
        file.write_all(b"[{\"id\":1}]").unwrap();
        assert_eq!(file.commit().unwrap(), path);
        assert_eq!(fs::read(&path).unwrap(), b"[{\"id\":1}]");
        // The temporary file is gone: only the backup is left.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let mut again = AtomicFile::create_new(&path).unwrap();
        again.write_all(b"[]").unwrap();
        let err = again.commit().unwrap_err();
        assert!(
            matches!(&err, Error::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
            "{err:?}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"[{\"id\":1}]");
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 0);
        NO_HARD_LINKS.set(false);
    }

    #[test]
    fn a_copy_that_fails_leaves_no_final_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("OA.json");
        // The source is missing: the copy fails after the target was created.
        let err = copy_no_clobber(&dir.path().join("gone"), &target).unwrap_err();
        assert!(err.to_string().starts_with("cannot copy into"), "{err}");
        assert!(!target.exists());
    }

    #[cfg(unix)]
    #[test]
    fn files_and_folders_are_owner_only_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("study/raw_data");
        ensure_dir(&folder).unwrap();
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&dir.path().join("study")), 0o700);
        let replaced = folder.join("benchMark.json");
        write_atomic(&replaced, b"{}").unwrap();
        assert_eq!(mode(&replaced), 0o600);
        let kept = folder.join("OA.json");
        let mut file = AtomicFile::create_new(&kept).unwrap();
        file.write_all(b"[]").unwrap();
        file.commit().unwrap();
        assert_eq!(mode(&kept), 0o600);
    }

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
    fn a_file_past_the_release_window_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let mut file = AtomicFile::create(&path).unwrap().release_while_writing();
        // Odd-sized parts, so windows end inside a part and inside the BufWriter's buffer.
        let part: Vec<u8> = (0..999_983u32).map(|i| (i % 251) as u8).collect();
        let parts = (RELEASE_WINDOW as usize * 2) / part.len() + 3;
        for _ in 0..parts {
            file.write_all(&part).unwrap();
        }
        file.write_all(b"end").unwrap();
        assert!(file.released >= 2 * RELEASE_WINDOW - part.len() as u64);
        file.commit().unwrap();
        let read = fs::read(&path).unwrap();
        assert_eq!(read.len(), parts * part.len() + 3);
        assert!(
            read.chunks(part.len())
                .take(parts)
                .all(|chunk| chunk == part.as_slice())
        );
        assert!(read.ends_with(b"end"));

        // Without it (raw backups), nothing is released.
        let mut kept = AtomicFile::create(dir.path().join("raw.json")).unwrap();
        for _ in 0..parts {
            kept.write_all(&part).unwrap();
        }
        assert_eq!(kept.released, 0);
        kept.commit().unwrap();
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
        let mut file = AtomicFile::create(folder.join("x.csv")).unwrap();
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
