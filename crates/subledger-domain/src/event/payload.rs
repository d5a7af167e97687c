//! The structured payloads of events: order lines, billing lines, seat batches,
//! key accesses, and the full records of a subscription's creation and renewal.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vocabulary::{BillingReason, Origin, ScheduledChange};
use crate::actor::Role;
use crate::calendar::{Billing, Term};
use crate::catalog::ProductKind;
use crate::money::Money;

/// A line of an order as bought.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub subscription_id: Uuid,
    pub product_id: String,
    pub product_name: String,
    pub quantity: u32,
    pub term: Option<Term>,
    pub billing: Billing,
    pub trial: bool,
    pub auto_renew: bool,
    pub promotion_id: Option<String>,
    pub unit_price: Money,
}

/// A charge or credit of one subscription for one billing period (BIL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingLine {
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub partner_id: Uuid,
    pub product_id: String,
    pub seats: u32,
    pub unit_price: Money,
    pub amount: Money,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// BIL-5 figures behind the amount, so an auditor can recompute it:
    /// `amount = unit_price × seats × days_charged / price_days`, rounded half up.
    /// `price_days` is the period's length, or its nominal length when the term
    /// cuts the period short (a coterminous end date). Full refunds (BIL-7) give
    /// back what was charged and do not follow the formula.
    pub period_days: u32,
    pub price_days: u32,
    pub days_charged: u32,
    pub tax_inclusive: bool,
    pub reason: BillingReason,
}

/// A seat batch (SEAT-1/2): seats added together, reducible until a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatBatch {
    pub seats: u32,
    pub added_at: DateTime<Utc>,
    pub refundable_until: DateTime<Utc>,
}

/// One entry of the key-access activity log. Holds the key's fingerprint, never
/// the key (KEY-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAccess {
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub partner_id: Uuid,
    pub product_id: String,
    pub product_name: String,
    pub user: String,
    pub role: Role,
    pub version: Option<String>,
    pub language: Option<String>,
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
}

/// A subscription as created (purchase, upgrade, conversion or transfer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionCreated {
    pub subscription_id: Uuid,
    pub customer_id: Uuid,
    pub partner_id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub origin: Origin,
    pub product_id: String,
    pub product_name: String,
    pub kind: ProductKind,
    /// Add-ons: the base products they need (for SUS-3 and PUR-6/7).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addon_of: Vec<String>,
    pub quantity: u32,
    pub trial: bool,
    pub term: Option<Term>,
    pub billing: Billing,
    pub unit_price: Money,
    pub tax_inclusive: bool,
    pub auto_renew: bool,
    pub promotion_id: Option<String>,
    pub term_start: DateTime<Utc>,
    /// Billing periods are aligned to this date (BIL-2).
    pub billing_anchor: NaiveDate,
    pub term_end_date: Option<NaiveDate>,
    /// Until when an immediate cancellation is accepted (CAN-1/2/3); `None` when
    /// it never is (upgrades UPG-6, transfers TRF-3).
    pub cancellation_allowed_until: Option<DateTime<Utc>>,
    /// The seat batch opened by this creation (SEAT-2), if reducible.
    pub seat_batch: Option<SeatBatch>,
    pub cancellable: bool,
    pub has_keys: bool,
    /// Software bought before 2021-10-14 never auto-renews and is listed only
    /// among orders (REN-3, VIEW-2).
    pub legacy_software: bool,
}

impl SubscriptionCreated {
    /// The subscription created and the one it came from, if any.
    pub fn subscription_ids(&self) -> Vec<Uuid> {
        match &self.origin {
            Origin::Upgrade {
                source_subscription_id,
            }
            | Origin::Transfer {
                source_subscription_id,
                ..
            } => vec![self.subscription_id, *source_subscription_id],
            Origin::TrialConversion {
                trial_subscription_id,
            } => vec![self.subscription_id, *trial_subscription_id],
            Origin::Purchase { .. } => vec![self.subscription_id],
        }
    }
}

/// The new term a renewal (or a trial's conversion at its end) starts (REN-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRenewed {
    pub subscription_id: Uuid,
    pub product_id: String,
    pub product_name: String,
    pub quantity: u32,
    pub term: Term,
    pub billing: Billing,
    pub unit_price: Money,
    pub term_start: DateTime<Utc>,
    pub billing_anchor: NaiveDate,
    pub term_end_date: NaiveDate,
    pub cancellation_allowed_until: Option<DateTime<Utc>>,
    pub seat_batch: SeatBatch,
    pub applied_change: Option<ScheduledChange>,
    /// True when this renewal is a trial's conversion into the paid offer (TRI-2).
    pub converted_from_trial: bool,
}
