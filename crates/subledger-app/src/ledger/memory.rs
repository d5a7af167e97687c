//! What the ledger answered before (GEN-5). An accepted command is found again in
//! the store: its first event's id derives from the command id, and that event's
//! metadata holds the command's fingerprint and event count, so a repeat gets the
//! first response byte for byte, even after a restart. A refusal writes nothing
//! (GEN-6), so refusals are remembered here, by this process only.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use subledger_domain::Rejection;
use subledger_store::{EventStore, RecordedEvent};
use uuid::Uuid;

use super::lock;
use crate::codec::{self, Metadata, customer_stream};
use crate::error::CommandError;
use crate::keys::KeyVault;
use crate::response::CommandResponse;

/// A refusal as it is answered again.
#[derive(Debug, Clone)]
enum Refused {
    Rejected(Rejection),
    VersionConflict { expected: u64, actual: u64 },
}

impl Refused {
    /// The refusals remembered: the rules' answers and conflicts with the
    /// client's `expected_version`, not failures of the machinery.
    fn of(error: &CommandError) -> Option<Self> {
        match error {
            CommandError::Rejected(r) => Some(Refused::Rejected(r.clone())),
            CommandError::VersionConflict { expected, actual } => Some(Refused::VersionConflict {
                expected: *expected,
                actual: *actual,
            }),
            _ => None,
        }
    }

    fn to_error(&self) -> CommandError {
        match self {
            Refused::Rejected(r) => CommandError::Rejected(r.clone()),
            Refused::VersionConflict { expected, actual } => CommandError::VersionConflict {
                expected: *expected,
                actual: *actual,
            },
        }
    }
}

/// Refused commands with their fingerprints, oldest first, up to a capacity.
#[derive(Debug, Default)]
struct Refusals {
    by_command: HashMap<Uuid, (String, Refused)>,
    order: VecDeque<Uuid>,
}

pub(super) struct CommandMemory {
    /// Where each command's first event is (customer, stream version), for stores
    /// that cannot look an event up by id (EventStoreDB); `None` when the store can.
    first_events: Option<Mutex<HashMap<Uuid, (Uuid, u64)>>>,
    refusals: Mutex<Refusals>,
    refusal_capacity: usize,
}

impl CommandMemory {
    pub(super) fn new(store_finds_by_id: bool, refusal_capacity: usize) -> Self {
        CommandMemory {
            first_events: (!store_finds_by_id).then(|| Mutex::new(HashMap::new())),
            refusals: Mutex::new(Refusals::default()),
            refusal_capacity,
        }
    }

    /// Whether finding earlier commands needs every command of the log noted
    /// (the store cannot look their events up by id).
    pub(super) fn needs_every_command(&self) -> bool {
        self.first_events.is_some()
    }

    /// Notes where a stored command's events start, if the store cannot find them.
    pub(super) fn note_command(&self, meta: &Metadata, customer: Uuid, version: u64) {
        if let (Some(first_events), Some(command_id), Some(_)) =
            (&self.first_events, meta.command_id, meta.count)
        {
            lock(first_events).insert(command_id, (customer, version));
        }
    }

    /// Notes a command just appended, its first event at `first_version`.
    pub(super) fn note_appended(&self, command_id: Uuid, customer: Uuid, first_version: u64) {
        if let Some(first_events) = &self.first_events {
            lock(first_events).insert(command_id, (customer, first_version));
        }
    }

    /// The first recorded event of an earlier command, if there is one.
    async fn find_command(
        &self,
        store: &dyn EventStore,
        command_id: Uuid,
    ) -> Result<Option<RecordedEvent>, CommandError> {
        let first = codec::command_event_id(command_id, 0);
        let Some(first_events) = &self.first_events else {
            return Ok(store.find_event(first).await?);
        };
        let Some((customer, version)) = lock(first_events).get(&command_id).copied() else {
            return Ok(None);
        };
        let stream = customer_stream(customer);
        Ok(store
            .read_stream_limit(&stream, version.saturating_sub(1), 1)
            .await?
            .into_iter()
            .next()
            .filter(|r| r.event_id == first))
    }

    /// The response of a command accepted before, if `command_id` was used
    /// (GEN-5); a different payload under the same id is refused. A repeated
    /// reveal shows the key again: the subscription's key, issued the first time.
    pub(super) async fn previous_result(
        &self,
        store: &dyn EventStore,
        keys: &dyn KeyVault,
        command_id: Uuid,
        fingerprint_now: &str,
        revealed_subscription: Option<Uuid>,
    ) -> Result<Option<CommandResponse>, CommandError> {
        let Some(found) = self.find_command(store, command_id).await? else {
            return Ok(None);
        };
        let (_, meta) = codec::decode(&found)?;
        if meta.fingerprint.as_deref() != Some(fingerprint_now) {
            return Err(CommandError::IdempotencyKeyReused { command_id });
        }
        let count = meta.count.unwrap_or(1);
        let records = store
            .read_stream_limit(&found.stream, found.version.saturating_sub(1), count)
            .await?;
        let key = revealed_subscription
            .map(|id| keys.key_for(id))
            .transpose()?;
        Ok(Some(CommandResponse::from_records(
            command_id, &records, key,
        )?))
    }

    /// Remembers a refusal (a rejection or a version conflict; anything else is
    /// not an answer to repeat), forgetting the oldest past the capacity.
    pub(super) fn remember_refusal(
        &self,
        command_id: Uuid,
        fingerprint: &str,
        error: &CommandError,
    ) {
        let Some(refused) = Refused::of(error) else {
            return;
        };
        let mut r = lock(&self.refusals);
        if r.by_command
            .insert(command_id, (fingerprint.to_owned(), refused))
            .is_none()
        {
            r.order.push_back(command_id);
        }
        while r.order.len() > self.refusal_capacity {
            if let Some(old) = r.order.pop_front() {
                r.by_command.remove(&old);
            }
        }
    }

    /// The refusal of an earlier command with this id: the same refusal for the
    /// same command, `IdempotencyKeyReused` for another.
    pub(super) fn earlier_refusal(
        &self,
        command_id: Uuid,
        fingerprint: &str,
    ) -> Option<CommandError> {
        let r = lock(&self.refusals);
        r.by_command.get(&command_id).map(|(fp, refused)| {
            if fp == fingerprint {
                refused.to_error()
            } else {
                CommandError::IdempotencyKeyReused { command_id }
            }
        })
    }
}
