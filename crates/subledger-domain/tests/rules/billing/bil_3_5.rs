//! BIL-3 (pro-rata charges), BIL-4 (credits) and BIL-5 (counting days).

use super::*;

// ---------------------------------------------------------------------------
// BIL-3: additions pay for the days left, today included
// ---------------------------------------------------------------------------

#[test]
fn bil_3_seats_added_mid_period_pay_pro_rata() {
    // Period 2026-01-10..2026-02-09: 31 days. On 20 January 11 are used and
    // 31 − 11 + 1 = 21 left: 3360 × 2 × 21 / 31 = 4552.26 → 4552.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T15:00:00Z");
    let out = sc.when(add_seats(sub, 2));
    assert_eq!(one_line(&out, ("2026-01-10", "2026-02-09"), 31, 21), 4552);
    let (_, l) = out.billing()[0];
    assert_eq!((l.seats, l.reason), (2, BillingReason::SeatsAdded));
    assert_eq!(l.unit_price.amount_minor, 3360);
}

#[test]
fn bil_3_an_addition_on_the_periods_first_day_pays_the_whole_period() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-10T23:59:59Z");
    let out = sc.when(add_seats(sub, 2));
    // 3360 × 2 × 31 / 31.
    assert_eq!(one_line(&out, ("2026-01-10", "2026-02-09"), 31, 31), 6720);
}

#[test]
fn bil_3_an_addition_on_the_periods_last_day_pays_one_day() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-02-09T23:00:00Z");
    let out = sc.when(add_seats(sub, 2));
    // 3360 × 2 × 1 / 31 = 216.77 → 217.
    assert_eq!(one_line(&out, ("2026-01-10", "2026-02-09"), 31, 1), 217);
}

#[test]
fn bil_3_an_addition_in_a_later_period_uses_that_periods_length() {
    // Bought 1 February: period 2026-02-01..2026-02-28 is 28 days. On the 22nd,
    // 28 − 22 + 1 = 7 days are left: 1170 × 1 × 7 / 28 = 292.5 → 293 (half up).
    let mut sc = Scenario::at("2026-02-01T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-business-standard", 10, P1Y, M);
    sc.advance_to("2026-02-22T09:00:00Z");
    let out = sc.when(add_seats(sub, 1));
    assert_eq!(one_line(&out, ("2026-02-01", "2026-02-28"), 28, 7), 293);
    // In March's 31-day period, on 1 March: the whole period.
    sc.advance_to("2026-03-01T08:00:00Z");
    let out = sc.when(add_seats(sub, 1));
    assert_eq!(one_line(&out, ("2026-03-01", "2026-03-31"), 31, 31), 1170);
}

#[test]
fn bil_3_an_addition_to_an_annually_billed_subscription_uses_the_year() {
    // Period 2026-01-10..2027-01-09: 365 days. On 1 July, 173 are used and
    // 193 left: 40320 × 3 × 193 / 365 = 63959.67 → 63960.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, A);
    sc.advance_to("2026-07-01T12:00:00Z");
    let out = sc.when(add_seats(sub, 3));
    assert_eq!(
        one_line(&out, ("2026-01-10", "2027-01-09"), 365, 193),
        63_960
    );
}

#[test]
fn bil_3_a_new_coterminous_subscription_from_an_upgrade_pays_pro_rata() {
    // Partial upgrade on 20 January of 4 E3 seats to E5: the new subscription
    // shares the source's periods; it is charged for the 20 unused days (the
    // same days the source is credited, UPG-9): 5480 × 4 × 20 / 31 = 14141.94 → 14142.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    let out = sc.when(upgrade_now(sub, "m365-e5", 4));
    let b = out.billing();
    assert_eq!(b.len(), 2, "{b:#?}");
    let charge = b.iter().find(|(a, _)| *a > 0).unwrap();
    assert_eq!(charge.0, 14_142);
    assert_eq!(charge.1.reason, BillingReason::UpgradeTarget);
    assert_eq!((charge.1.period_days, charge.1.days_charged), (31, 20));
}

// ---------------------------------------------------------------------------
// BIL-4: credits give back the unused days
// ---------------------------------------------------------------------------

#[test]
fn bil_4_a_reduction_credits_the_unused_days() {
    // On 12 January, 3 of 31 days are used: 3360 × 3 × 28 / 31 = 9104.52 → 9105.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-12T09:00:00Z");
    let out = sc.when(reduce_seats(sub, 3));
    out.then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(one_line(&out, ("2026-01-10", "2026-02-09"), 31, 28), -9105);
    assert_eq!(out.billing()[0].1.reason, BillingReason::SeatsReduced);
    assert_eq!(out.billing()[0].1.seats, 3);
}

#[test]
fn bil_4_a_cancellation_credits_every_seats_unused_days() {
    // Cancelled on 16 January: 7 of 365 days used.
    // 40320 × 10 × 358 / 365 = 395467.40 → 395467.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, A);
    sc.advance_to("2026-01-16T20:00:00Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    assert_eq!(
        one_line(&out, ("2026-01-10", "2027-01-09"), 365, 358),
        -395_467
    );
    assert_eq!(out.billing()[0].1.reason, BillingReason::Cancelled);
}

#[test]
fn bil_4_credits_round_half_up() {
    // Bought 1 February (28-day period); on 7 February 7 days are used, 21 not:
    // 1170 × 3 × 21 / 28 = 2632.5 → 2633.
    let mut sc = Scenario::at("2026-02-01T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-business-standard", 10, P1Y, M);
    sc.advance_to("2026-02-07T09:00:00Z");
    let out = sc.when(reduce_seats(sub, 3));
    assert_eq!(one_line(&out, ("2026-02-01", "2026-02-28"), 28, 21), -2633);
}

