//! The NDJSON event feed.

use super::*;

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[tokio::test]
async fn the_event_feed_is_ndjson_after_a_position_and_only_the_callers() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let a_sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.relate_b().await;
    let b_sub = s
        .buy(
            B,
            CUSTOMER,
            "m365-business-basic",
            1,
            Some("P1M"),
            "monthly",
        )
        .await;
    s.accepted(
        D,
        json!({"type": "RequestRelationship", "customer_id": CUSTOMER}),
    )
    .await;

    let r = s.get(A, "/v1/events").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let events = ndjson(&r.text());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "CustomerCreated",
            "RelationshipEstablished",
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged"
        ],
        "A sees none of B's or D's events"
    );
    let text = r.text();
    assert!(!text.contains(&b_sub.to_string()));
    assert!(!text.contains(&PARTNER_D.to_string()));
    let positions: Vec<u64> = events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    let created = &events[3];
    assert_eq!(created["stream"], format!("customer-{CUSTOMER}"));
    assert_eq!(created["data"]["subscription_id"], a_sub.to_string());
    assert!(created["event_id"].is_string());
    assert!(created["version"].as_u64().is_some());
    let last: u64 = r.header("x-next-after").unwrap().parse().unwrap();
    assert!(last >= *positions.last().unwrap());

    // B sees the customer, its own relationship and its own purchase.
    let b = ndjson(&s.get(B, "/v1/events").await.text());
    let b_types: Vec<&str> = b.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        b_types,
        [
            "CustomerCreated",
            "RelationshipRequested",
            "RelationshipEstablished",
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged"
        ]
    );
    // D's request is pending: D sees nothing of the customer yet.
    assert_eq!(s.get(D, "/v1/events").await.text(), "");

    // after and limit.
    let page = s.get(A, "/v1/events?limit=2").await;
    let first_two = ndjson(&page.text());
    assert_eq!(first_two.len(), 2);
    let next: u64 = page.header("x-next-after").unwrap().parse().unwrap();
    assert_eq!(next, first_two[1]["position"].as_u64().unwrap());
    let rest = ndjson(&s.get(A, &format!("/v1/events?after={next}")).await.text());
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[0]["type"], "OrderPlaced");
    s.get(A, "/v1/events?after=-1")
        .await
        .error(400, "InvalidRequest");
}

#[tokio::test]
async fn the_event_feed_shows_a_transfer_to_both_partners() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.relate_b().await;
    let t = s
        .accepted(
            B,
            json!({"type": "RequestTransfer", "customer_id": CUSTOMER,
                   "source_partner_id": PARTNER_A, "customer_email": "it@customer.example"}),
        )
        .await;
    s.accepted(
        A,
        json!({"type": "AcceptTransfer", "transfer_id": t["transfer_id"], "subscription_ids": [sub]}),
    )
    .await;
    for token in [A, B] {
        let events = ndjson(&s.get(token, "/v1/events").await.text());
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        for ty in [
            "TransferRequested",
            "SubscriptionTransferred",
            "TransferAccepted",
        ] {
            assert!(types.contains(&ty), "{token}: {ty} in {types:?}");
        }
        // The other partner's user is shown by partner id only.
        for e in &events {
            if let Some(user) = e["actor"]["user"].as_str() {
                let own = if token == A { "alice@" } else { "bob@" };
                assert!(
                    user.starts_with(own) || user.starts_with("admin@customer"),
                    "{token} sees {user}"
                );
            }
        }
    }
}
