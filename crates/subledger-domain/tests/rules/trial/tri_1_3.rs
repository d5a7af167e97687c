//! TRI-1 (what a trial is), TRI-2 (conversion at the end) and TRI-3 (what cannot change).

use super::*;

// ---------------------------------------------------------------- TRI-1

#[test]
fn tri_1_a_trial_has_25_seats_p1m_auto_renew_on_and_no_charge() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![trial_item(PREMIUM)]));
    let events = out.then_types(&["OrderPlaced", "SubscriptionCreated"]);
    assert!(out.billing().is_empty(), "trials are not charged (BIL-2)");
    let id = created_id(events);
    let s = sc.sub(id);
    assert!(s.trial);
    assert_eq!(s.quantity, 25);
    assert_eq!(s.term, P1M);
    assert_eq!(s.billing, Billing::Monthly);
    assert!(s.auto_renew, "auto-renew is on by default");
    assert_eq!(s.unit_price.amount_minor, 0);
    assert_eq!(s.term_end_date, Some(date("2026-02-09")));
    assert_eq!(s.status, Status::Active);
    let v = SubscriptionView::of(s, sc.now, 0);
    assert!(v.trial);
    assert_eq!(v.next_renewal_at, Some(at("2026-02-10T00:00:00Z")));
    // No period charges during the trial.
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
}

#[test]
fn tri_1_a_trial_with_other_seats_or_term_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let before = sc.state.clone();
    for (q, term, billing) in [
        (24, P1M, Billing::Monthly),
        (26, P1M, Billing::Monthly),
        (25, P1Y, Billing::Monthly),
        (25, P1Y, Billing::Annual),
    ] {
        let mut it = trial_item(PREMIUM);
        it.quantity = q;
        it.term = term;
        it.billing = billing;
        sc.when(Scenario::purchase(vec![it]))
            .then_rejected("InvalidRequest", "TRI-1");
    }
    // Only products with a trial offer (PUR-12).
    sc.when(Scenario::purchase(vec![trial_item("m365-e3")]))
        .then_rejected("TrialNotOffered", "PUR-12");
    assert_eq!(sc.state, before);
}

#[test]
fn tri_1_a_trial_may_be_bought_with_auto_renew_off() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = trial_item("m365-e5");
    it.auto_renew = false;
    let id = sc.buy_item(it);
    assert!(!sc.sub(id).auto_renew);
}

// ---------------------------------------------------------------- TRI-2

