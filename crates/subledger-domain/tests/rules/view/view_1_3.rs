//! VIEW-1 (the subscription view), VIEW-2 (old software) and VIEW-3 (the CSV export).

use super::*;

// ---------------------------------------------------------------- VIEW-1

#[test]
fn view_1_a_new_subscription_shows_every_field() {
    let (sc, id) = bought();
    let v = view(&sc, id);
    assert_eq!(v.subscription_id, id);
    assert_eq!(v.customer_id, CUSTOMER);
    assert_eq!(v.partner_id, PARTNER_A);
    assert_eq!(v.reseller_id, Some(RESELLER));
    assert_eq!(v.product_id, E3);
    assert_eq!(v.product_name, "Microsoft 365 E3");
    assert_eq!(v.quantity, 10);
    assert_eq!(v.status, Status::Active);
    assert!(!v.trial);
    assert_eq!(v.term, Some(Term::P1Y));
    assert_eq!(v.billing, Billing::Monthly);
    assert_eq!(v.term_start, at("2026-01-10T09:00:00Z"));
    assert_eq!(v.term_end_date, Some(date("2027-01-09")));
    assert!(v.auto_renew);
    assert_eq!(v.next_renewal_at, Some(at("2027-01-10T00:00:00Z")));
    assert_eq!(
        v.cancellation_allowed_until,
        Some(at("2026-01-17T09:00:00Z"))
    );
    assert_eq!(
        v.refundable_seats,
        RefundableSeats {
            total: 9,
            batches: vec![RefundableBatch {
                seats: 10,
                refundable_until: at("2026-01-17T09:00:00Z"),
            }],
        }
    );
    assert_eq!(v.scheduled_change, None);
    assert_eq!(v.promotion_id.as_deref(), Some("PROMO-2026"));
    assert_eq!(v.update_count, 0);
    assert_eq!(v.version, sc.state.event_count);
}

#[test]
fn view_1_the_json_uses_the_field_names_of_the_api() {
    let (mut sc, id) = bought();
    sc.ok(schedule_quantity(id, 12));
    let json = serde_json::to_value(view(&sc, id)).expect("serializes");
    for key in [
        "subscription_id",
        "customer_id",
        "partner_id",
        "reseller_id",
        "product_id",
        "product_name",
        "quantity",
        "status",
        "trial",
        "term",
        "billing",
        "term_start",
        "term_end_date",
        "auto_renew",
        "next_renewal_at",
        "cancellation_allowed_until",
        "refundable_seats",
        "scheduled_change",
        "promotion_id",
        "update_count",
        "version",
    ] {
        assert!(json.get(key).is_some(), "missing `{key}` in {json:#}");
    }
    assert_eq!(json["status"], "active");
    assert_eq!(json["term"], "P1Y");
    assert_eq!(json["billing"], "monthly");
    assert_eq!(json["term_start"], "2026-01-10T09:00:00Z");
    assert_eq!(json["term_end_date"], "2027-01-09");
    assert_eq!(json["next_renewal_at"], "2027-01-10T00:00:00Z");
    assert_eq!(json["cancellation_allowed_until"], "2026-01-17T09:00:00Z");
    assert_eq!(
        json["refundable_seats"],
        serde_json::json!({
            "total": 9,
            "batches": [{ "seats": 10, "refundable_until": "2026-01-17T09:00:00Z" }]
        })
    );
    assert_eq!(json["scheduled_change"]["quantity"], 12);
    assert_eq!(json["update_count"], 1);
}

#[test]
fn view_1_cancellation_allowed_until_is_null_once_it_can_no_longer_be_cancelled() {
    let (mut sc, id) = bought();
    sc.advance_to("2026-01-17T08:59:59Z");
    assert_eq!(
        view(&sc, id).cancellation_allowed_until,
        Some(at("2026-01-17T09:00:00Z"))
    );
    sc.advance_to("2026-01-17T09:00:00Z");
    let v = view(&sc, id);
    assert_eq!(v.cancellation_allowed_until, None);
    assert_eq!(v.refundable_seats.total, 0);
    assert!(v.refundable_seats.batches.is_empty());
    // And it is indeed refused then (CAN-1).
    sc.when(cancel(id))
        .then_rejected("CancellationWindowClosed", "CAN-1");
    // A product that can never be cancelled never shows a deadline.
    let rhel = sc.buy("rhel-software-plan", 1, P1Y, Billing::Annual);
    assert_eq!(view(&sc, rhel).cancellation_allowed_until, None);
}

#[test]
fn view_1_every_status_is_shown() {
    let (mut sc, id) = bought();
    let suspended = sc.buy(E3, 2, P1Y, Billing::Monthly);
    sc.ok(suspend(suspended));
    let cancelled = sc.buy(E3, 2, P1Y, Billing::Monthly);
    sc.ok(cancel(cancelled));
    let mut it = item(E3, 2, P1M, Billing::Monthly);
    it.auto_renew = false;
    let expired = sc.buy_item(it);
    sc.relate(PARTNER_B);
    let t = sc.request_transfer_from_a();
    sc.ok(accept_transfer(t, &[id]));
    sc.advance_to("2026-02-10T00:00:00Z");
    for (sub, status, json) in [
        (suspended, Status::Suspended, "suspended"),
        (cancelled, Status::Cancelled, "cancelled"),
        (expired, Status::Expired, "expired"),
        (id, Status::Transferred, "transferred"),
    ] {
        let v = view(&sc, sub);
        assert_eq!(v.status, status);
        assert_eq!(serde_json::to_value(&v).expect("json")["status"], json);
        assert_eq!(v.next_renewal_at, None, "{json} does not renew");
        assert!(!v.auto_renew, "{json}");
        if status != Status::Suspended {
            assert_eq!(v.cancellation_allowed_until, None, "{json}");
            assert_eq!(v.refundable_seats.total, 0, "{json}");
        }
    }
}

