//! What readers get (VIEW-1..3, SEAT-5), computed from a subscription's state and
//! the instant of reading. Projections and the API share these shapes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::{Billing, Term};
use crate::catalog::ProductKind;
use crate::event::ScheduledChange;
use crate::state::{Status, Subscription};

/// One reducible seat batch (SEAT-5).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundableBatch {
    pub seats: u32,
    pub refundable_until: DateTime<Utc>,
}

/// SEAT-5: the seats reducible now, per batch and in total.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundableSeats {
    pub total: u32,
    pub batches: Vec<RefundableBatch>,
}

impl RefundableSeats {
    pub fn of(s: &Subscription, now: DateTime<Utc>) -> Self {
        let live = s.status == Status::Active && !s.trial;
        let batches: Vec<RefundableBatch> = s
            .reducible_batches(now)
            .filter(|_| live)
            .map(|b| RefundableBatch {
                seats: b.seats,
                refundable_until: b.refundable_until,
            })
            .collect();
        // SEAT-3: one seat always stays, so no more than quantity − 1 can go.
        let total = batches
            .iter()
            .map(|b| b.seats)
            .sum::<u32>()
            .min(s.quantity.saturating_sub(1));
        Self { total, batches }
    }

    /// "None can be reduced" (SEAT-5) when empty.
    pub fn message(&self) -> String {
        if self.total == 0 {
            "no seats can be reduced now".to_owned()
        } else {
            format!("{} seats can be reduced now", self.total)
        }
    }
}

/// The subscription view of VIEW-1, with the field names API.md fixes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionView {
    pub subscription_id: Uuid,
    pub customer_id: Uuid,
    pub partner_id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub product_id: String,
    pub product_name: String,
    pub kind: ProductKind,
    pub quantity: u32,
    pub status: Status,
    pub trial: bool,
    pub term: Option<Term>,
    pub billing: Billing,
    pub term_start: DateTime<Utc>,
    pub term_end_date: Option<NaiveDate>,
    pub auto_renew: bool,
    pub next_renewal_at: Option<DateTime<Utc>>,
    pub cancellation_allowed_until: Option<DateTime<Utc>>,
    pub cancellation_scheduled: bool,
    pub refundable_seats: RefundableSeats,
    pub scheduled_change: Option<ScheduledChange>,
    pub promotion_id: Option<String>,
    pub update_count: u32,
    pub purchased_at: DateTime<Utc>,
    pub data_deleted: bool,
    /// The version of the customer stream holding the subscription.
    pub version: u64,
}

impl SubscriptionView {
    pub fn of(s: &Subscription, now: DateTime<Utc>, version: u64) -> Self {
        let cancellable_now = s.status.is_live()
            && s.cancellable
            && !s.trial
            && s.cancellation_allowed_until.is_some_and(|u| now < u);
        Self {
            subscription_id: s.subscription_id,
            customer_id: s.customer_id,
            partner_id: s.partner_id,
            reseller_id: s.reseller_id,
            product_id: s.product_id.clone(),
            product_name: s.product_name.clone(),
            kind: s.kind,
            quantity: s.quantity,
            status: s.status,
            trial: s.trial,
            term: s.term,
            billing: s.billing,
            term_start: s.term_start,
            term_end_date: s.term_end_date,
            auto_renew: s.auto_renew,
            next_renewal_at: crate::time::next_renewal_at(s),
            cancellation_allowed_until: cancellable_now
                .then_some(s.cancellation_allowed_until)
                .flatten(),
            cancellation_scheduled: s.cancel_at_term_end,
            refundable_seats: RefundableSeats::of(s, now),
            scheduled_change: s.scheduled_change.clone(),
            promotion_id: s.promotion_id.clone(),
            update_count: s.update_count,
            purchased_at: s.created_at,
            data_deleted: s.data_deleted,
            version,
        }
    }
}

/// VIEW-2: software subscriptions bought before 2021-10-14 appear only among orders.
pub fn listed_among_subscriptions(s: &Subscription) -> bool {
    !s.legacy_software
}

/// The header of VIEW-3's CSV export, in the seed's column order.
pub const CSV_HEADER: [&str; 7] = [
    "subscription_id",
    "name",
    "quantity",
    "status",
    "billing_cycle",
    "promotion",
    "reseller",
];

/// One row of VIEW-3's CSV export: the status column carries the auto-renew
/// state and the renewal (or end) date.
pub fn csv_row(s: &Subscription) -> [String; 7] {
    let status = match (s.status, s.term_end_date) {
        (Status::Active, Some(end)) if s.auto_renew && !s.cancel_at_term_end => {
            format!(
                "active; auto-renew on; renews {}",
                end.succ_opt().unwrap_or(end)
            )
        }
        (Status::Active, Some(end)) => format!("active; auto-renew off; ends {end}"),
        (Status::Suspended, Some(end)) => format!("suspended; auto-renew off; expires {end}"),
        (st, _) => format!("{}; auto-renew off", st.as_str()),
    };
    [
        s.subscription_id.to_string(),
        s.product_name.clone(),
        s.quantity.to_string(),
        status,
        s.billing.to_string(),
        s.promotion_id.clone().unwrap_or_else(|| "none".to_owned()),
        s.reseller_id
            .map(|r| r.to_string())
            .unwrap_or_else(|| "none".to_owned()),
    ]
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}
