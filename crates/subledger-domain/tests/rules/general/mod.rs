//! GEN-1..6: instants and dates, actors and isolation, the role matrix, the update
//! limit, idempotency at the domain level, and what a rejection carries.

mod gen_1_2;
mod gen_3;
mod gen_4_5;
mod gen_6;

use crate::support::*;
use proptest::prelude::*;
use serde_json::json;
use subledger_domain::actor::{Action, Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, AcceptTransfer, AddSeats, Cancel, ClearScheduledChange, Command,
    ConvertTrial, CopyDownloadLink, CreateCustomer, DownloadSoftware, KeyType, Purchase,
    PurchaseItem, Reactivate, ReduceSeats, RejectTransfer, RequestRelationship, RequestTransfer,
    RevealKey, ScheduleChange, ScheduledChange, SetAutoRenew, Suspend, Upgrade, UpgradeTiming,
};
use subledger_domain::event::EventData;
use subledger_domain::rejection::RejectionKind;
use subledger_domain::state::Status;
use subledger_domain::{CommandContext, UPDATE_LIMIT, decide};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn add_seats(sub: Uuid, seats: u32) -> Command {
    Command::AddSeats(AddSeats {
        subscription_id: sub,
        seats,
    })
}

fn set_auto_renew(sub: Uuid, enabled: bool) -> Command {
    Command::SetAutoRenew(SetAutoRenew {
        subscription_id: sub,
        enabled,
    })
}

/// The transfer id of the `TransferRequested` among `events`.
fn transfer_id(events: &[subledger_domain::Event]) -> Uuid {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::TransferRequested { transfer_id, .. } => Some(*transfer_id),
            _ => None,
        })
        .expect("a transfer was requested")
}

/// Partner B (related to the customer) asks for a transfer of partner A's
/// subscriptions; returns the transfer id.
fn request_transfer_from_a(sc: &mut Scenario) -> Uuid {
    let events = sc
        .when_as(
            &admin_b(),
            Command::RequestTransfer(RequestTransfer {
                customer_id: CUSTOMER,
                source_partner_id: PARTNER_A,
                customer_email: "it@fabrikam.example".into(),
            }),
        )
        .accepted()
        .clone();
    transfer_id(&events)
}

/// The actor holding exactly `role`: a customer user for the customer role, a
/// user of `partner_id` otherwise.
fn actor_with(role: Role, partner_id: Uuid) -> Actor {
    if role == Role::CustomerGlobalAdmin {
        customer_admin()
    } else {
        partner(partner_id, &[role])
    }
}
