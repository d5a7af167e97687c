//! `POST /v1/commands` over HTTP: every command type accepted at least once, the
//! success body of API.md, idempotent repeats byte for byte (GEN-5), dry runs.

mod support;

use serde_json::json;
use support::*;
use uuid::Uuid;

#[tokio::test]
async fn customer_relationship_and_purchase_commands() {
    let s = Server::start().await;
    let created = s.create_customer(A, CUSTOMER, "NL").await;
    assert_eq!(
        event_types(&created),
        ["CustomerCreated", "RelationshipEstablished"]
    );
    assert_eq!(created["stream"], format!("customer-{CUSTOMER}"));
    assert_eq!(created["version"], 2);
    assert!(created["position"].as_u64().is_some());

    let requested = s
        .accepted(
            B,
            json!({"type": "RequestRelationship", "customer_id": CUSTOMER}),
        )
        .await;
    assert_eq!(event_types(&requested), ["RelationshipRequested"]);
    let accepted = s
        .accepted(
            C,
            json!({"type": "AcceptRelationship", "partner_id": PARTNER_B}),
        )
        .await;
    assert_eq!(event_types(&accepted), ["RelationshipEstablished"]);

    let order_id = Uuid::new_v4();
    let bought = s
        .accepted(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER, "order_id": order_id,
                   "items": [{"product_id": "m365-e3", "quantity": 10, "term": "P1Y", "billing": "monthly"},
                             {"product_id": "m365-business-basic", "quantity": 2, "term": "P1M", "billing": "monthly", "auto_renew": false}]}),
        )
        .await;
    assert_eq!(bought["order_id"], order_id.to_string());
    assert_eq!(bought["subscription_ids"].as_array().unwrap().len(), 2);
    let types = event_types(&bought);
    assert_eq!(types[0], "OrderPlaced");
    assert_eq!(
        types.iter().filter(|t| *t == "SubscriptionCreated").count(),
        2
    );
    assert_eq!(types.iter().filter(|t| *t == "Charged").count(), 2);
    // Every event is `{type, data}` and nothing else.
    for e in bought["events"].as_array().unwrap() {
        assert_eq!(e.as_object().unwrap().len(), 2, "{e}");
        assert!(e["data"].is_object());
    }
}

#[tokio::test]
async fn seat_lifecycle_and_scheduled_change_commands() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let add = s
        .accepted(
            A,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 5}),
        )
        .await;
    assert_eq!(event_types(&add), ["SeatsAdded", "Charged"]);
    let reduce = s
        .accepted(
            A,
            json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 3}),
        )
        .await;
    assert_eq!(event_types(&reduce)[0], "SeatsReduced");
    assert_eq!(reduce["events"][0]["data"]["quantity_after"], 12);

    let schedule = s
        .accepted(
            A,
            json!({"type": "ScheduleChange", "subscription_id": sub, "quantity": 20}),
        )
        .await;
    assert_eq!(event_types(&schedule), ["ScheduledChangeSet"]);
    let cleared = s
        .accepted(
            A,
            json!({"type": "ClearScheduledChange", "subscription_id": sub}),
        )
        .await;
    assert_eq!(event_types(&cleared), ["ScheduledChangeCleared"]);
    let auto = s
        .accepted(
            A,
            json!({"type": "SetAutoRenew", "subscription_id": sub, "enabled": false}),
        )
        .await;
    assert_eq!(event_types(&auto), ["AutoRenewSet"]);

    let suspended = s
        .accepted(A, json!({"type": "Suspend", "subscription_id": sub}))
        .await;
    assert_eq!(event_types(&suspended)[0], "SubscriptionSuspended");
    let reactivated = s
        .accepted(A, json!({"type": "Reactivate", "subscription_id": sub}))
        .await;
    assert_eq!(event_types(&reactivated), ["SubscriptionReactivated"]);
    let cancelled = s
        .accepted(A, json!({"type": "Cancel", "subscription_id": sub}))
        .await;
    assert!(event_types(&cancelled).contains(&"SubscriptionCancelled".to_owned()));
    assert!(event_types(&cancelled).contains(&"Credited".to_owned()));
}

#[tokio::test]
async fn upgrade_and_trial_conversion_list_every_subscription_they_touch() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let e3 = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let partial = s
        .accepted(
            A,
            json!({"type": "Upgrade", "subscription_id": e3, "target_product_id": "m365-e5",
                   "quantity": 4, "timing": "now"}),
        )
        .await;
    let ids = partial["subscription_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 2, "{partial}");
    assert!(ids.contains(&json!(e3)));
    assert!(event_types(&partial).contains(&"SubscriptionUpgraded".to_owned()));

    let trial = s.buy_trial(A, CUSTOMER, "m365-business-premium").await;
    let converted = s
        .accepted(
            A,
            json!({"type": "ConvertTrial", "subscription_id": trial, "quantity": 30,
                   "term": "P1Y", "billing": "monthly"}),
        )
        .await;
    assert!(event_types(&converted).contains(&"TrialConverted".to_owned()));
    let ids = converted["subscription_ids"].as_array().unwrap();
    assert!(ids.len() >= 2, "{converted}");
    assert!(ids.contains(&json!(trial)));
}

