//! BIL-6 (suspended subscriptions), BIL-7 (full refunds) and BIL-8 (tax-inclusive markets).

use super::*;

// ---------------------------------------------------------------------------
// BIL-6: suspended subscriptions keep being charged
// ---------------------------------------------------------------------------

#[test]
fn bil_6_a_suspended_subscription_is_still_charged_each_period() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-15T09:00:00Z");
    let out = sc.when(suspend(sub));
    out.then_types(&["SubscriptionSuspended"]);
    assert!(out.billing().is_empty(), "suspending credits nothing");
    let due = sc.advance_to("2026-03-10T00:00:00Z");
    let charges = billing_lines(&due);
    assert_eq!(charges.len(), 2);
    assert!(
        charges
            .iter()
            .all(|(a, l)| *a == 33_600 && l.reason == BillingReason::PeriodStart)
    );
    assert_eq!(sc.sub(sub).status, Status::Suspended);
    // Reactivated: nothing is charged again for the period already paid.
    assert!(sc.when(reactivate(sub)).billing().is_empty());
}

#[test]
fn bil_6_charging_stops_when_the_suspended_term_expires() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 2, P1M, M);
    sc.ok(suspend(sub));
    let due = sc.advance_to("2026-06-01T00:00:00Z");
    assert_eq!(
        due.iter().map(|e| e.data.type_name()).collect::<Vec<_>>(),
        ["SubscriptionExpired"]
    );
    assert_eq!(sc.sub(sub).status, Status::Expired);
}

// ---------------------------------------------------------------------------
// BIL-7: perpetual software once; full refunds of early cancellations
// ---------------------------------------------------------------------------

#[test]
fn bil_7_perpetual_software_is_charged_once() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    let charges = billing_lines(&sc.history);
    assert_eq!(charges.len(), 1);
    // 106900 × 2.
    assert_eq!(charges[0].0, 213_800);
    assert_eq!(charges[0].1.reason, BillingReason::Purchase);
    assert_eq!(charges[0].1.period_start, date("2026-01-10"));
    assert!(sc.advance_to("2031-01-10T00:00:00Z").is_empty());
}

#[test]
fn bil_7_perpetual_software_cancelled_within_thirty_days_is_credited_in_full() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.advance_to("2026-02-09T08:59:59Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    assert_eq!(out.amounts(), vec![-213_800]);
    assert_eq!(net(&sc.history, sub), 0);
}

#[test]
fn bil_7_perpetual_software_is_not_refunded_after_thirty_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.advance_to("2026-02-09T09:00:00Z");
    let rej = sc
        .when(cancel(sub))
        .then_rejected("CancellationWindowClosed", "CAN-2")
        .clone();
    assert_eq!(detail(&rej, "window_closed_at"), "2026-02-09T09:00:00Z");
    assert_eq!(net(&sc.history, sub), 213_800);
}

#[test]
fn bil_7_an_early_monthly_marketplace_cancellation_is_credited_in_full() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 3, P1M, M);
    sc.advance_to("2026-01-11T08:59:59Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    // 4900 × 3, all of it, although a day has been used.
    assert_eq!(out.amounts(), vec![-14_700]);
}

#[test]
fn bil_7_an_early_annual_marketplace_cancellation_is_credited_in_full() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-annual", 2, P1Y, A);
    sc.advance_to("2026-01-24T08:59:59Z");
    assert_eq!(sc.when(cancel(sub)).amounts(), vec![-98_000]);
}

#[test]
fn bil_7_a_late_marketplace_cancellation_waits_for_the_term_end_and_credits_nothing() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 3, P1M, M);
    sc.advance_to("2026-01-11T09:00:00Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["CancellationScheduled"]);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(
        due.iter().map(|e| e.data.type_name()).collect::<Vec<_>>(),
        ["SubscriptionCancelled"]
    );
    assert_eq!(net(&sc.history, sub), 14_700);
}

#[test]
fn bil_7_a_full_refund_gives_back_exactly_what_was_paid_net_of_earlier_credits() {
    // 5 seats bought (24500); 2 reduced the same day, credited
    // 4900 × 2 × 30 / 31 = 9483.87 → 9484; 1 added (4900 × 31 / 31 = 4900);
    // then cancelled within 24 hours: the rest, 24500 − 9484 + 4900 = 19916.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 5, P1M, M);
    sc.advance_to("2026-01-10T12:00:00Z");
    assert_eq!(sc.when(reduce_seats(sub, 2)).amounts(), vec![-9484]);
    assert_eq!(sc.when(add_seats(sub, 1)).amounts(), vec![4900]);
    sc.advance_to("2026-01-10T20:00:00Z");
    assert_eq!(sc.when(cancel(sub)).amounts(), vec![-19_916]);
    assert_eq!(net(&sc.history, sub), 0);
}

// ---------------------------------------------------------------------------
// BIL-8: tax-inclusive prices in Australia and Brazil
// ---------------------------------------------------------------------------

#[test]
fn bil_8_lines_for_australian_and_brazilian_customers_are_tax_inclusive() {
    for (country, inclusive) in [
        ("AU", true),
        ("BR", true),
        ("NL", false),
        ("US", false),
        ("NZ", false),
    ] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer(country);
        let sub = sc.buy("m365-e3", 10, P1Y, M);
        assert_eq!(sc.sub(sub).tax_inclusive, inclusive, "{country}");
        sc.advance_to("2026-01-12T09:00:00Z");
        sc.ok(add_seats(sub, 2));
        sc.ok(reduce_seats(sub, 1));
        sc.advance_to("2026-02-10T00:00:00Z");
        let all = billing_lines(&sc.history);
        // Purchase, addition, reduction, next period.
        assert_eq!(all.len(), 4, "{country}");
        assert!(
            all.iter().all(|(_, l)| l.tax_inclusive == inclusive),
            "{country}"
        );
        // The amount is the same: only the marking differs.
        assert_eq!(all[0].0, 33_600);
    }
}

#[test]
fn bil_8_subscriptions_created_later_carry_the_marking_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("BR");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    let out = sc.when(upgrade_now(sub, "m365-e5", 4));
    let new_id = out
        .events()
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c.subscription_id),
            _ => None,
        })
        .unwrap();
    assert!(sc.sub(new_id).tax_inclusive);
    assert!(out.billing().iter().all(|(_, l)| l.tax_inclusive));
}

#[test]
fn bil_8_only_the_products_listed_countries_are_tax_inclusive() {
    // A custom product that lists no tax-inclusive country.
    let text = json!({"reservation_unavailable_markets": [], "products": [
        {"product_id":"plain","name":"Plain","kind":"license",
         "plans":[{"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":100,"currency":"AUD"}}]}]})
    .to_string();
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("AU");
    sc.catalog = Catalog::from_json(&text).unwrap();
    let sub = sc.buy("plain", 1, P1Y, M);
    assert!(!sc.sub(sub).tax_inclusive);
    assert!(
        billing_lines(&sc.history)
            .iter()
            .all(|(_, l)| !l.tax_inclusive)
    );
    assert_eq!(billing_lines(&sc.history)[0].1.amount.currency, "AUD");
}
