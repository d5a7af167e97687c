//! The money side of commands (BIL-2..8): which period a charge or credit falls in
//! and how much it is. Every amount is computed here, from the day counts of
//! [`crate::calendar::Period`].

use chrono::NaiveDate;

use crate::calendar::Period;
use crate::event::{BillingLine, BillingReason, EventData};
use crate::money::{Money, mul_div_round_half_up};
use crate::state::Subscription;

/// A charge or a credit, ready to become an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub line: BillingLine,
    pub kind: LineKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Charge,
    Credit,
}

impl Line {
    pub fn into_event(self) -> EventData {
        match self.kind {
            LineKind::Charge => EventData::Charged(self.line),
            LineKind::Credit => EventData::Credited(self.line),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    s: &Subscription,
    seats: u32,
    unit_price: &Money,
    period: Period,
    days_charged: u32,
    amount: i64,
    kind: LineKind,
    reason: BillingReason,
) -> Line {
    Line {
        line: BillingLine {
            customer_id: s.customer_id,
            subscription_id: s.subscription_id,
            partner_id: s.partner_id,
            product_id: s.product_id.clone(),
            seats,
            unit_price: unit_price.clone(),
            amount: Money::new(amount, unit_price.currency.clone()),
            period_start: period.start,
            period_end: period.end,
            period_days: period.days(),
            price_days: period.nominal_days.max(period.days()),
            days_charged,
            tax_inclusive: s.tax_inclusive,
            reason,
        },
        kind,
    }
}

/// The charge that opens a billing period (BIL-2): the whole period's price, or
/// pro rata of its nominal length when the term cuts it short (coterminous terms).
pub fn period_charge(s: &Subscription, period: Period, reason: BillingReason) -> Line {
    let amount = mul_div_round_half_up(
        s.unit_price.amount_minor,
        s.quantity,
        period.days(),
        period.nominal_days.max(period.days()),
    );
    line(
        s,
        s.quantity,
        &s.unit_price,
        period,
        period.days(),
        amount,
        LineKind::Charge,
        reason,
    )
}

/// A one-time charge (perpetual software, BIL-7): the full price, once.
pub fn one_time_charge(s: &Subscription, today: NaiveDate) -> Line {
    let period = Period {
        start: today,
        end: today,
        nominal_days: 1,
    };
    let amount = s
        .unit_price
        .amount_minor
        .saturating_mul(i64::from(s.quantity));
    line(
        s,
        s.quantity,
        &s.unit_price,
        period,
        1,
        amount,
        LineKind::Charge,
        BillingReason::Purchase,
    )
}

/// BIL-3: seats added mid-period pay for the days left, today included
/// (`days_left = period_days − days_used + 1`, BIL-5).
pub fn addition_charge(
    s: &Subscription,
    seats: u32,
    today: NaiveDate,
    reason: BillingReason,
) -> Option<Line> {
    let period = s.current_period(today)?;
    let p = period.days();
    let days_left = p - period.days_used(today) + 1;
    // A period the term cuts short is priced per day of its nominal length, as
    // its period charge was (SEAT-4: never credit more than the seats' charge).
    let amount = mul_div_round_half_up(
        s.unit_price.amount_minor,
        seats,
        days_left,
        period.nominal_days.max(p),
    );
    Some(line(
        s,
        seats,
        &s.unit_price,
        period,
        days_left,
        amount,
        LineKind::Charge,
        reason,
    ))
}

/// BIL-4: a credit of the seats' charge for the current period minus the days
/// used (`credit = unit × seats × (period_days − days_used) / period_days`).
pub fn unused_credit(
    s: &Subscription,
    seats: u32,
    today: NaiveDate,
    reason: BillingReason,
) -> Option<Line> {
    unused_days(s, &s.unit_price, seats, today, LineKind::Credit, reason)
}

/// UPG-9, TRF-4: the receiving side pays for the same unused days the giving side
/// is credited for, at its own price and in its own period.
pub fn unused_days_charge(
    target: &Subscription,
    unit_price: &Money,
    seats: u32,
    today: NaiveDate,
    reason: BillingReason,
) -> Option<Line> {
    unused_days(target, unit_price, seats, today, LineKind::Charge, reason)
}

/// The seats' price for the days of the current period after today.
fn unused_days(
    s: &Subscription,
    unit_price: &Money,
    seats: u32,
    today: NaiveDate,
    kind: LineKind,
    reason: BillingReason,
) -> Option<Line> {
    let period = s.current_period(today)?;
    let p = period.days();
    let unused = p - period.days_used(today);
    let amount = mul_div_round_half_up(
        unit_price.amount_minor,
        seats,
        unused,
        period.nominal_days.max(p),
    );
    Some(line(
        s, seats, unit_price, period, unused, amount, kind, reason,
    ))
}

/// BIL-7, CAN-2/3: a full refund of what the current period (or the one-time
/// purchase) was charged, net of credits already given.
pub fn full_credit(s: &Subscription, today: NaiveDate, reason: BillingReason) -> Line {
    let period = s.current_period(today).unwrap_or(Period {
        start: s.created_at.date_naive(),
        end: s.created_at.date_naive(),
        nominal_days: 1,
    });
    let amount = if s.period_net.period_start == Some(period.start) {
        s.period_net.amount_minor.max(0)
    } else {
        0
    };
    line(
        s,
        s.quantity,
        &s.unit_price,
        period,
        period.days(),
        amount,
        LineKind::Credit,
        reason,
    )
}
