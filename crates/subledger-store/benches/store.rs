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
//! `BENCH_STORE=postgres` measures the same figures (same names) against
//! [`PostgresStore`] at `SUBLEDGER_PG_URL` (`scripts/bench.sh store` runs it inside
//! `scripts/with-postgres.sh`: a throwaway, durable cluster on the same disk), each
//! figure in a fresh schema of its own (`bench_<pid>_<figure>`, dropped afterwards);
//! `fsync_per_s` is still the disk's rate, measured beside the cluster's files. With
//! `BENCH_PG_PROFILE=1` an extra 64x1 round (not the figure) samples what the writer's
//! backend is doing (`pg_stat_activity`, every 2 ms, from a connection to another
//! database) and counts its commits and WAL fsyncs (`pg_stat_database`, `pg_stat_wal`):
//! appends per group commit and where a transaction's time goes, as `#` lines.
//! `BENCH_PG_SEED=<n>` first writes n events (1000-event appends) into each append
//! schema, analyzes it and reconnects, so the timed phases run on a table the planner
//! knows (a running ledger's state) rather than on one created a moment ago.
//!
//! `BENCH_SECONDS` (default 5) sets the length of each timed append phase;
//! `BENCH_ONLY=append|read` runs one half; `BENCH_IDS=v7` uses time-ordered event ids;
//! `BENCH_PAGE_SIZE` overrides the page size of the append database.

use std::io::{Seek, SeekFrom, Write};
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

async fn append_1x1<S: EventStore>(store: &S, secs: f64) -> f64 {
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
async fn append_64x1<S: EventStore + Clone>(store: &S, secs: f64) -> (f64, f64) {
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

async fn fill<S: EventStore + Clone>(store: &S, total: u64) {
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

async fn read_all_rate<S: EventStore>(store: &S, total: u64) -> f64 {
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
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match std::env::var("BENCH_STORE").unwrap_or_default().as_str() {
        "" | "sqlite" => sqlite(&rt, secs, &only),
        "postgres" => postgres::main(&rt, secs, &only),
        other => panic!("BENCH_STORE={other:?}: use sqlite or postgres"),
    }
}

fn sqlite(rt: &tokio::runtime::Runtime, secs: f64, only: &str) {
    let base = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).expect("target tmp dir");
    let dir = tempfile::tempdir_in(&base).expect("bench dir");

    println!(
        "# subledger-store bench, SQLite synchronous=FULL, dir {}",
        dir.path().display()
    );
    let fsync = fsync_per_s(dir.path(), 2.0);
    println!("fsync_per_s: {fsync:.0} fsync/s");

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
        let store =
            SqliteStore::open_with(SqliteConfig::new(dir.path().join("read.db"))).expect("open");
        let t = Instant::now();
        fill(&store, READ_ALL_EVENTS).await;
        println!(
            "# filled {READ_ALL_EVENTS} events in {:.1}s (1000-event appends)",
            t.elapsed().as_secs_f64()
        );
        // Reopen, as a service rebuilding its projections at start-up would: closing folds
        // the WAL into the database file, so reads hit the b-tree directly.
        drop(store);
        let store = SqliteStore::open_with(
            SqliteConfig::new(dir.path().join("read.db")).integrity_check(IntegrityCheck::Skip),
        )
        .expect("reopen");
        let rate = read_all_rate(&store, READ_ALL_EVENTS).await;
        println!("read_all_events_per_s: {rate:.0} events/s");
    });
}

