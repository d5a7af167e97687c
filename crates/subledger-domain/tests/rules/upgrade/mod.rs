//! UPG-1..9: upgrades (new commerce, paid to paid).
//!
//! Most scenarios start from 10 seats of Microsoft 365 Business Standard bought on
//! 2026-01-10 at 09:00, P1Y billed monthly (EUR 11.70 a seat a month), and upgrade
//! on 2026-01-20 to Microsoft 365 E3 (EUR 33.60 a seat a month, P1Y monthly). The
//! first monthly period runs 2026-01-10..2026-02-09: 31 days; on 2026-01-20, 11
//! days are used (BIL-5) and 20 are unused.

mod upg_1_3;
mod upg_4_6;
mod upg_7_9;

use crate::support::*;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{Command, ScheduledChange, Upgrade, UpgradeTiming};
use subledger_domain::event::{BillingReason, CancelReason, EventData, UpgradeMode};
use subledger_domain::invariants;
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use uuid::Uuid;

const STANDARD: &str = "m365-business-standard";
const E3: &str = "m365-e3";
const STANDARD_MONTHLY: i64 = 1170;
const E3_MONTHLY: i64 = 3360;

fn upgrade_into(id: Uuid, to: &str, quantity: u32, target: Uuid) -> Command {
    Command::Upgrade(Upgrade {
        subscription_id: id,
        target_product_id: to.into(),
        quantity,
        target_subscription_id: Some(target),
        term: None,
        billing: None,
        timing: UpgradeTiming::Now,
    })
}

/// 10 Business Standard seats bought 2026-01-10T09:00Z, P1Y monthly.
fn standard_10() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
    (sc, id)
}

/// Business Standard (10) and an E3 target (5), both bought at 09:00 on 2026-01-10.
fn standard_and_e3_target() -> (Scenario, Uuid, Uuid) {
    let (mut sc, id) = standard_10();
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    (sc, id, target)
}
