//! PUR-1..13: customers, orders and their line items.

mod support;

use serde_json::json;
use subledger_domain::actor::Role;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{
    AddSeats, Cancel, ConvertTrial, CreateCustomer, Purchase, Reactivate, ReduceSeats,
    SetAutoRenew, Suspend, Upgrade,
};
use subledger_domain::command::{Command, PurchaseItem, Segment, UpgradeTiming};
use subledger_domain::event::{EventData, Origin, SubscriptionCreated};
use subledger_domain::rejection::RejectionKind;
use subledger_domain::state::{RelationshipStatus, Status};
use subledger_domain::view::RefundableSeats;
use subledger_domain::{Catalog, Event};
use support::*;
use uuid::Uuid;

const M: Billing = Billing::Monthly;
const A: Billing = Billing::Annual;

/// The subscriptions an outcome created, in order.
fn created(events: &[Event]) -> Vec<&SubscriptionCreated> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn trial_item(product: &str) -> PurchaseItem {
    PurchaseItem {
        trial: true,
        ..item(product, 25, P1M, M)
    }
}

fn create_customer(country: &str, company: &str, domain: &str) -> Command {
    Command::CreateCustomer(CreateCustomer {
        customer_id: CUSTOMER,
        company_name: company.into(),
        domain: domain.into(),
        country: country.into(),
        segment: Segment::Education,
    })
}

/// Partner B's subscription of `product` (B must be related).
fn buy_as_b(sc: &mut Scenario, product: &str, quantity: u32) -> Uuid {
    let events = sc
        .when_as(
            &admin_b(),
            Scenario::purchase(vec![item(product, quantity, P1Y, M)]),
        )
        .accepted()
        .clone();
    created(&events)[0].subscription_id
}

// ---------------------------------------------------------------------------
// PUR-1: the customer must exist and be related to the partner
// ---------------------------------------------------------------------------

#[test]
fn pur_1_creating_a_customer_also_relates_it_to_the_creating_partner() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z");
    let out = sc.when(create_customer("NL", "  Fabrikam BV ", "Fabrikam.Example"));
    let events = out.then_types(&["CustomerCreated", "RelationshipEstablished"]);
    match &events[1].data {
        EventData::RelationshipEstablished {
            customer_id,
            partner_id,
        } => assert_eq!((*customer_id, *partner_id), (CUSTOMER, PARTNER_A)),
        other => panic!("{other:?}"),
    }
    let c = sc.state.customer.as_ref().unwrap();
    assert_eq!(c.company_name, "Fabrikam BV", "trimmed");
    assert_eq!(c.domain, "fabrikam.example", "lower-cased");
    assert_eq!(c.country, "NL");
    assert_eq!(
        sc.state.relationships.get(&PARTNER_A),
        Some(&RelationshipStatus::Active)
    );
    assert_eq!(sc.state.relationships.len(), 1);
    // The creating partner can buy at once.
    sc.buy("m365-e3", 1, P1Y, M);
}

#[test]
fn pur_1_a_purchase_for_a_customer_that_does_not_exist_is_not_found() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z");
    let out = sc.when(Scenario::purchase(vec![item("m365-e3", 1, P1Y, M)]));
    let rej = out.then_rejected("NotFound", "GEN-2");
    assert_eq!(rej.kind, RejectionKind::NotFound);
    assert!(sc.state.orders.is_empty());
}

#[test]
fn pur_1_a_partner_without_a_relationship_cannot_buy_until_the_customer_accepts_one() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let order = || Scenario::purchase(vec![item("m365-e3", 1, P1Y, M)]);
    sc.when_as(&admin_b(), order())
        .then_rejected("NotFound", "GEN-2");
    sc.relate(PARTNER_B);
    let events = sc.when_as(&admin_b(), order()).accepted().clone();
    assert_eq!(created(&events)[0].partner_id, PARTNER_B);
}

#[test]
fn pur_1_a_customer_is_created_once() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let before = sc.state.clone();
    let rej = sc
        .when(create_customer("NL", "Fabrikam", "fabrikam.example"))
        .then_rejected("CustomerExists", "PUR-1")
        .clone();
    assert_eq!(detail(&rej, "customer_id"), &json!(CUSTOMER.to_string()));
    // Another partner cannot take it over by creating it again either.
    sc.when_as(
        &admin_b(),
        create_customer("BE", "Fabrikam", "fabrikam.example"),
    )
    .then_rejected("CustomerExists", "PUR-1");
    assert_eq!(sc.state, before);
    assert!(!sc.state.has_active_relationship(PARTNER_B));
}

#[test]
fn pur_1_customer_fields_are_validated_and_named() {
    let long = "x".repeat(257);
    for (cmd, field) in [
        (
            create_customer("NL", "   ", "fabrikam.example"),
            "company_name",
        ),
        (
            create_customer("NL", &long, "fabrikam.example"),
            "company_name",
        ),
        (create_customer("NL", "Fabrikam", "fabrikam"), "domain"),
        (
            create_customer("NL", "Fabrikam", "fab rikam.example"),
            "domain",
        ),
        (
            create_customer("NL", "Fabrikam", "fabrikam..example"),
            "domain",
        ),
        (
            create_customer("nl", "Fabrikam", "fabrikam.example"),
            "country",
        ),
        (
            create_customer("NLD", "Fabrikam", "fabrikam.example"),
            "country",
        ),
    ] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z");
        let out = sc.when(cmd);
        let rej = out.then_rejected("InvalidRequest", "PUR-1");
        assert_eq!(rej.kind, RejectionKind::InvalidRequest);
        assert_eq!(detail(rej, "field"), field);
        assert!(sc.state.customer.is_none());
    }
    // 256 characters is fine.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z");
    sc.when(create_customer("NL", &"x".repeat(256), "a-b.example"))
        .then_types(&["CustomerCreated", "RelationshipEstablished"]);
}

