//! ConvertTrial (TRI-4..6): into a new paid subscription or an existing one.

use uuid::Uuid;

use super::addons::{self, SeatDelta};
use super::details;
use super::purchase::first_charge;
use super::{Decision, Use, offer};
use crate::actor::Action;
use crate::billing;
use crate::calendar::{Billing, Term, term_end_date};
use crate::catalog::Product;
use crate::command::ConvertTrial;
use crate::event::{
    BillingReason, ClearReason, EventData, ExpiryReason, Origin, SeatBatch, SubscriptionCreated,
};
use crate::money::Money;
use crate::policy::{SEVEN_DAYS, TRIAL_SEATS, cancellation_window, tax_inclusive};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::{Status, Subscription};

pub(super) fn convert(d: &mut Decision<'_>, command: &ConvertTrial) -> Result<(), Rejection> {
    let id = command.subscription_id;
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    if !s.trial {
        return Err(Rejection::rule(
            RejectionCode::NotATrial,
            rules::TRI_4,
            format!("subscription {id} is not a trial"),
        ));
    }
    let product = d.product(&s.product_id, "subscription_id")?;
    match command.target_subscription_id {
        Some(target_id) => into_existing(d, command, s, product, target_id),
        None => into_new(d, command, s, product),
    }
}

/// TRI-4: the trial's seats join an existing paid subscription of its product.
fn into_existing(
    d: &mut Decision<'_>,
    command: &ConvertTrial,
    s: &Subscription,
    product: &Product,
    target_id: Uuid,
) -> Result<(), Rejection> {
    let id = s.subscription_id;
    let today = d.today();
    if command.quantity.is_some() || command.term.is_some() || command.billing.is_some() {
        return Err(Rejection::invalid(
            rules::TRI_4,
            "target_subscription_id",
            "a conversion into an existing subscription keeps its term and billing and adds the trial's \
             seats: give either target_subscription_id or quantity/term/billing",
        ));
    }
    let t = d.own_subscription(target_id)?;
    check_conversion_target(s, t)?;
    offer::check_quantity(
        product,
        t.quantity.saturating_add(s.quantity),
        "target_subscription_id",
    )?;
    addons::check(
        d,
        &[SeatDelta {
            product_id: s.product_id.clone(),
            seats: 0,
        }],
    )?;
    let charge = billing::addition_charge(t, s.quantity, today, BillingReason::TrialConversion);
    clear_trial_change(d, s);
    d.emit(EventData::TrialConverted {
        subscription_id: id,
        target_subscription_id: t.subscription_id,
        seats: s.quantity,
        into_existing: true,
        automatic: false,
    });
    d.emit_line(charge);
    if t.scheduled_change.is_some() {
        // REN-5: the target's quantity changed mid-term.
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: t.subscription_id,
            reason: ClearReason::QuantityChanged,
        });
    }
    d.emit(EventData::SubscriptionExpired {
        subscription_id: id,
        reason: ExpiryReason::TrialConverted,
        data_deleted: false,
    });
    Ok(())
}

/// TRI-4: the target is an active, paid subscription of the trial's product that
/// ends no earlier than the trial.
fn check_conversion_target(s: &Subscription, t: &Subscription) -> Result<(), Rejection> {
    if t.product_id != s.product_id || t.trial || t.status != Status::Active {
        return Err(Rejection::rule(
            RejectionCode::ConversionTargetInvalid,
            rules::TRI_4,
            format!(
                "subscription {} must be an active, paid subscription of {}",
                t.subscription_id, s.product_id
            ),
        )
        .with_details(details::ConversionTarget {
            target_product_id: &t.product_id,
            target_status: t.status,
        }));
    }
    if t.term_end_date < s.term_end_date {
        return Err(Rejection::rule(
            RejectionCode::ConversionTargetEndsEarlier,
            rules::TRI_4,
            format!(
                "subscription {} ends on {}, before the trial's end {}",
                t.subscription_id,
                t.term_end_date.map(|x| x.to_string()).unwrap_or_default(),
                s.term_end_date.map(|x| x.to_string()).unwrap_or_default()
            ),
        )
        .with_details(details::ConversionTargetEndsEarlier {
            target_term_end_date: t.term_end_date,
            trial_term_end_date: s.term_end_date,
        }));
    }
    Ok(())
}

