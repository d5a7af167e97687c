//! UPG-4 (partial upgrades), UPG-5 (into an existing target) and UPG-6 (windows).

use super::*;

// ---------------------------------------------------------------- UPG-4

#[test]
fn upg_4_partial_upgrade_moves_seats_to_a_new_coterminous_subscription() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 4));
    let events = out
        .then_types(&[
            "SubscriptionCreated",
            "SubscriptionUpgraded",
            "Credited",
            "Charged",
        ])
        .clone();
    let new_id = created_id(&events);
    assert_ne!(new_id, id);
    match &events[1].data {
        EventData::SubscriptionUpgraded {
            target_subscription_id,
            mode,
            seats_moved,
            source_quantity_after,
            ..
        } => {
            assert_eq!(*target_subscription_id, new_id);
            assert_eq!(*mode, UpgradeMode::NewSubscription);
            assert_eq!((*seats_moved, *source_quantity_after), (4, 6));
        }
        other => panic!("unexpected {other:?}"),
    }
    // Two subscriptions result.
    let source = sc.sub(id).clone();
    let target = sc.sub(new_id).clone();
    assert_eq!((source.product_id.as_str(), source.quantity), (STANDARD, 6));
    assert_eq!((target.product_id.as_str(), target.quantity), (E3, 4));
    assert_eq!(source.status, Status::Active);
    assert_eq!(target.status, Status::Active);
    // Coterminous: the same term end date (not a year from the upgrade).
    assert_eq!(target.term_end_date, source.term_end_date);
    assert_eq!(target.term_end_date, Some(date("2027-01-09")));
    assert_eq!(target.term, P1Y);
    assert_eq!(target.billing, Billing::Monthly);
    assert_eq!(target.partner_id, PARTNER_A);
    assert_eq!(target.auto_renew, source.auto_renew);
    assert_eq!(target.unit_price.amount_minor, E3_MONTHLY);
    assert!(invariants::check(&sc.state).is_empty());
    // Both renew on the same day.
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let renewed: Vec<Uuid> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.subscription_id),
            _ => None,
        })
        .collect();
    assert_eq!(renewed.len(), 2);
    assert!(renewed.contains(&id) && renewed.contains(&new_id));
}

#[test]
fn upg_4_partial_upgrade_keeps_a_source_with_auto_renew_off_coterminous_and_not_renewing() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(STANDARD, 10, P1Y, Billing::Monthly);
    it.auto_renew = false;
    let id = sc.buy_item(it);
    let events = sc.ok(upgrade_now(id, E3, 3));
    let new_id = created_id(&events);
    assert!(!sc.sub(new_id).auto_renew, "the new one follows the source");
}

#[test]
fn upg_4_the_new_subscription_keeps_the_source_term() {
    let (mut sc, id) = standard_10();
    sc.when_refused(
        Command::Upgrade(Upgrade {
            subscription_id: id,
            target_product_id: E3.into(),
            quantity: 4,
            target_subscription_id: None,
            term: Some(Term::P3Y),
            billing: None,
            timing: UpgradeTiming::Now,
        }),
        "InvalidRequest",
        "UPG-4",
    );
}

#[test]
fn upg_4_moved_seats_leave_the_newest_reducible_batch_first() {
    // Bought 10 today, so all 10 are in the purchase batch; after moving 4 the
    // source still holds 6 seats, 5 of which may be reduced (SEAT-3 keeps one).
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(upgrade_now(id, E3, 4));
    let s = sc.sub(id);
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].seats, 6);
    let v = SubscriptionView::of(s, sc.now, 0);
    assert_eq!(v.refundable_seats.total, 5);
}

// ---------------------------------------------------------------- UPG-5