// ---------------------------------------------------------------------------
// PUR-2: quantities
// ---------------------------------------------------------------------------

#[test]
fn pur_2_zero_seats_is_an_invalid_request_naming_the_line() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![
        item("m365-e3", 1, P1Y, M),
        item("m365-e5", 0, P1Y, M),
    ]));
    let rej = out.then_rejected("InvalidRequest", "PUR-2");
    assert_eq!(detail(rej, "field"), "items[1].quantity");
    assert!(sc.state.subscriptions.is_empty());
}

#[test]
fn pur_2_negative_or_fractional_quantities_do_not_parse() {
    for q in [json!(-1), json!(2.5), json!("3")] {
        let r = serde_json::from_value::<Command>(json!({"type":"Purchase","customer_id":CUSTOMER,
            "items":[{"product_id":"m365-e3","quantity":q,"term":"P1Y","billing":"monthly"}]}));
        assert!(r.is_err(), "{q}");
    }
}

#[test]
fn pur_2_the_products_maximum_is_inclusive() {
    // Microsoft 365 Business plans take at most 300 seats.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![item(
        "m365-business-basic",
        301,
        P1Y,
        M,
    )]));
    let rej = out.then_rejected("QuantityOutOfRange", "PUR-2");
    assert_eq!(
        (
            detail(rej, "min"),
            detail(rej, "max"),
            detail(rej, "requested")
        ),
        (&json!(1), &json!(300), &json!(301))
    );
    assert_eq!(detail(rej, "field"), "items[0].quantity");
    let sub = sc.buy("m365-business-basic", 300, P1Y, M);
    assert_eq!(sc.sub(sub).quantity, 300);
}

#[test]
fn pur_2_seat_additions_stay_within_the_maximum_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-business-standard", 290, P1Y, M);
    let rej = sc
        .when(Command::AddSeats(AddSeats {
            subscription_id: sub,
            seats: 11,
        }))
        .then_rejected("QuantityOutOfRange", "PUR-2")
        .clone();
    assert_eq!(detail(&rej, "requested"), 301);
    assert_eq!(sc.sub(sub).quantity, 290);
    sc.when(Command::AddSeats(AddSeats {
        subscription_id: sub,
        seats: 10,
    }))
    .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).quantity, 300);
}

#[test]
fn pur_2_a_products_minimum_is_enforced() {
    let text = json!({"reservation_unavailable_markets": [], "products": [
        {"product_id":"rooms","name":"Rooms","kind":"license","min_quantity":5,"max_quantity":10,
         "plans":[{"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":100,"currency":"EUR"}}]}]})
    .to_string();
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.catalog = Catalog::from_json(&text).unwrap();
    for (q, ok) in [(4, false), (5, true), (10, true), (11, false)] {
        let out = sc.when(Scenario::purchase(vec![item("rooms", q, P1Y, M)]));
        if ok {
            out.accepted();
        } else {
            let rej = out.then_rejected("QuantityOutOfRange", "PUR-2");
            assert_eq!(
                (detail(rej, "min"), detail(rej, "max")),
                (&json!(5), &json!(10))
            );
        }
    }
}

#[test]
fn pur_2_quantities_beyond_a_million_are_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.when(Scenario::purchase(vec![item("m365-e3", 1_000_001, P1Y, M)]))
        .then_rejected("InvalidRequest", "PUR-2");
    sc.when(Scenario::purchase(vec![item("m365-e3", u32::MAX, P1Y, M)]))
        .then_rejected("InvalidRequest", "PUR-2");
    let sub = sc.buy("m365-e3", 1_000_000, P1Y, M);
    assert_eq!(sc.sub(sub).quantity, 1_000_000);
}

#[test]
fn pur_2_upgrades_into_an_existing_subscription_respect_its_maximum() {
    // 250 Business Basic seats moved into a Business Standard subscription of 100
    // would make it 350, over the product's 300.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let source = sc.buy("m365-business-basic", 250, P1Y, M);
    let target = sc.buy("m365-business-standard", 100, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(Command::Upgrade(Upgrade {
            subscription_id: source,
            target_product_id: "m365-business-standard".into(),
            quantity: 250,
            target_subscription_id: Some(target),
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }))
        .then_rejected("QuantityOutOfRange", "PUR-2")
        .clone();
    assert_eq!(detail(&rej, "max"), 300);
    assert_eq!(detail(&rej, "requested"), 350);
    assert_eq!(sc.state, before);
    // 200 fit exactly.
    sc.when(Command::Upgrade(Upgrade {
        subscription_id: source,
        target_product_id: "m365-business-standard".into(),
        quantity: 200,
        target_subscription_id: Some(target),
        term: None,
        billing: None,
        timing: UpgradeTiming::Now,
    }))
    .accepted();
    assert_eq!(sc.sub(target).quantity, 300);
}

#[test]
fn pur_2_a_trial_converted_into_an_existing_subscription_respects_its_maximum() {
    // Business Premium takes at most 300 seats: 290 + the trial's 25 is too many.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let paid = sc.buy("m365-business-premium", 290, P1Y, M);
    let trial = sc.buy_item(trial_item("m365-business-premium"));
    sc.advance_to("2026-01-20T09:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(Command::ConvertTrial(ConvertTrial {
            subscription_id: trial,
            target_subscription_id: Some(paid),
            quantity: None,
            term: None,
            billing: None,
        }))
        .then_rejected("QuantityOutOfRange", "PUR-2")
        .clone();
    assert_eq!(detail(&rej, "requested"), 315);
    assert_eq!(sc.state, before);
}

// ---------------------------------------------------------------------------
// PUR-3: the term and billing plan must be on offer
// ---------------------------------------------------------------------------

