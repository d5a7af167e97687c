//! Crash test with real processes: a child (`store-crash-child`) appends to a SQLite store
//! under concurrent load and prints each acknowledged append; we SIGKILL it at a random
//! moment, reopen the database and check, 50 times over the same file:
//!
//! * the database opens and passes the full integrity check (`PRAGMA integrity_check`,
//!   positions 1..=head without gaps, every stream's versions 1..=n);
//! * every append the child acknowledged (in any round so far) is there, with the ids,
//!   version and position it was acknowledged with;
//! * no append is partly visible: each event carries its append's id and size, and every
//!   append is present with all its events, contiguous in the log, or not at all.
//!
//! Set `CRASH_SEED` to replay a run; the seed is printed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use subledger_store::{EventStore, IntegrityCheck, RecordedEvent, SqliteConfig, SqliteStore};
use uuid::Uuid;

const ROUNDS: usize = 50;

#[derive(Debug, Clone)]
struct Ack {
    append: Uuid,
    stream: String,
    next_version: u64,
    position: u64,
    ids: Vec<Uuid>,
}

fn parse_ack(line: &str) -> Ack {
    let parts: Vec<&str> = line.trim_end().split(' ').collect();
    assert_eq!(parts.len(), 6, "bad ACK line {line:?}");
    assert_eq!(parts[0], "ACK");
    Ack {
        append: parts[1].parse().expect("append id"),
        stream: parts[2].to_owned(),
        next_version: parts[3].parse().expect("version"),
        position: parts[4].parse().expect("position"),
        ids: parts[5]
            .split(',')
            .map(|s| s.parse().expect("event id"))
            .collect(),
    }
}

#[derive(serde::Deserialize)]
struct Meta {
    append: Uuid,
    count: usize,
    index: usize,
}

/// Runs one child for `life`, kills it, returns the complete ACK lines it printed.
fn run_child(db: &std::path::Path, round: usize, life: Duration) -> Vec<Ack> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_store-crash-child"))
        .arg(db)
        .arg(round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn store-crash-child");
    let stdout = child.stdout.take().expect("child stdout");
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                // A line cut by the kill is not an acknowledgement we can hold it to.
                Ok(_) if line.ends_with('\n') => acks.push(parse_ack(&line)),
                Ok(_) => break,
            }
        }
        acks
    });
    std::thread::sleep(life);
    // `kill` is SIGKILL on Unix: no destructor, no flush, no checkpoint runs in the child.
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    reader.join().expect("stdout reader")
}

async fn read_everything(store: &SqliteStore) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    loop {
        let from = out.last().map_or(0, |e| e.position);
        let page = store.read_all(from, 10_000).await.expect("read_all");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

async fn check(db: &std::path::Path, acks: &[Ack], round: usize) -> usize {
    let store = SqliteStore::open_with(SqliteConfig::new(db).integrity_check(IntegrityCheck::Full))
        .unwrap_or_else(|e| panic!("round {round}: reopen after SIGKILL failed: {e}"));
    let report = store
        .verify()
        .await
        .unwrap_or_else(|e| panic!("round {round}: integrity check failed: {e}"));
    let events = read_everything(&store).await;
    assert_eq!(events.len() as u64, report.events);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e.position,
            i as u64 + 1,
            "round {round}: positions not contiguous"
        );
    }
    assert_eq!(store.last_position().await.unwrap(), events.len() as u64);

    // All-or-nothing: group the log by append id.
    let mut appends: HashMap<Uuid, Vec<(usize, &RecordedEvent, Meta)>> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let m: Meta = serde_json::from_slice(&e.metadata).expect("event metadata");
        appends.entry(m.append).or_default().push((i, e, m));
    }
    for (append, evs) in &appends {
        let count = evs[0].2.count;
        assert_eq!(
            evs.len(),
            count,
            "round {round}: append {append} is partly visible ({} of {count} events)",
            evs.len()
        );
        for (k, (i, e, m)) in evs.iter().enumerate() {
            assert_eq!(m.index, k, "round {round}: append {append} out of order");
            assert_eq!(
                *i,
                evs[0].0 + k,
                "round {round}: append {append} not contiguous"
            );
            assert_eq!(e.stream, evs[0].1.stream);
            assert_eq!(e.version, evs[0].1.version + k as u64);
        }
    }

    // Every acknowledged append survived, exactly as acknowledged.
    let by_id: HashMap<Uuid, &RecordedEvent> = events.iter().map(|e| (e.event_id, e)).collect();
    for a in acks {
        let Some(group) = appends.get(&a.append) else {
            panic!(
                "round {round}: acknowledged append {} is lost ({a:?})",
                a.append
            );
        };
        assert_eq!(group.len(), a.ids.len());
        for (k, id) in a.ids.iter().enumerate() {
            let e = by_id
                .get(id)
                .unwrap_or_else(|| panic!("round {round}: acknowledged event {id} is lost"));
            assert_eq!(e.stream, a.stream);
            assert_eq!(
                e.version,
                a.next_version + 1 + k as u64 - a.ids.len() as u64
            );
        }
        let last = by_id[a.ids.last().expect("ids")];
        assert_eq!((last.position, last.version), (a.position, a.next_version));
    }
    events.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_appends_survive_sigkill_and_no_partial_append_is_visible() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash test seed: {seed} (set CRASH_SEED={seed} to replay)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.db");
    let started = Instant::now();
    let mut acks: Vec<Ack> = Vec::new();
    let mut events = 0;
    for round in 0..ROUNDS {
        // Some kills land while the child is still opening (or, in round 0, creating and
        // migrating) the database, most while it is busy appending.
        let life = Duration::from_millis(rng.random_range(5..250));
        let new = tokio::task::spawn_blocking({
            let db = db.clone();
            move || run_child(&db, round, life)
        })
        .await
        .expect("child runner");
        acks.extend(new);
        events = check(&db, &acks, round).await;
    }
    println!(
        "crash test: {ROUNDS} SIGKILLs, {} acknowledged appends, {events} events, {:.1}s",
        acks.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acks.len() > ROUNDS,
        "the child acknowledged too few appends ({}) for the test to mean anything",
        acks.len()
    );
}