#[cfg(not(feature = "postgres"))]
mod postgres {
    pub fn main(_: &tokio::runtime::Runtime, _: f64, _: &str) {
        panic!("BENCH_STORE=postgres needs the store's `postgres` feature");
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    //! The same figures against PostgreSQL, each in a fresh schema.

    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use subledger_store::{PostgresConfig, PostgresStore};

    use super::{READ_ALL_EVENTS, append_1x1, append_64x1, fill, fsync_per_s, read_all_rate};

    pub fn main(rt: &tokio::runtime::Runtime, secs: f64, only: &str) {
        let url = std::env::var("SUBLEDGER_PG_URL")
            .expect("BENCH_STORE=postgres needs SUBLEDGER_PG_URL (scripts/with-postgres.sh)");
        let pg: tokio_postgres::Config = url.parse().expect("SUBLEDGER_PG_URL");
        let prefix = format!("bench_{}", std::process::id());
        rt.block_on(async {
            let admin = Admin::connect(&pg, pg.get_dbname().unwrap_or("postgres")).await;
            let settings = admin
                .texts(
                    "SELECT version(), current_setting('fsync'), \
                     current_setting('synchronous_commit'), current_setting('data_directory', true)",
                )
                .await;
            println!(
                "# subledger-store bench, PostgreSQL (fsync={}, synchronous_commit={}): {}",
                settings[1], settings[2], settings[0]
            );
            // The disk's fsync rate beside the cluster's files when they can be reached
            // (same machine), else in the target directory.
            let probe_dir = socket_dir(&pg)
                .filter(|d| d.is_dir())
                .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
            std::fs::create_dir_all(&probe_dir).expect("probe dir");
            let fsync = fsync_per_s(&probe_dir, 2.0);
            println!("fsync_per_s: {fsync:.0} fsync/s");

            if only != "read" {
                let store = fresh(&url, &admin, &format!("{prefix}_1x1")).await;
                let r1 = append_1x1(&store, secs).await;
                println!("append_1x1_events_per_s: {r1:.0} events/s");
                println!("# append_1x1 / fsync_per_s = {:.2}", r1 / fsync);
                drop(store);
                let store = fresh(&url, &admin, &format!("{prefix}_64x1")).await;
                let (r64, p99) = append_64x1(&store, secs).await;
                println!("append_64x1_events_per_s: {r64:.0} events/s");
                println!("p99_append_latency_us_at_64: {p99:.0} us");
                drop(store);
                if std::env::var("BENCH_PG_PROFILE").is_ok_and(|v| v == "1") {
                    let schema = format!("{prefix}_profile");
                    let store = fresh(&url, &admin, &schema).await;
                    profile(&pg, &admin, &store, secs).await;
                    drop(store);
                }
            }
            if only != "append" {
                let schema = format!("{prefix}_read");
                let store = fresh(&url, &admin, &schema).await;
                let t = Instant::now();
                fill(&store, READ_ALL_EVENTS).await;
                println!(
                    "# filled {READ_ALL_EVENTS} events in {:.1}s (1000-event appends)",
                    t.elapsed().as_secs_f64()
                );
                // Reconnect (as a service starting up would), after a checkpoint and
                // an analyze, so the read starts from settled tables.
                drop(store);
                admin
                    .exec(&format!("CHECKPOINT; ANALYZE {schema}.events"))
                    .await;
                let store = connect(&url, &schema).await;
                let rate = read_all_rate(&store, READ_ALL_EVENTS).await;
                println!("read_all_events_per_s: {rate:.0} events/s");
                drop(store);
            }
            for figure in ["1x1", "64x1", "profile", "read"] {
                admin
                    .exec(&format!("DROP SCHEMA IF EXISTS {prefix}_{figure} CASCADE"))
                    .await;
            }
        });
    }

    /// The directory of a Unix-socket host (`?host=/dir`), where with-postgres.sh keeps
    /// the cluster.
    fn socket_dir(pg: &tokio_postgres::Config) -> Option<std::path::PathBuf> {
        pg.get_hosts().iter().find_map(|h| match h {
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(p) => Some(p.clone()),
            _ => None,
        })
    }

    async fn connect(url: &str, schema: &str) -> PostgresStore {
        PostgresStore::connect_with(PostgresConfig::new(url).schema(schema))
            .await
            .expect("connect")
    }

    /// A store in a schema of its own, emptied first (and seeded with `BENCH_PG_SEED`
    /// events, analyzed, before a new connection).
    async fn fresh(url: &str, admin: &Admin, schema: &str) -> PostgresStore {
        admin
            .exec(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CHECKPOINT"
            ))
            .await;
        let store = connect(url, schema).await;
        let seed: u64 = std::env::var("BENCH_PG_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if seed == 0 || schema.ends_with("_read") {
            return store;
        }
        fill(&store, seed).await;
        drop(store);
        admin
            .exec(&format!("ANALYZE {schema}.events; CHECKPOINT"))
            .await;
        println!("# {schema}: seeded with {seed} events, analyzed, reconnected");
        connect(url, schema).await
    }

    /// A plain connection for what the bench asks the server itself.
    struct Admin {
        client: tokio_postgres::Client,
    }

    impl Admin {
        async fn connect(pg: &tokio_postgres::Config, db: &str) -> Admin {
            let mut pg = pg.clone();
            pg.dbname(db).application_name("subledger-bench");
            let (client, conn) = pg
                .connect(tokio_postgres::NoTls)
                .await
                .expect("admin connect");
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Admin { client }
        }

        async fn exec(&self, sql: &str) {
            self.client.batch_execute(sql).await.expect(sql);
        }

        /// The first row of `sql`, every column as text.
        async fn texts(&self, sql: &str) -> Vec<String> {
            let msgs = self.client.simple_query(sql).await.expect(sql);
            msgs.iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                        (0..r.len())
                            .map(|i| r.get(i).unwrap_or("").to_owned())
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default()
        }
    }

