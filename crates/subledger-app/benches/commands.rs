//! `inprocess_commands_per_s`: the command path without HTTP (load, decide, append
//! with durable commits, idempotency bookkeeping), 64 concurrent callers over
//! 10,000 customers, mixing purchases and seat changes.
//!
//! Run: `scripts/bench.sh inprocess` (or `cargo bench -p subledger-app --bench commands`).
//! Knobs: BENCH_SECONDS (default 10), BENCH_CUSTOMERS (10000), BENCH_CONCURRENCY (64).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use subledger_app::{CommandRequest, Ledger, LedgerConfig, MemoryKeyVault, SimulatedClock};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::{Catalog, Command};
use subledger_store::{EventStore, SqliteConfig, SqliteStore};
use uuid::Uuid;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn command(v: serde_json::Value) -> Command {
    serde_json::from_value(v).expect("valid command")
}

fn request(actor: &Actor, command: Command) -> CommandRequest {
    CommandRequest {
        command_id: Uuid::now_v7(),
        command,
        actor: actor.clone(),
        expected_version: None,
        dry_run: false,
    }
}

fn main() {
    let seconds = env("BENCH_SECONDS", 10);
    let customers = env("BENCH_CUSTOMERS", 10_000) as usize;
    let concurrency = env("BENCH_CONCURRENCY", 64) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteStore::open_with(SqliteConfig::new(dir.path().join("events.db"))).expect("store"),
        );
        let clock = Arc::new(SimulatedClock::new("2026-03-02T09:00:00Z".parse().expect("instant")));
        let ledger = Ledger::open(
            store,
            Arc::new(Catalog::default_catalog()),
            clock,
            Arc::new(MemoryKeyVault::default()),
            LedgerConfig::default(),
        )
        .await
        .expect("ledger");
        let actor = Actor::partner("bench@partner.example", Uuid::from_u128(1), &[Role::AdminAgent]);

        // Set-up (not timed): every customer with one subscription of 50 seats.
        let ids: Vec<Uuid> = (0..customers).map(|_| Uuid::now_v7()).collect();
        let setup = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut subs = Vec::with_capacity(customers);
        let mut tasks = Vec::new();
        for &c in &ids {
            let (ledger, actor, permit) = (ledger.clone(), actor.clone(), setup.clone().acquire_owned().await.expect("permit"));
            tasks.push(tokio::spawn(async move {
                let _permit = permit;
                ledger.execute(request(&actor, command(serde_json::json!({"type": "CreateCustomer", "customer_id": c,
                    "company_name": "Bench", "domain": "bench.example", "country": "NL", "segment": "commercial"}))))
                    .await.expect("create");
                let r = ledger.execute(request(&actor, command(serde_json::json!({"type": "Purchase", "customer_id": c,
                    "items": [{"product_id": "m365-e3", "quantity": 50, "term": "P1Y", "billing": "monthly"}]}))))
                    .await.expect("purchase");
                (c, r.subscription_ids[0])
            }));
        }
        for t in tasks {
            subs.push(t.await.expect("setup task"));
        }
        let subs = Arc::new(subs);

        // Timed: `concurrency` callers, each on its own slice of customers.
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let refused = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..concurrency {
            let (ledger, actor, subs, stop, done, refused) =
                (ledger.clone(), actor.clone(), subs.clone(), stop.clone(), done.clone(), refused.clone());
            workers.push(tokio::spawn(async move {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let (customer, sub) = subs[i % subs.len()];
                    let cmd = match i / subs.len() % 4 {
                        0 => serde_json::json!({"type": "AddSeats", "subscription_id": sub, "seats": 2}),
                        1 => serde_json::json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 1}),
                        2 => serde_json::json!({"type": "Purchase", "customer_id": customer,
                              "items": [{"product_id": "m365-business-basic", "quantity": 3, "term": "P1M", "billing": "monthly"}]}),
                        _ => serde_json::json!({"type": "AddSeats", "subscription_id": sub, "seats": 1}),
                    };
                    match ledger.execute(request(&actor, command(cmd))).await {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => refused.fetch_add(1, Ordering::Relaxed),
                    };
                    i += concurrency;
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.expect("worker");
        }
        let elapsed = started.elapsed().as_secs_f64();
        let accepted = done.load(Ordering::Relaxed);
        let refused = refused.load(Ordering::Relaxed);
        println!("# {customers} customers, {concurrency} concurrent callers, {seconds} s, durable commits (synchronous=FULL)");
        println!("# accepted {accepted}, refused {refused}");
        println!("inprocess_commands_per_s: {:.0} commands/s", (accepted + refused) as f64 / elapsed);
    });
}
