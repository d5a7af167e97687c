//! `subledger simulate`: years of partner activity sent through the real command
//! path, day by day on a simulated clock.
//!
//! The customers are those of `crate::workload` (one seeded generator each, its
//! commands depending only on its own earlier outcomes); so the same seed, flags
//! and catalog give every customer stream the same events (ids included) however
//! many customers run at once. Customers act concurrently within a tick (three
//! ticks a day); the clock moves only between ticks, and time-driven work runs as
//! it moves (REN-7), exactly as `POST /v1/clock/advance` does.
//!
//! Rates: most customers are small (a command every week or two), one in twenty is
//! large (several a day); weekends are quiet and the last two days of a month busy.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use futures::StreamExt;
use rand::Rng;

use crate::workload::{Customer, Tick};
pub use crate::workload::{Outcome, customer_admin, customer_ids, partner_agent, partner_ids};
use crate::{CommandRequest, Ledger};

/// What the simulation needs from whoever executes commands: the ledger in
/// process, or a server over HTTP.
#[async_trait]
pub trait CommandSink: Send + Sync {
    async fn execute(&self, request: CommandRequest) -> Outcome;
    /// Moves the clock to `to`, running the time-driven work due until then.
    async fn advance(&self, to: DateTime<Utc>) -> Result<(), String>;
    /// Events written so far (the log's head).
    async fn events_written(&self) -> u64;
}

#[async_trait]
impl CommandSink for Arc<Ledger> {
    async fn execute(&self, request: CommandRequest) -> Outcome {
        Outcome::of(&Ledger::execute(self, request).await)
    }

    async fn advance(&self, to: DateTime<Utc>) -> Result<(), String> {
        match self.advance_clock(to).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn events_written(&self) -> u64 {
        self.store().last_position().await.unwrap_or(0)
    }
}

/// The simulation's knobs.
#[derive(Debug, Clone)]
pub struct SimulationConfig {
    pub seed: u64,
    pub customers: usize,
    pub partners: usize,
    pub days: u32,
    pub start: DateTime<Utc>,
    /// Customers acting at once within a tick.
    pub concurrency: usize,
}

/// What a simulation did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub days: u32,
    pub commands: u64,
    /// Accepted commands per type.
    pub accepted: BTreeMap<String, u64>,
    /// Refused commands per error code.
    pub refused: BTreeMap<String, u64>,
    /// Failures that are not refusals (should be none), with the first messages.
    pub failures: u64,
    pub failure_samples: Vec<String>,
    pub events_written: u64,
    /// Wall time spent moving the clock (the time-driven work), apart from commands.
    pub clock_time: std::time::Duration,
}

impl Summary {
    fn count(&mut self, kind: String, outcome: Outcome) {
        self.commands += 1;
        match outcome {
            Outcome::Accepted(_) => *self.accepted.entry(kind).or_default() += 1,
            Outcome::Refused { code } => *self.refused.entry(code).or_default() += 1,
            Outcome::Failed(message) => self.fail(format!("{kind}: {message}")),
        }
    }

    fn fail(&mut self, message: String) {
        self.failures += 1;
        if self.failure_samples.len() < 10 {
            self.failure_samples.push(message);
        }
    }
}

/// Progress after each simulated day: (days done, summary so far).
pub type ProgressFn<'a> = dyn FnMut(u32, &Summary) + Send + 'a;

/// Runs the simulation through `sink`.
pub async fn simulate(
    sink: &dyn CommandSink,
    config: &SimulationConfig,
    progress: &mut ProgressFn<'_>,
) -> Summary {
    let partners = partner_ids(config.seed, config.partners);
    let mut customers: Vec<Customer> = (0..config.customers.max(1))
        .map(|i| Customer::new(config.seed, i, partners.len()))
        .collect();
    let mut summary = Summary::default();
    for day in 0..config.days {
        let date = config.start + Duration::days(i64::from(day));
        let factor = day_factor(date);
        for hour in [9i64, 13, 17] {
            let tick = Tick {
                day,
                at: date + Duration::hours(hour),
                partners: &partners,
            };
            let advancing = std::time::Instant::now();
            let advanced = sink.advance(tick.at).await;
            summary.clock_time += advancing.elapsed();
            if let Err(e) = advanced {
                summary.fail(format!("advancing to {}: {e}", tick.at));
            }
            let results = run_tick(sink, &mut customers, &tick, factor, config.concurrency).await;
            for (kind, outcome) in results {
                summary.count(kind, outcome);
            }
        }
        summary.days = day + 1;
        if day % 7 == 6 || day + 1 == config.days {
            summary.events_written = sink.events_written().await;
        }
        progress(day + 1, &summary);
    }
    summary.events_written = sink.events_written().await;
    summary
}

/// The commands of one tick, with what became of each.
async fn run_tick(
    sink: &dyn CommandSink,
    customers: &mut [Customer],
    tick: &Tick<'_>,
    factor: f64,
    concurrency: usize,
) -> Vec<(String, Outcome)> {
    // Only the customers acting in this tick take a place among the
    // `concurrency` in flight; the order results arrive in does not matter
    // (each customer's commands depend only on its own outcomes).
    let acting: Vec<(&mut Customer, usize)> = customers
        .iter_mut()
        .filter_map(|c| {
            let n = commands_now(c, tick.day, factor);
            (n > 0).then_some((c, n))
        })
        .collect();
    let results: Vec<Vec<(String, Outcome)>> =
        futures::stream::iter(acting.into_iter().map(|(c, n)| act(sink, c, n, tick)))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    results.into_iter().flatten().collect()
}

/// Month ends are busy, weekends quiet.
fn day_factor(date: DateTime<Utc>) -> f64 {
    let next = date + Duration::days(2);
    if next.month() != date.month() {
        3.0
    } else if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        0.3
    } else {
        1.0
    }
}

/// How many commands a customer sends in one tick.
fn commands_now(c: &mut Customer, day: u32, factor: f64) -> usize {
    if !c.created {
        // Customers arrive over the first months.
        let arrives = (c.index as u32 * 7) % 120;
        return usize::from(day >= arrives);
    }
    let per_tick = if c.large { 1.2 } else { 0.03 } * factor;
    let mut n = 0;
    let mut p = per_tick;
    while p > 0.0 && n < 6 {
        if c.rng.random_bool(p.min(1.0)) {
            n += 1;
        }
        p -= 1.0;
    }
    n
}

/// One customer's commands of one tick, each chosen after the previous outcome.
async fn act(
    sink: &dyn CommandSink,
    c: &mut Customer,
    n: usize,
    t: &Tick<'_>,
) -> Vec<(String, Outcome)> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let Some((who, command)) = c.next_command(t) else {
            continue;
        };
        let request = c.request(who, command, t);
        let command = request.command.clone();
        let outcome = sink.execute(request).await;
        c.learn(&command, &outcome, t);
        out.push((command.type_name().to_owned(), outcome));
    }
    out
}
