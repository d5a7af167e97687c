//! GEN-3 over HTTP: every command type sent by a user holding each single role
//! is accepted (200) or refused (403), per the table of RULES.md; and GEN-2:
//! another partner's customers and subscriptions are 404, never 403, for reads
//! and writes alike.

mod support;

use serde_json::{Value, json};
use subledger_domain::Role;
use support::*;
use uuid::Uuid;

const CUSTOMER_2: Uuid = Uuid::from_u128(0xC002);

/// GEN-3's table, written out by hand (not read from the code under test).
fn allowed(command: &str) -> &'static [Role] {
    use Role::*;
    match command {
        "CreateCustomer"
        | "Purchase"
        | "AddSeats"
        | "ReduceSeats"
        | "Upgrade"
        | "ScheduleChange"
        | "ClearScheduledChange"
        | "SetAutoRenew"
        | "ConvertTrial"
        | "Suspend"
        | "Reactivate" => &[AdminAgent, SalesAgent, GlobalAdmin],
        "Cancel" => &[AdminAgent, GlobalAdmin],
        "RevealKey" | "DownloadSoftware" | "CopyDownloadLink" | "AcceptTransfer"
        | "RejectTransfer" => &[AdminAgent],
        "RequestRelationship" | "RequestTransfer" => &[AdminAgent, GlobalAdmin],
        "AcceptRelationship" => &[CustomerGlobalAdmin],
        other => panic!("no row for {other}"),
    }
}

struct Fixture {
    lic: Uuid,
    suspended: Uuid,
    trial: Uuid,
    software: Uuid,
    transfer: String,
}

/// One customer holding a subscription in every state a command needs; B
/// asks A for a transfer; D has a pending relationship request.
async fn fixture(s: &Server) -> Fixture {
    s.create_customer(A, CUSTOMER, "NL").await;
    let lic = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.accepted(
        A,
        json!({"type": "ScheduleChange", "subscription_id": lic, "quantity": 11}),
    )
    .await;
    let suspended = s
        .buy(
            A,
            CUSTOMER,
            "m365-business-basic",
            3,
            Some("P1Y"),
            "monthly",
        )
        .await;
    s.accepted(A, json!({"type": "Suspend", "subscription_id": suspended}))
        .await;
    let trial = s.buy_trial(A, CUSTOMER, "m365-business-premium").await;
    let software = s
        .buy(
            A,
            CUSTOMER,
            "windows-server-2022-standard",
            2,
            Some("P1Y"),
            "annual",
        )
        .await;
    s.relate_b().await;
    s.buy(
        B,
        CUSTOMER,
        "m365-business-basic",
        1,
        Some("P1Y"),
        "monthly",
    )
    .await;
    let transfer = s
        .accepted(
            B,
            json!({"type": "RequestTransfer", "customer_id": CUSTOMER,
                   "source_partner_id": PARTNER_A, "customer_email": "it@customer.example"}),
        )
        .await["transfer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.accepted(
        D,
        json!({"type": "RequestRelationship", "customer_id": CUSTOMER}),
    )
    .await;
    s.create_customer(B, CUSTOMER_2, "DE").await;
    Fixture {
        lic,
        suspended,
        trial,
        software,
        transfer,
    }
}

fn every_command(f: &Fixture) -> Vec<Value> {
    vec![
        json!({"type": "CreateCustomer", "customer_id": Uuid::new_v4(), "company_name": "Contoso",
               "domain": "contoso.example", "country": "NL", "segment": "education"}),
        json!({"type": "RequestRelationship", "customer_id": CUSTOMER_2}),
        json!({"type": "AcceptRelationship", "partner_id": PARTNER_D}),
        json!({"type": "Purchase", "customer_id": CUSTOMER,
               "items": [{"product_id": "m365-e3", "quantity": 1, "term": "P1Y", "billing": "monthly"}]}),
        json!({"type": "AddSeats", "subscription_id": f.lic, "seats": 1}),
        json!({"type": "ReduceSeats", "subscription_id": f.lic, "seats": 1}),
        json!({"type": "Suspend", "subscription_id": f.lic}),
        json!({"type": "Reactivate", "subscription_id": f.suspended}),
        json!({"type": "SetAutoRenew", "subscription_id": f.lic, "enabled": false}),
        json!({"type": "Upgrade", "subscription_id": f.lic, "target_product_id": "m365-e5",
               "quantity": 10, "timing": "now"}),
        json!({"type": "ScheduleChange", "subscription_id": f.lic, "quantity": 12}),
        json!({"type": "ClearScheduledChange", "subscription_id": f.lic}),
        json!({"type": "ConvertTrial", "subscription_id": f.trial, "quantity": 25,
               "term": "P1Y", "billing": "monthly"}),
        json!({"type": "Cancel", "subscription_id": f.lic}),
        json!({"type": "RequestTransfer", "customer_id": CUSTOMER,
               "source_partner_id": PARTNER_B, "customer_email": "it@customer.example"}),
        json!({"type": "AcceptTransfer", "transfer_id": f.transfer, "subscription_ids": [f.lic]}),
        json!({"type": "RejectTransfer", "transfer_id": f.transfer}),
        json!({"type": "RevealKey", "subscription_id": f.software}),
        json!({"type": "DownloadSoftware", "subscription_id": f.software}),
        json!({"type": "CopyDownloadLink", "subscription_id": f.software}),
    ]
}

