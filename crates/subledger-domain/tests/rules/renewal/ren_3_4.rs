//! REN-3 (auto-renew) and REN-4 (scheduled changes).

use super::*;

// ---------------------------------------------------------------- REN-3

#[test]
fn ren_3_with_auto_renew_off_the_subscription_expires_at_the_end_of_its_term() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(set_auto_renew(id, false));
    let v = SubscriptionView::of(sc.sub(id), sc.now, 0);
    assert_eq!(v.next_renewal_at, None);
    assert!(sc.advance_to("2026-02-14T23:59:59Z").is_empty());
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    match &due[0].data {
        EventData::SubscriptionExpired {
            subscription_id,
            reason,
            data_deleted,
        } => {
            assert_eq!(*subscription_id, id);
            assert_eq!(*reason, ExpiryReason::AutoRenewOff);
            assert!(!data_deleted);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(sc.sub(id).status, Status::Expired);
    assert!(!sc.state.live.contains(&id));
    // Nothing more is due, and it can no longer be changed.
    assert!(sc.advance_to("2026-06-01T00:00:00Z").is_empty());
    let before = sc.state.clone();
    sc.when(add_seats(id, 1))
        .then_rejected("SubscriptionExpired", "REN-3");
    sc.when(set_auto_renew(id, true))
        .then_rejected("SubscriptionExpired", "REN-3");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_3_a_purchase_with_auto_renew_off_expires() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(E3, 4, P1Y, Billing::Annual);
    it.auto_renew = false;
    let id = sc.buy_item(it);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    assert_eq!(sc.sub(id).status, Status::Expired);
}

#[test]
fn ren_3_turning_auto_renew_back_on_before_the_end_renews() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(set_auto_renew(id, false));
    sc.advance_to("2026-02-14T23:59:59Z");
    sc.ok(set_auto_renew(id, true));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
}

