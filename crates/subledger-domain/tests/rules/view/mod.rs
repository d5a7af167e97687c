//! VIEW-1..5: what readers get — the subscription view, the subscriptions list, the
//! CSV export, reading as of a past instant, and a subscription's history.

mod view_1_3;
mod view_4_5;

use crate::support::*;
use proptest::prelude::*;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{Command, Purchase};
use subledger_domain::event::{Event, EventData};
use subledger_domain::state::{CustomerState, Status};
use subledger_domain::view::{
    CSV_HEADER, RefundableBatch, RefundableSeats, SubscriptionView, csv_field, csv_row,
    listed_among_subscriptions,
};
use subledger_domain::{Role, evolve};
use uuid::Uuid;

const E3: &str = "m365-e3";
const RESELLER: Uuid = Uuid::from_u128(0x5E11_0000_0000_0000_0000_0000_0000_0001);

fn view(sc: &Scenario, id: Uuid) -> SubscriptionView {
    SubscriptionView::of(sc.sub(id), sc.now, sc.state.event_count)
}

/// 10 E3 seats bought by partner A through RESELLER on 2026-01-10 at 09:00, P1Y
/// monthly, with a promotion.
fn bought() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(E3, 10, P1Y, Billing::Monthly);
    it.promotion_id = Some("PROMO-2026".into());
    let id = created_id(&sc.ok(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![it],
        reseller_id: Some(RESELLER),
        additional_resellers: vec![],
    })));
    (sc, id)
}
