//! Named starting points and shortcuts the rule tests share: who bought what and
//! when, and the refusal checks they repeat.

use subledger_domain::Rejection;
use subledger_domain::actor::Actor;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{Command, PurchaseItem};
use subledger_domain::event::{Event, EventData};
use uuid::Uuid;

use super::{Outcome, P1M, P1Y, PARTNER_A, Scenario, admin_b, created_id, item, request_transfer};

/// Given: customer CUSTOMER (NL) bought 10 seats of Microsoft 365 E3, P1Y billed
/// monthly, from partner A on 2026-01-10 at 09:00; returns the subscription.
pub fn e3_ten() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    (sc, sub)
}

/// The trial line of `product`: 25 seats, P1M billed monthly (TRI-1).
pub fn trial_item(product: &str) -> PurchaseItem {
    PurchaseItem {
        trial: true,
        ..item(product, 25, P1M, Billing::Monthly)
    }
}

/// Then: refused with this code and rule; the rejection, for more checks.
#[track_caller]
pub fn rejected(outcome: Outcome, code: &str, rule: &str) -> Rejection {
    outcome.then_rejected(code, rule).clone()
}

/// The type names of `events`, in order.
pub fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.data.type_name()).collect()
}

/// The transfer an accepted request opened.
#[track_caller]
pub fn transfer_id(events: &[Event]) -> Uuid {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::TransferRequested { transfer_id, .. } => Some(*transfer_id),
            _ => None,
        })
        .expect("a TransferRequested event")
}

impl Scenario {
    /// Given: `actor` bought one line; returns the subscription it created.
    #[track_caller]
    pub fn buy_as(&mut self, actor: &Actor, line: PurchaseItem) -> Uuid {
        let events = self
            .when_as(actor, Scenario::purchase(vec![line]))
            .accepted()
            .clone();
        created_id(&events)
    }

    /// Given: partner B (already related) asked for partner A's subscriptions;
    /// returns the transfer.
    #[track_caller]
    pub fn request_transfer_from_a(&mut self) -> Uuid {
        let events = self
            .when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted()
            .clone();
        transfer_id(&events)
    }

    /// When `command` is decided now, then it is refused with this code and rule
    /// and nothing is written (GEN-6); the rejection, for more checks.
    #[track_caller]
    pub fn when_refused(&mut self, command: Command, code: &str, rule: &str) -> Rejection {
        let before = self.state.clone();
        let history = self.history.len();
        let rejection = self.when(command).then_rejected(code, rule).clone();
        assert_eq!(
            self.state, before,
            "a refused command writes nothing (GEN-6)"
        );
        assert_eq!(self.history.len(), history);
        rejection
    }
}
