//! TRI-4 (mid-term conversion), TRI-5 (promotions) and TRI-6 (scheduled changes).

use super::*;

// ---------------------------------------------------------------- TRI-4

#[test]
fn tri_4_mid_term_conversion_to_a_new_paid_subscription() {
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(convert_new(id, Some(30), P1Y, Some(Billing::Annual)));
    let events = out
        .then_types(&[
            "SubscriptionCreated",
            "Charged",
            "TrialConverted",
            "SubscriptionExpired",
        ])
        .clone();
    let new_id = created_id(&events);
    assert_ne!(new_id, id);
    match &events[0].data {
        EventData::SubscriptionCreated(c) => {
            assert_eq!(
                c.origin,
                Origin::TrialConversion {
                    trial_subscription_id: id
                }
            );
            assert!(!c.trial);
            assert_eq!(c.term_start, at("2026-01-20T10:00:00Z"));
            assert_eq!(c.term_end_date, Some(date("2027-01-19")));
        }
        other => panic!("unexpected {other:?}"),
    }
    // 247.20 × 30 for the year.
    assert_eq!(out.amounts(), vec![30 * PREMIUM_P1Y_ANNUAL]);
    assert_eq!(out.amounts(), vec![741_600]);
    assert_eq!(out.billing()[0].1.reason, BillingReason::TrialConversion);
    assert!(matches!(
        events[3].data,
        EventData::SubscriptionExpired {
            reason: ExpiryReason::TrialConverted,
            data_deleted: false,
            ..
        }
    ));
    let trial = sc.sub(id).clone();
    assert_eq!(trial.status, Status::Expired);
    let paid = sc.sub(new_id);
    assert_eq!(
        (paid.quantity, paid.term, paid.billing),
        (30, P1Y, Billing::Annual)
    );
    assert!(!paid.trial);
    assert!(paid.auto_renew);
    assert_eq!(paid.partner_id, PARTNER_A);
    // The trial's end does nothing any more.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert!(due.is_empty(), "{:?}", types(&due));
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn tri_4_mid_term_conversion_defaults_to_25_seats_p1y_monthly() {
    let (mut sc, id) = with_trial();
    let out = sc.when(convert_new(id, None, None, None));
    let new_id = created_id(out.accepted());
    let paid = sc.sub(new_id);
    assert_eq!(
        (paid.quantity, paid.term, paid.billing),
        (25, P1Y, Billing::Monthly)
    );
    assert_eq!(out.amounts(), vec![25 * PREMIUM_P1Y_MONTHLY]);
}

#[test]
fn tri_4_mid_term_conversion_needs_at_least_25_seats() {
    let (mut sc, id) = with_trial();
    let rej = sc.when_refused(
        convert_new(id, Some(24), None, None),
        "ConversionBelowTrialSeats",
        "TRI-4",
    );
    assert_eq!(detail(&rej, "minimum"), 25);
    assert_eq!(detail(&rej, "requested"), 24);
    sc.when(convert_new(id, Some(25), None, None)).accepted();
}

#[test]
fn tri_4_mid_term_conversion_needs_a_plan_on_offer() {
    let (mut sc, id) = with_trial();
    sc.when_refused(
        convert_new(id, None, P3Y, Some(Billing::Monthly)),
        "PlanNotOffered",
        "PUR-3",
    );
    // P1M monthly is on offer.
    sc.when(convert_new(id, None, P1M, Some(Billing::Monthly)))
        .accepted();
}

#[test]
fn tri_4_the_new_paid_subscription_has_the_windows_of_a_purchase() {
    // Ruling (in the code): a mid-term conversion behaves as a purchase.
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-01-20T10:00:00Z");
    let new_id = created_id(&sc.ok(convert_new(id, Some(30), None, None)));
    let s = sc.sub(new_id);
    assert_eq!(
        s.cancellation_allowed_until,
        Some(at("2026-01-27T10:00:00Z"))
    );
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].seats, 30);
}

