//! Cancel (CAN-1..6): at once with a credit inside the window, scheduled for the
//! term's end for marketplace products past it, or refused.

use chrono::{DateTime, Utc};

use super::addons::{self, SeatDelta};
use super::details;
use super::{Decision, Use, refuse_trial};
use crate::actor::Action;
use crate::billing;
use crate::catalog::ProductKind;
use crate::command::Cancel;
use crate::event::{BillingReason, CancelReason, ClearReason, EventData};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::Subscription;

/// CAN-1..6: cancel at once with a credit, schedule a marketplace cancellation, or refuse.
pub(super) fn decide(d: &mut Decision<'_>, command: &Cancel) -> Result<(), Rejection> {
    d.require(Action::Cancel)?;
    let s = d.open_subscription(command.subscription_id, Use::Change)?;
    refuse_trial(s, "cancelling")?;
    if !s.cancellable {
        return Err(Rejection::rule(
            RejectionCode::NotCancellable,
            rules::CAN_4,
            format!(
                "{} ({}) can never be cancelled",
                s.product_name, s.product_id
            ),
        )
        .with("product_id", &s.product_id));
    }
    let now = d.now();
    let in_window = s
        .cancellation_allowed_until
        .is_some_and(|until| now < until);
    match s.kind {
        ProductKind::MarketplaceSaas if !in_window => schedule_at_term_end(d, s),
        _ if !in_window => Err(window_closed(s, now)),
        _ => cancel_now(d, s),
    }
}

/// CAN-3: past the early window a marketplace cancellation waits for the term's end.
fn schedule_at_term_end(d: &mut Decision<'_>, s: &Subscription) -> Result<(), Rejection> {
    let id = s.subscription_id;
    if s.cancel_at_term_end {
        return Err(Rejection::rule(
            RejectionCode::CancellationAlreadyScheduled,
            rules::CAN_3,
            format!(
                "subscription {id} is already scheduled to be cancelled at the end of its term"
            ),
        )
        .with("effective_at", s.term_ends_at()));
    }
    let Some(effective_at) = s.term_ends_at() else {
        return Err(Rejection::rule(
            RejectionCode::CancellationWindowClosed,
            rules::CAN_3,
            format!("subscription {id} has no term end to cancel at"),
        ));
    };
    d.emit(EventData::CancellationScheduled {
        subscription_id: id,
        effective_at,
    });
    if s.scheduled_change.is_some() {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: id,
            reason: ClearReason::Cancelled,
        });
    }
    Ok(())
}

/// CAN-1/2: past its window (or without one) a subscription cannot be cancelled.
fn window_closed(s: &Subscription, now: DateTime<Utc>) -> Rejection {
    let id = s.subscription_id;
    let rule = if s.kind == ProductKind::PerpetualSoftware {
        rules::CAN_2
    } else {
        rules::CAN_1
    };
    let window = if s.kind == ProductKind::PerpetualSoftware {
        "30 days of the purchase"
    } else {
        "7 days of the term's start"
    };
    let message = match s.cancellation_allowed_until {
        Some(until) => format!(
            "subscription {id} could be cancelled within {window}, until {}; it is now {}",
            until.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
        None => format!(
            "subscription {id} came from an upgrade or a transfer and has no cancellation window (UPG-6, TRF-3)"
        ),
    };
    Rejection::rule(RejectionCode::CancellationWindowClosed, rule, message).with_details(
        details::CancellationWindow {
            window_closed_at: s.cancellation_allowed_until,
            now,
        },
    )
}

/// CAN-1/2/3 inside the window: cancelled now, with a credit (BIL-4, BIL-7).
fn cancel_now(d: &mut Decision<'_>, s: &Subscription) -> Result<(), Rejection> {
    addons::check(
        d,
        &[SeatDelta {
            product_id: s.product_id.clone(),
            seats: -i64::from(s.quantity),
        }],
    )?;
    let today = d.today();
    let credit = match s.kind {
        // CAN-2, CAN-3, BIL-7: a full refund.
        ProductKind::PerpetualSoftware | ProductKind::MarketplaceSaas => {
            Some(billing::full_credit(s, today, BillingReason::Cancelled))
        }
        // CAN-1, BIL-4: the unused days.
        _ => billing::unused_credit(s, s.quantity, today, BillingReason::Cancelled),
    };
    d.emit(EventData::SubscriptionCancelled {
        subscription_id: s.subscription_id,
        reason: CancelReason::Requested,
        keys_revoked: s.has_keys,
    });
    d.emit_line(credit);
    Ok(())
}
