//! PUR-1..13: customers, orders and their line items.

mod pur_11_13;
mod pur_1_3;
mod pur_4_7;
mod pur_8_10;

use crate::support::*;
use serde_json::json;
use subledger_domain::actor::Role;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{
    Command, ConvertTrial, CreateCustomer, Purchase, PurchaseItem, Segment, Upgrade, UpgradeTiming,
};
use subledger_domain::event::{EventData, Origin, SubscriptionCreated};
use subledger_domain::rejection::RejectionKind;
use subledger_domain::state::{RelationshipStatus, Status};
use subledger_domain::view::RefundableSeats;
use subledger_domain::{Catalog, Event};
use uuid::Uuid;

const M: Billing = Billing::Monthly;
const A: Billing = Billing::Annual;

/// The subscriptions an outcome created, in order.
fn created(events: &[Event]) -> Vec<&SubscriptionCreated> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn create_customer(country: &str, company: &str, domain: &str) -> Command {
    Command::CreateCustomer(CreateCustomer {
        customer_id: CUSTOMER,
        company_name: company.into(),
        domain: domain.into(),
        country: country.into(),
        segment: Segment::Education,
    })
}

/// Partner B's subscription of `product` (B must be related).
fn buy_as_b(sc: &mut Scenario, product: &str, quantity: u32) -> Uuid {
    let events = sc
        .when_as(
            &admin_b(),
            Scenario::purchase(vec![item(product, quantity, P1Y, M)]),
        )
        .accepted()
        .clone();
    created(&events)[0].subscription_id
}