#[test]
fn pur_3_a_plan_not_on_offer_is_refused_with_what_is_offered() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![item("m365-e5", 3, P3Y, M)]));
    let rej = out.then_rejected("PlanNotOffered", "PUR-3");
    assert_eq!(detail(rej, "field"), "items[0].term");
    let offered: Vec<&str> = detail(rej, "offered")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(offered, ["P1M/monthly", "P1Y/monthly", "P1Y/annual"]);
    assert!(rej.message.contains("P3Y/monthly"), "{}", rej.message);
}

#[test]
fn pur_3_software_and_perpetual_plans() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    for (product, term, billing, ok) in [
        ("windows-server-2022-standard", P3Y, M, false),
        (
            "windows-server-2022-standard",
            P3Y,
            Billing::Triennial,
            true,
        ),
        ("windows-server-2022-standard", P3Y, A, true),
        ("windows-server-2022-standard", P1Y, M, false),
        ("rds-cal-2022", P1Y, A, false),
        ("rds-cal-2022", P1Y, M, true),
        (
            "windows-server-2022-perpetual",
            P1Y,
            Billing::OneTime,
            false,
        ),
        ("windows-server-2022-perpetual", None, A, false),
        (
            "windows-server-2022-perpetual",
            None,
            Billing::OneTime,
            true,
        ),
        ("m365-e3", None, M, false),
        ("isv-saas-monthly", P1Y, M, false),
        ("isv-saas-annual", P1Y, M, false),
    ] {
        let out = sc.when(Scenario::purchase(vec![item(product, 1, term, billing)]));
        match (ok, &out.result) {
            (true, Ok(_)) => {}
            (false, Err(r)) if r.code == "PlanNotOffered" && r.rule == "PUR-3" => {}
            (_, r) => panic!("{product} {term:?}/{billing}: {r:?}"),
        }
    }
}

#[test]
fn pur_3_the_bought_plan_and_its_price_are_recorded() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P3Y, Billing::Triennial);
    let s = sc.sub(sub);
    assert_eq!((s.term, s.billing), (P3Y, Billing::Triennial));
    assert_eq!(s.unit_price.amount_minor, 237_600);
    assert_eq!(s.unit_price.currency, "EUR");
    let order = sc.state.orders.values().next().unwrap();
    assert_eq!(order.lines[0].unit_price.amount_minor, 237_600);
}

// ---------------------------------------------------------------------------
// PUR-4: one per customer
// ---------------------------------------------------------------------------

#[test]
fn pur_4_a_second_active_one_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let first = sc.buy("teams-rooms-pro", 1, P1Y, M);
    let before = sc.state.clone();
    let out = sc.when(Scenario::purchase(vec![item("teams-rooms-pro", 2, P1M, M)]));
    let rej = out.then_rejected("OnePerCustomer", "PUR-4");
    assert_eq!(detail(rej, "product_id"), "teams-rooms-pro");
    assert_eq!(
        detail(rej, "existing_subscription_id"),
        &json!(first.to_string())
    );
    assert_eq!(sc.state, before);
}

#[test]
fn pur_4_a_suspended_one_is_to_be_reactivated_instead() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let first = sc.buy("teams-rooms-pro", 1, P1Y, M);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: first,
    }));
    let out = sc.when(Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]));
    let rej = out.then_rejected("OnePerCustomerSuspended", "PUR-4");
    assert!(rej.message.contains("reactivate"), "{}", rej.message);
    assert_eq!(
        detail(rej, "existing_subscription_id"),
        &json!(first.to_string())
    );
    // Reactivated, it is simply the active one.
    sc.ok(Command::Reactivate(Reactivate {
        subscription_id: first,
    }));
    sc.when(Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]))
        .then_rejected("OnePerCustomer", "PUR-4");
}

#[test]
fn pur_4_once_the_existing_one_is_cancelled_or_expired_another_may_be_bought() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let first = sc.buy("teams-rooms-pro", 1, P1Y, M);
    sc.ok(Command::Cancel(Cancel {
        subscription_id: first,
    }));
    let second = sc.buy("teams-rooms-pro", 1, P1M, M);
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: second,
        enabled: false,
    }));
    // The one-month term ends on 2026-02-09; it expires at midnight after.
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(second).status, Status::Expired);
    sc.buy("teams-rooms-pro", 1, P1Y, M);
}

#[test]
fn pur_4_one_order_cannot_hold_two() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![
        item("teams-rooms-pro", 1, P1Y, M),
        item("teams-rooms-pro", 1, P1Y, M),
    ]));
    out.then_rejected("OnePerCustomer", "PUR-4");
    assert!(sc.state.subscriptions.is_empty());
}

#[test]
fn pur_4_counts_the_customers_subscriptions_of_every_partner_without_revealing_them() {
    // Partner A holds the customer's Teams Rooms Pro. Partner B may not buy a
    // second one, and is not told the id of A's subscription (GEN-2).
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let a_sub = sc.buy("teams-rooms-pro", 1, P1Y, M);
    sc.relate(PARTNER_B);
    let out = sc.when_as(
        &admin_b(),
        Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]),
    );
    let rej = out.then_rejected("OnePerCustomer", "PUR-4");
    assert!(
        !rej.details.contains_key("existing_subscription_id"),
        "{:?}",
        rej.details
    );
    assert!(!rej.message.contains(&a_sub.to_string()), "{}", rej.message);
    // Suspended by A: B still may not buy, and still learns no id.
    sc.ok(Command::Suspend(Suspend {
        subscription_id: a_sub,
    }));
    let out = sc.when_as(
        &admin_b(),
        Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]),
    );
    let rej = out.then_rejected("OnePerCustomerSuspended", "PUR-4");
    assert!(!rej.details.contains_key("existing_subscription_id"));
    assert!(!rej.message.contains(&a_sub.to_string()), "{}", rej.message);
}

