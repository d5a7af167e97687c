//! Purchase: an order of one or more line items, all accepted or none (PUR-1..13).

use std::collections::BTreeSet;

use uuid::Uuid;

use super::addons::{self, SeatDelta};
use super::details;
use super::{Decision, offer};
use crate::actor::Action;
use crate::billing;
use crate::calendar::{Billing, Term, term_end_date};
use crate::catalog::{Product, ProductKind};
use crate::command::{Purchase, PurchaseItem};
use crate::event::{BillingReason, EventData, OrderLine, Origin, SeatBatch, SubscriptionCreated};
use crate::money::Money;
use crate::policy::{
    MAX_ADDITIONAL_RESELLERS, SEVEN_DAYS, TRIAL_SEATS, cancellation_window, legacy_software_cutoff,
    tax_inclusive,
};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::{Customer, Status, Subscription};

pub(super) fn decide(d: &mut Decision<'_>, command: &Purchase) -> Result<(), Rejection> {
    d.require(Action::Manage)?;
    let customer = d.related_customer(command.customer_id)?;
    let order_id = check_order(d, command)?;
    let now = d.now();
    let today = d.today();
    let mut ids = BTreeSet::new();
    let mut lines = Vec::with_capacity(command.items.len());
    let mut created = Vec::with_capacity(command.items.len());
    let mut deltas = Vec::new();
    for (i, item) in command.items.iter().enumerate() {
        let (product, unit_price) = check_line(d, customer, &command.items, i)?;
        let subscription_id = match item.subscription_id {
            Some(id) => id,
            None => d.derived_id(&format!("subscription/{i}")),
        };
        let field = format!("items[{i}].subscription_id");
        if !ids.insert(subscription_id) {
            return Err(Rejection::invalid(
                rules::PUR_13,
                &field,
                format!("subscription id {subscription_id} is given to two line items"),
            ));
        }
        // The same answer as for an id another customer holds (the app checks those).
        if d.state.subscriptions.contains_key(&subscription_id) {
            return Err(Rejection::id_already_used(
                rules::PUR_13,
                &field,
                "subscription",
                subscription_id,
            ));
        }
        let c = new_subscription(
            d,
            NewLine {
                command,
                order_id,
                subscription_id,
                item,
                product,
                unit_price,
                country: &customer.country,
            },
        );
        lines.push(OrderLine {
            subscription_id,
            product_id: c.product_id.clone(),
            product_name: c.product_name.clone(),
            quantity: c.quantity,
            term: c.term,
            billing: c.billing,
            trial: c.trial,
            auto_renew: c.auto_renew,
            promotion_id: c.promotion_id.clone(),
            unit_price: c.unit_price.clone(),
        });
        deltas.push(SeatDelta {
            product_id: product.product_id.clone(),
            seats: i64::from(item.quantity),
        });
        created.push(c);
    }
    addons::check(d, &deltas)?;

    d.emit(EventData::OrderPlaced {
        order_id,
        customer_id: command.customer_id,
        partner_id: d.partner_id(),
        reseller_id: command.reseller_id,
        additional_resellers: command.additional_resellers.clone(),
        lines,
    });
    for c in created {
        let sub = Subscription::from_created(&c, now);
        d.emit(EventData::SubscriptionCreated(c));
        d.emit_line(first_charge(&sub, today, BillingReason::Purchase));
    }
    Ok(())
}

/// PUR-13 and PUR-8: the order's shape, its resellers and its id; returns the id.
fn check_order(d: &Decision<'_>, command: &Purchase) -> Result<Uuid, Rejection> {
    let (items, additional_resellers) = (&command.items, &command.additional_resellers);
    if items.is_empty() {
        return Err(Rejection::invalid(
            rules::PUR_13,
            "items",
            "an order needs at least one line item",
        ));
    }
    if items.len() > 100 {
        return Err(Rejection::invalid(
            rules::PUR_13,
            "items",
            format!("an order holds at most 100 line items; got {}", items.len()),
        ));
    }
    if additional_resellers.len() > MAX_ADDITIONAL_RESELLERS {
        return Err(Rejection::rule(
            RejectionCode::TooManyResellers,
            rules::PUR_8,
            format!(
                "an order may name at most {MAX_ADDITIONAL_RESELLERS} additional resellers; {} were given",
                additional_resellers.len()
            ),
        )
        .with_details(details::ResellerLimit { limit: MAX_ADDITIONAL_RESELLERS, given: additional_resellers.len() }));
    }
    let mut resellers = BTreeSet::new();
    if additional_resellers
        .iter()
        .chain(command.reseller_id.iter())
        .any(|r| !resellers.insert(*r))
    {
        return Err(Rejection::invalid(
            rules::PUR_8,
            "additional_resellers",
            "a reseller is named twice (the indirect reseller may not be repeated among the additional ones)",
        ));
    }
    let order_id = command.order_id.unwrap_or_else(|| d.derived_id("order"));
    if d.state.orders.contains_key(&order_id) {
        let field = if command.order_id.is_some() {
            "order_id"
        } else {
            "command_id"
        };
        return Err(Rejection::id_already_used(
            rules::PUR_13,
            field,
            "order",
            order_id,
        ));
    }
    Ok(order_id)
}