/// TRI-4/5: the trial becomes a new paid subscription, as a purchase would.
fn into_new(
    d: &mut Decision<'_>,
    command: &ConvertTrial,
    s: &Subscription,
    product: &Product,
) -> Result<(), Rejection> {
    let id = s.subscription_id;
    let now = d.now();
    let today = d.today();
    let quantity = command.quantity.unwrap_or(TRIAL_SEATS);
    if quantity < TRIAL_SEATS {
        return Err(Rejection::rule(
            RejectionCode::ConversionBelowTrialSeats,
            rules::TRI_4,
            format!(
                "a trial converts mid-term to at least {TRIAL_SEATS} seats; {quantity} were asked"
            ),
        )
        .with_details(details::MinimumSeats {
            minimum: TRIAL_SEATS,
            requested: quantity,
        }));
    }
    offer::check_quantity(product, quantity, "quantity")?;
    let term = command.term.unwrap_or(Term::P1Y);
    let billing_plan = command.billing.unwrap_or(Billing::Monthly);
    let price = offer::plan_price(product, Some(term), billing_plan, "term")?;
    let new_id = d.derived_id("trial/subscription");
    let plan = PaidPlan {
        quantity,
        term,
        billing: billing_plan,
        unit_price: price,
    };
    let created = paid_subscription(d, s, product, new_id, plan);
    // The trial's seats leave as the paid ones arrive (PUR-6/7).
    addons::check(
        d,
        &[SeatDelta {
            product_id: product.product_id.clone(),
            seats: i64::from(quantity) - i64::from(s.quantity),
        }],
    )?;
    let sub = Subscription::from_created(&created, now);
    d.emit(EventData::SubscriptionCreated(created));
    d.emit_line(first_charge(&sub, today, BillingReason::TrialConversion));
    clear_trial_change(d, s);
    d.emit(EventData::TrialConverted {
        subscription_id: id,
        target_subscription_id: new_id,
        seats: quantity,
        into_existing: false,
        automatic: false,
    });
    d.emit(EventData::SubscriptionExpired {
        subscription_id: id,
        reason: ExpiryReason::TrialConverted,
        data_deleted: false,
    });
    Ok(())
}

/// The seats, term, billing plan and price a trial converts to.
struct PaidPlan {
    quantity: u32,
    term: Term,
    billing: Billing,
    unit_price: Money,
}

/// The paid subscription a trial converts into. It behaves as a purchase
/// (ruling): windows open (PUR-11), but promotions do not apply (TRI-5).
fn paid_subscription(
    d: &Decision<'_>,
    s: &Subscription,
    product: &Product,
    new_id: Uuid,
    plan: PaidPlan,
) -> SubscriptionCreated {
    let PaidPlan {
        quantity,
        term,
        billing: billing_plan,
        unit_price: price,
    } = plan;
    let id = s.subscription_id;
    let now = d.now();
    let today = d.today();
    let country = d
        .state
        .customer
        .as_ref()
        .map(|c| c.country.as_str())
        .unwrap_or("");
    SubscriptionCreated {
        subscription_id: new_id,
        customer_id: s.customer_id,
        partner_id: s.partner_id,
        reseller_id: s.reseller_id,
        origin: Origin::TrialConversion {
            trial_subscription_id: id,
        },
        product_id: product.product_id.clone(),
        product_name: product.name.clone(),
        kind: product.kind,
        addon_of: product.requires_any_of.clone(),
        quantity,
        trial: false,
        term: Some(term),
        billing: billing_plan,
        unit_price: price,
        tax_inclusive: tax_inclusive(product, country),
        auto_renew: true,
        promotion_id: None,
        term_start: now,
        billing_anchor: today,
        term_end_date: Some(term_end_date(today, term)),
        cancellation_allowed_until: product
            .cancellable
            .then(|| cancellation_window(product.kind, billing_plan, now)),
        seat_batch: Some(SeatBatch {
            seats: quantity,
            added_at: now,
            refundable_until: now + SEVEN_DAYS,
        }),
        cancellable: product.cancellable,
        has_keys: product.has_keys,
        legacy_software: false,
    }
}

/// TRI-6, REN-5: converting deletes the trial's scheduled change.
fn clear_trial_change(d: &mut Decision<'_>, s: &Subscription) {
    if s.scheduled_change.is_some() {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: s.subscription_id,
            reason: ClearReason::TrialConverted,
        });
    }
}
