//! A given / when / then harness for the decider, in the spirit of cqrs-es's
//! test framework: *given* the events of earlier commands (or raw events),
//! *when* a command arrives at an instant from an actor, *then* these events or
//! this rejection.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use serde_json::Value;
use subledger_domain::actor::{Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, Command, CreateCustomer, Purchase, PurchaseItem, RequestRelationship,
    Segment, Upgrade, UpgradeTiming,
};
use subledger_domain::event::{BillingLine, Event, EventData};
use subledger_domain::state::{CustomerState, Subscription};
use subledger_domain::{Catalog, CommandContext, Rejection, decide, time};
use uuid::Uuid;

mod commands;
mod given;

// Each test binary uses a part of the harness.
#[allow(unused_imports)]
pub use commands::*;
#[allow(unused_imports)]
pub use given::*;

pub const PARTNER_A: Uuid = Uuid::from_u128(0xA000_0000_0000_0000_0000_0000_0000_000A);
pub const PARTNER_B: Uuid = Uuid::from_u128(0xB000_0000_0000_0000_0000_0000_0000_000B);
pub const PARTNER_C: Uuid = Uuid::from_u128(0xC000_0000_0000_0000_0000_0000_0000_000C);
pub const CUSTOMER: Uuid = Uuid::from_u128(0x0C05_7000_0000_0000_0000_0000_0000_0001);

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_else(|e| panic!("bad instant {s}: {e}"))
}

pub fn date(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

/// A partner user holding `roles`.
pub fn partner(partner_id: Uuid, roles: &[Role]) -> Actor {
    Actor::partner(format!("agent@{partner_id}"), partner_id, roles)
}

/// Partner A's admin agent: may do everything a partner may.
pub fn admin_a() -> Actor {
    partner(PARTNER_A, &[Role::AdminAgent])
}

pub fn admin_b() -> Actor {
    partner(PARTNER_B, &[Role::AdminAgent])
}

pub fn customer_admin() -> Actor {
    Actor::customer("admin@fabrikam.example", CUSTOMER)
}

/// One line item with the defaults of API.md.
pub fn item(product: &str, quantity: u32, term: Option<Term>, billing: Billing) -> PurchaseItem {
    PurchaseItem {
        subscription_id: None,
        product_id: product.to_owned(),
        quantity,
        term,
        billing,
        auto_renew: true,
        trial: false,
        promotion_id: None,
    }
}

/// The outcome of one command.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<Vec<Event>, Rejection>,
}

impl Outcome {
    /// Then: these event types, in this order.
    #[track_caller]
    pub fn then_types(&self, expected: &[&str]) -> &Vec<Event> {
        match &self.result {
            Ok(events) => {
                let types: Vec<&str> = events.iter().map(|e| e.data.type_name()).collect();
                assert_eq!(types, expected, "events: {events:#?}");
                events
            }
            Err(r) => panic!(
                "expected events {expected:?}, got rejection {r}: {:#?}",
                r.details
            ),
        }
    }

    /// Then: accepted, whatever the events.
    #[track_caller]
    pub fn accepted(&self) -> &Vec<Event> {
        match &self.result {
            Ok(events) => events,
            Err(r) => panic!("expected acceptance, got rejection {r}: {:#?}", r.details),
        }
    }

    /// Then: refused with this code and rule; returns the rejection for more checks.
    #[track_caller]
    pub fn then_rejected(&self, code: &str, rule: &str) -> &Rejection {
        match &self.result {
            Ok(events) => panic!("expected rejection {code} ({rule}), got events {events:#?}"),
            Err(r) => {
                assert_eq!(
                    (r.code.as_str(), r.rule.as_str()),
                    (code, rule),
                    "rejection: {r} {:#?}",
                    r.details
                );
                assert!(!r.message.is_empty());
                r
            }
        }
    }

    pub fn events(&self) -> &[Event] {
        self.result.as_deref().unwrap_or(&[])
    }

