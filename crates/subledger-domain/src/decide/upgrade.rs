//! Upgrades (UPG-1..9): full in place, partial into a new coterminous subscription,
//! or into an existing one; now or at the end of the term.

use super::addons::{self, SeatDelta};
use super::purchase::{plan_price, tax_inclusive};
use super::{Decision, Use};
use crate::actor::Action;
use crate::billing;
use crate::command::{Command, ScheduledChange, UpgradeTiming};
use crate::event::{
    BillingReason, CancelReason, ClearReason, EventData, Origin, SubscriptionCreated, UpgradeMode,
};
use crate::rejection::Rejection;
use crate::state::{Status, Subscription};

/// UPG-1/2: the target must be listed for the source's product and supported.
pub(super) fn check_path(
    d: &Decision<'_>,
    s: &Subscription,
    target_product_id: &str,
) -> Result<(), Rejection> {
    d.product(target_product_id, "target_product_id")?;
    let source = d.product(&s.product_id, "subscription_id")?;
    if source
        .upgrade_unsupported
        .iter()
        .any(|p| p == target_product_id)
    {
        return Err(Rejection::rule(
            "UpgradePathUnsupported",
            "UPG-2",
            format!(
                "upgrading {} to {target_product_id} is not supported",
                s.product_id
            ),
        )
        .with("from_product_id", &s.product_id)
        .with("to_product_id", target_product_id));
    }
    if !source.upgrade_to.iter().any(|p| p == target_product_id) {
        return Err(Rejection::rule(
            "UpgradeNotAllowed",
            "UPG-1",
            format!(
                "{} cannot be upgraded to {target_product_id}; its upgrade targets are: {}",
                s.product_id,
                if source.upgrade_to.is_empty() {
                    "none".to_owned()
                } else {
                    source.upgrade_to.join(", ")
                }
            ),
        )
        .with("from_product_id", &s.product_id)
        .with("to_product_id", target_product_id)
        .with("upgrade_to", &source.upgrade_to));
    }
    Ok(())
}

