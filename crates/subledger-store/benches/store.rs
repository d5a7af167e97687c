//! Store benchmark (not a timed test): `scripts/bench.sh store`, or
//! `cargo bench -p subledger-store --bench store`.
//!
//! Prints one line per figure, `name: value unit`, for the SQLite backend with durable
//! (`synchronous=FULL`) commits, in a temp dir under the target directory (same disk as
//! the work tree):
//!
//! * `fsync_per_s`: the disk's raw fsync rate, measured on a file in the same directory,
//!   so that `append_1x1_events_per_s` can be read against it (one append = one commit =
//!   one fsync when nothing else is queued);
//! * `append_1x1_events_per_s`: one appender, one event per append;
//! * `append_64x1_events_per_s` and `p99_append_latency_us_at_64`: 64 concurrent
//!   appenders, one event each (group commit at work);
//! * `read_all_events_per_s`: `read_all` over 1,000,000 events in pages of 10,000, after
//!   reopening the store (as at service start-up, when projections catch up).
//!
//! `BENCH_SECONDS` (default 5) sets the length of each timed append phase;
//! `BENCH_ONLY=append|read` runs one half; `BENCH_IDS=v7` uses time-ordered event ids;
//! `BENCH_PAGE_SIZE` overrides the page size of the append database.

use std::io::{Seek, SeekFrom, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use subledger_store::{
    EventStore, ExpectedVersion, IntegrityCheck, NewEvent, SqliteConfig, SqliteStore,
};
use uuid::Uuid;

const READ_ALL_EVENTS: u64 = 1_000_000;

/// Event ids: random (v4, the default) or time-ordered (v7, `BENCH_IDS=v7`).
fn new_id() -> Uuid {
    static V7: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *V7.get_or_init(|| std::env::var("BENCH_IDS").is_ok_and(|v| v == "v7")) {
        Uuid::now_v7()
    } else {
        Uuid::new_v4()
    }
}

fn event(i: u64) -> NewEvent {
    NewEvent::new(
        new_id(),
        "SeatsAdded",
        1,
        format!(
            r#"{{"subscription_id":"{}","seats":{},"at":"2026-11-22T10:00:00Z"}}"#,
            Uuid::from_u128(u128::from(i)),
            i % 300
        )
        .into_bytes(),
    )
    .with_metadata(&br#"{"command_id":"6f1c2f7e-0000-4000-8000-000000000000","actor":"bench"}"#[..])
}

fn fsync_per_s(dir: &std::path::Path, secs: f64) -> f64 {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let block = vec![0xABu8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        f.seek(SeekFrom::Start(0)).expect("seek");
        f.write_all(&block).expect("write");
        f.sync_data().expect("fdatasync");
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(path);
    rate
}

async fn append_1x1(store: &SqliteStore, secs: f64) -> f64 {
    let s = format!("bench-1x1-{}", Uuid::new_v4());
    let start = Instant::now();
    let mut v = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let r = store
            .append(&s, ExpectedVersion::Exact(v), vec![event(v)])
            .await
            .expect("append");
        v = r.next_version;
    }
    v as f64 / start.elapsed().as_secs_f64()
}

/// Returns (events/s, p99 latency in µs).
async fn append_64x1(store: &SqliteStore, secs: f64) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let s = format!("bench-64x1-{t}-{}", Uuid::new_v4());
                let mut lat = Vec::with_capacity(100_000);
                let mut v = 0u64;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    let r = store
                        .append(&s, ExpectedVersion::Exact(v), vec![event(v)])
                        .await
                        .expect("append");
                    lat.push(t0.elapsed());
                    v = r.next_version;
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("appender"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];
    (lat.len() as f64 / elapsed, p99.as_secs_f64() * 1e6)
}

async fn fill(store: &SqliteStore, total: u64) {
    let have = store.last_position().await.expect("head");
    let per_task = (total.saturating_sub(have)).div_ceil(4);
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut written = 0;
                let mut k = 0;
                while written < per_task {
                    let n = 1000.min(per_task - written);
                    let s = format!("fill-{t}-{}", k % 500);
                    k += 1;
                    store
                        .append(&s, ExpectedVersion::Any, (0..n).map(event).collect())
                        .await
                        .expect("fill");
                    written += n;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("filler");
    }
}

async fn read_all_rate(store: &SqliteStore, total: u64) -> f64 {
    let start = Instant::now();
    let mut from = 0;
    let mut n = 0u64;
    while n < total {
        let page = store.read_all(from, 10_000).await.expect("read_all");
        let Some(last) = page.last() else { break };
        from = last.position;
        n += page.len() as u64;
    }
    assert!(n >= total, "read only {n} events");
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let base = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).expect("target tmp dir");
    let dir = tempfile::tempdir_in(&base).expect("bench dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    println!(
        "# subledger-store bench, SQLite synchronous=FULL, dir {}",
        dir.path().display()
    );
    let fsync = fsync_per_s(dir.path(), 2.0);
    println!("fsync_per_s: {fsync:.0} fsync/s");

    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    rt.block_on(async {
        if only == "read" {
            return;
        }
        let store =
            SqliteStore::open_with(SqliteConfig::new(dir.path().join("append.db"))).expect("open");
        let r1 = append_1x1(&store, secs).await;
        println!("append_1x1_events_per_s: {r1:.0} events/s");
        println!("# append_1x1 / fsync_per_s = {:.2}", r1 / fsync);
        let (r64, p99) = append_64x1(&store, secs).await;
        println!("append_64x1_events_per_s: {r64:.0} events/s");
        println!("p99_append_latency_us_at_64: {p99:.0} us");
        drop(store);
    });
    rt.block_on(async {
        if only == "append" {
            return;
        }
        let store = Arc::new(
            SqliteStore::open_with(SqliteConfig::new(dir.path().join("read.db"))).expect("open"),
        );
        let t = Instant::now();
        fill(&store, READ_ALL_EVENTS).await;
        println!(
            "# filled {READ_ALL_EVENTS} events in {:.1}s (1000-event appends)",
            t.elapsed().as_secs_f64()
        );
        // Reopen, as a service rebuilding its projections at start-up would: closing folds
        // the WAL into the database file, so reads hit the b-tree directly.
        drop(store);
        let store = Arc::new(
            SqliteStore::open_with(
                SqliteConfig::new(dir.path().join("read.db")).integrity_check(IntegrityCheck::Skip),
            )
            .expect("reopen"),
        );
        let rate = read_all_rate(&store, READ_ALL_EVENTS).await;
        println!("read_all_events_per_s: {rate:.0} events/s");
    });
}
