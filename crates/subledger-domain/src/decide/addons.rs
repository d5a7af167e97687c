//! The add-on constraints (PUR-6, PUR-7), checked for every change of seats that
//! could break them: purchases, additions, reductions, upgrades and cancellations.
//! Base and add-on seats are counted over the customer's live subscriptions of
//! all partners, with the command's own changes included.

use super::Decision;
use super::details;
use crate::catalog::Product;
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;

/// A change of seats of one product that the command would make.
#[derive(Debug, Clone)]
pub(crate) struct SeatDelta {
    pub product_id: String,
    pub seats: i64,
}

pub(crate) fn check(d: &Decision<'_>, deltas: &[SeatDelta]) -> Result<(), Rejection> {
    let delta_of = |product: &str| -> i64 {
        deltas
            .iter()
            .filter(|x| x.product_id == product)
            .map(|x| x.seats)
            .sum()
    };
    // The add-on products concerned: those held now and those in the change.
    let mut addons: Vec<&str> = d
        .state
        .live_seats
        .keys()
        .map(String::as_str)
        .chain(deltas.iter().map(|x| x.product_id.as_str()))
        .collect();
    addons.sort_unstable();
    addons.dedup();
    for addon_id in addons {
        let Some(addon) = d.catalog.product(addon_id).filter(|p| p.is_addon()) else {
            continue;
        };
        let addon_delta = delta_of(addon_id);
        let base_delta: i64 = addon.requires_any_of.iter().map(|b| delta_of(b)).sum();
        if addon_delta == 0 && base_delta == 0 {
            continue;
        }
        let held = d
            .state
            .live_seats_of(std::slice::from_ref(&addon.product_id)) as i64;
        let base_now = d.state.live_seats_of(&addon.requires_any_of) as i64;
        check_addon(
            addon,
            &AddonSeats {
                held,
                addon_delta,
                base_delta,
                base: (base_now + base_delta).max(0),
                total: (held + addon_delta).max(0),
            },
        )?;
    }
    Ok(())
}

/// The seats of one add-on product and of its base products, now and after the change.
struct AddonSeats {
    held: i64,
    addon_delta: i64,
    base_delta: i64,
    /// Base seats after the change.
    base: i64,
    /// Add-on seats after the change.
    total: i64,
}

/// PUR-6/7 for one add-on product.
fn check_addon(addon: &Product, seats: &AddonSeats) -> Result<(), Rejection> {
    let AddonSeats {
        held,
        addon_delta,
        base_delta,
        base,
        total,
    } = *seats;
    let rule = if addon.max_of_base {
        rules::PUR_7
    } else {
        rules::PUR_6
    };
    if addon_delta > 0 && base == 0 {
        return Err(Rejection::rule(
            RejectionCode::AddonRequiresBase,
            rule,
            format!(
                "{} is an add-on: the customer needs seats of one of {} first",
                addon.product_id,
                addon.requires_any_of.join(", ")
            ),
        )
        .with_details(details::AddonRequiresBase {
            product_id: &addon.product_id,
            requires_any_of: &addon.requires_any_of,
        }));
    }
    // Only a change that makes things worse is refused, so that an unrelated
    // command is never blocked by an earlier state.
    if addon.max_of_base && total > base && (addon_delta > 0 || base_delta < 0) {
        return Err(Rejection::rule(
            RejectionCode::AddonExceedsBase,
            rules::PUR_7,
            format!(
                "{} seats may not exceed the customer's base licenses: base {base}, add-on \
                 {held} held, {total} after this change",
                addon.product_id
            ),
        )
        .with_details(details::AddonExceedsBase {
            product_id: &addon.product_id,
            base_seats: base,
            addon_seats_held: held,
            addon_seats_after: total,
            limit: base,
        }));
    }
    if let Some(pct) = addon.min_percent_of_base {
        let minimum = (base * i64::from(pct) + 99) / 100;
        if total > 0 && total < minimum && addon_delta != 0 {
            return Err(Rejection::rule(
                RejectionCode::AddonBelowMinimum,
                rules::PUR_6,
                format!(
                    "{} needs at least {pct}% of the customer's {base} base licenses, rounded \
                     up: {minimum} seats; this change leaves {total}",
                    addon.product_id
                ),
            )
            .with_details(details::AddonBelowMinimum {
                product_id: &addon.product_id,
                base_seats: base,
                minimum,
                addon_seats_after: total,
                percent: pct,
            }));
        }
    }
    Ok(())
}
