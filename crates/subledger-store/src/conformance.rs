//! The conformance suite: one set of checks that every backend must pass.
//!
//! Each check is a public async function taking a fresh store. The
//! [`conformance_tests!`](crate::conformance_tests) macro turns them into one `#[tokio::test]`
//! per check for a given store factory, so a backend's test file is one line:
//!
//! ```ignore
//! subledger_store::conformance_tests!(Capabilities::strict(), async { (MemoryStore::new(), ()) });
//! ```
//!
//! The factory is an expression evaluated once per test, yielding `(store, guard)`; the
//! guard (a temp dir, …) lives as long as the test.
//!
//! The checks panic (like assertions) on the first violation, naming what went wrong.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use uuid::Uuid;

use crate::{AppendResult, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError};

/// What a backend guarantees beyond the common contract.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// Positions are 1-based and gap-free (SQLite, memory). Otherwise only strictly
    /// increasing (EventStoreDB, whose `$all` is shared with other streams).
    pub gap_free_positions: bool,
    /// Event ids are unique across the store, so an id reused in another stream is
    /// detected. EventStoreDB checks ids per stream only.
    pub global_event_ids: bool,
}

impl Capabilities {
    /// SQLite and memory.
    pub fn strict() -> Self {
        Capabilities {
            gap_free_positions: true,
            global_event_ids: true,
        }
    }

    /// EventStoreDB.
    pub fn eventstoredb() -> Self {
        Capabilities {
            gap_free_positions: false,
            global_event_ids: false,
        }
    }
}

/// Generates one `#[tokio::test]` per conformance check.
///
/// `conformance_tests!(caps, factory)` always runs. `conformance_tests!(esdb: caps, factory)`
/// marks the tests ignored unless `SUBLEDGER_ESDB_URL` was set when the tests were built
/// (the crate's build script turns it into `cfg(esdb_url_set)`), so a run without a server
/// reports them as ignored, never as passed.
#[macro_export]
macro_rules! conformance_tests {
    (esdb: $caps:expr, $make:expr) => {
        $crate::conformance_tests!(@all [
            #[cfg_attr(
                not(esdb_url_set),
                ignore = "SUBLEDGER_ESDB_URL not set: no EventStoreDB to run against"
            )]
        ] $caps, $make);
    };
    ($caps:expr, $make:expr) => {
        $crate::conformance_tests!(@all [] $caps, $make);
    };
    (@all [$($attr:tt)*] $caps:expr, $make:expr) => {
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, expected_version_semantics);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, concurrent_appenders_one_stream);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, idempotent_reappend);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, read_all_in_commit_order);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, catch_up_subscription_mid_write);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, large_events);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, unicode_stream_names);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, empty_append_refused);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, snapshots);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, find_event_by_id);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, bounded_stream_reads);
    };
    (@one [$($attr:tt)*] $caps:expr, $make:expr, $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        $($attr)*
        async fn $name() {
            let (store, _guard) = $make.await;
            $crate::conformance::$name(&store, $caps).await;
        }
    };
}

fn json_event(kind: &str, n: u64) -> NewEvent {
    NewEvent::new(
        Uuid::new_v4(),
        kind,
        1,
        format!(r#"{{"n":{n},"kind":"{kind}"}}"#).into_bytes(),
    )
    .with_metadata(format!(r#"{{"test":"conformance","n":{n}}}"#).into_bytes())
}

fn stream_name(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4())
}

/// Waits at most this long for anything asynchronous (subscriptions, task joins).
const PATIENCE: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {PATIENCE:?} waiting for {what}"),
    }
}

async fn join_tasks<T: Send + 'static>(
    what: &str,
    handles: Vec<tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    within(what, futures::future::join_all(handles))
        .await
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())))
        .collect()
}

fn assert_wev(r: Result<AppendResult, StoreError>, expected: ExpectedVersion, actual: u64) {
    match r {
        Err(StoreError::WrongExpectedVersion {
            expected: e,
            actual: a,
        }) => {
            assert_eq!(e, expected, "WrongExpectedVersion.expected");
            assert_eq!(a, actual, "WrongExpectedVersion.actual");
        }
        other => panic!("expected WrongExpectedVersion {{ {expected}, {actual} }}, got {other:?}"),
    }
}

