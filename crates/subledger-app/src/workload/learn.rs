//! What a customer learns from an outcome: what it owns now, and where a move to
//! another partner stands. Refusals tell it what it could not see (time-driven
//! work expired, ended or converted a subscription).

use subledger_domain::command::AcceptRelationship;
use subledger_domain::{Command, CommandTarget, EventData, RejectionCode};

use super::Outcome;
use super::customer::{Customer, Owned, Tick, TransferStep};

/// The event types `learn` looks at; the others (billing lines among them, half
/// of all events) need not be decoded.
pub(crate) const LEARNS_FROM: [&str; 14] = [
    "SubscriptionCreated",
    "AutoRenewSet",
    "ScheduledChangeSet",
    "ScheduledChangeCleared",
    "TransferRequested",
    "SubscriptionSuspended",
    "SubscriptionReactivated",
    "SeatsAdded",
    "SeatsReduced",
    "SubscriptionCancelled",
    "SubscriptionExpired",
    "SubscriptionTransferred",
    "SubscriptionUpgraded",
    "TrialConverted",
];

fn partner_index(t: &Tick<'_>, partner: uuid::Uuid) -> Option<usize> {
    t.partners.iter().position(|p| *p == partner)
}

impl Customer {
    /// Learns from what became of `command`, sent at `t`.
    pub(crate) fn learn(&mut self, command: &Command, outcome: &Outcome, t: &Tick<'_>) {
        match outcome {
            Outcome::Accepted(events) => {
                match command {
                    Command::CreateCustomer(_) => self.created = true,
                    Command::AcceptRelationship(AcceptRelationship { partner_id }) => {
                        if let Some(target) = partner_index(t, *partner_id) {
                            self.transfer = Some(TransferStep::Related { target });
                        }
                    }
                    _ => {}
                }
                for event in events {
                    self.learn_event(event, t);
                }
            }
            Outcome::Refused { code } => self.learn_refusal(command, code),
            Outcome::Failed(_) => self.end_transfer_attempt(command),
        }
    }

    fn learn_refusal(&mut self, command: &Command, code: &str) {
        let code = RejectionCode::ALL.iter().copied().find(|c| *c == code);
        if let (Some(RejectionCode::RelationshipExists), Some(TransferStep::Asked { target })) =
            (code, &self.transfer)
        {
            // Related already: the target partner goes on to request the transfer.
            self.transfer = Some(TransferStep::Related { target: *target });
            return;
        }
        if let (Some(code), CommandTarget::Subscription(id)) = (code, command.target()) {
            match code {
                RejectionCode::SubscriptionExpired | RejectionCode::SubscriptionCancelled => {
                    self.update(id, |o| o.live = false)
                }
                // Suspended by the ledger with its base.
                RejectionCode::SubscriptionSuspended => self.update(id, |o| o.suspended = true),
                // Converted at its end by the ledger (TRI-2).
                RejectionCode::NotATrial => self.update(id, |o| o.trial = false),
                _ => {}
            }
        }
        self.end_transfer_attempt(command);
    }

    /// A refused or failed step of a move ends the attempt.
    fn end_transfer_attempt(&mut self, command: &Command) {
        if matches!(
            command,
            Command::RequestRelationship(_)
                | Command::AcceptRelationship(_)
                | Command::RequestTransfer(_)
        ) {
            self.transfer = None;
        }
    }

    fn learn_event(&mut self, event: &EventData, t: &Tick<'_>) {
        match event {
            EventData::SubscriptionCreated(s) => self.owned.push(Owned {
                id: s.subscription_id,
                product: s.product_id.clone(),
                partner: partner_index(t, s.partner_id).unwrap_or(self.home),
                trial: s.trial,
                live: true,
                suspended: false,
                quantity: s.quantity,
                bought_on: t.day,
                added_on: None,
                auto_renew: s.auto_renew,
                scheduled: false,
            }),
            EventData::AutoRenewSet {
                subscription_id,
                enabled,
            } => self.update(*subscription_id, |o| {
                o.auto_renew = *enabled;
                if !enabled {
                    o.scheduled = false;
                }
            }),
            EventData::ScheduledChangeSet {
                subscription_id, ..
            } => self.update(*subscription_id, |o| o.scheduled = true),
            EventData::ScheduledChangeCleared {
                subscription_id, ..
            } => self.update(*subscription_id, |o| o.scheduled = false),
            EventData::TransferRequested {
                transfer_id,
                source_partner_id,
                ..
            } => {
                if let Some(source) = partner_index(t, *source_partner_id) {
                    self.transfer = Some(TransferStep::Requested {
                        transfer_id: *transfer_id,
                        source,
                    });
                }
            }
            _ => self.learn_seat_event(event, t),
        }
    }

    /// The events that change a subscription's status or seats.
    fn learn_seat_event(&mut self, event: &EventData, t: &Tick<'_>) {
        match event {
            EventData::TrialConverted {
                subscription_id,
                target_subscription_id,
                ..
            } if subscription_id == target_subscription_id => {
                self.update(*subscription_id, |o| o.trial = false)
            }
            EventData::SubscriptionSuspended {
                subscription_id, ..
            } => self.update(*subscription_id, |o| o.suspended = true),
            EventData::SubscriptionReactivated { subscription_id } => {
                self.update(*subscription_id, |o| o.suspended = false)
            }
            EventData::SeatsAdded {
                subscription_id,
                quantity_after,
                ..
            } => self.update(*subscription_id, |o| {
                o.added_on = Some(t.day);
                o.quantity = *quantity_after;
            }),
            EventData::SeatsReduced {
                subscription_id,
                quantity_after,
                ..
            } => self.update(*subscription_id, |o| o.quantity = *quantity_after),
            EventData::SubscriptionCancelled {
                subscription_id, ..
            }
            | EventData::SubscriptionExpired {
                subscription_id, ..
            }
            | EventData::SubscriptionTransferred {
                subscription_id, ..
            } => self.update(*subscription_id, |o| o.live = false),
            EventData::SubscriptionUpgraded {
                subscription_id,
                target_subscription_id,
                source_quantity_after,
                ..
            } => {
                let moved_out = subscription_id != target_subscription_id;
                self.update(*subscription_id, |o| {
                    o.quantity = *source_quantity_after;
                    if moved_out && *source_quantity_after == 0 {
                        o.live = false;
                    }
                })
            }
            _ => {}
        }
    }
}