#[test]
fn tri_2_at_its_end_a_trial_converts_to_p1y_monthly_with_25_seats() {
    let (mut sc, id) = with_trial();
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    assert!(sc.sub(id).trial);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(
        types(&due),
        ["TrialConverted", "SubscriptionRenewed", "Charged"]
    );
    match &due[0].data {
        EventData::TrialConverted {
            subscription_id,
            target_subscription_id,
            seats,
            into_existing,
            automatic,
        } => {
            assert_eq!((*subscription_id, *target_subscription_id), (id, id));
            assert_eq!(*seats, 25);
            assert!(!into_existing);
            assert!(*automatic);
        }
        other => panic!("unexpected {other:?}"),
    }
    match &due[1].data {
        EventData::SubscriptionRenewed(r) => {
            assert_eq!(r.term, Term::P1Y);
            assert_eq!(r.billing, Billing::Monthly);
            assert_eq!(r.quantity, 25);
            assert_eq!(r.unit_price.amount_minor, PREMIUM_P1Y_MONTHLY);
            assert_eq!(r.term_end_date, date("2027-02-09"));
            assert!(r.converted_from_trial);
        }
        other => panic!("unexpected {other:?}"),
    }
    match &due[2].data {
        EventData::Charged(l) => {
            // 20.60 × 25 for the month 2026-02-10..2026-03-09.
            assert_eq!(l.amount.amount_minor, 51_500);
            assert_eq!(l.reason, BillingReason::TrialConversion);
            assert_eq!(l.period_start, date("2026-02-10"));
            assert_eq!(l.period_end, date("2026-03-09"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id);
    assert!(!s.trial);
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.quantity, 25);
    assert!(invariants::check(&sc.state).is_empty());
    // Now paid: the next month is charged.
    let due = sc.advance_to("2026-03-10T00:00:00Z");
    assert_eq!(types(&due), ["Charged"]);
}

#[test]
fn tri_2_a_converted_trial_is_a_normal_paid_subscription() {
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-02-10T00:00:00Z");
    // Its new term opens the usual windows (REN-2).
    sc.advance_to("2026-02-16T23:59:59Z");
    sc.when(reduce_seats(id, 5))
        .then_types(&["SeatsReduced", "Credited"]);
    sc.when(add_seats(id, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(id).quantity, 21);
}

#[test]
fn tri_2_with_auto_renew_off_the_trial_expires() {
    let (mut sc, id) = with_trial();
    sc.ok(set_auto_renew(id, false));
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionExpired {
            reason: ExpiryReason::TrialEnded,
            data_deleted: false,
            ..
        }
    ));
    assert_eq!(sc.sub(id).status, Status::Expired);
    assert!(
        sc.advance_to("2026-06-01T00:00:00Z").is_empty(),
        "never charged"
    );
}

#[test]
fn tri_2_a_scheduled_conversion_may_use_fewer_than_25_seats() {
    let (mut sc, id) = with_trial();
    sc.ok(schedule_quantity(id, 10));
    // The trial itself keeps its 25 seats until the end.
    assert_eq!(sc.sub(id).quantity, 25);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(
        types(&due),
        ["TrialConverted", "SubscriptionRenewed", "Charged"]
    );
    assert!(matches!(
        due[0].data,
        EventData::TrialConverted { seats: 10, .. }
    ));
    let b: Vec<i64> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .collect();
    assert_eq!(b, vec![10 * PREMIUM_P1Y_MONTHLY]);
    assert_eq!(sc.sub(id).quantity, 10);
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn tri_2_a_scheduled_conversion_may_choose_annual_billing() {
    let (mut sc, id) = with_trial();
    sc.ok(schedule(
        id,
        ScheduledChange {
            billing: Some(Billing::Annual),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let s = sc.sub(id);
    assert_eq!((s.term, s.billing, s.quantity), (P1Y, Billing::Annual, 25));
    let charged: i64 = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .sum();
    assert_eq!(charged, 25 * PREMIUM_P1Y_ANNUAL);
}

#[test]
fn tri_2_a_scheduled_conversion_is_checked_against_the_paid_p1y_term() {
    // The next term of a trial is the paid P1Y one (2026-02-10..2027-02-09), not
    // another month: a coterm date in December 2026 fits it.
    let (mut sc, id) = with_trial();
    let coterm = |d: &str| {
        schedule(
            id,
            ScheduledChange {
                coterm_date: Some(date(d)),
                ..Default::default()
            },
        )
    };
    let rej = sc
        .when(coterm("2027-02-10"))
        .then_rejected("InvalidRequest", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "next_term_end"), "2027-02-09");
    sc.ok(coterm("2026-12-31"));
    sc.advance_to("2026-02-10T00:00:00Z");
    let s = sc.sub(id);
    assert_eq!(s.term, P1Y);
    assert_eq!(s.term_end_date, Some(date("2026-12-31")));
}

// ---------------------------------------------------------------- TRI-3

#[test]
fn tri_3_the_quantity_of_a_trial_cannot_change() {
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-01-11T09:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(add_seats(id, 5))
        .then_rejected("TrialNotModifiable", "TRI-3")
        .clone();
    assert_eq!(detail(&rej, "trial_ends_on"), "2026-02-09");
    sc.when(reduce_seats(id, 5))
        .then_rejected("TrialNotModifiable", "TRI-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(id).quantity, 25);
}

#[test]
fn tri_3_the_status_of_a_trial_cannot_change() {
    let (mut sc, id) = with_trial();
    let before = sc.state.clone();
    sc.when(suspend(id))
        .then_rejected("TrialNotModifiable", "SUS-5");
    sc.when(reactivate(id))
        .then_rejected("TrialNotModifiable", "SUS-5");
    sc.when(cancel(id))
        .then_rejected("TrialNotModifiable", "TRI-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(id).status, Status::Active);
}

#[test]
fn tri_3_a_trial_cannot_be_upgraded() {
    let (mut sc, id) = with_trial();
    sc.when(upgrade_now(id, "m365-e3", 25))
        .then_rejected("UpgradeNotAllowed", "UPG-1");
    assert!(sc.sub(id).trial);
}
