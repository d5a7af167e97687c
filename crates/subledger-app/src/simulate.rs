//! `subledger simulate`: years of partner activity sent through the real command
//! path, day by day on a simulated clock.
//!
//! Each customer has its own seeded random generator and its own view of what it
//! owns, and its commands depend only on its own earlier outcomes; so the same
//! seed, flags and catalog give every customer stream the same events (ids
//! included) however many customers run at once. Customers act concurrently within
//! a tick (three ticks a day); the clock moves only between ticks, and time-driven
//! work runs as it moves (REN-7), exactly as `POST /v1/clock/advance` does.
//!
//! Rates: most customers are small (a command every week or two), one in twenty is
//! large (several a day); weekends are quiet and the last two days of a month busy.
//! The mix covers every command of API.md, some of them refused on purpose (seat
//! reductions after their window, unsupported upgrades, KMS keys, cancellations late).

use std::collections::BTreeMap;
use std::sync::Arc;
use subledger_domain::command::{
    AcceptRelationship, CreateCustomer, RequestRelationship, RequestTransfer,
};

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::{Command, CommandTarget, EventData};
use uuid::Uuid;

use crate::{CommandError, CommandRequest, Ledger};

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

/// What became of one command.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Accepted: the events it wrote.
    Accepted(Vec<EventData>),
    /// Refused by the rules (or by role or visibility), with the error's code.
    Refused { code: String },
    /// Anything else (a 5xx, a store failure): the simulation counts and reports it.
    Failed(String),
}

