//! The customer cache: each customer's state as of a stream version, behind its
//! own async lock (one customer's commands and due work run one at a time in a
//! process), loaded from a snapshot plus the stream's tail, and snapshotted every
//! `snapshot_every` events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use subledger_domain::{CustomerState, Event, STATE_SCHEMA_VERSION};
use subledger_store::{EventStore, StoreError};
use tokio::sync::Mutex as AsyncMutex;
use tracing::warn;
use uuid::Uuid;

use super::lock;

/// A customer's cached state and the stream version it reflects.
#[derive(Debug, Default)]
pub(super) struct Slot {
    /// Whether the snapshot has been looked for (the state holds at least it).
    pub(super) loaded: bool,
    pub(super) state: CustomerState,
    pub(super) version: u64,
    /// The version of the last snapshot written (or found).
    pub(super) snapshot_version: u64,
}

impl Slot {
    /// A slot holding a state already folded up to `version`.
    fn holding(state: CustomerState, version: u64) -> Self {
        Slot {
            loaded: true,
            state,
            version,
            snapshot_version: version,
        }
    }

    /// Starts from the customer's latest snapshot, if it has a readable one.
    pub(super) async fn load_snapshot(
        &mut self,
        store: &dyn EventStore,
        stream: &str,
    ) -> Result<(), StoreError> {
        if let Some(snap) = store.load_snapshot(stream, STATE_SCHEMA_VERSION).await? {
            match serde_json::from_slice::<CustomerState>(&snap.data) {
                Ok(state) => {
                    self.state = state;
                    self.version = snap.version;
                    self.snapshot_version = snap.version;
                }
                Err(e) => warn!(%stream, error = %e, "unreadable snapshot ignored"),
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// Folds one stored event, at stream version `version`, into the state.
    pub(super) fn apply(&mut self, event: &Event, version: u64) {
        self.state.apply(event);
        self.version = version;
    }

    /// Writes a snapshot when `every` events were appended since the last one. A
    /// failed snapshot costs only a longer load later, so it only warns.
    pub(super) async fn maybe_snapshot(
        &mut self,
        store: &dyn EventStore,
        stream: &str,
        every: u64,
    ) {
        if self.version < self.snapshot_version + every {
            return;
        }
        let bytes = match serde_json::to_vec(&self.state) {
            Ok(bytes) => bytes,
            Err(e) => {
                warn!(%stream, error = %e, "state not serializable");
                return;
            }
        };
        match store
            .save_snapshot(stream, self.version, STATE_SCHEMA_VERSION, bytes.into())
            .await
        {
            Ok(()) => self.snapshot_version = self.version,
            Err(e) => warn!(%stream, error = %e, "snapshot not saved"),
        }
    }
}

/// The slots of the customers in use, up to a capacity.
pub(super) struct CustomerCache {
    slots: Mutex<HashMap<Uuid, Arc<AsyncMutex<Slot>>>>,
    capacity: usize,
}

impl CustomerCache {
    pub(super) fn new(capacity: usize) -> Self {
        CustomerCache {
            slots: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Keeps states folded at start, up to the capacity.
    pub(super) fn fill(&self, states: impl IntoIterator<Item = (Uuid, CustomerState, u64)>) {
        let mut slots = lock(&self.slots);
        for (customer, state, version) in states {
            if slots.len() >= self.capacity {
                break;
            }
            slots.insert(
                customer,
                Arc::new(AsyncMutex::new(Slot::holding(state, version))),
            );
        }
    }

    /// The customer's slot if it is cached (none is made).
    pub(super) fn cached(&self, customer: Uuid) -> Option<Arc<AsyncMutex<Slot>>> {
        lock(&self.slots).get(&customer).cloned()
    }

    /// The customer's slot (an empty one, to be loaded, if it is not cached).
    pub(super) fn slot(&self, customer: Uuid) -> Arc<AsyncMutex<Slot>> {
        let mut slots = lock(&self.slots);
        if slots.len() > self.capacity {
            // Drop idle states (no one holds their lock); they reload from a snapshot.
            slots.retain(|_, s| Arc::strong_count(s) > 1);
        }
        slots.entry(customer).or_default().clone()
    }
}
