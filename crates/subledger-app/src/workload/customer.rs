//! One customer of the workload: its own seeded generator, what it knows it
//! owns, and the ids, actors and command ids it acts with. Every id derives from
//! the seed, so a server given the same seed's tokens can be driven over HTTP.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use subledger_domain::Command;
use subledger_domain::actor::{Actor, Role};
use uuid::Uuid;

use crate::CommandRequest;

/// A subscription as the customer knows it from the outcomes it was told.
#[derive(Debug, Clone)]
pub(crate) struct Owned {
    pub id: Uuid,
    pub product: String,
    /// The index of the partner that holds it.
    pub partner: usize,
    pub trial: bool,
    pub live: bool,
    pub suspended: bool,
    pub quantity: u32,
    /// The day it was bought (a cancellation soon after is inside CAN-3's window).
    pub bought_on: u32,
    /// The day seats were last added (a reduction soon after is inside SEAT-2's window).
    pub added_on: Option<u32>,
    pub auto_renew: bool,
    /// Next-term instructions are set (REN-4).
    pub scheduled: bool,
}

/// Where a move to another partner stands (REL-*, TRF-*): one step per command.
#[derive(Debug, Clone)]
pub(crate) enum TransferStep {
    /// The target partner asked for a relationship; the customer accepts next.
    Asked { target: usize },
    /// Related: the target partner requests the transfer next.
    Related { target: usize },
    /// Requested: the source partner answers next.
    Requested { transfer_id: Uuid, source: usize },
}

pub(crate) struct Customer {
    pub index: usize,
    pub id: Uuid,
    /// The partner it starts with and buys through.
    pub home: usize,
    /// One in twenty customers is large: many more commands, seats and subscriptions.
    pub large: bool,
    pub rng: StdRng,
    pub created: bool,
    pub owned: Vec<Owned>,
    pub transfer: Option<TransferStep>,
}

/// When a customer acts: the day counted from the first (SEAT-2's and CAN-3's
/// windows are in days), the instant, and the partners' ids.
pub(crate) struct Tick<'a> {
    pub day: u32,
    pub at: DateTime<Utc>,
    pub partners: &'a [Uuid],
}

/// Who sends a command.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who {
    /// The partner of this index, as an admin agent.
    Partner(usize),
    /// The customer's own global admin (accepting a relationship).
    CustomerAdmin,
}

impl Customer {
    /// Customer `index` of a workload with this seed and `partners` partners.
    pub(crate) fn new(seed: u64, index: usize, partners: usize) -> Self {
        let mut rng =
            StdRng::seed_from_u64(seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Customer {
            index,
            id: derived_id(seed, "customer", index),
            home: index % partners.max(1),
            large: rng.random_bool(0.05),
            rng,
            created: false,
            owned: Vec::new(),
            transfer: None,
        }
    }

    /// `command` as a request sent by `who` at the tick's instant. Command ids are
    /// time-ordered (UUIDv7 of the instant with seeded random bits), like a real
    /// client's.
    pub(crate) fn request(&mut self, who: Who, command: Command, t: &Tick<'_>) -> CommandRequest {
        let mut random = [0u8; 10];
        self.rng.fill(&mut random);
        let millis = u64::try_from(t.at.timestamp_millis()).unwrap_or(0);
        let actor = match who {
            Who::Partner(p) => partner_actor(t.partners, p),
            Who::CustomerAdmin => Actor::customer(customer_admin(self.index), self.id),
        };
        CommandRequest {
            command_id: uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
            command,
            actor,
            expected_version: None,
            dry_run: false,
        }
    }

    /// Changes what the customer knows of subscription `id`, if it owns it.
    pub(crate) fn update(&mut self, id: Uuid, f: impl FnOnce(&mut Owned)) {
        if let Some(o) = self.owned.iter_mut().find(|o| o.id == id) {
            f(o);
        }
    }
}

fn derived_id(seed: u64, kind: &str, index: usize) -> Uuid {
    Uuid::new_v5(
        &Uuid::from_u128(0x51_0001_5eed_0000_0000_0000_0000_0000 | u128::from(seed)),
        format!("{kind}/{index}").as_bytes(),
    )
}

/// The partners' ids of a workload with this seed.
pub fn partner_ids(seed: u64, partners: usize) -> Vec<Uuid> {
    (0..partners.max(1))
        .map(|i| derived_id(seed, "partner", i))
        .collect()
}

/// The customers' ids of a workload with this seed.
pub fn customer_ids(seed: u64, customers: usize) -> Vec<Uuid> {
    (0..customers)
        .map(|i| derived_id(seed, "customer", i))
        .collect()
}

/// The user name of customer `i`'s global admin.
pub fn customer_admin(i: usize) -> String {
    format!("admin@customer-{i}.example")
}

/// The user name of partner `i`'s agent.
pub fn partner_agent(i: usize) -> String {
    format!("agent@partner-{i}.example")
}

/// The actor of partner `i`: admin agent and global admin, so roles never refuse
/// (GEN-3) and refusals are the rules'.
fn partner_actor(partners: &[Uuid], i: usize) -> Actor {
    Actor::partner(
        partner_agent(i),
        partners[i],
        &[Role::AdminAgent, Role::GlobalAdmin],
    )
}
