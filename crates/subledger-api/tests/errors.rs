//! The error model of API.md over HTTP: one shape for every refusal, and the
//! status for each class (400, 401, 403, 404, 405, 409, 413, 422).

mod support;

use serde_json::json;
use support::*;
use uuid::Uuid;

#[tokio::test]
async fn status_400_names_the_field_for_every_kind_of_malformed_command() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let id = Uuid::new_v4();
    let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
        (b"{\"type\": \"Cancel\",".to_vec(), None),
        (b"[]".to_vec(), None),
        (
            json!({"type": "Cancel", "subscription_id": Uuid::new_v4()})
                .to_string()
                .into_bytes(),
            Some("command_id"),
        ),
        (
            json!({"command_id": "not-a-uuid", "type": "Cancel", "subscription_id": Uuid::new_v4()})
                .to_string()
                .into_bytes(),
            Some("command_id"),
        ),
        (
            json!({"command_id": id, "type": "Cancel", "subscription_id": "6f1c"})
                .to_string()
                .into_bytes(),
            Some("subscription_id"),
        ),
        (
            json!({"command_id": id, "type": "AddSeats", "subscription_id": Uuid::new_v4(), "seats": -3})
                .to_string()
                .into_bytes(),
            Some("seats"),
        ),
        (
            json!({"command_id": id, "type": "AddSeats", "subscription_id": Uuid::new_v4(), "seats": 1, "seatz": 2})
                .to_string()
                .into_bytes(),
            Some("seatz"),
        ),
        (
            json!({"command_id": id, "type": "Purchase", "customer_id": CUSTOMER,
                   "items": [{"product_id": "m365-e3", "quantity": -1, "term": "P1Y", "billing": "monthly"}]})
                .to_string()
                .into_bytes(),
            Some("items[0].quantity"),
        ),
        (
            json!({"command_id": id, "type": "Purchase", "customer_id": CUSTOMER,
                   "items": [{"product_id": "m365-e3", "quantity": 1, "term": "P1Y", "billing": "monthly", "colour": "red"}]})
                .to_string()
                .into_bytes(),
            Some("items[0].colour"),
        ),
        (
            json!({"command_id": id, "type": "Refund", "subscription_id": Uuid::new_v4()})
                .to_string()
                .into_bytes(),
            Some("type"),
        ),
        (
            json!({"command_id": id, "expected_version": -1, "type": "Cancel", "subscription_id": Uuid::new_v4()})
                .to_string()
                .into_bytes(),
            Some("expected_version"),
        ),
    ];
    for (body, field) in cases {
        let r = s.post_raw(A, "/v1/commands", body.clone()).await;
        let err = r.error(400, "InvalidRequest");
        assert_eq!(
            err["details"]["field"].as_str(),
            field,
            "{} -> {err}",
            String::from_utf8_lossy(&body)
        );
    }
    // A domain-level bad value is a 400 too, with the domain's rule.
    let err = s
        .command(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER,
                   "items": [{"product_id": "m365-e3", "quantity": 0, "term": "P1Y", "billing": "monthly"}]}),
        )
        .await
        .error(400, "InvalidRequest");
    assert_ne!(err["rule"], "API", "{err}");
}

#[tokio::test]
async fn status_401_for_a_missing_unknown_or_malformed_token_on_every_route_but_healthz() {
    let s = Server::start().await;
    let sub = Uuid::new_v4();
    let paths = [
        format!("/v1/subscriptions/{sub}"),
        format!("/v1/subscriptions/{sub}/history"),
        format!("/v1/subscriptions/{sub}/refundable-seats"),
        format!("/v1/customers/{CUSTOMER}/subscriptions"),
        format!("/v1/customers/{CUSTOMER}/orders"),
        "/v1/billing/lines".to_owned(),
        "/v1/audit/key-access".to_owned(),
        "/v1/audit/key-access/daily".to_owned(),
        "/v1/customers".to_owned(),
        "/v1/events".to_owned(),
        "/v1/catalog".to_owned(),
        "/v1/clock".to_owned(),
        "/metrics".to_owned(),
        "/openapi.json".to_owned(),
        "/no/such/route".to_owned(),
    ];
    for path in &paths {
        let r = s.get_anonymous(path).await;
        r.error(401, "Unauthenticated");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        s.get("wrong-token-000000000000", path)
            .await
            .error(401, "Unauthenticated");
    }
    let basic = s
        .client
        .get(format!("{}/v1/catalog", s.base))
        .header("authorization", format!("Basic {A}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let post = s
        .client
        .post(format!("{}/v1/commands", s.base))
        .json(&json!({"command_id": Uuid::new_v4(), "type": "Cancel", "subscription_id": sub}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401);
    assert_eq!(s.get_anonymous("/healthz").await.ok()["status"], "ok");
}

#[tokio::test]
async fn status_403_when_the_roles_do_not_allow_it() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let helpdesk = role_token(subledger_domain::Role::HelpdeskAgent);
    let err = s
        .command(
            &helpdesk,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 1}),
        )
        .await
        .error(403, "Forbidden");
    assert_eq!(err["rule"], "GEN-3");
    assert!(err["details"]["required_roles"].is_array());
    // A customer's user sends only AcceptRelationship.
    s.command(
        C,
        json!({"type": "AddSeats", "subscription_id": sub, "seats": 1}),
    )
    .await
    .error(403, "Forbidden");
    // Reads: customer users are not partner readers; the key-access log needs KEY-4 roles.
    s.get(C, &format!("/v1/subscriptions/{sub}"))
        .await
        .error(403, "Forbidden");
    s.get(
        &role_token(subledger_domain::Role::AdminAgent),
        "/v1/audit/key-access",
    )
    .await
    .error(403, "Forbidden");
}

