//! Time-driven work (REN-7) as a pure function: given a state and `now`, what is
//! due (renewals, expiries, trial ends, scheduled marketplace cancellations,
//! billing-period charges, transfer expiries) and the events it produces, each
//! stamped with its own due instant, in the order they fall due.

use chrono::{DateTime, Utc};

use crate::billing;
use crate::calendar::{Billing, Term, date_in_range, day_after, instant_in_range, term_end_date};
use crate::catalog::Catalog;
use crate::event::ScheduledChange;
use crate::event::dates;
use crate::event::{
    BillingReason, CancelReason, Event, EventData, ExpiryReason, SeatBatch, SubscriptionRenewed,
};
use crate::policy::{SEVEN_DAYS, TRIAL_SEATS, cancellation_window};
pub use crate::state::Due;
use crate::state::{CustomerState, Status, Subscription};

/// The earliest due work of the customer, if any.
pub fn next_due(state: &CustomerState) -> Option<(DateTime<Utc>, Due)> {
    state.due.first().copied()
}

/// A safety bound: no customer has this much work due at once; reaching it means
/// a defect, and stopping beats looping forever.
const MAX_STEPS: usize = 1_000_000;

/// All work due at or before `now`, in order; each event is stamped with its due
/// instant. Folding the events into `state` leaves nothing due at `now`.
pub fn due_events(state: &CustomerState, now: DateTime<Utc>, catalog: &Catalog) -> Vec<Event> {
    // Most calls find nothing due: answer those without copying the state.
    if next_due(state).is_none_or(|(at, _)| at > now) {
        return Vec::new();
    }
    apply_due(&mut state.clone(), now, catalog)
}

/// [`due_events`] for a caller that owns the state: the events are folded into
/// `state` as they are decided (no copy of a large customer's state), and returned.
/// A caller that then fails to store them must drop `state` and load it again.
pub fn apply_due(state: &mut CustomerState, now: DateTime<Utc>, catalog: &Catalog) -> Vec<Event> {
    let mut out = Vec::new();
    for _ in 0..MAX_STEPS {
        let Some((at, due)) = next_due(state) else {
            break;
        };
        if at > now {
            break;
        }
        let events = run_due(state, at, due, catalog);
        if events.is_empty() {
            break;
        }
        for e in &events {
            state.apply(e);
        }
        out.extend(events);
    }
    out
}

/// The events of one piece of due work at its instant `at`.
pub fn run_due(
    state: &CustomerState,
    at: DateTime<Utc>,
    due: Due,
    catalog: &Catalog,
) -> Vec<Event> {
    let mut out = Vec::new();
    let mut emit = |data: EventData| {
        out.push(Event {
            at,
            command_id: None,
            actor: None,
            data,
        })
    };
    match due {
        Due::TransferExpiry(transfer_id) => emit(EventData::TransferExpired { transfer_id }),
        Due::PeriodCharge(id) => {
            let Some(s) = state.subscriptions.get(&id) else {
                return out;
            };
            if let Some(period) = s.current_period(at.date_naive()) {
                emit(billing::period_charge(s, period, BillingReason::PeriodStart).into_event());
            }
        }
        Due::TermEnd(id) => {
            let Some(s) = state.subscriptions.get(&id) else {
                return out;
            };
            term_end(s, at, catalog, &mut emit);
        }
    }
    out
}

fn term_end(
    s: &Subscription,
    at: DateTime<Utc>,
    catalog: &Catalog,
    emit: &mut impl FnMut(EventData),
) {
    let id = s.subscription_id;
    if s.status == Status::Suspended {
        // REN-6, SUS-4: not reactivated by the end of the term: expired, data deleted.
        emit(EventData::SubscriptionExpired {
            subscription_id: id,
            reason: ExpiryReason::SuspendedAtTermEnd,
            data_deleted: true,
        });
        return;
    }
    if s.cancel_at_term_end {
        // CAN-3: the scheduled marketplace cancellation, with no credit.
        emit(EventData::SubscriptionCancelled {
            subscription_id: id,
            reason: CancelReason::ScheduledAtTermEnd,
            keys_revoked: s.has_keys,
        });
        return;
    }
    if !s.auto_renew || s.legacy_software {
        emit(EventData::SubscriptionExpired {
            subscription_id: id,
            reason: if s.trial {
                ExpiryReason::TrialEnded
            } else {
                ExpiryReason::AutoRenewOff
            },
            data_deleted: false,
        });
        return;
    }
    let renewing = renewal_events(s, at, catalog);
    if dates::first_out_of_range(&stamped(&renewing, at)).is_some() {
        // GEN-1: a term ending past 9999-12-31 cannot be recorded, so the
        // subscription does not renew: it expires at the end of its term.
        emit(EventData::SubscriptionExpired {
            subscription_id: id,
            reason: ExpiryReason::DateLimit,
            data_deleted: false,
        });
        return;
    }
    for data in renewing {
        emit(data);
    }
}

