//! BIL-1..8: the money side. Every expected amount is computed by hand in the
//! comments from BIL-3/4/5 (`period_days`, `days_used` inclusive; half up).

mod support;

use proptest::prelude::*;
use serde_json::json;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{AddSeats, Cancel, Reactivate, ReduceSeats, Suspend};
use subledger_domain::command::{Command, PurchaseItem};
use subledger_domain::event::{BillingLine, BillingReason, EventData};
use subledger_domain::money::mul_div_round_half_up;
use subledger_domain::state::Status;
use subledger_domain::{Catalog, Event};
use support::*;
use uuid::Uuid;

const M: Billing = Billing::Monthly;
const A: Billing = Billing::Annual;
const T: Billing = Billing::Triennial;

/// The billing lines among `events`: charges positive, credits negative.
fn lines(events: &[Event]) -> Vec<(i64, &BillingLine)> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.amount.amount_minor, l)),
            EventData::Credited(l) => Some((-l.amount.amount_minor, l)),
            _ => None,
        })
        .collect()
}

fn amounts(events: &[Event]) -> Vec<i64> {
    lines(events).into_iter().map(|(a, _)| a).collect()
}

/// Net money of one subscription over `events`.
fn net(events: &[Event], sub: Uuid) -> i64 {
    lines(events)
        .into_iter()
        .filter(|(_, l)| l.subscription_id == sub)
        .map(|(a, _)| a)
        .sum()
}

fn add(sub: Uuid, seats: u32) -> Command {
    Command::AddSeats(AddSeats {
        subscription_id: sub,
        seats,
    })
}

fn reduce(sub: Uuid, seats: u32) -> Command {
    Command::ReduceSeats(ReduceSeats {
        subscription_id: sub,
        seats,
    })
}

fn cancel(sub: Uuid) -> Command {
    Command::Cancel(Cancel {
        subscription_id: sub,
    })
}

/// The single billing line of an outcome, checked for its day counts.
#[track_caller]
fn one_line(out: &Outcome, period: (&str, &str), period_days: u32, days: u32) -> i64 {
    let b = out.billing();
    assert_eq!(b.len(), 1, "{b:#?}");
    let (amount, l) = b[0];
    assert_eq!(
        (l.period_start, l.period_end),
        (date(period.0), date(period.1))
    );
    assert_eq!(
        (l.period_days, l.days_charged),
        (period_days, days),
        "{l:#?}"
    );
    amount
}

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
    let first = lines(&sc.history);
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
    let (amount, l) = lines(&due)[0];
    assert_eq!(amount, 33_600, "a full period is charged in full");
    assert_eq!(l.reason, BillingReason::PeriodStart);
    assert_eq!(
        (l.period_start, l.period_end),
        (date("2026-02-28"), date("2026-03-30"))
    );
    let due = sc.advance_to("2026-03-31T00:00:00Z");
    let (_, l) = lines(&due)[0];
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
    let charges = lines(&sc.history);
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
    let renewal = lines(&due);
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
        lines(&sc.history)
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
        lines(&sc.history)
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
    let charges: Vec<(i64, BillingReason, String)> = lines(&sc.history)
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
    sc.ok(add(sub, 5));
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    // 3360 × 15.
    assert_eq!(amounts(&due), vec![50_400]);
    assert_eq!(lines(&due)[0].1.seats, 15);
}

#[test]
fn bil_2_trials_are_not_charged_until_they_convert() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(PurchaseItem {
        trial: true,
        ..item("m365-e5", 25, P1M, M)
    });
    sc.advance_to("2026-02-09T23:59:59Z");
    assert!(lines(&sc.history).is_empty());
    // Converted at the end (P1Y monthly, 25 seats): 5480 × 25.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let charges = lines(&due);
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].0, 137_000);
    assert_eq!(charges[0].1.reason, BillingReason::TrialConversion);
    assert!(!sc.sub(trial).trial);
}

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
    let out = sc.when(add(sub, 2));
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
    let out = sc.when(add(sub, 2));
    // 3360 × 2 × 31 / 31.
    assert_eq!(one_line(&out, ("2026-01-10", "2026-02-09"), 31, 31), 6720);
}

