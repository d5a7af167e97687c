//! Events: what happened, in the past tense. Each carries everything a projection
//! or an auditor needs (ids, seats, prices and amounts, instants) so nothing has to
//! consult the catalog later. The actor, command id and instant live in the
//! envelope ([`Event`]); the payload is [`EventData`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::{Actor, Role};
use crate::calendar::{Billing, Term};
use crate::catalog::ProductKind;
use crate::command::{ScheduledChange, Segment};
use crate::money::Money;

/// One event: when, why (the command and actor; none for time-driven work) and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
    /// `None` for the ledger's own time-driven work (REN-7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    #[serde(flatten)]
    pub data: EventData,
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

/// A line of an order as bought.
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
}

/// What was done with a software product (KEY-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    RevealKey,
    Download,
    CopyLink,
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

/// Every event type. Serialized as `{ "type": …, "data": { … } }`, as API.md shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    CustomerCreated {
        customer_id: Uuid,
        company_name: String,
        domain: String,
        country: String,
        segment: Segment,
    },
    RelationshipRequested {
        customer_id: Uuid,
        partner_id: Uuid,
    },
    RelationshipEstablished {
        customer_id: Uuid,
        partner_id: Uuid,
    },
    OrderPlaced {
        order_id: Uuid,
        customer_id: Uuid,
        partner_id: Uuid,
        reseller_id: Option<Uuid>,
        additional_resellers: Vec<Uuid>,
        lines: Vec<OrderLine>,
    },
    SubscriptionCreated(SubscriptionCreated),
    Charged(BillingLine),
    Credited(BillingLine),
    SeatsAdded {
        subscription_id: Uuid,
        seats: u32,
        quantity_after: u32,
        /// The new batch, if the seats are reducible (SEAT-2); upgraded and
        /// transferred seats are not (UPG-6).
        seat_batch: Option<SeatBatch>,
    },
    SeatsReduced {
        subscription_id: Uuid,
        seats: u32,
        quantity_after: u32,
        /// The batches the seats were taken from, newest first (SEAT-2).
        taken_from: Vec<SeatBatch>,
    },
    SubscriptionSuspended {
        subscription_id: Uuid,
        /// Set when suspended because its base was (SUS-3).
        base_subscription_id: Option<Uuid>,
    },
    SubscriptionReactivated {
        subscription_id: Uuid,
    },
    AutoRenewSet {
        subscription_id: Uuid,
        enabled: bool,
    },
    ScheduledChangeSet {
        subscription_id: Uuid,
        change: ScheduledChange,
    },
    ScheduledChangeCleared {
        subscription_id: Uuid,
        reason: ClearReason,
    },
    SubscriptionUpgraded {
        subscription_id: Uuid,
        target_subscription_id: Uuid,
        mode: UpgradeMode,
        from_product_id: String,
        to_product_id: String,
        to_product_name: String,
        /// The seats moved to the target subscription (all of them in place).
        /// Schema version 2 renamed it from `seats`, which read as ambiguous next
        /// to `source_quantity_after`; version 1 records are upcast on read.
        seats_moved: u32,
        source_quantity_after: u32,
        /// The price per seat the upgraded seats now carry.
        unit_price: Money,
    },
    CancellationScheduled {
        subscription_id: Uuid,
        effective_at: DateTime<Utc>,
    },
    SubscriptionCancelled {
        subscription_id: Uuid,
        reason: CancelReason,
        keys_revoked: bool,
    },
    SubscriptionRenewed(SubscriptionRenewed),
    SubscriptionExpired {
        subscription_id: Uuid,
        reason: ExpiryReason,
        /// SUS-4: a suspended subscription's data is deleted when it expires.
        data_deleted: bool,
    },
    TrialConverted {
        subscription_id: Uuid,
        target_subscription_id: Uuid,
        seats: u32,
        into_existing: bool,
        /// At the trial's end rather than by a command (TRI-2).
        automatic: bool,
    },
    TransferRequested {
        transfer_id: Uuid,
        customer_id: Uuid,
        source_partner_id: Uuid,
        target_partner_id: Uuid,
        customer_email: String,
        expires_at: DateTime<Utc>,
    },
    SubscriptionTransferred {
        subscription_id: Uuid,
        transfer_id: Uuid,
        to_subscription_id: Uuid,
        to_partner_id: Uuid,
    },
    TransferAccepted {
        transfer_id: Uuid,
        subscription_ids: Vec<Uuid>,
        new_subscription_ids: Vec<Uuid>,
    },
    TransferRejected {
        transfer_id: Uuid,
    },
    TransferExpired {
        transfer_id: Uuid,
    },
    KeyRevealed(KeyAccess),
    SoftwareDownloaded(KeyAccess),
    DownloadLinkCopied(KeyAccess),
}

