//! SEAT-1..6: seats, batches and their windows.

mod seat_1;
mod seat_2;
mod seat_3_6;

use crate::support::*;
use proptest::prelude::*;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{PurchaseItem, ScheduledChange};
use subledger_domain::event::{BillingReason, EventData, SeatBatch};
use subledger_domain::invariants;
use subledger_domain::state::Status;
use subledger_domain::view::{RefundableBatch, RefundableSeats, SubscriptionView};
use uuid::Uuid;

fn batch(seats: u32, added_at: &str, refundable_until: &str) -> SeatBatch {
    SeatBatch {
        seats,
        added_at: at(added_at),
        refundable_until: at(refundable_until),
    }
}
