//! SEAT-1..6: seats, batches and their windows.

mod support;

use proptest::prelude::*;
use subledger_domain::calendar::Billing;
use subledger_domain::command::ScheduledChange;
use subledger_domain::command::{
    AddSeats, Cancel, Reactivate, ReduceSeats, ScheduleChange, Suspend,
};
use subledger_domain::command::{Command, PurchaseItem};
use subledger_domain::event::{BillingReason, EventData, SeatBatch};
use subledger_domain::invariants;
use subledger_domain::state::Status;
use subledger_domain::view::{RefundableBatch, RefundableSeats, SubscriptionView};
use support::*;
use uuid::Uuid;

fn add(subscription_id: Uuid, seats: u32) -> Command {
    Command::AddSeats(AddSeats {
        subscription_id,
        seats,
    })
}

fn reduce(subscription_id: Uuid, seats: u32) -> Command {
    Command::ReduceSeats(ReduceSeats {
        subscription_id,
        seats,
    })
}

/// Then: refused with this code and rule (owned, for further checks).
#[track_caller]
fn rejected(o: Outcome, code: &str, rule: &str) -> subledger_domain::Rejection {
    o.then_rejected(code, rule).clone()
}

fn batch(seats: u32, added_at: &str, refundable_until: &str) -> SeatBatch {
    SeatBatch {
        seats,
        added_at: at(added_at),
        refundable_until: at(refundable_until),
    }
}

/// 10 seats of M365 E3 (P1Y billed monthly, 33.60 EUR a seat a month) bought on
/// 2026-01-10 at 09:00: the first billing period runs 2026-01-10..2026-02-09 (31 days).
fn e3_ten() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    (sc, sub)
}

fn trial_item(product: &str) -> PurchaseItem {
    PurchaseItem {
        trial: true,
        ..item(product, 25, P1M, Billing::Monthly)
    }
}

// ---------------------------------------------------------------- SEAT-1

#[test]
fn seat_1_adding_seats_mid_period_opens_a_batch_and_charges_the_days_left() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-20T12:00:00Z");
    let r = sc.when(add(sub, 5));
    let events = r.then_types(&["SeatsAdded", "Charged"]);
    match &events[0].data {
        EventData::SeatsAdded {
            subscription_id,
            seats,
            quantity_after,
            seat_batch,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!((*seats, *quantity_after), (5, 15));
            assert_eq!(
                seat_batch.as_ref(),
                Some(&batch(5, "2026-01-20T12:00:00Z", "2026-01-27T12:00:00Z"))
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    // BIL-3/5: days_used = 10..20 Jan = 11, days_left = 31 − 11 + 1 = 21;
    // 3360 × 5 × 21 / 31 = 11380.65 → 11381.
    let billing = r.billing();
    assert_eq!(r.amounts(), vec![11381]);
    let line = billing[0].1;
    assert_eq!(line.reason, BillingReason::SeatsAdded);
    assert_eq!(line.seats, 5);
    assert_eq!((line.period_days, line.days_charged), (31, 21));
    assert_eq!(
        (line.period_start, line.period_end),
        (date("2026-01-10"), date("2026-02-09"))
    );
    assert_eq!(sc.sub(sub).quantity, 15);
}

#[test]
fn seat_1_adding_on_the_last_day_of_a_period_charges_one_day() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-02-09T23:00:00Z");
    let r = sc.when(add(sub, 4));
    r.then_types(&["SeatsAdded", "Charged"]);
    // days_left = 31 − 31 + 1 = 1: 3360 × 4 × 1 / 31 = 433.55 → 434.
    assert_eq!(r.amounts(), vec![434]);
    assert_eq!(r.billing()[0].1.days_charged, 1);
}

#[test]
fn seat_1_adding_on_the_first_day_of_a_period_charges_the_whole_period() {
    let (mut sc, sub) = e3_ten();
    // The second period (2026-02-10..2026-03-09, 28 days) is charged for 10 seats at its start.
    let due = sc.advance_to("2026-02-10T15:00:00Z");
    let period_charges: Vec<i64> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) if l.reason == BillingReason::PeriodStart => {
                Some(l.amount.amount_minor)
            }
            _ => None,
        })
        .collect();
    assert_eq!(period_charges, vec![33600]);
    let r = sc.when(add(sub, 2));
    // days_used = 1, days_left = 28: the whole period, 3360 × 2.
    assert_eq!(r.amounts(), vec![6720]);
    assert_eq!(r.billing()[0].1.period_days, 28);
}