#[tokio::test]
async fn gen_3_every_command_type_by_every_role_is_allowed_or_403() {
    let s = Server::start().await;
    let f = fixture(&s).await;
    let commands = every_command(&f);
    let types: std::collections::BTreeSet<&str> = commands
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.len(),
        subledger_domain::Command::TYPE_NAMES.len(),
        "one of each command type"
    );
    let mut checked = 0;
    for role in Role::ALL {
        let token = if role == Role::CustomerGlobalAdmin {
            C.to_owned()
        } else {
            role_token(role)
        };
        for command in &commands {
            let ty = command["type"].as_str().unwrap();
            let mut body = command.clone();
            // Dry runs decide with the actor and write nothing, so one fixture
            // serves every cell of the matrix.
            body["dry_run"] = json!(true);
            let r = s.command(&token, body).await;
            if allowed(ty).contains(&role) {
                assert_eq!(
                    r.status,
                    200,
                    "{ty} by {} should be allowed: {}",
                    role.as_str(),
                    r.text()
                );
                assert_eq!(r.json()["dry_run"], true);
            } else {
                let err = r.error(403, "Forbidden");
                assert_eq!(err["rule"], "GEN-3", "{ty} by {}", role.as_str());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 9 * 20);
}

#[tokio::test]
async fn gen_3_a_refused_command_without_dry_run_is_403_and_writes_nothing() {
    let s = Server::start().await;
    let f = fixture(&s).await;
    let before = s.get(A, &format!("/v1/subscriptions/{}", f.lic)).await.ok()["version"].clone();
    for role in [Role::SalesAgent, Role::HelpdeskAgent, Role::BillingAdmin] {
        s.command(
            &role_token(role),
            json!({"type": "Cancel", "subscription_id": f.lic}),
        )
        .await
        .error(403, "Forbidden");
    }
    let after = s.get(A, &format!("/v1/subscriptions/{}", f.lic)).await.ok()["version"].clone();
    assert_eq!(before, after);
}

#[tokio::test]
async fn gen_2_another_partners_subscription_is_not_found_for_reads_and_writes() {
    let s = Server::start().await;
    let f = fixture(&s).await;
    let ghost = Uuid::new_v4();
    // B has a relationship with the customer but is not partner of record of lic.
    for path in [
        format!("/v1/subscriptions/{}", f.lic),
        format!("/v1/subscriptions/{}/history", f.lic),
        format!("/v1/subscriptions/{}/refundable-seats", f.lic),
    ] {
        let foreign = s.get(B, &path).await.error(404, "NotFound");
        let unknown = s
            .get(B, &path.replace(&f.lic.to_string(), &ghost.to_string()))
            .await
            .error(404, "NotFound");
        // Not a word more about a foreign subscription than about a missing one.
        assert_eq!(
            foreign["message"]
                .as_str()
                .unwrap()
                .replace(&f.lic.to_string(), "ID"),
            unknown["message"]
                .as_str()
                .unwrap()
                .replace(&ghost.to_string(), "ID")
        );
    }
    for command in [
        json!({"type": "AddSeats", "subscription_id": f.lic, "seats": 1}),
        json!({"type": "Cancel", "subscription_id": f.lic}),
        json!({"type": "RevealKey", "subscription_id": f.software}),
        json!({"type": "Upgrade", "subscription_id": f.lic, "target_product_id": "m365-e5",
               "quantity": 10, "timing": "now"}),
    ] {
        s.command(B, command).await.error(404, "NotFound");
    }
    // B's list of the shared customer holds only B's own subscription.
    let list = s
        .get(B, &format!("/v1/customers/{CUSTOMER}/subscriptions"))
        .await
        .ok();
    let subs = list["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 1);
    assert!(
        subs.iter()
            .all(|v| v["partner_id"] == PARTNER_B.to_string())
    );
    let orders = s
        .get(B, &format!("/v1/customers/{CUSTOMER}/orders"))
        .await
        .ok();
    assert!(
        orders["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["partner_id"] == PARTNER_B.to_string())
    );
}

#[tokio::test]
async fn gen_2_a_customer_without_an_active_relationship_is_not_found() {
    let s = Server::start().await;
    let _f = fixture(&s).await;
    // D's request is pending: not yet a relationship.
    for path in [
        format!("/v1/customers/{CUSTOMER}/subscriptions"),
        format!("/v1/customers/{CUSTOMER}/orders"),
        format!("/v1/billing/lines?customer_id={CUSTOMER}"),
    ] {
        s.get(D, &path).await.error(404, "NotFound");
    }
    s.command(
        D,
        json!({"type": "Purchase", "customer_id": CUSTOMER,
               "items": [{"product_id": "m365-e3", "quantity": 1, "term": "P1Y", "billing": "monthly"}]}),
    )
    .await
    .error(404, "NotFound");
    // A has no relationship with B's customer at all.
    s.get(A, &format!("/v1/customers/{CUSTOMER_2}/subscriptions"))
        .await
        .error(404, "NotFound");
    let b_sub = s
        .buy(B, CUSTOMER_2, "m365-e3", 1, Some("P1Y"), "monthly")
        .await;
    s.get(A, &format!("/v1/subscriptions/{b_sub}"))
        .await
        .error(404, "NotFound");
    s.command(A, json!({"type": "Suspend", "subscription_id": b_sub}))
        .await
        .error(404, "NotFound");
}
