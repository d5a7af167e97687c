//! The simulated clock (REN-7 before answering, never back), /metrics,
//! /openapi.json, /healthz, x-request-id, and graceful shutdown.

mod support;

use serde_json::json;
use subledger_api::ApiConfig;
use support::*;

#[tokio::test]
async fn ren_7_advancing_the_clock_runs_due_work_before_answering() {
    let s = Server::start().await;
    assert_eq!(s.get(A, "/v1/clock").await.ok()["now"], START);
    s.create_customer(A, CUSTOMER, "NL").await;
    let monthly = s
        .buy(
            A,
            CUSTOMER,
            "m365-business-basic",
            3,
            Some("P1M"),
            "monthly",
        )
        .await;
    let ending = s
        .accepted(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER,
                   "items": [{"product_id": "m365-business-basic", "quantity": 1, "term": "P1M",
                              "billing": "monthly", "auto_renew": false}]}),
        )
        .await;
    let ending = sub_id(&ending);
    // Three renewals fall due (02-10, 03-10, 04-10), and one expiry (02-10).
    let advanced = s
        .post(
            A,
            "/v1/clock/advance",
            &json!({"to": "2026-04-15T00:00:00Z"}),
        )
        .await
        .ok();
    assert_eq!(advanced["now"], "2026-04-15T00:00:00Z");
    assert!(
        advanced["events_written"].as_u64().unwrap() >= 4,
        "{advanced}"
    );
    // Read straight after the answer: the work is done.
    let v = s.get(A, &format!("/v1/subscriptions/{monthly}")).await.ok();
    assert_eq!(v["term_start"], "2026-04-10T00:00:00Z");
    assert_eq!(v["term_end_date"], "2026-05-09");
    let history = s
        .get(A, &format!("/v1/subscriptions/{monthly}/history"))
        .await
        .ok();
    let renewals: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "SubscriptionRenewed")
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        renewals,
        [
            "2026-02-10T00:00:00Z",
            "2026-03-10T00:00:00Z",
            "2026-04-10T00:00:00Z"
        ],
        "each at its own due instant"
    );
    let e = s.get(A, &format!("/v1/subscriptions/{ending}")).await.ok();
    assert_eq!(e["status"], "expired");
    assert_eq!(
        s.get(C, "/v1/clock").await.ok()["now"],
        "2026-04-15T00:00:00Z"
    );

    // Never back, and the same instant is fine.
    let err = s
        .post(
            A,
            "/v1/clock/advance",
            &json!({"to": "2026-04-14T00:00:00Z"}),
        )
        .await
        .error(422, "ClockWentBack");
    assert_eq!(err["details"]["now"], "2026-04-15T00:00:00Z");
    s.post(
        A,
        "/v1/clock/advance",
        &json!({"to": "2026-04-15T00:00:00Z"}),
    )
    .await
    .ok();
    let err = s
        .post(A, "/v1/clock/advance", &json!({"to": "soon"}))
        .await
        .error(400, "InvalidRequest");
    assert_eq!(err["details"]["field"], "to");
    s.post(
        A,
        "/v1/clock/advance",
        &json!({"to": "2026-05-01T00:00:00Z", "speed": 2}),
    )
    .await
    .error(400, "InvalidRequest");
}

#[tokio::test]
async fn the_clock_is_not_found_without_a_simulated_clock() {
    let s = Server::start_with(ApiConfig {
        simulated_clock: false,
        body_limit_bytes: 1024 * 1024,
        ..ApiConfig::default()
    })
    .await;
    s.get(A, "/v1/clock").await.error(404, "NotFound");
    s.post(
        A,
        "/v1/clock/advance",
        &json!({"to": "2027-01-01T00:00:00Z"}),
    )
    .await
    .error(404, "NotFound");
    assert_eq!(s.clock_now(), START);
}

