//! Typed errors of the projections.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// An event arrived out of order for its stream: the projection would fold a
    /// state with a hole in it. Rebuild from the last checkpoint.
    #[error("customer {customer}: expected stream version {expected}, got {got}")]
    Gap {
        customer: Uuid,
        expected: u64,
        got: u64,
    },

    /// Another writer moved the checkpoint since this batch was read: two runners on
    /// one projection database. The batch was not written.
    #[error("projection checkpoint moved: expected position {expected}, found {found}")]
    CheckpointMoved { expected: u64, found: u64 },

    /// The projection database cannot be used.
    #[error("projection database: {0}")]
    Database(#[from] rusqlite::Error),

    /// A stored row or state does not decode.
    #[error("projection data unreadable: {0}")]
    Corrupt(String),

    /// Opened read-only.
    #[error("the projection database is open read-only")]
    ReadOnly,

    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<serde_json::Error> for ProjectionError {
    fn from(e: serde_json::Error) -> Self {
        ProjectionError::Corrupt(e.to_string())
    }
}
