//! The numbers and windows of the rules, in one place.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::calendar::Billing;
use crate::catalog::{Product, ProductKind};

/// PUR-8: at most five additional resellers.
pub const MAX_ADDITIONAL_RESELLERS: usize = 5;
/// A sanity bound on any seat count, far above any real order.
pub const MAX_SEATS: u32 = 1_000_000;
/// TRI-1: a trial has 25 seats.
pub const TRIAL_SEATS: u32 = 25;
/// SEAT-2, CAN-1: the reduction and cancellation windows.
pub const SEVEN_DAYS: TimeDelta = TimeDelta::days(7);

/// REN-3, VIEW-2: software subscriptions bought before this instant never
/// auto-renew and are listed only among orders.
pub fn legacy_software_cutoff() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 10, 14, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Until when a newly bought subscription may be cancelled at once (CAN-1/2/3).
pub fn cancellation_window(
    kind: ProductKind,
    billing: Billing,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match kind {
        ProductKind::PerpetualSoftware => now + TimeDelta::days(30),
        ProductKind::MarketplaceSaas if billing == Billing::Monthly => now + TimeDelta::hours(24),
        ProductKind::MarketplaceSaas => now + TimeDelta::days(14),
        _ => now + SEVEN_DAYS,
    }
}

/// BIL-8: prices include tax for customers in the product's listed countries.
pub fn tax_inclusive(product: &Product, country: &str) -> bool {
    product.prices_include_tax_in.iter().any(|c| c == country)
}
