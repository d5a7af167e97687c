//! SEAT-3 (the last seat), SEAT-4 (credits), SEAT-5 (refundable seats) and SEAT-6
//! (when seats cannot change).

use super::*;

// ---------------------------------------------------------------- SEAT-3

#[test]
fn seat_3_a_reduction_may_leave_exactly_one_seat() {
    let (mut sc, sub) = e3_ten();
    sc.when(reduce_seats(sub, 9))
        .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 1);
    assert_eq!(sc.sub(sub).status, Status::Active);
}

#[test]
fn seat_3_reducing_to_zero_is_refused_and_points_to_cancellation() {
    let (mut sc, sub) = e3_ten();
    let before = sc.state.clone();
    let rej = &rejected(
        sc.when(reduce_seats(sub, 10)),
        "QuantityBelowMinimum",
        "SEAT-3",
    );
    assert_eq!(detail(rej, "quantity"), 10);
    assert_eq!(detail(rej, "requested"), 10);
    assert_eq!(detail(rej, "minimum"), 1);
    assert!(rej.message.contains("cancellation"), "{}", rej.message);
    assert_eq!(sc.state, before);
    // More than the quantity is refused the same way, before any window check.
    let rej = &rejected(
        sc.when(reduce_seats(sub, 11)),
        "QuantityBelowMinimum",
        "SEAT-3",
    );
    assert_eq!(detail(rej, "requested"), 11);
    assert_eq!(sc.state, before);
}

#[test]
fn seat_3_after_a_partial_reduction_the_last_seat_still_stays() {
    let (mut sc, sub) = e3_ten();
    sc.ok(reduce_seats(sub, 6));
    sc.when(reduce_seats(sub, 4))
        .then_rejected("QuantityBelowMinimum", "SEAT-3");
    sc.when(reduce_seats(sub, 3))
        .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 1);
}

// ---------------------------------------------------------------- SEAT-4

#[test]
fn seat_4_a_same_day_reduction_credits_all_but_one_day() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-10T18:00:00Z");
    let r = sc.when(reduce_seats(sub, 3));
    r.then_types(&["SeatsReduced", "Credited"]);
    // days_used = 1: 3360 × 3 × 30 / 31 = 9754.84 → 9755.
    assert_eq!(r.amounts(), vec![-9755]);
    let line = r.billing()[0].1;
    assert_eq!(line.reason, BillingReason::SeatsReduced);
    assert_eq!(line.seats, 3);
    assert_eq!((line.period_days, line.days_charged), (31, 30));
}

#[test]
fn seat_4_credit_is_the_seats_charge_minus_the_days_used() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T08:00:00Z");
    let r = sc.when(reduce_seats(sub, 3));
    // days_used = 10..12 Jan = 3: 3360 × 3 × 28 / 31 = 9104.52 → 9105.
    assert_eq!(r.amounts(), vec![-9105]);
    assert_eq!(r.billing()[0].1.days_charged, 28);
}

#[test]
fn seat_4_annual_billing_credits_the_unused_days_of_the_year() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Annual);
    sc.advance_to("2026-01-14T09:00:00Z");
    let r = sc.when(reduce_seats(sub, 2));
    // 365-day period, 5 days used: 40320 × 2 × 360 / 365 = 79535.34 → 79535.
    assert_eq!(r.amounts(), vec![-79535]);
}

#[test]
fn seat_4_a_reduction_after_renewal_credits_the_renewal_period() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-12T09:00:00Z");
    let r = sc.when(reduce_seats(sub, 2));
    // New period 2026-02-10..2026-03-09 (28 days), 3 used, P1M price 40.32:
    // 4032 × 2 × 25 / 28 = 7200.
    assert_eq!(r.amounts(), vec![-7200]);
    let line = r.billing()[0].1;
    assert_eq!(
        (line.period_start, line.period_end),
        (date("2026-02-10"), date("2026-03-09"))
    );
}