#[async_trait]
impl CommandSink for Arc<Ledger> {
    async fn execute(&self, request: CommandRequest) -> Outcome {
        match Ledger::execute(self, request).await {
            Ok(response) => {
                // Only the events the simulation learns from are decoded (not the
                // billing lines, half of all events).
                let events = response
                    .events
                    .iter()
                    .filter(|e| LEARNS_FROM.contains(&e.event_type.as_str()))
                    .filter_map(|e| {
                        let tagged =
                            format!(r#"{{"type":"{}","data":{}}}"#, e.event_type, e.data.get());
                        serde_json::from_str::<EventData>(&tagged).ok()
                    })
                    .collect();
                Outcome::Accepted(events)
            }
            Err(CommandError::Rejected(r)) => Outcome::Refused {
                code: r.code.to_string(),
            },
            Err(CommandError::VersionConflict { .. }) => Outcome::Refused {
                code: "VersionConflict".into(),
            },
            Err(CommandError::IdempotencyKeyReused { .. }) => Outcome::Refused {
                code: "IdempotencyKeyReused".into(),
            },
            Err(other) => Outcome::Failed(other.to_string()),
        }
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

/// The event types `learn` looks at.
const LEARNS_FROM: [&str; 14] = [
    "SubscriptionCreated",
    "AutoRenewSet",
    "ScheduledChangeSet",
    "ScheduledChangeCleared",
    "TransferRequested",
    "SubscriptionSuspended",
    "SubscriptionReactivated",
    "SeatsAdded",
    "SeatsReduced",
    "SubscriptionCancelled",
    "SubscriptionExpired",
    "SubscriptionTransferred",
    "SubscriptionUpgraded",
    "TrialConverted",
];

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

/// Progress after each simulated day: (days done, summary so far).
pub type ProgressFn<'a> = dyn FnMut(u32, &Summary) + Send + 'a;

const LICENSES: [(&str, &str, &str); 8] = [
    ("m365-e3", "P1Y", "monthly"),
    ("m365-e3", "P1Y", "annual"),
    ("m365-business-basic", "P1M", "monthly"),
    ("m365-business-standard", "P1Y", "monthly"),
    ("ems-e3", "P1Y", "monthly"),
    ("defender-endpoint-p1", "P1M", "monthly"),
    ("windows-e3", "P1Y", "annual"),
    ("universal-print", "P1Y", "monthly"),
];
const SOFTWARE: [(&str, &str, &str); 4] = [
    ("windows-server-2022-standard", "P1Y", "annual"),
    ("windows-server-2022-datacenter", "P3Y", "triennial"),
    ("sql-server-2022-standard", "P3Y", "annual"),
    ("rds-cal-2022", "P1Y", "monthly"),
];
const OTHERS: [(&str, Option<&str>, &str); 4] = [
    ("azure-reserved-vm", Some("P1Y"), "monthly"),
    ("isv-saas-monthly", Some("P1M"), "monthly"),
    ("rhel-software-plan", Some("P1Y"), "annual"),
    ("windows-server-2022-perpetual", None, "one_time"),
];
const KEYED: [&str; 5] = [
    "windows-server-2022-standard",
    "windows-server-2022-datacenter",
    "sql-server-2022-standard",
    "rds-cal-2022",
    "windows-server-2022-perpetual",
];

#[derive(Debug, Clone)]
struct Owned {
    id: Uuid,
    product: String,
    partner: usize,
    trial: bool,
    live: bool,
    suspended: bool,
    quantity: u32,
    /// The day it was bought (a cancellation soon after is inside CAN-3's window).
    bought_on: u32,
    /// The day seats were last added (a reduction soon after is inside SEAT-2's window).
    added_on: Option<u32>,
    auto_renew: bool,
    /// Next-term instructions are set (REN-4).
    scheduled: bool,
}

#[derive(Debug, Clone)]
enum TransferStep {
    /// The target partner asked for a relationship; the customer accepts next.
    Asked { target: usize },
    /// Related: the target partner requests the transfer next.
    Related { target: usize },
    /// Requested: the source partner answers next.
    Requested { transfer_id: Uuid, source: usize },
}

struct Customer {
    index: usize,
    id: Uuid,
    home: usize,
    large: bool,
    rng: StdRng,
    created: bool,
    owned: Vec<Owned>,
    transfer: Option<TransferStep>,
}

fn derived_id(seed: u64, kind: &str, index: usize) -> Uuid {
    Uuid::new_v5(
        &Uuid::from_u128(0x51_0001_5eed_0000_0000_0000_0000_0000 | u128::from(seed)),
        format!("{kind}/{index}").as_bytes(),
    )
}

/// The partners' ids of a simulation with this seed.
pub fn partner_ids(seed: u64, partners: usize) -> Vec<Uuid> {
    (0..partners.max(1))
        .map(|i| derived_id(seed, "partner", i))
        .collect()
}

/// The customers' ids of a simulation with this seed.
pub fn customer_ids(seed: u64, customers: usize) -> Vec<Uuid> {
    (0..customers)
        .map(|i| derived_id(seed, "customer", i))
        .collect()
}

/// The user name of customer `i`'s global admin.
pub fn customer_admin(i: usize) -> String {
    format!("admin@customer-{i}.example")
}

/// The actor of partner `i`: admin agent and global admin, so roles never refuse.
pub fn partner_actor(seed: u64, partners: &[Uuid], i: usize) -> Actor {
    let _ = seed;
    Actor::partner(
        format!("agent@partner-{i}.example"),
        partners[i],
        &[Role::AdminAgent, Role::GlobalAdmin],
    )
}

/// Runs the simulation through `sink`.
pub async fn simulate(
    sink: &dyn CommandSink,
    config: &SimulationConfig,
    progress: &mut ProgressFn<'_>,
) -> Summary {
    let partners = partner_ids(config.seed, config.partners);
    let mut customers: Vec<Customer> = (0..config.customers.max(1))
        .map(|i| {
            let mut rng = StdRng::seed_from_u64(
                config.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            Customer {
                index: i,
                id: derived_id(config.seed, "customer", i),
                home: i % partners.len(),
                large: rng.random_bool(0.05),
                rng,
                created: false,
                owned: Vec::new(),
                transfer: None,
            }
        })
        .collect();
    let mut summary = Summary::default();
    for day in 0..config.days {
        let date = config.start + Duration::days(i64::from(day));
        let factor = day_factor(date);
        for hour in [9i64, 13, 17] {
            let tick = date + Duration::hours(hour);
            let advancing = std::time::Instant::now();
            let advanced = sink.advance(tick).await;
            summary.clock_time += advancing.elapsed();
            if let Err(e) = advanced {
                summary.failures += 1;
                if summary.failure_samples.len() < 10 {
                    summary
                        .failure_samples
                        .push(format!("advancing to {tick}: {e}"));
                }
            }
            let ctx = Tick {
                day,
                at: tick,
                partners: &partners,
                seed: config.seed,
            };
            // Only the customers acting in this tick take a place among the
            // `concurrency` in flight; the order results arrive in does not matter
            // (each customer's commands depend only on its own outcomes).
            let acting: Vec<(&mut Customer, usize)> = customers
                .iter_mut()
                .filter_map(|c| {
                    let n = commands_now(c, day, factor);
                    (n > 0).then_some((c, n))
                })
                .collect();
            let results: Vec<Vec<(String, Outcome)>> =
                futures::stream::iter(acting.into_iter().map(|(c, n)| act(sink, c, n, &ctx)))
                    .buffer_unordered(config.concurrency.max(1))
                    .collect()
                    .await;
            for (kind, outcome) in results.into_iter().flatten() {
                summary.commands += 1;
                match outcome {
                    Outcome::Accepted(_) => *summary.accepted.entry(kind).or_default() += 1,
                    Outcome::Refused { code } => *summary.refused.entry(code).or_default() += 1,
                    Outcome::Failed(message) => {
                        summary.failures += 1;
                        if summary.failure_samples.len() < 10 {
                            summary.failure_samples.push(format!("{kind}: {message}"));
                        }
                    }
                }
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

struct Tick<'a> {
    day: u32,
    at: DateTime<Utc>,
    partners: &'a [Uuid],
    seed: u64,
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
        let Some((actor, command)) = next_command(c, t) else {
            continue;
        };
        let command: Command = match serde_json::from_value(command) {
            Ok(c) => c,
            Err(e) => {
                out.push(("Invalid".into(), Outcome::Failed(e.to_string())));
                continue;
            }
        };
        let kind = command.type_name().to_owned();
        let mut random = [0u8; 10];
        c.rng.fill(&mut random);
        let millis = u64::try_from(t.at.timestamp_millis()).unwrap_or(0);
        let request = CommandRequest {
            command_id: uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
            command: command.clone(),
            actor: actor_of(actor, c, t),
            expected_version: None,
            dry_run: false,
        };
        let outcome = sink.execute(request).await;
        learn(c, &command, &outcome, t);
        out.push((kind, outcome));
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Partner(usize),
    CustomerAdmin,
}

fn actor_of(who: Who, c: &Customer, t: &Tick<'_>) -> Actor {
    match who {
        Who::Partner(p) => partner_actor(t.seed, t.partners, p),
        Who::CustomerAdmin => Actor::customer(customer_admin(c.index), c.id),
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// The customer's next command, or `None` when it has nothing to ask for.
fn next_command(c: &mut Customer, t: &Tick<'_>) -> Option<(Who, Value)> {
    if !c.created {
        let country = ["NL", "IT", "FR", "DE", "US", "AU"][c.index % 6];
        return Some((
            Who::Partner(c.home),
            json!({"type": "CreateCustomer", "customer_id": c.id,
                   "company_name": format!("Customer {}", c.index),
                   "domain": format!("customer-{}.example", c.index),
                   "country": country,
                   "segment": "commercial"}),
        ));
    }
    if let Some(step) = c.transfer.clone() {
        return Some(transfer_step(c, step, t));
    }
    // What is gone stays gone: forgetting it keeps a large customer's choices cheap.
    c.owned.retain(|o| o.live);
    let live: Vec<Owned> = c.owned.clone();
    // Customers buy until they hold what a customer of their size holds, then
    // mostly change what they have.
    let enough = if c.large { 40 } else { 6 };
    let buying = if live.len() < enough { 12 } else { 2 };
    if live.is_empty() || c.rng.random_range(0..100) < buying {
        return Some(purchase(c));
    }
    // A suspended subscription is mostly left alone until the customer pays.
    let suspended: Vec<&Owned> = live.iter().filter(|o| o.suspended).collect();
    if !suspended.is_empty() && c.rng.random_bool(0.25) {
        let s = *pick(&mut c.rng, &suspended);
        return Some((
            Who::Partner(s.partner),
            json!({"type": "Reactivate", "subscription_id": s.id}),
        ));
    }
    let trials: Vec<&Owned> = live.iter().filter(|o| o.trial && !o.suspended).collect();
    if !trials.is_empty() && c.rng.random_bool(0.1) {
        let s = *pick(&mut c.rng, &trials);
        let command = if c.rng.random_bool(0.8) {
            json!({"type": "ConvertTrial", "subscription_id": s.id})
        } else {
            json!({"type": "Cancel", "subscription_id": s.id})
        };
        return Some((Who::Partner(s.partner), command));
    }
    let paid: Vec<Owned> = live
        .iter()
        .filter(|o| !o.trial && !o.suspended)
        .cloned()
        .collect();
    if paid.is_empty() {
        return Some(purchase(c));
    }
    let s = pick(&mut c.rng, &paid).clone();
    let who = Who::Partner(s.partner);
    let id = s.id;
    let keyed = KEYED.contains(&s.product.as_str());
    // Days since the seats were last bought: SEAT-2's and CAN-3's windows.
    let since_bought = t.day - s.bought_on;
    let since_added = t.day - s.added_on.unwrap_or(s.bought_on);
    let roll = c.rng.random_range(0..100);
    let command = match roll {
        0..=29 if !keyed || c.rng.random_bool(0.3) => {
            json!({"type": "AddSeats", "subscription_id": id,
                   "seats": c.rng.random_range(1..if c.large { 25 } else { 5 })})
        }
        // Reductions inside the window, and now and then one after it (SEAT-2).
        30..=41 if since_added < 7 || c.rng.random_bool(0.1) => {
            json!({"type": "ReduceSeats", "subscription_id": id,
                   "seats": c.rng.random_range(1..4)})
        }
        42..=44 => json!({"type": "Suspend", "subscription_id": id}),
        45..=50 => json!({"type": "SetAutoRenew", "subscription_id": id,
                          "enabled": !s.auto_renew || c.rng.random_bool(0.2)}),
        51..=55 if s.auto_renew => {
            if s.scheduled && c.rng.random_bool(0.4) {
                json!({"type": "ClearScheduledChange", "subscription_id": id})
            } else {
                json!({"type": "ScheduleChange", "subscription_id": id,
                       "quantity": c.rng.random_range(1..40)})
            }
        }
        56..=62 => upgrade(c, &s, &live)?,
        // Cancellations inside the refund window, and a few after it (CAN-3).
        63..=65 if since_bought < 7 || c.rng.random_bool(0.15) => {
            json!({"type": "Cancel", "subscription_id": id})
        }
        66..=67 if t.partners.len() > 1 && c.rng.random_bool(0.5) => {
            let target = (s.partner + 1) % t.partners.len();
            c.transfer = Some(TransferStep::Asked { target });
            return Some((
                Who::Partner(target),
                json!({"type": "RequestRelationship", "customer_id": c.id}),
            ));
        }
        68..=85 if keyed => match c.rng.random_range(0..40) {
            // A few KMS keys, which the rules never hand out (KEY-2).
            0 => json!({"type": "RevealKey", "subscription_id": id, "key_type": "KMS"}),
            1..=15 => json!({"type": "RevealKey", "subscription_id": id}),
            16..=29 => json!({"type": "DownloadSoftware", "subscription_id": id,
                             "version": "2022", "language": "en-US", "os": "x64"}),
            _ => json!({"type": "CopyDownloadLink", "subscription_id": id,
                        "version": "2022", "language": "nl-NL", "os": "x64"}),
        },
        // Otherwise the customer has nothing to ask for this time.
        _ => return None,
    };
    Some((who, command))
}

fn purchase(c: &mut Customer) -> (Who, Value) {
    let roll = c.rng.random_range(0..100);
    let has_base = c
        .owned
        .iter()
        .any(|o| o.live && (o.product == "m365-e3" || o.product == "m365-e5"));
    let item = |p: &str, q: u32, term: Option<&str>, billing: &str| json!({"product_id": p, "quantity": q, "term": term, "billing": billing});
    let items: Vec<Value> = if roll < 8 && has_base {
        // An add-on with its base (PUR-6/7 decide how many).
        vec![item(
            "copilot-m365",
            c.rng.random_range(1..6),
            Some("P1Y"),
            "monthly",
        )]
    } else if roll < 14 {
        // A trial (TRI-1: 25 seats, one month, monthly).
        let p = if c.rng.random_bool(0.5) {
            "m365-business-premium"
        } else {
            "m365-e5"
        };
        vec![
            json!({"product_id": p, "quantity": 25, "term": "P1M", "billing": "monthly", "trial": true}),
        ]
    } else if roll < 26 {
        let (p, t, b) = *pick(&mut c.rng, &SOFTWARE);
        vec![item(p, c.rng.random_range(1..6), Some(t), b)]
    } else if roll < 32 {
        let (p, t, b) = *pick(&mut c.rng, &OTHERS);
        vec![item(p, 1, t, b)]
    } else {
        let n = c.rng.random_range(1..4);
        let most = if c.large { 300 } else { 30 };
        (0..n)
            .map(|_| {
                let (p, t, b) = *pick(&mut c.rng, &LICENSES);
                item(p, c.rng.random_range(1..most), Some(t), b)
            })
            .collect()
    };
    (
        Who::Partner(c.home),
        json!({"type": "Purchase", "customer_id": c.id, "items": items}),
    )
}

/// An upgrade of `s`: along a path the catalog offers, or now and then one the
/// rules refuse on purpose (UPG-2's unsupported table); `None` when neither.
fn upgrade(c: &mut Customer, s: &Owned, live: &[Owned]) -> Option<Value> {
    let target = match s.product.as_str() {
        "m365-e3" => "m365-e5",
        "m365-business-basic" => "m365-business-standard",
        "m365-business-standard" => "m365-business-premium",
        // Unsupported (UPG-2): tried now and then, as partners do.
        "ems-e3" if c.rng.random_bool(0.2) => "ems-e5",
        "defender-endpoint-p1" if c.rng.random_bool(0.2) => "defender-endpoint-p2",
        "windows-e3" if c.rng.random_bool(0.2) => "m365-e5",
        _ => return None,
    };
    let into = live
        .iter()
        .find(|o| o.product == target && o.partner == s.partner && !o.trial && !o.suspended)
        .map(|o| o.id);
    // The whole subscription (UPG-3) or some of its seats (UPG-4).
    let quantity = if c.rng.random_bool(0.4) {
        s.quantity.max(1)
    } else {
        c.rng.random_range(1..=s.quantity.clamp(1, 5))
    };
    let mut v = json!({"type": "Upgrade", "subscription_id": s.id, "target_product_id": target,
                       "quantity": quantity});
    if let Some(into) = into.filter(|_| c.rng.random_bool(0.5)) {
        v["target_subscription_id"] = json!(into);
    }
    Some(v)
}

fn transfer_step(c: &mut Customer, step: TransferStep, t: &Tick<'_>) -> (Who, Value) {
    match step {
        TransferStep::Asked { target } => (
            Who::CustomerAdmin,
            json!({"type": "AcceptRelationship", "partner_id": t.partners[target]}),
        ),
        TransferStep::Related { target } => {
            let source = (target + t.partners.len() - 1) % t.partners.len();
            (
                Who::Partner(target),
                json!({"type": "RequestTransfer", "customer_id": c.id,
                       "source_partner_id": t.partners[source],
                       "customer_email": format!("admin@customer-{}.example", c.index)}),
            )
        }
        TransferStep::Requested {
            transfer_id,
            source,
        } => {
            c.transfer = None;
            if c.rng.random_bool(0.2) {
                return (
                    Who::Partner(source),
                    json!({"type": "RejectTransfer", "transfer_id": transfer_id}),
                );
            }
            let picked: Vec<Uuid> = c
                .owned
                .iter()
                .filter(|o| o.live && !o.suspended && !o.trial && o.partner == source)
                .map(|o| o.id)
                .take(3)
                .collect();
            (
                Who::Partner(source),
                json!({"type": "AcceptTransfer", "transfer_id": transfer_id, "subscription_ids": picked}),
            )
        }
    }
}

/// Learns from an outcome what the customer owns now.
fn learn(c: &mut Customer, command: &Command, outcome: &Outcome, t: &Tick<'_>) {
    let partner_index = |p: Uuid| t.partners.iter().position(|x| *x == p);
    if let (Outcome::Refused { code }, Some(TransferStep::Asked { target })) =
        (outcome, c.transfer.clone())
        && code == "RelationshipExists"
    {
        // Related already: the target partner goes on to request the transfer.
        c.transfer = Some(TransferStep::Related { target });
        return;
    }
    // A refusal tells the partner what the simulation could not see: time-driven
    // work expired or ended the subscription, or suspended it with its base.
    if let (Outcome::Refused { code }, CommandTarget::Subscription(id)) =
        (outcome, command.target())
    {
        match code.as_str() {
            "SubscriptionExpired" | "SubscriptionCancelled" => set(c, id, |o| o.live = false),
            "SubscriptionSuspended" => set(c, id, |o| o.suspended = true),
            // Converted at its end by the ledger (TRI-2).
            "NotATrial" => set(c, id, |o| o.trial = false),
            _ => {}
        }
    }
    let Outcome::Accepted(events) = outcome else {
        // A refused step of a transfer ends the attempt.
        if matches!(
            command,
            Command::RequestRelationship(RequestRelationship { .. })
                | Command::AcceptRelationship(AcceptRelationship { .. })
                | Command::RequestTransfer(RequestTransfer { .. })
        ) {
            c.transfer = None;
        }
        return;
    };
    match command {
        Command::CreateCustomer(CreateCustomer { .. }) => c.created = true,
        Command::AcceptRelationship(AcceptRelationship { partner_id }) => {
            if let Some(target) = partner_index(*partner_id) {
                c.transfer = Some(TransferStep::Related { target });
            }
        }
        _ => {}
    }
    for e in events {
        match e {
            EventData::SubscriptionCreated(s) => c.owned.push(Owned {
                id: s.subscription_id,
                product: s.product_id.clone(),
                partner: partner_index(s.partner_id).unwrap_or(c.home),
                trial: s.trial,
                live: true,
                suspended: false,
                quantity: s.quantity,
                bought_on: t.day,
                added_on: None,
                auto_renew: s.auto_renew,
                scheduled: false,
            }),
            EventData::AutoRenewSet {
                subscription_id,
                enabled,
            } => set(c, *subscription_id, |o| {
                o.auto_renew = *enabled;
                if !enabled {
                    o.scheduled = false;
                }
            }),
            EventData::ScheduledChangeSet {
                subscription_id, ..
            } => set(c, *subscription_id, |o| o.scheduled = true),
            EventData::ScheduledChangeCleared {
                subscription_id, ..
            } => set(c, *subscription_id, |o| o.scheduled = false),
            EventData::TransferRequested {
                transfer_id,
                source_partner_id,
                ..
            } => {
                if let Some(source) = partner_index(*source_partner_id) {
                    c.transfer = Some(TransferStep::Requested {
                        transfer_id: *transfer_id,
                        source,
                    });
                }
            }
            EventData::TrialConverted {
                subscription_id,
                target_subscription_id,
                ..
            } if subscription_id == target_subscription_id => {
                set(c, *subscription_id, |o| o.trial = false)
            }
            EventData::SubscriptionSuspended {
                subscription_id, ..
            } => set(c, *subscription_id, |o| o.suspended = true),
            EventData::SubscriptionReactivated { subscription_id } => {
                set(c, *subscription_id, |o| o.suspended = false)
            }
            EventData::SeatsAdded {
                subscription_id,
                quantity_after,
                ..
            } => {
                let day = t.day;
                set(c, *subscription_id, |o| {
                    o.added_on = Some(day);
                    o.quantity = *quantity_after;
                })
            }
            EventData::SeatsReduced {
                subscription_id,
                quantity_after,
                ..
            } => set(c, *subscription_id, |o| o.quantity = *quantity_after),
            EventData::SubscriptionCancelled {
                subscription_id, ..
            }
            | EventData::SubscriptionExpired {
                subscription_id, ..
            }
            | EventData::SubscriptionTransferred {
                subscription_id, ..
            } => set(c, *subscription_id, |o| o.live = false),
            EventData::SubscriptionUpgraded {
                subscription_id,
                target_subscription_id,
                source_quantity_after,
                ..
            } => {
                let moved_out = subscription_id != target_subscription_id;
                set(c, *subscription_id, |o| {
                    o.quantity = *source_quantity_after;
                    if moved_out && *source_quantity_after == 0 {
                        o.live = false;
                    }
                })
            }
            _ => {}
        }
    }
}

fn set(c: &mut Customer, id: Uuid, f: impl FnOnce(&mut Owned)) {
    if let Some(o) = c.owned.iter_mut().find(|o| o.id == id) {
        f(o);
    }
}
