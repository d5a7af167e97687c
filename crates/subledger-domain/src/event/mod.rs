//! Events: what happened, in the past tense. Each carries everything a projection
//! or an auditor needs (ids, seats, prices and amounts, instants) so nothing has to
//! consult the catalog later. The actor, command id and instant live in the
//! envelope ([`Event`]); the payload is [`EventData`].

pub mod dates;
mod payload;
mod vocabulary;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::Actor;
use crate::money::Money;

pub use payload::{
    BillingLine, KeyAccess, OrderLine, SeatBatch, SubscriptionCreated, SubscriptionRenewed,
};
pub use vocabulary::{
    BillingReason, CancelReason, ClearReason, ExpiryReason, Origin, ScheduledChange, Segment,
    UpgradeMode,
};

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
            SubscriptionCreated(c) => c.subscription_ids(),
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
            _ => self.single_subscription_id().into_iter().collect(),
        }
    }

    /// The subscription of an event about exactly one; `None` for events about
    /// several (listed, so a new event type must be placed) or none.
    fn single_subscription_id(&self) -> Option<Uuid> {
        use EventData::*;
        match self {
            Charged(l) | Credited(l) => Some(l.subscription_id),
            SubscriptionRenewed(r) => Some(r.subscription_id),
            KeyRevealed(k) | SoftwareDownloaded(k) | DownloadLinkCopied(k) => {
                Some(k.subscription_id)
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
            } => Some(*subscription_id),
            OrderPlaced { .. }
            | SubscriptionCreated(_)
            | SubscriptionUpgraded { .. }
            | TrialConverted { .. }
            | SubscriptionTransferred { .. }
            | TransferAccepted { .. }
            | CustomerCreated { .. }
            | RelationshipRequested { .. }
            | RelationshipEstablished { .. }
            | TransferRequested { .. }
            | TransferRejected { .. }
            | TransferExpired { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GEN-1: a stored event written by a newer version, with fields this one
    /// does not know in the envelope's actor and in a scheduled change, still
    /// reads. (`Money` alone stays strict, BIL-1: an unknown qualifier such as a
    /// scale would change what `amount_minor` means.)
    #[test]
    fn stored_payloads_accept_fields_they_do_not_know() {
        let json = r#"{"at":"2025-04-19T12:00:00Z",
            "actor":{"user":"u","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent"],"team":"x"},
            "type":"ScheduledChangeSet","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001",
            "change":{"product_id":null,"quantity":15,"term":null,"billing":null,"coterm_date":null,"seats_note":"y"}}}"#;
        let event: Event = serde_json::from_str(json).expect("reads");
        match event.data {
            EventData::ScheduledChangeSet { change, .. } => assert_eq!(change.quantity, Some(15)),
            other => panic!("read as {other:?}"),
        }
    }
}
