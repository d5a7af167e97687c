//! SEAT-1: adding seats.

use super::*;

// ---------------------------------------------------------------- SEAT-1

#[test]
fn seat_1_adding_seats_mid_period_opens_a_batch_and_charges_the_days_left() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-20T12:00:00Z");
    let r = sc.when(add_seats(sub, 5));
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
    let r = sc.when(add_seats(sub, 4));
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
    let r = sc.when(add_seats(sub, 2));
    // days_used = 1, days_left = 28: the whole period, 3360 × 2.
    assert_eq!(r.amounts(), vec![6720]);
    assert_eq!(r.billing()[0].1.period_days, 28);
}

#[test]
fn seat_1_annual_billing_charges_the_days_left_of_the_year() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Annual);
    sc.advance_to("2026-07-01T08:00:00Z");
    let r = sc.when(add_seats(sub, 3));
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
    sc.when(add_seats(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
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
    sc.ok(add_seats(sub, 3));
    sc.advance_to("2026-01-12T11:00:00Z");
    sc.ok(add_seats(sub, 2));
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
    let rej = &rejected(sc.when(add_seats(sub, 0)), "InvalidRequest", "SEAT-1");
    assert_eq!(detail(rej, "field"), "seats");
    assert_eq!(sc.state, before);
}

#[test]
fn seat_1_perpetual_software_has_no_seats_to_change() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.when(add_seats(sub, 1))
        .then_rejected("SeatChangeNotSupported", "SEAT-1");
    sc.when(reduce_seats(sub, 1))
        .then_rejected("SeatChangeNotSupported", "SEAT-1");
    assert_eq!(sc.sub(sub).quantity, 2);
}

#[test]
fn seat_1_only_managing_roles_may_add_seats() {
    let (mut sc, sub) = e3_ten();
    let helpdesk = partner(PARTNER_A, &[subledger_domain::Role::HelpdeskAgent]);
    sc.when_as(&helpdesk, add_seats(sub, 1))
        .then_rejected("Forbidden", "GEN-3");
    let sales = partner(PARTNER_A, &[subledger_domain::Role::SalesAgent]);
    sc.when_as(&sales, add_seats(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
}
