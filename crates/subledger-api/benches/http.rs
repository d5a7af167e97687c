//! `scripts/bench.sh http`: the real `subledger serve` (release build, embedded
//! store, durable commits) under a load generator on loopback, mixing purchases,
//! seat changes and reads across 10,000 customers.
//!
//! Prints `http_commands_per_s` at saturation, then `p50_ms` / `p99_ms` at a fixed
//! open-loop rate of 5,000 requests/s.
//! Knobs: SUBLEDGER_BIN (the binary), BENCH_SECONDS (10), BENCH_CUSTOMERS (10000),
//! BENCH_CONNECTIONS (128), BENCH_RATE (5000).
//!
//! BENCH_STORE=postgres (with SUBLEDGER_PG_URL): the servers run `--store postgres`,
//! BENCH_NODES (1) of them on one database, each request going to the next node in
//! turn; with 3 nodes the figure is `http_commands_per_s_3_nodes`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Target {
    bases: Vec<String>,
    token: String,
    client: reqwest::Client,
    customers: Vec<(Uuid, String)>,
}

impl Target {
    /// One request of the mix: 40% seat changes, 20% purchases, 40% reads.
    async fn one(&self, i: u64) -> bool {
        let (customer, sub) = &self.customers[(i as usize * 7919) % self.customers.len()];
        let base = &self.bases[i as usize % self.bases.len()];
        let r = match i % 5 {
            0 | 1 => {
                let body = if i.is_multiple_of(2) {
                    json!({"command_id": Uuid::now_v7(), "type": "AddSeats", "subscription_id": sub, "seats": 1})
                } else {
                    json!({"command_id": Uuid::now_v7(), "type": "ReduceSeats", "subscription_id": sub, "seats": 1})
                };
                self.client
                    .post(format!("{base}/v1/commands"))
                    .bearer_auth(&self.token)
                    .json(&body)
                    .send()
                    .await
            }
            2 => {
                let body = json!({"command_id": Uuid::now_v7(), "type": "Purchase", "customer_id": customer,
                    "items": [{"product_id": "m365-business-basic", "quantity": 2, "term": "P1M", "billing": "monthly"}]});
                self.client
                    .post(format!("{base}/v1/commands"))
                    .bearer_auth(&self.token)
                    .json(&body)
                    .send()
                    .await
            }
            _ => {
                self.client
                    .get(format!("{base}/v1/subscriptions/{sub}"))
                    .bearer_auth(&self.token)
                    .send()
                    .await
            }
        };
        match r {
            Ok(r) => {
                let ok = r.status().is_success() || r.status().as_u16() == 422;
                let _ = r.bytes().await;
                ok
            }
            Err(_) => false,
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let seconds = env("BENCH_SECONDS", 10);
    let customers = env("BENCH_CUSTOMERS", 10_000) as usize;
    let connections = env("BENCH_CONNECTIONS", 128);
    let rate = env("BENCH_RATE", 5_000);
    let bin = std::env::var("SUBLEDGER_BIN").unwrap_or_else(|_| "target/release/subledger".into());
    let postgres = std::env::var("BENCH_STORE").is_ok_and(|s| s == "postgres");
    let nodes = if postgres {
        env("BENCH_NODES", 1).max(1)
    } else {
        1
    };
    let pg_url = std::env::var("SUBLEDGER_PG_URL").unwrap_or_default();
    assert!(
        !postgres || !pg_url.is_empty(),
        "BENCH_STORE=postgres needs SUBLEDGER_PG_URL"
    );
    let schema = format!("bench_http_{}", std::process::id());
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let mut children = Vec::new();
    let mut bases = Vec::new();
    for n in 0..nodes {
        let data = dir.path().join(format!("node{n}"));
        std::fs::create_dir_all(&data).expect("data dir");
        if n > 0 {
            // One auth file for every node.
            std::fs::copy(dir.path().join("node0/auth.json"), data.join("auth.json"))
                .expect("auth");
        }
        let mut command = Command::new(&bin);
        command.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--clock",
            "simulated",
            "--now",
            "2026-03-02T09:00:00Z",
            "--data-dir",
        ]);
        command.arg(&data);
        if postgres {
            command.args([
                "--store",
                "postgres",
                "--pg-url",
                &pg_url,
                "--pg-schema",
                &schema,
            ]);
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin}: {e} (build it with cargo build --release)")
            });
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let base = loop {
            let line = lines.next().expect("server exited").expect("stderr line");
            if let Some(a) = line.strip_prefix("subledger: listening on ") {
                break a.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines.by_ref() {});
        children.push(child);
        bases.push(base);
    }
    let auth: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("node0/auth.json")).expect("auth"),
    )
    .expect("json");
    let token = auth["tokens"][0]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let figure = match nodes {
        1 => "http_commands_per_s".to_owned(),
        n => format!("http_commands_per_s_{n}_nodes"),
    };
    let store = if postgres { "PostgreSQL" } else { "SQLite" };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build().expect("client");
        // Set-up: every customer with one subscription of 50 seats.
        let base = bases[0].clone();
        let mut setup = Vec::new();
        let sem = Arc::new(tokio::sync::Semaphore::new(64));
        for _ in 0..customers {
            let (client, base, token, permit) = (client.clone(), base.clone(), token.clone(), sem.clone().acquire_owned().await.expect("permit"));
            setup.push(tokio::spawn(async move {
                let _p = permit;
                let c = Uuid::now_v7();
                let post = |body: Value| client.post(format!("{base}/v1/commands")).bearer_auth(&token).json(&body).send();
                post(json!({"command_id": Uuid::now_v7(), "type": "CreateCustomer", "customer_id": c, "company_name": "Bench",
                    "domain": "bench.example", "country": "NL", "segment": "commercial"})).await.expect("create");
                let r: Value = post(json!({"command_id": Uuid::now_v7(), "type": "Purchase", "customer_id": c,
                    "items": [{"product_id": "m365-e3", "quantity": 50, "term": "P1Y", "billing": "monthly"}]}))
                    .await.expect("purchase").json().await.expect("json");
                (c, r["subscription_ids"][0].as_str().expect("subscription").to_owned())
            }));
        }
        let mut list = Vec::with_capacity(customers);
        for s in setup {
            list.push(s.await.expect("setup"));
        }
        // Every node has read the set-up before the clock starts.
        tokio::time::sleep(Duration::from_secs(if nodes > 1 { 3 } else { 0 })).await;
        let target = Arc::new(Target { bases, token, client, customers: list });

        // 1. Saturation: `connections` closed-loop callers.
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..connections {
            let (t, stop, done, failed) = (target.clone(), stop.clone(), done.clone(), failed.clone());
            workers.push(tokio::spawn(async move {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    if t.one(i).await { done.fetch_add(1, Ordering::Relaxed); } else { failed.fetch_add(1, Ordering::Relaxed); }
                    i += connections;
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            let _ = w.await;
        }
        let per_s = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        println!("# {store}, {nodes} node(s), {customers} customers, {connections} connections, {seconds} s; failed {}", failed.load(Ordering::Relaxed));
        println!("{figure}: {per_s:.0} requests/s");

        // 2. Open loop at a fixed rate: latency of each request from its scheduled start.
        let total = rate * seconds;
        let interval = Duration::from_secs_f64(1.0 / rate as f64);
        let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(total as usize)));
        let begin = Instant::now();
        let mut tasks = Vec::with_capacity(total as usize);
        for i in 0..total {
            let due = begin + interval * i as u32;
            tokio::time::sleep_until(due.into()).await;
            let (t, latencies) = (target.clone(), latencies.clone());
            tasks.push(tokio::spawn(async move {
                let ok = t.one(i).await;
                let ms = due.elapsed().as_secs_f64() * 1000.0;
                latencies.lock().expect("lock").push((ms, ok));
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let mut ms: Vec<f64> = latencies.lock().expect("lock").iter().map(|(m, _)| *m).collect();
        ms.sort_by(|a, b| a.total_cmp(b));
        println!("# open loop at {rate} requests/s for {seconds} s ({} requests)", ms.len());
        println!("p50_ms: {:.2} ms", percentile(&ms, 0.50));
        println!("p99_ms: {:.2} ms", percentile(&ms, 0.99));
    });
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
}
