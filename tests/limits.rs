//! Hostile clients against the real `subledger serve` (issue 14): idle
//! connections, a slowloris, a trickling body, heads too large, more connections
//! than the cap, and a token over its rate limit. The server cuts each after its
//! own limit while a normal client is served. Timeouts are short here
//! (`--header-timeout 3s`, …); the bounds asserted are correctness bounds (cut
//! no earlier than the limit; served before the slow ones were cut), never
//! speed.

mod common;

use std::time::{Duration, Instant};

use common::Server;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

fn addr(server: &Server) -> String {
    server.base.strip_prefix("http://").unwrap().to_owned()
}

/// Reads until the server closes the connection (EOF or reset) or `limit`
/// passes; returns what arrived and whether it was closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (got, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one response (head and `content-length` body) off a kept-alive connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |n| n.trim().parse::<usize>().unwrap());
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(n > 0, "closed mid-response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

/// Whether the server still holds `stream` open (nothing to read, no EOF).
fn still_open(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 1];
    matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

fn error_of(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).expect("a body");
    let v: Value = serde_json::from_str(body).expect("JSON");
    let e = v["error"].clone();
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    for field in ["code", "rule", "message", "details"] {
        assert!(!e[field].is_null(), "{field}: {v}");
    }
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_slow_and_oversized_clients_are_cut_while_a_normal_client_is_served() {
    const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_simulated_with(
        dir.path(),
        &[
            "--header-timeout",
            "3s",
            "--body-timeout",
            "2s",
            "--max-connections",
            "512",
        ],
    );
    let at = addr(&server);
    let started = Instant::now();

    // 300 connections that never send a byte.
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(&at).await.unwrap());
    }
    // A slowloris: a head that never ends, one byte every 100 ms.
    let slowloris = {
        let mut s = TcpStream::connect(&at).await.unwrap();
        let connected = Instant::now();
        tokio::spawn(async move {
            s.write_all(b"GET /v1/catalog HTTP/1.1\r\nhost: x\r\n")
                .await
                .unwrap();
            for byte in b"x-a: b\r\n".iter().cycle().take(1000) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if s.write_all(&[*byte]).await.is_err() {
                    break;
                }
                if !still_open(&s) {
                    break;
                }
            }
            let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(30)).await;
            (connected.elapsed(), answer, closed)
        })
    };
    // A body that trickles in: 10 of 200 bytes, then one every 300 ms.
    let slow_body = {
        let mut s = TcpStream::connect(&at).await.unwrap();
        let token = server.token.clone();
        tokio::spawn(async move {
            let head = format!(
                "POST /v1/commands HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
                 content-type: application/json\r\ncontent-length: 200\r\n\r\n{{\"command"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let (mut reader, mut writer) = s.into_split();
            let drip = tokio::spawn(async move {
                for _ in 0..100 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if writer.write_all(b" ").await.is_err() {
                        break;
                    }
                }
            });
            let mut answer = Vec::new();
            let read =
                tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer))
                    .await;
            drip.abort();
            assert!(read.is_ok(), "the server closes the connection");
            String::from_utf8_lossy(&answer).into_owned()
        })
    };

    // Meanwhile a normal client is served, before any slow one is cut.
    let customer = Uuid::new_v4();
    let (status, body) = server.command(&common::create_customer(customer)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    for _ in 0..10 {
        assert_eq!(server.get("/v1/catalog").await.0, 200);
    }
    let served = started.elapsed();
    assert!(
        idle.iter().all(still_open) && !slowloris.is_finished(),
        "the normal client was answered only after {served:?}, when the slow ones were cut"
    );

    // Heads over 64 KiB: 431 from hyper (no error shape), then closed. A client
    // still sending may see a reset instead of the answer.
    for size in [70 * 1024, 1024 * 1024] {
        let mut s = TcpStream::connect(&at).await.unwrap();
        let head = format!(
            "GET /v1/catalog HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
            "a".repeat(size)
        );
        let _ = s.write_all(head.as_bytes()).await;
        let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(20)).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(closed, "{size}: not closed");
        assert!(
            text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n")
                || (answer.is_empty() && size > 100 * 1024),
            "{size}: {text}"
        );
    }

    // The slow body: 408 in the error shape, connection closed.
    let answer = slow_body.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    let err = error_of(&answer);
    assert_eq!(
        (err["code"].as_str(), err["rule"].as_str()),
        (Some("RequestTimeout"), Some("API"))
    );
    assert_eq!(err["details"], json!({"timeout_s": 2, "retryable": true}));
    // Nothing of it was run.
    let (status, customers) = server.get("/v1/customers").await;
    assert_eq!(status, 200);
    assert_eq!(customers["customers"].as_array().unwrap().len(), 1);

    // The slowloris is closed without an answer, not before its timeout.
    let (lasted, answer, closed) = slowloris.await.unwrap();
    assert!(closed, "the slowloris is still connected after {lasted:?}");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(lasted >= HEADER_TIMEOUT, "cut after {lasted:?}");
    // Every idle connection is closed by the server.
    for (i, mut s) in idle.into_iter().enumerate() {
        let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(20)).await;
        assert!(closed && answer.is_empty(), "idle connection {i}");
    }
    assert!(started.elapsed() >= HEADER_TIMEOUT);
    // And the server goes on.
    assert_eq!(server.get("/v1/catalog").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_in_the_backlog_until_one_closes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_simulated_with(
        dir.path(),
        &[
            "--max-connections",
            "8",
            // Longer than this test: only our own closing frees a connection.
            "--header-timeout",
            "60s",
        ],
    );
    let at = addr(&server);
    let healthz = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
    // Eight kept-alive connections, each served once: the cap is reached.
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut s = TcpStream::connect(&at).await.unwrap();
        s.write_all(healthz).await.unwrap();
        assert!(read_response(&mut s).await.starts_with("HTTP/1.1 200 "));
        held.push(s);
    }
    // A ninth connects (the kernel completes the handshake) but is not served.
    let mut ninth = TcpStream::connect(&at).await.unwrap();
    ninth.write_all(healthz).await.unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(800), ninth.read(&mut buf))
            .await
            .is_err(),
        "the ninth connection was served past the cap of 8"
    );
    // One closes: the ninth is accepted and answered.
    drop(held.pop());
    assert!(read_response(&mut ninth).await.starts_with("HTTP/1.1 200 "));
    // The others are still held: the ninth got the closed one's place.
    assert!(held.iter().all(still_open));
    // A kept-alive connection is still served.
    held[0].write_all(healthz).await.unwrap();
    assert!(
        read_response(&mut held[0])
            .await
            .starts_with("HTTP/1.1 200 ")
    );
}

