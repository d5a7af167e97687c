//! What the ledger knows when it opens: the [`Directory`] (where subscriptions and
//! transfers live, when each customer has work due) and the states to keep cached.
//!
//! Beside persisted projections it starts from their committed customer read
//! models (the domain's own fold, so the same states) and folds only the log after
//! their checkpoint; the next-due instant of each customer is then computed by
//! `time::next_due` from the state at the head, as for every state. Without usable
//! projections (none, another log's, or a store that cannot find commands by id,
//! whose command index needs every command of the log) it folds the whole log.

use std::collections::HashMap;

use subledger_domain::CustomerState;
use subledger_projections::ProjectionDb;
use subledger_store::{EventStore, ReadAllPages};
use tracing::{info, warn};
use uuid::Uuid;

use super::directory::Directory;
use super::memory::CommandMemory;
use crate::codec::{self, stream_customer};
use crate::error::CommandError;

/// Records read from the log per call.
const PAGE: usize = 10_000;

/// Customers' states and the stream versions they are folded up to.
type States = HashMap<Uuid, (CustomerState, u64)>;

/// What the ledger starts with.
#[derive(Debug)]
pub(crate) struct Rebuilt {
    pub(crate) directory: Directory,
    /// Every customer's state at the head, with its stream version.
    pub(crate) states: Vec<(Uuid, CustomerState, u64)>,
    /// The log position the fold started after (0: the whole log was read).
    pub(crate) folded_after: u64,
    /// The log position the fold read up to: what a follower of the log
    /// continues after.
    pub(crate) head: u64,
}

/// Builds what the ledger starts with, from the projections when they can be used.
pub(crate) async fn rebuild(
    store: &dyn EventStore,
    projections: Option<&ProjectionDb>,
    memory: &CommandMemory,
) -> Result<Rebuilt, CommandError> {
    let projected = match projections {
        Some(_) if memory.needs_every_command() => {
            info!("the store cannot find commands by id: reading the whole log at start");
            None
        }
        Some(db) => projected_states(db, store.last_position().await?),
        None => None,
    };
    if let Some((mut states, checkpoint)) = projected {
        match fold_log(store, checkpoint, &mut states, memory).await? {
            Folded::Complete { head } => return Ok(finish(states, checkpoint, head)),
            Folded::Gap { customer } => warn!(
                %customer,
                "the projections do not match the log: reading the whole log at start"
            ),
        }
    }
    let mut states = States::new();
    match fold_log(store, 0, &mut states, memory).await? {
        Folded::Complete { head } => Ok(finish(states, 0, head)),
        Folded::Gap { customer } => Err(CommandError::Corrupt(format!(
            "the log skips a version of customer {customer}'s stream"
        ))),
    }
}

/// The committed customer states and the checkpoint they hold, if the
/// projections are usable: a failure to read them, or a checkpoint past the log's
/// head (projections of another log), only means starting from the whole log.
fn projected_states(db: &ProjectionDb, head: u64) -> Option<(States, u64)> {
    let read = || -> Result<Option<(States, u64)>, subledger_projections::ProjectionError> {
        // The checkpoint first: the rows read next are at least as new as it.
        let checkpoint = db.checkpoint()?.position;
        if checkpoint > head {
            warn!(
                checkpoint,
                head, "the projections are ahead of the log: reading the whole log at start"
            );
            return Ok(None);
        }
        let mut states = States::new();
        db.for_each_customer(|customer, entry| {
            states.insert(customer, (entry.state, entry.version));
        })?;
        Ok(Some((states, checkpoint)))
    };
    read().unwrap_or_else(|e| {
        warn!(error = %e, "projections unreadable: reading the whole log at start");
        None
    })
}

/// How a fold of the log ended.
enum Folded {
    /// Every event up to `head` is folded.
    Complete { head: u64 },
    /// An event does not follow its customer's state (projections of another log).
    Gap { customer: Uuid },
}

/// Folds every customer event after `position` into `states`, skipping those a
/// state already holds, and notes each command's first event where the store
/// cannot find it by id.
async fn fold_log(
    store: &dyn EventStore,
    position: u64,
    states: &mut States,
    memory: &CommandMemory,
) -> Result<Folded, CommandError> {
    let mut pages = ReadAllPages::to_head(store, position, PAGE).await?;
    while let Some(page) = pages.next_page().await? {
        for r in &page {
            let Some(customer) = stream_customer(&r.stream) else {
                continue;
            };
            let (state, version) = states.entry(customer).or_default();
            if r.version <= *version {
                continue;
            }
            if r.version != *version + 1 {
                return Ok(Folded::Gap { customer });
            }
            let (event, meta) = codec::decode(r)?;
            memory.note_command(&meta, customer, r.version);
            state.apply(&event);
            *version = r.version;
        }
    }
    Ok(Folded::Complete { head: pages.head() })
}

