//! `replay_events_per_s`: a full replay of every projection over a log of at least
//! BENCH_EVENTS (2,000,000) events written through the real command path (the
//! seeded workload of `subledger_app::workload` over BENCH_CUSTOMERS customers,
//! time-driven work included), and `as_of_ms`: one subscription's customer, with
//! 10,000 events in its stream, read as of random instants with the projections'
//! kept states.
//!
//! The log is built once into `target/bench-replay/` (written with
//! `synchronous=OFF`: how fast it was written is not what is measured here) and
//! reused while it is big enough. Run: `scripts/bench.sh replay`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use subledger_app::read_side::customer_as_of;
use subledger_app::workload::Workload;
use subledger_app::{
    CommandRequest, Ledger, LedgerConfig, MemoryKeyVault, Projections, ReplayOptions,
    SimulatedClock, replay,
};
use subledger_domain::Catalog;
use subledger_domain::actor::{Actor, Role};
use subledger_projections::ProjectionDb;
use subledger_store::{EventStore, SqliteConfig, SqliteStore, Synchronous};
use uuid::Uuid;

// As the `subledger` binary: replay allocates and frees a lot, in every thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The customer whose stream gets 10,000 events.
const BIG: Uuid = Uuid::from_u128(0xB16_C057);

fn dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target")
            .to_string_lossy()
            .into_owned()
    });
    Path::new(&target).join("bench-replay")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn build(path: &Path, events: u64, customers: u64) -> DateTime<Utc> {
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteStore::open_with(SqliteConfig::new(path).synchronous(Synchronous::Off)).unwrap(),
    );
    let mut now: DateTime<Utc> = "2025-01-01T08:00:00Z".parse().unwrap();
    let clock = Arc::new(SimulatedClock::new(now));
    let ledger = Ledger::open(
        store.clone(),
        Arc::new(Catalog::default_catalog()),
        clock,
        Arc::new(MemoryKeyVault::default()),
        LedgerConfig::default(),
    )
    .await
    .unwrap();
    // One big customer first: 10,000 events of seat changes and their charges.
    let actor = Actor::partner(
        "big@partner.example",
        Uuid::from_u128(0xB16),
        &[Role::AdminAgent],
    );
    let run = |command: serde_json::Value, now: DateTime<Utc>| CommandRequest {
        command_id: uuid::Builder::from_unix_timestamp_millis(
            now.timestamp_millis() as u64,
            &rand::random(),
        )
        .into_uuid(),
        command: serde_json::from_value(command).unwrap(),
        actor: actor.clone(),
        expected_version: None,
        dry_run: false,
    };
    ledger
        .execute(run(
            json!({"type": "CreateCustomer", "customer_id": BIG, "company_name": "Big",
                   "domain": "big.example", "country": "NL", "segment": "commercial"}),
            now,
        ))
        .await
        .unwrap();
    let buy = |now| {
        run(
            json!({"type": "Purchase", "customer_id": BIG, "items":
                   [{"product_id": "m365-e3", "quantity": 10, "term": "P1Y", "billing": "monthly"}]}),
            now,
        )
    };
    let bought = ledger.execute(buy(now)).await.unwrap();
    let mut sub = bought.subscription_ids[0];
    // Seats added and taken back inside their window (SEAT-2): four events a round
    // (seats, charge, reduction, credit) while the state stays small; a new
    // subscription every 200 rounds, well below the update limit (GEN-4).
    let mut version = bought.version;
    let mut rounds = 0;
    while version < 10_000 {
        now += chrono::Duration::minutes(30);
        ledger.advance_clock(now).await.unwrap().unwrap();
        rounds += 1;
        if rounds % 200 == 0 {
            let r = ledger.execute(buy(now)).await.unwrap();
            sub = r.subscription_ids[0];
        }
        for seats in [
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 2}),
            json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 2}),
        ] {
            match ledger.execute(run(seats, now)).await {
                Ok(r) => version = r.version,
                Err(e) => panic!("the big customer's command was refused: {e}"),
            }
        }
    }
    let mut workload = Workload::new(2025, customers as usize, 20);
    let started = Instant::now();
    let mut n = 0u64;
    while store.last_position().await.unwrap() < events {
        for _ in 0..1000 {
            now += chrono::Duration::seconds(30);
            let request = workload.next(now);
            let outcome = ledger.execute(request.clone()).await;
            workload.observe(&request, &outcome);
            n += 1;
        }
        ledger.advance_clock(now).await.unwrap().unwrap();
        if n.is_multiple_of(50_000) {
            eprintln!(
                "# building: {} events after {n} commands ({:.0} s)",
                store.last_position().await.unwrap(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    now
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events = env("BENCH_EVENTS", 2_000_000);
    let customers = env("BENCH_CUSTOMERS", 20_000);
    let runs = env("BENCH_RUNS", 5).max(1);
    let dir = dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.db");
    let head = if path.exists() {
        SqliteStore::open_read_only(&path)
            .unwrap()
            .last_position()
            .await
            .unwrap()
    } else {
        0
    };
    if head < events {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(dir.join("projections.db"));
        eprintln!("# building a log of {events} events in {}", dir.display());
        build(&path, events, customers).await;
    }
    let store: Arc<dyn EventStore> = Arc::new(SqliteStore::open_read_only(&path).unwrap());
    let head = store.last_position().await.unwrap();
    println!("# log: {head} events in {}", path.display());

    let mut rates = Vec::new();
    for i in 0..runs {
        let (model, stats) = replay(store.clone(), ReplayOptions::default(), |_, _| {})
            .await
            .unwrap();
        let rate = stats.events_per_second();
        println!(
            "# replay {}: {} events, {} customers, {} billing lines, {} key accesses in {:.3} s ({:.0} events/s)",
            i + 1,
            stats.events_read,
            model.customers.len(),
            model.rows.billing.len(),
            model.rows.key_access.len(),
            stats.elapsed.as_secs_f64(),
            rate
        );
        rates.push(rate);
    }
    println!("replay_events_per_s: {:.0}", median(rates));

    // Where a replay's time goes: reading the log alone, and decoding alone on one
    // core (the first 500,000 events).
    let sample = head.min(500_000);
    let started = Instant::now();
    let mut pages = Vec::new();
    let mut position = 0;
    while position < sample {
        let page = store.read_all(position, 16_384).await.unwrap();
        position = page.last().map_or(sample, |r| r.position);
        pages.push(page);
    }
    let read_s = started.elapsed().as_secs_f64();
    println!("# read_all alone: {:.0} events/s", sample as f64 / read_s);
    let started = Instant::now();
    for page in &pages {
        for r in page {
            std::hint::black_box(subledger_app::codec::decode_for_read_models(r).unwrap());
        }
    }
    let decode_s = started.elapsed().as_secs_f64();
    let bytes: usize = pages
        .iter()
        .flatten()
        .map(|r| r.data.len() + r.metadata.len())
        .sum();
    println!(
        "# decoding alone, one core: {:.0} events/s ({} bytes of JSON per event on average)",
        sample as f64 / decode_s,
        bytes / sample.max(1) as usize
    );
    drop(pages);

    // The persisted projections (caught up once and kept with the log), for time travel.
    let db = Arc::new(ProjectionDb::open(dir.join("projections.db")).unwrap());
    let writable: Arc<dyn EventStore> = store.clone();
    let (projections, runner) = Projections::spawn(writable, db.clone()).await.unwrap();
    let started = Instant::now();
    let from = projections.applied();
    projections
        .wait_for(head, Duration::from_secs(3600))
        .await
        .unwrap();
    if from < head {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "# projection runner catch-up: {} events in {secs:.1} s ({:.0} events/s, committed to projections.db)",
            head - from,
            (head - from) as f64 / secs
        );
    }
    runner.abort();
    let big = db.customer(BIG).unwrap().expect("the big customer");
    let first = big
        .state
        .subscriptions
        .values()
        .map(|s| s.created_at)
        .min()
        .unwrap();
    let last = big.max_at.unwrap();
    println!("# as_of: customer with {} events", big.version);
    let mut rng = StdRng::seed_from_u64(5);
    let mut samples = Vec::new();
    for _ in 0..300 {
        let span = (last - first).num_seconds();
        let at = first + chrono::Duration::seconds(rng.random_range(0..span));
        let t = Instant::now();
        let entry = customer_as_of(store.as_ref(), Some(&db), BIG, at)
            .await
            .unwrap();
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(entry.version > 0);
    }
    let mut sorted = samples.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    println!("# as_of p99: {:.2} ms", sorted[sorted.len() * 99 / 100]);
    println!("as_of_ms: {:.2}", median(samples));
}
