//! SQLite backend (the default).
//!
//! * WAL mode; durable commits (`synchronous=FULL`) unless configured otherwise.
//! * One writer thread doing group commit (see [`writer`](self::writer)); positions are
//!   assigned by that single writer as `max(position) + 1`, so they are gap-free and in
//!   commit order.
//! * A small pool of read-only connections for reads and subscriptions.
//! * `PRAGMA user_version` schema version with forward-only migrations, and an
//!   integrity check at open.
//! * A lock file next to the database so that two processes never write the same file
//!   (positions are assigned in memory by the writer).

mod checkpoint;
mod config;
mod reader;
mod requests;
mod scan;
mod schema;
mod writer;

use std::fs::OpenOptions;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, watch};

pub use config::{SqliteConfig, Synchronous};
pub use scan::{RecordRef, Scanner};
pub use schema::{IntegrityCheck, IntegrityReport, SCHEMA_VERSION};

use crate::subscription::{PageReader, catch_up};
use crate::types::{validate_claims, validate_stream};
use crate::{
    AppendResult, EventStore, EventStream, ExpectedVersion, NewEvent, RecordedEvent, Result,
    Snapshot, StoreError, validate_append,
};
use reader::ReadPool;
use writer::{AppendRequest, Command, SnapshotRequest, Writer, WriterLimits};

struct Inner {
    tx: Option<mpsc::Sender<Command>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Arc<ReadPool>,
    head: watch::Receiver<u64>,
    path: PathBuf,
    /// Opened with [`SqliteStore::open_read_only`]: no writer, no lock.
    read_only: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue stops the writer after its current batch; joining it releases
        // the database and its lock file before the store counts as closed.
        drop(self.tx.take());
        if let Some(h) = self.writer.lock().ok().and_then(|mut g| g.take()) {
            let _ = h.join();
        }
    }
}

/// The SQLite [`EventStore`]. Cheap to clone; the database closes when the last clone
/// (and the last subscription) is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

/// Opens the SQLite database at `path` with `flags` (read-only ones) for reading.
///
/// A WAL database can only be read beside its `-shm` file, which SQLite creates when
/// it is missing (a log whose server stopped cleanly has none). On a read-only
/// filesystem, a backup or snapshot an auditor mounted, it cannot, and nobody can be
/// writing the database there either: then it is opened immutable, read as it is.
pub fn open_for_reading(path: &Path, flags: rusqlite::OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    match conn.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0)) {
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::CannotOpen => {
            drop(conn);
            Connection::open_with_flags(
                format!("file:{}?immutable=1", uri_path(path)),
                flags | rusqlite::OpenFlags::SQLITE_OPEN_URI,
            )
        }
        _ => Ok(conn),
    }
}

/// `path` as the path of a `file:` URI: every byte but the unreserved ones and `/`
/// percent-encoded.
fn uri_path(path: &Path) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with durable defaults.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        Self::open_with(SqliteConfig::new(path))
    }

    /// Opens with an explicit configuration: takes the lock file, migrates, runs the
    /// integrity check, then starts the writer thread and the read pool.
    pub fn open_with(config: SqliteConfig) -> Result<Self> {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(&config.path))?;
        lock.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => StoreError::Unavailable(
                format!("{} is open in another process", config.path.display()).into(),
            ),
            std::fs::TryLockError::Error(e) => e.into(),
        })?;
        let mut conn = Connection::open(&config.path)?;
        // Only takes effect while the file is still empty, i.e. before WAL is switched on.
        conn.pragma_update(None, "page_size", config.page_size)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(
                format!("could not switch to WAL (journal_mode={mode})").into(),
            ));
        }
        conn.pragma_update(None, "synchronous", config.synchronous.pragma())?;
        conn.pragma_update(None, "cache_size", -i64::from(config.cache_size_kib))?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Most checkpoint work runs in the background (see `checkpoint`); this one lets
        // the WAL restart (and be reused) once it holds 16384 pages.
        conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
        conn.pragma_update(None, "journal_size_limit", 64i64 << 20)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(32);
        let from = schema::migrate(&mut conn)?;
        let report = schema::check(&conn, config.integrity_check)?;
        tracing::info!(
            path = %config.path.display(),
            from_schema = from,
            schema = report.schema_version,
            head = report.last_position,
            check = ?config.integrity_check,
            "sqlite store opened"
        );
        let readers = Arc::new(ReadPool::new(
            config.path.clone(),
            config.read_connections,
            i64::from(config.cache_size_kib),
            config.mmap_size,
        )?);
        let (kick_tx, kick_rx) = std::sync::mpsc::sync_channel(1);
        let checkpointer = checkpoint::open(&config.path, config.synchronous.pragma())?;
        std::thread::Builder::new()
            .name("subledger-sqlite-checkpoint".into())
            .spawn(move || checkpoint::run(checkpointer, kick_rx))?;
        let (head_tx, head_rx) = watch::channel(report.last_position);
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        let writer = Writer::new(
            conn,
            head_tx,
            WriterLimits {
                max_batch_commands: config.max_batch_commands.max(1),
                max_batch_bytes: config.max_batch_bytes.max(1),
            },
            lock,
            kick_tx,
        );
        let handle = std::thread::Builder::new()
            .name("subledger-sqlite-writer".into())
            .spawn(move || writer.run(rx))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                tx: Some(tx),
                writer: Mutex::new(Some(handle)),
                readers,
                head: head_rx,
                path: config.path,
                read_only: false,
            }),
        })
    }

    /// Opens an existing database for reading only, beside a process that may be
    /// writing it: no lock file, no migration, no writer thread; appends and
    /// snapshots are refused. The analysts' and auditors' commands use this, so
    /// they can never write to the log. The head is polled (every 100 ms) so that
    /// subscriptions follow another process's writes.
    pub fn open_read_only(path: impl Into<PathBuf>) -> Result<Self> {
        let path: PathBuf = path.into();
        if !path.is_file() {
            return Err(StoreError::Unavailable(
                format!("no event store at {}", path.display()).into(),
            ));
        }
        let config = SqliteConfig::new(&path);
        let readers = Arc::new(ReadPool::new(
            path.clone(),
            config.read_connections,
            i64::from(config.cache_size_kib),
            config.mmap_size,
        )?);
        let report = {
            let pool = readers.clone();
            let conn = pool.open_connection()?;
            let schema: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if schema > SCHEMA_VERSION {
                return Err(StoreError::IncompatibleSchema(format!(
                    "{} has schema {schema}; this build knows up to {SCHEMA_VERSION}",
                    path.display()
                )));
            }
            if schema == 0 {
                return Err(StoreError::Unavailable(
                    format!("{} is not a subledger event store", path.display()).into(),
                ));
            }
            schema::check(&conn, IntegrityCheck::Skip)?
        };
        let (head_tx, head_rx) = watch::channel(report.last_position);
        let weak = Arc::downgrade(&readers);
        std::thread::Builder::new()
            .name("subledger-sqlite-head".into())
            .spawn(move || poll_head(weak, head_tx))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                tx: None,
                writer: Mutex::new(None),
                readers,
                head: head_rx,
                path,
                read_only: true,
            }),
        })
    }

    /// Full check of the open database: `PRAGMA integrity_check` plus the store's own
    /// invariants (positions 1..=head without gaps, every stream's versions 1..=n).
    pub async fn verify(&self) -> Result<IntegrityReport> {
        self.inner
            .readers
            .with(|c| schema::check(c.connection(), IntegrityCheck::Full))
            .await
    }

    /// Hands a request to the writer and waits for its answer.
    async fn ask<T>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T>>) -> Command,
    ) -> Result<T> {
        if self.inner.read_only {
            return Err(StoreError::Unsupported(format!(
                "writing: {} is open read-only",
                self.inner.path.display()
            )));
        }
        let tx = self
            .inner
            .tx
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("store closed".into()))?;
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("sqlite writer stopped".into());
        tx.send(request(reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Follows the head of a database another process writes, until the store is dropped.
fn poll_head(pool: std::sync::Weak<ReadPool>, head: watch::Sender<u64>) {
    let conn = match pool.upgrade().map(|p| p.open_connection()) {
        Some(Ok(c)) => c,
        _ => return,
    };
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if pool.upgrade().is_none() || head.is_closed() {
            return;
        }
        let last: rusqlite::Result<i64> =
            conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                r.get(0)
            });
        if let Ok(last) = last {
            head.send_if_modified(|h| {
                let moved = (last as u64) > *h;
                if moved {
                    *h = last as u64;
                }
                moved
            });
        }
    }
}

