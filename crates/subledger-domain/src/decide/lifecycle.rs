//! Suspend and reactivate (SUS) and auto-renew (PUR-9, REN-3/5).

use uuid::Uuid;

use super::details;
use super::{Decision, Use};
use crate::actor::Action;
use crate::command::{Reactivate, SetAutoRenew, Suspend};
use crate::event::{ClearReason, EventData};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::Status;

/// SUS-1/2/3/5: suspend an active subscription, and the add-ons that hang on it.
pub(super) fn suspend(d: &mut Decision<'_>, command: &Suspend) -> Result<(), Rejection> {
    let id = command.subscription_id;
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if s.trial {
        return Err(Rejection::rule(
            RejectionCode::TrialNotModifiable,
            rules::SUS_5,
            format!("subscription {id} is a trial: trials cannot be suspended"),
        ));
    }
    if s.status == Status::Suspended {
        return Err(Rejection::rule(
            RejectionCode::AlreadySuspended,
            rules::SUS_1,
            format!("subscription {id} is already suspended"),
        )
        .with("status", s.status));
    }
    d.emit(EventData::SubscriptionSuspended {
        subscription_id: id,
        base_subscription_id: None,
    });
    if s.scheduled_change.is_some() {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: id,
            reason: ClearReason::AutoRenewOff,
        });
    }
    // SUS-3: its add-ons (same partner of record, needing this product) follow.
    let addons: Vec<(Uuid, bool)> = d
        .state
        .live_subscriptions()
        .filter(|a| {
            a.status == Status::Active
                && !a.trial
                && a.partner_id == s.partner_id
                && a.addon_of.contains(&s.product_id)
        })
        .map(|a| (a.subscription_id, a.scheduled_change.is_some()))
        .collect();
    for (addon, scheduled) in addons {
        d.emit(EventData::SubscriptionSuspended {
            subscription_id: addon,
            base_subscription_id: Some(id),
        });
        if scheduled {
            d.emit(EventData::ScheduledChangeCleared {
                subscription_id: addon,
                reason: ClearReason::AutoRenewOff,
            });
        }
    }
    Ok(())
}

/// SUS-4: a suspended subscription can be reactivated until its term end date.
pub(super) fn reactivate(d: &mut Decision<'_>, command: &Reactivate) -> Result<(), Rejection> {
    let id = command.subscription_id;
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if s.trial {
        return Err(Rejection::rule(
            RejectionCode::TrialNotModifiable,
            rules::SUS_5,
            format!("subscription {id} is a trial: trials cannot be reactivated"),
        ));
    }
    if s.status != Status::Suspended {
        return Err(Rejection::rule(
            RejectionCode::NotSuspended,
            rules::SUS_4,
            format!("subscription {id} is {}, not suspended", s.status.as_str()),
        )
        .with("status", s.status));
    }
    if let Some(ends) = s.term_ends_at()
        && d.now() >= ends
    {
        return Err(Rejection::rule(
            RejectionCode::SubscriptionExpired,
            rules::SUS_4,
            format!("subscription {id} was not reactivated by the end of its term; it has expired"),
        )
        .with_details(details::ReactivationTooLate {
            term_end_date: s.term_end_date,
            data_deleted: true,
        }));
    }
    d.emit(EventData::SubscriptionReactivated {
        subscription_id: id,
    });
    Ok(())
}

/// PUR-9, REN-3/5: turn auto-renew on or off.
pub(super) fn set_auto_renew(
    d: &mut Decision<'_>,
    command: &SetAutoRenew,
) -> Result<(), Rejection> {
    let (id, enabled) = (command.subscription_id, command.enabled);
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if enabled {
        if s.term.is_none() {
            return Err(Rejection::rule(
                RejectionCode::AutoRenewUnavailable,
                rules::REN_1,
                format!("subscription {id} has no term to renew"),
            ));
        }
        if s.legacy_software {
            return Err(Rejection::rule(
                RejectionCode::AutoRenewUnavailable,
                rules::REN_3,
                format!("subscription {id} is software bought before 2021-10-14, which never auto-renews"),
            )
            .with("purchased_at", s.created_at));
        }
        if s.status == Status::Suspended {
            return Err(Rejection::rule(
                RejectionCode::SubscriptionSuspended,
                rules::REN_6,
                format!("subscription {id} is suspended: it expires at its end date unless reactivated first"),
            )
            .with("status", s.status));
        }
        if s.cancel_at_term_end {
            return Err(Rejection::rule(
                RejectionCode::CancellationScheduled,
                rules::CAN_3,
                format!("subscription {id} is scheduled to be cancelled at the end of its term"),
            )
            .with("effective_at", s.term_ends_at()));
        }
    }
    d.emit(EventData::AutoRenewSet {
        subscription_id: id,
        enabled,
    });
    if !enabled && s.scheduled_change.is_some() {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: id,
            reason: ClearReason::AutoRenewOff,
        });
    }
    Ok(())
}
