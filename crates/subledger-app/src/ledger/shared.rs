//! Several nodes on one shared store (PostgreSQL): each keeps its own directory and
//! cache, and learns what the others write by following the log.
//!
//! The follower reads the log from where the start read up to. An event this
//! process already reflects (its cached state is at that version: it wrote or read
//! it) is skipped; the next event of a cached state is folded into it; otherwise the
//! cached state is dropped, what the event creates is noted in the directory, and
//! the customer's due work becomes "unknown, check now", so the next run of due
//! work loads the state and notes when it is really due. Correctness does not rest
//! on the follower: appends check the stream's version, so a stale state only costs
//! a conflict and a reload; the follower makes other nodes' subscriptions and
//! transfers addressable here, and a lookup that misses waits until it has read the
//! log as far as it went when the command arrived.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use deadpool_postgres::Pool;
use futures::StreamExt;
use subledger_store::{EventStore, PostgresStore, RecordedEvent, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;

use super::cache::Slot;
use super::{Ledger, lock};
use crate::codec::{self, stream_customer};
use crate::error::CommandError;

/// How long a lookup that missed waits for the follower by default.
const DEFAULT_LOOKUP_WAIT: Duration = Duration::from_secs(5);

/// How long the follower waits before subscribing again after a failure.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// What the nodes of one ledger share beyond the log: its PostgreSQL database.
/// With it, [`Ledger`] keeps refusals in the database (GEN-5 across nodes) and
/// follows the log for what other nodes write. Pass the pool of the very
/// `PostgresStore` the ledger runs on, so both are the same schema.
#[derive(Clone)]
pub struct SharedStore {
    pub(super) pool: Pool,
    pub(super) lookup_wait: Duration,
}

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore")
            .field("lookup_wait", &self.lookup_wait)
            .finish_non_exhaustive()
    }
}

impl SharedStore {
    /// The shared database of `pool`'s connections (whose `search_path` is the
    /// ledger's schema, as a `PostgresStore`'s pool).
    pub fn new(pool: Pool) -> Self {
        SharedStore {
            pool,
            lookup_wait: DEFAULT_LOOKUP_WAIT,
        }
    }

    /// The database `store` is in.
    pub fn of(store: &PostgresStore) -> Self {
        Self::new(store.pool().clone())
    }

    /// How long a command naming a subscription or transfer this node does not
    /// know waits for the node to read the log up to its head before it is
    /// answered not found (past it: unavailable, to be retried). Default 5 s.
    pub fn lookup_wait(mut self, wait: Duration) -> Self {
        self.lookup_wait = wait;
        self
    }
}

/// The follower of the log: the position it has read up to, and its task.
pub(super) struct Follower {
    followed: watch::Sender<u64>,
    lookup_wait: Duration,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

impl Follower {
    /// A follower that will continue after `head`.
    pub(super) fn new(head: u64, lookup_wait: Duration) -> Self {
        Follower {
            followed: watch::Sender::new(head),
            lookup_wait,
            task: Mutex::new(None),
        }
    }

    /// Starts following `ledger`'s log. The task holds the ledger weakly (it
    /// ends with it).
    pub(super) fn start(ledger: &Arc<Ledger>) {
        let Some(follower) = &ledger.follower else {
            return;
        };
        let from = *follower.followed.borrow();
        let task = tokio::spawn(follow(
            Arc::downgrade(ledger),
            Arc::clone(&ledger.store),
            from,
        ));
        *lock(&follower.task) = Some(task);
    }

    /// Returns once the follower has read the log up to its head as of now; past
    /// the wait, the store counts as unavailable (a not-found now might be wrong).
    pub(super) async fn caught_up(&self, store: &dyn EventStore) -> Result<(), CommandError> {
        let head = store.last_position().await?;
        let mut followed = self.followed.subscribe();
        match tokio::time::timeout(self.lookup_wait, followed.wait_for(|p| *p >= head)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(CommandError::Store(StoreError::Unavailable(
                format!(
                    "this node has not read the log up to position {head} within {:?}",
                    self.lookup_wait
                )
                .into(),
            ))),
        }
    }

    /// The position the follower has read up to.
    pub(super) fn position(&self) -> u64 {
        *self.followed.borrow()
    }
}

/// Follows the log after `position` for as long as the ledger lives, subscribing
/// again after a failure.
async fn follow(ledger: Weak<Ledger>, store: Arc<dyn EventStore>, mut position: u64) {
    loop {
        match store.subscribe_all(position).await {
            Ok(mut events) => {
                while let Some(next) = events.next().await {
                    let r = match next {
                        Ok(r) => r,
                        Err(e) => {
                            warn!(position, error = %e, "following the log failed; subscribing again");
                            break;
                        }
                    };
                    let Some(ledger) = ledger.upgrade() else {
                        return;
                    };
                    ledger.learn(&r).await;
                    position = r.position;
                    if let Some(follower) = &ledger.follower {
                        follower.followed.send_replace(position);
                    }
                }
            }
            Err(e) => warn!(position, error = %e, "cannot follow the log; trying again"),
        }
        if ledger.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

impl Ledger {
    /// Takes in one event of the log, written by this node or another.
    async fn learn(&self, r: &RecordedEvent) {
        let Some(customer) = stream_customer(&r.stream) else {
            return;
        };
        let decoded = codec::decode(r);
        if let Some(slot) = self.cache.cached(customer) {
            let mut slot = slot.lock().await;
            if slot.loaded && slot.version >= r.version {
                // This process wrote it or read it: its effects are noted.
                return;
            }
            if let (true, Ok((event, meta))) =
                (slot.loaded && slot.version + 1 == r.version, &decoded)
            {
                self.memory.note_command(meta, customer, r.version);
                slot.apply(event, r.version);
                self.directory()
                    .note_events(customer, std::slice::from_ref(event), &slot.state);
                return;
            }
            // The state missed events (or cannot take this one): the next command
            // or due work loads it again.
            *slot = Slot::default();
        }
        let mut directory = self.directory();
        match &decoded {
            Ok((event, meta)) => {
                self.memory.note_command(meta, customer, r.version);
                directory.note_created(customer, std::slice::from_ref(event));
            }
            // The command path meets the same record and reports it there.
            Err(e) => warn!(position = r.position, error = %e, "an event of the log is unreadable"),
        }
        directory.note_due_unknown(customer);
    }

    /// The log position this node has read up to: its start, then its follower's
    /// (`None` without a shared store).
    pub fn followed_position(&self) -> Option<u64> {
        self.follower.as_ref().map(Follower::position)
    }
}
