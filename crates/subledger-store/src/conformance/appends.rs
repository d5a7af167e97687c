//! Checks of appends: expected versions, races, idempotent repeats.

use super::*;

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
    reads_back_what_was_appended(store, &s, start, r4.position, &[e1, e2, e3, e4], caps).await;
}

/// The four events of [`expected_version_semantics`] read back field for field, from
/// the start and from a version, and nothing else was written.
async fn reads_back_what_was_appended<S: EventStore>(
    store: &S,
    s: &str,
    start: u64,
    last_position: u64,
    sent: &[NewEvent; 4],
    caps: Capabilities,
) {
    let all = store.read_stream(s, 0).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_positions(&all, start, caps, "read_stream");
    for (rec, sent) in all.iter().zip(sent) {
        assert_eq!(rec.stream, *s);
        assert_eq!(rec.event_id, sent.event_id);
        assert_eq!(rec.event_type, sent.event_type);
        assert_eq!(rec.schema_version, sent.schema_version);
        assert_eq!(rec.data, sent.data);
        assert_eq!(rec.metadata, sent.metadata);
    }
    assert_eq!(all[3].position, last_position);
    let tail = store.read_stream(s, 2).await.unwrap();
    assert_eq!(
        tail.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(store.read_stream(s, 4).await.unwrap().is_empty());
    assert_eq!(store.stream_version(s).await.unwrap(), 4);
    assert_eq!(store.last_position().await.unwrap(), last_position);
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
    retrying_appenders_each_land_once(store, s, ROUNDS as usize).await;
}

/// 32 tasks append 4 events each to a stream already holding `already` events,
/// reloading the version on every conflict: every event lands exactly once, versions
/// stay contiguous.
async fn retrying_appenders_each_land_once<S: EventStore + Clone>(
    store: &S,
    s: Arc<String>,
    already: usize,
) {
    const TASKS: usize = 32;
    const PER_TASK: usize = 4;
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
    let total = already + TASKS * PER_TASK;
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
    assert_repeat_of(again, first, "a repeat returns the original result");
    assert_eq!(store.stream_version(&s).await.unwrap(), 2);

    // Still a repeat after the stream has moved on (a retry arriving late).
    let c = json_event("C", 3);
    let third = store
        .append(&s, ExpectedVersion::Exact(2), vec![c.clone()])
        .await
        .unwrap();
    assert_repeat_of(
        store
            .append(&s, ExpectedVersion::NoStream, vec![a.clone(), b.clone()])
            .await
            .expect("late repeat"),
        first,
        "late repeat",
    );
    assert_repeat_of(
        store
            .append(&s, ExpectedVersion::Exact(2), vec![c.clone()])
            .await
            .expect("late repeat of the second append"),
        third,
        "late repeat of the second append",
    );

    repeats_that_do_not_match_conflict(store, &s, &a, &b, caps).await;

    // Any: a repeat is found wherever it is.
    let d = json_event("D", 5);
    let rd = store
        .append(&s, ExpectedVersion::Any, vec![d.clone()])
        .await
        .unwrap();
    assert_repeat_of(
        store
            .append(&s, ExpectedVersion::Any, vec![d.clone()])
            .await
            .expect("repeat with Any"),
        rd,
        "repeat with Any",
    );
    let s2 = concurrent_retries_write_once(store).await;
    assert_eq!(store.stream_version(&s2).await.unwrap(), 2);

    // Nothing was duplicated: 4 events in `s`, 2 in `s2`.
    let all = read_everything(store, start).await;
    assert_eq!(all.len(), 6, "events written: {all:#?}");
    let ids: HashSet<Uuid> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 6);
}

/// Only some ids match, or the same ids at another place or in another stream: a
/// conflict, never a duplicate, and nothing written.
async fn repeats_that_do_not_match_conflict<S: EventStore>(
    store: &S,
    s: &str,
    a: &NewEvent,
    b: &NewEvent,
    caps: Capabilities,
) {
    let partial = store
        .append(
            s,
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
        .append(s, ExpectedVersion::Exact(1), vec![a.clone(), b.clone()])
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
}

/// Eight concurrent retries of the same append: all succeed with the same result.
/// Returns the stream they wrote.
async fn concurrent_retries_write_once<S: EventStore + Clone>(store: &S) -> Arc<String> {
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
    // One of them wrote; every other one is its repeat.
    let results: Vec<AppendResult> = results
        .into_iter()
        .map(|r| r.expect("concurrent retry"))
        .collect();
    let fresh: Vec<&AppendResult> = results.iter().filter(|r| !r.repeated).collect();
    assert_eq!(
        fresh.len(),
        1,
        "exactly one of the retries wrote: {results:?}"
    );
    for r in results.iter().filter(|r| r.repeated) {
        assert_repeat_of(*r, *fresh[0], "concurrent retry");
    }
    s2
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
