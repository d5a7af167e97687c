//! PUR-4 (one per customer), PUR-5 (markets), PUR-6 (Multi-Geo) and PUR-7 (Copilot).

use super::*;

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
    sc.ok(suspend(first));
    let out = sc.when(Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]));
    let rej = out.then_rejected("OnePerCustomerSuspended", "PUR-4");
    assert!(rej.message.contains("reactivate"), "{}", rej.message);
    assert_eq!(
        detail(rej, "existing_subscription_id"),
        &json!(first.to_string())
    );
    // Reactivated, it is simply the active one.
    sc.ok(reactivate(first));
    sc.when(Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]))
        .then_rejected("OnePerCustomer", "PUR-4");
}

#[test]
fn pur_4_once_the_existing_one_is_cancelled_or_expired_another_may_be_bought() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let first = sc.buy("teams-rooms-pro", 1, P1Y, M);
    sc.ok(cancel(first));
    let second = sc.buy("teams-rooms-pro", 1, P1M, M);
    sc.ok(set_auto_renew(second, false));
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
    sc.ok(suspend(a_sub));
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
    sc.ok(cancel(gone));
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
    sc.when(add_seats(copilot, 1))
        .then_rejected("AddonExceedsBase", "PUR-7");
    sc.when(reduce_seats(base, 1))
        .then_rejected("AddonExceedsBase", "PUR-7");
    assert_eq!(
        (sc.sub(base).quantity, sc.sub(copilot).quantity),
        (100, 100)
    );
    // More base first, then the add-on may grow.
    sc.ok(add_seats(base, 10));
    sc.ok(add_seats(copilot, 10));
}

#[test]
fn pur_7_copilot_without_a_base_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-business-basic", 10, P1Y, M);
    let out = sc.when(Scenario::purchase(vec![item("copilot-m365", 1, P1Y, M)]));
    out.then_rejected("AddonRequiresBase", "PUR-7");
}
