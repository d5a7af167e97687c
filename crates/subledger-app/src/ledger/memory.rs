//! What the ledger answered before (GEN-5). An accepted command is found again in
//! the store: its first event's id derives from the command id, and that event's
//! metadata holds the command's fingerprint and event count, so a repeat gets the
//! first response byte for byte, even after a restart. A refusal writes nothing
//! (GEN-6), so refusals are remembered here: by this process, or, for nodes
//! sharing one PostgreSQL database, in its `refusals` table, where the first
//! node's refusal is the answer every node repeats.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use subledger_domain::Rejection;
use subledger_store::{EventStore, RecordedEvent};
use tracing::warn;
use uuid::Uuid;

use super::lock;
use crate::codec::{self, Metadata, customer_stream};
use crate::error::CommandError;
use crate::keys::KeyVault;
use crate::pg::PgError;
use crate::response::CommandResponse;

/// A refusal as it is answered again. Stored by nodes sharing a database as
/// its serde JSON (kept as written, `json` not `jsonb`): read back, it is the
/// same value, so the API renders the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
struct ProcessRefusals {
    by_command: HashMap<Uuid, (String, Refused)>,
    order: VecDeque<Uuid>,
}

/// Where refusals are remembered.
enum Refusals {
    /// By this process, up to a capacity.
    Process {
        refusals: Mutex<ProcessRefusals>,
        capacity: usize,
    },
    /// In the shared database (nodes on one PostgreSQL schema): kept for good.
    Shared(Pool),
}

pub(super) struct CommandMemory {
    /// Where each command's first event is (customer, stream version), for stores
    /// that cannot look an event up by id (EventStoreDB); `None` when the store can.
    first_events: Option<Mutex<HashMap<Uuid, (Uuid, u64)>>>,
    refusals: Refusals,
}

/// The `refusals` table of nodes sharing a database.
const REFUSALS_TABLE: &str = "CREATE TABLE IF NOT EXISTS refusals (
    command_id  uuid PRIMARY KEY,
    fingerprint text NOT NULL,
    refusal     json NOT NULL,
    refused_at  timestamptz NOT NULL DEFAULT now()
)";

/// The answer to a repeat of `command_id` that was refused `refused` under
/// `stored_fingerprint`.
fn repeat_of(
    command_id: Uuid,
    stored_fingerprint: &str,
    fingerprint: &str,
    refused: &Refused,
) -> CommandError {
    if stored_fingerprint == fingerprint {
        refused.to_error()
    } else {
        CommandError::IdempotencyKeyReused { command_id }
    }
}

impl CommandMemory {
    /// Refusals remembered by this process, up to `refusal_capacity`.
    pub(super) fn new(store_finds_by_id: bool, refusal_capacity: usize) -> Self {
        CommandMemory {
            first_events: (!store_finds_by_id).then(|| Mutex::new(HashMap::new())),
            refusals: Refusals::Process {
                refusals: Mutex::new(ProcessRefusals::default()),
                capacity: refusal_capacity,
            },
        }
    }

    /// Refusals remembered in the shared database of `pool` (its table created
    /// if absent).
    pub(super) async fn shared(store_finds_by_id: bool, pool: Pool) -> Result<Self, PgError> {
        crate::pg::create_tables(&pool, REFUSALS_TABLE).await?;
        Ok(CommandMemory {
            first_events: (!store_finds_by_id).then(|| Mutex::new(HashMap::new())),
            refusals: Refusals::Shared(pool),
        })
    }

    /// Whether refusals are shared with other nodes (which may also have accepted
    /// a command this one refused).
    pub(super) fn is_shared(&self) -> bool {
        matches!(self.refusals, Refusals::Shared(_))
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
        let key = match revealed_subscription {
            Some(id) => Some(keys.key_for(id).await?),
            None => None,
        };
        Ok(Some(CommandResponse::from_records(
            command_id, &records, key,
        )?))
    }

