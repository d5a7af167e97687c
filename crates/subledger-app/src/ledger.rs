//! The ledger: commands in, events out. For each command: find the customer stream,
//! take the customer's lock, bring its state up to date (cached state plus any
//! events other writers appended), run the time-driven work due by now, decide,
//! append with the expected version, and on a conflict reload and decide again.

use futures::StreamExt;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subledger_domain::command::RevealKey;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use subledger_domain::{
    Actor, Catalog, Command, CommandContext, CommandTarget, CustomerState, Event, EventData,
    Rejection, STATE_SCHEMA_VERSION, decide, time,
};
use subledger_store::{EventStore, ExpectedVersion, RecordedEvent, StoreError};
use tokio::sync::Mutex as AsyncMutex;
use tracing::{Instrument, debug, info_span, warn};
use uuid::Uuid;

use crate::clock::{Clock, ClockWentBack};
use crate::codec::{self, customer_stream, stream_customer};
use crate::error::CommandError;
use crate::keys::KeyVault;
use crate::metrics::{CommandLabels, Metrics, TypeLabel};
use crate::response::CommandResponse;

/// Customers whose time-driven work runs at once (their appends share commits).
const DUE_WORK_CONCURRENCY: usize = 256;

/// Tunables of the ledger.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// A snapshot is written when this many events were appended since the last.
    pub snapshot_every: u64,
    /// How many customers' states stay cached.
    pub cache_capacity: usize,
    /// How many times a command is decided again after another writer's append.
    pub max_retries: u32,
    /// How many refused commands are remembered for GEN-5.
    pub rejection_memory: usize,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            snapshot_every: 100,
            cache_capacity: 10_000,
            max_retries: 8,
            rejection_memory: 100_000,
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

/// A customer's cached state and the stream version it reflects.
#[derive(Debug, Default)]
struct Slot {
    loaded: bool,
    state: CustomerState,
    version: u64,
    snapshot_version: u64,
}

/// Where subscriptions and transfers live, and when each customer has work due.
#[derive(Debug, Default)]
struct Index {
    subscription_customer: HashMap<Uuid, Uuid>,
    transfer_customer: HashMap<Uuid, Uuid>,
    due: BTreeSet<(DateTime<Utc>, Uuid)>,
    due_of: HashMap<Uuid, DateTime<Utc>>,
}

impl Index {
    fn note(&mut self, customer: Uuid, state: &CustomerState) {
        for id in state.subscriptions.keys() {
            self.subscription_customer.insert(*id, customer);
        }
        for id in state.transfers.keys() {
            self.transfer_customer.insert(*id, customer);
        }
        self.note_due(customer, state);
    }

    fn note_events(&mut self, customer: Uuid, events: &[Event], state: &CustomerState) {
        for e in events {
            match &e.data {
                EventData::SubscriptionCreated(c) => {
                    self.subscription_customer
                        .insert(c.subscription_id, customer);
                }
                EventData::TransferRequested { transfer_id, .. } => {
                    self.transfer_customer.insert(*transfer_id, customer);
                }
                _ => {}
            }
        }
        self.note_due(customer, state);
    }

    fn note_due(&mut self, customer: Uuid, state: &CustomerState) {
        if let Some(old) = self.due_of.remove(&customer) {
            self.due.remove(&(old, customer));
        }
        if let Some((at, _)) = time::next_due(state) {
            self.due_of.insert(customer, at);
            self.due.insert((at, customer));
        }
    }
}

/// Refused commands, remembered so a repeat gets the same answer (GEN-5). A
/// refusal writes nothing to the log (GEN-6), so this memory is the process's own.
#[derive(Debug, Default)]
struct Refusals {
    by_command: HashMap<Uuid, (String, CommandError)>,
    order: std::collections::VecDeque<Uuid>,
}

