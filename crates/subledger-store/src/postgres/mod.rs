//! PostgreSQL backend: the tested scale-out store (several `subledger serve` nodes on
//! one database).
//!
//! * The driver is `tokio-postgres` (async, the maintained native-protocol client)
//!   behind a `deadpool-postgres` pool: plain SQL with arrays for batch inserts, no
//!   compile-time database needed in CI, and `LISTEN/NOTIFY` as first-class messages.
//! * All tables live in one schema of their own (default `subledger`), created and
//!   migrated by the backend ([`schema`]).
//! * Appends go through one writer task per process doing group commit under a
//!   schema-wide advisory lock ([`writer`]): positions are gap-free and in commit
//!   order across every process, so a catch-up reader of `position > checkpoint`
//!   never skips an event that commits late.
//! * Subscribers wake on `NOTIFY` (a listening connection per store, reconnected when
//!   lost, which then rereads the head so nothing committed meanwhile is missed).
//!
//! Durability is PostgreSQL's: an append is answered after its `COMMIT` returned, so
//! with `synchronous_commit = on` (the default) after the WAL reached disk.

mod schema;
mod writer;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};
use tracing::{debug, warn};
use uuid::Uuid;

pub use schema::SCHEMA_VERSION;

use crate::subscription::{PageReader, catch_up};
use crate::types::{validate_claims, validate_stream};
use crate::{
    AppendResult, EventStore, EventStream, ExpectedVersion, Failure, NewEvent, RecordedEvent,
    Result, Snapshot, StoreError, validate_append,
};
use writer::{AppendRequest, Writer};

/// The advisory lock key (second half; the first is the schema name's hash) that
/// serializes appends across processes.
const APPEND_LOCK: i32 = 0x6170_7064; // "appd"

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// A libpq-style URL or key=value string (`postgresql://user@host/db?host=/socket`).
    pub url: String,
    /// The PostgreSQL schema holding the ledger's tables.
    pub schema: String,
    /// Connections in the pool (reads, snapshots, the writer takes one of them).
    pub pool_size: usize,
}

impl PostgresConfig {
    pub fn new(url: impl Into<String>) -> Self {
        PostgresConfig {
            url: url.into(),
            schema: "subledger".into(),
            pool_size: 16,
        }
    }

    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n.max(2);
        self
    }
}

struct Inner {
    pool: Pool,
    schema: Arc<str>,
    queue: mpsc::Sender<AppendRequest>,
    head: watch::Sender<u64>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The PostgreSQL [`EventStore`]. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema)
            .finish()
    }
}

/// A `tokio-postgres` error as a store error: lost connections, shutdowns,
/// serialization failures and lock timeouts are retryable; the rest is the backend's.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    if e.code() == Some(&SqlState::DISK_FULL) {
        StoreError::StorageFull(Failure::caused_by(e))
    } else if is_transient(&e) {
        StoreError::Unavailable(Failure::caused_by(e))
    } else {
        StoreError::Backend(Failure::caused_by(e))
    }
}

/// Whether trying again later may work: a lost connection, a server shutting down or
/// terminating the backend, a serialization failure, a lock or statement timeout.
/// (Also for the other tables a node keeps in the same database.)
pub fn is_transient(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    e.is_closed()
        || e.code().is_some_and(|c| {
            [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
                SqlState::LOCK_NOT_AVAILABLE,
                SqlState::QUERY_CANCELED,
                SqlState::CONNECTION_EXCEPTION,
                SqlState::CONNECTION_FAILURE,
            ]
            .contains(c)
        })
        || e.code().is_none() && std::error::Error::source(e).is_some()
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_error(e),
        other => {
            StoreError::Unavailable(format!("no PostgreSQL connection available: {other}").into())
        }
    }
}

