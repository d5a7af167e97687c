//! Commands as the tests send them: one builder per command shape the rule tests
//! repeat, with the defaults of API.md for whatever the test does not care about.

use subledger_domain::command::{
    AcceptTransfer, AddSeats, Cancel, ClearScheduledChange, Command, Reactivate, ReduceSeats,
    RequestTransfer, ScheduleChange, ScheduledChange, SetAutoRenew, Suspend,
};
use uuid::Uuid;

use super::CUSTOMER;

/// The customer contact a transfer request names (TRF-1).
pub const TRANSFER_EMAIL: &str = "it@fabrikam.example";

pub fn add_seats(subscription_id: Uuid, seats: u32) -> Command {
    Command::AddSeats(AddSeats {
        subscription_id,
        seats,
    })
}

pub fn reduce_seats(subscription_id: Uuid, seats: u32) -> Command {
    Command::ReduceSeats(ReduceSeats {
        subscription_id,
        seats,
    })
}

pub fn cancel(subscription_id: Uuid) -> Command {
    Command::Cancel(Cancel { subscription_id })
}

pub fn suspend(subscription_id: Uuid) -> Command {
    Command::Suspend(Suspend { subscription_id })
}

pub fn reactivate(subscription_id: Uuid) -> Command {
    Command::Reactivate(Reactivate { subscription_id })
}

pub fn set_auto_renew(subscription_id: Uuid, enabled: bool) -> Command {
    Command::SetAutoRenew(SetAutoRenew {
        subscription_id,
        enabled,
    })
}

/// Schedules `change` for the next term (REN-4).
pub fn schedule(subscription_id: Uuid, change: ScheduledChange) -> Command {
    Command::ScheduleChange(ScheduleChange {
        subscription_id,
        change,
    })
}

/// A next-term change of the quantity only (REN-4).
pub fn quantity_change(quantity: u32) -> ScheduledChange {
    ScheduledChange {
        quantity: Some(quantity),
        ..Default::default()
    }
}

/// Schedules `quantity` seats for the next term (REN-4).
pub fn schedule_quantity(subscription_id: Uuid, quantity: u32) -> Command {
    schedule(subscription_id, quantity_change(quantity))
}

pub fn clear_scheduled_change(subscription_id: Uuid) -> Command {
    Command::ClearScheduledChange(ClearScheduledChange { subscription_id })
}

/// A request to move the customer's subscriptions of `source` to the requester (TRF-1).
pub fn request_transfer(source_partner_id: Uuid) -> Command {
    Command::RequestTransfer(RequestTransfer {
        customer_id: CUSTOMER,
        source_partner_id,
        customer_email: TRANSFER_EMAIL.into(),
    })
}

/// The source's acceptance of a transfer, moving `subscriptions` (TRF-2).
pub fn accept_transfer(transfer_id: Uuid, subscriptions: &[Uuid]) -> Command {
    Command::AcceptTransfer(AcceptTransfer {
        transfer_id,
        subscription_ids: subscriptions.to_vec(),
    })
}
