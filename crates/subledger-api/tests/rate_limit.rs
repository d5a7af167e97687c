//! The per-token rate limit (Partner Center limits callers per minute): past N
//! requests a minute a token gets 429 `RateLimited` with `Retry-After` and
//! nothing is done; other tokens go on; requests without a valid token are
//! counted per client address; liveness, metrics and the contract are free.
//! And a body that trickles in is cut with 408.

mod support;

use std::num::NonZeroU32;
use std::time::Duration;

use serde_json::{Value, json};
use subledger_api::{ApiConfig, is_rate_limited, openapi_contract};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

async fn limited(per_minute: u32) -> Server {
    Server::start_with(ApiConfig {
        simulated_clock: true,
        rate_limit: NonZeroU32::new(per_minute),
        ..ApiConfig::default()
    })
    .await
}

fn create(customer: Uuid, command_id: Uuid) -> Value {
    json!({"command_id": command_id, "type": "CreateCustomer", "customer_id": customer,
           "company_name": "Fabrikam", "domain": format!("{customer}.example"),
           "country": "NL", "segment": "commercial"})
}

#[tokio::test]
async fn a_token_over_its_limit_gets_429_with_retry_after_and_its_command_is_not_run() {
    let s = limited(3).await;
    s.create_customer(A, CUSTOMER, "NL").await;
    s.get(A, "/v1/catalog").await.ok();
    s.get(A, &format!("/v1/customers/{CUSTOMER}/orders"))
        .await
        .ok();
    let head = s.ledger.store().last_position().await.unwrap();

    let other = Uuid::from_u128(0xC0FFEE);
    let command_id = Uuid::new_v4();
    let refused = s.command(A, create(other, command_id)).await;
    let err = refused.error(429, "RateLimited");
    assert_eq!(err["rule"], "API");
    // 3 a minute: the next request is allowed 20 s after the first.
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(
        err["details"],
        json!({"limit_per_minute": 3, "retry_after_s": retry_after, "retryable": true})
    );
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("3 requests per minute"), "{message}");
    assert!(message.contains("with this token"), "{message}");
    assert!(
        message.contains(&format!("retry after {retry_after} s")),
        "{message}"
    );
    assert!(refused.header("x-request-id").is_some());
    // Refused before anything ran: nothing was written.
    assert_eq!(s.ledger.store().last_position().await.unwrap(), head);
    // Reads are counted too.
    s.get(A, "/v1/catalog").await.error(429, "RateLimited");

    // Another token has its own minute.
    s.get(B, "/v1/catalog").await.ok();
    s.create_customer(B, Uuid::from_u128(0xB0B), "NL").await;
    // Liveness, metrics and the contract are not limited, even for A.
    assert_eq!(s.get_anonymous("/healthz").await.status, 200);
    let metrics = s.get(A, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text().contains(
            "subledger_http_requests_total{method=\"POST\",route=\"/v1/commands\",status=\"429\"} 1"
        ),
        "{}",
        metrics.text()
    );
    assert_eq!(s.get(A, "/openapi.json").await.status, 200);
    // The refused customer was never created.
    assert_eq!(s.ledger.customer_state(other).await.unwrap().1, 0);
}

#[tokio::test]
async fn without_a_valid_token_requests_are_counted_per_client_address() {
    let s = limited(3).await;
    for guess in ["token-guess-1", "token-guess-2", "token-guess-3"] {
        s.get(guess, "/v1/catalog")
            .await
            .error(401, "Unauthenticated");
    }
    // A fourth guess, another token, no token at all: the address is over its minute.
    let err = s
        .get("token-guess-4", "/v1/catalog")
        .await
        .error(429, "RateLimited");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("from this address without a valid token"),
        "{err}"
    );
    s.get_anonymous("/v1/catalog")
        .await
        .error(429, "RateLimited");
    // A valid token from the same address is counted for itself.
    s.get(A, "/v1/catalog").await.ok();
}

#[tokio::test]
async fn every_operation_documented_with_429_is_limited_and_no_other() {
    let s = limited(1).await;
    // D's one request of the minute.
    s.get(D, "/v1/catalog").await.ok();
    let doc = openapi_contract();
    let some_id = Uuid::from_u128(0x1D);
    let mut limited = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let url = path
            .replace("{id}", &some_id.to_string())
            .replace("{", "")
            .replace("}", "");
        for (method, op) in item.as_object().unwrap() {
            let documented = op["responses"]["429"].is_object();
            assert_eq!(documented, is_rate_limited(path), "{method} {path}");
            let r = match method.as_str() {
                "get" => s.get(D, &url).await,
                "post" => s.post(D, &url, &json!({})).await,
                other => panic!("{other} {path}"),
            };
            if documented {
                r.error(429, "RateLimited");
                assert!(r.header("retry-after").is_some(), "{method} {path}");
                let header = &op["responses"]["429"]["headers"]["Retry-After"];
                assert_eq!(header["schema"]["minimum"], 1, "{method} {path}");
                limited += 1;
            } else {
                assert_ne!(r.status, 429, "{method} {path}: {}", r.text());
            }
        }
    }
    assert!(limited >= 15, "{limited}");
    // The console's files are not limited either.
    assert_eq!(s.get_anonymous("/ui").await.status, 200);
}

#[tokio::test]
async fn without_a_rate_limit_a_token_is_never_refused() {
    let s = Server::start().await;
    for _ in 0..50 {
        s.get(A, "/v1/catalog").await.ok();
    }
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_with_408_and_the_connection_closed() {
    let s = Server::start_with(ApiConfig {
        simulated_clock: true,
        body_timeout: Duration::from_millis(300),
        ..ApiConfig::default()
    })
    .await;
    let head = s.ledger.store().last_position().await.unwrap();
    let addr = s.base.strip_prefix("http://").unwrap();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = create(Uuid::from_u128(0x510), Uuid::new_v4()).to_string();
    let request = format!(
        "POST /v1/commands HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {A}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    // Nothing more is sent; the server answers and closes (EOF ends the read).
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
    let json: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["error"]["code"], "RequestTimeout");
    assert_eq!(json["error"]["rule"], "API");
    assert_eq!(
        json["error"]["details"],
        json!({"timeout_s": 1, "retryable": true})
    );
    assert_eq!(s.ledger.store().last_position().await.unwrap(), head);
}
