//! The ledger: commands in, events out. For each command: find the customer stream,
//! take the customer's lock, bring its state up to date (cached state plus any
//! events other writers appended), run the time-driven work due by now, decide,
//! append with the expected version, and on a conflict reload and decide again.
//!
//! Each part has one job, in its own file:
//! * [`cache`]: each customer's state as of a stream version, behind its lock;
//!   snapshots;
//! * [`directory`]: where subscriptions, orders and transfers live, and when each
//!   customer has work due;
//! * [`claims`]: ids unique across the ledger, checked in the directory and
//!   claimed in the store with the append;
//! * [`memory`]: what the ledger answered before: earlier results found in the
//!   store, refusals remembered for repeats (GEN-5);
//! * [`startup`]: the directory (and a warm cache) built at start, from the
//!   persisted projections plus the log after their checkpoint, or from the log;
//! * [`due`]: time-driven work (REN-7): clock advances and the scheduler;
//! * [`command`]: the command path that wires them together;
//! * [`shared`]: several nodes on one store: the [`SharedStore`] switch, and the
//!   follower of the log that tells this node what the others wrote.

mod cache;
mod claims;
mod command;
mod directory;
mod due;
mod memory;
mod shared;
mod startup;

pub use shared::SharedStore;

use std::sync::{Arc, Mutex, MutexGuard};

use subledger_domain::{Actor, Catalog, Command, CustomerState};
use subledger_projections::ProjectionDb;
use subledger_store::{EventStore, StoreError};
use tokio::sync::Mutex as AsyncMutex;
use tracing::{debug, warn};
use uuid::Uuid;

use crate::clock::Clock;
use crate::codec::{self, customer_stream};
use crate::error::CommandError;
use crate::keys::KeyVault;
use crate::metrics::Metrics;

use cache::{CustomerCache, Slot};
use directory::Directory;
use memory::CommandMemory;
use shared::Follower;

/// Tunables of the ledger.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// A snapshot is written when this many events were appended since the last.
    pub snapshot_every: u64,
    /// How many customers' states stay cached.
    pub cache_capacity: usize,
    /// How many times a command is decided again after another writer's append.
    pub max_retries: u32,
    /// How many refused commands are remembered for GEN-5 (by this process;
    /// with a shared store they are kept in its database).
    pub rejection_memory: usize,
    /// Nodes sharing one PostgreSQL database: refusals kept there, and the log
    /// followed for what other nodes write. `None`: this process is the only
    /// writer it needs to know about.
    pub shared: Option<SharedStore>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            snapshot_every: 100,
            cache_capacity: 10_000,
            max_retries: 8,
            rejection_memory: 100_000,
            shared: None,
        }
    }
}

/// One command as it reaches the ledger.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub command_id: Uuid,
    pub command: Command,
    pub actor: Actor,
    /// The stream version the client last saw: a mismatch is a conflict, not a retry.
    pub expected_version: Option<u64>,
    /// Decide and return the events, write nothing.
    pub dry_run: bool,
}

/// The ledger service core, shared by the HTTP server, `exec` and `simulate`.
pub struct Ledger {
    store: Arc<dyn EventStore>,
    catalog: Arc<Catalog>,
    clock: Arc<dyn Clock>,
    keys: Arc<dyn KeyVault>,
    config: LedgerConfig,
    cache: CustomerCache,
    directory: Mutex<Directory>,
    memory: CommandMemory,
    /// Whether the store claims unique ids with the append (race-safe across
    /// processes); without it only this process's directory checks them.
    claims_enforced: bool,
    /// Serializes whole runs of time-driven work (the clock advance of API.md).
    time_work: AsyncMutex<()>,
    /// With a shared store: what other nodes write, learned from the log.
    follower: Option<Follower>,
    metrics: Metrics,
}

