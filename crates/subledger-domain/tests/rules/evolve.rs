//! The fold applies what events record and decides nothing again: folded from
//! raw events whose recorded outcome differs from what the rules would pick,
//! the state follows the record.

use chrono::{DateTime, Duration, Utc};
use subledger_domain::billing;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::catalog::ProductKind;
use subledger_domain::event::{
    BillingReason, Event, EventData, Origin, SeatBatch, SubscriptionCreated,
};
use subledger_domain::money::Money;
use subledger_domain::state::CustomerState;
use subledger_domain::{Catalog, invariants, time};
use uuid::Uuid;

const CUSTOMER: Uuid = Uuid::from_u128(0x0c05_7000_0000_4000_8000_0000_0000_0001);
const PARTNER: Uuid = Uuid::from_u128(0xa000_0000_0000_4000_8000_0000_0000_000a);
const SUB: Uuid = Uuid::from_u128(0x5ab0_0000_0000_4000_8000_0000_0000_0001);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_else(|e| panic!("bad instant {s}: {e}"))
}

fn event(instant: &str, data: EventData) -> Event {
    Event {
        at: at(instant),
        command_id: None,
        actor: None,
        data,
    }
}

fn batch(seats: u32, added: &str) -> SeatBatch {
    SeatBatch {
        seats,
        added_at: at(added),
        refundable_until: at(added) + Duration::days(7),
    }
}

/// m365-e3, P1Y billed monthly at the default catalog's price, bought at `start`.
fn created(start: &str, seats: u32) -> EventData {
    let start = at(start);
    EventData::SubscriptionCreated(SubscriptionCreated {
        subscription_id: SUB,
        customer_id: CUSTOMER,
        partner_id: PARTNER,
        reseller_id: None,
        origin: Origin::Purchase {
            order_id: Uuid::from_u128(1),
        },
        product_id: "m365-e3".into(),
        product_name: "Microsoft 365 E3".into(),
        kind: ProductKind::License,
        addon_of: Vec::new(),
        quantity: seats,
        trial: false,
        term: Some(Term::P1Y),
        billing: Billing::Monthly,
        unit_price: Money::new(3360, "EUR"),
        tax_inclusive: false,
        auto_renew: true,
        promotion_id: None,
        term_start: start,
        billing_anchor: start.date_naive(),
        term_end_date: Some(subledger_domain::calendar::term_end_date(
            start.date_naive(),
            Term::P1Y,
        )),
        cancellation_allowed_until: Some(start + Duration::days(7)),
        seat_batch: Some(SeatBatch {
            seats,
            added_at: start,
            refundable_until: start + Duration::days(7),
        }),
        cancellable: true,
        has_keys: false,
        legacy_software: false,
    })
}

fn fold(events: &[Event]) -> CustomerState {
    let mut state = CustomerState::default();
    for e in events {
        state.apply(e);
    }
    state
}

fn history_with_two_batches() -> Vec<Event> {
    vec![
        event("2025-01-10T10:00:00Z", created("2025-01-10T10:00:00Z", 10)),
        event(
            "2025-01-11T10:00:00Z",
            EventData::SeatsAdded {
                subscription_id: SUB,
                seats: 3,
                quantity_after: 13,
                seat_batch: Some(batch(3, "2025-01-11T10:00:00Z")),
            },
        ),
    ]
}

fn reduced(taken_from: Vec<SeatBatch>) -> Event {
    event(
        "2025-01-12T10:00:00Z",
        EventData::SeatsReduced {
            subscription_id: SUB,
            seats: 2,
            quantity_after: 11,
            taken_from,
        },
    )
}

#[test]
fn seat_2_a_reduction_takes_the_seats_from_the_batches_it_recorded() {
    // The rule (newest first) would take both seats from the batch of the 11th;
    // this event records them as taken from the batch of the 10th.
    let mut events = history_with_two_batches();
    events.push(reduced(vec![batch(2, "2025-01-10T10:00:00Z")]));
    let state = fold(&events);
    let s = &state.subscriptions[&SUB];
    assert_eq!(
        s.batches,
        vec![
            batch(8, "2025-01-10T10:00:00Z"),
            batch(3, "2025-01-11T10:00:00Z")
        ]
    );
    assert_eq!(s.quantity, 11);
    assert_eq!(invariants::check(&state), vec![]);
}

#[test]
fn seat_2_a_reduction_that_empties_a_batch_removes_it() {
    let mut events = history_with_two_batches();
    events.push(reduced(vec![
        batch(1, "2025-01-11T10:00:00Z"),
        batch(1, "2025-01-10T10:00:00Z"),
    ]));
    let s = &fold(&events).subscriptions[&SUB];
    assert_eq!(
        s.batches,
        vec![
            batch(9, "2025-01-10T10:00:00Z"),
            batch(2, "2025-01-11T10:00:00Z")
        ]
    );
    let mut events = history_with_two_batches();
    events.push(event(
        "2025-01-12T10:00:00Z",
        EventData::SeatsReduced {
            subscription_id: SUB,
            seats: 3,
            quantity_after: 10,
            taken_from: vec![batch(3, "2025-01-11T10:00:00Z")],
        },
    ));
    let s = &fold(&events).subscriptions[&SUB];
    assert_eq!(s.batches, vec![batch(10, "2025-01-10T10:00:00Z")]);
}

#[test]
fn ren_2_the_renewal_charge_is_priced_on_the_subscription_the_fold_leaves() {
    let catalog = Catalog::default_catalog();
    let mut state = fold(&[
        event("2025-01-10T10:00:00Z", created("2025-01-10T10:00:00Z", 10)),
        event(
            "2025-02-01T10:00:00Z",
            EventData::ScheduledChangeSet {
                subscription_id: SUB,
                change: serde_json::from_str(r#"{"quantity":15,"billing":"annual"}"#)
                    .expect("a change"),
            },
        ),
    ]);
    let events = time::due_events(&state, at("2026-01-10T12:00:00Z"), &catalog);
    for e in &events {
        state.apply(e);
    }
    let renewal_charge = events
        .iter()
        .find_map(|e| match &e.data {
            EventData::Charged(line) if line.reason == BillingReason::Renewal => Some(line),
            _ => None,
        })
        .expect("the renewal is charged");
    let s = &state.subscriptions[&SUB];
    assert_eq!((s.quantity, s.billing), (15, Billing::Annual));
    let period = s
        .current_period(at("2026-01-10T00:00:00Z").date_naive())
        .expect("a renewed term has periods");
    assert_eq!(
        &billing::period_charge(s, period, BillingReason::Renewal).line,
        renewal_charge
    );
    assert_eq!(renewal_charge.seats, 15);
    assert_eq!(invariants::check(&state), vec![]);
}
