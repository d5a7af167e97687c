//! TRI-1..6: trials.
//!
//! The trial is Microsoft 365 Business Premium (paid: EUR 20.60 a seat a month on
//! P1Y monthly, EUR 247.20 a seat a year on P1Y annual), bought on 2026-01-10 at
//! 09:00: P1M, so its term ends 2026-02-09 and it converts or expires at
//! 2026-02-10T00:00:00Z.

mod tri_1_3;
mod tri_4_6;

use crate::support::*;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{Command, ConvertTrial, ScheduledChange};
use subledger_domain::event::{BillingReason, ClearReason, EventData, ExpiryReason, Origin};
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use subledger_domain::{Role, invariants};
use uuid::Uuid;

const PREMIUM: &str = "m365-business-premium";
const PREMIUM_P1Y_MONTHLY: i64 = 2060;
const PREMIUM_P1Y_ANNUAL: i64 = 24720;

fn with_trial() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy_item(trial_item(PREMIUM));
    (sc, id)
}

fn convert_new(
    id: Uuid,
    quantity: Option<u32>,
    term: Option<Term>,
    billing: Option<Billing>,
) -> Command {
    Command::ConvertTrial(ConvertTrial {
        subscription_id: id,
        target_subscription_id: None,
        quantity,
        term,
        billing,
    })
}

fn convert_into(id: Uuid, target: Uuid) -> Command {
    Command::ConvertTrial(ConvertTrial {
        subscription_id: id,
        target_subscription_id: Some(target),
        quantity: None,
        term: None,
        billing: None,
    })
}