/// The catalog's conditions for line item `i` (CAT-4, PUR-2..5, PUR-12, TRI-1);
/// returns its product and unit price.
fn check_line<'a>(
    d: &Decision<'a>,
    customer: &Customer,
    items: &[PurchaseItem],
    i: usize,
) -> Result<(&'a Product, Money), Rejection> {
    let item = &items[i];
    let field = |f: &str| format!("items[{i}].{f}");
    let product = d.product(&item.product_id, &field("product_id"))?;
    check_item(item, product, i)?;
    offer::check_quantity(product, item.quantity, &field("quantity"))?;
    let unit_price = offer::plan_price(product, item.term, item.billing, &field("term"))?;
    if product.kind == ProductKind::AzureReservation
        && d.catalog.reservation_unavailable_in(&customer.country)
    {
        return Err(Rejection::rule(
            RejectionCode::UnavailableInMarket,
            rules::PUR_5,
            format!(
                "{} is an Azure reservation, not sold in the customer's market {}",
                product.product_id, customer.country
            ),
        )
        .with_details(details::Market {
            product_id: &product.product_id,
            market: &customer.country,
        }));
    }
    if product.one_per_customer {
        one_per_customer(d, product, items, i)?;
    }
    Ok((product, unit_price))
}

/// What one accepted line item becomes.
struct NewLine<'a> {
    command: &'a Purchase,
    order_id: Uuid,
    subscription_id: Uuid,
    item: &'a PurchaseItem,
    product: &'a Product,
    unit_price: Money,
    country: &'a str,
}

/// PUR-9..11, TRI-1, SEAT-2: the subscription a line item creates (a trial is free,
/// legacy software never auto-renews, windows open only for paid seats).
fn new_subscription(d: &Decision<'_>, line: NewLine<'_>) -> SubscriptionCreated {
    let NewLine {
        command,
        order_id,
        subscription_id,
        item,
        product,
        unit_price,
        country,
    } = line;
    let now = d.now();
    let today = d.today();
    let unit_price = if item.trial {
        Money::zero(unit_price.currency)
    } else {
        unit_price
    };
    let legacy_software =
        now < legacy_software_cutoff() && product.kind == ProductKind::SoftwareSubscription;
    let auto_renew = item.auto_renew && item.term.is_some() && !legacy_software;
    let seat_batch =
        (!item.trial && product.kind != ProductKind::PerpetualSoftware).then(|| SeatBatch {
            seats: item.quantity,
            added_at: now,
            refundable_until: now + SEVEN_DAYS,
        });
    let cancellation_allowed_until = (!item.trial && product.cancellable)
        .then(|| cancellation_window(product.kind, item.billing, now));
    SubscriptionCreated {
        subscription_id,
        customer_id: command.customer_id,
        partner_id: d.partner_id(),
        reseller_id: command.reseller_id,
        origin: Origin::Purchase { order_id },
        product_id: product.product_id.clone(),
        product_name: product.name.clone(),
        kind: product.kind,
        addon_of: product.requires_any_of.clone(),
        quantity: item.quantity,
        trial: item.trial,
        term: item.term,
        billing: item.billing,
        unit_price,
        tax_inclusive: tax_inclusive(product, country),
        auto_renew,
        promotion_id: item.promotion_id.clone(),
        term_start: now,
        billing_anchor: today,
        term_end_date: item.term.map(|t| term_end_date(today, t)),
        cancellation_allowed_until,
        seat_batch,
        cancellable: product.cancellable,
        has_keys: product.has_keys,
        legacy_software,
    }
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
    match sub.current_period(today) {
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
                RejectionCode::TrialNotOffered,
                rules::PUR_12,
                format!("{} has no trial offer", product.product_id),
            )
            .with_details(details::ProductField {
                field: &format!("items[{i}].trial"),
                product_id: &product.product_id,
            }));
        }
        if item.quantity != TRIAL_SEATS
            || item.term != Some(Term::P1M)
            || item.billing != Billing::Monthly
        {
            return Err(Rejection::invalid(
                rules::TRI_1,
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
                RejectionCode::OnePerCustomerSuspended,
                rules::PUR_4,
                format!(
                    "the customer already has {}{named}, suspended: reactivate it instead of buying another",
                    product.product_id
                ),
            )
        } else {
            Rejection::rule(
                RejectionCode::OnePerCustomer,
                rules::PUR_4,
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
            RejectionCode::OnePerCustomer,
            rules::PUR_4,
            format!(
                "{} is limited to one per customer; the order lists it twice",
                product.product_id
            ),
        )
        .with("product_id", &product.product_id));
    }
    Ok(())
}