#[test]
fn bil_3_an_addition_on_the_periods_last_day_pays_one_day() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-02-09T23:00:00Z");
    let out = sc.when(add(sub, 2));
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
    let out = sc.when(add(sub, 1));
    assert_eq!(one_line(&out, ("2026-02-01", "2026-02-28"), 28, 7), 293);
    // In March's 31-day period, on 1 March: the whole period.
    sc.advance_to("2026-03-01T08:00:00Z");
    let out = sc.when(add(sub, 1));
    assert_eq!(one_line(&out, ("2026-03-01", "2026-03-31"), 31, 31), 1170);
}

#[test]
fn bil_3_an_addition_to_an_annually_billed_subscription_uses_the_year() {
    // Period 2026-01-10..2027-01-09: 365 days. On 1 July, 173 are used and
    // 193 left: 40320 × 3 × 193 / 365 = 63959.67 → 63960.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, A);
    sc.advance_to("2026-07-01T12:00:00Z");
    let out = sc.when(add(sub, 3));
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
    let out = sc.when(reduce(sub, 3));
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
    let out = sc.when(reduce(sub, 3));
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
    sc.ok(add(sub, 2));
    let out = sc.when(reduce(sub, 2));
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
            let cmd = if adding { add(sub, seats) } else { reduce(sub, seats) };
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
        sc.when(reduce(sub, 3)).amounts()
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
    let (_, l) = lines(&sc.history)[0];
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
    assert_eq!(sc.when(add(sub, 2)).amounts(), vec![4552]);
    assert_eq!(sc.when(reduce(sub, 2)).amounts(), vec![-4335]);
}

// ---------------------------------------------------------------------------
// BIL-6: suspended subscriptions keep being charged
// ---------------------------------------------------------------------------

#[test]
fn bil_6_a_suspended_subscription_is_still_charged_each_period() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-15T09:00:00Z");
    let out = sc.when(Command::Suspend(Suspend {
        subscription_id: sub,
    }));
    out.then_types(&["SubscriptionSuspended"]);
    assert!(out.billing().is_empty(), "suspending credits nothing");
    let due = sc.advance_to("2026-03-10T00:00:00Z");
    let charges = lines(&due);
    assert_eq!(charges.len(), 2);
    assert!(
        charges
            .iter()
            .all(|(a, l)| *a == 33_600 && l.reason == BillingReason::PeriodStart)
    );
    assert_eq!(sc.sub(sub).status, Status::Suspended);
    // Reactivated: nothing is charged again for the period already paid.
    assert!(
        sc.when(Command::Reactivate(Reactivate {
            subscription_id: sub
        }))
        .billing()
        .is_empty()
    );
}

#[test]
fn bil_6_charging_stops_when_the_suspended_term_expires() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 2, P1M, M);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: sub,
    }));
    let due = sc.advance_to("2026-06-01T00:00:00Z");
    assert_eq!(
        due.iter().map(|e| e.data.type_name()).collect::<Vec<_>>(),
        ["SubscriptionExpired"]
    );
    assert_eq!(sc.sub(sub).status, Status::Expired);
}

// ---------------------------------------------------------------------------
// BIL-7: perpetual software once; full refunds of early cancellations
// ---------------------------------------------------------------------------

#[test]
fn bil_7_perpetual_software_is_charged_once() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    let charges = lines(&sc.history);
    assert_eq!(charges.len(), 1);
    // 106900 × 2.
    assert_eq!(charges[0].0, 213_800);
    assert_eq!(charges[0].1.reason, BillingReason::Purchase);
    assert_eq!(charges[0].1.period_start, date("2026-01-10"));
    assert!(sc.advance_to("2031-01-10T00:00:00Z").is_empty());
}

#[test]
fn bil_7_perpetual_software_cancelled_within_thirty_days_is_credited_in_full() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.advance_to("2026-02-09T08:59:59Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    assert_eq!(out.amounts(), vec![-213_800]);
    assert_eq!(net(&sc.history, sub), 0);
}

#[test]
fn bil_7_perpetual_software_is_not_refunded_after_thirty_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.advance_to("2026-02-09T09:00:00Z");
    let rej = sc
        .when(cancel(sub))
        .then_rejected("CancellationWindowClosed", "CAN-2")
        .clone();
    assert_eq!(detail(&rej, "window_closed_at"), "2026-02-09T09:00:00Z");
    assert_eq!(net(&sc.history, sub), 213_800);
}

