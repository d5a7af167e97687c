//! The structured details of refusals (GEN-6), one type per kind of refusal, so a
//! refusal's fields are named and typed in one place. Each serializes to the
//! object that becomes the rejection's `details`; the field names are the wire's.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::calendar::Term;
use crate::state::Status;

type Instant = DateTime<Utc>;

/// CAN-5, TRF-3, KEY-5: the subscription is closed.
#[derive(Serialize)]
pub(super) struct Closed {
    pub status: Status,
    pub closed_at: Option<Instant>,
}

/// REN-3, SUS-4: the subscription has expired.
#[derive(Serialize)]
pub(super) struct Expired {
    pub status: Status,
    pub closed_at: Option<Instant>,
    pub data_deleted: bool,
}

/// GEN-4: the update limit, and how to go on (a coterminous second subscription).
#[derive(Serialize)]
pub(super) struct UpdateLimit<'a> {
    pub limit: u32,
    pub update_count: u32,
    pub product_id: &'a str,
    pub coterm_date: Option<NaiveDate>,
}

/// CAT-4, PUR-4/5/12, KEY-1: the product a refusal is about, and the field naming it.
#[derive(Serialize)]
pub(super) struct ProductField<'a> {
    pub field: &'a str,
    pub product_id: &'a str,
}

/// PUR-2: the product's seat bounds.
#[derive(Serialize)]
pub(super) struct QuantityRange<'a> {
    pub field: &'a str,
    pub min: u32,
    pub max: u32,
    pub requested: u32,
}

/// PUR-3: the plans the product is offered with (`P1Y/monthly`).
#[derive(Serialize)]
pub(super) struct PlansOffered<'a> {
    pub field: &'a str,
    pub offered: Vec<String>,
}

/// UPG-2: the unsupported path.
#[derive(Serialize)]
pub(super) struct UpgradePath<'a> {
    pub from_product_id: &'a str,
    pub to_product_id: &'a str,
}

/// UPG-1: the path is not listed; the ones that are.
#[derive(Serialize)]
pub(super) struct UpgradeTargets<'a> {
    pub from_product_id: &'a str,
    pub to_product_id: &'a str,
    pub upgrade_to: &'a [String],
}

/// UPG-1, TRF-2: only active, paid subscriptions qualify.
#[derive(Serialize)]
pub(super) struct StatusAndTrial {
    pub status: Status,
    pub trial: bool,
}

/// TRF-2: a picked subscription that cannot be transferred.
#[derive(Serialize)]
pub(super) struct NotTransferable {
    pub subscription_id: Uuid,
    pub status: Status,
    pub trial: bool,
}

/// UPG-5: the target's term differs from the source's.
#[derive(Serialize)]
pub(super) struct TermMismatch {
    pub target_term: Option<Term>,
    pub source_term: Option<Term>,
}

/// UPG-5: the target ends before the source.
#[derive(Serialize)]
pub(super) struct TargetEndsEarlier {
    pub target_term_end_date: Option<NaiveDate>,
    pub source_term_end_date: Option<NaiveDate>,
}

/// TRI-4: the target ends before the trial.
#[derive(Serialize)]
pub(super) struct ConversionTargetEndsEarlier {
    pub target_term_end_date: Option<NaiveDate>,
    pub trial_term_end_date: Option<NaiveDate>,
}

/// TRI-4: the conversion target is not an active, paid subscription of the product.
#[derive(Serialize)]
pub(super) struct ConversionTarget<'a> {
    pub target_product_id: &'a str,
    pub target_status: Status,
}

/// TRI-4: a conversion keeps at least the trial's seats.
#[derive(Serialize)]
pub(super) struct MinimumSeats {
    pub minimum: u32,
    pub requested: u32,
}

/// SEAT-3: a subscription keeps at least one seat.
#[derive(Serialize)]
pub(super) struct KeepsOneSeat {
    pub quantity: u32,
    pub requested: u32,
    pub minimum: u32,
}

/// SEAT-2: the seats reducible now and the batches they are in.
#[derive(Serialize)]
pub(super) struct SeatWindow {
    pub reducible_now: u32,
    pub requested: u32,
    pub batches: Vec<ReducibleBatch>,
}

/// One seat batch still inside its 7-day window (SEAT-2).
#[derive(Serialize)]
pub(super) struct ReducibleBatch {
    pub seats: u32,
    pub added_at: Instant,
    pub refundable_until: Instant,
}

/// PUR-8: too many additional resellers.
#[derive(Serialize)]
pub(super) struct ResellerLimit {
    pub limit: usize,
    pub given: usize,
}

/// PUR-5: the product is not sold in the customer's market.
#[derive(Serialize)]
pub(super) struct Market<'a> {
    pub product_id: &'a str,
    pub market: &'a str,
}

/// PUR-6/7: the add-on needs seats of one of its base products.
#[derive(Serialize)]
pub(super) struct AddonRequiresBase<'a> {
    pub product_id: &'a str,
    pub requires_any_of: &'a [String],
}

/// PUR-7: add-on seats may not exceed the base seats.
#[derive(Serialize)]
pub(super) struct AddonExceedsBase<'a> {
    pub product_id: &'a str,
    pub base_seats: i64,
    pub addon_seats_held: i64,
    pub addon_seats_after: i64,
    pub limit: i64,
}

/// PUR-6: add-on seats at least a share of the base seats.
#[derive(Serialize)]
pub(super) struct AddonBelowMinimum<'a> {
    pub product_id: &'a str,
    pub base_seats: i64,
    pub minimum: i64,
    pub addon_seats_after: i64,
    pub percent: u32,
}

/// CAN-1/2: the window that closed, and now.
#[derive(Serialize)]
pub(super) struct CancellationWindow {
    pub window_closed_at: Option<Instant>,
    pub now: Instant,
}

/// SUS-4: not reactivated by the end of the term.
#[derive(Serialize)]
pub(super) struct ReactivationTooLate {
    pub term_end_date: Option<NaiveDate>,
    pub data_deleted: bool,
}

/// REN-4: a scheduled change needs an active subscription with auto-renew on.
#[derive(Serialize)]
pub(super) struct StatusAndAutoRenew {
    pub status: Status,
    pub auto_renew: bool,
}

/// REN-4: the next term a coterm date must fall within.
#[derive(Serialize)]
pub(super) struct NextTerm {
    pub next_term_start: NaiveDate,
    pub next_term_end: NaiveDate,
}
