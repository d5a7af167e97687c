//! The customer's state, folded from its events by [`evolve`]. The customer is the
//! consistency boundary: its stream holds its relationships, all its subscriptions
//! (of every partner), orders and transfers, so cross-subscription rules (PUR-6/7,
//! SUS-3, TRF) are decided atomically.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::{Billing, Term};
use crate::catalog::ProductKind;
use crate::event::{
    BillingLine, CancelReason, ClearReason, Event, EventData, OrderLine, Origin, SeatBatch,
    SubscriptionCreated, UpgradeMode,
};
use crate::event::{ScheduledChange, Segment};
use crate::money::Money;

/// Bumped whenever the shape of [`CustomerState`] changes, so an old snapshot is
/// ignored rather than misread.
pub const STATE_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: Uuid,
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub segment: Segment,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipStatus {
    Requested,
    Active,
}

/// A subscription's status (VIEW-1).
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
        crate::billing::current_period(self, day).map(|p| p.end)
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
}

/// Net money of one billing period of one subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodNet {
    pub period_start: Option<NaiveDate>,
    pub amount_minor: i64,
}

impl PeriodNet {
    fn add(&mut self, period_start: NaiveDate, amount: i64) {
        if self.period_start != Some(period_start) {
            self.period_start = Some(period_start);
            self.amount_minor = 0;
        }
        self.amount_minor = self.amount_minor.saturating_add(amount);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: Uuid,
    pub partner_id: Uuid,
    pub placed_at: DateTime<Utc>,
    pub reseller_id: Option<Uuid>,
    pub additional_resellers: Vec<Uuid>,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Accepted,
    Rejected,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub transfer_id: Uuid,
    pub source_partner_id: Uuid,
    pub target_partner_id: Uuid,
    pub customer_email: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: TransferStatus,
    pub subscription_ids: Vec<Uuid>,
}

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
    pub due: BTreeSet<(DateTime<Utc>, crate::time::Due)>,
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

    /// Removes a subscription's entries from the derived indexes, before an event
    /// changes it.
    fn unindex(&mut self, id: Uuid) {
        let Some(s) = self.subscriptions.get(&id) else {
            return;
        };
        if self.live.remove(&id)
            && let Some(seats) = self.live_seats.get_mut(&s.product_id)
        {
            *seats = seats.saturating_sub(u64::from(s.quantity));
            if *seats == 0 {
                self.live_seats.remove(&s.product_id);
            }
        }
        for due in crate::time::subscription_due(s) {
            self.due.remove(&due);
        }
    }