impl Server {
    fn clock_now(&self) -> String {
        use subledger_app::Clock;
        self.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

#[tokio::test]
async fn metrics_carry_the_ledgers_command_counters_and_http_requests() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    s.command(
        A,
        json!({"type": "Cancel", "subscription_id": uuid::Uuid::new_v4()}),
    )
    .await
    .error(404, "NotFound");
    let r = s.get(A, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .contains("openmetrics-text")
    );
    let text = r.text();
    for needle in [
        "subledger_commands_total{command_type=\"CreateCustomer\",outcome=\"accepted\"} 1",
        "subledger_commands_total{command_type=\"Cancel\",outcome=\"not_found\"} 1",
        "subledger_command_seconds_bucket",
        "subledger_store_append_seconds",
        "subledger_http_requests_total{method=\"POST\",route=\"/v1/commands\",status=\"200\"} 1",
        "subledger_http_requests_total{method=\"POST\",route=\"/v1/commands\",status=\"404\"} 1",
        "subledger_http_request_seconds_bucket{le=",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
    // Routes are patterns: no id ever becomes a label value.
    assert!(!text.contains(&CUSTOMER.to_string()));
}

#[tokio::test]
async fn openapi_json_is_generated_and_lists_every_path() {
    let s = Server::start().await;
    let doc = s.get(A, "/openapi.json").await.ok();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/commands", "post"),
        ("/v1/subscriptions/{id}", "get"),
        ("/v1/customers/{id}/subscriptions", "get"),
        ("/v1/customers/{id}/orders", "get"),
        ("/v1/subscriptions/{id}/refundable-seats", "get"),
        ("/v1/subscriptions/{id}/history", "get"),
        ("/v1/billing/lines", "get"),
        ("/v1/audit/key-access", "get"),
        ("/v1/audit/key-access/daily", "get"),
        ("/v1/customers", "get"),
        ("/v1/events", "get"),
        ("/v1/catalog", "get"),
        ("/v1/clock", "get"),
        ("/v1/clock/advance", "post"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
        ("/v1/ledger/checkpoint", "get"),
        ("/v1/ledger/checkpoint", "post"),
        ("/v1/ledger/proof/inclusion", "get"),
        ("/v1/ledger/proof/consistency", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert_eq!(paths.len(), 20);
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let list_params = paths["/v1/customers/{id}/subscriptions"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["id", "as_of", "limit", "cursor", "format"] {
        assert!(
            list_params.iter().any(|p| p["name"] == name),
            "parameter {name}"
        );
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_the_clients_when_sane() {
    let s = Server::start().await;
    let fresh = s.get(A, "/v1/catalog").await;
    let id = fresh.header("x-request-id").expect("generated");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let other = s.get(A, "/v1/catalog").await;
    assert_ne!(other.header("x-request-id"), Some(id));
    for (path, token) in [
        ("/v1/catalog", A),
        ("/v1/catalog", "nobody-0000000000000000"),
        ("/v1/nowhere", A),
        ("/healthz", A),
    ] {
        let echoed = s
            .get_with(token, path, &[("x-request-id", "client-req-42")])
            .await;
        assert_eq!(
            echoed.header("x-request-id"),
            Some("client-req-42"),
            "{path}"
        );
    }
    let odd = s
        .get_with(A, "/v1/catalog", &[("x-request-id", &"x".repeat(500))])
        .await;
    let replaced = odd.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(replaced).is_ok(), "{replaced}");
    let post = s
        .client
        .post(format!("{}/v1/commands", s.base))
        .bearer_auth(A)
        .header("x-request-id", "cmd-1")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(post.headers()["x-request-id"], "cmd-1");
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_request_finish() {
    let mut s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    for _ in 0..20 {
        s.buy(
            A,
            CUSTOMER,
            "m365-business-basic",
            1,
            Some("P1M"),
            "monthly",
        )
        .await;
    }
    // Two years of monthly renewals for 20 subscriptions: a slow request.
    let client = s.client.clone();
    let url = format!("{}/v1/clock/advance", s.base);
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(A)
            .json(&json!({"to": "2028-01-10T00:00:00Z"}))
            .send()
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    s.signal_shutdown();
    let response = in_flight.await.unwrap().expect("answered, not dropped");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["now"], "2028-01-10T00:00:00Z");
    s.stop().await.expect("serve returns cleanly");
    // Stopped: no new connection is served.
    assert!(
        s.client
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn shutdown_waits_for_the_work_of_a_client_that_hung_up() {
    let mut s = Server::start().await;
    let mut customers = Vec::new();
    for i in 0..10u128 {
        let customer = uuid::Uuid::from_u128(0xCC00 + i);
        s.create_customer(A, customer, "NL").await;
        for _ in 0..3 {
            s.buy(
                A,
                customer,
                "m365-business-basic",
                1,
                Some("P1M"),
                "monthly",
            )
            .await;
        }
        customers.push(customer);
    }
    // Three years of monthly renewals; the client hangs up as soon as the work has
    // begun (the log grows), long before its answer. Written by hand on a socket so
    // the hang-up comes after the request arrived, however loaded the machine is.
    let before = s.ledger.store().last_position().await.unwrap();
    let started = std::time::Instant::now();
    let body = json!({"to": "2029-01-10T00:00:00Z"}).to_string();
    let host = s.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!(
        "POST /v1/clock/advance HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {A}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    tokio::io::AsyncWriteExt::write_all(&mut socket, request.as_bytes())
        .await
        .unwrap();
    while s.ledger.store().last_position().await.unwrap() == before {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the advance never began"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    drop(socket);
    s.signal_shutdown();
    s.stop().await.unwrap();
    // Read without waiting on the ledger's locks: what was written when serve returned.
    let at_return = s.ledger.store().last_position().await.unwrap();
    eprintln!("advance + shutdown took {:?}", started.elapsed());
    // serve returned only after the advance ran to its end: nothing was written since.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(s.ledger.store().last_position().await.unwrap(), at_return);
    for customer in customers {
        let (state, _) = s.ledger.customer_state(customer).await.unwrap();
        for sub in state.subscriptions.values() {
            assert_eq!(
                sub.term_start.to_rfc3339(),
                "2029-01-10T00:00:00+00:00",
                "the last renewal of {}",
                sub.subscription_id
            );
        }
    }
}
