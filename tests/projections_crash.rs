//! The projection runner killed mid-way (SIGKILL of a real `subledger serve` while
//! it catches up with a log), again and again, then left to finish: the persisted
//! projections equal a clean replay byte for byte, so no batch was applied twice
//! and none was lost.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::Server;
use subledger_app::workload::Workload;
use subledger_app::{Ledger, LedgerConfig, ReplayOptions, SimulatedClock, SqliteKeyVault, replay};
use subledger_domain::Catalog;
use subledger_projections::ProjectionDb;
use subledger_projections::export::{Format, write_all};
use subledger_store::{EventStore, SqliteConfig, SqliteStore, Synchronous};

/// Writes a log of a seeded workload into `dir`; returns its head and last instant.
async fn build_log(dir: &Path, commands: usize) -> (u64, DateTime<Utc>) {
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteStore::open_with(
            SqliteConfig::new(dir.join("events.db")).synchronous(Synchronous::Off),
        )
        .unwrap(),
    );
    let mut now: DateTime<Utc> = "2026-01-01T08:00:00Z".parse().unwrap();
    let clock = Arc::new(SimulatedClock::new(now));
    let ledger = Ledger::open(
        store.clone(),
        Arc::new(Catalog::default_catalog()),
        clock,
        Arc::new(SqliteKeyVault::open(&dir.join("keys.db")).unwrap()),
        LedgerConfig::default(),
    )
    .await
    .unwrap();
    let mut workload = Workload::new(99, 300, 4);
    for _ in 0..commands {
        now += chrono::Duration::minutes(20);
        ledger.advance_clock(now).await.unwrap().unwrap();
        let request = workload.next(now);
        let outcome = ledger.execute(request.clone()).await;
        workload.observe(&request, &outcome);
    }
    let head = store.last_position().await.unwrap();
    (head, now)
}

fn checkpoint(dir: &Path) -> u64 {
    ProjectionDb::open_read_only(dir.join("projections.db"))
        .unwrap()
        .map_or(0, |db| db.checkpoint().unwrap().position)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_mid_way_resumes_to_exactly_a_clean_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (head, last) = build_log(dir.path(), 6_000).await;
    assert!(head > 10_000, "log too small: {head}");
    let now = (last + chrono::Duration::hours(1)).to_rfc3339();
    // Small catch-up transactions, so that a kill can land between two of them.
    let args = [
        "--clock",
        "simulated",
        "--now",
        now.as_str(),
        "--projection-batch",
        "2048",
    ];

    // Kill the server at growing delays after it starts listening (the runner
    // catches up in the background) until a kill lands mid-way.
    let mut mid_way = Vec::new();
    for round in 0..12u64 {
        let mut server = Server::start_with(dir.path(), &args);
        std::thread::sleep(Duration::from_millis(40 + round * 60));
        server.kill();
        let at = checkpoint(dir.path());
        if at > 0 && at < head {
            mid_way.push(at);
        }
        if at == head {
            break;
        }
    }
    assert!(
        !mid_way.is_empty(),
        "no kill landed while the runner was catching up (head {head})"
    );

    // Let it finish.
    let mut server = Server::start_with(dir.path(), &args);
    let deadline = Instant::now() + Duration::from_secs(120);
    while checkpoint(dir.path()) < head {
        assert!(Instant::now() < deadline, "the runner never caught up");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(server.terminate().success());

    let live = ProjectionDb::open_read_only(dir.path().join("projections.db"))
        .unwrap()
        .expect("projections")
        .load_model()
        .unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open_read_only(dir.path().join("events.db")).unwrap());
    let (replayed, _) = replay(store, ReplayOptions::default(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(live.position, head);
    assert_eq!(
        live.rows.billing.len() as u64,
        replayed.per_type.get("Charged").copied().unwrap_or(0)
            + replayed.per_type.get("Credited").copied().unwrap_or(0),
        "every charge and credit once"
    );
    let at = replayed.last_at.unwrap();
    let (a, b) = (dir.path().join("live"), dir.path().join("replay"));
    write_all(&a, &live, at, Format::Csv).unwrap();
    write_all(&b, &replayed, at, Format::Csv).unwrap();
    for name in [
        "subscriptions.csv",
        "orders.csv",
        "billing-lines.csv",
        "billing-totals.csv",
        "key-access.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        assert!(
            x == y,
            "{name}: the resumed projections differ from a replay"
        );
    }
    eprintln!("killed mid-way at checkpoints {mid_way:?} of {head}");
}
