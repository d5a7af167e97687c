//! Fifty concurrent clients on one customer, through the real server: no rule of
//! RULES.md breaks (PUR-7's Copilot limit above all), and identical requests sent
//! at once are written once (GEN-5).

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pur_7_fifty_clients_never_break_the_copilot_limit_or_the_seat_floor() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(dir.path()));
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let (_, body) = server.command(&purchase(customer, "m365-e3", 100)).await;
    let base: Value = serde_json::from_slice(&body).unwrap();
    let base = base["subscription_ids"][0].as_str().unwrap().to_owned();

    let mut clients = Vec::new();
    for i in 0..50 {
        let server = server.clone();
        let base = base.clone();
        clients.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for j in 0..6 {
                let body = match (i + j) % 3 {
                    0 => purchase(customer, "copilot-m365", 7),
                    1 => json!({"command_id": Uuid::new_v4(), "type": "ReduceSeats", "subscription_id": base, "seats": 3}),
                    _ => json!({"command_id": Uuid::new_v4(), "type": "AddSeats", "subscription_id": base, "seats": 1}),
                };
                let (status, text) = server.command(&body).await;
                assert!(
                    status == 200 || status == 422,
                    "unexpected {status}: {}",
                    String::from_utf8_lossy(&text)
                );
                statuses.push(status);
            }
            statuses
        }));
    }
    let mut accepted = 0;
    for c in clients {
        accepted += c.await.unwrap().iter().filter(|s| **s == 200).count();
    }
    assert!(accepted > 0);

    let (status, list) = server
        .get(&format!(
            "/v1/customers/{customer}/subscriptions?limit=1000"
        ))
        .await;
    assert_eq!(status, 200);
    let subs = list["subscriptions"].as_array().unwrap();
    let live = |s: &&Value| s["status"] == "active" || s["status"] == "suspended";
    let seats_of = |product: &str| -> u64 {
        subs.iter()
            .filter(live)
            .filter(|s| s["product_id"] == product)
            .map(|s| s["quantity"].as_u64().unwrap())
            .sum()
    };
    assert!(
        seats_of("copilot-m365") <= seats_of("m365-e3"),
        "Copilot {} > base {}",
        seats_of("copilot-m365"),
        seats_of("m365-e3")
    );
    assert!(
        subs.iter()
            .filter(live)
            .all(|s| s["quantity"].as_u64().unwrap() >= 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gen_5_twenty_identical_requests_at_once_write_once_and_answer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(dir.path()));
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let body = purchase(customer, "m365-e5", 4);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let server = server.clone();
            let body = body.clone();
            tokio::spawn(async move { server.command(&body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|(s, _)| *s == 200));
    assert!(
        answers.windows(2).all(|w| w[0].1 == w[1].1),
        "bodies differ"
    );
    let (_, list) = server
        .get(&format!("/v1/customers/{customer}/subscriptions"))
        .await;
    assert_eq!(
        list["subscriptions"].as_array().unwrap().len(),
        1,
        "written once"
    );
}