#[tokio::test]
async fn transfer_commands_request_accept_and_reject() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.relate_b().await;
    let request = json!({"type": "RequestTransfer", "customer_id": CUSTOMER,
                         "source_partner_id": PARTNER_A, "customer_email": "it@customer.example"});
    let first = s.accepted(B, request.clone()).await;
    let transfer = first["transfer_id"].as_str().unwrap().to_owned();
    assert_eq!(event_types(&first), ["TransferRequested"]);
    let rejected = s
        .accepted(
            A,
            json!({"type": "RejectTransfer", "transfer_id": transfer}),
        )
        .await;
    assert_eq!(event_types(&rejected), ["TransferRejected"]);

    let second = s.accepted(B, request).await;
    let transfer = second["transfer_id"].as_str().unwrap().to_owned();
    let accepted = s
        .accepted(
            A,
            json!({"type": "AcceptTransfer", "transfer_id": transfer, "subscription_ids": [sub]}),
        )
        .await;
    let types = event_types(&accepted);
    assert!(
        types.contains(&"SubscriptionTransferred".to_owned()),
        "{types:?}"
    );
    assert!(types.contains(&"TransferAccepted".to_owned()));
    assert!(
        accepted["subscription_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(sub))
    );
}

#[tokio::test]
async fn key_commands_and_the_one_secret_in_a_response() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let ws = s
        .buy(
            A,
            CUSTOMER,
            "windows-server-2022-standard",
            2,
            Some("P1Y"),
            "annual",
        )
        .await;
    let reveal = s
        .command(
            A,
            json!({"type": "RevealKey", "subscription_id": ws, "language": "en-US"}),
        )
        .await;
    assert_eq!(reveal.status, 200, "{}", reveal.text());
    assert_eq!(reveal.header("cache-control"), Some("no-store"));
    let body = reveal.json();
    let key = body["key"].as_str().expect("a key").to_owned();
    assert_eq!(key.len(), 29);
    assert_eq!(event_types(&body), ["KeyRevealed"]);
    // The key is only in `key`: the events carry its fingerprint (KEY-1).
    let events = body["events"].to_string();
    assert!(!events.contains(&key));
    assert!(events.contains("sha256:"));

    let download = s
        .accepted(
            A,
            json!({"type": "DownloadSoftware", "subscription_id": ws, "version": "2022",
                   "language": "nl-NL"}),
        )
        .await;
    assert_eq!(event_types(&download), ["SoftwareDownloaded"]);
    assert!(download.get("key").is_none());
    let link = s
        .accepted(
            A,
            json!({"type": "CopyDownloadLink", "subscription_id": ws}),
        )
        .await;
    assert_eq!(event_types(&link), ["DownloadLinkCopied"]);
}

#[tokio::test]
async fn gen_5_a_repeated_command_id_returns_the_first_body_byte_for_byte() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let id = Uuid::new_v4();
    let body = json!({"command_id": id, "type": "Purchase", "customer_id": CUSTOMER,
                      "items": [{"product_id": "m365-e3", "quantity": 3, "term": "P1Y", "billing": "monthly"}]});
    let first = s.post(A, "/v1/commands", &body).await;
    assert_eq!(first.status, 200, "{}", first.text());
    // The same meaning spelled differently (a default written out, keys moved).
    let again = json!({"items": [{"billing": "monthly", "term": "P1Y", "quantity": 3,
                                  "product_id": "m365-e3", "auto_renew": true}],
                       "customer_id": CUSTOMER, "type": "Purchase", "command_id": id});
    let second = s.post(A, "/v1/commands", &again).await;
    assert_eq!(second.status, 200);
    assert_eq!(first.body, second.body);
    // Only one order was written.
    let orders = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/orders"))
        .await
        .ok();
    assert_eq!(orders["orders"].as_array().unwrap().len(), 1);
    // A different payload under the same id is refused.
    let mut other = body.clone();
    other["items"][0]["quantity"] = json!(4);
    let err = s
        .post(A, "/v1/commands", &other)
        .await
        .error(422, "IdempotencyKeyReused");
    assert_eq!(err["rule"], "GEN-5");
    assert_eq!(err["details"]["command_id"], id.to_string());
}

#[tokio::test]
async fn a_dry_run_returns_the_events_and_writes_nothing() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let dry = s
        .accepted(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER, "dry_run": true,
                   "items": [{"product_id": "m365-e3", "quantity": 3, "term": "P1Y", "billing": "monthly"}]}),
        )
        .await;
    assert_eq!(dry["dry_run"], true);
    assert!(dry.get("position").is_none());
    assert!(event_types(&dry).contains(&"Charged".to_owned()));
    let list = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/subscriptions"))
        .await
        .ok();
    assert_eq!(list["subscriptions"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn expected_version_is_checked_and_a_match_is_accepted() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let view = s.get(A, &format!("/v1/subscriptions/{sub}")).await;
    let version = view.ok()["version"].as_u64().unwrap();
    assert_eq!(view.header("etag"), Some(format!("\"{version}\"").as_str()));
    let ok = s
        .accepted(
            A,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 1, "expected_version": version}),
        )
        .await;
    assert_eq!(ok["version"].as_u64().unwrap(), version + 2);
    let stale = s
        .command(
            A,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 1, "expected_version": version}),
        )
        .await;
    let err = stale.error(409, "VersionConflict");
    assert_eq!(err["details"]["expected"], version);
    assert_eq!(err["details"]["actual"], version + 2);
}
