//! TRF-1..5: transferring subscriptions from one partner (A, the source) to another
//! (B, the target).
//!
//! Partner A bought 10 seats of Microsoft 365 E3 on 2026-01-10 at 09:00, P1Y billed
//! monthly (EUR 33.60 a seat a month): the first monthly period runs
//! 2026-01-10..2026-02-09 (31 days).

mod trf_1_2;
mod trf_3_5;

use crate::support::*;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{
    AcceptRelationship, Command, KeyType, RejectTransfer, RequestRelationship, RequestTransfer,
    RevealKey,
};
use subledger_domain::event::{BillingReason, Event, EventData, Origin};
use subledger_domain::state::{Status, TransferStatus};
use subledger_domain::view::SubscriptionView;
use subledger_domain::{Role, invariants};
use uuid::Uuid;

const E3: &str = "m365-e3";
const E3_MONTHLY: i64 = 3360;

fn new_ids(events: &[Event]) -> Vec<Uuid> {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::TransferAccepted {
                new_subscription_ids,
                ..
            } => Some(new_subscription_ids.clone()),
            _ => None,
        })
        .expect("TransferAccepted")
}

/// A's 10 E3 seats; B related to the customer; B has asked for a transfer on
/// 2026-01-20 at 10:00.
fn requested() -> (Scenario, Uuid, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    sc.advance_to("2026-01-20T10:00:00Z");
    let t = transfer_id(
        sc.when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted(),
    );
    (sc, sub, t)
}
