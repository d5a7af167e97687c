//! Suspend and reactivate (SUS), auto-renew and scheduled changes (REN-3..5), and
//! cancellation (CAN).

use uuid::Uuid;

use super::addons::{self, SeatDelta};
use super::{Decision, Use, refuse_trial};
use crate::actor::Action;
use crate::billing;
use crate::calendar::{day_after, term_end_date};
use crate::catalog::ProductKind;
use crate::command::{Command, ScheduledChange};
use crate::event::{BillingReason, CancelReason, ClearReason, EventData};
use crate::rejection::Rejection;
use crate::state::{Status, Subscription};

/// SUS-1/2/3/5: suspend an active subscription, and the add-ons that hang on it.
pub(super) fn suspend(d: &mut Decision<'_>, id: Uuid) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if s.trial {
        return Err(Rejection::rule(
            "TrialNotModifiable",
            "SUS-5",
            format!("subscription {id} is a trial: trials cannot be suspended"),
        ));
    }
    if s.status == Status::Suspended {
        return Err(Rejection::rule(
            "AlreadySuspended",
            "SUS-1",
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
pub(super) fn reactivate(d: &mut Decision<'_>, id: Uuid) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if s.trial {
        return Err(Rejection::rule(
            "TrialNotModifiable",
            "SUS-5",
            format!("subscription {id} is a trial: trials cannot be reactivated"),
        ));
    }
    if s.status != Status::Suspended {
        return Err(Rejection::rule(
            "NotSuspended",
            "SUS-4",
            format!("subscription {id} is {}, not suspended", s.status.as_str()),
        )
        .with("status", s.status));
    }
    if let Some(ends) = s.term_ends_at()
        && d.now() >= ends
    {
        return Err(Rejection::rule(
            "SubscriptionExpired",
            "SUS-4",
            format!("subscription {id} was not reactivated by the end of its term; it has expired"),
        )
        .with("term_end_date", s.term_end_date)
        .with("data_deleted", true));
    }
    d.emit(EventData::SubscriptionReactivated {
        subscription_id: id,
    });
    Ok(())
}

/// PUR-9, REN-3/5: turn auto-renew on or off.
pub(super) fn set_auto_renew(
    d: &mut Decision<'_>,
    id: Uuid,
    enabled: bool,
) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if enabled {
        if s.term.is_none() {
            return Err(Rejection::rule(
                "AutoRenewUnavailable",
                "REN-1",
                format!("subscription {id} has no term to renew"),
            ));
        }
        if s.legacy_software {
            return Err(Rejection::rule(
                "AutoRenewUnavailable",
                "REN-3",
                format!("subscription {id} is software bought before 2021-10-14, which never auto-renews"),
            )
            .with("purchased_at", s.created_at));
        }
        if s.status == Status::Suspended {
            return Err(Rejection::rule(
                "SubscriptionSuspended",
                "REN-6",
                format!("subscription {id} is suspended: it expires at its end date unless reactivated first"),
            )
            .with("status", s.status));
        }
        if s.cancel_at_term_end {
            return Err(Rejection::rule(
                "CancellationScheduled",
                "CAN-3",
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

/// REN-4: set, replace or clear the next-term instructions.
pub(super) fn scheduled_change(d: &mut Decision<'_>, command: &Command) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    match command {
        Command::ClearScheduledChange { subscription_id } => {
            let s = d.open_subscription(*subscription_id, Use::Change)?;
            if s.scheduled_change.is_none() {
                return Err(Rejection::rule(
                    "NoScheduledChange",
                    "REN-4",
                    format!("subscription {subscription_id} has no scheduled change to clear"),
                ));
            }
            d.emit(EventData::ScheduledChangeCleared {
                subscription_id: *subscription_id,
                reason: ClearReason::Requested,
            });
            Ok(())
        }
        Command::ScheduleChange {
            subscription_id,
            product_id,
            quantity,
            term,
            billing,
            coterm_date,
        } => {
            let change = ScheduledChange {
                product_id: product_id.clone(),
                quantity: *quantity,
                term: *term,
                billing: *billing,
                coterm_date: *coterm_date,
            };
            let s = d.open_subscription(*subscription_id, Use::Change)?;
            check_schedulable(d, s, &change)?;
            d.emit(EventData::ScheduledChangeSet {
                subscription_id: *subscription_id,
                change,
            });
            Ok(())
        }
        _ => unreachable!("scheduled_change is only called for scheduled-change commands"),
    }
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
            "REN-4",
            "product_id",
            "a scheduled change sets at least one of product_id, quantity, term, billing, coterm_date",
        ));
    }
    let (Some(current_term), Some(end)) = (s.term, s.term_end_date) else {
        return Err(Rejection::rule(
            "ScheduledChangeNotAllowed",
            "REN-4",
            format!("subscription {id} has no term, so no next term to change"),
        ));
    };
    if s.status != Status::Active || !s.auto_renew {
        return Err(Rejection::rule(
            "ScheduledChangeNotAllowed",
            "REN-4",
            format!(
                "a scheduled change needs an active subscription with auto-renew on; subscription {id} is {} \
                 with auto-renew {}",
                s.status.as_str(),
                if s.auto_renew { "on" } else { "off" }
            ),
        )
        .with("status", s.status)
        .with("auto_renew", s.auto_renew));
    }
    let product_id = change.product_id.as_deref().unwrap_or(&s.product_id);
    let product = d.product(product_id, "product_id")?;
    if product_id != s.product_id {
        super::upgrade::check_path(d, s, product_id)?;
    }
    if let Some(q) = change.quantity {
        super::purchase::check_quantity(product, q, "quantity")?;
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
    super::purchase::plan_price(product, Some(term), billing, "billing")?;
    if let Some(coterm) = change.coterm_date {
        let next_start = day_after(end).date_naive();
        let natural_end = term_end_date(next_start, term);
        if coterm < next_start || coterm > natural_end {
            return Err(Rejection::invalid(
                "REN-4",
                "coterm_date",
                format!(
                    "coterm_date {coterm} must fall within the next term, {next_start} to {natural_end}"
                ),
            )
            .with("next_term_start", next_start)
            .with("next_term_end", natural_end));
        }
    }
    Ok(())
}

/// CAN-1..6: cancel at once with a credit, schedule a marketplace cancellation, or refuse.
pub(super) fn cancel(d: &mut Decision<'_>, id: Uuid) -> Result<(), Rejection> {
    d.require(Action::Cancel)?;
    let s = d.open_subscription(id, Use::Change)?;
    refuse_trial(s, "cancelling")?;
    if !s.cancellable {
        return Err(Rejection::rule(
            "NotCancellable",
            "CAN-4",
            format!(
                "{} ({}) can never be cancelled",
                s.product_name, s.product_id
            ),
        )
        .with("product_id", &s.product_id));
    }
    let now = d.now();
    let today = d.today();
    let in_window = s
        .cancellation_allowed_until
        .is_some_and(|until| now < until);
    match s.kind {
        ProductKind::MarketplaceSaas if !in_window => {
            // CAN-3: past the early window the cancellation waits for the term's end.
            if s.cancel_at_term_end {
                return Err(Rejection::rule(
                    "CancellationAlreadyScheduled",
                    "CAN-3",
                    format!("subscription {id} is already scheduled to be cancelled at the end of its term"),
                )
                .with("effective_at", s.term_ends_at()));
            }
            let Some(effective_at) = s.term_ends_at() else {
                return Err(Rejection::rule(
                    "CancellationWindowClosed",
                    "CAN-3",
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
        _ if !in_window => {
            let rule = if s.kind == ProductKind::PerpetualSoftware {
                "CAN-2"
            } else {
                "CAN-1"
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
            Err(Rejection::rule("CancellationWindowClosed", rule, message)
                .with("window_closed_at", s.cancellation_allowed_until)
                .with("now", now))
        }
        _ => {
            addons::check(
                d,
                &[SeatDelta {
                    product_id: s.product_id.clone(),
                    seats: -i64::from(s.quantity),
                }],
            )?;
            let credit = match s.kind {
                // CAN-2, CAN-3, BIL-7: a full refund.
                ProductKind::PerpetualSoftware | ProductKind::MarketplaceSaas => {
                    Some(billing::full_credit(s, today, BillingReason::Cancelled))
                }
                // CAN-1, BIL-4: the unused days.
                _ => billing::unused_credit(s, s.quantity, today, BillingReason::Cancelled),
            };
            d.emit(EventData::SubscriptionCancelled {
                subscription_id: id,
                reason: CancelReason::Requested,
                keys_revoked: s.has_keys,
            });
            d.emit_line(credit);
            Ok(())
        }
    }
}
