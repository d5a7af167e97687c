//! BIL-1 (integer minor units) and BIL-2 (billing periods).

use super::*;

// ---------------------------------------------------------------------------
// BIL-1: integer minor units with a currency
// ---------------------------------------------------------------------------

#[test]
fn bil_1_amounts_are_integer_minor_units_with_their_currency() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 10, P1Y, M);
    let charge = sc
        .history
        .iter()
        .find(|e| e.data.type_name() == "Charged")
        .unwrap();
    let v = serde_json::to_value(charge).unwrap();
    // 3360 × 10 = 33600 cents: €336.00.
    assert_eq!(
        v["data"]["amount"],
        json!({"amount_minor": 33600, "currency": "EUR"})
    );
    assert!(v["data"]["amount"]["amount_minor"].is_i64());
    assert_eq!(
        v["data"]["unit_price"],
        json!({"amount_minor": 3360, "currency": "EUR"})
    );
}

#[test]
fn bil_1_money_refuses_fractional_minor_units() {
    assert!(
        serde_json::from_value::<subledger_domain::Money>(
            json!({"amount_minor": 12.5, "currency": "EUR"})
        )
        .is_err()
    );
    assert!(
        serde_json::from_value::<subledger_domain::Money>(
            json!({"amount_minor": 12, "currency": "EUR", "scale": 2})
        )
        .is_err()
    );
}

#[test]
fn bil_1_very_large_amounts_are_exact() {
    // A custom three-year product at €90 billion per seat, a million seats:
    // 9 × 10^12 × 10^6 = 9 × 10^18 minor units, just inside i64.
    let text = json!({"reservation_unavailable_markets": [], "products": [
        {"product_id":"big","name":"Big","kind":"software_subscription",
         "plans":[{"term":"P3Y","billing":"triennial","unit_price":{"amount_minor":9_000_000_000_000_i64,"currency":"EUR"}}]}]})
    .to_string();
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.catalog = Catalog::from_json(&text).unwrap();
    let sub = sc.buy("big", 1_000_000, P3Y, T);
    assert_eq!(amounts(&sc.history), vec![9_000_000_000_000_000_000]);
    // Same day cancellation: 1096-day period (2026-01-10..2029-01-09), one day
    // used: credit 9e18 × 1095 / 1096, whose numerator overflows i64.
    let out = sc.when(cancel(sub));
    let expected = (9_000_000_000_000_000_000_i128 * 1095 * 2 + 1096) / (2 * 1096);
    assert_eq!(
        one_line(&out, ("2026-01-10", "2029-01-09"), 1096, 1095),
        -(expected as i64)
    );
    assert_eq!(expected, 8_991_788_321_167_883_212);
}

/// `a × b × c / d` rounded half up, by quotient and remainder.
fn oracle(unit: i64, seats: u32, days: u32, period: u32) -> i64 {
    let num = i128::from(unit) * i128::from(seats) * i128::from(days);
    let den = i128::from(period);
    let (q, r) = (num / den, num % den);
    (if 2 * r >= den { q + 1 } else { q }) as i64
}

proptest! {
    #[test]
    fn bil_1_pro_rata_arithmetic_is_exact_integer_half_up(
        unit in 0i64..100_000_000_000,
        seats in 1u32..=1_000_000,
        period in 1u32..=1096,
        days_frac in 0.0f64..=1.0,
    ) {
        let days = ((f64::from(period) * days_frac) as u32).min(period);
        prop_assert_eq!(
            mul_div_round_half_up(unit, seats, days, period),
            oracle(unit, seats, days, period)
        );
        // The whole period is the whole price.
        prop_assert_eq!(
            mul_div_round_half_up(unit, seats, period, period),
            unit * i64::from(seats)
        );
    }
}

// ---------------------------------------------------------------------------
// BIL-2: one charge per billing period, aligned to the term start
// ---------------------------------------------------------------------------

#[test]
fn bil_2_monthly_periods_keep_the_purchase_day_clamped_to_short_months() {
    // Bought 31 January: periods start on the 31st, or the month's last day.
    let mut sc = Scenario::at("2026-01-31T10:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    let first = billing_lines(&sc.history);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, 33_600);
    assert_eq!(first[0].1.reason, BillingReason::Purchase);
    assert_eq!(
        (first[0].1.period_start, first[0].1.period_end),
        (date("2026-01-31"), date("2026-02-27"))
    );
    assert!(sc.advance_to("2026-02-27T23:59:59Z").is_empty());
    let due = sc.advance_to("2026-02-28T00:00:00Z");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].at, at("2026-02-28T00:00:00Z"));
    let (amount, l) = billing_lines(&due)[0];
    assert_eq!(amount, 33_600, "a full period is charged in full");
    assert_eq!(l.reason, BillingReason::PeriodStart);
    assert_eq!(
        (l.period_start, l.period_end),
        (date("2026-02-28"), date("2026-03-30"))
    );
    let due = sc.advance_to("2026-03-31T00:00:00Z");
    let (_, l) = billing_lines(&due)[0];
    assert_eq!(
        (l.period_start, l.period_end),
        (date("2026-03-31"), date("2026-04-29"))
    );
    assert_eq!(sc.sub(sub).status, Status::Active);
}

