//! The read side against a real SQLite log: a long random workload through the
//! command path while the projection runner follows it live; then a full replay
//! must give the same files byte for byte, time travel must give back every state
//! seen along the way (VIEW-4), and no software key may appear anywhere.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use subledger_app::read_side::customer_as_of;
use subledger_app::workload::Workload;
use subledger_app::{
    Ledger, LedgerConfig, MemoryKeyVault, Projections, ReplayOptions, SimulatedClock, replay,
};
use subledger_domain::{Catalog, CustomerState, Event, invariants};
use subledger_projections::export::{Format, write_all};
use subledger_projections::{HistoryFilter, ProjectionDb};
use subledger_store::{EventStore, SqliteConfig, SqliteStore, Synchronous};
use uuid::Uuid;

struct Run {
    dir: tempfile::TempDir,
    store: Arc<dyn EventStore>,
    projections: Projections,
    runner: tokio::task::JoinHandle<()>,
    /// After each command: its instant, its customer, and the state the ledger had.
    seen: Vec<(DateTime<Utc>, Uuid, CustomerState, u64)>,
    keys: Vec<String>,
    accepted: usize,
}

/// `commands` commands of a seeded workload, the clock moving 1 s to 8 h between
/// them (time-driven work runs as it passes), the runner following live.
async fn run(seed: u64, customers: usize, commands: usize) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteStore::open_with(
            SqliteConfig::new(dir.path().join("events.db")).synchronous(Synchronous::Off),
        )
        .unwrap(),
    );
    let mut now: DateTime<Utc> = "2026-01-01T08:00:00Z".parse().unwrap();
    let clock = Arc::new(SimulatedClock::new(now));
    let ledger = Ledger::open(
        store.clone(),
        Arc::new(Catalog::default_catalog()),
        clock.clone(),
        Arc::new(MemoryKeyVault::default()),
        LedgerConfig::default(),
    )
    .await
    .unwrap();
    let db = ProjectionDb::open(dir.path().join("projections.db")).unwrap();
    let (projections, runner) = Projections::spawn(store.clone(), Arc::new(db))
        .await
        .unwrap();
    let mut workload = Workload::new(seed, customers, 3);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut seen = Vec::new();
    let mut keys = Vec::new();
    let mut accepted = 0;
    for _ in 0..commands {
        now += chrono::Duration::seconds(rng.random_range(1..8 * 3600));
        ledger.advance_clock(now).await.unwrap().unwrap();
        let request = workload.next(now);
        let outcome = ledger.execute(request.clone()).await;
        if let Ok(r) = &outcome {
            accepted += 1;
            keys.extend(r.key.clone());
            let customer = subledger_app::codec::stream_customer(&r.stream).unwrap();
            let (state, version) = ledger.customer_state(customer).await.unwrap();
            seen.push((now, customer, state, version));
        }
        workload.observe(&request, &outcome);
    }
    let head = store.last_position().await.unwrap();
    projections
        .wait_for(head, Duration::from_secs(60))
        .await
        .unwrap();
    Run {
        dir,
        store,
        projections,
        runner,
        seen,
        keys,
        accepted,
    }
}

fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_replay_gives_exactly_the_live_projections_and_no_key_anywhere() {
    let r = run(7, 40, 1_500).await;
    assert!(r.accepted > 900, "only {} accepted", r.accepted);
    assert!(!r.keys.is_empty(), "the workload revealed no key");

    let live = r.projections.db().load_model().unwrap();
    let (replayed, stats) = replay(r.store.clone(), ReplayOptions::default(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(stats.events_read, r.store.last_position().await.unwrap());
    assert_eq!(live.position, replayed.position);
    assert_eq!(live.last_at, replayed.last_at);
    let at = replayed.last_at.unwrap();
    for format in [Format::Csv, Format::Jsonl] {
        let live_dir = r.dir.path().join(format!("live-{}", format.extension()));
        let replay_dir = r.dir.path().join(format!("replay-{}", format.extension()));
        write_all(&live_dir, &live, at, format).unwrap();
        write_all(&replay_dir, &replayed, at, format).unwrap();
        let (a, b) = (files_of(&live_dir), files_of(&replay_dir));
        assert_eq!(a.len(), 5);
        for (name, bytes) in &a {
            assert!(
                bytes == &b[name],
                "{name} differs between the live projections and the replay"
            );
        }
        for (name, bytes) in a.iter().chain(b.iter()) {
            for key in &r.keys {
                assert!(!contains(bytes, key), "a key appears in {name}");
            }
        }
    }
    // Everything the workload does shows up in the read models.
    for kind in [
        "SubscriptionCreated",
        "SeatsAdded",
        "SeatsReduced",
        "SubscriptionSuspended",
        "SubscriptionUpgraded",
        "SubscriptionCancelled",
        "SubscriptionRenewed",
        "KeyRevealed",
        "SoftwareDownloaded",
        "Credited",
    ] {
        assert!(
            replayed.per_type.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} in {:?}",
            replayed.per_type
        );
    }
    assert!(replayed.rows.billing.len() > 300);
    assert!(!replayed.rows.key_access.is_empty());
    // The totals the database keeps add up to its lines.
    let totals = r.projections.db().billing_totals(None, None).unwrap();
    assert_eq!(totals, live.totals());
    // Every customer's state keeps the rules' invariants.
    for (id, entry) in &replayed.customers {
        let broken = invariants::check(&entry.state);
        assert!(broken.is_empty(), "customer {id}: {broken:?}");
    }
    // No key in the stored files either (log, projections).
    r.runner.abort();
    for file in ["events.db", "projections.db"] {
        let bytes = std::fs::read(r.dir.path().join(file)).unwrap();
        for key in &r.keys {
            assert!(!contains(&bytes, key), "a key appears in {file}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_4_as_of_every_instant_seen_gives_the_state_seen_then() {
    let r = run(11, 6, 1_000).await;
    // Few customers, many events each: the kept states (every 256 events) serve.
    let kept: i64 = {
        let c = rusqlite::Connection::open(r.dir.path().join("projections.db")).unwrap();
        c.query_row("SELECT COUNT(*) FROM state_checkpoints", [], |row| {
            row.get(0)
        })
        .unwrap()
    };
    assert!(kept > 5, "only {kept} kept states");
    // Only the last state seen at each instant counts (due work may share it).
    let mut last: BTreeMap<(DateTime<Utc>, Uuid), (&CustomerState, u64)> = BTreeMap::new();
    for (at, customer, state, version) in &r.seen {
        last.insert((*at, *customer), (state, *version));
    }
    for ((at, customer), (state, version)) in &last {
        for projections in [Some(r.projections.db()), None] {
            let entry = customer_as_of(r.store.as_ref(), projections, *customer, *at)
                .await
                .unwrap();
            assert_eq!(entry.version, *version, "customer {customer} as of {at}");
            assert!(
                &entry.state == *state,
                "customer {customer} as of {at}: the state differs"
            );
        }
    }
    r.runner.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_as_of_an_instant_equals_the_states_seen_then() {
    let r = run(3, 10, 800).await;
    assert!(r.seen.len() > 400);
    let (at, _, _, _) = r.seen[r.seen.len() / 2].clone();
    let (model, _) = replay(
        r.store.clone(),
        ReplayOptions {
            as_of: Some(at),
            ..ReplayOptions::default()
        },
        |_, _| {},
    )
    .await
    .unwrap();
    // The customers whose commands ran at that very instant: their states then are
    // known exactly (another customer may have had due work since its last command).
    let mut checked = 0;
    for (seen_at, customer, state, version) in r.seen.iter().filter(|s| s.0 == at) {
        let entry = &model.customers[customer];
        assert_eq!(entry.version, *version, "customer {customer} at {seen_at}");
        assert!(&entry.state == state, "customer {customer}");
        checked += 1;
    }
    assert!(checked > 0);
    assert!(model.customers.len() > 1);
    assert!(model.rows.billing.iter().all(|b| b.at <= at));
    r.runner.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_5_the_history_table_holds_exactly_each_subscriptions_events_of_the_log() {
    let r = run(5, 8, 600).await;
    let db = r.projections.db();
    let mut subscriptions = 0;
    let mut customers: Vec<Uuid> = r.seen.iter().map(|s| s.1).collect();
    customers.sort_unstable();
    customers.dedup();
    for customer in customers {
        let records = r
            .store
            .read_stream(&subledger_app::codec::customer_stream(customer), 0)
            .await
            .unwrap();
        let events: Vec<(u64, u64, Event)> = records
            .iter()
            .map(|rec| {
                let (e, _) = subledger_app::codec::decode(rec).unwrap();
                (rec.version, rec.position, e)
            })
            .collect();
        let entry = db.customer(customer).unwrap().unwrap();
        for id in entry.state.subscriptions.keys() {
            subscriptions += 1;
            // What the API answered before the table: the stream, filtered.
            let expected: Vec<_> = events
                .iter()
                .filter(|(_, _, e)| e.data.subscription_ids().contains(id))
                .cloned()
                .collect();
            let held: Vec<_> = db
                .history(&HistoryFilter {
                    subscription_id: *id,
                    after: 0,
                    until: None,
                    limit: usize::MAX,
                })
                .unwrap()
                .into_iter()
                .map(|h| (h.version, h.position, h.event))
                .collect();
            assert!(!held.is_empty(), "subscription {id} has no history");
            assert!(held == expected, "subscription {id}: the history differs");
        }
    }
    assert!(subscriptions > 10, "only {subscriptions} subscriptions");
    r.runner.abort();
}