async fn read_everything<S: EventStore>(store: &S, from: u64) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    let mut pos = from;
    loop {
        let page = store.read_all(pos, 97).await.expect("read_all");
        let Some(last) = page.last() else { break };
        pos = last.position;
        out.extend(page);
    }
    out
}

fn assert_positions(events: &[RecordedEvent], from: u64, caps: Capabilities, what: &str) {
    let mut prev = from;
    for e in events {
        assert!(
            e.position > prev,
            "{what}: position {} does not follow {prev}",
            e.position
        );
        if caps.gap_free_positions {
            assert_eq!(e.position, prev + 1, "{what}: gap after position {prev}");
        }
        prev = e.position;
    }
}

/// NoStream / Exact / Any; versions and positions; field round trip; `read_stream` from.
pub async fn expected_version_semantics<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    let s = stream_name("ev");
    let start = store.last_position().await.expect("last_position");
    assert_eq!(store.stream_version(&s).await.unwrap(), 0);
    assert!(store.read_stream(&s, 0).await.unwrap().is_empty());

    let e1 = json_event("Opened", 1);
    assert_wev(
        store
            .append(&s, ExpectedVersion::Exact(1), vec![e1.clone()])
            .await,
        ExpectedVersion::Exact(1),
        0,
    );
    let r1 = store
        .append(&s, ExpectedVersion::NoStream, vec![e1.clone()])
        .await
        .expect("first append");
    assert_eq!(r1.next_version, 1);
    assert!(r1.position > start);
    if caps.gap_free_positions {
        assert_eq!(r1.position, start + 1);
    }
    assert_wev(
        store
            .append(&s, ExpectedVersion::NoStream, vec![json_event("X", 9)])
            .await,
        ExpectedVersion::NoStream,
        1,
    );
    let (e2, e3) = (json_event("Changed", 2), json_event("Changed", 3));
    let r3 = store
        .append(&s, ExpectedVersion::Exact(1), vec![e2.clone(), e3.clone()])
        .await
        .expect("append at Exact(1)");
    assert_eq!(r3.next_version, 3);
    assert!(r3.position > r1.position);
    if caps.gap_free_positions {
        assert_eq!(r3.position, r1.position + 2);
    }
    assert_wev(
        store
            .append(&s, ExpectedVersion::Exact(2), vec![json_event("X", 9)])
            .await,
        ExpectedVersion::Exact(2),
        3,
    );
    // Any appends wherever the stream ends; empty metadata round-trips as empty.
    let mut e4 = json_event("Closed", 4);
    e4.metadata = Bytes::new();
    e4.schema_version = 7;
    let r4 = store
        .append(&s, ExpectedVersion::Any, vec![e4.clone()])
        .await
        .expect("append Any");
    assert_eq!(r4.next_version, 4);
    assert!(r4.position > r3.position);

    let all = store.read_stream(&s, 0).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_positions(&all, start, caps, "read_stream");
    for (rec, sent) in all.iter().zip([&e1, &e2, &e3, &e4]) {
        assert_eq!(rec.stream, s);
        assert_eq!(rec.event_id, sent.event_id);
        assert_eq!(rec.event_type, sent.event_type);
        assert_eq!(rec.schema_version, sent.schema_version);
        assert_eq!(rec.data, sent.data);
        assert_eq!(rec.metadata, sent.metadata);
    }
    assert_eq!(all[3].position, r4.position);
    let tail = store.read_stream(&s, 2).await.unwrap();
    assert_eq!(
        tail.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(store.read_stream(&s, 4).await.unwrap().is_empty());
    assert_eq!(store.stream_version(&s).await.unwrap(), 4);
    assert_eq!(store.last_position().await.unwrap(), r4.position);
    // A failed append wrote nothing.
    assert_eq!(read_everything(store, start).await.len(), 4);
}

