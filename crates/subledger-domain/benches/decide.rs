//! How long one decision takes against customers of 10, 1,000 and 10,000 live
//! subscriptions, and against 1,000 live ones behind 9,000 closed ones (the
//! cost must follow the live subscriptions, not the customer's history).
//!
//! Run: `cargo bench -p subledger-domain --bench decide`

use std::hint::black_box;
use subledger_domain::command::{AddSeats, Cancel, CreateCustomer, Purchase, ReduceSeats};

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{Command, PurchaseItem, Segment};
use subledger_domain::event::EventData;
use subledger_domain::state::CustomerState;
use subledger_domain::{Catalog, CommandContext, decide};
use uuid::Uuid;

const CUSTOMER: Uuid = Uuid::from_u128(1);
const PARTNER: Uuid = Uuid::from_u128(2);

struct Builder {
    state: CustomerState,
    catalog: Catalog,
    actor: Actor,
    now: DateTime<Utc>,
    n: u128,
}

impl Builder {
    fn run(&mut self, command: Command) -> Vec<Uuid> {
        self.n += 1;
        let ctx = CommandContext {
            command_id: Uuid::from_u128(1_000_000 + self.n),
            actor: &self.actor,
            now: self.now,
            key_fingerprint: None,
        };
        let events =
            decide(&self.state, &command, &ctx, &self.catalog).expect("setup command accepted");
        let mut created = Vec::new();
        for e in &events {
            if let EventData::SubscriptionCreated(c) = &e.data {
                created.push(c.subscription_id);
            }
            self.state.apply(e);
        }
        created
    }
}

fn item(product: &str, quantity: u32) -> PurchaseItem {
    PurchaseItem {
        subscription_id: None,
        product_id: product.into(),
        quantity,
        term: Some(Term::P1Y),
        billing: Billing::Monthly,
        auto_renew: true,
        trial: false,
        promotion_id: None,
    }
}

/// A customer with `live` live subscriptions and `closed` cancelled ones.
fn customer(live: usize, closed: usize) -> (Builder, Uuid) {
    let mut b = Builder {
        state: CustomerState::default(),
        catalog: Catalog::default_catalog(),
        actor: Actor::partner("bench@partner.example", PARTNER, &[Role::AdminAgent]),
        now: "2026-03-01T09:00:00Z".parse().expect("instant"),
        n: 0,
    };
    b.run(Command::CreateCustomer(CreateCustomer {
        customer_id: CUSTOMER,
        company_name: "Bench".into(),
        domain: "bench.example".into(),
        country: "NL".into(),
        segment: Segment::Commercial,
    }));
    let products = ["m365-e3", "m365-e5", "m365-business-standard", "ems-e3"];
    let mut all = Vec::new();
    for chunk in 0..(live + closed).div_ceil(10) {
        let items = (0..10)
            .map(|i| item(products[(chunk + i) % products.len()], 10))
            .collect();
        all.extend(b.run(Command::Purchase(Purchase {
            customer_id: CUSTOMER,
            order_id: None,
            items,
            reseller_id: None,
            additional_resellers: vec![],
        })));
    }
    for id in all
        .iter()
        .skip(live)
        .take(closed)
        .copied()
        .collect::<Vec<_>>()
    {
        b.run(Command::Cancel(Cancel {
            subscription_id: id,
        }));
    }
    b.now += Duration::days(2);
    (b, all[0])
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    for (label, live, closed) in [
        ("10", 10, 0),
        ("1000", 1_000, 0),
        ("10000", 10_000, 0),
        ("1000_live_9000_closed", 1_000, 9_000),
    ] {
        let (b, sub) = customer(live, closed);
        let add = Command::AddSeats(AddSeats {
            subscription_id: sub,
            seats: 3,
        });
        let reduce = Command::ReduceSeats(ReduceSeats {
            subscription_id: sub,
            seats: 2,
        });
        let copilot = Command::Purchase(Purchase {
            customer_id: CUSTOMER,
            order_id: None,
            items: vec![item("copilot-m365", 5)],
            reseller_id: None,
            additional_resellers: vec![],
        });
        let actor = b.actor.clone();
        let ctx = CommandContext {
            command_id: Uuid::from_u128(7),
            actor: &actor,
            now: b.now,
            key_fingerprint: None,
        };
        for (name, cmd) in [
            ("add_seats", &add),
            ("reduce_seats", &reduce),
            ("purchase_copilot", &copilot),
        ] {
            assert!(
                decide(&b.state, cmd, &ctx, &b.catalog).is_ok(),
                "{name} is accepted"
            );
            group.bench_with_input(BenchmarkId::new(name, label), cmd, |bench, cmd| {
                bench.iter(|| decide(black_box(&b.state), black_box(cmd), &ctx, &b.catalog))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
