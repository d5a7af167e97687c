//! BIL-1..8: the money side. Every expected amount is computed by hand in the
//! comments from BIL-3/4/5 (`period_days`, `days_used` inclusive; half up).

mod bil_1_2;
mod bil_3_5;
mod bil_6_8;

use crate::support::*;
use proptest::prelude::*;
use serde_json::json;
use subledger_domain::calendar::Billing;
use subledger_domain::command::PurchaseItem;
use subledger_domain::event::{BillingReason, EventData};
use subledger_domain::money::mul_div_round_half_up;
use subledger_domain::state::Status;
use subledger_domain::{Catalog, Event};
use uuid::Uuid;

const M: Billing = Billing::Monthly;
const A: Billing = Billing::Annual;
const T: Billing = Billing::Triennial;

fn amounts(events: &[Event]) -> Vec<i64> {
    billing_lines(events).into_iter().map(|(a, _)| a).collect()
}

/// Net money of one subscription over `events`.
fn net(events: &[Event], sub: Uuid) -> i64 {
    billing_lines(events)
        .into_iter()
        .filter(|(_, l)| l.subscription_id == sub)
        .map(|(a, _)| a)
        .sum()
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
