//! SEAT-1..6: seats, batches and their windows.

mod seat_1;
mod seat_2;
mod seat_3_6;

use crate::support::*;
use proptest::prelude::*;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{
    AddSeats, Cancel, Command, PurchaseItem, Reactivate, ReduceSeats, ScheduleChange,
    ScheduledChange, Suspend,
};
use subledger_domain::event::{BillingReason, EventData, SeatBatch};
use subledger_domain::invariants;
use subledger_domain::state::Status;
use subledger_domain::view::{RefundableBatch, RefundableSeats, SubscriptionView};
use uuid::Uuid;

fn add(subscription_id: Uuid, seats: u32) -> Command {
    Command::AddSeats(AddSeats {
        subscription_id,
        seats,
    })
}

fn reduce(subscription_id: Uuid, seats: u32) -> Command {
    Command::ReduceSeats(ReduceSeats {
        subscription_id,
        seats,
    })
}

/// Then: refused with this code and rule (owned, for further checks).
#[track_caller]
fn rejected(o: Outcome, code: &str, rule: &str) -> subledger_domain::Rejection {
    o.then_rejected(code, rule).clone()
}

fn batch(seats: u32, added_at: &str, refundable_until: &str) -> SeatBatch {
    SeatBatch {
        seats,
        added_at: at(added_at),
        refundable_until: at(refundable_until),
    }
}

/// 10 seats of M365 E3 (P1Y billed monthly, 33.60 EUR a seat a month) bought on
/// 2026-01-10 at 09:00: the first billing period runs 2026-01-10..2026-02-09 (31 days).
fn e3_ten() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    (sc, sub)
}

fn trial_item(product: &str) -> PurchaseItem {
    PurchaseItem {
        trial: true,
        ..item(product, 25, P1M, Billing::Monthly)
    }
}