#[test]
fn bil_4_an_upgrade_source_is_credited_its_unused_days() {
    // Full upgrade E3 → E5 on 20 January: 11 of 31 days used, 20 unused.
    // Credit 3360 × 10 × 20 / 31 = 21677.42 → 21677;
    // charge 5480 × 10 × 20 / 31 = 35354.84 → 35355.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    let out = sc.when(upgrade_now(sub, "m365-e5", 10));
    let mut got: Vec<(i64, BillingReason, u32)> = out
        .billing()
        .into_iter()
        .map(|(a, l)| (a, l.reason, l.days_charged))
        .collect();
    got.sort_by_key(|(a, ..)| *a);
    assert_eq!(
        got,
        vec![
            (-21_677, BillingReason::UpgradeSource, 20),
            (35_355, BillingReason::UpgradeTarget, 20),
        ]
    );
}

#[test]
fn bil_4_a_credit_on_the_periods_last_day_is_nothing_and_writes_no_line() {
    // Seats added on 9 February (the last day, one day charged) and cancelled
    // at once are not reducible for money: all 31 days are used.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-02-09T10:00:00Z");
    sc.ok(add_seats(sub, 2));
    let out = sc.when(reduce_seats(sub, 2));
    out.then_types(&["SeatsReduced"]);
    assert!(out.billing().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever is added and reduced, and when, nothing is ever credited beyond
    /// what was charged for the period.
    #[test]
    fn bil_4_credits_never_exceed_what_the_period_was_charged(
        steps in proptest::collection::vec((0i64..48, 1u32..6, any::<bool>()), 1..12),
        cancel_at_end in any::<bool>(),
    ) {
        let mut sc = Scenario::at("2026-01-28T09:00:00Z").with_customer("NL");
        let sub = sc.buy("m365-business-standard", 5, P1Y, M);
        for (hours, seats, adding) in steps {
            let next = sc.now + chrono::TimeDelta::hours(hours);
            sc.advance(next);
            let cmd = if adding { add_seats(sub, seats) } else { reduce_seats(sub, seats) };
            let _ = sc.when(cmd);
            prop_assert!(sc.sub(sub).period_net.amount_minor >= 0);
        }
        if cancel_at_end {
            let _ = sc.when(cancel(sub));
        }
        prop_assert!(sc.sub(sub).period_net.amount_minor >= 0);
        // Over the whole history the subscription never ends up owed money.
        prop_assert!(net(&sc.history, sub) >= 0);
    }
}

// ---------------------------------------------------------------------------
// BIL-5: day counting and rounding
// ---------------------------------------------------------------------------

#[test]
fn bil_5_a_same_day_cancellation_uses_one_day() {
    // 3360 × 10 × 30 / 31 = 32516.13 → 32516.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-10T09:00:01Z");
    let out = sc.when(cancel(sub));
    assert_eq!(
        one_line(&out, ("2026-01-10", "2026-02-09"), 31, 30),
        -32_516
    );
}

#[test]
fn bil_5_only_the_utc_date_counts_not_the_time_of_day() {
    let credit_at = |instant: &str| {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let sub = sc.buy("m365-e3", 10, P1Y, M);
        sc.advance_to(instant);
        sc.when(reduce_seats(sub, 3)).amounts()
    };
    // 12 January: 3 days used, as above (9105).
    assert_eq!(credit_at("2026-01-12T00:00:00Z"), vec![-9105]);
    assert_eq!(credit_at("2026-01-12T23:59:59Z"), vec![-9105]);
    // 13 January: 4 used, 27 unused: 3360 × 3 × 27 / 31 = 8779.35 → 8779.
    assert_eq!(credit_at("2026-01-13T00:00:00Z"), vec![-8779]);
}

#[test]
fn bil_5_period_days_count_both_ends_including_leap_days() {
    // February 2028 has 29 days; the year from 10 January 2028 has 366.
    let mut sc = Scenario::at("2028-02-01T09:00:00Z").with_customer("NL");
    let monthly = sc.buy("m365-e3", 1, P1Y, M);
    let _ = monthly;
    let (_, l) = billing_lines(&sc.history)[0];
    assert_eq!(
        (l.period_start, l.period_end, l.period_days),
        (date("2028-02-01"), date("2028-02-29"), 29)
    );
    let mut sc = Scenario::at("2028-01-10T09:00:00Z").with_customer("NL");
    let annual = sc.buy("m365-e3", 1, P1Y, A);
    sc.advance_to("2028-01-11T09:00:00Z");
    // Cancelled the next day: 2 of 366 days used; 40320 × 364 / 366 = 40099.67 → 40100.
    let out = sc.when(cancel(annual));
    assert_eq!(
        one_line(&out, ("2028-01-10", "2029-01-09"), 366, 364),
        -40_100
    );
}

#[test]
fn bil_5_an_addition_then_a_reduction_on_the_same_day_costs_that_one_day() {
    // Added on 20 January: 21 days charged (4552 for 2 seats, as above).
    // Reduced the same day: 20 unused days credited, 3360 × 2 × 20 / 31 = 4335.48 → 4335.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    assert_eq!(sc.when(add_seats(sub, 2)).amounts(), vec![4552]);
    assert_eq!(sc.when(reduce_seats(sub, 2)).amounts(), vec![-4335]);
}
