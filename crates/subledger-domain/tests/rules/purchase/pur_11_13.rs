//! PUR-11 (the windows a purchase opens), PUR-12 (trials) and PUR-13 (atomic orders).

use super::*;

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
    sc.when(cancel(in_time))
        .then_types(&["SubscriptionCancelled", "Credited"]);
    sc.advance_to("2026-01-17T09:00:00Z");
    sc.when(cancel(late))
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
    // Reusing either is refused: 409 IdAlreadyUsed, as for an id another customer
    // holds (the ledger checks those), naming the field and the id only.
    let rej = sc
        .when(order(vec![with_id(sub_id)], None))
        .then_rejected("IdAlreadyUsed", "PUR-13")
        .clone();
    assert_eq!(rej.kind, RejectionKind::Conflict);
    assert_eq!(detail(&rej, "field"), "items[0].subscription_id");
    assert_eq!(detail(&rej, "id"), &json!(sub_id.to_string()));
    assert_eq!(rej.details.len(), 2, "{:?}", rej.details);
    assert_eq!(
        rej.message,
        format!("subscription id {sub_id} is already used in this ledger")
    );
    let rej = sc
        .when(order(vec![item("m365-e3", 1, P1Y, M)], Some(order_id)))
        .then_rejected("IdAlreadyUsed", "PUR-13")
        .clone();
    assert_eq!(detail(&rej, "field"), "order_id");
    assert_eq!(detail(&rej, "id"), &json!(order_id.to_string()));
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
