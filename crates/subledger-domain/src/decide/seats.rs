//! AddSeats and ReduceSeats (SEAT-1..6, BIL-3/4).

use super::addons::{self, SeatDelta};
use super::details;
use super::{Decision, Use, offer, refuse_suspended, refuse_trial};
use crate::actor::Action;
use crate::billing;
use crate::catalog::ProductKind;
use crate::command::{AddSeats, ReduceSeats};
use crate::event::{BillingReason, ClearReason, EventData, SeatBatch};
use crate::policy::{MAX_SEATS, SEVEN_DAYS};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::Subscription;

fn refuse_perpetual(s: &Subscription) -> Result<(), Rejection> {
    if s.kind == ProductKind::PerpetualSoftware {
        return Err(Rejection::rule(
            RejectionCode::SeatChangeNotSupported,
            rules::SEAT_1,
            format!(
                "subscription {} is perpetual software, bought once: buy another instead of changing its seats",
                s.subscription_id
            ),
        ));
    }
    Ok(())
}

fn check_seats(seats: u32) -> Result<(), Rejection> {
    if seats == 0 || seats > MAX_SEATS {
        return Err(Rejection::invalid(
            rules::SEAT_1,
            "seats",
            format!("seats must be an integer from 1 to {MAX_SEATS}; got {seats}"),
        ));
    }
    Ok(())
}

/// SEAT-1: seats may be added at any time to an active, non-trial subscription.
pub(super) fn add(d: &mut Decision<'_>, command: &AddSeats) -> Result<(), Rejection> {
    let (id, seats) = (command.subscription_id, command.seats);
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    refuse_trial(s, "adding seats")?;
    refuse_suspended(s, rules::SEAT_6, "adding seats")?;
    refuse_perpetual(s)?;
    check_seats(seats)?;
    let after = s.quantity.saturating_add(seats);
    if let Some(product) = d.catalog.product(&s.product_id) {
        offer::check_quantity(product, after, "seats")?;
    } else if after > MAX_SEATS {
        return Err(Rejection::invalid(
            rules::PUR_2,
            "seats",
            format!("the quantity would be {after}, above {MAX_SEATS}"),
        ));
    }
    addons::check(
        d,
        &[SeatDelta {
            product_id: s.product_id.clone(),
            seats: i64::from(seats),
        }],
    )?;
    let now = d.now();
    let charge = billing::addition_charge(s, seats, d.today(), BillingReason::SeatsAdded);
    let clear = s.scheduled_change.is_some();
    d.emit(EventData::SeatsAdded {
        subscription_id: id,
        seats,
        quantity_after: after,
        seat_batch: Some(SeatBatch {
            seats,
            added_at: now,
            refundable_until: now + SEVEN_DAYS,
        }),
    });
    d.emit_line(charge);
    if clear {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: id,
            reason: ClearReason::QuantityChanged,
        });
    }
    Ok(())
}

/// SEAT-2/3/4: seats come off only from batches still inside their window, newest
/// first; the quantity never drops below 1; the seats' unused days are credited.
pub(super) fn reduce(d: &mut Decision<'_>, command: &ReduceSeats) -> Result<(), Rejection> {
    let (id, seats) = (command.subscription_id, command.seats);
    d.require(Action::Manage)?;
    let s = d.open_subscription(id, Use::Change)?;
    refuse_trial(s, "reducing seats")?;
    refuse_suspended(s, rules::SEAT_6, "reducing seats")?;
    refuse_perpetual(s)?;
    check_seats(seats)?;
    check_keeps_one_seat(s, seats)?;
    let now = d.now();
    let eligible: Vec<&SeatBatch> = s.reducible_batches(now).collect();
    check_within_window(s, &eligible, seats)?;
    addons::check(
        d,
        &[SeatDelta {
            product_id: s.product_id.clone(),
            seats: -i64::from(seats),
        }],
    )?;
    let taken_from = take_newest_first(&eligible, seats);
    let credit = billing::unused_credit(s, seats, d.today(), BillingReason::SeatsReduced);
    let clear = s.scheduled_change.is_some();
    d.emit(EventData::SeatsReduced {
        subscription_id: id,
        seats,
        quantity_after: s.quantity - seats,
        taken_from,
    });
    d.emit_line(credit);
    if clear {
        d.emit(EventData::ScheduledChangeCleared {
            subscription_id: id,
            reason: ClearReason::QuantityChanged,
        });
    }
    Ok(())
}

/// SEAT-3: a subscription keeps at least one seat; going to zero is a cancellation.
fn check_keeps_one_seat(s: &Subscription, seats: u32) -> Result<(), Rejection> {
    if seats >= s.quantity {
        return Err(Rejection::rule(
            RejectionCode::QuantityBelowMinimum,
            rules::SEAT_3,
            format!(
                "subscription {} has {} seats; reducing {seats} would leave {}: a subscription keeps at \
                 least 1 seat, and going to zero is a cancellation",
                s.subscription_id,
                s.quantity,
                i64::from(s.quantity) - i64::from(seats)
            ),
        )
        .with_details(details::KeepsOneSeat { quantity: s.quantity, requested: seats, minimum: 1 }));
    }
    Ok(())
}

/// SEAT-2: only seats of batches still inside their 7-day window come off.
fn check_within_window(
    s: &Subscription,
    eligible: &[&SeatBatch],
    seats: u32,
) -> Result<(), Rejection> {
    let id = s.subscription_id;
    let reducible_now: u32 = eligible.iter().map(|b| b.seats).sum();
    if seats > reducible_now {
        let batches = eligible
            .iter()
            .map(|b| details::ReducibleBatch {
                seats: b.seats,
                added_at: b.added_at,
                refundable_until: b.refundable_until,
            })
            .collect();
        let message = if reducible_now == 0 {
            format!(
                "no seat of subscription {id} can be reduced now: every seat batch is past its 7-day window; \
                 {seats} were asked"
            )
        } else {
            format!(
                "{reducible_now} seats of subscription {id} can be reduced now; {seats} were asked (each batch \
                 is reducible for 7 days after it was added)"
            )
        };
        return Err(Rejection::rule(
            RejectionCode::SeatReductionWindowClosed,
            rules::SEAT_2,
            message,
        )
        .with_details(details::SeatWindow {
            reducible_now,
            requested: seats,
            batches,
        }));
    }
    Ok(())
}

/// SEAT-2's ruling: the seats come off the newest eligible batches first.
fn take_newest_first(eligible: &[&SeatBatch], seats: u32) -> Vec<SeatBatch> {
    let mut left = seats;
    let mut taken_from = Vec::new();
    for b in eligible.iter().rev() {
        if left == 0 {
            break;
        }
        let take = b.seats.min(left);
        left -= take;
        taken_from.push(SeatBatch {
            seats: take,
            added_at: b.added_at,
            refundable_until: b.refundable_until,
        });
    }
    taken_from
}