impl EventData {
    /// The event's type name, as stored and as shown in feeds.
    pub fn type_name(&self) -> &'static str {
        use EventData::*;
        match self {
            CustomerCreated { .. } => "CustomerCreated",
            RelationshipRequested { .. } => "RelationshipRequested",
            RelationshipEstablished { .. } => "RelationshipEstablished",
            OrderPlaced { .. } => "OrderPlaced",
            SubscriptionCreated(_) => "SubscriptionCreated",
            Charged(_) => "Charged",
            Credited(_) => "Credited",
            SeatsAdded { .. } => "SeatsAdded",
            SeatsReduced { .. } => "SeatsReduced",
            SubscriptionSuspended { .. } => "SubscriptionSuspended",
            SubscriptionReactivated { .. } => "SubscriptionReactivated",
            AutoRenewSet { .. } => "AutoRenewSet",
            ScheduledChangeSet { .. } => "ScheduledChangeSet",
            ScheduledChangeCleared { .. } => "ScheduledChangeCleared",
            SubscriptionUpgraded { .. } => "SubscriptionUpgraded",
            CancellationScheduled { .. } => "CancellationScheduled",
            SubscriptionCancelled { .. } => "SubscriptionCancelled",
            SubscriptionRenewed(_) => "SubscriptionRenewed",
            SubscriptionExpired { .. } => "SubscriptionExpired",
            TrialConverted { .. } => "TrialConverted",
            TransferRequested { .. } => "TransferRequested",
            SubscriptionTransferred { .. } => "SubscriptionTransferred",
            TransferAccepted { .. } => "TransferAccepted",
            TransferRejected { .. } => "TransferRejected",
            TransferExpired { .. } => "TransferExpired",
            KeyRevealed(_) => "KeyRevealed",
            SoftwareDownloaded(_) => "SoftwareDownloaded",
            DownloadLinkCopied(_) => "DownloadLinkCopied",
        }
    }

    /// The subscriptions this event touches (for per-subscription history, VIEW-5).
    pub fn subscription_ids(&self) -> Vec<Uuid> {
        use EventData::*;
        match self {
            OrderPlaced { lines, .. } => lines.iter().map(|l| l.subscription_id).collect(),
            SubscriptionCreated(c) => match &c.origin {
                Origin::Upgrade {
                    source_subscription_id,
                }
                | Origin::Transfer {
                    source_subscription_id,
                    ..
                } => vec![c.subscription_id, *source_subscription_id],
                Origin::TrialConversion {
                    trial_subscription_id,
                } => vec![c.subscription_id, *trial_subscription_id],
                Origin::Purchase { .. } => vec![c.subscription_id],
            },
            Charged(l) | Credited(l) => vec![l.subscription_id],
            SubscriptionRenewed(r) => vec![r.subscription_id],
            SubscriptionUpgraded {
                subscription_id,
                target_subscription_id,
                ..
            }
            | TrialConverted {
                subscription_id,
                target_subscription_id,
                ..
            } => {
                if subscription_id == target_subscription_id {
                    vec![*subscription_id]
                } else {
                    vec![*subscription_id, *target_subscription_id]
                }
            }
            SubscriptionTransferred {
                subscription_id,
                to_subscription_id,
                ..
            } => vec![*subscription_id, *to_subscription_id],
            TransferAccepted {
                subscription_ids,
                new_subscription_ids,
                ..
            } => subscription_ids
                .iter()
                .chain(new_subscription_ids)
                .copied()
                .collect(),
            KeyRevealed(k) | SoftwareDownloaded(k) | DownloadLinkCopied(k) => {
                vec![k.subscription_id]
            }
            SeatsAdded {
                subscription_id, ..
            }
            | SeatsReduced {
                subscription_id, ..
            }
            | SubscriptionSuspended {
                subscription_id, ..
            }
            | SubscriptionReactivated { subscription_id }
            | AutoRenewSet {
                subscription_id, ..
            }
            | ScheduledChangeSet {
                subscription_id, ..
            }
            | ScheduledChangeCleared {
                subscription_id, ..
            }
            | CancellationScheduled {
                subscription_id, ..
            }
            | SubscriptionCancelled {
                subscription_id, ..
            }
            | SubscriptionExpired {
                subscription_id, ..
            } => vec![*subscription_id],
            CustomerCreated { .. }
            | RelationshipRequested { .. }
            | RelationshipEstablished { .. }
            | TransferRequested { .. }
            | TransferRejected { .. }
            | TransferExpired { .. } => Vec::new(),
        }
    }
}
