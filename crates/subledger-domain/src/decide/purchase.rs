//! Purchase: an order of one or more line items, all accepted or none (PUR-1..13).

use std::collections::BTreeSet;

use super::Decision;
use super::addons::{self, SeatDelta};
use crate::actor::Action;
use crate::billing;
use crate::calendar::{Billing, Term, term_end_date};
use crate::catalog::{Product, ProductKind};
use crate::command::{Command, PurchaseItem};
use crate::event::{BillingReason, EventData, OrderLine, Origin, SeatBatch, SubscriptionCreated};
use crate::money::Money;
pub use crate::policy::{
    MAX_ADDITIONAL_RESELLERS, MAX_SEATS, SEVEN_DAYS, TRIAL_SEATS, cancellation_window,
    legacy_software_cutoff, tax_inclusive,
};
use crate::rejection::Rejection;
use crate::state::{Status, Subscription};

/// PUR-2: a seat count is at least 1, within the product's bounds and sane.
pub(super) fn check_quantity(
    product: &Product,
    quantity: u32,
    field: &str,
) -> Result<(), Rejection> {
    if quantity == 0 || quantity > MAX_SEATS {
        return Err(Rejection::invalid(
            "PUR-2",
            field,
            format!("{field} must be an integer from 1 to {MAX_SEATS}; got {quantity}"),
        ));
    }
    let min = product.min_quantity.unwrap_or(1);
    let max = product.max_quantity.unwrap_or(MAX_SEATS);
    if quantity < min || quantity > max {
        return Err(Rejection::rule(
            "QuantityOutOfRange",
            "PUR-2",
            format!(
                "{} takes {min} to {max} seats per subscription; {quantity} were asked",
                product.product_id
            ),
        )
        .with("field", field)
        .with("min", min)
        .with("max", max)
        .with("requested", quantity));
    }
    Ok(())
}

/// PUR-3: the term and billing plan must be offered for the product (CAT-1).
pub(super) fn plan_price(
    product: &Product,
    term: Option<Term>,
    billing: Billing,
    field: &str,
) -> Result<Money, Rejection> {
    match product.plan(term, billing) {
        Some(plan) => Ok(plan.unit_price.clone()),
        None => {
            let offered: Vec<String> = product
                .plans
                .iter()
                .map(|p| {
                    format!(
                        "{}/{}",
                        p.term
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "none".into()),
                        p.billing
                    )
                })
                .collect();
            Err(Rejection::rule(
                "PlanNotOffered",
                "PUR-3",
                format!(
                    "{} is not offered as {}/{}; it is offered as {}",
                    product.product_id,
                    term.map(|t| t.to_string()).unwrap_or_else(|| "none".into()),
                    billing,
                    offered.join(", ")
                ),
            )
            .with("field", field)
            .with("offered", offered))
        }
    }
}