#[test]
fn seat_4_seats_added_and_reduced_the_same_day_cost_one_day() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-20T09:00:00Z");
    let charged = sc.when(add_seats(sub, 5)).amounts();
    sc.advance_to("2026-01-20T17:00:00Z");
    let credited = sc.when(reduce_seats(sub, 5)).amounts();
    // Charged 21 days (11381), credited 20 (3360 × 5 × 20 / 31 = 10838.71 → 10839):
    // the day of use is paid.
    assert_eq!(charged, vec![11381]);
    assert_eq!(credited, vec![-10839]);
}

// ---------------------------------------------------------------- SEAT-5

#[test]
fn seat_5_refundable_seats_lists_each_batch_and_the_total() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(add_seats(sub, 5));
    let now = sc.now;
    let view = RefundableSeats::of(sc.sub(sub), now);
    assert_eq!(
        view.batches,
        vec![
            RefundableBatch {
                seats: 10,
                refundable_until: at("2026-01-17T09:00:00Z")
            },
            RefundableBatch {
                seats: 5,
                refundable_until: at("2026-01-19T10:00:00Z")
            },
        ]
    );
    // 15 seats in windows, but one always stays (SEAT-3): 14 reducible now.
    assert_eq!(view.total, 14);
    assert_eq!(view.message(), "14 seats can be reduced now");
    // The subscription view carries the same.
    assert_eq!(
        SubscriptionView::of(sc.sub(sub), now, 7).refundable_seats,
        view
    );
    // And the total is exactly what a reduction accepts.
    sc.when(reduce_seats(sub, 15))
        .then_rejected("QuantityBelowMinimum", "SEAT-3");
    sc.when(reduce_seats(sub, 14))
        .then_types(&["SeatsReduced", "Credited"]);
}

#[test]
fn seat_5_batches_leave_the_view_when_their_window_closes() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(add_seats(sub, 5));
    sc.advance_to("2026-01-17T09:00:00Z");
    let view = RefundableSeats::of(sc.sub(sub), sc.now);
    assert_eq!(
        view.batches,
        vec![RefundableBatch {
            seats: 5,
            refundable_until: at("2026-01-19T10:00:00Z")
        }]
    );
    assert_eq!(view.total, 5);
    // Read as of an earlier instant (VIEW-4 style), one second before the first closes.
    let earlier = RefundableSeats::of(sc.sub(sub), at("2026-01-17T08:59:59Z"));
    assert_eq!(earlier.batches.len(), 2);
    sc.advance_to("2026-01-19T10:00:00Z");
    let view = RefundableSeats::of(sc.sub(sub), sc.now);
    assert_eq!(view.total, 0);
    assert!(view.batches.is_empty());
    assert_eq!(view.message(), "no seats can be reduced now");
}

#[test]
fn seat_5_suspended_cancelled_and_trial_subscriptions_have_none_refundable() {
    let (mut sc, sub) = e3_ten();
    sc.ok(suspend(sub));
    let view = RefundableSeats::of(sc.sub(sub), sc.now);
    assert_eq!((view.total, view.batches.len()), (0, 0));
    sc.ok(reactivate(sub));
    assert_eq!(RefundableSeats::of(sc.sub(sub), sc.now).total, 9);
    sc.ok(cancel(sub));
    let view = RefundableSeats::of(sc.sub(sub), sc.now);
    assert_eq!((view.total, view.batches.len()), (0, 0));

    let trial = sc.buy_item(trial_item("m365-business-premium"));
    let view = RefundableSeats::of(sc.sub(trial), sc.now);
    assert_eq!((view.total, view.batches.len()), (0, 0));
    assert_eq!(view.message(), "no seats can be reduced now");
}

// ---------------------------------------------------------------- SEAT-6

#[test]
fn seat_6_no_seat_changes_during_a_trial() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(trial_item("m365-business-premium"));
    let before = sc.state.clone();
    sc.when(add_seats(trial, 1))
        .then_rejected("TrialNotModifiable", "TRI-3");
    sc.when(reduce_seats(trial, 1))
        .then_rejected("TrialNotModifiable", "TRI-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(trial).quantity, 25);
}

