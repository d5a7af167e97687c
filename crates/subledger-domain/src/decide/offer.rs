//! What the catalog offers: seat bounds (PUR-2), plans (PUR-3) and upgrade paths
//! (UPG-1/2). Purchases, seat changes, upgrades, conversions and scheduled
//! changes all check against it.

use super::Decision;
use super::details;
use crate::calendar::{Billing, Term};
use crate::catalog::Product;
use crate::money::Money;
use crate::policy::MAX_SEATS;
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::Subscription;

/// PUR-2: a seat count is at least 1, within the product's bounds and sane.
pub(super) fn check_quantity(
    product: &Product,
    quantity: u32,
    field: &str,
) -> Result<(), Rejection> {
    if quantity == 0 || quantity > MAX_SEATS {
        return Err(Rejection::invalid(
            rules::PUR_2,
            field,
            format!("{field} must be an integer from 1 to {MAX_SEATS}; got {quantity}"),
        ));
    }
    let min = product.min_quantity.unwrap_or(1);
    let max = product.max_quantity.unwrap_or(MAX_SEATS);
    if quantity < min || quantity > max {
        return Err(Rejection::rule(
            RejectionCode::QuantityOutOfRange,
            rules::PUR_2,
            format!(
                "{} takes {min} to {max} seats per subscription; {quantity} were asked",
                product.product_id
            ),
        )
        .with_details(details::QuantityRange {
            field,
            min,
            max,
            requested: quantity,
        }));
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
                RejectionCode::PlanNotOffered,
                rules::PUR_3,
                format!(
                    "{} is not offered as {}/{}; it is offered as {}",
                    product.product_id,
                    term.map(|t| t.to_string()).unwrap_or_else(|| "none".into()),
                    billing,
                    offered.join(", ")
                ),
            )
            .with_details(details::PlansOffered { field, offered }))
        }
    }
}

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
            RejectionCode::UpgradePathUnsupported,
            rules::UPG_2,
            format!(
                "upgrading {} to {target_product_id} is not supported",
                s.product_id
            ),
        )
        .with_details(details::UpgradePath {
            from_product_id: &s.product_id,
            to_product_id: target_product_id,
        }));
    }
    if !source.upgrade_to.iter().any(|p| p == target_product_id) {
        return Err(Rejection::rule(
            RejectionCode::UpgradeNotAllowed,
            rules::UPG_1,
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
        .with_details(details::UpgradeTargets {
            from_product_id: &s.product_id,
            to_product_id: target_product_id,
            upgrade_to: &source.upgrade_to,
        }));
    }
    Ok(())
}
