//! CAN-3 (marketplace cancellations) and CAN-4 (plans that cannot be cancelled).

use super::*;

// ---------------------------------------------------------------- CAN-3

#[test]
fn can_3_monthly_marketplace_within_24_hours_is_cancelled_with_a_full_credit() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-11T08:59:59Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    assert_eq!(r.amounts(), vec![-14700]);
    assert_eq!(sc.sub(sub).status, Status::Cancelled);
}

#[test]
fn can_3_the_full_credit_includes_seats_added_in_the_period() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-10T12:00:00Z");
    // Added on the period's first day: the whole period, 4900 × 2.
    assert_eq!(sc.when(add_seats(sub, 2)).amounts(), vec![9800]);
    sc.advance_to("2026-01-10T20:00:00Z");
    let r = sc.when(cancel(sub));
    assert_eq!(r.amounts(), vec![-(14700 + 9800)]);
}

#[test]
fn can_3_monthly_marketplace_after_24_hours_is_scheduled_for_the_term_end() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-11T09:00:00Z");
    let r = sc.when(cancel(sub));
    match &r.then_types(&["CancellationScheduled"])[0].data {
        EventData::CancellationScheduled {
            subscription_id,
            effective_at,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!(*effective_at, at("2026-02-10T00:00:00Z"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Active);
    assert!(!s.auto_renew);
    assert_eq!(time::next_renewal_at(s), None);
    let view = SubscriptionView::of(s, sc.now, 1);
    assert!(view.cancellation_scheduled);
    assert_eq!(view.status, Status::Active);

    // Still active one second before the term ends…
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    assert_eq!(sc.sub(sub).status, Status::Active);
    // …then cancelled by the ledger, with no credit and no renewal.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(due.len(), 1, "{due:#?}");
    assert_eq!(due[0].at, at("2026-02-10T00:00:00Z"));
    assert!(due[0].actor.is_none());
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionCancelled {
            subscription_id,
            reason: CancelReason::ScheduledAtTermEnd,
            ..
        } if subscription_id == sub
    ));
    assert_eq!(sc.sub(sub).status, Status::Cancelled);
    assert!(sc.advance_to("2026-04-01T00:00:00Z").is_empty());
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn can_3_annual_marketplace_has_fourteen_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-annual", 2, P1Y, Billing::Annual);
    sc.advance_to("2026-01-24T08:59:59Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    assert_eq!(r.amounts(), vec![-98000]);

    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-annual", 2, P1Y, Billing::Annual);
    sc.advance_to("2026-01-24T09:00:00Z");
    let r = sc.when(cancel(sub));
    match &r.then_types(&["CancellationScheduled"])[0].data {
        EventData::CancellationScheduled { effective_at, .. } => {
            assert_eq!(*effective_at, at("2027-01-10T00:00:00Z"))
        }
        other => panic!("unexpected {other:?}"),
    }
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let types: Vec<_> = due.iter().map(|e| e.data.type_name()).collect();
    assert_eq!(types, vec!["SubscriptionCancelled"]);
}

#[test]
fn can_3_a_scheduled_cancellation_cannot_be_repeated_nor_undone_by_auto_renew() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-15T09:00:00Z");
    sc.ok(cancel(sub));
    let before = sc.state.clone();
    let rej = &rejected(
        sc.when(cancel(sub)),
        "CancellationAlreadyScheduled",
        "CAN-3",
    );
    assert_eq!(detail(rej, "effective_at"), "2026-02-10T00:00:00Z");
    let rej = &rejected(
        sc.when(set_auto_renew(sub, true)),
        "CancellationScheduled",
        "CAN-3",
    );
    assert_eq!(detail(rej, "effective_at"), "2026-02-10T00:00:00Z");
    assert_eq!(sc.state, before);
}

#[test]
fn can_3_scheduling_the_cancellation_deletes_the_scheduled_change() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-15T09:00:00Z");
    sc.ok(schedule_quantity(sub, 5));
    let r = sc.when(cancel(sub));
    let events = r.then_types(&["CancellationScheduled", "ScheduledChangeCleared"]);
    assert!(matches!(
        events[1].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::Cancelled,
            ..
        }
    ));
    assert_eq!(sc.sub(sub).scheduled_change, None);
}

#[test]
fn can_3_a_renewed_monthly_term_has_its_own_24_hours() {
    // Ruling: like CAN-1's renewal window, each marketplace term opens its own
    // early-cancellation window at its start.
    let (mut sc, sub) = saas_monthly();
    let due = sc.advance_to("2026-02-10T23:59:59Z");
    assert!(
        due.iter()
            .any(|e| matches!(e.data, EventData::SubscriptionRenewed(_)))
    );
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    // The renewal's charge (4900 × 3) comes back in full.
    assert_eq!(r.amounts(), vec![-14700]);
    assert_eq!(credit(&r).period_start, date("2026-02-10"));
}

// ---------------------------------------------------------------- CAN-4

#[test]
fn can_4_red_hat_and_suse_plans_can_never_be_cancelled() {
    for product in ["rhel-software-plan", "suse-software-plan"] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let sub = sc.buy(product, 1, P1Y, Billing::Annual);
        // Not even a minute after the purchase…
        sc.advance_to("2026-01-10T09:01:00Z");
        let before = sc.state.clone();
        let rej = &rejected(sc.when(cancel(sub)), "NotCancellable", "CAN-4");
        assert_eq!(detail(rej, "product_id"), product);
        assert_eq!(sc.state, before);
        assert_eq!(
            SubscriptionView::of(sc.sub(sub), sc.now, 1).cancellation_allowed_until,
            None
        );
        // …nor later: still CAN-4, not a closed window.
        sc.advance_to("2026-03-01T00:00:00Z");
        rejected(sc.when(cancel(sub)), "NotCancellable", "CAN-4");
        assert_eq!(sc.sub(sub).status, Status::Active);
    }
}

#[test]
fn can_4_a_not_cancellable_three_year_plan_is_refused_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("rhel-software-plan", 3, Some(Term::P3Y), Billing::Triennial);
    rejected(sc.when(cancel(sub)), "NotCancellable", "CAN-4");
}