    /// The charges (positive) and credits (negative) the command raised.
    pub fn billing(&self) -> Vec<(i64, &BillingLine)> {
        billing_lines(self.events())
    }

    pub fn amounts(&self) -> Vec<i64> {
        self.billing().into_iter().map(|(a, _)| a).collect()
    }
}

/// The charges (positive) and credits (negative) among `events`.
pub fn billing_lines(events: &[Event]) -> Vec<(i64, &BillingLine)> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.amount.amount_minor, l)),
            EventData::Credited(l) => Some((-l.amount.amount_minor, l)),
            _ => None,
        })
        .collect()
}

/// A customer's history being written, command by command, at chosen instants.
pub struct Scenario {
    pub catalog: Catalog,
    pub state: CustomerState,
    pub history: Vec<Event>,
    pub now: DateTime<Utc>,
    pub actor: Actor,
    counter: u128,
}

impl Scenario {
    /// An empty ledger at `now`, acting as partner A's admin agent.
    pub fn at(now: &str) -> Self {
        Self {
            catalog: Catalog::default_catalog(),
            state: CustomerState::default(),
            history: Vec::new(),
            now: at(now),
            actor: admin_a(),
            counter: 0,
        }
    }

    /// Given: partner A created customer CUSTOMER in `country`.
    pub fn with_customer(mut self, country: &str) -> Self {
        self.ok(Command::CreateCustomer(CreateCustomer {
            customer_id: CUSTOMER,
            company_name: "Fabrikam".into(),
            domain: "fabrikam.example".into(),
            country: country.into(),
            segment: Segment::Commercial,
        }));
        self
    }

    /// Given: these raw events, folded in order.
    pub fn given_events(mut self, events: impl IntoIterator<Item = Event>) -> Self {
        for e in events {
            self.state.apply(&e);
            self.history.push(e);
        }
        self
    }

    pub fn as_actor(&mut self, actor: Actor) -> &mut Self {
        self.actor = actor;
        self
    }

    fn next_command_id(&mut self) -> Uuid {
        self.counter += 1;
        Uuid::from_u128(0xC0DE_0000_0000_0000_0000_0000_0000_0000 + self.counter)
    }

    /// Moves the clock to `instant`, running the time-driven work due by then (REN-7).
    pub fn advance_to(&mut self, instant: &str) -> Vec<Event> {
        self.advance(at(instant))
    }

    pub fn advance(&mut self, instant: DateTime<Utc>) -> Vec<Event> {
        assert!(instant >= self.now, "time never goes back");
        let events = time::due_events(&self.state, instant, &self.catalog);
        for e in &events {
            self.state.apply(e);
        }
        self.history.extend(events.clone());
        self.now = instant;
        events
    }

    /// When: `command` is decided now by the current actor; accepted events are folded in.
    pub fn when(&mut self, command: Command) -> Outcome {
        let actor = self.actor.clone();
        self.when_as(&actor, command)
    }

    pub fn when_as(&mut self, actor: &Actor, command: Command) -> Outcome {
        let command_id = self.next_command_id();
        self.decide_with(actor, command, command_id, Some("fp:test-key"))
    }

    pub fn decide_with(
        &mut self,
        actor: &Actor,
        command: Command,
        command_id: Uuid,
        key_fingerprint: Option<&str>,
    ) -> Outcome {
        // Time-driven work due before the command runs first, as the service does.
        let now = self.now;
        self.advance(now);
        let ctx = CommandContext {
            command_id,
            actor,
            now: self.now,
            key_fingerprint,
        };
        let result = decide(&self.state, &command, &ctx, &self.catalog);
        if let Ok(events) = &result {
            for e in events {
                self.state.apply(e);
            }
            self.history.extend(events.iter().cloned());
        }
        Outcome { result }
    }

    /// Given: the command was accepted (panics otherwise).
    #[track_caller]
    pub fn ok(&mut self, command: Command) -> Vec<Event> {
        self.when(command).accepted().clone()
    }

