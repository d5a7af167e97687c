//! Transfers between partners (TRF-1..5).

use std::collections::BTreeSet;

use chrono::TimeDelta;

use super::Decision;
use super::details;
use crate::actor::Action;
use crate::billing;
use crate::command::{AcceptTransfer, RejectTransfer, RequestTransfer};
use crate::event::{BillingReason, EventData, Origin, SubscriptionCreated};
use crate::rejection::{Rejection, RejectionCode, RejectionKind};
use crate::rules;
use crate::state::{RelationshipStatus, Status, Subscription, Transfer, TransferStatus};

/// TRF-5 ruling: an unanswered request expires after 30 days.
pub const TRANSFER_TTL: TimeDelta = TimeDelta::days(30);

/// TRF-2: the source partner accepts, moving the picked subscriptions.
pub(super) fn accept(d: &mut Decision<'_>, command: &AcceptTransfer) -> Result<(), Rejection> {
    d.require(Action::AnswerTransfer)?;
    let t = pending_transfer(d, command.transfer_id)?;
    let picked = &command.subscription_ids;
    let subs = check_picked(d, t, picked)?;
    let mut new_ids = Vec::with_capacity(subs.len());
    for s in subs {
        new_ids.push(move_subscription(d, t, s));
    }
    d.emit(EventData::TransferAccepted {
        transfer_id: t.transfer_id,
        subscription_ids: picked.to_vec(),
        new_subscription_ids: new_ids,
    });
    Ok(())
}

/// TRF-2: the source partner rejects; nothing moves.
pub(super) fn reject(d: &mut Decision<'_>, command: &RejectTransfer) -> Result<(), Rejection> {
    d.require(Action::AnswerTransfer)?;
    pending_transfer(d, command.transfer_id)?;
    d.emit(EventData::TransferRejected {
        transfer_id: command.transfer_id,
    });
    Ok(())
}

/// TRF-1: the target partner, related to the customer, asks for a transfer.
pub(super) fn request(d: &mut Decision<'_>, command: &RequestTransfer) -> Result<(), Rejection> {
    let (customer_id, source_partner_id) = (command.customer_id, command.source_partner_id);
    d.require(Action::RequestRelationshipOrTransfer)?;
    let partner_id = d.partner_id();
    if let Some(c) = &d.state.customer
        && c.customer_id == customer_id
        && d.state.relationships.get(&partner_id) == Some(&RelationshipStatus::Requested)
    {
        return Err(Rejection::rule(
            RejectionCode::RelationshipNotAccepted,
            rules::TRF_1,
            format!(
                "customer {customer_id} has not accepted partner {partner_id}'s relationship request yet; \
                 its global admin must accept it before a transfer can be requested"
            ),
        ));
    }
    d.related_customer(customer_id)?;
    if source_partner_id == partner_id {
        return Err(Rejection::invalid(
            rules::TRF_1,
            "source_partner_id",
            "the source partner must be another partner than the one requesting the transfer",
        ));
    }
    if !d.state.has_active_relationship(source_partner_id) {
        return Err(Rejection::new(
            RejectionKind::NotFound,
            RejectionCode::NotFound,
            rules::TRF_1,
            format!("partner {source_partner_id} has no relationship with customer {customer_id}"),
        )
        .with("source_partner_id", source_partner_id));
    }
    let email = command.customer_email.trim();
    let email_ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.contains('@')
        });
    if !email_ok {
        return Err(Rejection::invalid(
            rules::TRF_1,
            "customer_email",
            format!("customer_email `{email}` is not an e-mail address"),
        ));
    }
    let transfer_id = d.derived_id("transfer");
    d.emit(EventData::TransferRequested {
        transfer_id,
        customer_id,
        source_partner_id,
        target_partner_id: partner_id,
        customer_email: email.to_owned(),
        expires_at: d.now() + TRANSFER_TTL,
    });
    Ok(())
}

/// A transfer the acting partner answers as its source, still open (TRF-2, TRF-5).
fn pending_transfer<'a>(
    d: &Decision<'a>,
    transfer_id: uuid::Uuid,
) -> Result<&'a Transfer, Rejection> {
    let partner_id = d.partner_id();
    let t = match d.state.transfers.get(&transfer_id) {
        Some(t)
            if t.source_partner_id == partner_id && d.state.has_active_relationship(partner_id) =>
        {
            t
        }
        Some(t) if t.target_partner_id == partner_id => {
            return Err(Rejection::forbidden(
                rules::TRF_2,
                format!(
                    "transfer {transfer_id} is answered by its source partner, not by the partner that asked"
                ),
            ));
        }
        _ => return Err(Rejection::not_found("transfer", transfer_id)),
    };
    // GEN-6: an expired request names the instant it expired at, whether the
    // expiry was already recorded (TRF-5) or is only due now.
    if t.status == TransferStatus::Expired
        || (t.status == TransferStatus::Pending && d.now() >= t.expires_at)
    {
        return Err(Rejection::rule(
            RejectionCode::TransferExpired,
            rules::TRF_5,
            format!(
                "transfer {transfer_id} expired unanswered at {}",
                t.expires_at
            ),
        )
        .with("expired_at", t.expires_at));
    }
    if t.status != TransferStatus::Pending {
        return Err(Rejection::rule(
            RejectionCode::TransferNotPending,
            rules::TRF_5,
            format!(
                "transfer {transfer_id} was already {:?}; a request is answered once",
                t.status
            )
            .to_lowercase(),
        )
        .with("status", t.status));
    }
    Ok(t)
}