#[test]
fn bil_7_an_early_monthly_marketplace_cancellation_is_credited_in_full() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 3, P1M, M);
    sc.advance_to("2026-01-11T08:59:59Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    // 4900 × 3, all of it, although a day has been used.
    assert_eq!(out.amounts(), vec![-14_700]);
}

#[test]
fn bil_7_an_early_annual_marketplace_cancellation_is_credited_in_full() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-annual", 2, P1Y, A);
    sc.advance_to("2026-01-24T08:59:59Z");
    assert_eq!(sc.when(cancel(sub)).amounts(), vec![-98_000]);
}

#[test]
fn bil_7_a_late_marketplace_cancellation_waits_for_the_term_end_and_credits_nothing() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 3, P1M, M);
    sc.advance_to("2026-01-11T09:00:00Z");
    let out = sc.when(cancel(sub));
    out.then_types(&["CancellationScheduled"]);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(
        due.iter().map(|e| e.data.type_name()).collect::<Vec<_>>(),
        ["SubscriptionCancelled"]
    );
    assert_eq!(net(&sc.history, sub), 14_700);
}

#[test]
fn bil_7_a_full_refund_gives_back_exactly_what_was_paid_net_of_earlier_credits() {
    // 5 seats bought (24500); 2 reduced the same day, credited
    // 4900 × 2 × 30 / 31 = 9483.87 → 9484; 1 added (4900 × 31 / 31 = 4900);
    // then cancelled within 24 hours: the rest, 24500 − 9484 + 4900 = 19916.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 5, P1M, M);
    sc.advance_to("2026-01-10T12:00:00Z");
    assert_eq!(sc.when(reduce(sub, 2)).amounts(), vec![-9484]);
    assert_eq!(sc.when(add(sub, 1)).amounts(), vec![4900]);
    sc.advance_to("2026-01-10T20:00:00Z");
    assert_eq!(sc.when(cancel(sub)).amounts(), vec![-19_916]);
    assert_eq!(net(&sc.history, sub), 0);
}

// ---------------------------------------------------------------------------
// BIL-8: tax-inclusive prices in Australia and Brazil
// ---------------------------------------------------------------------------

#[test]
fn bil_8_lines_for_australian_and_brazilian_customers_are_tax_inclusive() {
    for (country, inclusive) in [
        ("AU", true),
        ("BR", true),
        ("NL", false),
        ("US", false),
        ("NZ", false),
    ] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer(country);
        let sub = sc.buy("m365-e3", 10, P1Y, M);
        assert_eq!(sc.sub(sub).tax_inclusive, inclusive, "{country}");
        sc.advance_to("2026-01-12T09:00:00Z");
        sc.ok(add(sub, 2));
        sc.ok(reduce(sub, 1));
        sc.advance_to("2026-02-10T00:00:00Z");
        let all = lines(&sc.history);
        // Purchase, addition, reduction, next period.
        assert_eq!(all.len(), 4, "{country}");
        assert!(
            all.iter().all(|(_, l)| l.tax_inclusive == inclusive),
            "{country}"
        );
        // The amount is the same: only the marking differs.
        assert_eq!(all[0].0, 33_600);
    }
}

#[test]
fn bil_8_subscriptions_created_later_carry_the_marking_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("BR");
    let sub = sc.buy("m365-e3", 10, P1Y, M);
    sc.advance_to("2026-01-20T09:00:00Z");
    let out = sc.when(upgrade_now(sub, "m365-e5", 4));
    let new_id = out
        .events()
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c.subscription_id),
            _ => None,
        })
        .unwrap();
    assert!(sc.sub(new_id).tax_inclusive);
    assert!(out.billing().iter().all(|(_, l)| l.tax_inclusive));
}

#[test]
fn bil_8_only_the_products_listed_countries_are_tax_inclusive() {
    // A custom product that lists no tax-inclusive country.
    let text = json!({"reservation_unavailable_markets": [], "products": [
        {"product_id":"plain","name":"Plain","kind":"license",
         "plans":[{"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":100,"currency":"AUD"}}]}]})
    .to_string();
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("AU");
    sc.catalog = Catalog::from_json(&text).unwrap();
    let sub = sc.buy("plain", 1, P1Y, M);
    assert!(!sc.sub(sub).tax_inclusive);
    assert!(lines(&sc.history).iter().all(|(_, l)| !l.tax_inclusive));
    assert_eq!(lines(&sc.history)[0].1.amount.currency, "AUD");
}