#[test]
fn seat_1_annual_billing_charges_the_days_left_of_the_year() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Annual);
    sc.advance_to("2026-07-01T08:00:00Z");
    let r = sc.when(add(sub, 3));
    r.then_types(&["SeatsAdded", "Charged"]);
    // Period 2026-01-10..2027-01-09 = 365 days; 10 Jan..1 Jul = 173 days used,
    // days_left = 193: 40320 × 3 × 193 / 365 = 63959.67 → 63960.
    assert_eq!(r.amounts(), vec![63960]);
    let line = r.billing()[0].1;
    assert_eq!((line.period_days, line.days_charged), (365, 193));
}

#[test]
fn seat_1_seats_can_be_added_long_after_every_window_closed() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-11-30T10:00:00Z");
    sc.when(add(sub, 1)).then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).quantity, 11);
    // Each addition is its own batch; the purchase's batch is long gone.
    assert_eq!(
        sc.sub(sub).batches,
        vec![batch(1, "2026-11-30T10:00:00Z", "2026-12-07T10:00:00Z")]
    );
}

#[test]
fn seat_1_each_addition_is_a_separate_batch() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-11T10:00:00Z");
    sc.ok(add(sub, 3));
    sc.advance_to("2026-01-12T11:00:00Z");
    sc.ok(add(sub, 2));
    assert_eq!(
        sc.sub(sub).batches,
        vec![
            batch(10, "2026-01-10T09:00:00Z", "2026-01-17T09:00:00Z"),
            batch(3, "2026-01-11T10:00:00Z", "2026-01-18T10:00:00Z"),
            batch(2, "2026-01-12T11:00:00Z", "2026-01-19T11:00:00Z"),
        ]
    );
    assert_eq!(sc.sub(sub).quantity, 15);
}

#[test]
fn seat_1_zero_seats_is_an_invalid_request_and_writes_nothing() {
    let (mut sc, sub) = e3_ten();
    let before = sc.state.clone();
    let rej = &rejected(sc.when(add(sub, 0)), "InvalidRequest", "SEAT-1");
    assert_eq!(detail(rej, "field"), "seats");
    assert_eq!(sc.state, before);
}

#[test]
fn seat_1_perpetual_software_has_no_seats_to_change() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.when(add(sub, 1))
        .then_rejected("SeatChangeNotSupported", "SEAT-1");
    sc.when(reduce(sub, 1))
        .then_rejected("SeatChangeNotSupported", "SEAT-1");
    assert_eq!(sc.sub(sub).quantity, 2);
}

#[test]
fn seat_1_only_managing_roles_may_add_seats() {
    let (mut sc, sub) = e3_ten();
    let helpdesk = partner(PARTNER_A, &[subledger_domain::Role::HelpdeskAgent]);
    sc.when_as(&helpdesk, add(sub, 1))
        .then_rejected("Forbidden", "GEN-3");
    let sales = partner(PARTNER_A, &[subledger_domain::Role::SalesAgent]);
    sc.when_as(&sales, add(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
}

// ---------------------------------------------------------------- SEAT-2

#[test]
fn seat_2_reduction_after_window_is_refused() {
    // Given 10 seats bought at 09:00 on 10 January…
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    // …when 3 are reduced exactly at the window's end (outside it)…
    sc.advance_to("2026-01-17T09:00:00Z");
    let r = sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: sub,
        seats: 3,
    }));
    // …then it is refused with the eligible count.
    let rej = r.then_rejected("SeatReductionWindowClosed", "SEAT-2");
    assert_eq!(detail(rej, "reducible_now"), 0);
    assert_eq!(detail(rej, "requested"), 3);
}

#[test]
fn seat_2_reduction_one_second_before_the_window_ends_is_accepted() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-17T08:59:59Z");
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: sub,
        seats: 3,
    }))
    .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 7);
}