fn finish(states: States, folded_after: u64, head: u64) -> Rebuilt {
    let mut directory = Directory::default();
    let states = states
        .into_iter()
        .map(|(customer, (state, version))| {
            directory.note(customer, &state);
            (customer, state, version)
        })
        .collect();
    Rebuilt {
        directory,
        states,
        folded_after,
        head,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use subledger_domain::{Catalog, EventData};
    use subledger_store::{SqliteConfig, SqliteStore, Synchronous};

    use super::*;
    use crate::simulate::{SimulationConfig, simulate};
    use crate::{Ledger, LedgerConfig, MemoryKeyVault, Projections, SimulatedClock};

    async fn simulate_days(
        ledger: &Arc<Ledger>,
        seed: u64,
        customers: usize,
        start: DateTime<Utc>,
        days: u32,
    ) {
        let config = SimulationConfig {
            seed,
            customers,
            partners: 3,
            days,
            start,
            concurrency: 8,
        };
        let summary = simulate(ledger, &config, &mut |_, _| {}).await;
        assert_eq!(summary.failures, 0, "{:?}", summary.failure_samples);
    }

    /// The log after the checkpoint holds new subscriptions and transfers, and
    /// events of customers the projections already hold.
    async fn assert_the_tail_matters(store: &dyn EventStore, checkpoint: u64, db: &ProjectionDb) {
        let mut projected = Vec::new();
        db.for_each_customer(|id, _| projected.push(id)).unwrap();
        let tail = store.read_all(checkpoint, usize::MAX).await.unwrap();
        let decoded: Vec<_> = tail
            .iter()
            .map(|r| (stream_customer(&r.stream), codec::decode(r).unwrap().0))
            .collect();
        assert!(
            decoded
                .iter()
                .any(|(_, e)| matches!(e.data, EventData::SubscriptionCreated(_)))
        );
        assert!(
            decoded
                .iter()
                .any(|(_, e)| matches!(e.data, EventData::TransferRequested { .. }))
        );
        assert!(
            decoded
                .iter()
                .any(|(c, _)| c.is_some_and(|c| projected.contains(&c)))
        );
    }

    #[tokio::test]
    async fn a_start_beside_projections_behind_the_head_knows_what_the_whole_log_says() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteStore::open_with(
                SqliteConfig::new(dir.path().join("events.db")).synchronous(Synchronous::Off),
            )
            .unwrap(),
        );
        let start: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().unwrap();
        let ledger = Ledger::open(
            store.clone(),
            Arc::new(Catalog::default_catalog()),
            Arc::new(SimulatedClock::new(start)),
            Arc::new(MemoryKeyVault::default()),
            LedgerConfig::default(),
        )
        .await
        .unwrap();
        simulate_days(&ledger, 1, 40, start, 120).await;
        // The projections catch up, then stop; the log goes on without them: other
        // customers (new subscriptions, transfers) and time-driven work for the
        // customers the projections hold.
        let db = Arc::new(ProjectionDb::open(dir.path().join("projections.db")).unwrap());
        let (projections, runner) = Projections::spawn(store.clone(), db.clone()).await.unwrap();
        let checkpoint = store.last_position().await.unwrap();
        projections
            .wait_for(checkpoint, Duration::from_secs(60))
            .await
            .unwrap();
        runner.abort();
        let _ = runner.await;
        simulate_days(&ledger, 2, 200, start + chrono::Duration::days(120), 120).await;
        assert_eq!(db.checkpoint().unwrap().position, checkpoint);
        assert!(store.last_position().await.unwrap() > checkpoint);
        assert_the_tail_matters(store.as_ref(), checkpoint, &db).await;

        let memory = CommandMemory::new(true, 0);
        let whole = rebuild(store.as_ref(), None, &memory).await.unwrap();
        let beside = rebuild(store.as_ref(), Some(&db), &memory).await.unwrap();
        assert_eq!((whole.folded_after, beside.folded_after), (0, checkpoint));
        assert_eq!(beside.directory, whole.directory);
        let sorted = |mut states: Vec<(Uuid, CustomerState, u64)>| {
            states.sort_by_key(|(customer, _, _)| *customer);
            states
        };
        assert_eq!(sorted(beside.states), sorted(whole.states));
        let due_soon = whole.directory.due_by(start + chrono::Duration::days(600));
        assert!(due_soon.len() > 40, "customers of both runs have work due");

        // A ledger opened beside them runs the same due work as the whole fold.
        let open_beside = Ledger::open_with_projections(
            store.clone(),
            Arc::new(Catalog::default_catalog()),
            Arc::new(SimulatedClock::new(start + chrono::Duration::days(240))),
            Arc::new(MemoryKeyVault::default()),
            LedgerConfig::default(),
            &db,
        )
        .await
        .unwrap();
        assert_eq!(*open_beside.directory(), whole.directory);
    }

    #[tokio::test]
    async fn projections_of_another_log_are_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn EventStore> = Arc::new(subledger_store::MemoryStore::new());
        let db = ProjectionDb::open(dir.path().join("projections.db")).unwrap();
        db.commit(subledger_projections::Batch {
            from: 0,
            to: subledger_projections::Checkpoint {
                position: 9,
                at: None,
            },
            ..subledger_projections::Batch::default()
        })
        .unwrap();
        let memory = CommandMemory::new(true, 0);
        let rebuilt = rebuild(store.as_ref(), Some(&db), &memory).await.unwrap();
        assert_eq!(
            rebuilt.folded_after, 0,
            "ahead of an empty log: not this log's"
        );
        assert_eq!(rebuilt.directory, Directory::default());
    }
}