#[test]
fn pur_4_other_products_are_not_limited() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 1, P1Y, M);
    sc.buy("m365-e3", 1, P1Y, M);
    sc.when(Scenario::purchase(vec![
        item("m365-e3", 1, P1Y, M),
        item("m365-e3", 2, P1M, M),
    ]))
    .accepted();
    assert_eq!(sc.state.subscriptions.len(), 4);
}

// ---------------------------------------------------------------------------
// PUR-5: reservations and markets
// ---------------------------------------------------------------------------

#[test]
fn pur_5_a_reservation_in_a_closed_market_is_refused_and_nothing_of_the_order_is_written() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("YE");
    let out = sc.when(Scenario::purchase(vec![
        item("m365-e3", 5, P1Y, M),
        item("azure-reserved-vm", 1, P3Y, Billing::Triennial),
    ]));
    let rej = out.then_rejected("UnavailableInMarket", "PUR-5");
    assert_eq!(rej.kind, RejectionKind::Rule);
    assert_eq!(detail(rej, "product_id"), "azure-reserved-vm");
    assert_eq!(detail(rej, "market"), "YE");
    assert!(sc.state.subscriptions.is_empty());
}

#[test]
fn pur_5_reservations_sell_elsewhere_on_every_plan() {
    for (term, billing) in [(P1Y, M), (P1Y, A), (P3Y, M), (P3Y, Billing::Triennial)] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("IT");
        let sub = sc.buy("azure-reserved-vm", 2, term, billing);
        assert_eq!(sc.sub(sub).product_id, "azure-reserved-vm");
    }
}

// ---------------------------------------------------------------------------
// PUR-6: Multi-Geo needs at least 5% of the base, rounded up
// ---------------------------------------------------------------------------

#[test]
fn pur_6_four_hundred_base_licenses_need_at_least_twenty() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 400, P1Y, M);
    let out = sc.when(Scenario::purchase(vec![item("multi-geo", 19, P1Y, M)]));
    let rej = out.then_rejected("AddonBelowMinimum", "PUR-6");
    assert_eq!(detail(rej, "base_seats"), 400);
    assert_eq!(detail(rej, "minimum"), 20);
    assert_eq!(detail(rej, "percent"), 5);
    assert_eq!(detail(rej, "addon_seats_after"), 19);
    assert_eq!(sc.state.subscriptions.len(), 1);
    sc.buy("multi-geo", 20, P1Y, M);
}

#[test]
fn pur_6_the_minimum_rounds_up() {
    // 5% of 401 is 20.05: 21 are needed. 5% of 20 is exactly 1.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e5", 401, P1Y, M);
    let rej = sc
        .when(Scenario::purchase(vec![item("multi-geo", 20, P1Y, M)]))
        .then_rejected("AddonBelowMinimum", "PUR-6")
        .clone();
    assert_eq!(detail(&rej, "minimum"), 21);
    sc.buy("multi-geo", 21, P1Y, M);

    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 20, P1Y, M);
    sc.buy("multi-geo", 1, P1Y, M);
}

#[test]
fn pur_6_the_same_order_counts_towards_the_base() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    // Add-on listed before its base: the order is judged as a whole.
    sc.when(Scenario::purchase(vec![
        item("multi-geo", 19, P1Y, M),
        item("m365-e3", 400, P1Y, M),
    ]))
    .then_rejected("AddonBelowMinimum", "PUR-6");
    assert!(sc.state.subscriptions.is_empty());
    sc.when(Scenario::purchase(vec![
        item("multi-geo", 20, P1Y, M),
        item("m365-e3", 400, P1Y, M),
    ]))
    .then_types(&[
        "OrderPlaced",
        "SubscriptionCreated",
        "Charged",
        "SubscriptionCreated",
        "Charged",
    ]);
}

#[test]
fn pur_6_base_licenses_of_every_required_product_and_every_partner_count() {
    // 150 E3 (partner A) + 150 E5 (partner B) + 100 E5 without audio (A) = 400.
    // E3 Unattended is not a Multi-Geo base and does not count.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 150, P1Y, M);
    sc.buy("m365-e5-no-audio-conf", 100, P1Y, M);
    sc.buy("m365-e3-unattended", 500, P1Y, M);
    sc.relate(PARTNER_B);
    buy_as_b(&mut sc, "m365-e5", 150);
    let rej = sc
        .when(Scenario::purchase(vec![item("multi-geo", 19, P1Y, M)]))
        .then_rejected("AddonBelowMinimum", "PUR-6")
        .clone();
    assert_eq!(detail(&rej, "base_seats"), 400);
    sc.buy("multi-geo", 20, P1Y, M);
}

#[test]
fn pur_6_multi_geo_without_any_base_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-business-premium", 100, P1Y, M);
    let out = sc.when(Scenario::purchase(vec![item("multi-geo", 5, P1Y, M)]));
    let rej = out.then_rejected("AddonRequiresBase", "PUR-6");
    assert_eq!(
        detail(rej, "requires_any_of"),
        &json!(["m365-e3", "m365-e5", "m365-e5-no-audio-conf"])
    );
}

#[test]
fn pur_6_cancelled_base_subscriptions_do_not_count() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 200, P1Y, M);
    let gone = sc.buy("m365-e3", 200, P1Y, M);
    sc.ok(Command::Cancel(Cancel {
        subscription_id: gone,
    }));
    // 200 live base licenses: 10 are enough.
    sc.buy("multi-geo", 10, P1Y, M);
}

// ---------------------------------------------------------------------------
// PUR-7: Copilot may not exceed the base
// ---------------------------------------------------------------------------