    /// Adds a subscription's entries to the derived indexes, after an event
    /// changed it.
    fn index(&mut self, id: Uuid) {
        let Some(s) = self.subscriptions.get(&id) else {
            return;
        };
        if !s.status.is_live() {
            return;
        }
        self.live.insert(id);
        *self.live_seats.entry(s.product_id.clone()).or_default() += u64::from(s.quantity);
        for due in crate::time::subscription_due(s) {
            self.due.insert(due);
        }
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

    fn apply_data(&mut self, event: &Event) {
        self.event_count += 1;
        let at = event.at;
        if let Some(id) = counted_update(&event.data)
            && let Some(s) = self.subscriptions.get_mut(&id)
        {
            s.update_count = s.update_count.saturating_add(1);
        }
        match &event.data {
            EventData::CustomerCreated {
                customer_id,
                company_name,
                domain,
                country,
                segment,
            } => {
                self.customer = Some(Customer {
                    customer_id: *customer_id,
                    company_name: company_name.clone(),
                    domain: domain.clone(),
                    country: country.clone(),
                    segment: *segment,
                    created_at: at,
                });
            }
            EventData::RelationshipRequested { partner_id, .. } => {
                self.relationships
                    .entry(*partner_id)
                    .or_insert(RelationshipStatus::Requested);
            }
            EventData::RelationshipEstablished { partner_id, .. } => {
                self.relationships
                    .insert(*partner_id, RelationshipStatus::Active);
            }
            EventData::OrderPlaced {
                order_id,
                partner_id,
                reseller_id,
                additional_resellers,
                lines,
                ..
            } => {
                self.orders.insert(
                    *order_id,
                    Order {
                        order_id: *order_id,
                        partner_id: *partner_id,
                        placed_at: at,
                        reseller_id: *reseller_id,
                        additional_resellers: additional_resellers.clone(),
                        lines: lines.clone(),
                    },
                );
            }
            EventData::SubscriptionCreated(c) => self.create(c, at),
            EventData::Charged(line) => self.with_sub(line.subscription_id, |s| {
                if line_opens_period(line) {
                    s.billed_until = Some(line.period_end);
                }
                s.period_net
                    .add(line.period_start, line.amount.amount_minor);
            }),
            EventData::Credited(line) => self.with_sub(line.subscription_id, |s| {
                s.period_net
                    .add(line.period_start, -line.amount.amount_minor);
            }),
            EventData::SeatsAdded {
                subscription_id,
                quantity_after,
                seat_batch,
                ..
            } => self.with_sub(*subscription_id, |s| {
                s.quantity = *quantity_after;
                prune_batches(s, at);
                if let Some(b) = seat_batch {
                    s.batches.push(b.clone());
                }
            }),
            EventData::SeatsReduced {
                subscription_id,
                seats,
                quantity_after,
                ..
            } => self.with_sub(*subscription_id, |s| {
                s.quantity = *quantity_after;
                prune_batches(s, at);
                // The same walk as the decision: newest eligible batches first (SEAT-2).
                take_newest(s, *seats);
            }),
            EventData::SubscriptionSuspended {
                subscription_id, ..
            } => self.with_sub(*subscription_id, |s| {
                s.status = Status::Suspended;
                s.auto_renew = false;
                s.scheduled_change = None;
            }),
            EventData::SubscriptionReactivated { subscription_id } => {
                self.with_sub(*subscription_id, |s| s.status = Status::Active)
            }
            EventData::AutoRenewSet {
                subscription_id,
                enabled,
            } => self.with_sub(*subscription_id, |s| {
                s.auto_renew = *enabled;
                if !*enabled {
                    s.scheduled_change = None;
                }
            }),
            EventData::ScheduledChangeSet {
                subscription_id,
                change,
            } => self.with_sub(*subscription_id, |s| {
                s.scheduled_change = Some(change.clone())
            }),
            EventData::ScheduledChangeCleared {
                subscription_id, ..
            } => self.with_sub(*subscription_id, |s| s.scheduled_change = None),
            EventData::SubscriptionUpgraded {
                subscription_id,
                target_subscription_id,
                mode,
                to_product_id,
                to_product_name,
                seats_moved,
                source_quantity_after,
                unit_price,
                ..
            } => self.upgrade(
                *subscription_id,
                *target_subscription_id,
                *mode,
                to_product_id,
                to_product_name,
                *seats_moved,
                *source_quantity_after,
                unit_price,
                at,
            ),
            EventData::CancellationScheduled {
                subscription_id, ..
            } => self.with_sub(*subscription_id, |s| {
                s.cancel_at_term_end = true;
                s.auto_renew = false;
                s.scheduled_change = None;
            }),
            EventData::SubscriptionCancelled {
                subscription_id,
                keys_revoked,
                ..
            } => {
                let revoked = *keys_revoked;
                self.close(*subscription_id, Status::Cancelled, at, |s| {
                    s.keys_revoked |= revoked;
                });
            }
            EventData::SubscriptionRenewed(r) => self.with_sub(r.subscription_id, |s| {
                s.product_id = r.product_id.clone();
                s.product_name = r.product_name.clone();
                s.quantity = r.quantity;
                s.term = Some(r.term);
                s.billing = r.billing;
                s.unit_price = r.unit_price.clone();
                s.term_start = r.term_start;
                s.billing_anchor = r.billing_anchor;
                s.term_end_date = Some(r.term_end_date);
                s.cancellation_allowed_until = r.cancellation_allowed_until;
                s.batches = vec![r.seat_batch.clone()];
                s.scheduled_change = None;
                s.trial = false;
                s.billed_until = s.first_billed_until(r.term_start.date_naive());
                if r.converted_from_trial {
                    s.promotion_id = None;
                }
            }),
            EventData::SubscriptionExpired {
                subscription_id,
                data_deleted,
                ..
            } => {
                let deleted = *data_deleted;
                self.close(*subscription_id, Status::Expired, at, |s| {
                    s.data_deleted = deleted;
                    s.keys_revoked = true;
                });
            }
            EventData::TrialConverted {
                target_subscription_id,
                seats,
                into_existing,
                ..
            } => {
                if *into_existing {
                    let seats = *seats;
                    self.with_sub(*target_subscription_id, |t| {
                        t.quantity = t.quantity.saturating_add(seats);
                    });
                }
            }
            EventData::TransferRequested {
                transfer_id,
                source_partner_id,
                target_partner_id,
                customer_email,
                expires_at,
                ..
            } => {
                self.transfers.insert(
                    *transfer_id,
                    Transfer {
                        transfer_id: *transfer_id,
                        source_partner_id: *source_partner_id,
                        target_partner_id: *target_partner_id,
                        customer_email: customer_email.clone(),
                        requested_at: at,
                        expires_at: *expires_at,
                        status: TransferStatus::Pending,
                        subscription_ids: Vec::new(),
                    },
                );
                self.pending_transfers.insert(*transfer_id);
                self.due
                    .insert((*expires_at, crate::time::Due::TransferExpiry(*transfer_id)));
            }
            EventData::SubscriptionTransferred {
                subscription_id, ..
            } => self.close(*subscription_id, Status::Transferred, at, |s| {
                s.keys_revoked = true;
            }),
            EventData::TransferAccepted {
                transfer_id,
                subscription_ids,
                ..
            } => self.end_transfer(*transfer_id, TransferStatus::Accepted, subscription_ids),
            EventData::TransferRejected { transfer_id } => {
                self.end_transfer(*transfer_id, TransferStatus::Rejected, &[])
            }
            EventData::TransferExpired { transfer_id } => {
                self.end_transfer(*transfer_id, TransferStatus::Expired, &[])
            }
            EventData::KeyRevealed(_)
            | EventData::SoftwareDownloaded(_)
            | EventData::DownloadLinkCopied(_) => {}
        }
    }

    fn with_sub(&mut self, id: Uuid, f: impl FnOnce(&mut Subscription)) {
        if let Some(s) = self.subscriptions.get_mut(&id) {
            f(s);
        }
    }

    fn close(
        &mut self,
        id: Uuid,
        status: Status,
        at: DateTime<Utc>,
        f: impl FnOnce(&mut Subscription),
    ) {
        if let Some(s) = self.subscriptions.get_mut(&id) {
            s.status = status;
            s.closed_at = Some(at);
            s.auto_renew = false;
            s.scheduled_change = None;
            s.cancel_at_term_end = false;
            s.batches.clear();
            s.cancellation_allowed_until = None;
            f(s);
        }
    }

    fn end_transfer(&mut self, id: Uuid, status: TransferStatus, subs: &[Uuid]) {
        if let Some(t) = self.transfers.get_mut(&id) {
            self.due
                .remove(&(t.expires_at, crate::time::Due::TransferExpiry(id)));
            t.status = status;
            t.subscription_ids = subs.to_vec();
        }
        self.pending_transfers.remove(&id);
    }

    fn create(&mut self, c: &SubscriptionCreated, at: DateTime<Utc>) {
        let s = Subscription::from_created(c, at);
        self.subscriptions.insert(s.subscription_id, s);
    }

    #[allow(clippy::too_many_arguments)]
    fn upgrade(
        &mut self,
        source: Uuid,
        target: Uuid,
        mode: UpgradeMode,
        to_product_id: &str,
        to_product_name: &str,
        seats_moved: u32,
        source_quantity_after: u32,
        unit_price: &Money,
        at: DateTime<Utc>,
    ) {
        match mode {
            UpgradeMode::InPlace => self.with_sub(source, |s| {
                s.product_id = to_product_id.to_owned();
                s.product_name = to_product_name.to_owned();
                s.unit_price = unit_price.clone();
                s.batches.clear();
                s.cancellation_allowed_until = None;
                s.scheduled_change = None;
            }),
            UpgradeMode::NewSubscription | UpgradeMode::IntoExisting => {
                self.with_sub(source, |s| {
                    prune_batches(s, at);
                    // Moved seats leave the newest batches first, as a reduction would
                    // (SEAT-2's ruling), so the batches never hold more than the quantity.
                    take_newest(s, batch_total(s).saturating_sub(source_quantity_after));
                    s.quantity = source_quantity_after;
                    s.scheduled_change = None;
                });
                if mode == UpgradeMode::IntoExisting {
                    self.with_sub(target, |t| {
                        t.quantity = t.quantity.saturating_add(seats_moved)
                    });
                }
            }
        }
    }
}

fn batch_total(s: &Subscription) -> u32 {
    s.batches.iter().map(|b| b.seats).sum()
}

/// Drops batches whose window closed at or before `at`: they can never be reduced
/// again, and keeping them would make the state grow with history.
fn prune_batches(s: &mut Subscription, at: DateTime<Utc>) {
    s.batches.retain(|b| at < b.refundable_until);
}

/// Takes `seats` off the newest batches first (SEAT-2's ruling).
fn take_newest(s: &mut Subscription, seats: u32) {
    let mut left = seats;
    while left > 0 {
        let Some(last) = s.batches.last_mut() else {
            break;
        };
        let take = last.seats.min(left);
        last.seats -= take;
        left -= take;
        if last.seats == 0 {
            s.batches.pop();
        }
    }
}

/// GEN-4: the subscription an event counts as one accepted command on. Only the
/// primary event of each command counts, so a command counts once however many
/// events it writes; time-driven work does not count.
fn counted_update(data: &EventData) -> Option<Uuid> {
    use EventData::*;
    match data {
        SeatsAdded {
            subscription_id, ..
        }
        | SeatsReduced {
            subscription_id, ..
        }
        | SubscriptionReactivated { subscription_id }
        | AutoRenewSet {
            subscription_id, ..
        }
        | ScheduledChangeSet {
            subscription_id, ..
        }
        | SubscriptionUpgraded {
            subscription_id, ..
        }
        | CancellationScheduled {
            subscription_id, ..
        } => Some(*subscription_id),
        SubscriptionSuspended {
            subscription_id,
            base_subscription_id: None,
        } => Some(*subscription_id),
        ScheduledChangeCleared {
            subscription_id,
            reason: ClearReason::Requested,
        } => Some(*subscription_id),
        SubscriptionCancelled {
            subscription_id,
            reason: CancelReason::Requested,
            ..
        } => Some(*subscription_id),
        TrialConverted {
            subscription_id,
            automatic: false,
            ..
        } => Some(*subscription_id),
        KeyRevealed(k) | SoftwareDownloaded(k) | DownloadLinkCopied(k) => Some(k.subscription_id),
        _ => None,
    }
}

/// Whether a charge opens a billing period (rather than paying for seats added
/// within one): only those move `billed_until`.
fn line_opens_period(line: &BillingLine) -> bool {
    line.reason == crate::event::BillingReason::PeriodStart
}

/// `evolve(state, event) -> state`: the pure fold of the event-sourcing pattern.
pub fn evolve(mut state: CustomerState, event: &Event) -> CustomerState {
    state.apply(event);
    state
}