#[test]
fn upg_5_partial_upgrade_into_an_existing_target_adds_the_seats_there() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    let n = sc.state.subscriptions.len();
    let out = sc.when(upgrade_into(id, E3, 4, target));
    let events = out.then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    match &events[0].data {
        EventData::SubscriptionUpgraded {
            target_subscription_id,
            mode,
            seats_moved,
            source_quantity_after,
            ..
        } => {
            assert_eq!(*target_subscription_id, target);
            assert_eq!(*mode, UpgradeMode::IntoExisting);
            assert_eq!((*seats_moved, *source_quantity_after), (4, 6));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(sc.state.subscriptions.len(), n, "no new subscription");
    assert_eq!(sc.sub(id).quantity, 6);
    assert_eq!(sc.sub(id).status, Status::Active);
    let t = sc.sub(target);
    assert_eq!(t.quantity, 9);
    // The target keeps its term and billing.
    assert_eq!(t.term, P1Y);
    assert_eq!(t.billing, Billing::Monthly);
    assert_eq!(t.term_end_date, Some(date("2027-01-09")));
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn upg_5_the_target_keeps_its_billing_plan() {
    // Source billed monthly, target billed annually: the seats join the annual plan.
    let (mut sc, id) = standard_10();
    let target = sc.buy(E3, 5, P1Y, Billing::Annual);
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_into(id, E3, 4, target));
    out.then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    let b = out.billing();
    // The annual target's period is 2026-01-10..2027-01-09: 365 days, 11 used,
    // 354 unused: 403.20 × 4 × 354 / 365.
    assert_eq!(b[1].1.period_end, date("2027-01-09"));
    assert_eq!(b[1].0, rhu(40320 * 4 * 354, 365));
    assert_eq!(b[1].0, 156_420); // 156419.506 rounds up
    let t = sc.sub(target);
    assert_eq!(t.billing, Billing::Annual);
    assert_eq!(t.unit_price.amount_minor, 40320);
}

#[test]
fn upg_5_full_upgrade_into_an_existing_target_cancels_the_source() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_into(id, E3, 10, target));
    let events = out.then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
        "SubscriptionCancelled",
    ]);
    match &events[3].data {
        EventData::SubscriptionCancelled {
            subscription_id,
            reason,
            ..
        } => {
            assert_eq!(*subscription_id, id);
            assert_eq!(*reason, CancelReason::UpgradedAway);
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id).clone();
    assert_eq!(s.status, Status::Cancelled);
    assert_eq!(s.quantity, 0);
    assert!(!s.auto_renew);
    assert_eq!(sc.sub(target).quantity, 15);
    assert!(!sc.state.live.contains(&id));
    assert!(invariants::check(&sc.state).is_empty());
    // It behaves as cancelled afterwards (CAN-5).
    sc.when(add_seats(id, 1))
        .then_rejected("SubscriptionCancelled", "CAN-5");
    let v = SubscriptionView::of(&s, sc.now, 0);
    assert_eq!(v.status, Status::Cancelled);
}

#[test]
fn upg_5_target_inside_its_cancellation_window_is_refused_until_the_window_ends() {
    let (mut sc, id) = standard_10();
    // The target is bought two days later at 08:00: its window ends 2026-01-19T08:00Z.
    sc.advance_to("2026-01-12T08:00:00Z");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-19T07:59:59Z");
    let rej = sc.when_refused(
        upgrade_into(id, E3, 4, target),
        "UpgradeTargetInCancellationWindow",
        "UPG-5",
    );
    assert_eq!(detail(&rej, "window_closes_at"), "2026-01-19T08:00:00Z");
    // Exactly at the window's end it is outside the window.
    sc.advance_to("2026-01-19T08:00:00Z");
    sc.when(upgrade_into(id, E3, 4, target)).then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
    ]);
    assert_eq!(sc.sub(target).quantity, 9);
}

#[test]
fn upg_5_target_with_another_term_duration_is_refused() {
    let (mut sc, id) = standard_10();
    let target = sc.buy(E3, 5, P1M, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    let rej = sc.when_refused(
        upgrade_into(id, E3, 4, target),
        "UpgradeTargetTermMismatch",
        "UPG-5",
    );
    assert_eq!(detail(&rej, "target_term"), "P1M");
    assert_eq!(detail(&rej, "source_term"), "P1Y");
}

#[test]
fn upg_5_target_ending_before_the_source_is_refused() {
    // The target is bought a day before the source: it ends 2027-01-08, the source
    // 2027-01-09.
    let mut sc = Scenario::at("2026-01-09T09:00:00Z").with_customer("NL");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-10T09:00:00Z");
    let id = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    let rej = sc.when_refused(
        upgrade_into(id, E3, 4, target),
        "UpgradeTargetEndsEarlier",
        "UPG-5",
    );
    assert_eq!(detail(&rej, "target_term_end_date"), "2027-01-08");
    assert_eq!(detail(&rej, "source_term_end_date"), "2027-01-09");
}

#[test]
fn upg_5_target_ending_after_the_source_is_accepted() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-11T09:00:00Z");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.when(upgrade_into(id, E3, 10, target)).accepted();
    assert_eq!(sc.sub(target).quantity, 15);
    assert_eq!(sc.sub(target).term_end_date, Some(date("2027-01-10")));
}