#[test]
fn seat_6_no_seat_changes_while_suspended_even_inside_the_window() {
    let (mut sc, sub) = e3_ten();
    sc.ok(suspend(sub));
    let before = sc.state.clone();
    let rej = &rejected(
        sc.when(add_seats(sub, 1)),
        "SubscriptionSuspended",
        "SEAT-6",
    );
    assert_eq!(detail(rej, "status"), "suspended");
    sc.when(reduce_seats(sub, 1))
        .then_rejected("SubscriptionSuspended", "SEAT-6");
    assert_eq!(sc.state, before);
    // Reactivated, its seats can change again (the purchase batch is still open).
    sc.ok(reactivate(sub));
    sc.when(reduce_seats(sub, 1))
        .then_types(&["SeatsReduced", "Credited"]);
    sc.when(add_seats(sub, 2))
        .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).quantity, 11);
}

#[test]
fn seat_6_no_seat_changes_once_cancelled() {
    let (mut sc, sub) = e3_ten();
    sc.ok(cancel(sub));
    let before = sc.state.clone();
    sc.when(add_seats(sub, 1))
        .then_rejected("SubscriptionCancelled", "CAN-5");
    sc.when(reduce_seats(sub, 1))
        .then_rejected("SubscriptionCancelled", "CAN-5");
    assert_eq!(sc.state, before);
}

#[test]
fn seat_6_no_seat_changes_once_expired() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy_item(PurchaseItem {
        auto_renew: false,
        ..item("m365-e3", 10, P1M, Billing::Monthly)
    });
    // Term end 2026-02-09: one second before its end it still takes seats…
    sc.advance_to("2026-02-09T23:59:59Z");
    sc.when(add_seats(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    // …at 2026-02-10T00:00:00Z it expires, and then it does not.
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(sub).status, Status::Expired);
    let before = sc.state.clone();
    sc.when(add_seats(sub, 1))
        .then_rejected("SubscriptionExpired", "REN-3");
    sc.when(reduce_seats(sub, 1))
        .then_rejected("SubscriptionExpired", "REN-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(sub).quantity, 11);
}

/// 10 seats of E3 on a one-month term bought 2026-01-10, whose renewal at
/// 2026-02-10T00:00:00Z is scheduled to end coterminous on 2026-02-20: the new
/// term's only billing period is 2026-02-10..2026-02-20, 11 of a nominal 28 days,
/// charged pro rata 4032 × 10 × 11 / 28 = 15840 (BIL-2).
fn short_coterminous_period() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.ok(schedule(
        sub,
        ScheduledChange {
            coterm_date: Some(date("2026-02-20")),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let charged: Vec<i64> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .collect();
    assert_eq!(charged, vec![15840]);
    assert_eq!(sc.sub(sub).term_end_date, Some(date("2026-02-20")));
    (sc, sub)
}

#[test]
fn seat_4_in_a_short_coterminous_period_the_credit_never_exceeds_the_seats_charge() {
    let (mut sc, sub) = short_coterminous_period();
    sc.advance_to("2026-02-12T09:00:00Z");
    let r = sc.when(reduce_seats(sub, 2));
    // The 2 seats were charged 4032 × 2 × 11 / 28 = 3168 for the period; 3 of its
    // 11 days are used, so 8 days' worth comes back: 4032 × 2 × 8 / 28 = 2304.
    assert_eq!(r.amounts(), vec![-2304]);
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn seat_1_in_a_short_coterminous_period_an_addition_pays_the_same_daily_rate() {
    let (mut sc, sub) = short_coterminous_period();
    sc.advance_to("2026-02-12T09:00:00Z");
    let r = sc.when(add_seats(sub, 2));
    // 9 days left of the 11-day period, at the period's daily rate (a seat costs
    // 4032 / 28 a day, as the period charge did): 4032 × 2 × 9 / 28 = 2592.
    assert_eq!(r.amounts(), vec![2592]);
}
