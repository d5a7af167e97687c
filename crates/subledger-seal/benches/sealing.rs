//! What sealing costs the writers: `append_64x1_events_per_s` (64 tasks, one event
//! per durable append, as in the store bench) on a fresh SQLite log, with no sealer
//! and with the sealer following the log and signing a checkpoint every second,
//! in alternating rounds so that the machine's drift falls on both alike.
//!
//! `BENCH_SECONDS` (default 5) per round, `BENCH_ROUNDS` (default 3) per mode.
//! Run it with `scripts/bench.sh seal`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use subledger_seal::{Seal, SealDb, spawn_sealer};
use subledger_store::{EventStore, ExpectedVersion, NewEvent, SqliteConfig, SqliteStore};
use uuid::Uuid;

fn env(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn event(v: u64) -> NewEvent {
    // About the size of a real command's event.
    let data = format!(
        "{{\"subscription_id\":\"{}\",\"seats\":{v},\"at\":\"2026-12-04T00:00:00Z\",\"reason\":\"bench\"}}",
        Uuid::new_v4()
    );
    NewEvent::new(Uuid::new_v4(), "SeatsAdded", 1, Bytes::from(data)).with_metadata(
        Bytes::from_static(b"{\"actor\":{\"user\":\"bench\"},\"command_id\":\"x\"}"),
    )
}

async fn append_64x1(store: &SqliteStore, secs: f64) -> (f64, u64) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let s = format!("bench-{t}");
                let mut v = 0u64;
                while Instant::now() < deadline {
                    let r = store
                        .append(&s, ExpectedVersion::Exact(v), vec![event(v)])
                        .await
                        .expect("append");
                    v = r.next_version;
                }
                v
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("appender");
    }
    (total as f64 / start.elapsed().as_secs_f64(), total)
}

async fn round(sealing: bool, secs: f64) -> (f64, u64, u64) {
    let base = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).expect("tmp");
    let dir = tempfile::tempdir_in(&base).expect("dir");
    let store =
        SqliteStore::open_with(SqliteConfig::new(dir.path().join("events.db"))).expect("store");
    let sealer = sealing.then(|| {
        let db = SealDb::open(&dir.path().join("seal.db")).expect("seal.db");
        let seal = Arc::new(Seal::open(db, SigningKey::from_bytes(&[9; 32])).expect("seal"));
        let task = spawn_sealer(
            seal.clone(),
            Arc::new(store.clone()) as Arc<dyn EventStore>,
            Duration::from_secs(1),
        );
        (seal, task)
    });
    let (rate, appended) = append_64x1(&store, secs).await;
    let sealed = match sealer {
        Some((seal, task)) => {
            // Let the sealer finish what the writers left, so its lag is known.
            tokio::time::sleep(Duration::from_millis(500)).await;
            task.abort();
            seal.sealed_size()
        }
        None => 0,
    };
    (rate, appended, sealed)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let secs = env("BENCH_SECONDS", 5.0);
    let rounds = env("BENCH_ROUNDS", 3.0) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        let (r, _, _) = rt.block_on(round(false, secs));
        println!("# round {}: sealing off: {r:.0} events/s", i + 1);
        off.push(r);
        let (r, appended, sealed) = rt.block_on(round(true, secs));
        println!(
            "# round {}: sealing on: {r:.0} events/s ({sealed} of {appended} sealed half a second after the writers stopped)",
            i + 1
        );
        on.push(r);
    }
    let (off, on) = (median(off), median(on));
    println!("append_64x1_events_per_s_sealing_off: {off:.0} events/s");
    println!("append_64x1_events_per_s_sealing_on: {on:.0} events/s");
    println!("sealing_cost: {:.1} %", (1.0 - on / off) * 100.0);
}