#[test]
fn upg_5_target_must_be_an_active_paid_subscription_of_the_target_product() {
    let (mut sc, id, target) = standard_and_e3_target();
    let other = sc.buy("m365-e5", 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    // Not a subscription of the product named.
    sc.when(upgrade_into(id, E3, 4, other))
        .then_rejected("InvalidRequest", "UPG-5");
    // Into itself.
    sc.when(upgrade_into(id, STANDARD, 4, id))
        .then_rejected("UpgradeNotAllowed", "UPG-1");
    // A suspended target.
    sc.ok(suspend(target));
    let rej = sc.when_refused(
        upgrade_into(id, E3, 4, target),
        "UpgradeTargetNotActive",
        "UPG-5",
    );
    assert_eq!(detail(&rej, "status"), "suspended");
}

#[test]
fn upg_5_target_of_another_partner_is_not_found() {
    let (mut sc, id) = standard_10();
    sc.relate(PARTNER_B);
    let b_target = {
        let b = admin_b();
        let out = sc.when_as(
            &b,
            Scenario::purchase(vec![item(E3, 5, P1Y, Billing::Monthly)]),
        );
        created_id(out.accepted())
    };
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.when_refused(upgrade_into(id, E3, 4, b_target), "NotFound", "GEN-2");
}

#[test]
fn upg_5_seats_added_to_the_target_delete_its_scheduled_change() {
    // REN-5: a mid-term quantity change deletes the next-term instructions; a
    // scheduled quantity of 5 would otherwise drop the upgraded seats at renewal.
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.ok(schedule_quantity(target, 5));
    let out = sc.when(upgrade_into(id, E3, 4, target));
    let cleared = out.events().iter().any(|e| {
        matches!(
            &e.data,
            EventData::ScheduledChangeCleared { subscription_id, .. } if *subscription_id == target
        )
    });
    assert!(cleared, "events: {:#?}", out.events());
    assert_eq!(sc.sub(target).scheduled_change, None);
    assert_eq!(sc.sub(target).quantity, 9);
}

// ---------------------------------------------------------------- UPG-6

#[test]
fn upg_6_an_in_place_upgrade_inside_the_windows_ends_them() {
    // Upgraded on day 3, inside both 7-day windows of the purchase.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(upgrade_now(id, E3, 10));
    let s = sc.sub(id).clone();
    assert!(s.batches.is_empty());
    assert_eq!(s.cancellation_allowed_until, None);
    let v = SubscriptionView::of(&s, sc.now, 0);
    assert_eq!(v.refundable_seats.total, 0);
    assert_eq!(v.cancellation_allowed_until, None);

    let before = sc.state.clone();
    let rej = sc
        .when(reduce_seats(id, 1))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2")
        .clone();
    assert_eq!(detail(&rej, "reducible_now"), 0);
    // An upgrade cannot be undone by cancelling either.
    sc.when(cancel(id))
        .then_rejected("CancellationWindowClosed", "CAN-1");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_6_the_new_subscription_of_a_partial_upgrade_has_no_windows() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-11T09:00:00Z");
    let events = sc.ok(upgrade_now(id, E3, 4));
    let new_id = created_id(&events);
    match &events[0].data {
        EventData::SubscriptionCreated(c) => {
            assert_eq!(c.cancellation_allowed_until, None);
            assert_eq!(c.seat_batch, None);
        }
        other => panic!("unexpected {other:?}"),
    }
    let before = sc.state.clone();
    sc.when(reduce_seats(new_id, 1))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2");
    sc.when(cancel(new_id))
        .then_rejected("CancellationWindowClosed", "CAN-1");
    assert_eq!(sc.state, before);
    // The source keeps its own windows for the seats it kept.
    sc.when(reduce_seats(id, 2))
        .then_types(&["SeatsReduced", "Credited"]);
}

#[test]
fn upg_6_seats_upgraded_into_an_existing_target_are_not_reducible() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.ok(upgrade_into(id, E3, 4, target));
    let v = SubscriptionView::of(sc.sub(target), sc.now, 0);
    assert_eq!(v.refundable_seats.total, 0);
    sc.when(reduce_seats(target, 4))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2");
}
