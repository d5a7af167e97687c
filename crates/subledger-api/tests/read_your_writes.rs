//! Reads come from the projections and see the writes before them: a command's
//! `position`, `min_position` on any read, the server's own acknowledged commands,
//! and a bounded wait that ends in 503 `ProjectionBehind`.

mod support;

use std::time::Duration;

use serde_json::json;
use subledger_api::ApiConfig;
use subledger_app::CommandRequest;
use subledger_domain::actor::{Actor, Role};
use support::*;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_right_after_a_command_sees_it_and_min_position_waits_for_others_writes() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    // Twenty changes, each read at once: every read sees the change before it.
    for i in 1..=20u32 {
        let r = s
            .accepted(
                A,
                json!({"type": "AddSeats", "subscription_id": sub, "seats": 1}),
            )
            .await;
        assert!(r["position"].as_u64().is_some(), "{r}");
        let v = s.get(A, &format!("/v1/subscriptions/{sub}")).await.ok();
        assert_eq!(v["quantity"], 10 + i);
        assert_eq!(v["version"], r["version"]);
    }
    // A write this server did not acknowledge (another process on the same log):
    // min_position makes the read wait for it.
    let other = s
        .ledger
        .execute(CommandRequest {
            command_id: Uuid::new_v4(),
            command: serde_json::from_value(
                json!({"type": "AddSeats", "subscription_id": sub, "seats": 5}),
            )
            .unwrap(),
            actor: Actor::partner("bob@a.example", PARTNER_A, &[Role::AdminAgent]),
            expected_version: None,
            dry_run: false,
        })
        .await
        .unwrap();
    let position = other.position.unwrap();
    let v = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(v["quantity"], 35);
    // Billing lines too.
    let lines = s
        .get(
            A,
            &format!("/v1/billing/lines?customer_id={CUSTOMER}&min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(lines["lines"].as_array().unwrap().len(), 22);
    assert_eq!(lines["totals"][0]["lines"], 22);
    // A position the log has not reached is bad input, not a wait.
    let beyond = position + 1_000;
    let r = s
        .get(A, &format!("/v1/subscriptions/{sub}?min_position={beyond}"))
        .await;
    let e = r.error(400, "InvalidRequest");
    assert_eq!(e["details"]["field"], "min_position", "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_the_projections_cannot_serve_in_time_is_503_projection_behind() {
    let s = Server::start_with(ApiConfig {
        simulated_clock: true,
        read_wait: Duration::from_millis(300),
        ..ApiConfig::default()
    })
    .await;
    s.create_customer(A, CUSTOMER, "NL").await;
    s.stop_projections();
    let r = s
        .accepted(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER, "items":
                   [{"product_id": "m365-e3", "quantity": 3, "term": "P1Y", "billing": "monthly"}]}),
        )
        .await;
    let wanted = r["position"].as_u64().unwrap();
    let r = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/subscriptions"))
        .await;
    let e = r.error(503, "ProjectionBehind");
    assert_eq!(e["details"]["min_position"], wanted, "{e}");
    assert!(e["details"]["applied_position"].as_u64().unwrap() < wanted);
    assert_eq!(e["details"]["retryable"], true);
}