    /// Remembers a refusal (a rejection or a version conflict; anything else is
    /// not an answer to repeat) and returns the answer to give. In a shared
    /// database the first node's refusal is kept, and is the answer; when it
    /// cannot be kept the answer is that the store is unavailable (a retry is
    /// decided again), so no node ever repeats a refusal it was not the first to give.
    pub(super) async fn remember_refusal(
        &self,
        command_id: Uuid,
        fingerprint: &str,
        error: CommandError,
    ) -> CommandError {
        let Some(refused) = Refused::of(&error) else {
            return error;
        };
        match &self.refusals {
            Refusals::Process { refusals, capacity } => {
                let mut r = lock(refusals);
                if r.by_command
                    .insert(command_id, (fingerprint.to_owned(), refused))
                    .is_none()
                {
                    r.order.push_back(command_id);
                }
                while r.order.len() > *capacity {
                    if let Some(old) = r.order.pop_front() {
                        r.by_command.remove(&old);
                    }
                }
                error
            }
            Refusals::Shared(pool) => {
                let json = match serde_json::to_string(&refused) {
                    Ok(json) => json,
                    Err(e) => return CommandError::Payload(e),
                };
                match keep_refusal(pool, command_id, fingerprint, &json).await {
                    Ok(Some((stored_fingerprint, stored))) => {
                        match parse_kept(command_id, &stored) {
                            Ok(stored) => {
                                repeat_of(command_id, &stored_fingerprint, fingerprint, &stored)
                            }
                            Err(e) => e,
                        }
                    }
                    // Only a row deleted by hand in between: ours is the answer.
                    Ok(None) => error,
                    Err(e) => {
                        warn!(%command_id, error = %e, "refusal not kept; answered as unavailable");
                        CommandError::Store(e.into_store_error())
                    }
                }
            }
        }
    }

    /// The refusal of an earlier command with this id: the same refusal for the
    /// same command, `IdempotencyKeyReused` for another.
    pub(super) async fn earlier_refusal(
        &self,
        command_id: Uuid,
        fingerprint: &str,
    ) -> Result<Option<CommandError>, CommandError> {
        match &self.refusals {
            Refusals::Process { refusals, .. } => {
                let r = lock(refusals);
                Ok(r.by_command
                    .get(&command_id)
                    .map(|(fp, refused)| repeat_of(command_id, fp, fingerprint, refused)))
            }
            Refusals::Shared(pool) => {
                let stored = async { read_refusal(&pool.get().await?, command_id).await }
                    .await
                    .map_err(|e: PgError| CommandError::Store(e.into_store_error()))?;
                let Some((stored_fingerprint, json)) = stored else {
                    return Ok(None);
                };
                let refused = parse_kept(command_id, &json)?;
                Ok(Some(repeat_of(
                    command_id,
                    &stored_fingerprint,
                    fingerprint,
                    &refused,
                )))
            }
        }
    }
}

/// A refusal as kept: the fingerprint of the command refused, and the refusal's JSON.
type Kept = (String, String);

/// Keeps a refusal unless one is kept for the command already, and returns the
/// one kept: of two nodes refusing one command at once, both answer with the
/// first's.
async fn keep_refusal(
    pool: &Pool,
    command_id: Uuid,
    fingerprint: &str,
    json: &str,
) -> Result<Option<Kept>, PgError> {
    let client = pool.get().await?;
    // Two statements: the read's snapshot must see the other node's row that the
    // insert waited for.
    client
        .execute(
            "INSERT INTO refusals (command_id, fingerprint, refusal) VALUES ($1, $2, $3::text::json)
             ON CONFLICT (command_id) DO NOTHING",
            &[&command_id, &fingerprint, &json],
        )
        .await?;
    read_refusal(&client, command_id).await
}

async fn read_refusal(
    client: &deadpool_postgres::Client,
    command_id: Uuid,
) -> Result<Option<Kept>, PgError> {
    let row = client
        .query_opt(
            "SELECT fingerprint, refusal::text FROM refusals WHERE command_id = $1",
            &[&command_id],
        )
        .await?;
    Ok(row.map(|row| (row.get(0), row.get(1))))
}

/// A kept refusal read back. Only this code writes them, so one that does not
/// read is a defect (or another version's), not a reason to decide again.
fn parse_kept(command_id: Uuid, json: &str) -> Result<Refused, CommandError> {
    serde_json::from_str(json).map_err(|e| {
        CommandError::Corrupt(format!(
            "the kept refusal of command {command_id} is unreadable: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use subledger_domain::{RejectionCode, rules};

    use super::*;

    #[test]
    fn gen_5_a_kept_refusal_reads_back_as_the_same_value() {
        let rejection = Rejection::rule(
            RejectionCode::SeatReductionWindowClosed,
            rules::SEAT_2,
            "only 3 seats can be reduced now",
        )
        .with("eligible", 3)
        .with("ratio", 0.05)
        .with("window_closed_at", "2026-01-08T10:00:00.123456Z")
        .with(
            "batches",
            serde_json::json!([{"seats": 3, "refundable_until": "2026-01-08T10:00:00Z"}]),
        );
        for refused in [
            Refused::Rejected(rejection),
            Refused::VersionConflict {
                expected: 4,
                actual: u64::MAX,
            },
        ] {
            let json = serde_json::to_string(&refused).unwrap();
            let back: Refused = serde_json::from_str(&json).unwrap();
            assert_eq!(back, refused);
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
    }
}
