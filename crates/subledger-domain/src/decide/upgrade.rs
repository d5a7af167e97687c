//! Upgrades (UPG-1..9): full in place, partial into a new coterminous subscription,
//! or into an existing one; now or at the end of the term.

use uuid::Uuid;

use super::addons::{self, SeatDelta};
use super::details;
use super::{Decision, Use, offer, schedule};
use crate::actor::Action;
use crate::billing;
use crate::catalog::Product;
use crate::command::{ScheduledChange, Upgrade, UpgradeTiming};
use crate::event::{
    BillingReason, CancelReason, ClearReason, EventData, Origin, SubscriptionCreated, UpgradeMode,
};
use crate::policy::tax_inclusive;
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::{Status, Subscription};

pub(super) fn decide(d: &mut Decision<'_>, command: &Upgrade) -> Result<(), Rejection> {
    let (id, quantity) = (command.subscription_id, command.quantity);
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    check_upgradable(s)?;
    offer::check_path(d, s, &command.target_product_id)?;
    let target_product = d.product(&command.target_product_id, "target_product_id")?;
    if quantity == 0 || quantity > s.quantity {
        return Err(Rejection::invalid(
            rules::UPG_3,
            "quantity",
            format!(
                "an upgrade moves 1 to {} seats (the source's quantity); {quantity} were asked",
                s.quantity
            ),
        )
        .with("source_quantity", s.quantity));
    }
    if command.timing == UpgradeTiming::EndOfTerm {
        return at_end_of_term(d, command, s);
    }
    // Seats leave the source's product and arrive in the target's (PUR-6/7).
    addons::check(
        d,
        &[
            SeatDelta {
                product_id: s.product_id.clone(),
                seats: -i64::from(quantity),
            },
            SeatDelta {
                product_id: command.target_product_id.clone(),
                seats: i64::from(quantity),
            },
        ],
    )?;
    let upgrade = Moving {
        command,
        source: s,
        target_product,
    };
    if let Some(target_id) = command.target_subscription_id {
        return into_existing(d, &upgrade, target_id);
    }
    // PUR-2: the upgraded seats stay within the target product's bounds.
    offer::check_quantity(target_product, quantity, "quantity")?;
    let term_wanted = command.term.or(s.term);
    if term_wanted != s.term {
        return Err(Rejection::invalid(
            rules::UPG_4,
            "term",
            format!(
                "upgraded seats keep the source's term {} (they are coterminous with it)",
                s.term.map(|x| x.to_string()).unwrap_or_default()
            ),
        ));
    }
    if quantity == s.quantity {
        in_place(d, &upgrade)
    } else {
        into_new(d, &upgrade)
    }
}

/// An upgrade that moves seats now: the command, its source and target product.
struct Moving<'a> {
    command: &'a Upgrade,
    source: &'a Subscription,
    target_product: &'a Product,
}

impl Moving<'_> {
    /// The source's seats all move (UPG-3, UPG-5 ruling).
    fn full(&self) -> bool {
        self.command.quantity == self.source.quantity
    }

    /// The `SubscriptionUpgraded` event of this upgrade.
    fn upgraded(
        &self,
        target_subscription_id: Uuid,
        mode: UpgradeMode,
        unit_price: crate::money::Money,
    ) -> EventData {
        let (s, quantity) = (self.source, self.command.quantity);
        EventData::SubscriptionUpgraded {
            subscription_id: s.subscription_id,
            target_subscription_id,
            mode,
            from_product_id: s.product_id.clone(),
            to_product_id: self.command.target_product_id.clone(),
            to_product_name: self.target_product.name.clone(),
            seats_moved: quantity,
            source_quantity_after: if mode == UpgradeMode::InPlace {
                s.quantity
            } else {
                s.quantity - quantity
            },
            unit_price,
        }
    }
}