impl PostgresStore {
    /// Connects with the default schema (`subledger`).
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PostgresConfig::new(url)).await
    }

    /// Connects, creates or migrates the schema, and starts the writer and the
    /// listener.
    pub async fn connect_with(config: PostgresConfig) -> Result<Self> {
        if !schema::valid_schema_name(&config.schema) {
            return Err(StoreError::Backend(
                format!(
                    "schema name {:?}: use lowercase letters, digits and '_'",
                    config.schema
                )
                .into(),
            ));
        }
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e| StoreError::Backend(Failure::caused_by(e)))?;
        // A custom plan per execution: the writer's prepared lookups are first
        // planned on an empty table, and a cached generic plan (a sequential scan)
        // would then be kept while the table grows (seen with auto_explain).
        let ours = format!(
            "-c search_path={} -c plan_cache_mode=force_custom_plan",
            config.schema
        );
        let options = match pg.get_options() {
            Some(o) => format!("{o} {ours}"),
            None => ours,
        };
        pg.options(&options);
        if pg.get_application_name().is_none() {
            pg.application_name("subledger");
        }
        let manager = Manager::from_config(
            pg.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(2))
            .build()
            .map_err(|e| StoreError::Backend(format!("PostgreSQL pool: {e}").into()))?;
        {
            let mut client = pool.get().await.map_err(pool_error)?;
            schema::migrate(&mut client, &config.schema).await?;
        }
        let schema: Arc<str> = config.schema.as_str().into();
        let channel: Arc<str> = format!("{}_events", config.schema).into();
        let start = last_position_of(&pool).await?;
        let head = watch::Sender::new(start);
        let (queue, rx) = mpsc::channel(4096);
        let writer = Writer {
            pool: pool.clone(),
            schema: schema.clone(),
            channel: channel.clone(),
            head: head.clone(),
        };
        let tasks = vec![
            tokio::spawn(writer.run(rx)),
            tokio::spawn(listen(pg, pool.clone(), channel, head.clone())),
        ];
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                pool,
                schema,
                queue,
                head,
                tasks,
            }),
        })
    }

    /// The connection pool, for what else a node keeps in the same database (the key
    /// vault, the refusal memory); its connections' `search_path` is [`Self::schema`].
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// The PostgreSQL schema holding the ledger.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.inner.pool.get().await.map_err(pool_error)
    }

    async fn submit(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        claims: Vec<String>,
    ) -> Result<AppendResult> {
        let (reply, answer) = oneshot::channel();
        let request = AppendRequest {
            stream: stream.to_owned(),
            expected,
            events,
            claims,
            reply,
        };
        self.inner
            .queue
            .send(request)
            .await
            .map_err(|_| StoreError::Unavailable("the PostgreSQL writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the PostgreSQL writer stopped".into()))?
    }
}

async fn last_position_of(pool: &Pool) -> Result<u64> {
    let client = pool.get().await.map_err(pool_error)?;
    let row = client
        .query_one("SELECT COALESCE(MAX(position), 0) FROM events", &[])
        .await
        .map_err(pg_error)?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Keeps a connection listening on `channel` and moves `head` on each notification.
/// After (re)connecting it rereads the head, so what was committed while it was away
/// still wakes the subscribers.
async fn listen(
    config: tokio_postgres::Config,
    pool: Pool,
    channel: Arc<str>,
    head: watch::Sender<u64>,
) {
    let raise = |p: u64| {
        head.send_if_modified(|h| {
            let moved = p > *h;
            *h = (*h).max(p);
            moved
        });
    };
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(m) = messages.next().await {
                        match m {
                            Ok(AsyncMessage::Notification(n)) => {
                                if tx.send(n.payload().parse::<u64>().ok()).is_err() {
                                    break;
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                debug!(error = %e, "PostgreSQL listener connection ended");
                                break;
                            }
                        }
                    }
                });
                let listening = client.batch_execute(&format!("LISTEN \"{channel}\"")).await;
                if let Err(e) = listening {
                    warn!(error = %e, "PostgreSQL LISTEN failed");
                } else {
                    if let Ok(p) = last_position_of(&pool).await {
                        raise(p);
                    }
                    while let Some(p) = rx.recv().await {
                        match p {
                            Some(p) => raise(p),
                            None => {
                                if let Ok(p) = last_position_of(&pool).await {
                                    raise(p);
                                }
                            }
                        }
                    }
                }
                driver.abort();
                drop(client);
            }
            Err(e) => warn!(error = %e, "PostgreSQL listener cannot connect; retrying"),
        }
        if head.is_closed() && head.receiver_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn record(row: &tokio_postgres::Row) -> RecordedEvent {
    RecordedEvent {
        position: row.get::<_, i64>(0) as u64,
        stream: row.get(1),
        version: row.get::<_, i64>(2) as u64,
        event_id: row.get(3),
        event_type: row.get(4),
        schema_version: row.get::<_, i32>(5) as u32,
        data: Bytes::from(row.get::<_, Vec<u8>>(6)),
        metadata: Bytes::from(row.get::<_, Vec<u8>>(7)),
    }
}

const COLUMNS: &str =
    "position, stream, version, event_id, event_type, schema_version, data, metadata";

