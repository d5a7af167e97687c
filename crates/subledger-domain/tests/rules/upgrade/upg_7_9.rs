//! UPG-7 (end of term), UPG-8 (two to one) and UPG-9 (money).

use super::*;

// ---------------------------------------------------------------- UPG-7

#[test]
fn upg_7_end_of_term_upgrade_is_a_scheduled_change_applied_at_renewal() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_end_of_term(id, E3, 10));
    let events = out.then_types(&["ScheduledChangeSet"]);
    match &events[0].data {
        EventData::ScheduledChangeSet { change, .. } => {
            assert_eq!(change.product_id.as_deref(), Some(E3));
            assert_eq!(change.quantity, None, "a full upgrade keeps the quantity");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Nothing changes, nothing is billed until the renewal.
    assert_eq!(sc.sub(id).product_id, STANDARD);
    assert!(out.billing().is_empty());
    sc.advance_to("2027-01-09T23:59:59Z");
    assert_eq!(sc.sub(id).product_id, STANDARD);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let types: Vec<&str> = due.iter().map(|e| e.data.type_name()).collect();
    assert_eq!(types, ["SubscriptionRenewed", "Charged"]);
    match &due[0].data {
        EventData::SubscriptionRenewed(r) => {
            assert_eq!(r.product_id, E3);
            assert_eq!(r.quantity, 10);
            assert_eq!(r.unit_price.amount_minor, E3_MONTHLY);
            assert!(r.applied_change.is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
    match &due[1].data {
        EventData::Charged(l) => {
            assert_eq!(l.amount.amount_minor, 10 * E3_MONTHLY);
            assert_eq!(l.reason, BillingReason::Renewal);
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id);
    assert_eq!(s.product_id, E3);
    assert_eq!(s.scheduled_change, None);
}

#[test]
fn upg_7_mid_term_upgrade_deletes_the_scheduled_change() {
    let (mut sc, id) = standard_10();
    sc.ok(schedule_quantity(id, 12));
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 10));
    let events = out.then_types(&[
        "ScheduledChangeCleared",
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
    ]);
    assert!(matches!(
        &events[0].data,
        EventData::ScheduledChangeCleared {
            reason: subledger_domain::event::ClearReason::Upgraded,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
    // At renewal the quantity stays 10 (the change of 12 is gone).
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let renewed = due
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.clone()),
            _ => None,
        })
        .expect("renewed");
    assert_eq!(renewed.quantity, 10);
    assert_eq!(renewed.product_id, E3);
}

#[test]
fn upg_7_partial_mid_term_upgrade_deletes_the_source_scheduled_change() {
    let (mut sc, id) = standard_10();
    sc.ok(schedule_quantity(id, 8));
    let out = sc.when(upgrade_now(id, E3, 4));
    assert_eq!(out.accepted()[0].data.type_name(), "ScheduledChangeCleared");
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn upg_7_end_of_term_upgrade_cannot_name_a_target_subscription() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.when_refused(
        Command::Upgrade(Upgrade {
            subscription_id: id,
            target_product_id: E3.into(),
            quantity: 10,
            target_subscription_id: Some(target),
            term: None,
            billing: None,
            timing: UpgradeTiming::EndOfTerm,
        }),
        "InvalidRequest",
        "UPG-7",
    );
}

#[test]
fn upg_7_end_of_term_upgrade_needs_auto_renew_on() {
    let (mut sc, id) = standard_10();
    sc.ok(set_auto_renew(id, false));
    let rej = sc.when_refused(
        upgrade_end_of_term(id, E3, 10),
        "ScheduledChangeNotAllowed",
        "REN-4",
    );
    assert_eq!(detail(&rej, "auto_renew"), false);
}

#[test]
fn upg_7_end_of_term_upgrade_replaces_an_earlier_scheduled_change() {
    let (mut sc, id) = standard_10();
    sc.ok(schedule_quantity(id, 12));
    sc.ok(upgrade_end_of_term(id, "m365-business-premium", 10));
    let change = sc.sub(id).scheduled_change.clone().expect("scheduled");
    assert_eq!(change.product_id.as_deref(), Some("m365-business-premium"));
    assert_eq!(change.quantity, None, "one at a time: replaced, not merged");
}

// ---------------------------------------------------------------- UPG-8

#[test]
fn upg_8_two_to_one_upgrade() {
    // Two Business Standard subscriptions bought the same day; the first is
    // upgraded to E3 in place, then the second into the first.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let first = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
    let second = sc.buy(STANDARD, 5, P1Y, Billing::Monthly);
    // Still inside the first's cancellation window: the in-place upgrade ends it,
    // so the second may join at once.
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(upgrade_now(first, E3, 10));
    let out = sc.when(upgrade_into(second, E3, 5, first));
    out.then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
        "SubscriptionCancelled",
    ]);
    assert_eq!(sc.sub(first).product_id, E3);
    assert_eq!(sc.sub(first).quantity, 15);
    assert_eq!(sc.sub(second).status, Status::Cancelled);
    let live: Vec<_> = sc
        .state
        .live_subscriptions()
        .map(|s| s.subscription_id)
        .collect();
    assert_eq!(live, vec![first]);
    // Billing: on 2026-01-12, 3 days of the 31-day period are used, 28 unused.
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(STANDARD_MONTHLY * 5 * 28, 31),
            rhu(E3_MONTHLY * 5 * 28, 31)
        ]
    );
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn upg_8_the_first_must_not_end_before_the_second() {
    // The second was bought a day later: it ends after the first, so it cannot
    // join the first (UPG-5); upgrading in the other order works.
    let setup = || {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let first = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
        sc.advance_to("2026-01-11T09:00:00Z");
        let second = sc.buy(STANDARD, 5, P1Y, Billing::Monthly);
        sc.advance_to("2026-01-20T09:00:00Z");
        (sc, first, second)
    };
    let (mut sc, first, second) = setup();
    sc.ok(upgrade_now(first, E3, 10));
    sc.when_refused(
        upgrade_into(second, E3, 5, first),
        "UpgradeTargetEndsEarlier",
        "UPG-5",
    );

    let (mut sc, first, second) = setup();
    sc.ok(upgrade_now(second, E3, 5));
    sc.when(upgrade_into(first, E3, 10, second)).then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
        "SubscriptionCancelled",
    ]);
    assert_eq!(sc.sub(second).quantity, 15);
    assert_eq!(sc.sub(first).status, Status::Cancelled);
}

