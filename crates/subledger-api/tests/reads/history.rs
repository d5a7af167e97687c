//! `as_of` on every state read (VIEW-4) and a subscription's history (VIEW-5).

use super::*;

#[tokio::test]
async fn view_4_every_state_read_accepts_as_of() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.advance("2026-01-11T09:00:00Z").await;
    s.accepted(
        A,
        json!({"type": "AddSeats", "subscription_id": sub, "seats": 5}),
    )
    .await;
    s.advance("2026-01-12T09:00:00Z").await;
    s.accepted(A, json!({"type": "Suspend", "subscription_id": sub}))
        .await;
    let before = "2026-01-10T12:00:00Z";
    let view = s
        .get(A, &format!("/v1/subscriptions/{sub}?as_of={before}"))
        .await;
    let v = view.ok();
    assert_eq!(v["quantity"], 10);
    assert_eq!(v["status"], "active");
    assert_eq!(v["version"], 5);
    assert_eq!(view.header("etag"), Some("\"5\""));
    let now = s.get(A, &format!("/v1/subscriptions/{sub}")).await.ok();
    assert_eq!(now["quantity"], 15);
    assert_eq!(now["status"], "suspended");
    let list = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?as_of=2026-01-11T10:00:00Z"),
        )
        .await
        .ok();
    assert_eq!(list["subscriptions"][0]["quantity"], 15);
    assert_eq!(list["subscriptions"][0]["status"], "active");
    let csv = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?format=csv&as_of={before}"),
        )
        .await
        .text();
    assert!(csv.contains(",10,active"), "{csv}");
    let seats = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}/refundable-seats?as_of={before}"),
        )
        .await
        .ok();
    assert_eq!(seats["total"], 9);
    let orders = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/orders?as_of=2026-01-10T08:00:00Z"),
        )
        .await
        .ok();
    assert_eq!(orders["orders"], json!([]));
    // Before it existed, the subscription is not found; the future is refused.
    s.get(
        A,
        &format!("/v1/subscriptions/{sub}?as_of=2026-01-01T00:00:00Z"),
    )
    .await
    .error(404, "NotFound");
    let err = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}?as_of=2030-01-01T00:00:00Z"),
        )
        .await
        .error(400, "InvalidRequest");
    assert_eq!(err["details"]["field"], "as_of");
    s.get(A, &format!("/v1/subscriptions/{sub}?as_of=tuesday"))
        .await
        .error(400, "InvalidRequest");
}

#[tokio::test]
async fn view_5_history_lists_every_event_touching_the_subscription() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let other = s
        .buy(
            A,
            CUSTOMER,
            "m365-business-basic",
            1,
            Some("P1M"),
            "monthly",
        )
        .await;
    let add = s
        .accepted(
            A,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 2}),
        )
        .await;
    s.accepted(
        A,
        json!({"type": "AddSeats", "subscription_id": other, "seats": 2}),
    )
    .await;
    let h = s
        .get(A, &format!("/v1/subscriptions/{sub}/history"))
        .await
        .ok();
    let events = h["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "SeatsAdded",
            "Charged"
        ]
    );
    let added = &events[3];
    assert_eq!(added["at"], START);
    assert_eq!(added["command_id"], add["command_id"]);
    assert_eq!(added["actor"]["user"], "alice@a.example");
    assert_eq!(added["actor"]["partner_id"], PARTNER_A.to_string());
    assert_eq!(added["data"]["subscription_id"], sub.to_string());
    assert_eq!(added["data"]["seats"], 2);
    // Paged and cut at as_of.
    let first = s
        .get(A, &format!("/v1/subscriptions/{sub}/history?limit=2"))
        .await
        .ok();
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}/history?cursor={cursor}"),
        )
        .await
        .ok();
    assert_eq!(rest["events"].as_array().unwrap().len(), 3);
    let early = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}/history?as_of=2026-01-01T00:00:00Z"),
        )
        .await
        .ok();
    assert_eq!(early["events"], json!([]));
    // Time-driven work has no actor.
    s.advance("2026-02-10T00:00:00Z").await;
    let h = s
        .get(A, &format!("/v1/subscriptions/{other}/history"))
        .await
        .ok();
    let renewal = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "SubscriptionRenewed")
        .expect("the P1M subscription renewed");
    assert!(renewal["actor"].is_null());
    assert!(renewal["command_id"].is_null());
}

#[tokio::test]
async fn view_5_history_events_carry_their_log_position() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    // Another customer's events in between, so positions and versions differ.
    s.create_customer(A, Uuid::from_u128(0xC002), "DE").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.buy(
        A,
        Uuid::from_u128(0xC002),
        "m365-e3",
        1,
        Some("P1Y"),
        "monthly",
    )
    .await;
    let add = s
        .accepted(
            A,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 2}),
        )
        .await;
    // The feed says where each of the customer's events sits in the log.
    let feed = s.get(A, "/v1/events").await;
    assert_eq!(feed.status, 200, "{}", feed.text());
    let stream = format!("customer-{CUSTOMER}");
    let feed: Vec<Value> = feed
        .text()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["stream"] == stream.as_str())
        .collect();
    assert!(!feed.is_empty(), "stream {stream}");
    let h = s
        .get(A, &format!("/v1/subscriptions/{sub}/history"))
        .await
        .ok();
    let events = h["events"].as_array().unwrap();
    assert_eq!(events.len(), 5, "{h}");
    let mut last = 0;
    for e in events {
        let position = e["position"].as_u64().expect("a position");
        let logged = feed
            .iter()
            .find(|f| f["version"] == e["version"])
            .unwrap_or_else(|| panic!("version {} in the feed", e["version"]));
        assert_eq!(logged["position"], position, "{e}");
        assert_eq!(logged["type"], e["type"]);
        assert!(position > last, "log order");
        last = position;
    }
    assert_ne!(
        events[0]["position"], events[0]["version"],
        "the global position, not the stream version"
    );
    // The command's answer names the position of its last event.
    assert_eq!(events[4]["position"], add["position"], "{add}");
    // Paged, the positions are the same.
    let page = s
        .get(A, &format!("/v1/subscriptions/{sub}/history?limit=2"))
        .await
        .ok();
    assert_eq!(page["events"][1]["position"], events[1]["position"]);
}