async fn read_page(pool: &Pool, from: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
        ))
        .await
        .map_err(pg_error)?;
    let rows = client
        .query(
            &stmt,
            &[&(from as i64), &(limit.min(i64::MAX as usize) as i64)],
        )
        .await
        .map_err(pg_error)?;
    Ok(rows.iter().map(record).collect())
}

/// How many times a subscription's read is retried (100 ms, 200 ms, … apart: about
/// 20 s in all) before the subscription ends with the error.
const SUBSCRIPTION_RETRIES: u32 = 19;

struct Reader(Pool);

impl PageReader for Reader {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecordedEvent>>> + Send + 'static>> {
        let pool = self.0.clone();
        Box::pin(async move {
            // A subscription outlives connections: a lost one (a restarted server, a
            // terminated backend) is retried for a while before the stream ends.
            let mut attempt = 0u32;
            loop {
                match read_page(&pool, from, limit).await {
                    Err(e) if e.is_retryable() && attempt < SUBSCRIPTION_RETRIES => {
                        attempt += 1;
                        debug!(error = %e, attempt, "subscription read failed; retrying");
                        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    }
                    other => return other,
                }
            }
        })
    }
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult> {
        validate_append(stream, &events)?;
        self.submit(stream, expected, events, Vec::new()).await
    }

    async fn append_claiming(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        claims: &[String],
    ) -> Result<AppendResult> {
        validate_append(stream, &events)?;
        validate_claims(claims)?;
        self.submit(stream, expected, events, claims.to_vec()).await
    }

    fn supports_claims(&self) -> bool {
        true
    }

    async fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<RecordedEvent>> {
        self.read_stream_limit(stream, from_version, i64::MAX as usize)
            .await
    }

    async fn read_stream_limit(
        &self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        validate_stream(stream)?;
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE stream = $1 AND version > $2
                 ORDER BY version LIMIT $3"
            ))
            .await
            .map_err(pg_error)?;
        let rows = client
            .query(
                &stmt,
                &[
                    &stream,
                    &(from_version.min(i64::MAX as u64) as i64),
                    &(limit.min(i64::MAX as usize) as i64),
                ],
            )
            .await
            .map_err(pg_error)?;
        Ok(rows.iter().map(record).collect())
    }

    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        read_page(&self.inner.pool, from_position, limit).await
    }

    async fn subscribe_all(&self, from_position: u64) -> Result<EventStream> {
        Ok(catch_up(
            Reader(self.inner.pool.clone()),
            self.inner.head.subscribe(),
            from_position,
            1024,
        ))
    }

    async fn last_position(&self) -> Result<u64> {
        last_position_of(&self.inner.pool).await
    }

    async fn stream_version(&self, stream: &str) -> Result<u64> {
        validate_stream(stream)?;
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = $1")
            .await
            .map_err(pg_error)?;
        let row = client
            .query_one(&stmt, &[&stream])
            .await
            .map_err(pg_error)?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: Bytes,
    ) -> Result<()> {
        validate_stream(stream)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = $1",
                &[&stream],
            )
            .await
            .map_err(pg_error)?
            .get(0);
        if version > current as u64 {
            return Err(StoreError::InvalidSnapshot(format!(
                "snapshot at version {version} but stream {stream:?} is at {current}"
            )));
        }
        tx.execute(
            "INSERT INTO snapshots (stream, version, schema_version, data)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (stream) DO UPDATE SET
               version = excluded.version,
               schema_version = excluded.schema_version,
               data = excluded.data
             WHERE snapshots.version <= excluded.version",
            &[
                &stream,
                &(version as i64),
                &(schema_version as i32),
                &data.as_ref(),
            ],
        )
        .await
        .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)
    }

    async fn load_snapshot(&self, stream: &str, schema_version: u32) -> Result<Option<Snapshot>> {
        validate_stream(stream)?;
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT version, data FROM snapshots WHERE stream = $1 AND schema_version = $2",
                &[&stream, &(schema_version as i32)],
            )
            .await
            .map_err(pg_error)?;
        Ok(row.map(|r| Snapshot {
            stream: stream.to_owned(),
            version: r.get::<_, i64>(0) as u64,
            schema_version,
            data: Bytes::from(r.get::<_, Vec<u8>>(1)),
        }))
    }

    async fn find_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("SELECT {COLUMNS} FROM events WHERE event_id = $1"))
            .await
            .map_err(pg_error)?;
        let row = client
            .query_opt(&stmt, &[&event_id])
            .await
            .map_err(pg_error)?;
        Ok(row.as_ref().map(record))
    }
}
