//! The fold's step for each event, by family: the customer's own records,
//! a subscription's term (creation to closing), its seats and money, its
//! settings, and transfers. Each step applies what the event records.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Customer, CustomerState, Due, Order, RelationshipStatus, Status, Subscription, Transfer,
    TransferStatus,
};
use crate::event::{
    BillingLine, BillingReason, CancelReason, ClearReason, Event, EventData, UpgradeMode,
};
use crate::money::Money;

impl CustomerState {
    pub(super) fn apply_data(&mut self, event: &Event) {
        use EventData::*;
        self.event_count += 1;
        if let Some(id) = counted_update(&event.data) {
            self.with_sub(id, |s| s.update_count = s.update_count.saturating_add(1));
        }
        let (data, at) = (&event.data, event.at);
        match data {
            CustomerCreated { .. }
            | RelationshipRequested { .. }
            | RelationshipEstablished { .. }
            | OrderPlaced { .. } => self.apply_customer(data, at),
            SubscriptionCreated(_)
            | SubscriptionRenewed(_)
            | SubscriptionCancelled { .. }
            | SubscriptionExpired { .. }
            | SubscriptionTransferred { .. } => self.apply_term(data, at),
            Charged(_)
            | Credited(_)
            | SeatsAdded { .. }
            | SeatsReduced { .. }
            | SubscriptionUpgraded { .. }
            | TrialConverted { .. } => self.apply_seats(data, at),
            SubscriptionSuspended { .. }
            | SubscriptionReactivated { .. }
            | AutoRenewSet { .. }
            | ScheduledChangeSet { .. }
            | ScheduledChangeCleared { .. }
            | CancellationScheduled { .. } => self.apply_settings(data),
            TransferRequested { .. }
            | TransferAccepted { .. }
            | TransferRejected { .. }
            | TransferExpired { .. } => self.apply_transfer(data, at),
            // The key-access log lives in the projections; the state keeps only
            // the update count (GEN-4).
            KeyRevealed(_) | SoftwareDownloaded(_) | DownloadLinkCopied(_) => {}
        }
    }

    fn apply_customer(&mut self, data: &EventData, at: DateTime<Utc>) {
        match data {
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
                let order = Order {
                    order_id: *order_id,
                    partner_id: *partner_id,
                    placed_at: at,
                    reseller_id: *reseller_id,
                    additional_resellers: additional_resellers.clone(),
                    lines: lines.clone(),
                };
                self.orders.insert(*order_id, order);
            }
            _ => {}
        }
    }

    fn apply_term(&mut self, data: &EventData, at: DateTime<Utc>) {
        match data {
            EventData::SubscriptionCreated(c) => {
                let s = Subscription::from_created(c, at);
                self.subscriptions.insert(s.subscription_id, s);
            }
            EventData::SubscriptionRenewed(r) => {
                self.with_sub(r.subscription_id, |s| s.apply_renewed(r))
            }
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
            EventData::SubscriptionTransferred {
                subscription_id, ..
            } => self.close(*subscription_id, Status::Transferred, at, |s| {
                s.keys_revoked = true;
            }),
            _ => {}
        }
    }

    fn apply_seats(&mut self, data: &EventData, at: DateTime<Utc>) {
        match data {
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
                s.prune_batches(at);
                if let Some(b) = seat_batch {
                    s.batches.push(b.clone());
                }
            }),
            EventData::SeatsReduced {
                subscription_id,
                quantity_after,
                taken_from,
                ..
            } => self.with_sub(*subscription_id, |s| {
                s.quantity = *quantity_after;
                s.prune_batches(at);
                s.take_recorded(taken_from);
            }),
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
            } => {
                let upgrade = Upgrade {
                    mode: *mode,
                    to_product_id,
                    to_product_name,
                    seats_moved: *seats_moved,
                    source_quantity_after: *source_quantity_after,
                    unit_price,
                };
                self.upgrade(*subscription_id, *target_subscription_id, &upgrade, at)
            }
            EventData::TrialConverted {
                target_subscription_id,
                seats,
                into_existing: true,
                ..
            } => {
                let seats = *seats;
                self.with_sub(*target_subscription_id, |t| {
                    t.quantity = t.quantity.saturating_add(seats);
                });
            }
            _ => {}
        }
    }

    fn apply_settings(&mut self, data: &EventData) {
        match data {
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
            EventData::CancellationScheduled {
                subscription_id, ..
            } => self.with_sub(*subscription_id, |s| {
                s.cancel_at_term_end = true;
                s.auto_renew = false;
                s.scheduled_change = None;
            }),
            _ => {}
        }
    }

    fn apply_transfer(&mut self, data: &EventData, at: DateTime<Utc>) {
        match data {
            EventData::TransferRequested {
                transfer_id,
                source_partner_id,
                target_partner_id,
                customer_email,
                expires_at,
                ..
            } => {
                let transfer = Transfer {
                    transfer_id: *transfer_id,
                    source_partner_id: *source_partner_id,
                    target_partner_id: *target_partner_id,
                    customer_email: customer_email.clone(),
                    requested_at: at,
                    expires_at: *expires_at,
                    status: TransferStatus::Pending,
                    subscription_ids: Vec::new(),
                };
                self.transfers.insert(*transfer_id, transfer);
                self.pending_transfers.insert(*transfer_id);
                self.due
                    .insert((*expires_at, Due::TransferExpiry(*transfer_id)));
            }
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
            _ => {}
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
            self.due.remove(&(t.expires_at, Due::TransferExpiry(id)));
            t.status = status;
            t.subscription_ids = subs.to_vec();
        }
        self.pending_transfers.remove(&id);
    }

    fn upgrade(&mut self, source: Uuid, target: Uuid, u: &Upgrade<'_>, at: DateTime<Utc>) {
        match u.mode {
            UpgradeMode::InPlace => self.with_sub(source, |s| {
                s.product_id = u.to_product_id.to_owned();
                s.product_name = u.to_product_name.to_owned();
                s.unit_price = u.unit_price.clone();
                s.batches.clear();
                s.cancellation_allowed_until = None;
                s.scheduled_change = None;
            }),
            UpgradeMode::NewSubscription | UpgradeMode::IntoExisting => {
                self.with_sub(source, |s| {
                    s.prune_batches(at);
                    // The event does not name the batches the moved seats leave: they
                    // leave the newest first, as a reduction's would (SEAT-2's ruling),
                    // so the batches never hold more than the quantity.
                    s.take_newest(s.batch_total().saturating_sub(u.source_quantity_after));
                    s.quantity = u.source_quantity_after;
                    s.scheduled_change = None;
                });
                if u.mode == UpgradeMode::IntoExisting {
                    let moved = u.seats_moved;
                    self.with_sub(target, |t| t.quantity = t.quantity.saturating_add(moved));
                }
            }
        }
    }
}

/// What a `SubscriptionUpgraded` records about the seats and product moved.
struct Upgrade<'a> {
    mode: UpgradeMode,
    to_product_id: &'a str,
    to_product_name: &'a str,
    seats_moved: u32,
    source_quantity_after: u32,
    unit_price: &'a Money,
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
    line.reason == BillingReason::PeriodStart
}