/// 32 tasks race for each version of one stream: exactly one wins each; then 32 tasks
/// append with retry-on-conflict and every event lands exactly once.
pub async fn concurrent_appenders_one_stream<S: EventStore + Clone>(
    store: &S,
    _caps: Capabilities,
) {
    const TASKS: usize = 32;
    const ROUNDS: u64 = 4;
    const PER_TASK: usize = 4;
    let s = Arc::new(stream_name("race"));
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let (s, store, barrier) = (s.clone(), store.clone(), barrier.clone());
        handles.push(tokio::spawn(async move {
            let mut wins = Vec::new();
            for v in 0..ROUNDS {
                barrier.wait().await;
                let expected = if v == 0 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(v)
                };
                match store
                    .append(&s, expected, vec![json_event("Race", t as u64)])
                    .await
                {
                    Ok(r) => {
                        assert_eq!(r.next_version, v + 1);
                        wins.push(v + 1);
                    }
                    Err(e) => assert_wev(Err(e), expected, v + 1),
                }
                barrier.wait().await;
            }
            wins
        }));
    }
    let results = join_tasks("racing appenders", handles).await;
    let mut winners_per_version: HashMap<u64, usize> = HashMap::new();
    for wins in results {
        for v in wins {
            *winners_per_version.entry(v).or_default() += 1;
        }
    }
    for v in 1..=ROUNDS {
        assert_eq!(
            winners_per_version.get(&v).copied().unwrap_or(0),
            1,
            "exactly one appender must win version {v}"
        );
    }

    let mut handles = Vec::new();
    for t in 0..TASKS {
        let (s, store) = (s.clone(), store.clone());
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..PER_TASK {
                let e = json_event("Free", (t * 100 + i) as u64);
                ids.push(e.event_id);
                loop {
                    let v = store.stream_version(&s).await.expect("version");
                    match store
                        .append(&s, ExpectedVersion::Exact(v), vec![e.clone()])
                        .await
                    {
                        Ok(_) => break,
                        Err(err) if err.is_conflict() => tokio::task::yield_now().await,
                        Err(err) => panic!("unexpected append error: {err}"),
                    }
                }
            }
            ids
        }));
    }
    let ids: Vec<Uuid> = join_tasks("free-for-all appenders", handles)
        .await
        .into_iter()
        .flatten()
        .collect();
    let events = store.read_stream(&s, 0).await.unwrap();
    let total = ROUNDS as usize + TASKS * PER_TASK;
    assert_eq!(events.len(), total);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.version, i as u64 + 1, "versions must be contiguous");
    }
    let stored: HashSet<Uuid> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(stored.len(), total, "no event may be stored twice");
    assert!(
        ids.iter().all(|id| stored.contains(id)),
        "an event is missing"
    );
}

