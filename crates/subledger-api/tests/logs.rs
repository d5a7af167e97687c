//! Log lines: every line of a request carries its request id (the request span,
//! and the ledger's command span inside it); no software key is ever logged
//! (KEY-1), not even at TRACE level.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use support::*;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn every_log_line_of_a_request_has_its_id_and_no_key_is_ever_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        // Span closes are lines too, so the command span shows up in the log.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // The server runs on this (current-thread) runtime, so under this subscriber.
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
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
    let before = captured.text().len();
    let reveal = s
        .client
        .post(format!("{}/v1/commands", s.base))
        .bearer_auth(A)
        .header("x-request-id", "reveal-req-7")
        .json(&json!({"command_id": uuid::Uuid::new_v4(), "type": "RevealKey", "subscription_id": ws}))
        .send()
        .await
        .unwrap();
    assert_eq!(reveal.status(), 200);
    let body: serde_json::Value = reveal.json().await.unwrap();
    let key = body["key"].as_str().unwrap().to_owned();
    // A refused request logs too (its refusal, at DEBUG).
    let refused = s
        .client
        .post(format!("{}/v1/commands", s.base))
        .bearer_auth(A)
        .header("x-request-id", "bad-req-8")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    drop(s);

    let all = captured.text();
    assert!(!all.contains(&key), "KEY-1: the key is in the log");
    assert!(!all.contains(A), "a bearer token is in the log");
    let lines: Vec<&str> = all[before..].lines().collect();
    let reveal_lines: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("RevealKey") || l.contains("reveal-req-7"))
        .collect();
    assert!(
        reveal_lines.len() >= 2,
        "the request and its command log: {lines:#?}"
    );
    for line in &reveal_lines {
        assert!(line.contains("request_id=reveal-req-7"), "{line}");
        assert!(line.contains("route=/v1/commands"), "{line}");
        assert!(line.contains("method=POST"), "{line}");
    }
    assert!(
        reveal_lines
            .iter()
            .any(|l| l.contains("command_type=\"RevealKey\"")
                || l.contains("command_type=RevealKey")),
        "the ledger's command span is inside the request span: {reveal_lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("request_id=bad-req-8") && l.contains("refused")),
        "{lines:#?}"
    );
}