/// UPG-1: only an active, paid subscription is upgraded.
fn check_upgradable(s: &Subscription) -> Result<(), Rejection> {
    if s.trial || s.status != Status::Active {
        return Err(Rejection::rule(
            RejectionCode::UpgradeNotAllowed,
            rules::UPG_1,
            format!(
                "only an active, paid subscription can be upgraded; subscription {} is {}{}",
                s.subscription_id,
                s.status.as_str(),
                if s.trial {
                    " (a trial: convert it first)"
                } else {
                    ""
                }
            ),
        )
        .with_details(details::StatusAndTrial {
            status: s.status,
            trial: s.trial,
        }));
    }
    Ok(())
}

/// UPG-7: an end-of-term upgrade is a scheduled change (REN-4).
fn at_end_of_term(
    d: &mut Decision<'_>,
    command: &Upgrade,
    s: &Subscription,
) -> Result<(), Rejection> {
    if command.target_subscription_id.is_some() {
        return Err(Rejection::invalid(
            rules::UPG_7,
            "target_subscription_id",
            "an end-of-term upgrade changes this subscription's next term; it cannot name a target subscription",
        ));
    }
    let change = ScheduledChange {
        product_id: Some(command.target_product_id.clone()),
        quantity: (command.quantity != s.quantity).then_some(command.quantity),
        term: command.term,
        billing: command.billing,
        coterm_date: None,
    };
    schedule::check_schedulable(d, s, &change)?;
    d.emit(EventData::ScheduledChangeSet {
        subscription_id: s.subscription_id,
        change,
    });
    Ok(())
}

/// An upgrade now replaces the source's next-term instructions (REN-5).
fn clear_source_change(d: &mut Decision<'_>, s: &Subscription) {
    if s.scheduled_change.is_some() {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: s.subscription_id,
            reason: ClearReason::Upgraded,
        });
    }
}

/// UPG-5: into an existing subscription of the target product.
fn into_existing(
    d: &mut Decision<'_>,
    upgrade: &Moving<'_>,
    target_id: Uuid,
) -> Result<(), Rejection> {
    let (s, quantity) = (upgrade.source, upgrade.command.quantity);
    let t = d.own_subscription(target_id)?;
    check_target(d, upgrade, t)?;
    // PUR-2: the target's quantity stays within its product's bounds.
    offer::check_quantity(
        upgrade.target_product,
        t.quantity.saturating_add(quantity),
        "quantity",
    )?;
    let today = d.today();
    let credit = billing::unused_credit(s, quantity, today, BillingReason::UpgradeSource);
    let charge = billing::unused_days_charge(
        t,
        &t.unit_price,
        quantity,
        today,
        BillingReason::UpgradeTarget,
    );
    clear_source_change(d, s);
    d.emit(upgrade.upgraded(
        t.subscription_id,
        UpgradeMode::IntoExisting,
        t.unit_price.clone(),
    ));
    d.emit_line(credit);
    d.emit_line(charge);
    if t.scheduled_change.is_some() {
        // REN-5: the target's quantity changed mid-term.
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: t.subscription_id,
            reason: ClearReason::QuantityChanged,
        });
    }
    if upgrade.full() {
        // UPG-5 ruling: the source is left with no seats and closes as cancelled.
        d.emit(EventData::SubscriptionCancelled {
            subscription_id: s.subscription_id,
            reason: CancelReason::UpgradedAway,
            keys_revoked: s.has_keys,
        });
    }
    Ok(())
}