#[test]
fn ren_3_software_bought_before_2021_10_14_never_auto_renews() {
    // One second before the cut-off: a legacy software subscription.
    let mut sc = Scenario::at("2021-10-13T23:59:59Z").with_customer("NL");
    let id = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    let s = sc.sub(id);
    assert!(s.legacy_software);
    assert!(
        !s.auto_renew,
        "the purchase asked for auto-renew; it is off"
    );
    assert_eq!(s.term_end_date, Some(date("2022-10-12")));
    let rej = sc.when_refused(set_auto_renew(id, true), "AutoRenewUnavailable", "REN-3");
    assert_eq!(detail(&rej, "purchased_at"), "2021-10-13T23:59:59Z");
    // Nor through next-term instructions (REN-4 needs auto-renew on).
    sc.when(schedule(id, quantity_change(3)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4");
    let due = sc.advance_to("2022-10-13T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    assert_eq!(sc.sub(id).status, Status::Expired);
}

#[test]
fn ren_3_software_bought_at_the_cut_off_instant_auto_renews() {
    let mut sc = Scenario::at("2021-10-14T00:00:00Z").with_customer("NL");
    let id = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    assert!(!sc.sub(id).legacy_software);
    assert!(sc.sub(id).auto_renew);
    let due = sc.advance_to("2022-10-14T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
    assert_eq!(charges(&due), vec![(2 * 88000, BillingReason::Renewal)]);
}

#[test]
fn ren_3_licenses_bought_before_the_cut_off_still_auto_renew() {
    let mut sc = Scenario::at("2021-10-01T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 2, P1M, Billing::Monthly);
    assert!(sc.sub(id).auto_renew);
    let due = sc.advance_to("2021-11-01T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
}

// ---------------------------------------------------------------- REN-4

#[test]
fn ren_4_quantity_and_billing_change_applied_atomically_at_renewal() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-06-01T09:00:00Z");
    let change = ScheduledChange {
        quantity: Some(15),
        billing: Some(Billing::Annual),
        ..Default::default()
    };
    sc.when(schedule(id, change.clone()))
        .then_types(&["ScheduledChangeSet"]);
    assert_eq!(sc.sub(id).scheduled_change, Some(change.clone()));
    assert_eq!(sc.sub(id).quantity, 10, "nothing changes mid-term");
    // The last monthly period before the renewal is still 10 seats.
    let due = sc.advance_to("2027-01-09T23:59:59Z");
    assert_eq!(
        charges(&due).last(),
        Some(&(10 * E3_P1Y_MONTHLY, BillingReason::PeriodStart))
    );
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
    let r = renewed(&due);
    assert_eq!(r.quantity, 15);
    assert_eq!(r.billing, Billing::Annual);
    assert_eq!(r.unit_price.amount_minor, E3_P1Y_ANNUAL);
    assert_eq!(r.applied_change, Some(change));
    assert_eq!(r.seat_batch.seats, 15);
    assert_eq!(
        charges(&due),
        vec![(15 * E3_P1Y_ANNUAL, BillingReason::Renewal)]
    );
    let s = sc.sub(id);
    assert_eq!((s.quantity, s.billing), (15, Billing::Annual));
    assert_eq!(s.scheduled_change, None, "applied once");
    // A year later it renews as it is now.
    let due = sc.advance_to("2028-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 15);
}

#[test]
fn ren_4_term_change_applied_at_renewal() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(
        id,
        ScheduledChange {
            term: Some(Term::P3Y),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term, Term::P3Y);
    assert_eq!(r.term_end_date, date("2030-01-09"));
    assert_eq!(sc.sub(id).term, P3Y);
}

#[test]
fn ren_4_coterm_date_ends_the_next_term_early_and_prorates_its_charge() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Annual);
    sc.ok(schedule(
        id,
        ScheduledChange {
            coterm_date: Some(date("2027-06-30")),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_end_date, date("2027-06-30"));
    // 2027-01-10..2027-06-30 is 22 + 28 + 31 + 30 + 31 + 30 = 172 of 365 days:
    // 403.20 × 10 × 172 / 365 = 1900.0109 → 190001.
    assert_eq!(charges(&due), vec![(190_001, BillingReason::Renewal)]);
    // The next renewal is the day after the coterm date, for a full year again.
    let due = sc.advance_to("2027-07-01T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_end_date, date("2028-06-30"));
    assert_eq!(
        charges(&due),
        vec![(10 * E3_P1Y_ANNUAL, BillingReason::Renewal)]
    );
}

#[test]
fn ren_4_coterm_date_must_fall_within_the_next_term() {
    // Next term 2027-01-10..2028-01-09.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    let coterm = |d: &str| {
        schedule(
            id,
            ScheduledChange {
                coterm_date: Some(date(d)),
                ..Default::default()
            },
        )
    };
    let before = sc.state.clone();
    for bad in ["2027-01-09", "2028-01-10"] {
        let rej = sc
            .when(coterm(bad))
            .then_rejected("InvalidRequest", "REN-4")
            .clone();
        assert_eq!(detail(&rej, "field"), "coterm_date");
        assert_eq!(detail(&rej, "next_term_start"), "2027-01-10");
        assert_eq!(detail(&rej, "next_term_end"), "2028-01-09");
    }
    assert_eq!(sc.state, before);
    for good in ["2027-01-10", "2028-01-09"] {
        sc.when(coterm(good)).then_types(&["ScheduledChangeSet"]);
    }
}

#[test]
fn ren_4_one_change_at_a_time_replaced_or_cleared() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(id, quantity_change(12)));
    sc.ok(schedule(
        id,
        ScheduledChange {
            billing: Some(Billing::Annual),
            ..Default::default()
        },
    ));
    // Replaced, not merged: the quantity of 12 is gone.
    assert_eq!(
        sc.sub(id).scheduled_change,
        Some(ScheduledChange {
            billing: Some(Billing::Annual),
            ..Default::default()
        })
    );
    let out = sc.when(clear_scheduled_change(id));
    let events = out.then_types(&["ScheduledChangeCleared"]);
    assert!(matches!(
        events[0].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::Requested,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
    sc.when_refused(clear_scheduled_change(id), "NoScheduledChange", "REN-4");
    // Cleared: it renews as it is.
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!((r.quantity, r.billing), (10, Billing::Monthly));
}

#[test]
fn ren_4_scheduling_needs_an_active_subscription_with_auto_renew_on() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let off = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(set_auto_renew(off, false));
    let suspended = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(suspend(suspended));
    let before = sc.state.clone();
    let rej = sc
        .when(schedule(off, quantity_change(5)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "auto_renew"), false);
    assert_eq!(detail(&rej, "status"), "active");
    let rej = sc
        .when(schedule(suspended, quantity_change(5)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "status"), "suspended");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_4_the_change_must_be_valid() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    let before = sc.state.clone();
    // Empty.
    sc.when(schedule(id, ScheduledChange::default()))
        .then_rejected("InvalidRequest", "REN-4");
    // Zero seats.
    sc.when(schedule(id, quantity_change(0)))
        .then_rejected("InvalidRequest", "PUR-2");
    // A plan not offered (CAT-1).
    sc.when(schedule(
        id,
        ScheduledChange {
            billing: Some(Billing::Triennial),
            ..Default::default()
        },
    ))
    .then_rejected("PlanNotOffered", "PUR-3");
    // A downgrade (UPG-1).
    sc.when(schedule(
        id,
        ScheduledChange {
            product_id: Some("m365-business-basic".into()),
            ..Default::default()
        },
    ))
    .then_rejected("UpgradeNotAllowed", "UPG-1");
    // No term, no next term.
    sc.when(schedule(perpetual, quantity_change(2)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_4_a_product_change_is_an_upgrade_at_renewal() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(
        id,
        ScheduledChange {
            product_id: Some("m365-e5".into()),
            quantity: Some(8),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!((r.product_id.as_str(), r.quantity), ("m365-e5", 8));
    assert_eq!(
        charges(&due).last(),
        Some(&(8 * 5480, BillingReason::Renewal))
    );
    assert_eq!(sc.sub(id).product_name, "Microsoft 365 E5");
}