#[test]
fn pur_7_two_hundred_fifty_base_licenses_allow_at_most_two_hundred_fifty() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 250, P1Y, M);
    let out = sc.when(Scenario::purchase(vec![item("copilot-m365", 251, P1Y, M)]));
    let rej = out.then_rejected("AddonExceedsBase", "PUR-7");
    assert_eq!(detail(rej, "base_seats"), 250);
    assert_eq!(detail(rej, "limit"), 250);
    assert_eq!(detail(rej, "addon_seats_held"), 0);
    assert_eq!(detail(rej, "addon_seats_after"), 251);
    let copilot = sc.buy("copilot-m365", 250, P1Y, M);
    assert_eq!(sc.sub(copilot).quantity, 250);
}

#[test]
fn pur_7_existing_add_on_seats_count_with_the_order() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 250, P1Y, M);
    sc.buy("copilot-m365", 200, P1Y, M);
    let rej = sc
        .when(Scenario::purchase(vec![item("copilot-m365", 51, P1M, M)]))
        .then_rejected("AddonExceedsBase", "PUR-7")
        .clone();
    assert_eq!(detail(&rej, "addon_seats_held"), 200);
    assert_eq!(detail(&rej, "addon_seats_after"), 251);
    sc.buy("copilot-m365", 50, P1M, M);
    let copilot_seats: u32 = sc
        .state
        .subscriptions
        .values()
        .filter(|s| s.product_id == "copilot-m365")
        .map(|s| s.quantity)
        .sum();
    assert_eq!(copilot_seats, 250);
    sc.when(Scenario::purchase(vec![item("copilot-m365", 1, P1Y, M)]))
        .then_rejected("AddonExceedsBase", "PUR-7");
}

#[test]
fn pur_7_an_order_may_hold_the_base_and_the_add_on_together() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![
        item("copilot-m365", 250, P1Y, M),
        item("m365-business-standard", 250, P1Y, M),
    ]));
    out.accepted();
    assert_eq!(sc.state.subscriptions.len(), 2);
    // One over, in a single order, is refused as a whole.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.when(Scenario::purchase(vec![
        item("m365-business-standard", 250, P1Y, M),
        item("copilot-m365", 251, P1Y, M),
    ]))
    .then_rejected("AddonExceedsBase", "PUR-7");
    assert!(sc.state.subscriptions.is_empty());
}

#[test]
fn pur_7_base_licenses_of_every_required_product_and_every_partner_count() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-business-standard", 100, P1Y, M);
    sc.buy("m365-business-premium", 50, P1Y, M);
    sc.buy("m365-e3-unattended", 1000, P1Y, M); // not a Copilot base
    sc.relate(PARTNER_B);
    buy_as_b(&mut sc, "m365-e5", 100);
    // 250 base in all; partner B's Copilot counts against it like A's.
    buy_as_b(&mut sc, "copilot-m365", 200);
    let rej = sc
        .when(Scenario::purchase(vec![item("copilot-m365", 51, P1Y, M)]))
        .then_rejected("AddonExceedsBase", "PUR-7")
        .clone();
    assert_eq!(detail(&rej, "base_seats"), 250);
    assert_eq!(detail(&rej, "addon_seats_held"), 200);
    sc.buy("copilot-m365", 50, P1Y, M);
}

#[test]
fn pur_7_seat_additions_to_the_add_on_and_reductions_of_the_base_are_held_to_it() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let base = sc.buy("m365-e3", 100, P1Y, M);
    let copilot = sc.buy("copilot-m365", 100, P1Y, M);
    sc.when(Command::AddSeats(AddSeats {
        subscription_id: copilot,
        seats: 1,
    }))
    .then_rejected("AddonExceedsBase", "PUR-7");
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: base,
        seats: 1,
    }))
    .then_rejected("AddonExceedsBase", "PUR-7");
    assert_eq!(
        (sc.sub(base).quantity, sc.sub(copilot).quantity),
        (100, 100)
    );
    // More base first, then the add-on may grow.
    sc.ok(Command::AddSeats(AddSeats {
        subscription_id: base,
        seats: 10,
    }));
    sc.ok(Command::AddSeats(AddSeats {
        subscription_id: copilot,
        seats: 10,
    }));
}

#[test]
fn pur_7_copilot_without_a_base_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-business-basic", 10, P1Y, M);
    let out = sc.when(Scenario::purchase(vec![item("copilot-m365", 1, P1Y, M)]));
    out.then_rejected("AddonRequiresBase", "PUR-7");
}

// ---------------------------------------------------------------------------
// PUR-8: resellers
// ---------------------------------------------------------------------------

fn resellers(n: u128) -> Vec<Uuid> {
    (1..=n).map(|i| Uuid::from_u128(0x5E11_0000 + i)).collect()
}

#[test]
fn pur_8_an_indirect_reseller_and_five_more_are_recorded() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let indirect = Uuid::from_u128(0x1D1);
    let out = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 3, P1Y, M)],
        reseller_id: Some(indirect),
        additional_resellers: resellers(5),
    }));
    let events = out.then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
    match &events[0].data {
        EventData::OrderPlaced {
            reseller_id,
            additional_resellers,
            ..
        } => {
            assert_eq!(*reseller_id, Some(indirect));
            assert_eq!(*additional_resellers, resellers(5));
        }
        other => panic!("{other:?}"),
    }
    let order = sc.state.orders.values().next().unwrap();
    assert_eq!(order.additional_resellers.len(), 5);
    let sub = created(events)[0].subscription_id;
    assert_eq!(sc.sub(sub).reseller_id, Some(indirect));
}

#[test]
fn pur_8_six_additional_resellers_are_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 3, P1Y, M)],
        reseller_id: Some(Uuid::from_u128(0x1D1)),
        additional_resellers: resellers(6),
    }));
    let rej = out.then_rejected("TooManyResellers", "PUR-8");
    assert_eq!(
        (detail(rej, "limit"), detail(rej, "given")),
        (&json!(5), &json!(6))
    );
    assert!(rej.message.contains('5') && rej.message.contains('6'));
    assert!(sc.state.orders.is_empty());
}

