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

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::{Command, EventData};
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
                let events = response
                    .events
                    .iter()
                    .filter_map(|e| {
                        let data: Value = serde_json::from_str(e.data.get()).ok()?;
                        serde_json::from_value::<EventData>(
                            json!({"type": e.event_type, "data": data}),
                        )
                        .ok()
                    })
                    .collect();
                Outcome::Accepted(events)
            }
            Err(CommandError::Rejected(r)) => Outcome::Refused { code: r.code },
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
    /// The day seats were last added (a reduction soon after is inside SEAT-2's window).
    added_on: Option<u32>,
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
            if let Err(e) = sink.advance(tick).await {
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
            let results: Vec<Vec<(String, Outcome)>> =
                futures::stream::iter(customers.iter_mut().map(|c| {
                    let n = commands_now(c, day, factor);
                    act(sink, c, n, &ctx)
                }))
                .buffered(config.concurrency.max(1))
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
        let (actor, command) = next_command(c, t);
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
        Who::CustomerAdmin => Actor::customer(format!("admin@customer-{}.example", c.index), c.id),
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn next_command(c: &mut Customer, t: &Tick<'_>) -> (Who, Value) {
    if !c.created {
        let country = ["NL", "IT", "FR", "DE", "US", "AU"][c.index % 6];
        return (
            Who::Partner(c.home),
            json!({"type": "CreateCustomer", "customer_id": c.id,
                   "company_name": format!("Customer {}", c.index),
                   "domain": format!("customer-{}.example", c.index),
                   "country": country,
                   "segment": "commercial"}),
        );
    }
    if let Some(step) = c.transfer.clone() {
        return transfer_step(c, step, t);
    }
    let live: Vec<Owned> = c.owned.iter().filter(|o| o.live).cloned().collect();
    let roll = c.rng.random_range(0..100);
    // Customers buy until they hold what a customer of their size holds, then
    // mostly change what they have.
    let enough = if c.large { 40 } else { 6 };
    let buying = if live.len() < enough { 12 } else { 2 };
    if live.is_empty() || roll < buying {
        return purchase(c);
    }
    let roll = roll.max(12);
    let s = pick(&mut c.rng, &live).clone();
    let who = Who::Partner(s.partner);
    let id = s.id;
    let keyed = KEYED.contains(&s.product.as_str());
    let command = match roll {
        12..=31 => json!({"type": "AddSeats", "subscription_id": id,
                          "seats": c.rng.random_range(1..if c.large { 25 } else { 5 })}),
        32..=43 => json!({"type": "ReduceSeats", "subscription_id": id,
                          "seats": c.rng.random_range(1..4)}),
        44..=47 => json!({"type": if s.suspended { "Reactivate" } else { "Suspend" },
                          "subscription_id": id}),
        48..=52 => json!({"type": "SetAutoRenew", "subscription_id": id,
                          "enabled": c.rng.random_bool(0.6)}),
        53..=56 => {
            if c.rng.random_bool(0.7) {
                json!({"type": "ScheduleChange", "subscription_id": id,
                       "quantity": c.rng.random_range(1..40)})
            } else {
                json!({"type": "ClearScheduledChange", "subscription_id": id})
            }
        }
        57..=62 => upgrade(c, &s, &live),
        63..=66 => json!({"type": "Cancel", "subscription_id": id}),
        67..=69 if s.trial => {
            json!({"type": "ConvertTrial", "subscription_id": id})
        }
        70..=71 if t.partners.len() > 1 && c.rng.random_bool(0.5) => {
            let target = (s.partner + 1) % t.partners.len();
            c.transfer = Some(TransferStep::Asked { target });
            return (
                Who::Partner(target),
                json!({"type": "RequestRelationship", "customer_id": c.id}),
            );
        }
        72..=85 if keyed => match c.rng.random_range(0..20) {
            0 => json!({"type": "RevealKey", "subscription_id": id, "key_type": "KMS"}),
            1..=7 => json!({"type": "RevealKey", "subscription_id": id}),
            8..=14 => json!({"type": "DownloadSoftware", "subscription_id": id,
                             "version": "2022", "language": "en-US", "os": "x64"}),
            _ => json!({"type": "CopyDownloadLink", "subscription_id": id,
                        "version": "2022", "language": "nl-NL", "os": "x64"}),
        },
        _ => json!({"type": "AddSeats", "subscription_id": id, "seats": 1}),
    };
    (who, command)
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

fn upgrade(c: &mut Customer, s: &Owned, live: &[Owned]) -> Value {
    let target = match s.product.as_str() {
        "m365-e3" => "m365-e5",
        "m365-business-basic" => "m365-business-standard",
        "m365-business-standard" => "m365-business-premium",
        "ems-e3" => "ems-e5",
        "defender-endpoint-p1" => "defender-endpoint-p2",
        "windows-e3" => "m365-e5",
        // Unsupported on purpose (UPG-2).
        _ => "teams-rooms-pro",
    };
    let into = live
        .iter()
        .find(|o| o.product == target && o.partner == s.partner && !o.trial)
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
    v
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
    let Outcome::Accepted(events) = outcome else {
        // A refused step of a transfer ends the attempt.
        if matches!(
            command,
            Command::RequestRelationship { .. }
                | Command::AcceptRelationship { .. }
                | Command::RequestTransfer { .. }
        ) {
            c.transfer = None;
        }
        return;
    };
    match command {
        Command::CreateCustomer { .. } => c.created = true,
        Command::AcceptRelationship { partner_id } => {
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
                added_on: None,
            }),
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
