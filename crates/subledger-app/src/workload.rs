//! A seeded random workload of partner commands: what tests and benchmarks drive
//! through the real command path to get a realistic log (purchases of every kind,
//! seat changes inside and outside their windows, suspensions, upgrades, auto-renew
//! changes, cancellations, key reveals and downloads, a few KMS requests).
//!
//! It only proposes commands; the ledger decides, so refusals are real refusals.
//! The same seed gives the same commands (ids included) as long as it is told the
//! same outcomes through [`Workload::observe`].

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashMap;
use subledger_domain::actor::{Actor, Role};
use subledger_domain::command::CreateCustomer;

use subledger_domain::Command;
use subledger_domain::event::SubscriptionCreated;
use uuid::Uuid;

use crate::{CommandError, CommandRequest, CommandResponse};

/// Products the workload buys, by kind: (product, term, billing).
const LICENSES: [(&str, &str, &str); 6] = [
    ("m365-e3", "P1Y", "monthly"),
    ("m365-business-basic", "P1M", "monthly"),
    ("m365-business-standard", "P1Y", "annual"),
    ("ems-e3", "P1Y", "monthly"),
    ("defender-endpoint-p1", "P1M", "monthly"),
    ("windows-e3", "P1Y", "monthly"),
];
const SOFTWARE: [(&str, &str, &str); 3] = [
    ("windows-server-2022-standard", "P1Y", "annual"),
    ("sql-server-2022-standard", "P3Y", "triennial"),
    ("rds-cal-2022", "P1Y", "monthly"),
];

#[derive(Debug, Clone)]
struct Sub {
    id: Uuid,
    product: String,
    keys: bool,
}

#[derive(Debug, Clone)]
struct Customer {
    id: Uuid,
    partner: usize,
    created: bool,
    subs: Vec<Sub>,
}

/// The generator. See the module documentation.
pub struct Workload {
    rng: StdRng,
    partners: Vec<Uuid>,
    customers: Vec<Customer>,
    index: HashMap<Uuid, usize>,
}

impl Workload {
    /// `customers` customers spread over `partners` partners.
    pub fn new(seed: u64, customers: usize, partners: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let partners: Vec<Uuid> = (0..partners.max(1))
            .map(|_| uuid::Builder::from_random_bytes(rng.random()).into_uuid())
            .collect();
        let customers = (0..customers.max(1))
            .map(|i| Customer {
                id: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
                partner: i % partners.len(),
                created: false,
                subs: Vec::new(),
            })
            .collect();
        let customers: Vec<Customer> = customers;
        let index = customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        Workload {
            rng,
            partners,
            customers,
            index,
        }
    }

    /// The partners' ids.
    pub fn partners(&self) -> &[Uuid] {
        &self.partners
    }

    /// The actor of partner `i`: an admin agent who is also global admin, so every
    /// command and read is allowed by role (GEN-3) and refusals are the rules'.
    pub fn actor(&self, partner: usize) -> Actor {
        Actor::partner(
            format!("agent{partner}@partner.example"),
            self.partners[partner],
            &[Role::AdminAgent, Role::GlobalAdmin],
        )
    }

    /// The next command, as of `now`. Command ids are time-ordered (UUIDv7 of `now`
    /// with seeded random bits), like a real client's.
    pub fn next(&mut self, now: DateTime<Utc>) -> CommandRequest {
        let c = self.rng.random_range(0..self.customers.len());
        let customer = self.customers[c].clone();
        let country = ["NL", "IT", "FR", "DE", "US"][c % 5];
        let command = if !customer.created {
            json!({"type": "CreateCustomer", "customer_id": customer.id,
                   "company_name": format!("Customer {c}"), "domain": format!("c{c}.example"),
                   "country": country, "segment": "commercial"})
        } else if customer.subs.is_empty() || self.rng.random_bool(0.2) {
            self.purchase(&customer)
        } else {
            let s = customer.subs[self.rng.random_range(0..customer.subs.len())].clone();
            self.change(&s)
        };
        let command: Command =
            serde_json::from_value(command).expect("the workload builds valid commands");
        let mut random = [0u8; 10];
        self.rng.fill(&mut random);
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        CommandRequest {
            command_id: uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
            command,
            actor: self.actor(customer.partner),
            expected_version: None,
            dry_run: false,
        }
    }

