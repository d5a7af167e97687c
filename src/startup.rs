//! What `serve` checks before it serves: the data directory is its own, no file
//! in it is damaged, and the log still holds everything the files built from it
//! have seen. Each refusal is one line naming the file and what to do; nothing is
//! started (and nothing written) over a damaged or shortened log.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use anyhow::Result;
use subledger_projections::{ProjectionDb, ProjectionError};

/// A file of the data directory that cannot be used as it is.
#[derive(Debug)]
pub struct DamagedFile {
    pub path: PathBuf,
    /// What SQLite (or the check) said.
    pub detail: String,
    /// What the operator can do.
    pub fix: String,
}

impl std::fmt::Display for DamagedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is damaged ({}); nothing was started. {}",
            self.path.display(),
            self.detail,
            self.fix
        )
    }
}

impl StdError for DamagedFile {}

/// Whether `e` (or an error under it) says a database file is damaged, and what it said.
pub fn damage_of(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(rusqlite::Error::SqliteFailure(f, message)) =
            e.downcast_ref::<rusqlite::Error>()
            && matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            )
        {
            return Some(message.clone().unwrap_or_else(|| f.to_string()));
        }
        if let Some(subledger_store::StoreError::Corrupt(failure)) =
            e.downcast_ref::<subledger_store::StoreError>()
        {
            return Some(failure.to_string());
        }
        if let Some(ProjectionError::Corrupt(detail)) = e.downcast_ref::<ProjectionError>() {
            return Some(detail.clone());
        }
        if let Some(subledger_app::keys::KeyVaultError::Damaged(detail)) =
            e.downcast_ref::<subledger_app::keys::KeyVaultError>()
        {
            return Some(detail.clone());
        }
        if let Some(subledger_seal::SealDbError::Damaged { detail, .. }) =
            e.downcast_ref::<subledger_seal::SealDbError>()
        {
            return Some(detail.clone());
        }
        next = e.source();
    }
    None
}

/// `e` as a [`DamagedFile`] of `path` with `fix` when it is damage; else `e` itself.
pub fn or_damaged(e: anyhow::Error, path: &Path, fix: &str) -> anyhow::Error {
    match damage_of(e.as_ref()) {
        Some(detail) => DamagedFile {
            path: path.to_owned(),
            detail,
            fix: fix.to_owned(),
        }
        .into(),
        None => e,
    }
}

pub const EVENTS_FIX: &str = "The log is the ledger: restore events.db from a backup \
     (`subledger verify` checks a restored log against the signed checkpoints); do not \
     delete it, or the ledger starts empty.";
pub const PROJECTIONS_FIX: &str = "The read models are rebuilt from the log: start again \
     with `--rebuild-projections` (the damaged file is kept beside it as \
     projections.db.damaged-<time>).";
pub const KEYS_FIX: &str = "keys.db holds the software keys already revealed, which the \
     log does not: restore it from a backup.";
pub const SEAL_FIX: &str = "Restore seal.db from a backup; or move it aside and the log is \
     sealed again from its first record, losing the checkpoints signed so far (auditors \
     keep the ones they were given, and `subledger verify` checks them).";

/// The projections of `data_dir`, damaged ones refused with the way out; with
/// `rebuild`, the file is first moved aside so the runner rebuilds it from the log.
pub fn open_projections(data_dir: &Path, rebuild: bool) -> Result<ProjectionDb> {
    let path = data_dir.join("projections.db");
    if rebuild {
        move_aside(&path)?;
    }
    ProjectionDb::open(&path).map_err(|e| {
        or_damaged(
            anyhow::Error::new(e).context(format!("opening the projections {}", path.display())),
            &path,
            PROJECTIONS_FIX,
        )
    })
}

/// Renames `path` (and its WAL files) to `<name>.damaged-<unix time>`.
fn move_aside(path: &Path) -> Result<()> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for suffix in ["", "-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let from = PathBuf::from(from);
        if !from.exists() {
            continue;
        }
        let mut to = path.as_os_str().to_owned();
        to.push(format!(".damaged-{stamp}{suffix}"));
        std::fs::rename(&from, &to)
            .map_err(|e| anyhow::anyhow!("moving {} aside to rebuild it: {e}", from.display()))?;
    }
    eprintln!(
        "subledger: moved {} aside; the read models are rebuilt from the log",
        path.display()
    );
    Ok(())
}

/// What the files beside the log have seen of it.
pub struct Beside {
    /// Records sealed in seal.db.
    pub sealed: u64,
    /// The position projections.db has applied.
    pub projected: u64,
}

/// Refuses a log that ends before what was built from it: it was truncated,
/// replaced or lost, and serving it would quietly start over.
pub fn check_log_covers(head: u64, beside: &Beside, log: &str) -> Result<()> {
    let seen = beside.sealed.max(beside.projected);
    if head >= seen {
        return Ok(());
    }
    anyhow::bail!(
        "the log ({log}) ends at position {head}, but seal.db has sealed {} records and \
         projections.db has applied {}: the log was truncated, replaced or lost, and nothing \
         was started over it. Restore the log from a backup (`subledger verify` checks it \
         against the signed checkpoints); if a new, empty ledger is meant, use a new \
         --data-dir",
        beside.sealed,
        beside.projected
    )
}
