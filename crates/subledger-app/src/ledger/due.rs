//! Time-driven work (REN-7): what falls due as the clock passes (renewals,
//! expiries, monthly charges, scheduled changes, trial ends, transfer expiries),
//! run for each customer under its lock, on a clock advance or a scheduler tick.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use subledger_domain::time;
use subledger_store::{ExpectedVersion, StoreError};
use tracing::warn;
use uuid::Uuid;

use super::Ledger;
use super::cache::Slot;
use super::claims;
use crate::clock::ClockWentBack;
use crate::codec::{self, customer_stream};
use crate::error::CommandError;

/// Customers whose time-driven work runs at once (their appends share commits).
const DUE_WORK_CONCURRENCY: usize = 256;

/// The expected version of an append on a stream at `version`.
pub(super) fn expected(version: u64) -> ExpectedVersion {
    if version == 0 {
        ExpectedVersion::NoStream
    } else {
        ExpectedVersion::Exact(version)
    }
}

impl Ledger {
    /// Appends the time-driven work due by `now` (REN-7), each event at its own
    /// instant. Safe on two instances: the events' ids derive from the stream,
    /// instant and version, so the second identical append is a no-op.
    pub(super) async fn run_due(
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
            // Due work creates no subscription today; should it ever, its ids are claimed.
            let claims = claims::claim_keys(&events);
            let result = self
                .append_timed(&stream, slot.version, records, &claims)
                .await;
            match result {
                Ok(r) => {
                    slot.version = r.next_version;
                    written += events.len();
                    self.metrics.time_driven_events.inc_by(events.len() as u64);
                    self.directory().note_events(customer, &events, &slot.state);
                    slot.maybe_snapshot(self.store.as_ref(), &stream, self.config.snapshot_every)
                        .await;
                }
                Err(e) => {
                    *slot = Slot::default();
                    // Another writer (another node's due work, most often) moved
                    // the stream first, or wrote other due events under these ids:
                    // reload and see what is still due, quietly.
                    if !e.is_conflict() && !matches!(e, StoreError::IdempotencyConflict { .. }) {
                        return Err(e.into());
                    }
                    self.metrics.conflicts.inc();
                    self.refresh(slot, customer).await?;
                }
            }
        }
        Ok(written)
    }

    /// Runs every piece of time-driven work due by `now` (REN-7). Customers are
    /// independent streams, so up to `DUE_WORK_CONCURRENCY` of them are worked on at
    /// once and their appends share the store's commits; each customer's own work
    /// stays in order under its lock. Returns the events written.
    pub async fn run_due_work(&self, now: DateTime<Utc>) -> Result<usize, CommandError> {
        let _one_run = self.time_work.lock().await;
        let mut written = 0;
        loop {
            let due = self.directory().due_by(now);
            if due.is_empty() {
                break;
            }
            let mut results = futures::stream::iter(
                due.into_iter()
                    .map(|customer| self.run_due_of(customer, now)),
            )
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

    /// One customer's due work: the events written, and whether the customer is
    /// still due having written nothing (a stale entry, not to be looped on).
    async fn run_due_of(
        &self,
        customer: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(Uuid, usize, bool), CommandError> {
        let slot = self.cache.slot(customer);
        let mut slot = slot.lock().await;
        // As for commands, a cached state is used as it is; the append's expected
        // version catches another writer and a conflict reloads.
        if !slot.loaded {
            self.refresh(&mut slot, customer).await?;
        }
        let n = self.run_due(&mut slot, customer, now).await?;
        let mut directory = self.directory();
        directory.note_due(customer, &slot.state);
        let stuck = n == 0 && directory.is_due_by(customer, now);
        Ok((customer, n, stuck))
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
}