    fn purchase(&mut self, customer: &Customer) -> serde_json::Value {
        let roll = self.rng.random_range(0..100);
        let has_base = customer.subs.iter().any(|s| s.product == "m365-e3");
        let items = if roll < 10 && has_base {
            // An add-on with its base bought earlier (PUR-6/7 decide).
            vec![
                json!({"product_id": "copilot-m365", "quantity": self.rng.random_range(1..4),
                        "term": "P1Y", "billing": "monthly"}),
            ]
        } else if roll < 25 {
            let (p, t, b) = SOFTWARE[self.rng.random_range(0..SOFTWARE.len())];
            vec![
                json!({"product_id": p, "quantity": self.rng.random_range(1..5), "term": t, "billing": b}),
            ]
        } else if roll < 30 {
            vec![
                json!({"product_id": "azure-reserved-vm", "quantity": 1, "term": "P1Y", "billing": "monthly"}),
            ]
        } else {
            // An order of one to three licences.
            let n = self.rng.random_range(1..4);
            (0..n)
                .map(|_| {
                    let (p, t, b) = LICENSES[self.rng.random_range(0..LICENSES.len())];
                    json!({"product_id": p, "quantity": self.rng.random_range(1..40),
                           "term": t, "billing": b})
                })
                .collect()
        };
        json!({"type": "Purchase", "customer_id": customer.id, "items": items})
    }

    fn change(&mut self, s: &Sub) -> serde_json::Value {
        let id = s.id;
        let roll = self.rng.random_range(0..100);
        match roll {
            0..=29 => {
                json!({"type": "AddSeats", "subscription_id": id, "seats": self.rng.random_range(1..10)})
            }
            30..=44 => {
                json!({"type": "ReduceSeats", "subscription_id": id, "seats": self.rng.random_range(1..5)})
            }
            45..=49 => json!({"type": "Suspend", "subscription_id": id}),
            50..=54 => json!({"type": "Reactivate", "subscription_id": id}),
            55..=61 => json!({"type": "SetAutoRenew", "subscription_id": id,
                              "enabled": self.rng.random_bool(0.7)}),
            62..=66 => {
                let target = match s.product.as_str() {
                    "m365-e3" => "m365-e5",
                    "m365-business-basic" => "m365-business-premium",
                    "ems-e3" => "ems-e5",
                    "defender-endpoint-p1" => "defender-endpoint-p2",
                    // Unsupported on purpose (UPG-2).
                    _ => "teams-rooms-pro",
                };
                json!({"type": "Upgrade", "subscription_id": id, "target_product_id": target,
                       "quantity": self.rng.random_range(1..6)})
            }
            67..=71 => json!({"type": "Cancel", "subscription_id": id}),
            72..=76 => json!({"type": "ScheduleChange", "subscription_id": id,
                              "quantity": self.rng.random_range(1..30)}),
            _ if s.keys => match roll % 7 {
                0 => json!({"type": "RevealKey", "subscription_id": id, "key_type": "KMS"}),
                1 | 2 => json!({"type": "DownloadSoftware", "subscription_id": id,
                                "version": "2022", "language": "en-US", "os": "x64"}),
                3 => {
                    json!({"type": "CopyDownloadLink", "subscription_id": id, "language": "nl-NL"})
                }
                _ => json!({"type": "RevealKey", "subscription_id": id}),
            },
            _ => {
                json!({"type": "AddSeats", "subscription_id": id, "seats": self.rng.random_range(1..3)})
            }
        }
    }

    /// Learns what a command did: customers created, subscriptions bought.
    pub fn observe(
        &mut self,
        request: &CommandRequest,
        outcome: &Result<CommandResponse, CommandError>,
    ) {
        let Ok(response) = outcome else {
            return;
        };
        if let Command::CreateCustomer(CreateCustomer { customer_id, .. }) = &request.command
            && let Some(&i) = self.index.get(customer_id)
        {
            self.customers[i].created = true;
        }
        let Some(customer) = crate::codec::stream_customer(&response.stream) else {
            return;
        };
        let Some(&i) = self.index.get(&customer) else {
            return;
        };
        let c = &mut self.customers[i];
        for e in response
            .events
            .iter()
            .filter(|e| e.event_type == "SubscriptionCreated")
        {
            if let Ok(s) = serde_json::from_str::<SubscriptionCreated>(e.data.get()) {
                c.subs.push(Sub {
                    id: s.subscription_id,
                    keys: SOFTWARE.iter().any(|(p, _, _)| *p == s.product_id),
                    product: s.product_id,
                });
            }
        }
    }
}