#[test]
fn view_1_a_trial_shows_its_flag_and_no_refundable_seats() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item("m365-business-premium", 25, P1M, Billing::Monthly);
    it.trial = true;
    let id = sc.buy_item(it);
    let v = view(&sc, id);
    assert!(v.trial);
    assert_eq!(v.quantity, 25);
    assert_eq!(v.cancellation_allowed_until, None);
    assert_eq!(v.refundable_seats.total, 0);
    assert_eq!(v.next_renewal_at, Some(at("2026-02-10T00:00:00Z")));
    sc.advance_to("2026-02-10T00:00:00Z");
    assert!(!view(&sc, id).trial);
}

#[test]
fn view_1_update_count_and_version_follow_the_accepted_commands() {
    let (mut sc, id) = bought();
    let v0 = view(&sc, id);
    sc.ok(add_seats(id, 2));
    sc.ok(set_auto_renew(id, false));
    // A refused command counts for nothing.
    sc.when(reduce_seats(id, 20))
        .then_rejected("QuantityBelowMinimum", "SEAT-3");
    let v = view(&sc, id);
    assert_eq!(v.update_count, 2);
    assert!(v.version > v0.version);
    assert_eq!(v.quantity, 12);
    assert!(!v.auto_renew);
    assert_eq!(v.next_renewal_at, None);
    // Two batches now: the purchase's and the addition's.
    assert_eq!(v.refundable_seats.batches.len(), 2);
    assert_eq!(v.refundable_seats.total, 11);
    // Time-driven work does not count as an update.
    sc.advance_to("2026-03-01T00:00:00Z");
    assert_eq!(view(&sc, id).update_count, 2);
}

// ---------------------------------------------------------------- VIEW-2

#[test]
fn view_2_software_bought_before_2021_10_14_is_listed_only_among_orders() {
    let mut sc = Scenario::at("2021-10-13T23:59:59Z").with_customer("NL");
    let legacy = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    let licence = sc.buy(E3, 2, P1Y, Billing::Monthly);
    sc.advance_to("2021-10-14T00:00:00Z");
    let current = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    assert!(!listed_among_subscriptions(sc.sub(legacy)));
    assert!(listed_among_subscriptions(sc.sub(licence)));
    assert!(listed_among_subscriptions(sc.sub(current)));
    // All three appear among the orders.
    for id in [legacy, licence, current] {
        assert!(
            sc.state
                .orders
                .values()
                .any(|o| o.lines.iter().any(|l| l.subscription_id == id)),
            "{id} not among the orders"
        );
    }
    let listed: Vec<Uuid> = sc
        .state
        .subscriptions
        .values()
        .filter(|s| listed_among_subscriptions(s))
        .map(|s| s.subscription_id)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(!listed.contains(&legacy));
}

// ---------------------------------------------------------------- VIEW-3

#[test]
fn view_3_the_csv_has_the_seed_columns() {
    assert_eq!(
        CSV_HEADER,
        [
            "subscription_id",
            "name",
            "quantity",
            "status",
            "billing_cycle",
            "promotion",
            "reseller"
        ]
    );
}

#[test]
fn view_3_a_row_carries_status_auto_renew_renewal_date_promotion_and_reseller() {
    let (mut sc, id) = bought();
    assert_eq!(
        csv_row(sc.sub(id)),
        [
            id.to_string(),
            "Microsoft 365 E3".to_owned(),
            "10".to_owned(),
            "active; auto-renew on; renews 2027-01-10".to_owned(),
            "monthly".to_owned(),
            "PROMO-2026".to_owned(),
            RESELLER.to_string(),
        ]
    );
    // No promotion, no reseller: `none`; annual billing.
    let other = sc.buy(E3, 3, P1Y, Billing::Annual);
    let row = csv_row(sc.sub(other));
    assert_eq!(row[4], "annual");
    assert_eq!(row[5], "none");
    assert_eq!(row[6], "none");
    // Auto-renew off: the end date.
    sc.ok(set_auto_renew(id, false));
    assert_eq!(
        csv_row(sc.sub(id))[3],
        "active; auto-renew off; ends 2027-01-09"
    );
    sc.ok(suspend(other));
    assert_eq!(
        csv_row(sc.sub(other))[3],
        "suspended; auto-renew off; expires 2027-01-09"
    );
    sc.ok(cancel(id));
    assert_eq!(csv_row(sc.sub(id))[3], "cancelled; auto-renew off");
}

#[test]
fn view_3_a_scheduled_marketplace_cancellation_shows_the_end_date() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy("isv-saas-monthly", 5, P1M, Billing::Monthly);
    sc.advance_to("2026-01-11T09:00:00Z");
    sc.ok(cancel(id));
    let row = csv_row(sc.sub(id));
    assert_eq!(row[3], "active; auto-renew off; ends 2026-02-09");
    // The product name holds a comma: quoted in the file (RFC 4180).
    assert_eq!(row[1], "Contoso Analytics (SaaS, monthly)");
    assert_eq!(csv_field(&row[1]), "\"Contoso Analytics (SaaS, monthly)\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("plain"), "plain");
}