pub(super) fn decide(d: &mut Decision<'_>, command: &Command) -> Result<(), Rejection> {
    let Command::Upgrade {
        subscription_id: id,
        target_product_id,
        quantity,
        target_subscription_id,
        term,
        billing: billing_plan,
        timing,
    } = command
    else {
        unreachable!("upgrade::decide is only called for Upgrade")
    };
    let (id, quantity) = (*id, *quantity);
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if s.trial || s.status != Status::Active {
        return Err(Rejection::rule(
            "UpgradeNotAllowed",
            "UPG-1",
            format!(
                "only an active, paid subscription can be upgraded; subscription {id} is {}{}",
                s.status.as_str(),
                if s.trial {
                    " (a trial: convert it first)"
                } else {
                    ""
                }
            ),
        )
        .with("status", s.status)
        .with("trial", s.trial));
    }
    check_path(d, s, target_product_id)?;
    let target_product = d.product(target_product_id, "target_product_id")?;
    if quantity == 0 || quantity > s.quantity {
        return Err(Rejection::invalid(
            "UPG-3",
            "quantity",
            format!(
                "an upgrade moves 1 to {} seats (the source's quantity); {quantity} were asked",
                s.quantity
            ),
        )
        .with("source_quantity", s.quantity));
    }

    if *timing == UpgradeTiming::EndOfTerm {
        // UPG-7: an end-of-term upgrade is a scheduled change (REN-4).
        if target_subscription_id.is_some() {
            return Err(Rejection::invalid(
                "UPG-7",
                "target_subscription_id",
                "an end-of-term upgrade changes this subscription's next term; it cannot name a target subscription",
            ));
        }
        let change = ScheduledChange {
            product_id: Some(target_product_id.clone()),
            quantity: (quantity != s.quantity).then_some(quantity),
            term: *term,
            billing: *billing_plan,
            coterm_date: None,
        };
        super::lifecycle::check_schedulable(d, s, &change)?;
        d.emit(EventData::ScheduledChangeSet {
            subscription_id: id,
            change,
        });
        return Ok(());
    }

    let today = d.today();
    let full = quantity == s.quantity;
    // Seats leave the source's product and arrive in the target's (PUR-6/7).
    addons::check(
        d,
        &[
            SeatDelta {
                product_id: s.product_id.clone(),
                seats: -i64::from(quantity),
            },
            SeatDelta {
                product_id: target_product_id.clone(),
                seats: i64::from(quantity),
            },
        ],
    )?;
    let clear = s.scheduled_change.is_some();

    if let Some(target_id) = target_subscription_id {
        // UPG-5: into an existing subscription of the target product.
        let t = d.own_subscription(*target_id)?;
        if t.subscription_id == id || t.product_id != *target_product_id {
            return Err(Rejection::invalid(
                "UPG-5",
                "target_subscription_id",
                format!("subscription {target_id} is not a subscription of {target_product_id}"),
            ));
        }
        if t.status != Status::Active || t.trial {
            return Err(Rejection::rule(
                "UpgradeTargetNotActive",
                "UPG-5",
                format!(
                    "target subscription {target_id} is {}; it must be active and paid",
                    t.status.as_str()
                ),
            )
            .with("status", t.status));
        }
        if let Some(until) = t.cancellation_allowed_until
            && d.now() < until
        {
            return Err(Rejection::rule(
                "UpgradeTargetInCancellationWindow",
                "UPG-5",
                format!("target subscription {target_id} is still inside its cancellation window, until {until}"),
            )
            .with("window_closes_at", until));
        }
        if t.term != s.term {
            return Err(Rejection::rule(
                "UpgradeTargetTermMismatch",
                "UPG-5",
                format!(
                    "target subscription {target_id} has term {}, the source {}: the terms must match",
                    t.term.map(|x| x.to_string()).unwrap_or_default(),
                    s.term.map(|x| x.to_string()).unwrap_or_default()
                ),
            )
            .with("target_term", t.term)
            .with("source_term", s.term));
        }
        if t.term_end_date < s.term_end_date {
            return Err(Rejection::rule(
                "UpgradeTargetEndsEarlier",
                "UPG-5",
                format!(
                    "target subscription {target_id} ends on {}, before the source's end {}",
                    t.term_end_date.map(|x| x.to_string()).unwrap_or_default(),
                    s.term_end_date.map(|x| x.to_string()).unwrap_or_default()
                ),
            )
            .with("target_term_end_date", t.term_end_date)
            .with("source_term_end_date", s.term_end_date));
        }
        // PUR-2: the target's quantity stays within its product's bounds.
        super::purchase::check_quantity(
            target_product,
            t.quantity.saturating_add(quantity),
            "quantity",
        )?;
        let credit = billing::unused_credit(s, quantity, today, BillingReason::UpgradeSource);
        let charge = billing::unused_days_charge(
            t,
            &t.unit_price,
            quantity,
            today,
            BillingReason::UpgradeTarget,
        );
        if clear {
            d.emit(EventData::ScheduledChangeCleared {
                subscription_id: id,
                reason: ClearReason::Upgraded,
            });
        }
        d.emit(EventData::SubscriptionUpgraded {
            subscription_id: id,
            target_subscription_id: t.subscription_id,
            mode: UpgradeMode::IntoExisting,
            from_product_id: s.product_id.clone(),
            to_product_id: target_product_id.clone(),
            to_product_name: target_product.name.clone(),
            seats_moved: quantity,
            source_quantity_after: s.quantity - quantity,
            unit_price: t.unit_price.clone(),
        });
        d.emit_line(credit);
        d.emit_line(charge);
        if t.scheduled_change.is_some() {
            // REN-5: the target's quantity changed mid-term.
            d.emit(EventData::ScheduledChangeCleared {
                subscription_id: t.subscription_id,
                reason: ClearReason::QuantityChanged,
            });
        }
        if full {
            // UPG-5 ruling: the source is left with no seats and closes as cancelled.
            d.emit(EventData::SubscriptionCancelled {
                subscription_id: id,
                reason: CancelReason::UpgradedAway,
                keys_revoked: s.has_keys,
            });
        }
        return Ok(());
    }

    // PUR-2: the upgraded seats stay within the target product's bounds.
    super::purchase::check_quantity(target_product, quantity, "quantity")?;
    let term_wanted = term.or(s.term);
    if term_wanted != s.term {
        return Err(Rejection::invalid(
            "UPG-4",
            "term",
            format!(
                "upgraded seats keep the source's term {} (they are coterminous with it)",
                s.term.map(|x| x.to_string()).unwrap_or_default()
            ),
        ));
    }
    if full {
        // UPG-3: in place; the subscription id stays and every seat moves.
        if billing_plan.is_some_and(|b| b != s.billing) {
            return Err(Rejection::invalid(
                "UPG-3",
                "billing",
                format!(
                    "a full upgrade in place keeps the billing plan {}",
                    s.billing
                ),
            ));
        }
        let price = plan_price(target_product, s.term, s.billing, "target_product_id")?;
        let credit = billing::unused_credit(s, quantity, today, BillingReason::UpgradeSource);
        let charge =
            billing::unused_days_charge(s, &price, quantity, today, BillingReason::UpgradeTarget);
        if clear {
            d.emit(EventData::ScheduledChangeCleared {
                subscription_id: id,
                reason: ClearReason::Upgraded,
            });
        }
        d.emit(EventData::SubscriptionUpgraded {
            subscription_id: id,
            target_subscription_id: id,
            mode: UpgradeMode::InPlace,
            from_product_id: s.product_id.clone(),
            to_product_id: target_product_id.clone(),
            to_product_name: target_product.name.clone(),
            seats_moved: quantity,
            source_quantity_after: s.quantity,
            unit_price: price,
        });
        d.emit_line(credit);
        d.emit_line(charge.map(|mut c| {
            c.line.product_id = target_product_id.clone();
            c
        }));
        return Ok(());
    }

    // UPG-4: partial, into a new subscription coterminous with the source.
    let billing_wanted = billing_plan.unwrap_or(s.billing);
    let price = plan_price(target_product, s.term, billing_wanted, "billing")?;
    let new_id = d.derived_id("upgrade/subscription");
    let country = d
        .state
        .customer
        .as_ref()
        .map(|c| c.country.as_str())
        .unwrap_or("");
    let created = SubscriptionCreated {
        subscription_id: new_id,
        customer_id: s.customer_id,
        partner_id: s.partner_id,
        reseller_id: s.reseller_id,
        origin: Origin::Upgrade {
            source_subscription_id: id,
        },
        product_id: target_product.product_id.clone(),
        product_name: target_product.name.clone(),
        kind: target_product.kind,
        addon_of: target_product.requires_any_of.clone(),
        quantity,
        trial: false,
        term: s.term,
        billing: billing_wanted,
        unit_price: price.clone(),
        tax_inclusive: tax_inclusive(target_product, country),
        auto_renew: s.auto_renew,
        promotion_id: None,
        term_start: d.now(),
        billing_anchor: s.billing_anchor,
        term_end_date: s.term_end_date,
        // UPG-6: no cancellation window, no reducible seats.
        cancellation_allowed_until: None,
        seat_batch: None,
        cancellable: target_product.cancellable,
        has_keys: target_product.has_keys,
        legacy_software: false,
    };
    let new_sub = Subscription::from_created(&created, d.now());
    let credit = billing::unused_credit(s, quantity, today, BillingReason::UpgradeSource);
    let charge = billing::unused_days_charge(
        &new_sub,
        &price,
        quantity,
        today,
        BillingReason::UpgradeTarget,
    );
    if clear {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: id,
            reason: ClearReason::Upgraded,
        });
    }
    d.emit(EventData::SubscriptionCreated(created));
    d.emit(EventData::SubscriptionUpgraded {
        subscription_id: id,
        target_subscription_id: new_id,
        mode: UpgradeMode::NewSubscription,
        from_product_id: s.product_id.clone(),
        to_product_id: target_product_id.clone(),
        to_product_name: target_product.name.clone(),
        seats_moved: quantity,
        source_quantity_after: s.quantity - quantity,
        unit_price: price,
    });
    d.emit_line(credit);
    d.emit_line(charge);
    Ok(())
}
