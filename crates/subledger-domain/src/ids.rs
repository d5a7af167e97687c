//! Ids that must be unique across the whole ledger, every customer of every
//! partner: subscription and order ids. A customer's own stream cannot see
//! another's, so the application claims each new one in the store (a unique key
//! written with the events) and asks these functions which ids an outcome creates
//! and how to refuse a command whose id is taken.
//!
//! Customer ids need no claim: the customer id names its stream, and a second
//! `CreateCustomer` finds the customer there (`CustomerExists`, PUR-1). Transfer
//! ids derive from the command id, whose events' ids are unique in the store, so
//! two transfers cannot share one.

use uuid::Uuid;

use crate::command::Command;
use crate::event::{Event, EventData};
use crate::rejection::Rejection;
use crate::rules::{self, RuleId};

/// An id that is unique across the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UniqueId {
    Subscription(Uuid),
    Order(Uuid),
}

impl UniqueId {
    /// What the id names: `subscription`, `order`.
    pub fn kind(self) -> &'static str {
        match self {
            UniqueId::Subscription(_) => "subscription",
            UniqueId::Order(_) => "order",
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            UniqueId::Subscription(id) | UniqueId::Order(id) => id,
        }
    }

    /// The key the store holds for it: `subscription/<uuid>`, `order/<uuid>`.
    pub fn claim_key(self) -> String {
        format!("{}/{}", self.kind(), self.id())
    }

    /// The id a claim key names (the inverse of [`UniqueId::claim_key`]).
    pub fn from_claim_key(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once('/')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "subscription" => Some(UniqueId::Subscription(id)),
            "order" => Some(UniqueId::Order(id)),
            _ => None,
        }
    }
}

/// The unique ids these events create: every created subscription (purchase,
/// upgrade into a new one, trial conversion, transfer) and every order.
pub fn created_ids(events: &[Event]) -> Vec<UniqueId> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(UniqueId::Subscription(c.subscription_id)),
            EventData::OrderPlaced { order_id, .. } => Some(UniqueId::Order(*order_id)),
            _ => None,
        })
        .collect()
}

/// The ids a command's sender chose itself (a purchase's `order_id` and line items'
/// `subscription_id`), checked before deciding. Other new ids derive from the
/// command id.
pub fn chosen_ids(command: &Command) -> Vec<UniqueId> {
    let Command::Purchase(purchase) = command else {
        return Vec::new();
    };
    purchase
        .order_id
        .map(UniqueId::Order)
        .into_iter()
        .chain(
            purchase
                .items
                .iter()
                .filter_map(|item| item.subscription_id.map(UniqueId::Subscription)),
        )
        .collect()
}

/// The refusal of `command` because `taken` is already used in the ledger (409
/// `IdAlreadyUsed`), naming the field that carried it: the purchase's own field,
/// or `command_id` for an id derived from it (choose another command id).
pub fn id_already_used(command: &Command, taken: UniqueId) -> Rejection {
    let (rule, field) = rule_and_field(command, taken);
    Rejection::id_already_used(rule, &field, taken.kind(), taken.id())
}

fn rule_and_field(command: &Command, taken: UniqueId) -> (RuleId, String) {
    let derived = "command_id".to_owned();
    match command {
        Command::Purchase(p) => {
            let field = match taken {
                UniqueId::Order(id) if p.order_id == Some(id) => "order_id".to_owned(),
                UniqueId::Subscription(id) => p
                    .items
                    .iter()
                    .position(|item| item.subscription_id == Some(id))
                    .map_or(derived, |i| format!("items[{i}].subscription_id")),
                UniqueId::Order(_) => derived,
            };
            (rules::PUR_13, field)
        }
        Command::Upgrade(_) => (rules::UPG_4, derived),
        Command::ConvertTrial(_) => (rules::TRI_4, derived),
        Command::AcceptTransfer(_) => (rules::TRF_3, derived),
        _ => (rules::GEN_5, derived),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_round_trip() {
        let id = Uuid::from_u128(7);
        for unique in [UniqueId::Subscription(id), UniqueId::Order(id)] {
            assert_eq!(UniqueId::from_claim_key(&unique.claim_key()), Some(unique));
        }
        assert_eq!(
            UniqueId::Subscription(id).claim_key(),
            "subscription/00000000-0000-0000-0000-000000000007"
        );
        assert_eq!(UniqueId::from_claim_key("customer/x"), None);
        assert_eq!(UniqueId::from_claim_key("nothing"), None);
    }
}