/// Re-appending the same ids at the same place returns the original result and writes
/// nothing; partial or misplaced repeats are conflicts.
pub async fn idempotent_reappend<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    let s = stream_name("idem");
    let start = store.last_position().await.unwrap();
    let (a, b) = (json_event("A", 1), json_event("B", 2));
    let first = store
        .append(&s, ExpectedVersion::NoStream, vec![a.clone(), b.clone()])
        .await
        .expect("first append");
    let again = store
        .append(&s, ExpectedVersion::NoStream, vec![a.clone(), b.clone()])
        .await
        .expect("idempotent re-append");
    assert_eq!(again, first, "a repeat returns the original result");
    assert_eq!(store.stream_version(&s).await.unwrap(), 2);

    // Still a repeat after the stream has moved on (a retry arriving late).
    let c = json_event("C", 3);
    let third = store
        .append(&s, ExpectedVersion::Exact(2), vec![c.clone()])
        .await
        .unwrap();
    assert_eq!(
        store
            .append(&s, ExpectedVersion::NoStream, vec![a.clone(), b.clone()])
            .await
            .expect("late repeat"),
        first
    );
    assert_eq!(
        store
            .append(&s, ExpectedVersion::Exact(2), vec![c.clone()])
            .await
            .expect("late repeat of the second append"),
        third
    );

    // Only some ids match: a conflict, never a duplicate.
    let partial = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            vec![a.clone(), json_event("New", 4)],
        )
        .await;
    assert!(
        matches!(partial, Err(StoreError::IdempotencyConflict { .. })),
        "partial repeat: {partial:?}"
    );
    // Same ids, different place.
    let misplaced = store
        .append(&s, ExpectedVersion::Exact(1), vec![a.clone(), b.clone()])
        .await;
    assert!(
        matches!(
            misplaced,
            Err(StoreError::IdempotencyConflict { .. })
                | Err(StoreError::WrongExpectedVersion { .. })
        ),
        "misplaced repeat: {misplaced:?}"
    );
    if caps.global_event_ids {
        assert!(
            matches!(misplaced, Err(StoreError::IdempotencyConflict { .. })),
            "misplaced repeat: {misplaced:?}"
        );
        let other = stream_name("idem-other");
        let elsewhere = store
            .append(&other, ExpectedVersion::NoStream, vec![a.clone()])
            .await;
        assert!(
            matches!(elsewhere, Err(StoreError::IdempotencyConflict { .. })),
            "id reused in another stream: {elsewhere:?}"
        );
        assert_eq!(store.stream_version(&other).await.unwrap(), 0);
    }

    // Any: a repeat is found wherever it is.
    let d = json_event("D", 5);
    let rd = store
        .append(&s, ExpectedVersion::Any, vec![d.clone()])
        .await
        .unwrap();
    assert_eq!(
        store
            .append(&s, ExpectedVersion::Any, vec![d.clone()])
            .await
            .expect("repeat with Any"),
        rd
    );

    // Concurrent retries of the same append: all succeed with the same result, one write.
    let s2 = Arc::new(stream_name("idem-concurrent"));
    let batch = vec![json_event("P", 1), json_event("Q", 2)];
    let store_ref = store.clone();
    let results = within(
        "concurrent retries",
        futures::future::join_all((0..8).map(|_| {
            let (s2, batch, store_ref) = (s2.clone(), batch.clone(), store_ref.clone());
            async move {
                store_ref
                    .append(&s2, ExpectedVersion::NoStream, batch)
                    .await
            }
        })),
    )
    .await;
    let first_ok = *results[0].as_ref().expect("concurrent retry");
    for r in &results {
        assert_eq!(r.as_ref().expect("concurrent retry"), &first_ok);
    }
    assert_eq!(store.stream_version(&s2).await.unwrap(), 2);

    // Nothing was duplicated: 4 events in `s`, 2 in `s2`.
    let all = read_everything(store, start).await;
    assert_eq!(all.len(), 6, "events written: {all:#?}");
    let ids: HashSet<Uuid> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 6);
}

/// Concurrent writers on many streams; `read_all` (paged) returns exactly the acknowledged
/// events in position order, each append contiguous, causally ordered per writer.
pub async fn read_all_in_commit_order<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    const WRITERS: usize = 8;
    const APPENDS: usize = 20;
    let start = store.last_position().await.unwrap();
    let store_ref = store.clone();
    let shared = Arc::new(stream_name("shared"));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store_ref, shared) = (store_ref.clone(), shared.clone());
            tokio::spawn(async move {
                let own = stream_name(&format!("writer{w}"));
                let mut acks = Vec::new();
                for i in 0..APPENDS {
                    let n = 1 + (w + i) % 3;
                    let events: Vec<NewEvent> = (0..n)
                        .map(|k| json_event("W", (w * 1000 + i * 10 + k) as u64))
                        .collect();
                    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
                    let (stream, expected) = if i % 4 == 3 {
                        (shared.as_str().to_owned(), ExpectedVersion::Any)
                    } else {
                        (own.clone(), ExpectedVersion::Any)
                    };
                    let r = store_ref
                        .append(&stream, expected, events)
                        .await
                        .expect("append");
                    acks.push((stream, r, ids));
                }
                acks
            })
        })
        .collect();
    let acks = join_tasks("writers", tasks).await;
    let all = read_everything(store, start).await;
    assert_positions(&all, start, caps, "read_all");
    let index: HashMap<Uuid, usize> = all
        .iter()
        .enumerate()
        .map(|(i, e)| (e.event_id, i))
        .collect();
    let total: usize = acks.iter().flatten().map(|(_, _, ids)| ids.len()).sum();
    assert_eq!(
        all.len(),
        total,
        "read_all returns exactly what was appended"
    );
    for writer in &acks {
        let mut prev = start;
        for (stream, r, ids) in writer {
            let first = index[&ids[0]];
            for (k, id) in ids.iter().enumerate() {
                let e = &all[first + k];
                assert_eq!(&e.event_id, id, "an append's events are contiguous in $all");
                assert_eq!(&e.stream, stream);
            }
            let last = &all[first + ids.len() - 1];
            assert_eq!(last.position, r.position);
            assert_eq!(last.version, r.next_version);
            assert!(r.position > prev, "a later append commits later");
            prev = r.position;
        }
    }
    // Per stream, versions follow positions.
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for e in &all {
        let v = versions.entry(&e.stream).or_default();
        assert_eq!(
            e.version,
            *v + 1,
            "stream {} out of order in $all",
            e.stream
        );
        *v = e.version;
    }
    assert!(store.read_all(start, 0).await.unwrap().is_empty());
    assert_eq!(
        store.last_position().await.unwrap(),
        all.last().map(|e| e.position).unwrap_or(start)
    );
}

