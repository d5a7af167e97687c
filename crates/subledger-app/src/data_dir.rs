//! The data directory a server (or `exec`) writes: claimed by one process at a time.
//!
//! The log has its own lock (`events.db.lock`), but a node keeps more than the log
//! there (read models, the seal, the key vault, the signing key), whatever store
//! holds the log: two processes writing those would corrupt them quietly. So the
//! whole directory is claimed first, before anything in it is opened, with an
//! advisory lock on `serve.lock` that the kernel releases when the process dies.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The file whose lock claims a data directory; it holds the claimant's pid.
pub const LOCK_FILE: &str = "serve.lock";

/// Why a data directory cannot be claimed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "the data directory {dir} does not exist, nor does its parent: create the parent \
         first (a typo here would start an empty ledger), or pass another --data-dir"
    )]
    NoParent { dir: PathBuf },
    #[error("{dir} is not a directory: pass a directory as --data-dir")]
    NotADirectory { dir: PathBuf },
    #[error(
        "the data directory {dir} is not writable: the server writes its log, read models \
         and seal there; make it writable or pass another --data-dir"
    )]
    NotWritable {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the data directory {dir} is already in use by {holder} (it holds {lock}): one \
         process writes a data directory at a time; stop that one first, or pass another \
         --data-dir"
    )]
    InUse {
        dir: PathBuf,
        holder: String,
        lock: PathBuf,
    },
    #[error("cannot use the data directory {dir}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A claimed data directory: released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DataDirClaim {
    dir: PathBuf,
    /// Whether the claim made the directory (a new, empty ledger).
    created: bool,
    _lock: File,
}

impl DataDirClaim {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn created(&self) -> bool {
        self.created
    }
}

fn is_not_writable(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
    )
}

/// Claims `dir` for writing: makes it if it is missing but its parent exists (never
/// a chain of directories: a mistyped path should fail, not start an empty ledger),
/// refuses a file, a directory this process cannot write, and one another process
/// has claimed.
pub fn claim(dir: &Path) -> Result<DataDirClaim, DataDirError> {
    let io = |source| DataDirError::Io {
        dir: dir.to_owned(),
        source,
    };
    let mut created = false;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(DataDirError::NotADirectory {
                dir: dir.to_owned(),
            });
        }
        Err(e) if e.kind() == ErrorKind::NotFound => match std::fs::create_dir(dir) {
            Ok(()) => created = true,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(DataDirError::NoParent {
                    dir: dir.to_owned(),
                });
            }
            Err(e) if is_not_writable(&e) => {
                return Err(DataDirError::NotWritable {
                    dir: dir.to_owned(),
                    source: e,
                });
            }
            Err(e) => return Err(io(e)),
        },
        Err(e) => return Err(io(e)),
    }
    let lock_path = dir.join(LOCK_FILE);
    let mut lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(|e| {
            if is_not_writable(&e) {
                DataDirError::NotWritable {
                    dir: dir.to_owned(),
                    source: e,
                }
            } else {
                io(e)
            }
        })?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = lock.read_to_string(&mut pid);
            let holder = match pid.trim().parse::<u32>() {
                Ok(pid) => format!("process {pid}"),
                Err(_) => "another process".to_owned(),
            };
            return Err(DataDirError::InUse {
                dir: dir.to_owned(),
                holder,
                lock: lock_path,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    // Who holds it, for the next one who asks. A full disk here is not a reason to
    // refuse: the lock is what counts.
    let _ = lock
        .set_len(0)
        .and_then(|()| lock.rewind())
        .and_then(|()| writeln!(lock, "{}", std::process::id()))
        .and_then(|()| lock.flush());
    Ok(DataDirClaim {
        dir: dir.to_owned(),
        created,
        _lock: lock,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_claimed_once_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let first = claim(&dir).unwrap();
        assert!(first.created());
        let again = claim(&dir).unwrap_err();
        let message = again.to_string();
        assert!(
            matches!(again, DataDirError::InUse { .. })
                && message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        drop(first);
        let second = claim(&dir).unwrap();
        assert!(!second.created());
    }

    #[test]
    fn a_missing_parent_and_a_file_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let nested = tmp.path().join("no-such-parent").join("data");
        assert!(matches!(
            claim(&nested).unwrap_err(),
            DataDirError::NoParent { .. }
        ));
        assert!(!nested.parent().unwrap().exists(), "nothing was made");
        let file = tmp.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            claim(&file).unwrap_err(),
            DataDirError::NotADirectory { .. }
        ));
    }
}