const TOKEN_1: &str = "token-limits-one-000000000000000000000";
const TOKEN_2: &str = "token-limits-two-000000000000000000000";

async fn send(
    server: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = server
        .client
        .request(method.parse().unwrap(), server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.expect("an answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_limit_gets_429_and_is_served_again_after_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    // Two users of one partner, each with a token of its own.
    let partner = "11111111-1111-1111-1111-111111111111";
    let auth = json!({"tokens": [
        {"token": TOKEN_1, "user": "one@partner.example", "partner_id": partner,
         "roles": ["admin_agent", "global_admin"]},
        {"token": TOKEN_2, "user": "two@partner.example", "partner_id": partner,
         "roles": ["admin_agent", "global_admin"]}]});
    let auth_path = dir.path().join("auth.json");
    std::fs::write(&auth_path, auth.to_string()).unwrap();
    let auth_arg = auth_path.to_str().unwrap().to_owned();
    let server =
        Server::start_simulated_with(dir.path(), &["--auth", &auth_arg, "--rate-limit", "30/min"]);
    assert_eq!(server.token, TOKEN_1);

    // 30 a minute, in bursts of up to 30; one more comes back every 2 s.
    let started = Instant::now();
    let mut served = 0u64;
    let refused = loop {
        let r = send(&server, TOKEN_1, "GET", "/v1/catalog", None).await;
        if r.status() == 429 {
            break r;
        }
        assert_eq!(r.status(), 200);
        served += 1;
        assert!(served <= 60, "never limited");
    };
    let elapsed = started.elapsed().as_secs();
    assert!(
        (30..=31 + elapsed / 2).contains(&served),
        "{served} served in {elapsed} s before the first 429"
    );
    assert!(refused.headers().get("retry-after").is_some());

    // A command over the limit: 429 in the error shape, and not run.
    let customer = Uuid::new_v4();
    let command = common::create_customer(customer);
    let r = send(&server, TOKEN_1, "POST", "/v1/commands", Some(&command)).await;
    assert_eq!(r.status(), 429);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RateLimited");
    assert_eq!(body["error"]["rule"], "API");
    assert_eq!(
        body["error"]["details"],
        json!({"limit_per_minute": 30, "retry_after_s": retry_after, "retryable": true})
    );

    // The other token is not limited; it sees no such customer.
    let r = send(&server, TOKEN_2, "GET", "/v1/customers", None).await;
    assert_eq!(r.status(), 200);
    let customers: Value = r.json().await.unwrap();
    assert_eq!(customers["customers"], json!([]), "{customers}");
    let other = common::create_customer(Uuid::new_v4());
    let r = send(&server, TOKEN_2, "POST", "/v1/commands", Some(&other)).await;
    assert_eq!(r.status(), 200);

    // After Retry-After the first token is served again, and the refused command
    // runs as a new one.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let r = send(&server, TOKEN_1, "POST", "/v1/commands", Some(&command)).await;
    assert_eq!(r.status(), 200);
    let accepted: Value = r.json().await.unwrap();
    assert_eq!(accepted["command_id"], command["command_id"]);
    assert_eq!(
        accepted["events"][0]["type"], "CustomerCreated",
        "{accepted}"
    );
}