#[test]
fn seat_2_each_batch_has_its_own_window_and_the_refusal_lists_the_eligible_ones() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(add(sub, 4));
    // The purchase's batch closed at 2026-01-17T09:00; the 4 added seats are
    // reducible until 2026-01-19T10:00.
    sc.advance_to("2026-01-17T09:00:00Z");
    let before = sc.state.clone();
    let r = sc.when(reduce(sub, 5));
    let rej = r.then_rejected("SeatReductionWindowClosed", "SEAT-2");
    assert_eq!(detail(rej, "reducible_now"), 4);
    assert_eq!(detail(rej, "requested"), 5);
    let batches = detail(rej, "batches").as_array().expect("batches");
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["seats"], 4);
    assert_eq!(batches[0]["refundable_until"], "2026-01-19T10:00:00Z");
    assert!(rej.message.contains('4') && rej.message.contains('5'));
    assert_eq!(sc.state, before, "a refused reduction writes nothing");

    let r = sc.when(reduce(sub, 4));
    match &r.then_types(&["SeatsReduced", "Credited"])[0].data {
        EventData::SeatsReduced {
            seats,
            quantity_after,
            taken_from,
            ..
        } => {
            assert_eq!((*seats, *quantity_after), (4, 10));
            assert_eq!(
                taken_from,
                &vec![batch(4, "2026-01-12T10:00:00Z", "2026-01-19T10:00:00Z")]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(sc.sub(sub).batches.is_empty());
}

#[test]
fn seat_2_reduction_takes_from_the_newest_eligible_batches_first() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-11T09:00:00Z");
    sc.ok(add(sub, 4));
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(add(sub, 2));
    sc.advance_to("2026-01-13T09:00:00Z");
    let r = sc.when(reduce(sub, 5));
    match &r.then_types(&["SeatsReduced", "Credited"])[0].data {
        EventData::SeatsReduced {
            quantity_after,
            taken_from,
            ..
        } => {
            assert_eq!(*quantity_after, 11);
            // Newest first: both seats of 12 January, then 3 of the 4 of 11 January.
            assert_eq!(
                taken_from,
                &vec![
                    batch(2, "2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z"),
                    batch(3, "2026-01-11T09:00:00Z", "2026-01-18T09:00:00Z"),
                ]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        sc.sub(sub).batches,
        vec![
            batch(10, "2026-01-10T09:00:00Z", "2026-01-17T09:00:00Z"),
            batch(1, "2026-01-11T09:00:00Z", "2026-01-18T09:00:00Z"),
        ]
    );
    // Once the purchase's batch closed, only the one seat left of 11 January is reducible.
    sc.advance_to("2026-01-17T09:00:00Z");
    let rej = &rejected(
        sc.when(reduce(sub, 2)),
        "SeatReductionWindowClosed",
        "SEAT-2",
    );
    assert_eq!(detail(rej, "reducible_now"), 1);
    sc.when(reduce(sub, 1))
        .then_types(&["SeatsReduced", "Credited"]);
    // And at the last batch's end nothing is.
    sc.advance_to("2026-01-18T09:00:00Z");
    let rej = &rejected(
        sc.when(reduce(sub, 1)),
        "SeatReductionWindowClosed",
        "SEAT-2",
    );
    assert_eq!(detail(rej, "reducible_now"), 0);
    assert_eq!(detail(rej, "batches"), &serde_json::json!([]));
    assert_eq!(sc.sub(sub).quantity, 10);
}

#[test]
fn seat_2_a_renewal_opens_one_batch_of_the_whole_quantity_at_the_renewal_instant() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.advance_to("2026-01-20T09:00:00Z");
    sc.ok(add(sub, 2));
    // Term end date 2026-02-09 (PUR-10): renews at 2026-02-10T00:00:00Z (REN-1).
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert!(
        due.iter()
            .any(|e| matches!(e.data, EventData::SubscriptionRenewed(_)))
    );
    assert_eq!(
        sc.sub(sub).batches,
        vec![batch(12, "2026-02-10T00:00:00Z", "2026-02-17T00:00:00Z")]
    );
    sc.advance_to("2026-02-16T23:59:59Z");
    let r = sc.when(reduce(sub, 11));
    match &r.then_types(&["SeatsReduced", "Credited"])[0].data {
        EventData::SeatsReduced { taken_from, .. } => assert_eq!(
            taken_from,
            &vec![batch(11, "2026-02-10T00:00:00Z", "2026-02-17T00:00:00Z")]
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(sc.sub(sub).quantity, 1);
}

#[test]
fn seat_2_the_renewal_batch_closes_seven_days_after_the_renewal_instant() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-17T00:00:00Z");
    let before = sc.state.clone();
    let rej = &rejected(
        sc.when(reduce(sub, 1)),
        "SeatReductionWindowClosed",
        "SEAT-2",
    );
    assert_eq!(detail(rej, "reducible_now"), 0);
    assert_eq!(sc.state, before);
}

// Model-based property: whatever the sequence of additions, reductions and waits,
// a reduction is accepted exactly when the seats are within the eligible batches
// (and leave at least one seat), it takes the newest eligible seats first, and the
// state's batches never hold more seats than the subscription.
#[derive(Debug, Clone)]
enum Op {
    Wait(i64),
    Add(u32),
    Reduce(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..80).prop_map(Op::Wait),
        (1u32..6).prop_map(Op::Add),
        (1u32..12).prop_map(Op::Reduce),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn seat_2_reductions_follow_the_batch_model(ops in proptest::collection::vec(op(), 1..40)) {
        let (mut sc, sub) = e3_ten();
        // The model: (seats, added_at), oldest first.
        let mut model: Vec<(u32, chrono::DateTime<chrono::Utc>)> = vec![(10, sc.now)];
        let mut quantity = 10u32;
        let week = chrono::TimeDelta::days(7);
        for op in ops {
            match op {
                Op::Wait(hours) => {
                    let to = sc.now + chrono::TimeDelta::hours(hours);
                    sc.advance(to);
                }
                Op::Add(n) => {
                    sc.when(add(sub, n)).accepted();
                    model.push((n, sc.now));
                    quantity += n;
                }
                Op::Reduce(n) => {
                    let now = sc.now;
                    let eligible: u32 = model.iter().filter(|b| now < b.1 + week).map(|b| b.0).sum();
                    let r = sc.when(reduce(sub, n));
                    if n >= quantity {
                        r.then_rejected("QuantityBelowMinimum", "SEAT-3");
                    } else if n > eligible {
                        let rej = r.then_rejected("SeatReductionWindowClosed", "SEAT-2");
                        prop_assert_eq!(detail(rej, "reducible_now"), eligible);
                    } else {
                        let mut expected = Vec::new();
                        let mut left = n;
                        for b in model.iter_mut().rev() {
                            if left == 0 { break; }
                            if now < b.1 + week && b.0 > 0 {
                                let take = b.0.min(left);
                                b.0 -= take;
                                left -= take;
                                expected.push(SeatBatch { seats: take, added_at: b.1, refundable_until: b.1 + week });
                            }
                        }
                        // A reduction on a period's last day credits nothing, and a
                        // zero credit writes no billing line (BIL-4/5).
                        let events = r.accepted();
                        let types: Vec<&str> = events.iter().map(|e| e.data.type_name()).collect();
                        prop_assert!(
                            types == ["SeatsReduced", "Credited"] || types == ["SeatsReduced"],
                            "unexpected events {:?}", types
                        );
                        match &events[0].data {
                            EventData::SeatsReduced { taken_from, .. } => prop_assert_eq!(taken_from, &expected),
                            other => panic!("unexpected {other:?}"),
                        }
                        quantity -= n;
                    }
                }
            }
            let s = sc.sub(sub);
            prop_assert_eq!(s.quantity, quantity);
            let now = sc.now;
            let eligible: u32 = model.iter().filter(|b| now < b.1 + week).map(|b| b.0).sum();
            prop_assert_eq!(s.reducible_seats(now), eligible);
            prop_assert!(invariants::check(&sc.state).is_empty(), "{:?}", invariants::check(&sc.state));
        }
    }
}

// ---------------------------------------------------------------- SEAT-3

#[test]
fn seat_3_a_reduction_may_leave_exactly_one_seat() {
    let (mut sc, sub) = e3_ten();
    sc.when(reduce(sub, 9))
        .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 1);
    assert_eq!(sc.sub(sub).status, Status::Active);
}

#[test]
fn seat_3_reducing_to_zero_is_refused_and_points_to_cancellation() {
    let (mut sc, sub) = e3_ten();
    let before = sc.state.clone();
    let rej = &rejected(sc.when(reduce(sub, 10)), "QuantityBelowMinimum", "SEAT-3");
    assert_eq!(detail(rej, "quantity"), 10);
    assert_eq!(detail(rej, "requested"), 10);
    assert_eq!(detail(rej, "minimum"), 1);
    assert!(rej.message.contains("cancellation"), "{}", rej.message);
    assert_eq!(sc.state, before);
    // More than the quantity is refused the same way, before any window check.
    let rej = &rejected(sc.when(reduce(sub, 11)), "QuantityBelowMinimum", "SEAT-3");
    assert_eq!(detail(rej, "requested"), 11);
    assert_eq!(sc.state, before);
}

#[test]
fn seat_3_after_a_partial_reduction_the_last_seat_still_stays() {
    let (mut sc, sub) = e3_ten();
    sc.ok(reduce(sub, 6));
    sc.when(reduce(sub, 4))
        .then_rejected("QuantityBelowMinimum", "SEAT-3");
    sc.when(reduce(sub, 3))
        .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 1);
}

// ---------------------------------------------------------------- SEAT-4

#[test]
fn seat_4_a_same_day_reduction_credits_all_but_one_day() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-10T18:00:00Z");
    let r = sc.when(reduce(sub, 3));
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
    let r = sc.when(reduce(sub, 3));
    // days_used = 10..12 Jan = 3: 3360 × 3 × 28 / 31 = 9104.52 → 9105.
    assert_eq!(r.amounts(), vec![-9105]);
    assert_eq!(r.billing()[0].1.days_charged, 28);
}

