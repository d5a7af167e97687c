//! PUR-1 (customers), PUR-2 (quantities) and PUR-3 (plans on offer).

use super::*;

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
        .when(add_seats(sub, 11))
        .then_rejected("QuantityOutOfRange", "PUR-2")
        .clone();
    assert_eq!(detail(&rej, "requested"), 301);
    assert_eq!(sc.sub(sub).quantity, 290);
    sc.when(add_seats(sub, 10))
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
    let rej = sc.when_refused(
        Command::Upgrade(Upgrade {
            subscription_id: source,
            target_product_id: "m365-business-standard".into(),
            quantity: 250,
            target_subscription_id: Some(target),
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }),
        "QuantityOutOfRange",
        "PUR-2",
    );
    assert_eq!(detail(&rej, "max"), 300);
    assert_eq!(detail(&rej, "requested"), 350);
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
    let rej = sc.when_refused(
        Command::ConvertTrial(ConvertTrial {
            subscription_id: trial,
            target_subscription_id: Some(paid),
            quantity: None,
            term: None,
            billing: None,
        }),
        "QuantityOutOfRange",
        "PUR-2",
    );
    assert_eq!(detail(&rej, "requested"), 315);
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
    let upgrade = |quantity| upgrade_now(sub, "smaller", quantity);
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
