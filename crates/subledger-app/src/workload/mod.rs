//! The seeded workload of partner activity: what tests and benchmarks drive
//! through the real command path, and what `subledger simulate` walks day by day.
//! One generator: purchases of every kind, seat changes inside and outside their
//! windows, suspensions, upgrades, renewal instructions, trials, transfers, key
//! reveals and downloads (see `choose`).
//!
//! It only proposes commands; the ledger decides, so refusals are real refusals.
//! Each customer has its own seeded generator and its own view of what it owns
//! (`customer`), and its commands depend only on its own earlier outcomes
//! (`learn`); ids derive from the seed. So the same seed gives the same commands,
//! ids included, as long as each customer is told its outcomes.
//!
//! [`Workload`] drives it one command at a time as of the caller's clock; the
//! simulation (`crate::simulate`) drives many customers at once on its own.

mod choose;
mod customer;
mod learn;
mod outcome;
mod products;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

pub(crate) use customer::{Customer, Tick};
pub use customer::{customer_admin, customer_ids, partner_agent, partner_ids};
pub use outcome::Outcome;

use crate::{CommandError, CommandRequest, CommandResponse};

/// Commands one at a time, from customers picked by a seeded draw. See the
/// module documentation.
pub struct Workload {
    /// Picks the customer who acts next.
    rng: StdRng,
    partners: Vec<Uuid>,
    customers: Vec<Customer>,
    /// The instant of the first command: days count from it.
    start: Option<DateTime<Utc>>,
    /// The customer and instant of each command not yet observed.
    asked: HashMap<Uuid, (usize, DateTime<Utc>)>,
}

impl Workload {
    /// `customers` customers spread over `partners` partners.
    pub fn new(seed: u64, customers: usize, partners: usize) -> Self {
        let partners = partner_ids(seed, partners);
        Workload {
            rng: StdRng::seed_from_u64(seed),
            customers: (0..customers.max(1))
                .map(|i| Customer::new(seed, i, partners.len()))
                .collect(),
            partners,
            start: None,
            asked: HashMap::new(),
        }
    }

    /// The next command, as of `now`.
    pub fn next(&mut self, now: DateTime<Utc>) -> CommandRequest {
        let start = *self.start.get_or_insert(now);
        // A customer with nothing to ask for this time gives its turn to another;
        // every customer buys now and then, so this ends.
        loop {
            let i = self.rng.random_range(0..self.customers.len());
            let tick = Tick {
                day: days_between(start, now),
                at: now,
                partners: &self.partners,
            };
            let customer = &mut self.customers[i];
            if let Some((who, command)) = customer.next_command(&tick) {
                let request = customer.request(who, command, &tick);
                self.asked.insert(request.command_id, (i, now));
                return request;
            }
        }
    }

    /// Tells the customer who sent `request` what became of it.
    pub fn observe(
        &mut self,
        request: &CommandRequest,
        outcome: &Result<CommandResponse, CommandError>,
    ) {
        let Some((i, at)) = self.asked.remove(&request.command_id) else {
            return;
        };
        let tick = Tick {
            day: days_between(self.start.unwrap_or(at), at),
            at,
            partners: &self.partners,
        };
        self.customers[i].learn(&request.command, &Outcome::of(outcome), &tick);
    }
}

/// Whole days from `start` to `at`; none before it.
fn days_between(start: DateTime<Utc>, at: DateTime<Utc>) -> u32 {
    u32::try_from((at - start).num_days()).unwrap_or(0)
}