/// A catch-up subscription started while writers write sees every event exactly once, in
/// order, and then keeps delivering live events.
pub async fn catch_up_subscription_mid_write<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    const WRITERS: usize = 4;
    const APPENDS: usize = 60;
    let start = store.last_position().await.unwrap();
    let store_ref = store.clone();
    let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store_ref, progress_tx) = (store_ref.clone(), progress_tx.clone());
            tokio::spawn(async move {
                let s = stream_name(&format!("sub{w}"));
                let mut count = 0usize;
                for i in 0..APPENDS {
                    let n = 1 + i % 3;
                    let events = (0..n)
                        .map(|k| json_event("S", (i * 10 + k) as u64))
                        .collect();
                    store_ref
                        .append(&s, ExpectedVersion::Any, events)
                        .await
                        .expect("append");
                    count += n;
                    let _ = progress_tx.send(());
                    if i % 7 == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
                count
            })
        })
        .collect();
    let writers = join_tasks("writers", writers);
    drop(progress_tx);
    let subscriber = async {
        // Start once about a third of the appends are in: history, then live.
        for _ in 0..(WRITERS * APPENDS / 3) {
            progress_rx.recv().await;
        }
        let mid = store.last_position().await.unwrap();
        let from_start = store.subscribe_all(start).await.expect("subscribe");
        let from_mid = store.subscribe_all(mid).await.expect("subscribe");
        (mid, from_start, from_mid)
    };
    let (counts, (mid, mut from_start, mut from_mid)) =
        within("writers", futures::future::join(writers, subscriber)).await;
    let total: usize = counts.iter().sum();

    let mut seen = Vec::with_capacity(total);
    within("subscription from the start", async {
        while seen.len() < total {
            let e = from_start
                .next()
                .await
                .expect("subscription ended early")
                .expect("subscription error");
            seen.push(e);
        }
    })
    .await;
    let history = read_everything(store, start).await;
    assert_eq!(history.len(), total);
    assert_positions(&seen, start, caps, "subscription");
    assert_eq!(
        seen.iter()
            .map(|e| (e.position, e.event_id))
            .collect::<Vec<_>>(),
        history
            .iter()
            .map(|e| (e.position, e.event_id))
            .collect::<Vec<_>>(),
        "the subscription must see exactly the log, in order"
    );
    let expected_tail: Vec<(u64, Uuid)> = history
        .iter()
        .filter(|e| e.position > mid)
        .map(|e| (e.position, e.event_id))
        .collect();
    let mut tail = Vec::new();
    within("subscription from the middle", async {
        while tail.len() < expected_tail.len() {
            let e = from_mid.next().await.expect("ended").expect("error");
            tail.push((e.position, e.event_id));
        }
    })
    .await;
    assert_eq!(tail, expected_tail);

    // Live: a new append reaches both subscriptions, and nothing else arrives before it.
    let live = json_event("Live", 1);
    let r = store
        .append(
            &stream_name("live"),
            ExpectedVersion::NoStream,
            vec![live.clone()],
        )
        .await
        .unwrap();
    for sub in [&mut from_start, &mut from_mid] {
        let e = within("a live event", sub.next())
            .await
            .expect("ended")
            .expect("error");
        assert_eq!((e.event_id, e.position), (live.event_id, r.position));
    }
}

