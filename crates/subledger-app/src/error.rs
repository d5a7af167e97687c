//! What can go wrong with a command, typed so the HTTP layer can map each case to
//! its status and the error model of API.md.

use subledger_domain::Rejection;
use subledger_store::StoreError;
use uuid::Uuid;

use crate::codec::DecodeError;
use crate::keys::KeyVaultError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum CommandError {
    /// The rules refuse it (or the actor may not, or cannot see the target).
    #[error("{0}")]
    Rejected(Rejection),
    /// The client's `expected_version` is not the stream's, or writers kept
    /// conflicting past the retries.
    #[error("version conflict: expected {expected}, the stream is at {actual}")]
    VersionConflict { expected: u64, actual: u64 },
    /// GEN-5: the command id was used before with another payload.
    #[error("command id {command_id} was already used for a different command")]
    IdempotencyKeyReused { command_id: Uuid },
    /// The store failed (retryable or not); nothing was acknowledged.
    #[error("event store: {0}")]
    Store(String, bool),
    /// A stored event could not be read back.
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Keys(String),
}

impl CommandError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CommandError::Store(_, true))
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        let retryable = e.is_retryable();
        CommandError::Store(e.to_string(), retryable)
    }
}

impl From<DecodeError> for CommandError {
    fn from(e: DecodeError) -> Self {
        CommandError::Corrupt(e.to_string())
    }
}

impl From<KeyVaultError> for CommandError {
    fn from(e: KeyVaultError) -> Self {
        CommandError::Keys(e.to_string())
    }
}

impl From<Rejection> for CommandError {
    fn from(r: Rejection) -> Self {
        CommandError::Rejected(r)
    }
}
