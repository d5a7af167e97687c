//! subledger's event store.
//!
//! One small [`EventStore`] trait over opaque event records, with four backends:
//!
//! * [`SqliteStore`] (the default): WAL, durable commits, one writer thread doing group
//!   commit, a pool of read connections, gap-free global positions.
//! * [`EsdbStore`] (feature `eventstoredb`, on by default): EventStoreDB / KurrentDB through
//!   the `kurrentdb` gRPC client.
//! * [`PostgresStore`] (feature `postgres`, on by default): PostgreSQL, the tested
//!   scale-out backend (several processes on one database), group commit under an
//!   advisory lock, gap-free positions in commit order, `LISTEN/NOTIFY` for subscribers.
//! * [`MemoryStore`]: same semantics, for fast tests.
//!
//! The store is domain-agnostic on purpose: it never looks inside `data` or `metadata`, so
//! the domain can evolve its event schemas without touching storage.
//!
//! Conventions shared by every backend (the domain and app layers rely on them):
//!
//! * A stream's *version* is the number of events in it; a missing stream has version 0;
//!   the first event gets version 1.
//! * Global positions are `u64`, strictly increasing in commit order; `0` means "before
//!   the first event". SQLite, PostgreSQL and memory positions are also gap-free and 1-based.
//! * Event ids are chosen by the caller; re-appending the same ids at the same place is an
//!   idempotent success returning the original [`AppendResult`] (see [`EventStore::append`]).

#![forbid(unsafe_code)]

pub mod conformance;
mod error;
#[cfg(feature = "eventstoredb")]
pub mod esdb;
mod idempotency;
mod memory;
pub mod paging;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;
mod subscription;
mod types;

pub use error::{Failure, StoreError};
#[cfg(feature = "eventstoredb")]
pub use esdb::{EsdbConfig, EsdbStore};
pub use memory::MemoryStore;
pub use paging::ReadAllPages;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConfig, PostgresStore};
pub use sqlite::{IntegrityCheck, RecordRef, Scanner, SqliteConfig, SqliteStore, Synchronous};
pub use types::{
    AppendResult, EventStream, ExpectedVersion, NewEvent, RecordedEvent, Snapshot, validate_append,
};

use async_trait::async_trait;

/// Result alias used across the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The event store contract. Every backend implements exactly this, and the
/// [`conformance`] suite holds each of them to it.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` atomically (all or nothing) if the stream is at
    /// `expected`.
    ///
    /// Idempotency: if the first event id already exists and the same ids sit
    /// consecutively in `stream` right after `expected` (anywhere in the stream for
    /// [`ExpectedVersion::Any`]), nothing is written and the original result is returned
    /// (version and position of the last of those events). Ids that match only partly or
    /// sit elsewhere give [`StoreError::IdempotencyConflict`], never a duplicate.
    ///
    /// Errors: [`StoreError::EmptyAppend`], [`StoreError::InvalidAppend`],
    /// [`StoreError::WrongExpectedVersion`], [`StoreError::IdempotencyConflict`],
    /// [`StoreError::Unavailable`] (retryable), …
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult>;

    /// [`EventStore::append`] that also claims unique keys (e.g. `subscription/<uuid>`), in
    /// the same transaction as the events.
    ///
    /// Every key is unique across the store. The append succeeds only if each key is
    /// free or already held by `stream` (so an idempotent retry, or a command decided
    /// again after a version conflict, still succeeds); the free ones are then held by
    /// `stream` for good. Otherwise nothing is written and the answer is
    /// [`StoreError::ClaimTaken`] naming the first key taken. The expected-version check
    /// comes first: a conflict is reported as such, whatever the claims.
    ///
    /// Backends that cannot claim keys atomically keep this default: an append with
    /// claims is [`StoreError::Unsupported`] (and [`EventStore::supports_claims`] is
    /// false), so the caller knows uniqueness is not enforced by the store.
    async fn append_claiming(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        claims: &[String],
    ) -> Result<AppendResult> {
        if claims.is_empty() {
            return self.append(stream, expected, events).await;
        }
        Err(StoreError::Unsupported("claiming unique keys".into()))
    }

    /// Whether [`EventStore::append_claiming`] enforces claims (asked once, at start).
    fn supports_claims(&self) -> bool {
        false
    }

    /// Events of `stream` with version > `from_version`, in version order. A missing stream
    /// reads as empty.
    async fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<RecordedEvent>>;

    /// At most `limit` events of `stream` with version > `from_version`, in version
    /// order (a bounded [`EventStore::read_stream`], for folds that stop early).
    async fn read_stream_limit(
        &self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let mut events = self.read_stream(stream, from_version).await?;
        events.truncate(limit);
        Ok(events)
    }

    /// At most `limit` events with position > `from_position`, in commit (position) order,
    /// across all streams.
    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>>;

    /// A catch-up subscription: every event with position > `from_position`, in order, first
    /// from history and then live, with no gap and no duplicate while writers keep writing.
    /// The stream ends only after yielding an error.
    async fn subscribe_all(&self, from_position: u64) -> Result<EventStream>;

    /// Position of the last committed event (0 for an empty store).
    async fn last_position(&self) -> Result<u64>;

    /// Current version of `stream` (0 if missing).
    async fn stream_version(&self, stream: &str) -> Result<u64>;

    /// Stores a snapshot of `stream` taken at `version`, written with `schema_version`.
    /// Only the latest snapshot per stream is kept. A snapshot beyond the stream's current
    /// version is refused ([`StoreError::InvalidSnapshot`]).
    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: bytes::Bytes,
    ) -> Result<()>;

    /// The latest snapshot of `stream`, if it was written with `schema_version`. A snapshot
    /// written with another schema version is ignored (`None`), never handed out to be
    /// misread.
    async fn load_snapshot(&self, stream: &str, schema_version: u32) -> Result<Option<Snapshot>>;

    /// The event with this id, wherever it is. The application finds an earlier
    /// command's events this way (their ids derive from the command id), so a
    /// repeated command gets its first result after a restart. Backends without an
    /// index by id answer [`StoreError::Unsupported`].
    async fn find_event(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>> {
        let _ = event_id;
        Err(StoreError::Unsupported("looking an event up by id".into()))
    }
}

#[async_trait]
impl<S: EventStore + ?Sized> EventStore for std::sync::Arc<S> {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult> {
        (**self).append(stream, expected, events).await
    }
    async fn append_claiming(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        claims: &[String],
    ) -> Result<AppendResult> {
        (**self)
            .append_claiming(stream, expected, events, claims)
            .await
    }
    fn supports_claims(&self) -> bool {
        (**self).supports_claims()
    }
    async fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<RecordedEvent>> {
        (**self).read_stream(stream, from_version).await
    }

    async fn read_stream_limit(
        &self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        (**self)
            .read_stream_limit(stream, from_version, limit)
            .await
    }
    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        (**self).read_all(from_position, limit).await
    }
    async fn subscribe_all(&self, from_position: u64) -> Result<EventStream> {
        (**self).subscribe_all(from_position).await
    }
    async fn last_position(&self) -> Result<u64> {
        (**self).last_position().await
    }
    async fn stream_version(&self, stream: &str) -> Result<u64> {
        (**self).stream_version(stream).await
    }
    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: bytes::Bytes,
    ) -> Result<()> {
        (**self)
            .save_snapshot(stream, version, schema_version, data)
            .await
    }
    async fn load_snapshot(&self, stream: &str, schema_version: u32) -> Result<Option<Snapshot>> {
        (**self).load_snapshot(stream, schema_version).await
    }
    async fn find_event(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>> {
        (**self).find_event(event_id).await
    }
}
