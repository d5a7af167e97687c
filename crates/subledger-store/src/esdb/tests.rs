//! The EventStoreDB backend's own tests that need no server.

use std::time::Duration;

use super::*;

#[test]
fn backoff_doubles_up_to_the_cap() {
    let c = EsdbConfig::new("esdb://localhost:2113?tls=false");
    assert_eq!(backoff(&c, 0), Duration::from_millis(50));
    assert_eq!(backoff(&c, 1), Duration::from_millis(100));
    assert_eq!(backoff(&c, 3), Duration::from_millis(400));
    assert_eq!(backoff(&c, 10), Duration::from_secs(2));
    assert_eq!(backoff(&c, 40), Duration::from_secs(2));
}

#[tokio::test]
async fn connect_parses_urls_without_a_server() {
    // The client connects lazily, so a valid URL gives a store even with no server.
    let s = EsdbStore::connect(EsdbConfig::new("esdb://localhost:2113?tls=false"))
        .await
        .unwrap();
    assert_eq!(s.ns.event_stream("x"), "subledger/x");
    assert!(
        EsdbStore::connect(EsdbConfig::new("http://nope"))
            .await
            .is_err()
    );
    assert!(
        EsdbStore::connect(EsdbConfig::new("esdb://localhost:2113?tls=false").namespace("a/b"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_after_retries() {
    // Nothing listens on port 1: every attempt fails fast with a connection error.
    let mut c = EsdbConfig::new("esdb://127.0.0.1:1?tls=false&maxDiscoverAttempts=1");
    c.max_retries = 2;
    c.initial_backoff = Duration::from_millis(1);
    let s = EsdbStore::connect(c).await.unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        s.append(
            "x",
            ExpectedVersion::Any,
            vec![NewEvent::new(Uuid::new_v4(), "T", 1, &b"{}"[..])],
        ),
    )
    .await
    .expect("append must give up, not hang");
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
}
