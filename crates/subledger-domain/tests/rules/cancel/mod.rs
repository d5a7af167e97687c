//! CAN-1..6: cancellation.

mod can_1_2;
mod can_3_4;
mod can_5_6;

use crate::support::*;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    Command, ConvertTrial, CopyDownloadLink, DownloadSoftware, KeyType, RevealKey,
};
use subledger_domain::event::{BillingLine, BillingReason, CancelReason, ClearReason, EventData};
use subledger_domain::state::Status;
use subledger_domain::view::{SubscriptionView, csv_row};
use subledger_domain::{Role, invariants, time};
use uuid::Uuid;

/// The one credit line of an outcome.
#[track_caller]
fn credit(o: &Outcome) -> &BillingLine {
    let credits: Vec<&BillingLine> = o
        .events()
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Credited(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(credits.len(), 1, "{:#?}", o.events());
    credits[0]
}

#[track_caller]
fn assert_cancelled(o: &Outcome, sub: Uuid, keys_revoked: bool) {
    let events = o.then_types(&["SubscriptionCancelled", "Credited"]);
    match &events[0].data {
        EventData::SubscriptionCancelled {
            subscription_id,
            reason,
            keys_revoked: revoked,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!(*reason, CancelReason::Requested);
            assert_eq!(*revoked, keys_revoked);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(credit(o).reason, BillingReason::Cancelled);
}

/// 3 seats of the monthly marketplace offer (49.00), bought 2026-01-10 09:00;
/// the term ends 2026-02-09.
fn saas_monthly() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 3, P1M, Billing::Monthly);
    (sc, sub)
}