struct Reader(Arc<ReadPool>);

impl PageReader for Reader {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecordedEvent>>> + Send + 'static>> {
        let pool = self.0.clone();
        Box::pin(async move { pool.with(move |c| c.read_all(from, limit)).await })
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult> {
        self.append_claiming(stream, expected, events, &[]).await
    }

    fn supports_claims(&self) -> bool {
        true
    }

    #[tracing::instrument(
        name = "append",
        skip_all,
        fields(backend = "sqlite", stream, expected = %expected, events = events.len(), claims = claims.len())
    )]
    async fn append_claiming(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        claims: &[String],
    ) -> Result<AppendResult> {
        validate_append(stream, &events)?;
        validate_claims(claims)?;
        self.ask(|reply| {
            Command::Append(AppendRequest {
                stream: stream.to_owned(),
                expected,
                events,
                claims: claims.to_vec(),
                reply,
            })
        })
        .await
    }

    async fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<RecordedEvent>> {
        validate_stream(stream)?;
        let stream = stream.to_owned();
        self.inner
            .readers
            .with(move |c| c.read_stream(&stream, from_version))
            .await
    }

    async fn read_stream_limit(
        &self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        validate_stream(stream)?;
        let stream = stream.to_owned();
        self.inner
            .readers
            .with(move |c| c.read_stream_limit(&stream, from_version, limit))
            .await
    }

    async fn find_event(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>> {
        self.inner
            .readers
            .with(move |c| c.find_event(event_id))
            .await
    }

    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.inner
            .readers
            .with(move |c| c.read_all(from_position, limit))
            .await
    }

    async fn subscribe_all(&self, from_position: u64) -> Result<EventStream> {
        Ok(catch_up(
            Reader(self.inner.readers.clone()),
            self.inner.head.clone(),
            from_position,
            2048,
        ))
    }

    /// The committed head as published by the writer: no database round trip.
    async fn last_position(&self) -> Result<u64> {
        Ok(*self.inner.head.borrow())
    }

    async fn stream_version(&self, stream: &str) -> Result<u64> {
        validate_stream(stream)?;
        let stream = stream.to_owned();
        self.inner
            .readers
            .with(move |c| c.stream_version(&stream))
            .await
    }

    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: Bytes,
    ) -> Result<()> {
        validate_stream(stream)?;
        self.ask(|reply| {
            Command::Snapshot(SnapshotRequest {
                stream: stream.to_owned(),
                version,
                schema_version,
                data,
                reply,
            })
        })
        .await
    }

    async fn load_snapshot(&self, stream: &str, schema_version: u32) -> Result<Option<Snapshot>> {
        validate_stream(stream)?;
        let stream = stream.to_owned();
        let snap = self
            .inner
            .readers
            .with(move |c| c.load_snapshot(&stream))
            .await?;
        Ok(snap.filter(|s| s.schema_version == schema_version))
    }
}

#[cfg(test)]
mod tests;