#[test]
fn pur_8_resellers_are_optional() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1Y, M);
    assert_eq!(sc.sub(sub).reseller_id, None);
    assert!(
        sc.state
            .orders
            .values()
            .all(|o| o.additional_resellers.is_empty())
    );
}

// ---------------------------------------------------------------------------
// PUR-9: auto-renew and promotions
// ---------------------------------------------------------------------------

#[test]
fn pur_9_auto_renew_is_on_unless_the_line_turns_it_off() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let cmd: Command = serde_json::from_value(json!({"type":"Purchase","customer_id":CUSTOMER,
        "items":[{"product_id":"m365-e3","quantity":3,"term":"P1M","billing":"monthly"},
                 {"product_id":"m365-e3","quantity":3,"term":"P1M","billing":"monthly","auto_renew":false}]}))
    .unwrap();
    let events = sc.when(cmd).accepted().clone();
    let subs = created(&events);
    assert!(subs[0].auto_renew);
    assert!(!subs[1].auto_renew);
    let (on, off) = (subs[0].subscription_id, subs[1].subscription_id);
    let order = sc.state.orders.values().next().unwrap();
    assert_eq!(
        order.lines.iter().map(|l| l.auto_renew).collect::<Vec<_>>(),
        [true, false]
    );
    // At the term's end one renews, the other expires.
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(on).status, Status::Active);
    assert_eq!(sc.sub(on).term_end_date, Some(date("2026-03-09")));
    assert_eq!(sc.sub(off).status, Status::Expired);
}

#[test]
fn pur_9_a_promotion_id_is_carried_to_the_order_and_subscription() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy_item(PurchaseItem {
        promotion_id: Some("NCE-SPRING-26".into()),
        ..item("m365-e3", 3, P1Y, M)
    });
    assert_eq!(sc.sub(sub).promotion_id.as_deref(), Some("NCE-SPRING-26"));
    let line = &sc.state.orders.values().next().unwrap().lines[0];
    assert_eq!(line.promotion_id.as_deref(), Some("NCE-SPRING-26"));
}

#[test]
fn pur_9_what_has_no_term_or_predates_auto_renewal_never_auto_renews() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    assert!(!sc.sub(perpetual).auto_renew);
    // REN-3: software bought before 2021-10-14.
    let mut sc = Scenario::at("2021-10-13T23:59:59Z").with_customer("NL");
    let old = sc.buy("windows-server-2022-standard", 1, P1Y, A);
    assert!(!sc.sub(old).auto_renew);
    sc.advance_to("2021-10-14T00:00:00Z");
    let new = sc.buy("windows-server-2022-standard", 1, P1Y, A);
    assert!(sc.sub(new).auto_renew);
}

// ---------------------------------------------------------------------------
// PUR-10: the term's start and end date
// ---------------------------------------------------------------------------

#[test]
fn pur_10_end_dates_follow_the_ruling() {
    for (bought, term, end) in [
        ("2026-01-15T09:00:00Z", P1M, "2026-02-14"),
        ("2026-01-31T09:00:00Z", P1M, "2026-02-27"),
        ("2026-01-31T23:59:59Z", P1M, "2026-02-27"),
        ("2026-03-31T00:00:00Z", P1M, "2026-04-29"),
        ("2026-12-15T12:00:00Z", P1M, "2027-01-14"),
        ("2026-03-01T09:00:00Z", P1Y, "2027-02-28"),
        ("2028-02-29T09:00:00Z", P1Y, "2029-02-27"),
        ("2026-01-01T00:00:00Z", P3Y, "2028-12-31"),
        ("2026-01-10T09:00:00Z", P3Y, "2029-01-09"),
    ] {
        let mut sc = Scenario::at(bought).with_customer("NL");
        let sub = sc.buy("m365-e3", 1, term, M);
        let s = sc.sub(sub);
        assert_eq!(s.term_end_date, Some(date(end)), "{bought} + {term:?}");
        assert_eq!(
            s.term_start,
            at(bought),
            "the term starts at the purchase instant"
        );
    }
}

#[test]
fn pur_10_the_next_term_starts_at_midnight_after_the_end_date() {
    let mut sc = Scenario::at("2026-01-31T17:45:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 1, P1M, M);
    assert!(
        sc.advance_to("2026-02-27T23:59:59Z")
            .iter()
            .all(|e| e.data.type_name() != "SubscriptionRenewed")
    );
    let due = sc.advance_to("2026-02-28T00:00:00Z");
    let renewed = due
        .iter()
        .find(|e| e.data.type_name() == "SubscriptionRenewed")
        .expect("renewed");
    assert_eq!(renewed.at, at("2026-02-28T00:00:00Z"));
    // The new term, from 28 February: (2026-03-28) − 1 day.
    assert_eq!(sc.sub(sub).term_end_date, Some(date("2026-03-27")));
}

#[test]
fn pur_10_a_perpetual_purchase_has_no_term() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    assert_eq!(sc.sub(sub).term_end_date, None);
    assert_eq!(sc.sub(sub).term, None);
    // Nothing is ever due for it.
    assert!(sc.advance_to("2030-01-01T00:00:00Z").is_empty());
    assert_eq!(sc.sub(sub).status, Status::Active);
}

// ---------------------------------------------------------------------------
// PUR-11: the purchase opens the reduction and cancellation windows
// ---------------------------------------------------------------------------

#[test]
fn pur_11_every_purchased_seat_is_reducible_for_seven_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 12, P1Y, M);
    let c = created(&sc.history)[0].clone();
    let batch = c.seat_batch.expect("a seat batch");
    assert_eq!(batch.seats, 12);
    assert_eq!(batch.added_at, at("2026-01-10T09:00:00Z"));
    assert_eq!(batch.refundable_until, at("2026-01-17T09:00:00Z"));
    let s = sc.sub(sub);
    // SEAT-3 keeps one: 11 of 12 reducible until the window closes.
    assert_eq!(RefundableSeats::of(s, at("2026-01-17T08:59:59Z")).total, 11);
    assert_eq!(RefundableSeats::of(s, at("2026-01-17T09:00:00Z")).total, 0);
}

