//! The customer's state, folded from its events by [`evolve`]. The customer is the
//! consistency boundary: its stream holds its relationships, all its subscriptions
//! (of every partner), orders and transfers, so cross-subscription rules (PUR-6/7,
//! SUS-3, TRF) are decided atomically.
//!
//! Architecture invariant: the fold applies what events record and decides
//! nothing; where a decision was made (which seat batches a reduction took,
//! what a renewal's term is), the event carries its outcome.

mod apply;
mod due;
mod records;
mod subscription;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::Event;

pub use due::Due;
pub(crate) use due::subscription_due;
pub use records::{Customer, Order, RelationshipStatus, Transfer, TransferStatus};
pub use subscription::{PeriodNet, Status, Subscription};

/// Bumped whenever the shape of [`CustomerState`] changes, so an old snapshot is
/// ignored rather than misread.
pub const STATE_SCHEMA_VERSION: u32 = 1;

/// Everything the ledger knows about one customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerState {
    pub customer: Option<Customer>,
    pub relationships: BTreeMap<Uuid, RelationshipStatus>,
    pub subscriptions: BTreeMap<Uuid, Subscription>,
    /// Ids of active and suspended subscriptions: the only ones cross-subscription
    /// rules look at, so deciding costs what the live subscriptions cost, not what
    /// the customer's history costs.
    pub live: BTreeSet<Uuid>,
    /// Seats of live subscriptions per product (PUR-4/6/7 read it).
    pub live_seats: BTreeMap<String, u64>,
    /// Every piece of due time-driven work, earliest first (REN-7), so finding
    /// what is due costs a lookup, not a scan.
    pub due: BTreeSet<(DateTime<Utc>, Due)>,
    pub orders: BTreeMap<Uuid, Order>,
    pub transfers: BTreeMap<Uuid, Transfer>,
    /// Pending transfers (for time-driven expiry, TRF-5).
    pub pending_transfers: BTreeSet<Uuid>,
    /// Events folded so far.
    pub event_count: u64,
}

impl CustomerState {
    pub fn has_active_relationship(&self, partner_id: Uuid) -> bool {
        self.relationships.get(&partner_id) == Some(&RelationshipStatus::Active)
    }

    pub fn live_subscriptions(&self) -> impl Iterator<Item = &Subscription> {
        self.live.iter().filter_map(|id| self.subscriptions.get(id))
    }

    /// Seats of live subscriptions of any of `products`, all partners (PUR-6/7).
    pub fn live_seats_of(&self, products: &[String]) -> u64 {
        products.iter().filter_map(|p| self.live_seats.get(p)).sum()
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, event: &Event) {
        // Every event that changes subscriptions names them, so the derived
        // indexes are kept by taking them out before and putting them back after.
        let touched = event.data.subscription_ids();
        for id in &touched {
            self.unindex(*id);
        }
        self.apply_data(event);
        for id in &touched {
            self.index(*id);
        }
    }
}

/// `evolve(state, event) -> state`: the pure fold of the event-sourcing pattern.
pub fn evolve(mut state: CustomerState, event: &Event) -> CustomerState {
    state.apply(event);
    state
}
