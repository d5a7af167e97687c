//! SUS-1..5: suspend and reactivate.

mod sus_1_2;
mod sus_3_5;

use std::collections::BTreeSet;
use subledger_domain::command::{
    Command, CopyDownloadLink, DownloadSoftware, PurchaseItem, RevealKey, SetAutoRenew,
};

use crate::support::*;
use subledger_domain::calendar::Billing;
use subledger_domain::event::{BillingReason, ClearReason, EventData, ExpiryReason};
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use subledger_domain::{CommandContext, Role, decide, invariants, time};
use uuid::Uuid;

fn reveal(subscription_id: Uuid) -> Command {
    Command::RevealKey(RevealKey {
        subscription_id,
        key_type: Default::default(),
        version: None,
        language: None,
        os: None,
    })
}

/// 10 seats of M365 E3 on a one-month term: ends 2026-02-09, renews or ends at
/// 2026-02-10T00:00:00Z.
fn e3_monthly_term() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    (sc, sub)
}

/// E3 (20 seats) with Copilot (10) and Multi-Geo (1) add-ons, bought in one order.
fn base_with_addons() -> (Scenario, Uuid, Uuid, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let events = sc.ok(Scenario::purchase(vec![
        item("m365-e3", 20, P1Y, Billing::Monthly),
        item("copilot-m365", 10, P1Y, Billing::Monthly),
        item("multi-geo", 1, P1Y, Billing::Monthly),
    ]));
    let base = created_of(&events, "m365-e3");
    let copilot = created_of(&events, "copilot-m365");
    let geo = created_of(&events, "multi-geo");
    (sc, base, copilot, geo)
}