    /// What one statement of the writer's transaction is, from its text.
    fn statement(query: &str) -> &'static str {
        let q = query.trim_start();
        if q.contains("pg_advisory_xact_lock") {
            "lock"
        } else if q.contains("INSERT INTO events") {
            "insert events"
        } else if q.contains("INSERT INTO claims") {
            "insert claims"
        } else if q.contains("unnest($1::text[]) AS s") {
            "stream versions"
        } else if q.contains("event_id = ANY") {
            "stored ids"
        } else if q.contains("FROM claims") {
            "claims"
        } else if q.contains("MAX(position)") {
            "head"
        } else if q.contains("pg_notify") {
            "notify"
        } else if q.starts_with("COMMIT") {
            "commit"
        } else if q.starts_with("BEGIN") {
            "begin"
        } else {
            "other"
        }
    }

    /// An extra 64x1 round with the writer's backend watched: commits and WAL fsyncs
    /// counted by the server, and its state sampled every 2 ms.
    async fn profile(pg: &tokio_postgres::Config, admin: &Admin, store: &PostgresStore, secs: f64) {
        let db = pg.get_dbname().unwrap_or("postgres").to_owned();
        // The sampler's own transactions must not count: it sits in another database.
        let sampler_db = if db == "postgres" {
            "template1"
        } else {
            "postgres"
        };
        let sampler = Admin::connect(pg, sampler_db).await;
        let counters = format!(
            "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = '{db}'), \
             (SELECT wal_sync FROM pg_stat_wal), (SELECT wal_write FROM pg_stat_wal), \
             (SELECT wal_bytes FROM pg_stat_wal)"
        );
        // Backends flush their counters at most once a second, and when idle.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let before = numbers(&sampler, &counters).await;
        let stop = Arc::new(AtomicBool::new(false));
        let watch = {
            let stop = stop.clone();
            let db = db.clone();
            tokio::spawn(async move {
                let q = sampler
                    .client
                    .prepare(
                        "SELECT pid, state, coalesce(wait_event_type, ''), \
                         coalesce(wait_event, ''), query FROM pg_stat_activity \
                         WHERE datname = $1 AND application_name = 'subledger' \
                           AND query NOT LIKE 'LISTEN%'",
                    )
                    .await
                    .expect("prepare sampler");
                // Per backend: what it was doing, how many samples.
                let mut seen: BTreeMap<i32, BTreeMap<String, u64>> = BTreeMap::new();
                let mut samples = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let rows = sampler.client.query(&q, &[&db]).await.expect("sample");
                    samples += 1;
                    for r in rows {
                        let pid: i32 = r.get(0);
                        let state: String = r.get::<_, Option<String>>(1).unwrap_or_default();
                        let wait = format!("{}:{}", r.get::<_, String>(2), r.get::<_, String>(3));
                        let what = statement(r.get::<_, Option<&str>>(4).unwrap_or(""));
                        let key = match state.as_str() {
                            "idle in transaction" => format!("client: after {what}"),
                            "idle" => "idle between transactions".to_owned(),
                            _ if wait == ":" => format!("server running: {what}"),
                            _ => format!("server waiting {wait}: {what}"),
                        };
                        *seen.entry(pid).or_default().entry(key).or_default() += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                // The writer is the backend that was busy most often.
                let busy = |m: &BTreeMap<String, u64>| {
                    m.iter()
                        .filter(|(k, _)| !k.starts_with("idle"))
                        .map(|(_, n)| *n)
                        .sum::<u64>()
                };
                let seen = seen
                    .into_values()
                    .max_by_key(|m| busy(m))
                    .unwrap_or_default();
                (samples, seen)
            })
        };
        let start = Instant::now();
        let (rate, p99) = append_64x1(store, secs).await;
        let elapsed = start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let (samples, seen) = watch.await.expect("sampler");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = numbers(admin, &counters).await;
        let events = rate * elapsed;
        let commits = after[0] - before[0];
        let syncs = after[1] - before[1];
        println!("# profile (an extra 64x1 round, sampled): {rate:.0} events/s, p99 {p99:.0} us");
        println!(
            "# profile: {commits:.0} commits in {elapsed:.1}s = {:.0} commits/s, {:.1} appends \
             per commit, {:.2} ms per transaction; WAL: {syncs:.0} fsyncs ({:.0}/s), {:.0} writes, \
             {:.0} bytes/event",
            commits / elapsed,
            events / commits.max(1.0),
            elapsed * 1e3 / commits.max(1.0),
            syncs / elapsed,
            after[2] - before[2],
            (after[3] - before[3]) / events.max(1.0),
        );
        let total: u64 = seen.values().sum();
        println!("# profile: the writer's backend, {total} of {samples} samples:");
        let mut rows: Vec<_> = seen.into_iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
        for (k, n) in rows {
            println!("#   {:5.1}%  {k}", n as f64 * 100.0 / total.max(1) as f64);
        }
    }

    async fn numbers(admin: &Admin, sql: &str) -> Vec<f64> {
        let t = admin.texts(sql).await;
        t.iter().map(|x| x.parse::<f64>().unwrap_or(0.0)).collect()
    }
}