#[test]
fn seat_4_annual_billing_credits_the_unused_days_of_the_year() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Annual);
    sc.advance_to("2026-01-14T09:00:00Z");
    let r = sc.when(reduce(sub, 2));
    // 365-day period, 5 days used: 40320 × 2 × 360 / 365 = 79535.34 → 79535.
    assert_eq!(r.amounts(), vec![-79535]);
}

#[test]
fn seat_4_a_reduction_after_renewal_credits_the_renewal_period() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-12T09:00:00Z");
    let r = sc.when(reduce(sub, 2));
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
    let charged = sc.when(add(sub, 5)).amounts();
    sc.advance_to("2026-01-20T17:00:00Z");
    let credited = sc.when(reduce(sub, 5)).amounts();
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
    sc.ok(add(sub, 5));
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
    sc.when(reduce(sub, 15))
        .then_rejected("QuantityBelowMinimum", "SEAT-3");
    sc.when(reduce(sub, 14))
        .then_types(&["SeatsReduced", "Credited"]);
}

#[test]
fn seat_5_batches_leave_the_view_when_their_window_closes() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(add(sub, 5));
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
    sc.ok(Command::Suspend(Suspend {
        subscription_id: sub,
    }));
    let view = RefundableSeats::of(sc.sub(sub), sc.now);
    assert_eq!((view.total, view.batches.len()), (0, 0));
    sc.ok(Command::Reactivate(Reactivate {
        subscription_id: sub,
    }));
    assert_eq!(RefundableSeats::of(sc.sub(sub), sc.now).total, 9);
    sc.ok(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
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
    sc.when(add(trial, 1))
        .then_rejected("TrialNotModifiable", "TRI-3");
    sc.when(reduce(trial, 1))
        .then_rejected("TrialNotModifiable", "TRI-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(trial).quantity, 25);
}

#[test]
fn seat_6_no_seat_changes_while_suspended_even_inside_the_window() {
    let (mut sc, sub) = e3_ten();
    sc.ok(Command::Suspend(Suspend {
        subscription_id: sub,
    }));
    let before = sc.state.clone();
    let rej = &rejected(sc.when(add(sub, 1)), "SubscriptionSuspended", "SEAT-6");
    assert_eq!(detail(rej, "status"), "suspended");
    sc.when(reduce(sub, 1))
        .then_rejected("SubscriptionSuspended", "SEAT-6");
    assert_eq!(sc.state, before);
    // Reactivated, its seats can change again (the purchase batch is still open).
    sc.ok(Command::Reactivate(Reactivate {
        subscription_id: sub,
    }));
    sc.when(reduce(sub, 1))
        .then_types(&["SeatsReduced", "Credited"]);
    sc.when(add(sub, 2)).then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).quantity, 11);
}