#[test]
fn pur_11_the_cancellation_window_depends_on_the_kind() {
    let bought = "2026-01-10T09:00:00Z";
    for (product, term, billing, until) in [
        ("m365-e3", P1Y, M, Some("2026-01-17T09:00:00Z")),
        ("m365-e3", P1M, M, Some("2026-01-17T09:00:00Z")),
        (
            "windows-server-2022-standard",
            P3Y,
            Billing::Triennial,
            Some("2026-01-17T09:00:00Z"),
        ),
        (
            "windows-server-2022-perpetual",
            None,
            Billing::OneTime,
            Some("2026-02-09T09:00:00Z"),
        ),
        ("isv-saas-monthly", P1M, M, Some("2026-01-11T09:00:00Z")),
        ("isv-saas-annual", P1Y, A, Some("2026-01-24T09:00:00Z")),
        ("rhel-software-plan", P1Y, A, None),
    ] {
        let mut sc = Scenario::at(bought).with_customer("NL");
        let sub = sc.buy(product, 1, term, billing);
        assert_eq!(
            sc.sub(sub).cancellation_allowed_until,
            until.map(at),
            "{product}"
        );
    }
}

#[test]
fn pur_11_a_cancellation_right_at_the_window_end_is_too_late() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let late = sc.buy("m365-e3", 2, P1Y, M);
    let in_time = sc.buy("m365-e3", 2, P1Y, M);
    sc.advance_to("2026-01-17T08:59:59Z");
    sc.when(Command::Cancel(Cancel {
        subscription_id: in_time,
    }))
    .then_types(&["SubscriptionCancelled", "Credited"]);
    sc.advance_to("2026-01-17T09:00:00Z");
    sc.when(Command::Cancel(Cancel {
        subscription_id: late,
    }))
    .then_rejected("CancellationWindowClosed", "CAN-1");
}

#[test]
fn pur_11_a_trial_opens_neither_window() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let t = sc.buy_item(trial_item("m365-e5"));
    let s = sc.sub(t);
    assert!(s.batches.is_empty());
    assert_eq!(s.cancellation_allowed_until, None);
}

// ---------------------------------------------------------------------------
// PUR-12: trials only where offered
// ---------------------------------------------------------------------------

#[test]
fn pur_12_a_trial_of_a_product_without_a_trial_offer_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![trial_item("m365-e3")]));
    let rej = out.then_rejected("TrialNotOffered", "PUR-12");
    assert_eq!(detail(rej, "product_id"), "m365-e3");
    assert_eq!(detail(rej, "field"), "items[0].trial");
    assert!(sc.state.subscriptions.is_empty());
}

#[test]
fn pur_12_a_trial_of_a_product_with_one_is_free_and_has_25_seats_for_a_month() {
    for product in ["m365-e5", "m365-business-premium"] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let out = sc.when(Scenario::purchase(vec![trial_item(product)]));
        // No charge at all.
        out.then_types(&["OrderPlaced", "SubscriptionCreated"]);
        let c = created(out.events())[0];
        assert!(c.trial);
        assert_eq!((c.quantity, c.term, c.billing), (25, P1M, M));
        assert_eq!(c.unit_price.amount_minor, 0);
        assert!(c.auto_renew);
    }
}

#[test]
fn pur_12_a_trial_line_must_be_the_trial_offer() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    for it in [
        PurchaseItem {
            quantity: 10,
            ..trial_item("m365-e5")
        },
        PurchaseItem {
            term: P1Y,
            ..trial_item("m365-e5")
        },
        PurchaseItem {
            billing: A,
            term: P1Y,
            ..trial_item("m365-e5")
        },
    ] {
        sc.when(Scenario::purchase(vec![it]))
            .then_rejected("InvalidRequest", "TRI-1");
    }
    assert!(sc.state.subscriptions.is_empty());
}

// ---------------------------------------------------------------------------
// PUR-13: an order is atomic
// ---------------------------------------------------------------------------

#[test]
fn pur_13_an_order_writes_one_order_and_each_line_in_turn() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![
        item("m365-e3", 10, P1Y, M),
        trial_item("m365-e5"),
        item("windows-server-2022-standard", 1, P1Y, A),
    ]));
    let events = out.then_types(&[
        "OrderPlaced",
        "SubscriptionCreated",
        "Charged",
        "SubscriptionCreated",
        "SubscriptionCreated",
        "Charged",
    ]);
    let order_id = match &events[0].data {
        EventData::OrderPlaced {
            order_id, lines, ..
        } => {
            assert_eq!(lines.len(), 3);
            *order_id
        }
        other => panic!("{other:?}"),
    };
    for c in created(events) {
        assert_eq!(c.origin, Origin::Purchase { order_id });
    }
    assert_eq!(sc.state.subscriptions.len(), 3);
}

#[test]
fn pur_13_one_bad_line_refuses_the_whole_order() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 1, P1Y, M);
    let before = sc.state.clone();
    for bad in [
        item("m365-e5", 1, P3Y, M),         // PUR-3
        item("m365-e5", 0, P1Y, M),         // PUR-2
        item("nope", 1, P1Y, M),            // CAT-4
        trial_item("m365-e3"),              // PUR-12
        item("teams-rooms-pro", 1, P1Y, M), // PUR-4, with the next line
        item("copilot-m365", 7, P1Y, M),    // PUR-7: 6 base seats
    ] {
        let name = bad.product_id.clone();
        let out = sc.when(Scenario::purchase(vec![
            item("m365-e3", 5, P1Y, M),
            item("teams-rooms-pro", 1, P1M, M),
            bad,
        ]));
        assert!(out.result.is_err(), "{name}");
        assert_eq!(sc.state, before, "{name}: nothing written");
    }
    // The control: the same order with a good third line goes through.
    sc.when(Scenario::purchase(vec![
        item("m365-e3", 5, P1Y, M),
        item("teams-rooms-pro", 1, P1M, M),
        item("copilot-m365", 6, P1Y, M),
    ]))
    .then_types(&[
        "OrderPlaced",
        "SubscriptionCreated",
        "Charged",
        "SubscriptionCreated",
        "Charged",
        "SubscriptionCreated",
        "Charged",
    ]);
}