#[test]
fn bil_2_a_monthly_billed_year_has_twelve_charges_then_the_renewal() {
    let mut sc = Scenario::at("2026-01-31T10:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 10, P1Y, M);
    // The term ends 2027-01-30 and renews at midnight after.
    sc.advance_to("2027-01-30T23:59:59Z");
    let charges = billing_lines(&sc.history);
    assert_eq!(charges.len(), 12);
    assert!(charges.iter().all(|(a, _)| *a == 33_600));
    let starts: Vec<String> = charges
        .iter()
        .map(|(_, l)| l.period_start.to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-01-31",
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
            "2026-06-30",
            "2026-07-31",
            "2026-08-31",
            "2026-09-30",
            "2026-10-31",
            "2026-11-30",
            "2026-12-31"
        ]
    );
    assert_eq!(charges[11].1.period_end, date("2027-01-30"));
    let due = sc.advance_to("2027-01-31T00:00:00Z");
    let renewal = billing_lines(&due);
    assert_eq!(renewal.len(), 1);
    assert_eq!(renewal[0].1.reason, BillingReason::Renewal);
    assert_eq!(renewal[0].0, 33_600);
    assert_eq!(renewal[0].1.period_start, date("2027-01-31"));
}

#[test]
fn bil_2_annual_billing_charges_once_a_year_and_triennial_once_a_term() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let annual = sc.buy("m365-e3", 10, P3Y, A);
    let triennial = sc.buy("windows-server-2022-standard", 2, P3Y, T);
    sc.advance_to("2029-01-09T23:59:59Z");
    let of = |sub: Uuid| -> Vec<(i64, String, String)> {
        billing_lines(&sc.history)
            .into_iter()
            .filter(|(_, l)| l.subscription_id == sub)
            .map(|(a, l)| (a, l.period_start.to_string(), l.period_end.to_string()))
            .collect()
    };
    // 40320 × 10 per year, on the purchase's anniversary.
    assert_eq!(
        of(annual),
        vec![
            (403_200, "2026-01-10".into(), "2027-01-09".into()),
            (403_200, "2027-01-10".into(), "2028-01-09".into()),
            (403_200, "2028-01-10".into(), "2029-01-09".into()),
        ]
    );
    // 237600 × 2 for the whole three years.
    assert_eq!(
        of(triennial),
        vec![(475_200, "2026-01-10".into(), "2029-01-09".into())]
    );
    assert_eq!(
        billing_lines(&sc.history)
            .iter()
            .find(|(_, l)| l.subscription_id == triennial)
            .unwrap()
            .1
            .period_days,
        1096
    );
}

#[test]
fn bil_2_a_one_month_term_is_charged_at_each_renewal() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 2, P1M, M);
    sc.advance_to("2026-04-15T00:00:00Z");
    let charges: Vec<(i64, BillingReason, String)> = billing_lines(&sc.history)
        .into_iter()
        .filter(|(_, l)| l.subscription_id == sub)
        .map(|(a, l)| (a, l.reason, l.period_start.to_string()))
        .collect();
    // 4032 × 2 each month; renewals on 15 Feb, 15 Mar and 15 Apr.
    assert_eq!(
        charges,
        vec![
            (8064, BillingReason::Purchase, "2026-01-15".into()),
            (8064, BillingReason::Renewal, "2026-02-15".into()),
            (8064, BillingReason::Renewal, "2026-03-15".into()),
            (8064, BillingReason::Renewal, "2026-04-15".into()),
        ]
    );
}

#[test]
fn bil_2_the_next_period_charges_the_quantity_held_then() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    sc.ok(add_seats(sub, 5));
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    // 3360 × 15.
    assert_eq!(amounts(&due), vec![50_400]);
    assert_eq!(billing_lines(&due)[0].1.seats, 15);
}

#[test]
fn bil_2_trials_are_not_charged_until_they_convert() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(PurchaseItem {
        trial: true,
        ..item("m365-e5", 25, P1M, M)
    });
    sc.advance_to("2026-02-09T23:59:59Z");
    assert!(billing_lines(&sc.history).is_empty());
    // Converted at the end (P1Y monthly, 25 seats): 5480 × 25.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let charges = billing_lines(&due);
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].0, 137_000);
    assert_eq!(charges[0].1.reason, BillingReason::TrialConversion);
    assert!(!sc.sub(trial).trial);
}