#[test]
fn tri_4_conversion_into_an_existing_subscription_adds_25_seats() {
    // Existing: 10 paid Business Premium seats bought 2026-01-05 09:00, P1Y monthly
    // (ends 2027-01-04, after the trial's 2026-02-09).
    let mut sc = Scenario::at("2026-01-05T09:00:00Z").with_customer("NL");
    let paid = sc.buy(PREMIUM, 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-10T09:00:00Z");
    let trial = sc.buy_item(trial_item(PREMIUM));
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(convert_into(trial, paid));
    let events = out
        .then_types(&["TrialConverted", "Charged", "SubscriptionExpired"])
        .clone();
    assert!(matches!(
        events[0].data,
        EventData::TrialConverted {
            seats: 25,
            into_existing: true,
            automatic: false,
            ..
        }
    ));
    // BIL-3 on the target's period 2026-01-05..2026-02-04 (31 days): 16 days used
    // on 2026-01-20, days_left = 31 − 16 + 1 = 16: 20.60 × 25 × 16 / 31
    // = 265.806 → 26581.
    assert_eq!(out.amounts(), vec![rhu(PREMIUM_P1Y_MONTHLY * 25 * 16, 31)]);
    assert_eq!(out.amounts(), vec![26_581]);
    let line = out.billing()[0].1;
    assert_eq!(line.subscription_id, paid);
    assert_eq!(line.seats, 25);
    assert_eq!(line.period_start, date("2026-01-05"));
    assert_eq!(line.days_charged, 16);
    let t = sc.sub(paid);
    assert_eq!(t.quantity, 35);
    // The existing term and billing stay.
    assert_eq!((t.term, t.billing), (P1Y, Billing::Monthly));
    assert_eq!(t.term_end_date, Some(date("2027-01-04")));
    assert_eq!(sc.sub(trial).status, Status::Expired);
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn tri_4_the_existing_subscription_may_end_on_the_trial_end_date_but_not_before() {
    // A P1M paid subscription bought the same day ends with the trial.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(trial_item(PREMIUM));
    let same_day = sc.buy(PREMIUM, 5, P1M, Billing::Monthly);
    assert_eq!(sc.sub(same_day).term_end_date, sc.sub(trial).term_end_date);
    sc.when(convert_into(trial, same_day)).then_types(&[
        "TrialConverted",
        "Charged",
        "SubscriptionExpired",
    ]);
    assert_eq!(sc.sub(same_day).quantity, 30);

    // Bought the day before, it ends 2026-02-08: refused.
    let mut sc = Scenario::at("2026-01-09T09:00:00Z").with_customer("NL");
    let earlier = sc.buy(PREMIUM, 5, P1M, Billing::Monthly);
    sc.advance_to("2026-01-10T09:00:00Z");
    let trial = sc.buy_item(trial_item(PREMIUM));
    let rej = sc.when_refused(
        convert_into(trial, earlier),
        "ConversionTargetEndsEarlier",
        "TRI-4",
    );
    assert_eq!(detail(&rej, "target_term_end_date"), "2026-02-08");
    assert_eq!(detail(&rej, "trial_term_end_date"), "2026-02-09");
}

#[test]
fn tri_4_the_existing_subscription_must_be_an_active_paid_one_of_the_product() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(trial_item(PREMIUM));
    let other_product = sc.buy("m365-e3", 5, P1Y, Billing::Monthly);
    let suspended = sc.buy(PREMIUM, 5, P1Y, Billing::Monthly);
    sc.ok(suspend(suspended));
    let other_trial = sc.buy_item(trial_item("m365-e5"));
    let before = sc.state.clone();
    for target in [other_product, suspended, other_trial] {
        sc.when(convert_into(trial, target))
            .then_rejected("ConversionTargetInvalid", "TRI-4");
    }
    // Mixing the two forms is refused.
    sc.when(Command::ConvertTrial(ConvertTrial {
        subscription_id: trial,
        target_subscription_id: Some(other_product),
        quantity: Some(30),
        term: None,
        billing: None,
    }))
    .then_rejected("InvalidRequest", "TRI-4");
    // Only trials convert.
    sc.when(convert_new(other_product, None, None, None))
        .then_rejected("NotATrial", "TRI-4");
    assert_eq!(sc.state, before);
}

#[test]
fn tri_4_conversion_needs_a_manage_role_and_happens_once() {
    let (mut sc, id) = with_trial();
    let helpdesk = partner(PARTNER_A, &[Role::HelpdeskAgent]);
    let before = sc.state.clone();
    sc.when_as(&helpdesk, convert_new(id, None, None, None))
        .then_rejected("Forbidden", "GEN-3");
    assert_eq!(sc.state, before);
    sc.ok(convert_new(id, None, None, None));
    // Converted, the trial is expired: a second conversion is refused.
    sc.when(convert_new(id, None, None, None))
        .then_rejected("SubscriptionExpired", "REN-3");
}

// ---------------------------------------------------------------- TRI-5

#[test]
fn tri_5_promotions_do_not_apply_to_a_mid_term_conversion() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = trial_item(PREMIUM);
    it.promotion_id = Some("PROMO-TRIAL-50".into());
    let id = sc.buy_item(it);
    assert_eq!(sc.sub(id).promotion_id.as_deref(), Some("PROMO-TRIAL-50"));
    let out = sc.when(convert_new(id, Some(25), None, None));
    let new_id = created_id(out.accepted());
    assert_eq!(sc.sub(new_id).promotion_id, None);
    // Charged at the list price.
    assert_eq!(out.amounts(), vec![25 * PREMIUM_P1Y_MONTHLY]);
    let v = SubscriptionView::of(sc.sub(new_id), sc.now, 0);
    assert_eq!(v.promotion_id, None);
}

