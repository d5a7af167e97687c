//! GEN-1..6: instants and dates, actors and isolation, the role matrix, the update
//! limit, idempotency at the domain level, and what a rejection carries.

mod gen_1_2;
mod gen_1_dates;
mod gen_3;
mod gen_4_5;
mod gen_6;

use crate::support::*;
use proptest::prelude::*;
use serde_json::json;
use subledger_domain::actor::{Action, Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, AddSeats, Command, ConvertTrial, CopyDownloadLink, CreateCustomer,
    DownloadSoftware, KeyType, Purchase, PurchaseItem, RejectTransfer, RequestRelationship,
    RevealKey,
};
use subledger_domain::event::EventData;
use subledger_domain::rejection::RejectionKind;
use subledger_domain::state::Status;
use subledger_domain::{CommandContext, UPDATE_LIMIT, decide};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The actor holding exactly `role`: a customer user for the customer role, a
/// user of `partner_id` otherwise.
fn actor_with(role: Role, partner_id: Uuid) -> Actor {
    if role == Role::CustomerGlobalAdmin {
        customer_admin()
    } else {
        partner(partner_id, &[role])
    }
}
