//! SEAT-2: reductions, batches and their windows.

use super::*;

// ---------------------------------------------------------------- SEAT-2

#[test]
fn seat_2_reduction_after_window_is_refused() {
    // Given 10 seats bought at 09:00 on 10 January…
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    // …when 3 are reduced exactly at the window's end (outside it)…
    sc.advance_to("2026-01-17T09:00:00Z");
    let r = sc.when(reduce_seats(sub, 3));
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
    sc.when(reduce_seats(sub, 3))
        .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 7);
}

#[test]
fn seat_2_each_batch_has_its_own_window_and_the_refusal_lists_the_eligible_ones() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(add_seats(sub, 4));
    // The purchase's batch closed at 2026-01-17T09:00; the 4 added seats are
    // reducible until 2026-01-19T10:00.
    sc.advance_to("2026-01-17T09:00:00Z");
    let before = sc.state.clone();
    let r = sc.when(reduce_seats(sub, 5));
    let rej = r.then_rejected("SeatReductionWindowClosed", "SEAT-2");
    assert_eq!(detail(rej, "reducible_now"), 4);
    assert_eq!(detail(rej, "requested"), 5);
    let batches = detail(rej, "batches").as_array().expect("batches");
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["seats"], 4);
    assert_eq!(batches[0]["refundable_until"], "2026-01-19T10:00:00Z");
    assert!(rej.message.contains('4') && rej.message.contains('5'));
    assert_eq!(sc.state, before, "a refused reduction writes nothing");

    let r = sc.when(reduce_seats(sub, 4));
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
    sc.ok(add_seats(sub, 4));
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(add_seats(sub, 2));
    sc.advance_to("2026-01-13T09:00:00Z");
    let r = sc.when(reduce_seats(sub, 5));
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
        sc.when(reduce_seats(sub, 2)),
        "SeatReductionWindowClosed",
        "SEAT-2",
    );
    assert_eq!(detail(rej, "reducible_now"), 1);
    sc.when(reduce_seats(sub, 1))
        .then_types(&["SeatsReduced", "Credited"]);
    // And at the last batch's end nothing is.
    sc.advance_to("2026-01-18T09:00:00Z");
    let rej = &rejected(
        sc.when(reduce_seats(sub, 1)),
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
    sc.ok(add_seats(sub, 2));
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
    let r = sc.when(reduce_seats(sub, 11));
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
        sc.when(reduce_seats(sub, 1)),
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
                    sc.when(add_seats(sub, n)).accepted();
                    model.push((n, sc.now));
                    quantity += n;
                }
                Op::Reduce(n) => {
                    let now = sc.now;
                    let eligible: u32 = model.iter().filter(|b| now < b.1 + week).map(|b| b.0).sum();
                    let r = sc.when(reduce_seats(sub, n));
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