/// UPG-5: the target is another active, paid subscription of the target product,
/// past its cancellation window, of the same term, ending no earlier.
fn check_target(d: &Decision<'_>, upgrade: &Moving<'_>, t: &Subscription) -> Result<(), Rejection> {
    let s = upgrade.source;
    let target_product_id = &upgrade.command.target_product_id;
    let target_id = t.subscription_id;
    if t.subscription_id == s.subscription_id || t.product_id != *target_product_id {
        return Err(Rejection::invalid(
            rules::UPG_5,
            "target_subscription_id",
            format!("subscription {target_id} is not a subscription of {target_product_id}"),
        ));
    }
    if t.status != Status::Active || t.trial {
        return Err(Rejection::rule(
            RejectionCode::UpgradeTargetNotActive,
            rules::UPG_5,
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
            RejectionCode::UpgradeTargetInCancellationWindow,
            rules::UPG_5,
            format!("target subscription {target_id} is still inside its cancellation window, until {until}"),
        )
        .with("window_closes_at", until));
    }
    if t.term != s.term {
        return Err(Rejection::rule(
            RejectionCode::UpgradeTargetTermMismatch,
            rules::UPG_5,
            format!(
                "target subscription {target_id} has term {}, the source {}: the terms must match",
                t.term.map(|x| x.to_string()).unwrap_or_default(),
                s.term.map(|x| x.to_string()).unwrap_or_default()
            ),
        )
        .with_details(details::TermMismatch {
            target_term: t.term,
            source_term: s.term,
        }));
    }
    if t.term_end_date < s.term_end_date {
        return Err(Rejection::rule(
            RejectionCode::UpgradeTargetEndsEarlier,
            rules::UPG_5,
            format!(
                "target subscription {target_id} ends on {}, before the source's end {}",
                t.term_end_date.map(|x| x.to_string()).unwrap_or_default(),
                s.term_end_date.map(|x| x.to_string()).unwrap_or_default()
            ),
        )
        .with_details(details::TargetEndsEarlier {
            target_term_end_date: t.term_end_date,
            source_term_end_date: s.term_end_date,
        }));
    }
    Ok(())
}

/// UPG-3: in place; the subscription id stays and every seat moves.
fn in_place(d: &mut Decision<'_>, upgrade: &Moving<'_>) -> Result<(), Rejection> {
    let (s, quantity) = (upgrade.source, upgrade.command.quantity);
    if upgrade.command.billing.is_some_and(|b| b != s.billing) {
        return Err(Rejection::invalid(
            rules::UPG_3,
            "billing",
            format!(
                "a full upgrade in place keeps the billing plan {}",
                s.billing
            ),
        ));
    }
    let price = offer::plan_price(
        upgrade.target_product,
        s.term,
        s.billing,
        "target_product_id",
    )?;
    let today = d.today();
    let credit = billing::unused_credit(s, quantity, today, BillingReason::UpgradeSource);
    let charge =
        billing::unused_days_charge(s, &price, quantity, today, BillingReason::UpgradeTarget);
    clear_source_change(d, s);
    d.emit(upgrade.upgraded(s.subscription_id, UpgradeMode::InPlace, price));
    d.emit_line(credit);
    d.emit_line(charge.map(|mut c| {
        c.line.product_id = upgrade.command.target_product_id.clone();
        c
    }));
    Ok(())
}

/// UPG-4: partial, into a new subscription coterminous with the source.
fn into_new(d: &mut Decision<'_>, upgrade: &Moving<'_>) -> Result<(), Rejection> {
    let (s, quantity) = (upgrade.source, upgrade.command.quantity);
    let target_product = upgrade.target_product;
    let billing_wanted = upgrade.command.billing.unwrap_or(s.billing);
    let price = offer::plan_price(target_product, s.term, billing_wanted, "billing")?;
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
            source_subscription_id: s.subscription_id,
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
    let today = d.today();
    let credit = billing::unused_credit(s, quantity, today, BillingReason::UpgradeSource);
    let charge = billing::unused_days_charge(
        &new_sub,
        &price,
        quantity,
        today,
        BillingReason::UpgradeTarget,
    );
    clear_source_change(d, s);
    d.emit(EventData::SubscriptionCreated(created));
    d.emit(upgrade.upgraded(new_id, UpgradeMode::NewSubscription, price));
    d.emit_line(credit);
    d.emit_line(charge);
    Ok(())
}