/// The ledger service core, shared by the HTTP server, `exec` and `simulate`.
pub struct Ledger {
    store: Arc<dyn EventStore>,
    catalog: Arc<Catalog>,
    clock: Arc<dyn Clock>,
    keys: Arc<dyn KeyVault>,
    config: LedgerConfig,
    slots: Mutex<HashMap<Uuid, Arc<AsyncMutex<Slot>>>>,
    index: Mutex<Index>,
    refusals: Mutex<Refusals>,
    /// Serializes whole runs of time-driven work (the clock advance of API.md).
    time_work: AsyncMutex<()>,
    /// Where each command's first event is, for stores that cannot look an event
    /// up by id (EventStoreDB); `None` when the store can.
    command_index: Option<Mutex<HashMap<Uuid, (Uuid, u64)>>>,
    metrics: Metrics,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ledger {
    /// Opens the ledger over a store, reading the log once to learn where every
    /// subscription and transfer lives and when each customer has work due.
    pub async fn open(
        store: Arc<dyn EventStore>,
        catalog: Arc<Catalog>,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn KeyVault>,
        config: LedgerConfig,
    ) -> Result<Arc<Self>, CommandError> {
        let finds_by_id = !matches!(
            store.find_event(Uuid::nil()).await,
            Err(StoreError::Unsupported(_))
        );
        let ledger = Arc::new(Self {
            store,
            catalog,
            clock,
            keys,
            config,
            slots: Mutex::new(HashMap::new()),
            index: Mutex::new(Index::default()),
            refusals: Mutex::new(Refusals::default()),
            time_work: AsyncMutex::new(()),
            command_index: (!finds_by_id).then(|| Mutex::new(HashMap::new())),
            metrics: Metrics::default(),
        });
        ledger.rebuild_index().await?;
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

    /// Folds the whole log once: every customer's state, kept in the cache up to
    /// its capacity, and the index of subscriptions, transfers and due work.
    async fn rebuild_index(&self) -> Result<(), CommandError> {
        let mut states: HashMap<Uuid, (CustomerState, u64)> = HashMap::new();
        let mut position = 0;
        loop {
            let page = self.store.read_all(position, 10_000).await?;
            let Some(last) = page.last() else { break };
            position = last.position;
            for r in &page {
                let Some(customer) = stream_customer(&r.stream) else {
                    continue;
                };
                let (event, meta) = codec::decode(r)?;
                self.note_command(&meta, customer, r.version);
                let entry = states.entry(customer).or_default();
                entry.0.apply(&event);
                entry.1 = r.version;
            }
        }
        let mut index = lock(&self.index);
        let mut slots = lock(&self.slots);
        for (customer, (state, version)) in states {
            index.note(customer, &state);
            if slots.len() < self.config.cache_capacity {
                slots.insert(
                    customer,
                    Arc::new(AsyncMutex::new(Slot {
                        loaded: true,
                        state,
                        version,
                        snapshot_version: version,
                    })),
                );
            }
        }
        Ok(())
    }

    /// Remembers where a command's events start, when the store cannot find them.
    fn note_command(&self, meta: &codec::Metadata, customer: Uuid, version: u64) {
        if let (Some(index), Some(command_id), Some(_)) =
            (&self.command_index, meta.command_id, meta.count)
        {
            lock(index).insert(command_id, (customer, version));
        }
    }

    /// The first recorded event of an earlier command, if there is one.
    async fn find_command(&self, command_id: Uuid) -> Result<Option<RecordedEvent>, CommandError> {
        let first = codec::command_event_id(command_id, 0);
        let Some(index) = &self.command_index else {
            return Ok(self.store.find_event(first).await?);
        };
        let Some((customer, version)) = lock(index).get(&command_id).copied() else {
            return Ok(None);
        };
        let stream = customer_stream(customer);
        Ok(self
            .store
            .read_stream(&stream, version - 1)
            .await?
            .into_iter()
            .next()
            .filter(|r| r.event_id == first))
    }

    /// The customer a command addresses (GEN-2: an unknown id is not found).
    fn resolve(&self, req: &CommandRequest) -> Result<Uuid, CommandError> {
        let index = lock(&self.index);
        match req.command.target() {
            CommandTarget::Customer(id) => Ok(id),
            CommandTarget::ActorsCustomer => req.actor.customer_id.ok_or_else(|| {
                Rejection::forbidden(
                    subledger_domain::rules::GEN_3,
                    "only a customer's user can do this",
                )
                .into()
            }),
            CommandTarget::Subscription(id) => index
                .subscription_customer
                .get(&id)
                .copied()
                .ok_or_else(|| Rejection::not_found("subscription", id).into()),
            CommandTarget::Transfer(id) => index
                .transfer_customer
                .get(&id)
                .copied()
                .ok_or_else(|| Rejection::not_found("transfer", id).into()),
        }
    }

    /// The customer holding a subscription, if any.
    pub fn customer_of_subscription(&self, id: Uuid) -> Option<Uuid> {
        lock(&self.index).subscription_customer.get(&id).copied()
    }

    fn slot(&self, customer: Uuid) -> Arc<AsyncMutex<Slot>> {
        let mut slots = lock(&self.slots);
        if slots.len() > self.config.cache_capacity {
            // Drop idle states (no one holds their lock); they reload from a snapshot.
            slots.retain(|_, s| Arc::strong_count(s) > 1);
        }
        slots.entry(customer).or_default().clone()
    }

    /// Brings a slot up to the stream's version: snapshot plus tail on first use,
    /// then whatever other writers appended since.
    async fn refresh(&self, slot: &mut Slot, customer: Uuid) -> Result<(), CommandError> {
        let stream = customer_stream(customer);
        if !slot.loaded {
            if let Some(snap) = self
                .store
                .load_snapshot(&stream, STATE_SCHEMA_VERSION)
                .await?
            {
                match serde_json::from_slice::<CustomerState>(&snap.data) {
                    Ok(state) => {
                        slot.state = state;
                        slot.version = snap.version;
                        slot.snapshot_version = snap.version;
                    }
                    Err(e) => warn!(%stream, error = %e, "unreadable snapshot ignored"),
                }
            }
            slot.loaded = true;
        }
        let tail = self.store.read_stream(&stream, slot.version).await?;
        if !tail.is_empty() {
            let mut events = Vec::with_capacity(tail.len());
            for r in &tail {
                let (event, meta) = codec::decode(r)?;
                self.note_command(&meta, customer, r.version);
                slot.state.apply(&event);
                slot.version = r.version;
                events.push(event);
            }
            lock(&self.index).note_events(customer, &events, &slot.state);
        }
        Ok(())
    }

    fn expected(version: u64) -> ExpectedVersion {
        if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        }
    }

    /// Appends the time-driven work due by `now` (REN-7), each event at its own
    /// instant. Safe on two instances: the events' ids derive from the stream,
    /// instant and version, so the second identical append is a no-op.
    async fn run_due(
        &self,
        slot: &mut Slot,
        customer: Uuid,
        now: DateTime<Utc>,
    ) -> Result<usize, CommandError> {
        let stream = customer_stream(customer);
        let mut written = 0;
        for _ in 0..=self.config.max_retries {
            if time::next_due(&slot.state).is_none_or(|(at, _)| at > now) {
                break;
            }
            // Folded into the cached state as decided (a large customer's state is
            // not copied); until the append lands the state is ahead of the stream,
            // so a failed append drops it and loads it again.
            let events = time::apply_due(&mut slot.state, now, &self.catalog);
            if events.is_empty() {
                break;
            }
            let records = codec::encode_time(&events, &stream, slot.version);
            let started = Instant::now();
            let result = self
                .store
                .append(&stream, Self::expected(slot.version), records)
                .await;
            self.metrics
                .append_seconds
                .observe(started.elapsed().as_secs_f64());
            match result {
                Ok(r) => {
                    slot.version = r.next_version;
                    written += events.len();
                    self.metrics.time_driven_events.inc_by(events.len() as u64);
                    lock(&self.index).note_events(customer, &events, &slot.state);
                    self.maybe_snapshot(slot, &stream).await;
                }
                Err(e) => {
                    *slot = Slot::default();
                    if !e.is_conflict() {
                        return Err(e.into());
                    }
                    self.metrics.conflicts.inc();
                    self.refresh(slot, customer).await?;
                }
            }
        }
        Ok(written)
    }

    async fn maybe_snapshot(&self, slot: &mut Slot, stream: &str) {
        if slot.version < slot.snapshot_version + self.config.snapshot_every {
            return;
        }
        match serde_json::to_vec(&slot.state) {
            Ok(bytes) => {
                // A failed snapshot costs only a longer load later.
                if let Err(e) = self
                    .store
                    .save_snapshot(stream, slot.version, STATE_SCHEMA_VERSION, bytes.into())
                    .await
                {
                    warn!(%stream, error = %e, "snapshot not saved");
                } else {
                    slot.snapshot_version = slot.version;
                }
            }
            Err(e) => warn!(%stream, error = %e, "state not serializable"),
        }
    }

    /// The response of a command accepted before, if `command_id` was used
    /// (GEN-5); a different payload under the same id is refused.
    async fn previous_result(
        &self,
        req: &CommandRequest,
        fingerprint_now: &str,
    ) -> Result<Option<CommandResponse>, CommandError> {
        let Some(found) = self.find_command(req.command_id).await? else {
            return Ok(None);
        };
        let (_, meta) = codec::decode(&found)?;
        if meta.fingerprint.as_deref() != Some(fingerprint_now) {
            return Err(CommandError::IdempotencyKeyReused {
                command_id: req.command_id,
            });
        }
        let count = meta.count.unwrap_or(1);
        let records: Vec<RecordedEvent> = self
            .store
            .read_stream(&found.stream, found.version - 1)
            .await?
            .into_iter()
            .take(count)
            .collect();
        let key = match &req.command {
            Command::RevealKey(RevealKey {
                subscription_id, ..
            }) => Some(self.keys.key_for(*subscription_id)?),
            _ => None,
        };
        Ok(Some(response_from_records(req.command_id, &records, key)?))
    }

    fn remember_refusal(&self, command_id: Uuid, fingerprint: &str, error: &CommandError) {
        let mut r = lock(&self.refusals);
        if r.by_command
            .insert(command_id, (fingerprint.to_owned(), error.clone()))
            .is_none()
        {
            r.order.push_back(command_id);
        }
        while r.order.len() > self.config.rejection_memory {
            if let Some(old) = r.order.pop_front() {
                r.by_command.remove(&old);
            }
        }
    }

    fn earlier_refusal(&self, command_id: Uuid, fingerprint: &str) -> Option<CommandError> {
        let r = lock(&self.refusals);
        r.by_command.get(&command_id).map(|(fp, err)| {
            if fp == fingerprint {
                err.clone()
            } else {
                CommandError::IdempotencyKeyReused { command_id }
            }
        })
    }

    /// Handles one command: the whole flow of ARCHITECTURE.md.
    pub async fn execute(&self, req: CommandRequest) -> Result<CommandResponse, CommandError> {
        let span = info_span!(
            "command",
            command_id = %req.command_id,
            command_type = req.command.type_name(),
            user = %req.actor.user,
        );
        let started = Instant::now();
        let command_type = req.command.type_name();
        let result = self.execute_inner(&req).instrument(span).await;
        let outcome = match &result {
            Ok(r) if r.dry_run => "dry_run",
            Ok(_) => "accepted",
            Err(CommandError::Rejected(r)) => match r.kind {
                subledger_domain::RejectionKind::Rule => "rejected",
                subledger_domain::RejectionKind::InvalidRequest => "invalid",
                subledger_domain::RejectionKind::Forbidden => "forbidden",
                subledger_domain::RejectionKind::NotFound => "not_found",
            },
            Err(CommandError::VersionConflict { .. }) => "conflict",
            Err(CommandError::IdempotencyKeyReused { .. }) => "idempotency_key_reused",
            Err(_) => "error",
        };
        self.metrics
            .commands
            .get_or_create(&CommandLabels {
                command_type: command_type.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        self.metrics
            .command_seconds
            .get_or_create(&TypeLabel {
                command_type: command_type.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
        result
    }

    async fn execute_inner(&self, req: &CommandRequest) -> Result<CommandResponse, CommandError> {
        let fingerprint = req.command.fingerprint();
        if let Some(err) = self.earlier_refusal(req.command_id, &fingerprint) {
            return Err(err);
        }
        let result = self.execute_fresh(req, &fingerprint).await;
        if let Err(e @ (CommandError::Rejected(_) | CommandError::VersionConflict { .. })) = &result
            && !req.dry_run
        {
            self.remember_refusal(req.command_id, &fingerprint, e);
        }
        result
    }

    async fn execute_fresh(
        &self,
        req: &CommandRequest,
        fingerprint: &str,
    ) -> Result<CommandResponse, CommandError> {
        let customer = self.resolve(req)?;
        let stream = customer_stream(customer);
        let slot = self.slot(customer);
        let mut slot = slot.lock().await;
        // A cached state is used as it is: the append's expected version is the
        // check against the stream, and a conflict reloads it (optimistic
        // concurrency). Only a state not yet loaded is read here.
        if !slot.loaded {
            self.refresh(&mut slot, customer).await?;
        }
        if let Some(previous) = self.previous_result(req, fingerprint).await? {
            debug!("repeated command id: returning the first result");
            return Ok(previous);
        }
        for attempt in 0..=self.config.max_retries {
            let now = self.clock.now();
            if !req.dry_run {
                self.run_due(&mut slot, customer, now).await?;
            }
            if let Some(expected) = req.expected_version
                && expected != slot.version
            {
                // The client may have seen another process's write this cache has not.
                self.refresh(&mut slot, customer).await?;
                if expected != slot.version {
                    return Err(CommandError::VersionConflict {
                        expected,
                        actual: slot.version,
                    });
                }
            }
            let mut ctx = CommandContext {
                command_id: req.command_id,
                actor: &req.actor,
                now,
                key_fingerprint: None,
            };
            let mut events = decide(&slot.state, &req.command, &ctx, &self.catalog)?;
            let mut key = None;
            if let Command::RevealKey(RevealKey {
                subscription_id, ..
            }) = &req.command
                && !req.dry_run
            {
                // Only now that the reveal is allowed is a key issued (KEY-1).
                let k = self.keys.key_for(*subscription_id)?;
                let fp = crate::keys::fingerprint(&k);
                ctx.key_fingerprint = Some(&fp);
                events = decide(&slot.state, &req.command, &ctx, &self.catalog)?;
                key = Some(k);
            }
            let records = codec::encode_command(&events, req.command_id, fingerprint);
            if req.dry_run {
                let shown: Vec<(Event, Box<RawValue>)> = events
                    .into_iter()
                    .zip(&records)
                    .map(|(e, r)| Ok((e, raw(&r.data)?)))
                    .collect::<Result<_, CommandError>>()?;
                return Ok(CommandResponse::build(
                    req.command_id,
                    stream,
                    slot.version,
                    None,
                    &shown,
                    None,
                    true,
                ));
            }
            let payloads: Vec<bytes::Bytes> = records.iter().map(|r| r.data.clone()).collect();
            let appended_at = Instant::now();
            let result = self
                .store
                .append(&stream, Self::expected(slot.version), records)
                .await;
            self.metrics
                .append_seconds
                .observe(appended_at.elapsed().as_secs_f64());
            match result {
                Ok(r) => {
                    let first_version = slot.version + 1;
                    for e in &events {
                        slot.state.apply(e);
                    }
                    slot.version = r.next_version;
                    if let Some(index) = &self.command_index {
                        lock(index).insert(req.command_id, (customer, first_version));
                    }
                    lock(&self.index).note_events(customer, &events, &slot.state);
                    self.maybe_snapshot(&mut slot, &stream).await;
                    let shown: Vec<(Event, Box<RawValue>)> = events
                        .into_iter()
                        .zip(&payloads)
                        .map(|(e, p)| Ok((e, raw(p)?)))
                        .collect::<Result<_, CommandError>>()?;
                    return Ok(CommandResponse::build(
                        req.command_id,
                        stream,
                        r.next_version,
                        Some(r.position),
                        &shown,
                        key,
                        false,
                    ));
                }
                Err(e)
                    if e.is_conflict() || matches!(e, StoreError::IdempotencyConflict { .. }) =>
                {
                    // Another process wrote to this customer (or wrote this very
                    // command): reload, look for our own result, decide again.
                    self.metrics.conflicts.inc();
                    self.refresh(&mut slot, customer).await?;
                    if let Some(previous) = self.previous_result(req, fingerprint).await? {
                        return Ok(previous);
                    }
                    if let Some(expected) = req.expected_version {
                        return Err(CommandError::VersionConflict {
                            expected,
                            actual: slot.version,
                        });
                    }
                    self.metrics.retries.inc();
                    let jitter = rand::random_range(0..(2u64 << attempt.min(6)));
                    tokio::time::sleep(Duration::from_millis(jitter)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(CommandError::VersionConflict {
            expected: slot.version,
            actual: self.store.stream_version(&stream).await?,
        })
    }

    /// Runs every piece of time-driven work due by `now` (REN-7). Customers are
    /// independent streams, so up to `DUE_WORK_CONCURRENCY` of them are worked on at
    /// once and their appends share the store's commits; each customer's own work
    /// stays in order under its lock. Returns the events written.
    pub async fn run_due_work(&self, now: DateTime<Utc>) -> Result<usize, CommandError> {
        let _one_run = self.time_work.lock().await;
        let mut written = 0;
        loop {
            let due: Vec<Uuid> = {
                let index = lock(&self.index);
                index
                    .due
                    .iter()
                    .take_while(|(at, _)| *at <= now)
                    .map(|(_, customer)| *customer)
                    .collect()
            };
            if due.is_empty() {
                break;
            }
            let mut results = futures::stream::iter(due.into_iter().map(|customer| async move {
                let slot = self.slot(customer);
                let mut slot = slot.lock().await;
                // As for commands, a cached state is used as it is; the append's
                // expected version catches another writer and a conflict reloads.
                if !slot.loaded {
                    self.refresh(&mut slot, customer).await?;
                }
                let n = self.run_due(&mut slot, customer, now).await?;
                let mut index = lock(&self.index);
                index.note_due(customer, &slot.state);
                // Nothing written yet still due (a stale entry): not looped on.
                let stuck = n == 0 && index.due_of.get(&customer).is_some_and(|at| *at <= now);
                Ok::<_, CommandError>((customer, n, stuck))
            }))
            .buffer_unordered(DUE_WORK_CONCURRENCY);
            let mut stuck = false;
            while let Some(result) = results.next().await {
                let (customer, n, customer_stuck) = result?;
                written += n;
                if customer_stuck {
                    warn!(%customer, "due work produced nothing; skipping it this run");
                    stuck = true;
                }
            }
            if stuck {
                break;
            }
        }
        Ok(written)
    }

    /// Moves the simulated clock to `to` and runs all work due by then before
    /// returning (API.md `POST /v1/clock/advance`).
    pub async fn advance_clock(
        &self,
        to: DateTime<Utc>,
    ) -> Result<Result<usize, ClockWentBack>, CommandError> {
        let Some(sim) = self.clock.as_simulated() else {
            return Ok(Ok(0));
        };
        if let Err(e) = sim.set(to) {
            return Ok(Err(e));
        }
        self.run_due_work(to).await.map(Ok)
    }

    /// Runs due work every `interval` with the system clock, until the returned
    /// handle is aborted.
    pub fn spawn_scheduler(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let ledger = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = ledger.clock.now();
                if let Err(e) = ledger.run_due_work(now).await {
                    warn!(error = %e, "time-driven work failed; will try again");
                }
            }
        })
    }

    /// The customer's current state and stream version.
    pub async fn customer_state(
        &self,
        customer: Uuid,
    ) -> Result<(CustomerState, u64), CommandError> {
        let slot = self.slot(customer);
        let mut slot = slot.lock().await;
        self.refresh(&mut slot, customer).await?;
        Ok((slot.state.clone(), slot.version))
    }

    /// The customer's events, decoded, with their stream versions.
    pub async fn customer_events(&self, customer: Uuid) -> Result<Vec<(u64, Event)>, CommandError> {
        let records = self
            .store
            .read_stream(&customer_stream(customer), 0)
            .await?;
        records
            .iter()
            .map(|r| {
                codec::decode(r)
                    .map(|(e, _)| (r.version, e))
                    .map_err(Into::into)
            })
            .collect()
    }
}

fn raw(bytes: &[u8]) -> Result<Box<RawValue>, CommandError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CommandError::Corrupt(e.to_string()))?;
    RawValue::from_string(text.to_owned()).map_err(|e| CommandError::Corrupt(e.to_string()))
}

/// The response of a command rebuilt from its stored records.
fn response_from_records(
    command_id: Uuid,
    records: &[RecordedEvent],
    key: Option<String>,
) -> Result<CommandResponse, CommandError> {
    let last = records
        .last()
        .ok_or_else(|| CommandError::Corrupt(format!("command {command_id} has no events")))?;
    let shown = records
        .iter()
        .map(|r| {
            let (e, _) = codec::decode(r)?;
            Ok((e, raw(&r.data)?))
        })
        .collect::<Result<Vec<_>, CommandError>>()?;
    Ok(CommandResponse::build(
        command_id,
        last.stream.clone(),
        last.version,
        Some(last.position),
        &shown,
        key,
        false,
    ))
}
