//! The study folder's lock: `active_data/.mtdata.lock`, an OS file lock that the kernel releases when
//! the process ends (even by SIGKILL). Export holds it for its whole run, and so does decode, so that a
//! decode started while cron exports neither reads a half-finished export nor has its own files
//! cleared by the next one.
//!
//! The holder writes who it is into the file (`mtdata export, pid 4242`), so a command that finds the
//! folder locked can say what it is waiting for.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::layout::StudyLayout;

/// How often a waiting command tries the lock again.
const POLL: Duration = Duration::from_millis(100);

/// A held study lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct StudyLock {
    _file: File,
}

impl StudyLock {
    /// Take the lock of `layout`'s study folder for `holder` (`"mtdata export"`), creating `active_data/`
    /// if needed. When another process holds it, try again for up to `wait` (zero: once), then fail
    /// with [`Error::Locked`], which names the holder.
    pub fn acquire(layout: &StudyLayout, holder: &str, wait: Duration) -> Result<Self> {
        fsutil::ensure_dir(&layout.active_data())?;
        let path = layout.lock_file();
        let mut file = fsutil::private_options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open lock file", &path, e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(POLL.min(wait));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: layout.root().to_owned(),
                        holder: read_holder(&mut file),
                        waited: started.elapsed().as_secs(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::io("cannot lock", &path, e));
                }
            }
        }
        // Who holds it, for the messages of those who wait. Not essential: a failure is ignored.
        let note = format!("{holder}, pid {}\n", std::process::id());
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(note.as_bytes()));
        Ok(StudyLock { _file: file })
    }
}

/// The holder's note (`mtdata export, pid 4242`), or a neutral name when the file has none.
fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let read = file
        .rewind()
        .and_then(|()| file.take(200).read_to_string(&mut text));
    match read.ok().map(|_| text.trim()) {
        Some(note) if !note.is_empty() => crate::names::escaped(note).into_owned(),
        _ => "another mtdata run".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_names_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let layout = StudyLayout::new(dir.path());
        let first = StudyLock::acquire(&layout, "mtdata export", Duration::ZERO).unwrap();
        let started = Instant::now();
        let err = StudyLock::acquire(&layout, "mtdata decode", Duration::from_millis(300))
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(
            err.contains(&format!("mtdata export, pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        StudyLock::acquire(&layout, "mtdata decode", Duration::ZERO).unwrap();
    }
}
