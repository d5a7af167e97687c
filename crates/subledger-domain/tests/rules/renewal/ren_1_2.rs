//! REN-1 (when a term renews) and REN-2 (what the renewal does).

use super::*;

// ---------------------------------------------------------------- REN-1

#[test]
fn ren_1_a_term_renews_at_midnight_after_its_end_date() {
    // Bought 2026-01-15 for P1M: ends 2026-02-14 (PUR-10), renews 2026-02-15T00:00Z.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    assert_eq!(sc.sub(id).term_end_date, Some(date("2026-02-14")));
    let v = SubscriptionView::of(sc.sub(id), sc.now, 0);
    assert_eq!(v.next_renewal_at, Some(at("2026-02-15T00:00:00Z")));
    // The whole end date belongs to the term (GEN-1).
    assert!(sc.advance_to("2026-02-14T23:59:59Z").is_empty());
    assert_eq!(sc.sub(id).term_end_date, Some(date("2026-02-14")));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
    for e in &due {
        assert_eq!(e.at, at("2026-02-15T00:00:00Z"));
        assert_eq!(e.actor, None, "time-driven work has no actor");
        assert_eq!(e.command_id, None);
    }
    assert_eq!(sc.sub(id).status, Status::Active);
}

#[test]
fn ren_1_end_date_2023_03_01_renews_at_2023_03_02_midnight() {
    // Bought 2023-02-02 for P1M: ends 2023-03-01.
    let mut sc = Scenario::at("2023-02-02T12:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 3, P1M, Billing::Monthly);
    assert_eq!(sc.sub(id).term_end_date, Some(date("2023-03-01")));
    assert!(sc.advance_to("2023-03-01T23:59:59Z").is_empty());
    let due = sc.advance_to("2023-03-02T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_start, at("2023-03-02T00:00:00Z"));
}

#[test]
fn ren_1_a_command_at_the_renewal_instant_sees_the_renewed_subscription() {
    // Renewal is one atomic step done before the command at the same instant.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.now = at("2026-02-15T00:00:00Z");
    // The reduction is possible only from the renewal's new batch.
    let out = sc.when(reduce_seats(id, 2));
    out.then_types(&["SeatsReduced", "Credited"]);
    let s = sc.sub(id);
    assert_eq!(s.quantity, 8);
    assert_eq!(s.term_end_date, Some(date("2026-03-14")));
    let kinds: Vec<_> = sc.history.iter().map(|e| e.data.type_name()).collect();
    let renewal = kinds.iter().position(|t| *t == "SubscriptionRenewed");
    let reduced = kinds.iter().position(|t| *t == "SeatsReduced");
    assert!(renewal < reduced, "{kinds:?}");
}

// ---------------------------------------------------------------- REN-2

#[test]
fn ren_2_the_renewal_starts_a_new_term_from_the_renewal_date() {
    // Bought 2026-01-31 P1M: ends 2026-02-27; renews 2026-02-28, new end
    // (2026-02-28 + 1 month = 2026-03-28) − 1 day = 2026-03-27.
    let mut sc = Scenario::at("2026-01-31T10:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    assert_eq!(sc.sub(id).term_end_date, Some(date("2026-02-27")));
    let due = sc.advance_to("2026-02-28T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_start, at("2026-02-28T00:00:00Z"));
    assert_eq!(r.term_end_date, date("2026-03-27"));
    assert_eq!(r.quantity, 10);
    assert_eq!(r.term, Term::P1M);
    assert_eq!(r.billing, Billing::Monthly);
    let s = sc.sub(id);
    assert_eq!(s.term_start, at("2026-02-28T00:00:00Z"));
    assert_eq!(s.term_end_date, Some(date("2026-03-27")));
    let due = sc.advance_to("2026-03-28T00:00:00Z");
    assert_eq!(renewed(&due).term_end_date, date("2026-04-27"));
}

#[test]
fn ren_2_the_renewal_is_charged_for_the_first_period() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(charges(&due), vec![(10 * E3_P1M, BillingReason::Renewal)]);
    match &due[1].data {
        EventData::Charged(l) => {
            assert_eq!(l.subscription_id, id);
            assert_eq!(l.period_start, date("2026-02-15"));
            assert_eq!(l.period_end, date("2026-03-14"));
            assert_eq!(l.period_days, 28);
            assert_eq!(l.seats, 10);
        }
        other => panic!("unexpected {other:?}"),
    }

    // An annual plan is charged the whole year at its renewal.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 7, P1Y, Billing::Annual);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(
        charges(&due),
        vec![(7 * E3_P1Y_ANNUAL, BillingReason::Renewal)]
    );
}

#[test]
fn ren_2_the_renewal_opens_a_new_cancellation_window() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(
        sc.sub(id).cancellation_allowed_until,
        Some(at("2026-02-22T00:00:00Z"))
    );
    // Exactly at the window's end it is closed.
    sc.advance_to("2026-02-22T00:00:00Z");
    let rej = sc.when_refused(cancel(id), "CancellationWindowClosed", "CAN-1");
    assert_eq!(detail(&rej, "window_closed_at"), "2026-02-22T00:00:00Z");
}

#[test]
fn ren_2_cancelling_one_second_before_the_new_window_ends_is_credited_pro_rata() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-21T23:59:59Z");
    let out = sc.when(cancel(id));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    // New period 2026-02-15..2026-03-14 (28 days); 2026-02-21 uses 7, 21 unused:
    // 40.32 × 10 × 21 / 28 = 302.40.
    assert_eq!(out.amounts(), vec![-(E3_P1M * 10 * 21 / 28)]);
    assert_eq!(out.amounts(), vec![-30240]);
}

#[test]
fn ren_2_the_renewal_makes_one_seat_batch_of_the_whole_quantity() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    // Seats added three days before the renewal are still in their own window…
    sc.advance_to("2026-02-12T09:00:00Z");
    sc.ok(add_seats(id, 2));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.seat_batch.seats, 12);
    assert_eq!(r.seat_batch.added_at, at("2026-02-15T00:00:00Z"));
    assert_eq!(r.seat_batch.refundable_until, at("2026-02-22T00:00:00Z"));
    // …but the renewal replaces every batch with one batch of all 12 seats.
    let s = sc.sub(id).clone();
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].seats, 12);
    let v = SubscriptionView::of(&s, sc.now, 0);
    assert_eq!(v.refundable_seats.batches.len(), 1);
    assert_eq!(
        v.refundable_seats.batches[0].refundable_until,
        at("2026-02-22T00:00:00Z")
    );
    // One second before the batch's window ends, 11 seats can go (SEAT-3 keeps 1).
    sc.advance_to("2026-02-21T23:59:59Z");
    sc.when(reduce_seats(id, 11))
        .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(id).quantity, 1);
}

#[test]
fn ren_2_seats_of_the_renewal_batch_are_not_reducible_at_the_window_end() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-22T00:00:00Z");
    let rej = sc
        .when(reduce_seats(id, 1))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2")
        .clone();
    assert_eq!(detail(&rej, "reducible_now"), 0);
}
