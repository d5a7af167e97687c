//! What can go wrong with a command, typed so the HTTP layer can map each case to
//! its status and the error model of API.md. Failures below the rules keep the
//! error they come from as their `source`.

use subledger_domain::Rejection;
use subledger_store::StoreError;
use uuid::Uuid;

use crate::codec::DecodeError;
use crate::keys::KeyVaultError;

#[derive(Debug, thiserror::Error)]
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
    /// The store failed (retryable or not, see [`CommandError::is_retryable`]);
    /// nothing was acknowledged.
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    /// A stored event could not be read back as an event.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// A stored payload is not the JSON it was written as.
    #[error("stored payload unreadable: {0}")]
    Payload(#[from] serde_json::Error),
    /// The log does not hold what it must (e.g. a command's first event without
    /// the events it counts).
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Keys(#[from] KeyVaultError),
}

impl CommandError {
    /// Whether trying again later may succeed: only when the store says so.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CommandError::Store(e) if e.is_retryable()) || self.is_storage_full()
    }

    /// Whether a disk under the ledger (the log's or the key vault's) is full:
    /// nothing was acknowledged, and the same command may succeed once space is freed.
    pub fn is_storage_full(&self) -> bool {
        match self {
            CommandError::Store(e) => e.is_storage_full(),
            CommandError::Keys(e) => e.is_storage_full(),
            _ => false,
        }
    }
}

impl From<Rejection> for CommandError {
    fn from(r: Rejection) -> Self {
        CommandError::Rejected(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn a_store_failure_keeps_its_source_and_says_whether_to_retry() {
        let busy = CommandError::from(StoreError::Unavailable("database is locked".into()));
        assert!(busy.is_retryable());
        let source = busy.source().and_then(|s| s.downcast_ref::<StoreError>());
        assert!(
            matches!(source, Some(StoreError::Unavailable(_))),
            "{source:?}"
        );
        let broken = CommandError::from(StoreError::Corrupt("bad page".into()));
        assert!(!broken.is_retryable());
        assert!(!CommandError::Corrupt("no events".into()).is_retryable());
    }
}