pub(super) fn decide(d: &mut Decision<'_>, command: &Command) -> Result<(), Rejection> {
    let Command::Purchase {
        customer_id,
        order_id,
        items,
        reseller_id,
        additional_resellers,
    } = command
    else {
        unreachable!("purchase::decide is only called for Purchase")
    };
    d.require(Action::Manage)?;
    let customer = d.related_customer(*customer_id)?;
    let partner_id = d.partner_id();
    if items.is_empty() {
        return Err(Rejection::invalid(
            "PUR-13",
            "items",
            "an order needs at least one line item",
        ));
    }
    if items.len() > 100 {
        return Err(Rejection::invalid(
            "PUR-13",
            "items",
            format!("an order holds at most 100 line items; got {}", items.len()),
        ));
    }
    if additional_resellers.len() > MAX_ADDITIONAL_RESELLERS {
        return Err(Rejection::rule(
            "TooManyResellers",
            "PUR-8",
            format!(
                "an order may name at most {MAX_ADDITIONAL_RESELLERS} additional resellers; {} were given",
                additional_resellers.len()
            ),
        )
        .with("limit", MAX_ADDITIONAL_RESELLERS)
        .with("given", additional_resellers.len()));
    }
    let mut resellers = BTreeSet::new();
    if additional_resellers
        .iter()
        .chain(reseller_id.iter())
        .any(|r| !resellers.insert(*r))
    {
        return Err(Rejection::invalid(
            "PUR-8",
            "additional_resellers",
            "a reseller is named twice (the indirect reseller may not be repeated among the additional ones)",
        ));
    }
    let order_id = order_id.unwrap_or_else(|| d.derived_id("order"));
    if d.state.orders.contains_key(&order_id) {
        return Err(Rejection::invalid(
            "PUR-13",
            "order_id",
            format!("order {order_id} already exists"),
        ));
    }

    let now = d.now();
    let today = d.today();
    let legacy = now < legacy_software_cutoff();
    let mut ids = BTreeSet::new();
    let mut lines = Vec::with_capacity(items.len());
    let mut created = Vec::with_capacity(items.len());
    let mut deltas = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |f: &str| format!("items[{i}].{f}");
        let product = d.product(&item.product_id, &field("product_id"))?;
        check_item(item, product, i)?;
        let quantity = item.quantity;
        check_quantity(product, quantity, &field("quantity"))?;
        let mut unit_price = plan_price(product, item.term, item.billing, &field("term"))?;
        if product.kind == ProductKind::AzureReservation
            && d.catalog.reservation_unavailable_in(&customer.country)
        {
            return Err(Rejection::rule(
                "UnavailableInMarket",
                "PUR-5",
                format!(
                    "{} is an Azure reservation, not sold in the customer's market {}",
                    product.product_id, customer.country
                ),
            )
            .with("product_id", &product.product_id)
            .with("market", &customer.country));
        }
        if product.one_per_customer {
            one_per_customer(d, product, items, i)?;
        }
        let subscription_id = match item.subscription_id {
            Some(id) => id,
            None => d.derived_id(&format!("subscription/{i}")),
        };
        if d.state.subscriptions.contains_key(&subscription_id) || !ids.insert(subscription_id) {
            return Err(Rejection::invalid(
                "PUR-13",
                &field("subscription_id"),
                format!("subscription {subscription_id} already exists"),
            ));
        }
        if item.trial {
            unit_price = Money::zero(unit_price.currency);
        }
        let legacy_software = legacy && product.kind == ProductKind::SoftwareSubscription;
        let has_term = item.term.is_some();
        let auto_renew = item.auto_renew && has_term && !legacy_software;
        let term_end = item.term.map(|t| term_end_date(today, t));
        let seat_batch =
            (!item.trial && product.kind != ProductKind::PerpetualSoftware).then(|| SeatBatch {
                seats: quantity,
                added_at: now,
                refundable_until: now + SEVEN_DAYS,
            });
        let cancellation_allowed_until = (!item.trial && product.cancellable)
            .then(|| cancellation_window(product.kind, item.billing, now));
        let c = SubscriptionCreated {
            subscription_id,
            customer_id: *customer_id,
            partner_id,
            reseller_id: *reseller_id,
            origin: Origin::Purchase { order_id },
            product_id: product.product_id.clone(),
            product_name: product.name.clone(),
            kind: product.kind,
            addon_of: product.requires_any_of.clone(),
            quantity,
            trial: item.trial,
            term: item.term,
            billing: item.billing,
            unit_price: unit_price.clone(),
            tax_inclusive: tax_inclusive(product, &customer.country),
            auto_renew,
            promotion_id: item.promotion_id.clone(),
            term_start: now,
            billing_anchor: today,
            term_end_date: term_end,
            cancellation_allowed_until,
            seat_batch,
            cancellable: product.cancellable,
            has_keys: product.has_keys,
            legacy_software,
        };
        lines.push(OrderLine {
            subscription_id,
            product_id: product.product_id.clone(),
            product_name: product.name.clone(),
            quantity,
            term: item.term,
            billing: item.billing,
            trial: item.trial,
            auto_renew,
            promotion_id: item.promotion_id.clone(),
            unit_price,
        });
        deltas.push(SeatDelta {
            product_id: product.product_id.clone(),
            seats: i64::from(quantity),
        });
        created.push(c);
    }
    addons::check(d, &deltas)?;

    d.emit(EventData::OrderPlaced {
        order_id,
        customer_id: *customer_id,
        partner_id,
        reseller_id: *reseller_id,
        additional_resellers: additional_resellers.clone(),
        lines,
    });
    for c in created {
        let sub = Subscription::from_created(&c, now);
        d.emit(EventData::SubscriptionCreated(c));
        d.emit_line(first_charge(&sub, today, BillingReason::Purchase));
    }
    Ok(())
}