#[test]
fn tri_5_promotions_do_not_apply_to_the_conversion_at_the_end() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = trial_item(PREMIUM);
    it.promotion_id = Some("PROMO-TRIAL-50".into());
    let id = sc.buy_item(it);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(id).promotion_id, None);
    let charged: Vec<i64> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .collect();
    assert_eq!(charged, vec![25 * PREMIUM_P1Y_MONTHLY]);
}

// ---------------------------------------------------------------- TRI-6

fn trial_with_change() -> (Scenario, Uuid) {
    let (mut sc, id) = with_trial();
    sc.ok(schedule_quantity(id, 10));
    (sc, id)
}

#[test]
fn tri_6_converting_to_a_new_subscription_deletes_the_trial_scheduled_change() {
    let (mut sc, id) = trial_with_change();
    let out = sc.when(convert_new(id, Some(30), None, None));
    let events = out.then_types(&[
        "SubscriptionCreated",
        "Charged",
        "ScheduledChangeCleared",
        "TrialConverted",
        "SubscriptionExpired",
    ]);
    assert!(matches!(
        events[2].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::TrialConverted,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
    let new_id = created_id(events);
    assert_eq!(sc.sub(new_id).scheduled_change, None, "not carried over");
    assert_eq!(sc.sub(new_id).quantity, 30);
}

#[test]
fn tri_6_converting_into_an_existing_subscription_deletes_the_trial_scheduled_change() {
    let (mut sc, id) = trial_with_change();
    let paid = sc.buy(PREMIUM, 5, P1Y, Billing::Monthly);
    let out = sc.when(convert_into(id, paid));
    let events = out.then_types(&[
        "ScheduledChangeCleared",
        "TrialConverted",
        "Charged",
        "SubscriptionExpired",
    ]);
    assert!(matches!(
        events[0].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::TrialConverted,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn tri_6_seats_converted_into_a_target_delete_the_target_scheduled_change() {
    // REN-5: the target's quantity changes mid-term, so its next-term instructions
    // (which would otherwise drop the 25 seats at renewal) are deleted.
    let (mut sc, trial) = with_trial();
    let paid = sc.buy(PREMIUM, 5, P1Y, Billing::Monthly);
    sc.ok(schedule_quantity(paid, 5));
    let out = sc.when(convert_into(trial, paid));
    out.then_types(&[
        "TrialConverted",
        "Charged",
        "ScheduledChangeCleared",
        "SubscriptionExpired",
    ]);
    assert_eq!(sc.sub(paid).scheduled_change, None);
    assert_eq!(sc.sub(paid).quantity, 30);
}
