//! The words event payloads are made of: how a subscription came to be, why
//! money moved or a subscription ended, the customer's segment and the
//! next-term instructions. Events own them, so a stored event does not change
//! when the API's command shape does; none refuses unknown fields, so an old
//! reader skips what a newer writer added.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::{Billing, Term};

/// A customer's market segment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Commercial,
    Education,
    Government,
    Nonprofit,
}

/// The next-term instructions of REN-4. Every field is optional; at least one is set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledChange {
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub term: Option<Term>,
    #[serde(default)]
    pub billing: Option<Billing>,
    #[serde(default)]
    pub coterm_date: Option<NaiveDate>,
}

impl ScheduledChange {
    pub fn is_empty(&self) -> bool {
        self.product_id.is_none()
            && self.quantity.is_none()
            && self.term.is_none()
            && self.billing.is_none()
            && self.coterm_date.is_none()
    }
}

/// How a subscription came to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Purchase {
        order_id: Uuid,
    },
    Upgrade {
        source_subscription_id: Uuid,
    },
    TrialConversion {
        trial_subscription_id: Uuid,
    },
    Transfer {
        transfer_id: Uuid,
        source_subscription_id: Uuid,
    },
}

/// Why money was charged or credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingReason {
    // Charges.
    Purchase,
    PeriodStart,
    Renewal,
    SeatsAdded,
    UpgradeTarget,
    TransferTarget,
    TrialConversion,
    // Credits.
    SeatsReduced,
    Cancelled,
    UpgradeSource,
    TransferSource,
}

/// How an upgrade was carried out (UPG-3/4/5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeMode {
    /// Full upgrade in place: same id, new product (UPG-3).
    InPlace,
    /// Partial upgrade into a new coterminous subscription (UPG-4).
    NewSubscription,
    /// Into an existing subscription of the target product (UPG-5).
    IntoExisting,
}

/// Why a scheduled change went away (REN-5, TRI-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearReason {
    Requested,
    Cancelled,
    AutoRenewOff,
    QuantityChanged,
    Upgraded,
    TrialConverted,
    Applied,
}

/// Why a subscription ended as `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    Requested,
    /// A scheduled marketplace cancellation took effect at term end (CAN-3).
    ScheduledAtTermEnd,
    /// A full upgrade into an existing subscription left it with no seats (UPG-5).
    UpgradedAway,
}

/// Why a subscription expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryReason {
    AutoRenewOff,
    SuspendedAtTermEnd,
    TrialEnded,
    TrialConverted,
    /// GEN-1: the renewed term would end past 9999-12-31, the last date the ledger
    /// can record, so the subscription ends at its term end instead of renewing.
    DateLimit,
}
