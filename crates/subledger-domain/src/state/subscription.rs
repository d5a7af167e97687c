//! A subscription as the fold keeps it, and the steps of the fold that change
//! one subscription alone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::{Billing, BillingSchedule, Period, Term};
use crate::catalog::ProductKind;
use crate::event::{Origin, ScheduledChange, SeatBatch, SubscriptionCreated, SubscriptionRenewed};
use crate::money::Money;

/// A subscription's status (VIEW-1).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Suspended,
    Cancelled,
    Expired,
    Transferred,
}

impl Status {
    /// Active or suspended: the subscription still holds seats.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Active | Status::Suspended)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Transferred => "transferred",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub subscription_id: Uuid,
    pub customer_id: Uuid,
    pub partner_id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub origin: Origin,
    pub product_id: String,
    pub product_name: String,
    pub kind: ProductKind,
    pub addon_of: Vec<String>,
    pub quantity: u32,
    pub status: Status,
    pub trial: bool,
    pub term: Option<Term>,
    pub billing: Billing,
    pub unit_price: Money,
    pub tax_inclusive: bool,
    pub auto_renew: bool,
    pub promotion_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub term_start: DateTime<Utc>,
    pub billing_anchor: NaiveDate,
    pub term_end_date: Option<NaiveDate>,
    pub cancellation_allowed_until: Option<DateTime<Utc>>,
    /// Reducible seat batches, oldest first; batches past their window are
    /// dropped as time moves on (SEAT-2).
    pub batches: Vec<SeatBatch>,
    pub scheduled_change: Option<ScheduledChange>,
    /// A marketplace cancellation takes effect at the term's end (CAN-3).
    pub cancel_at_term_end: bool,
    pub cancellable: bool,
    pub has_keys: bool,
    pub keys_revoked: bool,
    pub legacy_software: bool,
    /// GEN-4: accepted commands on it since the purchase.
    pub update_count: u32,
    /// The last date covered by a period charge (BIL-2): the next period's charge
    /// is due the day after.
    pub billed_until: Option<NaiveDate>,
    /// What was charged minus what was credited for the latest billing period
    /// charged: a full refund (CAN-2/3, BIL-7) gives back exactly this, and it
    /// never goes negative (no credit exceeds its charge).
    pub period_net: PeriodNet,
    pub closed_at: Option<DateTime<Utc>>,
    pub data_deleted: bool,
}

impl Subscription {
    /// The subscription a creation event describes, as of its creation.
    pub fn from_created(c: &SubscriptionCreated, at: DateTime<Utc>) -> Self {
        let mut s = Subscription {
            subscription_id: c.subscription_id,
            customer_id: c.customer_id,
            partner_id: c.partner_id,
            reseller_id: c.reseller_id,
            origin: c.origin.clone(),
            product_id: c.product_id.clone(),
            product_name: c.product_name.clone(),
            kind: c.kind,
            addon_of: c.addon_of.clone(),
            quantity: c.quantity,
            status: Status::Active,
            trial: c.trial,
            term: c.term,
            billing: c.billing,
            unit_price: c.unit_price.clone(),
            tax_inclusive: c.tax_inclusive,
            auto_renew: c.auto_renew,
            promotion_id: c.promotion_id.clone(),
            created_at: at,
            term_start: c.term_start,
            billing_anchor: c.billing_anchor,
            term_end_date: c.term_end_date,
            cancellation_allowed_until: c.cancellation_allowed_until,
            batches: c.seat_batch.iter().cloned().collect(),
            scheduled_change: None,
            cancel_at_term_end: false,
            cancellable: c.cancellable,
            has_keys: c.has_keys,
            keys_revoked: false,
            legacy_software: c.legacy_software,
            update_count: 0,
            billed_until: None,
            period_net: PeriodNet::default(),
            closed_at: None,
            data_deleted: false,
        };
        s.billed_until = s.first_billed_until(at.date_naive());
        s
    }

    /// The last date the charges made at creation or renewal cover: the end of the
    /// period containing `day`. Trials are never charged; their whole term counts
    /// as covered.
    fn first_billed_until(&self, day: NaiveDate) -> Option<NaiveDate> {
        if self.trial {
            return self.term_end_date;
        }
        self.current_period(day).map(|p| p.end)
    }

