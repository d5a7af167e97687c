//! The read models persisted in SQLite (`projections.db` next to the log).
//!
//! One transaction per batch writes the batch's rows, the customer states it
//! changed and the new checkpoint (the global position applied), and checks that
//! the checkpoint it starts from is still the stored one: a crash between batches
//! resumes from the last commit, and a batch is never applied twice. The database
//! can be thrown away at any time: it is rebuilt from the log (and it is, when its
//! schema version is not this build's).
//!
//! Committed customer states are also kept in memory (a bounded cache of
//! `Arc`s), so the API's reads of a hot customer do not decode its state again.
//!
//! Here: opening, the reader pool, the cache and the lookups by id; `schema`: the
//! tables and their version; `commit`: writing a batch, table by table;
//! `queries`: the filtered reads, time-travel starts and the whole model at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use uuid::Uuid;

mod commit;
mod queries;
mod schema;

use crate::ProjectionError;
use crate::model::{CustomerEntry, Rows};

pub use queries::{
    BillingFilter, CustomerFilter, CustomerListing, HistoryFilter, KeyAccessDay, KeyAccessFilter,
};
pub use schema::PROJECTION_SCHEMA_VERSION;

/// Committed customer states kept decoded in memory.
const CACHE_ENTRIES: usize = 20_000;

/// How far the projections have applied the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// The global position of the last event applied (0: nothing yet).
    pub position: u64,
    /// The latest instant among the events applied.
    pub at: Option<DateTime<Utc>>,
}

/// One transaction's worth of applied events.
#[derive(Debug, Default)]
pub struct Batch {
    /// The checkpoint the batch was applied on top of.
    pub from: u64,
    /// The checkpoint after it.
    pub to: Checkpoint,
    /// The customers it changed, as they are after it.
    pub customers: Vec<(Uuid, Arc<CustomerEntry>)>,
    pub rows: Rows,
}

/// The persisted projections.
pub struct ProjectionDb {
    path: PathBuf,
    /// `None` when opened read-only.
    writer: Option<Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    cache: Mutex<HashMap<Uuid, Arc<CustomerEntry>>>,
}

impl std::fmt::Debug for ProjectionDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectionDb")
            .field("path", &self.path)
            .field("read_only", &self.writer.is_none())
            .finish()
    }
}

/// Instants are stored as fixed-width RFC 3339 text, so text order is time order.
pub fn instant_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Instants to the nanosecond, fixed width (RFC 3339, nine fractional digits),
/// where a filter compares them with an instant a caller gives: an event a
/// fraction of a microsecond after it must not count as at it.
pub fn exact_instant_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, ProjectionError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ProjectionError::Corrupt(format!("instant {s:?}: {e}")))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every guarded value is valid between statements, so a poisoned lock is usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn parse_id(s: &str) -> Result<Uuid, ProjectionError> {
    s.parse()
        .map_err(|e| ProjectionError::Corrupt(format!("id {s:?}: {e}")))
}

impl ProjectionDb {
    /// Opens (creating if needed) the projections at `path` for the runner. A
    /// database of another schema version is emptied, to be rebuilt from the log.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ProjectionError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        // The projections can always be rebuilt from the log, so a commit need not
        // reach the disk before the runner goes on; WAL keeps every commit atomic.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -16_384i64)?;
        // A damaged file stops the server at start (it can be rebuilt from the log)
        // instead of failing reads later.
        let check: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(ProjectionError::Corrupt(format!(
                "SQLite's quick check: {check}"
            )));
        }
        schema::ensure(&conn, &path)?;
        Ok(ProjectionDb {
            path,
            writer: Some(Mutex::new(conn)),
            readers: Mutex::new(Vec::new()),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Opens existing projections for reading only (the offline tools). `None` when
    /// there are none, or they are of another schema version (they would be rebuilt
    /// by the next `serve`; a reader just does without them).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Option<Self>, ProjectionError> {
        let path = path.as_ref().to_path_buf();
        if !path.is_file() {
            return Ok(None);
        }
        let db = ProjectionDb {
            path,
            writer: None,
            readers: Mutex::new(Vec::new()),
            cache: Mutex::new(HashMap::new()),
        };
        let conn = db.reader()?;
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        db.give_back(conn);
        Ok((version == PROJECTION_SCHEMA_VERSION).then_some(db))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn reader(&self) -> Result<Connection, ProjectionError> {
        if let Some(c) = lock(&self.readers).pop() {
            return Ok(c);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "cache_size", -8_192i64)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = lock(&self.readers);
        if idle.len() < 8 {
            idle.push(conn);
        }
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ProjectionError>,
    ) -> Result<T, ProjectionError> {
        let conn = self.reader()?;
        let r = f(&conn);
        self.give_back(conn);
        r
    }

    /// The position applied and the latest instant seen.
    pub fn checkpoint(&self) -> Result<Checkpoint, ProjectionError> {
        self.read(read_checkpoint)
    }

    /// A customer's committed read model.
    pub fn customer(&self, id: Uuid) -> Result<Option<Arc<CustomerEntry>>, ProjectionError> {
        if let Some(e) = lock(&self.cache).get(&id) {
            return Ok(Some(e.clone()));
        }
        let loaded: Option<Vec<u8>> = self.read(|c| {
            Ok(
                c.prepare_cached("SELECT data FROM customers WHERE customer_id = ?1")?
                    .query_row([id.to_string()], |r| r.get(0))
                    .optional()?,
            )
        })?;
        let Some(bytes) = loaded else {
            return Ok(None);
        };
        let entry: Arc<CustomerEntry> = Arc::new(serde_json::from_slice(&bytes)?);
        self.remember(id, entry.clone());
        Ok(Some(entry))
    }

    /// Keeps the newer of what the cache holds and `entry` (a reader may have read
    /// the database just before a commit that the cache already has).
    fn remember(&self, id: Uuid, entry: Arc<CustomerEntry>) {
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_ENTRIES && !cache.contains_key(&id) {
            cache.clear();
        }
        match cache.get(&id) {
            Some(held) if held.version >= entry.version => {}
            _ => {
                cache.insert(id, entry);
            }
        }
    }

    /// The customer whose stream holds this subscription.
    pub fn customer_of_subscription(&self, id: Uuid) -> Result<Option<Uuid>, ProjectionError> {
        self.index_lookup(
            "SELECT customer_id FROM subscription_index WHERE subscription_id = ?1",
            id,
        )
    }

    /// The customer whose stream holds this transfer.
    pub fn customer_of_transfer(&self, id: Uuid) -> Result<Option<Uuid>, ProjectionError> {
        self.index_lookup(
            "SELECT customer_id FROM transfer_index WHERE transfer_id = ?1",
            id,
        )
    }

    fn index_lookup(&self, sql: &str, id: Uuid) -> Result<Option<Uuid>, ProjectionError> {
        let found: Option<String> = self.read(|c| {
            Ok(c.prepare_cached(sql)?
                .query_row([id.to_string()], |r| r.get(0))
                .optional()?)
        })?;
        found.as_deref().map(parse_id).transpose()
    }
}

fn read_checkpoint(c: &Connection) -> Result<Checkpoint, ProjectionError> {
    let get = |key: &str| -> Result<Option<String>, ProjectionError> {
        Ok(c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    };
    let position = match get("position")? {
        Some(p) => p
            .parse()
            .map_err(|e| ProjectionError::Corrupt(format!("checkpoint {p:?}: {e}")))?,
        None => 0,
    };
    let at = get("at")?.as_deref().map(parse_instant).transpose()?;
    Ok(Checkpoint { position, at })
}
