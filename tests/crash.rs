//! A crash never loses an acknowledged command: SIGKILL the server in the middle of
//! a burst of commands, restart it, and every command that got a 200 is there.

mod common;

use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_command_survives_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let (status, body) = server.command(&purchase(customer, "m365-e3", 10)).await;
    assert_eq!(status, 200);
    let sub: Value = serde_json::from_slice(&body).unwrap();
    let sub = sub["subscription_ids"][0].as_str().unwrap().to_owned();

    // Eight clients add seats as fast as they can; the server dies under them.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(Value, Vec<u8>)>::new()));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let base = server.base.clone();
        let token = server.token.clone();
        let sub = sub.clone();
        let acked = acked.clone();
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let body = json!({"command_id": Uuid::new_v4(), "type": "AddSeats", "subscription_id": sub, "seats": 1});
                let Ok(r) = client.post(format!("{base}/v1/commands")).bearer_auth(&token).json(&body).send().await else {
                    break;
                };
                if r.status() != 200 {
                    break;
                }
                let Ok(bytes) = r.bytes().await else { break };
                acked.lock().unwrap().push((body, bytes.to_vec()));
            }
        }));
    }
    // Let a few hundred commands through, then kill mid-burst.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.lock().unwrap().len() < 200 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill();
    for c in clients {
        let _ = c.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 200,
        "only {} commands were acknowledged",
        acked.len()
    );

    let server = Server::start(dir.path());
    for (body, first) in &acked {
        // The same command again: the first result, byte for byte, so it is stored.
        let (status, again) = server.command(body).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&again));
        assert_eq!(
            &again, first,
            "command {} changed after the crash",
            body["command_id"]
        );
    }
    let (status, view) = server.get(&format!("/v1/subscriptions/{sub}")).await;
    assert_eq!(status, 200);
    let quantity = view["quantity"].as_u64().unwrap();
    assert!(
        quantity >= 10 + acked.len() as u64,
        "quantity {quantity} lost acknowledged seats"
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}
