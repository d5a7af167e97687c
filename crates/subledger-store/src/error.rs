//! Typed store errors. Callers branch on the variant (conflict → reload and retry,
//! `Unavailable` → back off and retry, `Corrupt` → stop), so each one means one thing.

use std::sync::Arc;

use uuid::Uuid;

use crate::ExpectedVersion;

/// What went wrong inside a backend: a message for people, and the backend's own error
/// (SQLite, I/O, the EventStoreDB client) kept as the source for programs and logs.
/// Cheap to clone: one failed group commit answers every append of its batch.
#[derive(Debug, Clone)]
pub struct Failure {
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

// Written out rather than derived: the source is the backend's error itself, not the
// `Arc` around it, so callers can downcast to it.
impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Failure {
    /// A failure caused by `source`, described by its own message.
    pub fn caused_by(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Failure {
            message: source.to_string(),
            source: Some(Arc::new(source)),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            message,
            source: None,
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Optimistic concurrency: the stream was not at the expected version.
    #[error("wrong expected version: expected {expected}, stream is at version {actual}")]
    WrongExpectedVersion {
        expected: ExpectedVersion,
        actual: u64,
    },

    /// Some of the append's event ids already exist, but not as an exact repeat of an
    /// earlier append at the same place. Nothing was written.
    #[error("idempotency conflict on stream {stream:?}, event {event_id}: {reason}")]
    IdempotencyConflict {
        stream: String,
        event_id: Uuid,
        reason: String,
    },

    /// A unique key the append claims (see [`EventStore::append_claiming`]) is held by
    /// another stream. Nothing was written. The holder is not named: callers answer
    /// clients with "this id is taken" and nothing more.
    #[error("key {key:?} is already claimed by another stream")]
    ClaimTaken { key: String },

    /// An append with no events is refused: it would have no id to be idempotent on.
    #[error("an append must carry at least one event")]
    EmptyAppend,

    /// The append is malformed (an id repeated within it, an empty event type, …).
    #[error("invalid append: {0}")]
    InvalidAppend(String),

    /// The stream name cannot be stored.
    #[error("invalid stream name: {0}")]
    InvalidStreamName(String),

    /// A snapshot that cannot be right (e.g. beyond the stream's current version).
    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(String),

    /// The backend cannot serve the request now (connection lost, database busy or locked,
    /// writer shut down). Retryable with backoff.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Failure),

    /// The disk (or the database's quota) is full: nothing of the call was written.
    /// Retryable once space is freed; the operator needs to know.
    #[error("storage full: {0}")]
    StorageFull(#[source] Failure),

    /// Stored data is damaged or inconsistent (integrity check failed, undecodable record,
    /// non-monotonic positions). Not retryable.
    #[error("store corrupt: {0}")]
    Corrupt(#[source] Failure),

    /// The database was written by a newer schema than this build knows.
    #[error("incompatible store schema: {0}")]
    IncompatibleSchema(String),

    /// The backend cannot do this at all (e.g. look an event up by id); the caller
    /// needs another way.
    #[error("not supported by this store: {0}")]
    Unsupported(String),

    /// Any other backend failure (I/O error, unexpected server error, …).
    #[error("store backend error: {0}")]
    Backend(#[source] Failure),
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::StorageFull(_)
        )
    }

    /// Whether the disk under the store is full.
    pub fn is_storage_full(&self) -> bool {
        matches!(self, StoreError::StorageFull(_))
    }

    /// Whether this is an optimistic-concurrency conflict (reload state and decide again).
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::WrongExpectedVersion { .. })
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    StoreError::Unavailable(Failure::caused_by(e))
                }
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    StoreError::Corrupt(Failure::caused_by(e))
                }
                // SQLite's unix VFS reports ENOSPC as SQLITE_FULL.
                ErrorCode::DiskFull => StoreError::StorageFull(Failure::caused_by(e)),
                _ => StoreError::Backend(Failure::caused_by(e)),
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt(Failure::caused_by(e)),
            _ => StoreError::Backend(Failure::caused_by(e)),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        let failure = Failure {
            message: format!("I/O: {e}"),
            source: Some(Arc::new(e)),
        };
        let full = failure
            .source
            .as_ref()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull);
        if full {
            StoreError::StorageFull(failure)
        } else {
            StoreError::Backend(failure)
        }
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        StoreError::Corrupt(Failure {
            message: format!("undecodable column: {e}"),
            source: Some(Arc::new(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_busy_database_is_retryable_and_keeps_the_sqlite_error_as_its_source() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        let e = StoreError::from(busy);
        assert!(e.is_retryable(), "{e}");
        let failure = e.source().expect("the failure is the source");
        let sqlite = failure.source().expect("the SQLite error is kept");
        assert!(
            sqlite.downcast_ref::<rusqlite::Error>().is_some(),
            "{sqlite}"
        );
        // Cloning (one failed group commit answers a whole batch) keeps it too.
        let again = e.clone();
        assert!(again.source().and_then(|f| f.source()).is_some());
    }

    #[test]
    fn a_full_disk_is_storage_full_and_retryable() {
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        );
        let e = StoreError::from(full);
        assert!(e.is_storage_full() && e.is_retryable(), "{e}");
        let io = StoreError::from(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert!(io.is_storage_full(), "{io}");
        let other = StoreError::from(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(!other.is_storage_full() && !other.is_retryable(), "{other}");
    }

    #[test]
    fn a_message_alone_has_no_source() {
        let e = StoreError::Backend("writer stopped".into());
        assert_eq!(e.to_string(), "store backend error: writer stopped");
        assert!(e.source().and_then(|f| f.source()).is_none());
    }
}
