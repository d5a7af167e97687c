//! Where things live: the customer stream of each subscription and transfer (a
//! command naming one is sent to its customer), and the instant each customer
//! next has time-driven work due (REN-7), in time order.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use subledger_domain::ids::UniqueId;
use subledger_domain::{CustomerState, Event, EventData, time};
use uuid::Uuid;

#[derive(Debug, Default, PartialEq)]
pub(crate) struct Directory {
    subscription_customer: HashMap<Uuid, Uuid>,
    transfer_customer: HashMap<Uuid, Uuid>,
    /// Orders are never addressed by id, but their ids are unique in the ledger:
    /// this answers "is it taken?" without asking the store.
    order_customer: HashMap<Uuid, Uuid>,
    /// (due instant, customer), earliest first.
    due: BTreeSet<(DateTime<Utc>, Uuid)>,
    due_of: HashMap<Uuid, DateTime<Utc>>,
}

impl Directory {
    /// Notes everything a customer's state holds (at start).
    pub(crate) fn note(&mut self, customer: Uuid, state: &CustomerState) {
        for id in state.subscriptions.keys() {
            self.subscription_customer.insert(*id, customer);
        }
        for id in state.transfers.keys() {
            self.transfer_customer.insert(*id, customer);
        }
        for id in state.orders.keys() {
            self.order_customer.insert(*id, customer);
        }
        self.note_due(customer, state);
    }

    /// Notes what new events of a customer created, and when its work is next due
    /// now that `state` holds them.
    pub(crate) fn note_events(&mut self, customer: Uuid, events: &[Event], state: &CustomerState) {
        self.note_created(customer, events);
        self.note_due(customer, state);
    }

    /// Notes what events of a customer created (another node's, whose state this
    /// process does not hold).
    pub(crate) fn note_created(&mut self, customer: Uuid, events: &[Event]) {
        for e in events {
            match &e.data {
                EventData::SubscriptionCreated(c) => {
                    self.subscription_customer
                        .insert(c.subscription_id, customer);
                }
                EventData::TransferRequested { transfer_id, .. } => {
                    self.transfer_customer.insert(*transfer_id, customer);
                }
                EventData::OrderPlaced { order_id, .. } => {
                    self.order_customer.insert(*order_id, customer);
                }
                _ => {}
            }
        }
    }

    /// Notes that the customer's next due work is unknown (another node wrote to
    /// its stream): due at once, so the next run of due work loads its state and
    /// notes when it is really due.
    pub(crate) fn note_due_unknown(&mut self, customer: Uuid) {
        if let Some(old) = self.due_of.remove(&customer) {
            self.due.remove(&(old, customer));
        }
        self.due_of.insert(customer, DateTime::<Utc>::MIN_UTC);
        self.due.insert((DateTime::<Utc>::MIN_UTC, customer));
    }

    /// Notes when the customer's work is next due, computed by the domain itself.
    pub(crate) fn note_due(&mut self, customer: Uuid, state: &CustomerState) {
        if let Some(old) = self.due_of.remove(&customer) {
            self.due.remove(&(old, customer));
        }
        if let Some((at, _)) = time::next_due(state) {
            self.due_of.insert(customer, at);
            self.due.insert((at, customer));
        }
    }

    pub(crate) fn subscription_customer(&self, subscription: Uuid) -> Option<Uuid> {
        self.subscription_customer.get(&subscription).copied()
    }

    /// The customer holding a unique id, if any.
    pub(crate) fn holder(&self, id: UniqueId) -> Option<Uuid> {
        match id {
            UniqueId::Subscription(id) => self.subscription_customer.get(&id).copied(),
            UniqueId::Order(id) => self.order_customer.get(&id).copied(),
        }
    }

    pub(crate) fn transfer_customer(&self, transfer: Uuid) -> Option<Uuid> {
        self.transfer_customer.get(&transfer).copied()
    }

    /// The customers with work due at or before `now`, earliest first.
    pub(crate) fn due_by(&self, now: DateTime<Utc>) -> Vec<Uuid> {
        self.due
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, customer)| *customer)
            .collect()
    }

    /// Whether the customer has work due at or before `now`.
    pub(crate) fn is_due_by(&self, customer: Uuid, now: DateTime<Utc>) -> bool {
        self.due_of.get(&customer).is_some_and(|at| *at <= now)
    }
}