#[test]
fn seat_6_no_seat_changes_once_cancelled() {
    let (mut sc, sub) = e3_ten();
    sc.ok(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
    let before = sc.state.clone();
    sc.when(add(sub, 1))
        .then_rejected("SubscriptionCancelled", "CAN-5");
    sc.when(reduce(sub, 1))
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
    sc.when(add(sub, 1)).then_types(&["SeatsAdded", "Charged"]);
    // …at 2026-02-10T00:00:00Z it expires, and then it does not.
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(sub).status, Status::Expired);
    let before = sc.state.clone();
    sc.when(add(sub, 1))
        .then_rejected("SubscriptionExpired", "REN-3");
    sc.when(reduce(sub, 1))
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
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: sub,
        change: ScheduledChange {
            product_id: None,
            quantity: None,
            term: None,
            billing: None,
            coterm_date: Some(date("2026-02-20")),
        },
    }));
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
    let r = sc.when(reduce(sub, 2));
    // The 2 seats were charged 4032 × 2 × 11 / 28 = 3168 for the period; 3 of its
    // 11 days are used, so 8 days' worth comes back: 4032 × 2 × 8 / 28 = 2304.
    assert_eq!(r.amounts(), vec![-2304]);
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn seat_1_in_a_short_coterminous_period_an_addition_pays_the_same_daily_rate() {
    let (mut sc, sub) = short_coterminous_period();
    sc.advance_to("2026-02-12T09:00:00Z");
    let r = sc.when(add(sub, 2));
    // 9 days left of the 11-day period, at the period's daily rate (a seat costs
    // 4032 / 28 a day, as the period charge did): 4032 × 2 × 9 / 28 = 2592.
    assert_eq!(r.amounts(), vec![2592]);
}
