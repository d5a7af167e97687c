//! The conformance suite against PostgreSQL, and the global-order test of several
//! processes' writers against one catch-up subscriber.
//!
//! Needs a server: run through `scripts/with-postgres.sh` (it starts a throwaway
//! cluster and sets `SUBLEDGER_PG_URL` and `SUBLEDGER_PG_TESTS`). Without it every test
//! here is reported as *ignored* (not passed). Each test works in a schema of its own.
#![cfg(feature = "postgres")]

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use subledger_store::conformance::Capabilities;
use subledger_store::{
    EventStore, ExpectedVersion, NewEvent, PostgresConfig, PostgresStore, RecordedEvent,
};
use uuid::Uuid;

fn url() -> String {
    std::env::var("SUBLEDGER_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("SUBLEDGER_PG_URL is not set at run time: no PostgreSQL to test against")
}

fn fresh_schema() -> String {
    format!("t_{}", Uuid::new_v4().simple())
}

async fn postgres() -> (PostgresStore, ()) {
    let store = PostgresStore::connect_with(PostgresConfig::new(url()).schema(fresh_schema()))
        .await
        .expect("connect to PostgreSQL");
    (store, ())
}

subledger_store::conformance_tests!(postgres: Capabilities::strict(), postgres());

/// 32 writers spread over four stores (four "nodes", each with its own writer and
/// connections) append concurrently while a subscriber on a fifth follows `$all`:
/// in every round the subscriber's sequence equals the final log, position by
/// position, with no gap, no duplicate and nothing missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn thirty_two_writers_on_four_nodes_and_a_subscriber_agree_on_one_order() {
    const NODES: usize = 4;
    const WRITERS: usize = 32;
    const APPENDS: usize = 40;
    for round in 0..10 {
        let schema = fresh_schema();
        let config = PostgresConfig::new(url())
            .schema(schema.clone())
            .pool_size(8);
        let mut nodes = Vec::new();
        for _ in 0..NODES {
            nodes.push(PostgresStore::connect_with(config.clone()).await.unwrap());
        }
        let follower = PostgresStore::connect_with(config.clone()).await.unwrap();
        let mut sub = follower.subscribe_all(0).await.unwrap();
        let total = WRITERS * APPENDS * 2;
        let reader = tokio::spawn(async move {
            let mut seen: Vec<RecordedEvent> = Vec::with_capacity(total);
            while seen.len() < total {
                let e = tokio::time::timeout(Duration::from_secs(60), sub.next())
                    .await
                    .expect("subscriber stalled")
                    .expect("subscription ended")
                    .expect("subscription error");
                seen.push(e);
            }
            seen
        });
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let store = nodes[w % NODES].clone();
            writers.push(tokio::spawn(async move {
                // Half of the writers share streams (conflicts and retries), half own one.
                let stream = if w % 2 == 0 {
                    format!("shared-{}", w % 8)
                } else {
                    format!("own-{w}")
                };
                for i in 0..APPENDS {
                    let events: Vec<NewEvent> = (0..2)
                        .map(|k| {
                            NewEvent::new(
                                Uuid::new_v4(),
                                "Noted",
                                1,
                                format!(r#"{{"w":{w},"i":{i},"k":{k}}}"#).into_bytes(),
                            )
                        })
                        .collect();
                    loop {
                        let v = store.stream_version(&stream).await.unwrap();
                        match store
                            .append(&stream, ExpectedVersion::Exact(v), events.clone())
                            .await
                        {
                            Ok(_) => break,
                            Err(e) if e.is_conflict() => continue,
                            Err(e) => panic!("append failed: {e}"),
                        }
                    }
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let seen = reader.await.unwrap();
        let mut log = Vec::new();
        let mut from = 0;
        loop {
            let page = follower.read_all(from, 500).await.unwrap();
            let Some(last) = page.last() else { break };
            from = last.position;
            log.extend(page);
        }
        assert_eq!(
            log.len(),
            total,
            "round {round}: the log holds every append"
        );
        let positions: Vec<u64> = seen.iter().map(|e| e.position).collect();
        let expected: Vec<u64> = (1..=total as u64).collect();
        assert_eq!(positions, expected, "round {round}: gap-free, in order");
        assert_eq!(
            seen, log,
            "round {round}: the subscriber saw the log as it is"
        );
        let ids: HashSet<Uuid> = seen.iter().map(|e| e.event_id).collect();
        assert_eq!(ids.len(), total, "round {round}: no event twice");
        // Stream versions are gap-free too.
        for s in seen
            .iter()
            .map(|e| e.stream.clone())
            .collect::<HashSet<_>>()
        {
            let versions: Vec<u64> = log
                .iter()
                .filter(|e| e.stream == s)
                .map(|e| e.version)
                .collect();
            assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
        }
        drop(nodes);
        drop_schema(&schema).await;
    }
}

async fn drop_schema(schema: &str) {
    let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
}