/// TRF-2: the picked subscriptions are distinct, the source partner's, active and paid.
fn check_picked<'a>(
    d: &Decision<'a>,
    t: &Transfer,
    picked: &[uuid::Uuid],
) -> Result<Vec<&'a Subscription>, Rejection> {
    if picked.is_empty() {
        return Err(Rejection::invalid(
            rules::TRF_2,
            "subscription_ids",
            "pick at least one subscription to transfer",
        ));
    }
    if picked.len() != picked.iter().collect::<BTreeSet<_>>().len() {
        return Err(Rejection::invalid(
            rules::TRF_2,
            "subscription_ids",
            "a subscription is picked twice",
        ));
    }
    let mut subs: Vec<&Subscription> = Vec::with_capacity(picked.len());
    for id in picked {
        let s = match d.state.subscriptions.get(id) {
            Some(s) if s.partner_id == t.source_partner_id => s,
            _ => return Err(Rejection::not_found("subscription", id)),
        };
        if s.status != Status::Active || s.trial {
            return Err(Rejection::rule(
                RejectionCode::SubscriptionNotTransferable,
                rules::TRF_2,
                format!(
                    "only active, paid subscriptions can be transferred; subscription {id} is {}{}",
                    s.status.as_str(),
                    if s.trial { " (a trial)" } else { "" }
                ),
            )
            .with_details(details::NotTransferable {
                subscription_id: *id,
                status: s.status,
                trial: s.trial,
            }));
        }
        subs.push(s);
    }
    Ok(subs)
}

/// TRF-3/4: one subscription moves to the target partner; returns its new id.
fn move_subscription(d: &mut Decision<'_>, t: &Transfer, s: &Subscription) -> uuid::Uuid {
    let today = d.today();
    let now = d.now();
    let new_id = d.derived_id(&format!("transfer/{}", s.subscription_id));
    // TRF-3: same product, seats, term end date, billing plan and auto-renew;
    // no cancellation window for either side (ruling).
    let created = SubscriptionCreated {
        subscription_id: new_id,
        customer_id: s.customer_id,
        partner_id: t.target_partner_id,
        reseller_id: None,
        origin: Origin::Transfer {
            transfer_id: t.transfer_id,
            source_subscription_id: s.subscription_id,
        },
        product_id: s.product_id.clone(),
        product_name: s.product_name.clone(),
        kind: s.kind,
        addon_of: s.addon_of.clone(),
        quantity: s.quantity,
        trial: false,
        term: s.term,
        billing: s.billing,
        unit_price: s.unit_price.clone(),
        tax_inclusive: s.tax_inclusive,
        auto_renew: s.auto_renew,
        promotion_id: None,
        term_start: s.term_start,
        billing_anchor: s.billing_anchor,
        term_end_date: s.term_end_date,
        cancellation_allowed_until: None,
        seat_batch: None,
        cancellable: s.cancellable,
        has_keys: s.has_keys,
        legacy_software: s.legacy_software,
    };
    let new_sub = Subscription::from_created(&created, now);
    let credit = billing::unused_credit(s, s.quantity, today, BillingReason::TransferSource);
    let charge = billing::unused_days_charge(
        &new_sub,
        &s.unit_price,
        s.quantity,
        today,
        BillingReason::TransferTarget,
    );
    d.emit(EventData::SubscriptionCreated(created));
    d.emit(EventData::SubscriptionTransferred {
        subscription_id: s.subscription_id,
        transfer_id: t.transfer_id,
        to_subscription_id: new_id,
        to_partner_id: t.target_partner_id,
    });
    d.emit_line(credit);
    d.emit_line(charge);
    // A marketplace cancellation already scheduled (CAN-3) moves with the seats.
    if s.cancel_at_term_end
        && let Some(effective_at) = s.term_ends_at()
    {
        d.emit(EventData::CancellationScheduled {
            subscription_id: new_id,
            effective_at,
        });
    }
    new_id
}