/// Every value these mutexes guard is valid between statements, so a poisoned
/// lock is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ledger {
    /// Opens the ledger over a store, reading the whole log once to learn where
    /// every subscription and transfer lives and when each customer has work due.
    pub async fn open(
        store: Arc<dyn EventStore>,
        catalog: Arc<Catalog>,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn KeyVault>,
        config: LedgerConfig,
    ) -> Result<Arc<Self>, CommandError> {
        Self::open_inner(store, catalog, clock, keys, config, None).await
    }

    /// [`Ledger::open`] over a log whose persisted projections are at hand: it
    /// starts from what they hold and reads only the log after their checkpoint
    /// (or the whole log, when they cannot be used).
    pub async fn open_with_projections(
        store: Arc<dyn EventStore>,
        catalog: Arc<Catalog>,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn KeyVault>,
        config: LedgerConfig,
        projections: &ProjectionDb,
    ) -> Result<Arc<Self>, CommandError> {
        Self::open_inner(store, catalog, clock, keys, config, Some(projections)).await
    }

    async fn open_inner(
        store: Arc<dyn EventStore>,
        catalog: Arc<Catalog>,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn KeyVault>,
        config: LedgerConfig,
        projections: Option<&ProjectionDb>,
    ) -> Result<Arc<Self>, CommandError> {
        let finds_by_id = !matches!(
            store.find_event(Uuid::nil()).await,
            Err(StoreError::Unsupported(_))
        );
        let memory = match &config.shared {
            Some(shared) => CommandMemory::shared(finds_by_id, shared.pool.clone())
                .await
                .map_err(|e| CommandError::Store(e.into_store_error()))?,
            None => CommandMemory::new(finds_by_id, config.rejection_memory),
        };
        let claims_enforced = store.supports_claims();
        if !claims_enforced {
            warn!(
                "this event store cannot claim unique ids: subscription and order ids are \
                 checked by this process only, so two nodes could accept one id twice"
            );
        }
        let rebuilt = startup::rebuild(store.as_ref(), projections, &memory).await?;
        debug!(
            customers = rebuilt.states.len(),
            folded_after = rebuilt.folded_after,
            "the directory is built"
        );
        let cache = CustomerCache::new(config.cache_capacity);
        cache.fill(rebuilt.states);
        let follower = config
            .shared
            .as_ref()
            .map(|shared| Follower::new(rebuilt.head, shared.lookup_wait));
        let ledger = Arc::new(Self {
            store,
            catalog,
            clock,
            keys,
            config,
            cache,
            directory: Mutex::new(rebuilt.directory),
            memory,
            claims_enforced,
            time_work: AsyncMutex::new(()),
            follower,
            metrics: Metrics::default(),
        });
        Follower::start(&ledger);
        Ok(ledger)
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    fn directory(&self) -> MutexGuard<'_, Directory> {
        lock(&self.directory)
    }

    /// Brings a slot up to the stream's version: snapshot plus tail on first use,
    /// then whatever other writers appended since.
    async fn refresh(&self, slot: &mut Slot, customer: Uuid) -> Result<(), CommandError> {
        let stream = customer_stream(customer);
        if !slot.loaded {
            slot.load_snapshot(self.store.as_ref(), &stream).await?;
        }
        let tail = self.store.read_stream(&stream, slot.version).await?;
        if tail.is_empty() {
            return Ok(());
        }
        let mut events = Vec::with_capacity(tail.len());
        for r in &tail {
            let (event, meta) = codec::decode(r)?;
            self.memory.note_command(&meta, customer, r.version);
            slot.apply(&event, r.version);
            events.push(event);
        }
        self.directory().note_events(customer, &events, &slot.state);
        Ok(())
    }

    /// Appends at the state's version (the check that it is still the stream's),
    /// claiming the unique ids the events create when the store can, timing the
    /// append for the metrics.
    async fn append_timed(
        &self,
        stream: &str,
        version: u64,
        records: Vec<subledger_store::NewEvent>,
        claims: &[String],
    ) -> Result<subledger_store::AppendResult, StoreError> {
        let started = std::time::Instant::now();
        let claims = if self.claims_enforced { claims } else { &[] };
        let result = self
            .store
            .append_claiming(stream, due::expected(version), records, claims)
            .await;
        self.metrics
            .append_seconds
            .observe(started.elapsed().as_secs_f64());
        result
    }

    /// The customer's current state and stream version.
    pub async fn customer_state(
        &self,
        customer: Uuid,
    ) -> Result<(CustomerState, u64), CommandError> {
        let slot = self.cache.slot(customer);
        let mut slot = slot.lock().await;
        self.refresh(&mut slot, customer).await?;
        Ok((slot.state.clone(), slot.version))
    }
}