/// 1 MiB events round-trip through every read path.
pub async fn large_events<S: EventStore + Clone>(store: &S, _caps: Capabilities) {
    const MIB: usize = 1 << 20;
    let s = stream_name("large");
    let start = store.last_position().await.unwrap();
    let mut events = Vec::new();
    for i in 0..2u8 {
        // A JSON document of exactly 1 MiB.
        let mut data = Vec::with_capacity(MIB);
        data.extend_from_slice(br#"{"blob":""#);
        let fill = MIB - data.len() - 2;
        data.extend((0..fill).map(|k| b'a' + ((k + i as usize) % 26) as u8));
        data.extend_from_slice(br#""}"#);
        assert_eq!(data.len(), MIB);
        events.push(NewEvent::new(Uuid::new_v4(), "Large", 1, data));
    }
    store
        .append(&s, ExpectedVersion::NoStream, vec![events[0].clone()])
        .await
        .expect("append 1 MiB");
    store
        .append(&s, ExpectedVersion::Exact(1), vec![events[1].clone()])
        .await
        .expect("append 1 MiB");
    let read = store.read_stream(&s, 0).await.unwrap();
    assert_eq!(read.len(), 2);
    for (r, e) in read.iter().zip(&events) {
        assert_eq!(r.data.len(), MIB);
        assert!(r.data == e.data, "1 MiB payload changed in read_stream");
    }
    let all = read_everything(store, start).await;
    assert_eq!(all.len(), 2);
    assert!(
        all[1].data == events[1].data,
        "1 MiB payload changed in read_all"
    );
    let mut sub = store.subscribe_all(start).await.unwrap();
    for e in &events {
        let got = within("large event", sub.next())
            .await
            .expect("ended")
            .expect("error");
        assert!(got.data == e.data, "1 MiB payload changed in subscription");
    }
}

/// Stream names are arbitrary unicode and stored exactly.
pub async fn unicode_stream_names<S: EventStore + Clone>(store: &S, _caps: Capabilities) {
    let suffix = Uuid::new_v4().simple().to_string();
    let names: Vec<String> = [
        "customer-ünïcødé",
        "客户-账本-😀",
        "עברית-stream",
        "with space / slash : colon",
        "caf\u{e9}",   // precomposed é
        "cafe\u{301}", // e + combining accent: a different stream
        "zwj-👩\u{200d}💻",
    ]
    .iter()
    .map(|n| format!("{n}-{suffix}"))
    .collect();
    let start = store.last_position().await.unwrap();
    for (i, n) in names.iter().enumerate() {
        store
            .append(
                n,
                ExpectedVersion::NoStream,
                vec![json_event("U", i as u64)],
            )
            .await
            .unwrap_or_else(|e| panic!("append to {n:?}: {e}"));
    }
    for n in &names {
        assert_eq!(store.stream_version(n).await.unwrap(), 1, "{n:?}");
        let evs = store.read_stream(n, 0).await.unwrap();
        assert_eq!(evs.len(), 1, "{n:?}");
        assert_eq!(&evs[0].stream, n);
    }
    let all = read_everything(store, start).await;
    assert_eq!(
        all.iter().map(|e| e.stream.clone()).collect::<Vec<_>>(),
        names
    );
    store
        .save_snapshot(&names[1], 1, 1, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert_eq!(
        store
            .load_snapshot(&names[1], 1)
            .await
            .unwrap()
            .map(|s| s.stream),
        Some(names[1].clone())
    );
}

/// An empty append is refused with a typed error and writes nothing.
pub async fn empty_append_refused<S: EventStore + Clone>(store: &S, _caps: Capabilities) {
    let s = stream_name("empty");
    let start = store.last_position().await.unwrap();
    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Any,
        ExpectedVersion::Exact(0),
    ] {
        let r = store.append(&s, expected, Vec::new()).await;
        assert!(matches!(r, Err(StoreError::EmptyAppend)), "{r:?}");
    }
    assert!(matches!(
        store
            .append("", ExpectedVersion::Any, vec![json_event("E", 1)])
            .await,
        Err(StoreError::InvalidStreamName(_))
    ));
    let e = json_event("E", 1);
    assert!(matches!(
        store
            .append(&s, ExpectedVersion::Any, vec![e.clone(), e])
            .await,
        Err(StoreError::InvalidAppend(_))
    ));
    assert_eq!(store.stream_version(&s).await.unwrap(), 0);
    assert_eq!(store.last_position().await.unwrap(), start);
}

/// Snapshots: latest wins; one with another schema version is ignored; one beyond the
/// stream's version is refused.
pub async fn snapshots<S: EventStore + Clone>(store: &S, _caps: Capabilities) {
    let s = stream_name("snap");
    assert_eq!(store.load_snapshot(&s, 1).await.unwrap(), None);
    store
        .append(
            &s,
            ExpectedVersion::NoStream,
            (0..3).map(|i| json_event("S", i)).collect(),
        )
        .await
        .unwrap();
    let v1 = Bytes::from_static(br#"{"state":"at 2, schema 1"}"#);
    store.save_snapshot(&s, 2, 1, v1.clone()).await.unwrap();
    let got = store.load_snapshot(&s, 1).await.unwrap().expect("snapshot");
    assert_eq!(
        (got.version, got.schema_version, got.data.clone()),
        (2, 1, v1)
    );
    assert_eq!(
        store.load_snapshot(&s, 2).await.unwrap(),
        None,
        "a snapshot of another schema version must be ignored"
    );
    let v2 = Bytes::from_static(br#"{"state":"at 3, schema 2"}"#);
    store.save_snapshot(&s, 3, 2, v2.clone()).await.unwrap();
    let got = store.load_snapshot(&s, 2).await.unwrap().expect("snapshot");
    assert_eq!((got.version, got.schema_version, got.data), (3, 2, v2));
    assert_eq!(
        store.load_snapshot(&s, 1).await.unwrap(),
        None,
        "the stale schema-1 snapshot must not come back"
    );
    let beyond = store
        .save_snapshot(&s, 4, 2, Bytes::from_static(b"{}"))
        .await;
    assert!(
        matches!(beyond, Err(StoreError::InvalidSnapshot(_))),
        "{beyond:?}"
    );
    assert_eq!(
        store.load_snapshot(&s, 2).await.unwrap().map(|s| s.version),
        Some(3)
    );
    // Snapshots are not events.
    assert_eq!(store.stream_version(&s).await.unwrap(), 3);
    assert_eq!(store.read_stream(&s, 0).await.unwrap().len(), 3);
}

/// `find_event` returns the stored event for a known id and nothing for an unknown
/// one; a backend without an index by id says so with `Unsupported`.
pub async fn find_event_by_id<S: EventStore + Clone>(store: &S, _caps: Capabilities) {
    let s = stream_name("find");
    let events: Vec<NewEvent> = (0..3).map(|i| json_event("F", i)).collect();
    let second = events[1].clone();
    let appended = store
        .append(&s, ExpectedVersion::NoStream, events)
        .await
        .expect("append");
    match store.find_event(second.event_id).await {
        Err(StoreError::Unsupported(_)) => return,
        Err(e) => panic!("find_event failed: {e}"),
        Ok(None) => panic!("find_event did not find an appended event"),
        Ok(Some(found)) => {
            assert_eq!(found.stream, s);
            assert_eq!(found.version, 2);
            assert_eq!(found.position, appended.position - 1);
            assert_eq!(found.event_id, second.event_id);
            assert_eq!(found.event_type, second.event_type);
            assert_eq!(found.data, second.data);
            assert_eq!(found.metadata, second.metadata);
        }
    }
    assert_eq!(
        store.find_event(Uuid::new_v4()).await.expect("find_event"),
        None
    );
}

/// `read_stream_limit` returns the first `limit` events after `from_version`, the
/// same ones `read_stream` would, and nothing past the end.
pub async fn bounded_stream_reads<S: EventStore + Clone>(store: &S, _caps: Capabilities) {
    let s = stream_name("bounded");
    let events: Vec<NewEvent> = (0..10).map(|i| json_event("B", i)).collect();
    store
        .append(&s, ExpectedVersion::NoStream, events)
        .await
        .expect("append");
    let all = store.read_stream(&s, 0).await.expect("read_stream");
    let some = store.read_stream_limit(&s, 3, 4).await.expect("bounded");
    assert_eq!(some, all[3..7].to_vec());
    let tail = store.read_stream_limit(&s, 8, 100).await.expect("bounded");
    assert_eq!(tail, all[8..].to_vec());
    assert!(store.read_stream_limit(&s, 10, 5).await.unwrap().is_empty());
    assert!(store.read_stream_limit(&s, 0, 0).await.unwrap().is_empty());
}
