//! What the writer thread is asked to do (appends, snapshots) and how it answers.

use tokio::sync::oneshot;

use crate::{AppendResult, ExpectedVersion, NewEvent, StoreError};

pub(crate) struct AppendRequest {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    /// Unique keys claimed with the events (`EventStore::append_claiming`).
    pub claims: Vec<String>,
    pub reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

pub(crate) struct SnapshotRequest {
    pub stream: String,
    pub version: u64,
    pub schema_version: u32,
    pub data: bytes::Bytes,
    pub reply: oneshot::Sender<Result<(), StoreError>>,
}

pub(crate) enum Command {
    Append(AppendRequest),
    Snapshot(SnapshotRequest),
}

impl Command {
    pub(super) fn weight(&self) -> usize {
        match self {
            Command::Append(a) => {
                a.events
                    .iter()
                    .map(|e| e.data.len() + e.metadata.len() + 64)
                    .sum::<usize>()
                    + a.claims.iter().map(String::len).sum::<usize>()
            }
            Command::Snapshot(s) => s.data.len(),
        }
    }
}

pub(super) enum Outcome {
    Append(
        oneshot::Sender<Result<AppendResult, StoreError>>,
        Result<AppendResult, StoreError>,
    ),
    Snapshot(
        oneshot::Sender<Result<(), StoreError>>,
        Result<(), StoreError>,
    ),
}

impl Outcome {
    pub(super) fn is_ok(&self) -> bool {
        match self {
            Outcome::Append(_, r) => r.is_ok(),
            Outcome::Snapshot(_, r) => r.is_ok(),
        }
    }
    /// The error this member failed with, if it failed.
    pub(super) fn error(&self) -> Option<&StoreError> {
        match self {
            Outcome::Append(_, r) => r.as_ref().err(),
            Outcome::Snapshot(_, r) => r.as_ref().err(),
        }
    }

    pub(super) fn send(self) {
        // A caller that went away no longer needs the answer: ignoring is correct.
        match self {
            Outcome::Append(tx, r) => {
                let _ = tx.send(r);
            }
            Outcome::Snapshot(tx, r) => {
                let _ = tx.send(r);
            }
        }
    }
    pub(super) fn fail(self, err: &StoreError) -> Self {
        let e = err.clone();
        match self {
            Outcome::Append(tx, _) => Outcome::Append(tx, Err(e)),
            Outcome::Snapshot(tx, _) => Outcome::Snapshot(tx, Err(e)),
        }
    }
}

pub(super) fn into_pending(cmd: Command) -> Outcome {
    match cmd {
        Command::Append(a) => Outcome::Append(
            a.reply,
            Ok(AppendResult {
                next_version: 0,
                position: 0,
                repeated: false,
            }),
        ),
        Command::Snapshot(s) => Outcome::Snapshot(s.reply, Ok(())),
    }
}
