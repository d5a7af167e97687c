//! Scheduled changes (REN-4): next-term instructions set, replaced or cleared,
//! and the conditions they meet, which end-of-term upgrades (UPG-7) share.

use super::details;
use super::{Decision, Use, offer};
use crate::actor::Action;
use crate::calendar::{day_after, term_end_date};
use crate::command::{ClearScheduledChange, ScheduleChange, ScheduledChange};
use crate::event::{ClearReason, EventData};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::{Status, Subscription};

/// REN-4: set or replace the next-term instructions.
pub(super) fn set(d: &mut Decision<'_>, command: &ScheduleChange) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    let s = d.open_subscription(command.subscription_id, Use::Change)?;
    check_schedulable(d, s, &command.change)?;
    d.emit(EventData::ScheduledChangeSet {
        subscription_id: command.subscription_id,
        change: command.change.clone(),
    });
    Ok(())
}

/// REN-4: clear the next-term instructions.
pub(super) fn clear(d: &mut Decision<'_>, command: &ClearScheduledChange) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    let subscription_id = command.subscription_id;
    let s = d.open_subscription(subscription_id, Use::Change)?;
    if s.scheduled_change.is_none() {
        return Err(Rejection::rule(
            RejectionCode::NoScheduledChange,
            rules::REN_4,
            format!("subscription {subscription_id} has no scheduled change to clear"),
        ));
    }
    d.emit(EventData::ScheduledChangeCleared {
        subscription_id,
        reason: ClearReason::Requested,
    });
    Ok(())
}

/// REN-4's conditions for next-term instructions, shared with end-of-term upgrades.
pub(super) fn check_schedulable(
    d: &Decision<'_>,
    s: &Subscription,
    change: &ScheduledChange,
) -> Result<(), Rejection> {
    let id = s.subscription_id;
    if change.is_empty() {
        return Err(Rejection::invalid(
            rules::REN_4,
            "product_id",
            "a scheduled change sets at least one of product_id, quantity, term, billing, coterm_date",
        ));
    }
    let (Some(current_term), Some(end)) = (s.term, s.term_end_date) else {
        return Err(Rejection::rule(
            RejectionCode::ScheduledChangeNotAllowed,
            rules::REN_4,
            format!("subscription {id} has no term, so no next term to change"),
        ));
    };
    if s.status != Status::Active || !s.auto_renew {
        return Err(Rejection::rule(
            RejectionCode::ScheduledChangeNotAllowed,
            rules::REN_4,
            format!(
                "a scheduled change needs an active subscription with auto-renew on; subscription {id} is {} \
                 with auto-renew {}",
                s.status.as_str(),
                if s.auto_renew { "on" } else { "off" }
            ),
        )
        .with_details(details::StatusAndAutoRenew { status: s.status, auto_renew: s.auto_renew }));
    }
    let product_id = change.product_id.as_deref().unwrap_or(&s.product_id);
    let product = d.product(product_id, "product_id")?;
    if product_id != s.product_id {
        offer::check_path(d, s, product_id)?;
    }
    if let Some(q) = change.quantity {
        offer::check_quantity(product, q, "quantity")?;
    }
    // TRI-2: a trial's next term is the paid offer, P1Y billed monthly by default.
    let (current_term, current_billing) = if s.trial {
        (
            crate::calendar::Term::P1Y,
            crate::calendar::Billing::Monthly,
        )
    } else {
        (current_term, s.billing)
    };
    let term = change.term.unwrap_or(current_term);
    let billing = change.billing.unwrap_or(current_billing);
    offer::plan_price(product, Some(term), billing, "billing")?;
    if let Some(coterm) = change.coterm_date {
        let next_start = day_after(end).date_naive();
        let natural_end = term_end_date(next_start, term);
        if coterm < next_start || coterm > natural_end {
            return Err(Rejection::invalid(
                rules::REN_4,
                "coterm_date",
                format!(
                    "coterm_date {coterm} must fall within the next term, {next_start} to {natural_end}"
                ),
            )
            .with_details(details::NextTerm { next_term_start: next_start, next_term_end: natural_end }));
        }
    }
    Ok(())
}