#[test]
fn pur_13_an_order_needs_at_least_one_line_and_at_most_a_hundred() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let rej = sc
        .when(Scenario::purchase(vec![]))
        .then_rejected("InvalidRequest", "PUR-13")
        .clone();
    assert_eq!(detail(&rej, "field"), "items");
    let many: Vec<PurchaseItem> = (0..101).map(|_| item("m365-e3", 1, P1Y, M)).collect();
    sc.when(Scenario::purchase(many.clone()))
        .then_rejected("InvalidRequest", "PUR-13");
    sc.when(Scenario::purchase(many[..100].to_vec())).accepted();
    assert_eq!(sc.state.subscriptions.len(), 100);
}

#[test]
fn pur_13_client_chosen_ids_must_be_new() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub_id = Uuid::from_u128(0x5AB);
    let order_id = Uuid::from_u128(0x0DE);
    let with_id = |id| PurchaseItem {
        subscription_id: Some(id),
        ..item("m365-e3", 1, P1Y, M)
    };
    let order = |items, order_id| {
        Command::Purchase(Purchase {
            customer_id: CUSTOMER,
            order_id,
            items,
            reseller_id: None,
            additional_resellers: vec![],
        })
    };
    // The same subscription id twice in one order.
    let rej = sc
        .when(order(vec![with_id(sub_id), with_id(sub_id)], None))
        .then_rejected("InvalidRequest", "PUR-13")
        .clone();
    assert_eq!(detail(&rej, "field"), "items[1].subscription_id");
    assert!(sc.state.subscriptions.is_empty());
    // Chosen ids are used as given.
    sc.when(order(vec![with_id(sub_id)], Some(order_id)))
        .accepted();
    assert!(sc.state.subscriptions.contains_key(&sub_id));
    assert!(sc.state.orders.contains_key(&order_id));
    // Reusing either is refused.
    let rej = sc
        .when(order(vec![with_id(sub_id)], None))
        .then_rejected("InvalidRequest", "PUR-13")
        .clone();
    assert_eq!(detail(&rej, "field"), "items[0].subscription_id");
    let rej = sc
        .when(order(vec![item("m365-e3", 1, P1Y, M)], Some(order_id)))
        .then_rejected("InvalidRequest", "PUR-13")
        .clone();
    assert_eq!(detail(&rej, "field"), "order_id");
    assert_eq!(sc.state.subscriptions.len(), 1);
}

#[test]
fn pur_13_a_sales_agent_order_is_recorded_with_its_partner() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sales = partner(PARTNER_A, &[Role::SalesAgent]);
    sc.when_as(
        &sales,
        Scenario::purchase(vec![item("m365-e3", 1, P1Y, M), item("m365-e5", 1, P1Y, M)]),
    )
    .accepted();
    let order = sc.state.orders.values().next().unwrap();
    assert_eq!(order.partner_id, PARTNER_A);
    assert_eq!(order.placed_at, at("2026-01-10T09:00:00Z"));
    assert!(
        sc.state
            .subscriptions
            .values()
            .all(|s| s.partner_id == PARTNER_A && s.customer_id == CUSTOMER)
    );
}

#[test]
fn pur_2_an_upgrade_to_a_product_with_tighter_bounds_is_held_to_them() {
    // A custom catalog: "small" (up to 10 seats) upgrades to "smaller" (up to 5).
    let price = json!({"amount_minor": 100, "currency": "EUR"});
    let text = json!({"reservation_unavailable_markets": [], "products": [
        {"product_id":"small","name":"Small","kind":"license","max_quantity":10,"upgrade_to":["smaller"],
         "plans":[{"term":"P1Y","billing":"monthly","unit_price":price}]},
        {"product_id":"smaller","name":"Smaller","kind":"license","max_quantity":5,
         "plans":[{"term":"P1Y","billing":"monthly","unit_price":price}]}]})
    .to_string();
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.catalog = Catalog::from_json(&text).unwrap();
    let sub = sc.buy("small", 8, P1Y, M);
    let upgrade = |quantity| {
        Command::Upgrade(Upgrade {
            subscription_id: sub,
            target_product_id: "smaller".into(),
            quantity,
            target_subscription_id: None,
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        })
    };
    // In place (all 8) and partial (6) both exceed 5.
    for q in [8, 6] {
        let rej = sc
            .when(upgrade(q))
            .then_rejected("QuantityOutOfRange", "PUR-2")
            .clone();
        assert_eq!(detail(&rej, "max"), 5);
        assert_eq!(detail(&rej, "requested"), q);
    }
    assert_eq!(sc.sub(sub).product_id, "small");
    sc.when(upgrade(5)).accepted();
    assert_eq!(sc.sub(sub).quantity, 3);
}

#[test]
fn pur_8_a_reseller_named_twice_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let reseller = uuid::Uuid::from_u128(77);
    let r = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 5, P1Y, Billing::Monthly)],
        reseller_id: Some(reseller),
        additional_resellers: vec![uuid::Uuid::from_u128(78), reseller],
    }));
    let rej = r.then_rejected("InvalidRequest", "PUR-8");
    assert_eq!(detail(rej, "field"), "additional_resellers");
    assert!(sc.state.orders.is_empty());
}
