//! Typed store errors. Callers branch on the variant (conflict → reload and retry,
//! `Unavailable` → back off and retry, `Corrupt` → stop), so each one means one thing.

use uuid::Uuid;

use crate::ExpectedVersion;

#[derive(Debug, thiserror::Error)]
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
    Unavailable(String),

    /// Stored data is damaged or inconsistent (integrity check failed, undecodable record,
    /// non-monotonic positions). Not retryable.
    #[error("store corrupt: {0}")]
    Corrupt(String),

    /// The database was written by a newer schema than this build knows.
    #[error("incompatible store schema: {0}")]
    IncompatibleSchema(String),

    /// The backend cannot do this at all (e.g. look an event up by id); the caller
    /// needs another way.
    #[error("not supported by this store: {0}")]
    Unsupported(String),

    /// Any other backend failure (I/O error, unexpected server error, …).
    #[error("store backend error: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
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
                    StoreError::Unavailable(e.to_string())
                }
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    StoreError::Corrupt(e.to_string())
                }
                _ => StoreError::Backend(e.to_string()),
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt(e.to_string()),
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Backend(format!("I/O: {e}"))
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        StoreError::Corrupt(format!("undecodable column: {e}"))
    }
}