    /// Given: partner A bought one subscription; returns its id.
    #[track_caller]
    pub fn buy(
        &mut self,
        product: &str,
        quantity: u32,
        term: Option<Term>,
        billing: Billing,
    ) -> Uuid {
        self.buy_item(item(product, quantity, term, billing))
    }

    #[track_caller]
    pub fn buy_item(&mut self, it: PurchaseItem) -> Uuid {
        let events = self.ok(Command::Purchase(Purchase {
            customer_id: CUSTOMER,
            order_id: None,
            items: vec![it],
            reseller_id: None,
            additional_resellers: vec![],
        }));
        events
            .iter()
            .find_map(|e| match &e.data {
                EventData::SubscriptionCreated(c) => Some(c.subscription_id),
                _ => None,
            })
            .expect("a purchase creates a subscription")
    }

    /// A purchase command for CUSTOMER.
    pub fn purchase(items: Vec<PurchaseItem>) -> Command {
        Command::Purchase(Purchase {
            customer_id: CUSTOMER,
            order_id: None,
            items,
            reseller_id: None,
            additional_resellers: vec![],
        })
    }

    #[track_caller]
    pub fn sub(&self, id: Uuid) -> &Subscription {
        self.state
            .subscriptions
            .get(&id)
            .expect("subscription exists")
    }

    /// Given: partner B has an active relationship with the customer (TRF-1).
    pub fn relate(&mut self, partner_id: Uuid) {
        let requester = partner(partner_id, &[Role::AdminAgent, Role::GlobalAdmin]);
        self.when_as(
            &requester,
            Command::RequestRelationship(RequestRelationship {
                customer_id: CUSTOMER,
            }),
        )
        .accepted();
        self.when_as(
            &customer_admin(),
            Command::AcceptRelationship(AcceptRelationship { partner_id }),
        )
        .accepted();
    }
}

/// The JSON value of a rejection detail.
pub fn detail<'a>(r: &'a Rejection, key: &str) -> &'a Value {
    r.details
        .get(key)
        .unwrap_or_else(|| panic!("rejection {r} has no detail `{key}`: {:#?}", r.details))
}

pub const P1M: Option<Term> = Some(Term::P1M);
pub const P1Y: Option<Term> = Some(Term::P1Y);
pub const P3Y: Option<Term> = Some(Term::P3Y);

/// The first subscription an accepted command created.
#[track_caller]
pub fn created_id(events: &[Event]) -> Uuid {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c.subscription_id),
            _ => None,
        })
        .expect("a SubscriptionCreated event")
}

/// The subscription of `product` an accepted command created.
#[track_caller]
pub fn created_of(events: &[Event], product: &str) -> Uuid {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) if c.product_id == product => Some(c.subscription_id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {product} created"))
}

/// Round half up of `num / den` (BIL-5), for expected amounts computed by hand.
pub fn rhu(num: i64, den: i64) -> i64 {
    (2 * num + den) / (2 * den)
}

/// An upgrade of `quantity` seats of `id` to `to`, taking effect now, into a new
/// or the same subscription (UPG-3/4).
pub fn upgrade_now(id: Uuid, to: &str, quantity: u32) -> Command {
    upgrade(id, to, quantity, UpgradeTiming::Now)
}

/// The same upgrade as a next-term instruction (UPG-7, REN-4).
pub fn upgrade_end_of_term(id: Uuid, to: &str, quantity: u32) -> Command {
    upgrade(id, to, quantity, UpgradeTiming::EndOfTerm)
}

fn upgrade(id: Uuid, to: &str, quantity: u32, timing: UpgradeTiming) -> Command {
    Command::Upgrade(Upgrade {
        subscription_id: id,
        target_product_id: to.into(),
        quantity,
        target_subscription_id: None,
        term: None,
        billing: None,
        timing,
    })
}