/// REN-2, TRI-2: the events of a renewal at `at` (a trial's conversion first).
fn renewal_events(s: &Subscription, at: DateTime<Utc>, catalog: &Catalog) -> Vec<EventData> {
    let mut out = Vec::with_capacity(3);
    let renewed = renewal(s, at, catalog);
    // The renewed term's charge is priced on the subscription as the fold will
    // leave it.
    let mut after = s.clone();
    after.apply_renewed(&renewed);
    if s.trial {
        out.push(EventData::TrialConverted {
            subscription_id: s.subscription_id,
            target_subscription_id: s.subscription_id,
            seats: renewed.quantity,
            into_existing: false,
            automatic: true,
        });
    }
    let reason = if s.trial {
        BillingReason::TrialConversion
    } else {
        BillingReason::Renewal
    };
    out.push(EventData::SubscriptionRenewed(renewed));
    if let Some(period) = after.current_period(at.date_naive()) {
        out.push(billing::period_charge(&after, period, reason).into_event());
    }
    out
}

/// Payloads as the events of due work at `at` (for checking their dates).
fn stamped(data: &[EventData], at: DateTime<Utc>) -> Vec<Event> {
    data.iter()
        .map(|d| Event {
            at,
            command_id: None,
            actor: None,
            data: d.clone(),
        })
        .collect()
}

/// REN-2/4, TRI-2: the new term, with the scheduled change applied.
fn renewal(s: &Subscription, at: DateTime<Utc>, catalog: &Catalog) -> SubscriptionRenewed {
    let change = s.scheduled_change.clone().unwrap_or_default();
    let start = at.date_naive();
    // TRI-2: a trial converts to P1Y billed monthly, 25 seats, unless scheduled otherwise.
    let (default_term, default_billing, default_quantity) = if s.trial {
        (Term::P1Y, Billing::Monthly, TRIAL_SEATS)
    } else {
        (s.term.unwrap_or(Term::P1Y), s.billing, s.quantity)
    };
    let mut product_id = change
        .product_id
        .clone()
        .unwrap_or_else(|| s.product_id.clone());
    let mut term = change.term.unwrap_or(default_term);
    let mut billing_plan = change.billing.unwrap_or(default_billing);
    let quantity = change.quantity.unwrap_or(default_quantity);
    // The catalog may have changed since the change was scheduled: fall back to
    // the current product and plan rather than renew into something not on offer.
    let priced = catalog
        .product(&product_id)
        .and_then(|p| p.plan(Some(term), billing_plan).map(|plan| (p, plan)));
    let (product_name, unit_price, kind) = match priced {
        Some((p, plan)) => (p.name.clone(), plan.unit_price.clone(), p.kind),
        None => {
            product_id = s.product_id.clone();
            term = default_term;
            billing_plan = default_billing;
            let price = catalog
                .product(&s.product_id)
                .and_then(|p| p.plan(Some(term), billing_plan))
                .map(|plan| plan.unit_price.clone())
                .unwrap_or_else(|| s.unit_price.clone());
            (s.product_name.clone(), price, s.kind)
        }
    };
    let natural_end = term_end_date(start, term);
    let term_end = change
        .coterm_date
        .filter(|d| *d >= start && *d <= natural_end)
        .unwrap_or(natural_end);
    let applied: Option<ScheduledChange> = s.scheduled_change.clone();
    SubscriptionRenewed {
        subscription_id: s.subscription_id,
        product_id,
        product_name,
        quantity,
        term,
        billing: billing_plan,
        unit_price,
        term_start: at,
        billing_anchor: start,
        term_end_date: term_end,
        cancellation_allowed_until: s
            .cancellable
            .then(|| cancellation_window(kind, billing_plan, at)),
        seat_batch: SeatBatch {
            seats: quantity,
            added_at: at,
            refundable_until: at + SEVEN_DAYS,
        },
        applied_change: applied,
        converted_from_trial: s.trial,
    }
}

/// The instant a subscription's current term renews, if it will (VIEW-1).
pub fn next_renewal_at(s: &Subscription) -> Option<DateTime<Utc>> {
    (s.status == Status::Active && s.auto_renew && !s.cancel_at_term_end && !s.legacy_software)
        .then(|| s.term_end_date.map(day_after))
        .flatten()
        .filter(|at| renewal_fits(s, *at))
}

/// GEN-1: whether the renewal at `at` would end its new term by 9999-12-31 (if
/// not, the subscription expires instead, see `term_end`). Reckoned with the
/// term the subscription or its scheduled change names; `term_end` decides with
/// the catalog as it is then, which may fall back to another term.
fn renewal_fits(s: &Subscription, at: DateTime<Utc>) -> bool {
    let start = at.date_naive();
    let change = s.scheduled_change.as_ref();
    let default_term = if s.trial {
        Term::P1Y
    } else {
        s.term.unwrap_or(Term::P1Y)
    };
    let natural_end = term_end_date(start, change.and_then(|c| c.term).unwrap_or(default_term));
    let end = change
        .and_then(|c| c.coterm_date)
        .filter(|d| *d >= start && *d <= natural_end)
        .unwrap_or(natural_end);
    date_in_range(end) && instant_in_range(at + SEVEN_DAYS)
}
