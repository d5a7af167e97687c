//! How a [`SqliteStore`](super::SqliteStore) is opened: durability, caches, batch limits.

use std::path::PathBuf;

use super::IntegrityCheck;

/// `PRAGMA synchronous` for the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync the WAL on every commit: an acknowledged append survives power loss.
    #[default]
    Full,
    /// fsync only at checkpoints: survives a process crash, may lose the last commits on
    /// power loss. Faster where fsync is slow.
    Normal,
    /// Never fsync. Tests and throwaway data only.
    Off,
}

impl Synchronous {
    pub(super) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        }
    }
}

/// Configuration of [`SqliteStore`]. `SqliteConfig::new(path)` gives durable defaults.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    pub path: PathBuf,
    pub synchronous: Synchronous,
    pub integrity_check: IntegrityCheck,
    /// Number of read connections.
    pub read_connections: usize,
    /// Page cache per connection, KiB.
    pub cache_size_kib: u32,
    /// Memory-mapped I/O size for readers, bytes (0 disables).
    pub mmap_size: u64,
    /// Most commands (appends, snapshots) per group commit.
    pub max_batch_commands: usize,
    /// Most payload bytes per group commit (bounds the latency of a batch).
    pub max_batch_bytes: usize,
    /// Queue depth in front of the writer; a full queue makes appenders wait.
    pub queue_depth: usize,
    /// Page size of a *new* database (ignored for an existing one). Small pages make each
    /// commit write less: an event's id-index entry lands wherever its id sorts (callers
    /// choose the ids; nothing makes them arrive in order), and every dirty page goes to
    /// the WAL whole.
    pub page_size: u32,
}

impl SqliteConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteConfig {
            path: path.into(),
            synchronous: Synchronous::Full,
            integrity_check: IntegrityCheck::Quick,
            read_connections: 4,
            cache_size_kib: 8 * 1024,
            mmap_size: 1 << 30,
            max_batch_commands: 2048,
            max_batch_bytes: 32 << 20,
            queue_depth: 8192,
            page_size: 2048,
        }
    }

    pub fn synchronous(mut self, s: Synchronous) -> Self {
        self.synchronous = s;
        self
    }

    pub fn integrity_check(mut self, c: IntegrityCheck) -> Self {
        self.integrity_check = c;
        self
    }
}