/// The charge raised when a subscription starts (BIL-2, BIL-7); none for trials.
pub(crate) fn first_charge(
    sub: &Subscription,
    today: chrono::NaiveDate,
    reason: BillingReason,
) -> Option<billing::Line> {
    if sub.trial {
        return None;
    }
    match billing::current_period(sub, today) {
        Some(period) => Some(billing::period_charge(sub, period, reason)),
        None if sub.kind == ProductKind::PerpetualSoftware => {
            Some(billing::one_time_charge(sub, today))
        }
        None => None,
    }
}

/// PUR-12 and TRI-1: trials only where offered, with 25 seats for a month.
fn check_item(item: &PurchaseItem, product: &Product, i: usize) -> Result<(), Rejection> {
    if item.trial {
        if !product.trial {
            return Err(Rejection::rule(
                "TrialNotOffered",
                "PUR-12",
                format!("{} has no trial offer", product.product_id),
            )
            .with("field", format!("items[{i}].trial"))
            .with("product_id", &product.product_id));
        }
        if item.quantity != TRIAL_SEATS
            || item.term != Some(Term::P1M)
            || item.billing != Billing::Monthly
        {
            return Err(Rejection::invalid(
                "TRI-1",
                &format!("items[{i}]"),
                format!(
                    "a trial has {TRIAL_SEATS} seats, term P1M, billed monthly (at no charge); got {} seats, {}/{}",
                    item.quantity,
                    item.term
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "none".into()),
                    item.billing
                ),
            ));
        }
    }
    Ok(())
}

/// PUR-4: one active subscription per customer; a suspended one is to be reactivated.
fn one_per_customer(
    d: &Decision<'_>,
    product: &Product,
    items: &[PurchaseItem],
    i: usize,
) -> Result<(), Rejection> {
    let existing = d
        .state
        .live_subscriptions()
        .find(|s| s.product_id == product.product_id);
    if let Some(s) = existing {
        // GEN-2: another partner's subscription is counted, never named.
        let own = s.partner_id == d.partner_id();
        let named = if own {
            format!(" (subscription {})", s.subscription_id)
        } else {
            " through another partner".to_owned()
        };
        let rejection = if s.status == Status::Suspended {
            Rejection::rule(
                "OnePerCustomerSuspended",
                "PUR-4",
                format!(
                    "the customer already has {}{named}, suspended: reactivate it instead of buying another",
                    product.product_id
                ),
            )
        } else {
            Rejection::rule(
                "OnePerCustomer",
                "PUR-4",
                format!(
                    "{} is limited to one per customer, and the customer already has one{named}",
                    product.product_id
                ),
            )
        }
        .with("product_id", &product.product_id);
        return Err(if own {
            rejection.with("existing_subscription_id", s.subscription_id)
        } else {
            rejection
        });
    }
    if items[..i]
        .iter()
        .any(|it| it.product_id == product.product_id)
    {
        return Err(Rejection::rule(
            "OnePerCustomer",
            "PUR-4",
            format!(
                "{} is limited to one per customer; the order lists it twice",
                product.product_id
            ),
        )
        .with("product_id", &product.product_id));
    }
    Ok(())
}
