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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use uuid::Uuid;

use crate::ProjectionError;
use crate::model::{BillingRow, CustomerEntry, KeyAccessRow, MonthTotals, ReadModel, Rows};

/// Bumped whenever what the projections hold or how they are laid out changes: a
/// database of another version is emptied and rebuilt from the log.
pub const PROJECTION_SCHEMA_VERSION: i32 = 1;

/// Committed customer states kept decoded in memory.
const CACHE_ENTRIES: usize = 20_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, version INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS subscription_index (
    subscription_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS transfer_index (
    transfer_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS billing_lines (
    position INTEGER PRIMARY KEY, at TEXT NOT NULL, customer_id TEXT NOT NULL,
    partner_id TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS billing_by_partner ON billing_lines (partner_id, position);
CREATE INDEX IF NOT EXISTS billing_by_customer ON billing_lines (customer_id, position);
CREATE TABLE IF NOT EXISTS billing_totals (
    customer_id TEXT NOT NULL, partner_id TEXT NOT NULL, month TEXT NOT NULL,
    currency TEXT NOT NULL, charged_minor INTEGER NOT NULL, credited_minor INTEGER NOT NULL,
    lines INTEGER NOT NULL, PRIMARY KEY (customer_id, partner_id, month, currency)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_access (
    position INTEGER PRIMARY KEY, at TEXT NOT NULL, partner_id TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS key_access_by_partner ON key_access (partner_id, position);
CREATE TABLE IF NOT EXISTS state_checkpoints (
    customer_id TEXT NOT NULL, version INTEGER NOT NULL, max_at TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (customer_id, version));
";

const TABLES: [&str; 8] = [
    "meta",
    "customers",
    "subscription_index",
    "transfer_index",
    "billing_lines",
    "billing_totals",
    "key_access",
    "state_checkpoints",
];

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

/// Which billing lines to read.
#[derive(Debug, Clone, Default)]
pub struct BillingFilter {
    pub partner_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Only lines after this position (the cursor).
    pub after: u64,
    pub limit: usize,
}

/// Which key-access entries to read.
#[derive(Debug, Clone, Default)]
pub struct KeyAccessFilter {
    pub partner_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub after: u64,
    pub limit: usize,
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
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != PROJECTION_SCHEMA_VERSION {
            if version != 0 {
                tracing::warn!(
                    path = %path.display(),
                    found = version,
                    expected = PROJECTION_SCHEMA_VERSION,
                    "projection schema changed: rebuilding the projections from the log"
                );
            }
            for t in TABLES {
                conn.execute_batch(&format!("DROP TABLE IF EXISTS {t}"))?;
            }
            conn.execute_batch(SCHEMA)?;
            conn.pragma_update(None, "user_version", PROJECTION_SCHEMA_VERSION)?;
        }
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

    /// Writes a batch atomically with its checkpoint. Refused, writing nothing, if
    /// the stored checkpoint is not `batch.from`.
    pub fn commit(&self, batch: Batch) -> Result<(), ProjectionError> {
        let writer = self.writer.as_ref().ok_or(ProjectionError::ReadOnly)?;
        let mut conn = lock(writer);
        let tx = conn.transaction()?;
        let stored = read_checkpoint(&tx)?;
        if stored.position != batch.from {
            return Err(ProjectionError::CheckpointMoved {
                expected: batch.from,
                found: stored.position,
            });
        }
        {
            let mut put_customer = tx.prepare_cached(
                "INSERT INTO customers (customer_id, version, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT (customer_id) DO UPDATE SET version = excluded.version, data = excluded.data",
            )?;
            for (id, entry) in &batch.customers {
                put_customer.execute(params![
                    id.to_string(),
                    entry.version as i64,
                    serde_json::to_vec(&**entry)?
                ])?;
            }
            let mut put_sub = tx.prepare_cached(
                "INSERT OR IGNORE INTO subscription_index (subscription_id, customer_id) VALUES (?1, ?2)",
            )?;
            for (s, c) in &batch.rows.subscriptions {
                put_sub.execute(params![s.to_string(), c.to_string()])?;
            }
            let mut put_transfer = tx.prepare_cached(
                "INSERT OR IGNORE INTO transfer_index (transfer_id, customer_id) VALUES (?1, ?2)",
            )?;
            for (t, c) in &batch.rows.transfers {
                put_transfer.execute(params![t.to_string(), c.to_string()])?;
            }
            let mut put_line = tx.prepare_cached(
                "INSERT INTO billing_lines (position, at, customer_id, partner_id, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut add_total = tx.prepare_cached(
                "INSERT INTO billing_totals
                   (customer_id, partner_id, month, currency, charged_minor, credited_minor, lines)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
                 ON CONFLICT (customer_id, partner_id, month, currency) DO UPDATE SET
                   charged_minor = charged_minor + excluded.charged_minor,
                   credited_minor = credited_minor + excluded.credited_minor,
                   lines = lines + 1",
            )?;
            for r in &batch.rows.billing {
                put_line.execute(params![
                    r.position as i64,
                    instant_text(r.at),
                    r.line.customer_id.to_string(),
                    r.line.partner_id.to_string(),
                    serde_json::to_vec(r)?
                ])?;
                let (charged, credited) = match r.kind {
                    crate::LineKind::Charge => (r.line.amount.amount_minor, 0),
                    crate::LineKind::Credit => (0, r.line.amount.amount_minor),
                };
                add_total.execute(params![
                    r.line.customer_id.to_string(),
                    r.line.partner_id.to_string(),
                    r.month(),
                    r.line.amount.currency,
                    charged,
                    credited
                ])?;
            }
            let mut put_access = tx.prepare_cached(
                "INSERT INTO key_access (position, at, partner_id, data) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in &batch.rows.key_access {
                put_access.execute(params![
                    r.position as i64,
                    instant_text(r.at),
                    r.partner_id.to_string(),
                    serde_json::to_vec(r)?
                ])?;
            }
            let mut put_state = tx.prepare_cached(
                "INSERT OR REPLACE INTO state_checkpoints (customer_id, version, max_at, data)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in &batch.rows.state_checkpoints {
                let Some(max_at) = c.entry.max_at else {
                    continue;
                };
                put_state.execute(params![
                    c.customer_id.to_string(),
                    c.entry.version as i64,
                    instant_text(max_at),
                    serde_json::to_vec(&c.entry)?
                ])?;
            }
            let mut put_meta = tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?;
            put_meta.execute(params!["position", batch.to.position.to_string()])?;
            if let Some(at) = batch.to.at {
                put_meta.execute(params!["at", instant_text(at)])?;
            }
        }
        tx.commit()?;
        drop(conn);
        for (id, entry) in batch.customers {
            self.remember(id, entry);
        }
        Ok(())
    }

    /// Rows stored as JSON in a `data` column, decoded, in the query's order.
    fn decoded<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<T>, ProjectionError> {
        let blobs: Vec<Vec<u8>> = self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(params, |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        blobs
            .iter()
            .map(|b| serde_json::from_slice(b).map_err(Into::into))
            .collect()
    }

    /// Billing lines in log order.
    pub fn billing_lines(&self, f: &BillingFilter) -> Result<Vec<BillingRow>, ProjectionError> {
        self.decoded(
            "SELECT data FROM billing_lines
             WHERE position > ?1
               AND (?2 IS NULL OR partner_id = ?2)
               AND (?3 IS NULL OR customer_id = ?3)
               AND (?4 IS NULL OR at >= ?4)
               AND (?5 IS NULL OR at < ?5)
             ORDER BY position LIMIT ?6",
            params![
                f.after as i64,
                f.partner_id.map(|p| p.to_string()),
                f.customer_id.map(|p| p.to_string()),
                f.from.map(instant_text),
                f.to.map(instant_text),
                i64::try_from(f.limit).unwrap_or(i64::MAX)
            ],
        )
    }

    /// Monthly totals, optionally of one customer and/or partner, in key order.
    pub fn billing_totals(
        &self,
        customer_id: Option<Uuid>,
        partner_id: Option<Uuid>,
    ) -> Result<Vec<MonthTotals>, ProjectionError> {
        type Raw = (String, String, String, String, i64, i64, i64);
        let raw: Vec<Raw> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT customer_id, partner_id, month, currency, charged_minor, credited_minor, lines
                 FROM billing_totals
                 WHERE (?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR partner_id = ?2)
                 ORDER BY customer_id, partner_id, month, currency",
            )?;
            let rows = stmt.query_map(
                params![
                    customer_id.map(|p| p.to_string()),
                    partner_id.map(|p| p.to_string())
                ],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        raw.into_iter()
            .map(|(c, p, month, currency, charged, credited, lines)| {
                Ok(MonthTotals {
                    customer_id: parse_id(&c)?,
                    partner_id: parse_id(&p)?,
                    month,
                    currency,
                    charged_minor: charged,
                    credited_minor: credited,
                    lines: lines as u64,
                })
            })
            .collect()
    }

    /// Key-access entries in log order.
    pub fn key_access(&self, f: &KeyAccessFilter) -> Result<Vec<KeyAccessRow>, ProjectionError> {
        self.decoded(
            "SELECT data FROM key_access
             WHERE position > ?1
               AND (?2 IS NULL OR partner_id = ?2)
               AND (?3 IS NULL OR at >= ?3)
               AND (?4 IS NULL OR at < ?4)
             ORDER BY position LIMIT ?5",
            params![
                f.after as i64,
                f.partner_id.map(|p| p.to_string()),
                f.from.map(instant_text),
                f.to.map(instant_text),
                i64::try_from(f.limit).unwrap_or(i64::MAX)
            ],
        )
    }

    /// The best place to start folding `customer`'s stream to see it as of `at`:
    /// the latest kept state whose events are all at or before `at`, and the
    /// version of the first kept state that is not (the fold stops before it).
    pub fn state_checkpoint(
        &self,
        customer: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(Option<CustomerEntry>, Option<u64>), ProjectionError> {
        let at = instant_text(at);
        let id = customer.to_string();
        let (start, stop): (Option<Vec<u8>>, Option<i64>) = self.read(|c| {
            let start = c
                .prepare_cached(
                    "SELECT data FROM state_checkpoints
                     WHERE customer_id = ?1 AND max_at <= ?2 ORDER BY version DESC LIMIT 1",
                )?
                .query_row(params![id, at], |r| r.get(0))
                .optional()?;
            let stop = c
                .prepare_cached(
                    "SELECT version FROM state_checkpoints
                     WHERE customer_id = ?1 AND max_at > ?2 ORDER BY version LIMIT 1",
                )?
                .query_row(params![id, at], |r| r.get(0))
                .optional()?;
            Ok((start, stop))
        })?;
        let start = start
            .map(|b| serde_json::from_slice::<CustomerEntry>(&b))
            .transpose()?;
        Ok((start, stop.map(|v| v as u64)))
    }

    /// Everything, in memory: to export the persisted projections (and compare
    /// them with a replay).
    pub fn load_model(&self) -> Result<ReadModel, ProjectionError> {
        let (checkpoint, (customers, billing, access)): (Checkpoint, AllRows) = self.read(|c| {
            // One read transaction: the checkpoint and the rows of one commit, even
            // while the runner goes on committing.
            c.execute_batch("BEGIN")?;
            let all = read_all_rows(c);
            // A failed read must not leave the pooled connection inside a transaction.
            c.execute_batch(if all.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            all
        })?;
        let mut model = ReadModel::new(None);
        model.position = checkpoint.position;
        model.last_at = checkpoint.at;
        for (id, data) in customers {
            let entry: CustomerEntry = serde_json::from_slice(&data)?;
            model.customers.insert(parse_id(&id)?, entry);
        }
        model.rows.billing = billing
            .iter()
            .map(|b| serde_json::from_slice(b))
            .collect::<Result<_, _>>()?;
        model.rows.key_access = access
            .iter()
            .map(|b| serde_json::from_slice(b))
            .collect::<Result<_, _>>()?;
        Ok(model)
    }
}

/// Customers (id, state), billing lines, key-access entries, as stored.
type AllRows = (Vec<(String, Vec<u8>)>, Vec<Vec<u8>>, Vec<Vec<u8>>);

fn read_all_rows(c: &Connection) -> Result<(Checkpoint, AllRows), ProjectionError> {
    let checkpoint = read_checkpoint(c)?;
    let customers = c
        .prepare("SELECT customer_id, data FROM customers")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let billing = c
        .prepare("SELECT data FROM billing_lines ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let access = c
        .prepare("SELECT data FROM key_access ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((checkpoint, (customers, billing, access)))
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