#[tokio::test]
async fn status_404_for_unknown_things_and_routes() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let ghost = Uuid::new_v4();
    let err = s
        .command(A, json!({"type": "Cancel", "subscription_id": ghost}))
        .await
        .error(404, "NotFound");
    assert_eq!(err["rule"], "GEN-2");
    s.command(A, json!({"type": "RejectTransfer", "transfer_id": ghost}))
        .await
        .error(404, "NotFound");
    s.command(
        A,
        json!({"type": "Purchase", "customer_id": ghost,
               "items": [{"product_id": "m365-e3", "quantity": 1, "term": "P1Y", "billing": "monthly"}]}),
    )
    .await
    .error(404, "NotFound");
    s.get(A, &format!("/v1/subscriptions/{ghost}"))
        .await
        .error(404, "NotFound");
    s.get(A, &format!("/v1/customers/{ghost}/subscriptions"))
        .await
        .error(404, "NotFound");
    s.get(A, "/v1/nothing-here").await.error(404, "NotFound");
    // A malformed id in a path is a 400, not a 404.
    let err = s
        .get(A, "/v1/subscriptions/not-a-uuid")
        .await
        .error(400, "InvalidRequest");
    assert_eq!(err["details"]["field"], "id");
}

#[tokio::test]
async fn status_405_for_a_wrong_method() {
    let s = Server::start().await;
    let r = s
        .client
        .delete(format!("{}/v1/commands", s.base))
        .bearer_auth(A)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "MethodNotAllowed");
}

#[tokio::test]
async fn status_409_for_a_stale_expected_version() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let err = s
        .command(
            A,
            json!({"type": "Suspend", "subscription_id": sub, "expected_version": 1}),
        )
        .await
        .error(409, "VersionConflict");
    assert_eq!(err["details"]["expected"], 1);
    assert!(err["details"]["actual"].as_u64().unwrap() > 1);
}

#[tokio::test]
async fn status_413_for_a_body_over_one_mebibyte() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let padding = "x".repeat(1024 * 1024 + 10);
    let body = json!({"command_id": Uuid::new_v4(), "type": "CreateCustomer",
                      "customer_id": Uuid::new_v4(), "company_name": padding,
                      "domain": "big.example", "country": "NL", "segment": "commercial"});
    let err = s
        .post(A, "/v1/commands", &body)
        .await
        .error(413, "PayloadTooLarge");
    assert_eq!(err["details"]["limit_bytes"], 1024 * 1024);
    // Just under the limit is read (and refused or accepted on its merits).
    let small = json!({"command_id": Uuid::new_v4(), "type": "CreateCustomer",
                       "customer_id": Uuid::new_v4(), "company_name": "x".repeat(1000),
                       "domain": "small.example", "country": "NL", "segment": "commercial"});
    assert_ne!(s.post(A, "/v1/commands", &small).await.status, 413);
}

#[tokio::test]
async fn status_422_carries_the_rule_and_its_numbers() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.advance("2026-01-20T09:00:00Z").await;
    let err = s
        .command(
            A,
            json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 2}),
        )
        .await
        .error(422, "SeatReductionWindowClosed");
    assert_eq!(err["rule"], "SEAT-2");
    let err = s
        .command(A, json!({"type": "Cancel", "subscription_id": sub}))
        .await
        .error(422, "CancellationWindowClosed");
    assert_eq!(err["rule"], "CAN-1");
    assert!(err["details"]["window_closed_at"].is_string(), "{err}");
    let ws = s
        .buy(
            A,
            CUSTOMER,
            "windows-server-2022-standard",
            1,
            Some("P1Y"),
            "annual",
        )
        .await;
    s.command(
        A,
        json!({"type": "RevealKey", "subscription_id": ws, "key_type": "KMS"}),
    )
    .await
    .error(422, "KmsNotAllowed");
}
