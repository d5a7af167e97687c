//! REN-1..7: renewal, auto-renew, scheduled changes and time-driven work.

mod ren_1_2;
mod ren_3_4;
mod ren_5_6;
mod ren_7;

use crate::support::*;
use proptest::prelude::*;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{Command, ConvertTrial, ScheduledChange};
use subledger_domain::event::{BillingReason, ClearReason, Event, EventData, ExpiryReason};
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use subledger_domain::{CommandContext, decide, invariants, time};
use uuid::Uuid;

const E3: &str = "m365-e3";
const E3_P1M: i64 = 4032;
const E3_P1Y_MONTHLY: i64 = 3360;
const E3_P1Y_ANNUAL: i64 = 40320;

fn renewed(events: &[Event]) -> subledger_domain::event::SubscriptionRenewed {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no renewal among {:?}", types(events)))
}

fn charges(events: &[Event]) -> Vec<(i64, BillingReason)> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.amount.amount_minor, l.reason)),
            _ => None,
        })
        .collect()
}