// ---------------------------------------------------------------- UPG-9

#[test]
fn upg_9_full_upgrade_credits_the_source_and_charges_the_target_for_the_unused_days() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 10));
    // Credit: 11.70 × 10 × 20 / 31 = 75.48387 → 7548; charge: 33.60 × 10 × 20 / 31
    // = 216.77419 → 21677.
    assert_eq!(out.amounts(), vec![-7548, 21677]);
    assert_eq!(rhu(STANDARD_MONTHLY * 10 * 20, 31), 7548);
    assert_eq!(rhu(E3_MONTHLY * 10 * 20, 31), 21677);
    let b = out.billing();
    let (credit, charge) = (b[0].1, b[1].1);
    assert_eq!(credit.reason, BillingReason::UpgradeSource);
    assert_eq!(charge.reason, BillingReason::UpgradeTarget);
    assert_eq!(credit.product_id, STANDARD);
    assert_eq!(charge.product_id, E3);
    for l in [credit, charge] {
        assert_eq!(l.subscription_id, id);
        assert_eq!(l.seats, 10);
        assert_eq!(l.period_start, date("2026-01-10"));
        assert_eq!(l.period_end, date("2026-02-09"));
        assert_eq!(l.period_days, 31);
        assert_eq!(l.days_charged, 20, "the same days on both sides");
        assert_eq!(l.amount.currency, "EUR");
    }
    assert_eq!(credit.unit_price.amount_minor, STANDARD_MONTHLY);
    assert_eq!(charge.unit_price.amount_minor, E3_MONTHLY);
}

#[test]
fn upg_9_partial_upgrade_bills_only_the_moved_seats() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 4));
    // Credit: 11.70 × 4 × 20 / 31 = 30.19 → 3019; charge 33.60 × 4 × 20 / 31
    // = 86.709 → 8671.
    assert_eq!(out.amounts(), vec![-3019, 8671]);
    let b = out.billing();
    let new_id = created_id(out.events());
    assert_eq!(b[0].1.subscription_id, id);
    assert_eq!(b[1].1.subscription_id, new_id);
    assert_eq!((b[0].1.seats, b[1].1.seats), (4, 4));
    assert_eq!(
        b[1].1.period_start,
        date("2026-01-10"),
        "aligned to the source"
    );
    assert_eq!(b[1].1.period_end, date("2026-02-09"));
    // The next period of each is charged in full at its own price.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let mut charged: Vec<(Uuid, i64)> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.subscription_id, l.amount.amount_minor)),
            _ => None,
        })
        .collect();
    charged.sort();
    let mut expected = vec![(id, 6 * STANDARD_MONTHLY), (new_id, 4 * E3_MONTHLY)];
    expected.sort();
    assert_eq!(charged, expected);
}

#[test]
fn upg_9_upgrade_into_a_target_with_another_anchor_uses_the_target_period() {
    // Source period 2026-01-10..02-09 (31 days); on 2026-01-19, 10 used, 21 unused.
    // Target bought 2026-01-12: period 01-12..02-11 (31 days), 8 used, 23 unused.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-12T08:00:00Z");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-19T08:00:00Z");
    let out = sc.when(upgrade_into(id, E3, 4, target));
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(STANDARD_MONTHLY * 4 * 21, 31),
            rhu(E3_MONTHLY * 4 * 23, 31)
        ]
    );
    assert_eq!(out.amounts(), vec![-3170, 9972]);
    let b = out.billing();
    assert_eq!(b[1].1.subscription_id, target);
    assert_eq!(b[1].1.period_start, date("2026-01-12"));
}

#[test]
fn upg_9_upgrade_on_the_last_day_of_a_period_moves_no_money() {
    // 2026-02-09 is the last day of the first period: nothing unused, no lines.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-02-09T12:00:00Z");
    sc.when(upgrade_now(id, E3, 10))
        .then_types(&["SubscriptionUpgraded"]);
}

#[test]
fn upg_9_upgrade_on_the_first_day_of_a_period_credits_all_but_one_day() {
    // 2026-02-10 starts the second period (28 days to 2026-03-09); the period charge
    // for the source runs first, then the upgrade credits 27 of its 28 days.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-02-10T12:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 10));
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(STANDARD_MONTHLY * 10 * 27, 28),
            rhu(E3_MONTHLY * 10 * 27, 28)
        ]
    );
    assert_eq!(out.billing()[0].1.period_days, 28);
}