    /// The billing period of its term that contains `day` (BIL-2), if it has
    /// periods (perpetual software and open-ended terms have none).
    pub fn current_period(&self, day: NaiveDate) -> Option<Period> {
        let end = self.term_end_date?;
        BillingSchedule::new(self.billing_anchor, end, self.billing)?.period_containing(day)
    }

    /// The instant its term renews or ends (REN-1), if it has a term.
    pub fn term_ends_at(&self) -> Option<DateTime<Utc>> {
        self.term_end_date.map(crate::calendar::day_after)
    }

    /// Seats reducible at `now` (SEAT-2: `now < refundable_until`).
    pub fn reducible_batches(&self, now: DateTime<Utc>) -> impl Iterator<Item = &SeatBatch> {
        self.batches
            .iter()
            .filter(move |b| now < b.refundable_until)
    }

    pub fn reducible_seats(&self, now: DateTime<Utc>) -> u32 {
        self.reducible_batches(now).map(|b| b.seats).sum()
    }

    /// The new term a renewal recorded (REN-2): the fold's step, and the one
    /// time-driven work takes to price the renewed term, so both see the same
    /// subscription.
    pub fn apply_renewed(&mut self, r: &SubscriptionRenewed) {
        self.product_id = r.product_id.clone();
        self.product_name = r.product_name.clone();
        self.quantity = r.quantity;
        self.term = Some(r.term);
        self.billing = r.billing;
        self.unit_price = r.unit_price.clone();
        self.term_start = r.term_start;
        self.billing_anchor = r.billing_anchor;
        self.term_end_date = Some(r.term_end_date);
        self.cancellation_allowed_until = r.cancellation_allowed_until;
        self.batches = vec![r.seat_batch.clone()];
        self.scheduled_change = None;
        self.trial = false;
        self.billed_until = self.first_billed_until(r.term_start.date_naive());
        if r.converted_from_trial {
            self.promotion_id = None;
        }
    }

    /// Drops batches whose window closed at or before `at`: they can never be
    /// reduced again, and keeping them would make the state grow with history.
    pub(super) fn prune_batches(&mut self, at: DateTime<Utc>) {
        self.batches.retain(|b| at < b.refundable_until);
    }

    /// Takes a reduction's seats off the batches it recorded (SEAT-2): the
    /// decision chose them, the fold does not choose again. Batches are named by
    /// their instants; among equal ones the newest is taken first, as recorded.
    pub(super) fn take_recorded(&mut self, taken_from: &[SeatBatch]) {
        for taken in taken_from {
            let mut left = taken.seats;
            let mut i = self.batches.len();
            while left > 0 && i > 0 {
                i -= 1;
                let b = &mut self.batches[i];
                if b.added_at != taken.added_at || b.refundable_until != taken.refundable_until {
                    continue;
                }
                let take = b.seats.min(left);
                b.seats -= take;
                left -= take;
                if b.seats == 0 {
                    self.batches.remove(i);
                }
            }
        }
    }

    /// Takes `seats` off the newest batches first (SEAT-2's ruling). Only for
    /// seats an upgrade moves away, whose event does not name the batches.
    pub(super) fn take_newest(&mut self, seats: u32) {
        let mut left = seats;
        while left > 0 {
            let Some(last) = self.batches.last_mut() else {
                break;
            };
            let take = last.seats.min(left);
            last.seats -= take;
            left -= take;
            if last.seats == 0 {
                self.batches.pop();
            }
        }
    }

    pub(super) fn batch_total(&self) -> u32 {
        self.batches.iter().map(|b| b.seats).sum()
    }
}

/// Net money of one billing period of one subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodNet {
    pub period_start: Option<NaiveDate>,
    pub amount_minor: i64,
}

impl PeriodNet {
    pub(super) fn add(&mut self, period_start: NaiveDate, amount: i64) {
        if self.period_start != Some(period_start) {
            self.period_start = Some(period_start);
            self.amount_minor = 0;
        }
        self.amount_minor = self.amount_minor.saturating_add(amount);
    }
}
