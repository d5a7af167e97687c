//! Checks of reads: the global order, catch-up subscriptions, sizes, names, snapshots,
//! look-ups by id and bounded reads.

use super::*;
use crate::EventStream;

/// Concurrent writers on many streams; `read_all` (paged) returns exactly the acknowledged
/// events in position order, each append contiguous, causally ordered per writer.
pub async fn read_all_in_commit_order<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    let start = store.last_position().await.unwrap();
    let acks = join_tasks("writers", spawn_mixed_writers(store)).await;
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

/// What one append acknowledged: its stream, its result and its events' ids.
type Ack = (String, AppendResult, Vec<Uuid>);

/// Eight writers, each appending 20 times 1 to 3 events, mostly to its own stream and
/// every fourth time to one shared stream.
fn spawn_mixed_writers<S: EventStore + Clone>(store: &S) -> Vec<tokio::task::JoinHandle<Vec<Ack>>> {
    const WRITERS: usize = 8;
    const APPENDS: usize = 20;
    let shared = Arc::new(stream_name("shared"));
    (0..WRITERS)
        .map(|w| {
            let (store_ref, shared) = (store.clone(), shared.clone());
            tokio::spawn(async move {
                let own = stream_name(&format!("writer{w}"));
                let mut acks = Vec::new();
                for i in 0..APPENDS {
                    let n = 1 + (w + i) % 3;
                    let events: Vec<NewEvent> = (0..n)
                        .map(|k| json_event("W", (w * 1000 + i * 10 + k) as u64))
                        .collect();
                    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
                    let stream = if i % 4 == 3 {
                        shared.as_str().to_owned()
                    } else {
                        own.clone()
                    };
                    let r = store_ref
                        .append(&stream, ExpectedVersion::Any, events)
                        .await
                        .expect("append");
                    acks.push((stream, r, ids));
                }
                acks
            })
        })
        .collect()
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

    let history = read_everything(store, start).await;
    assert_eq!(history.len(), total);
    subscription_sees_the_log(&mut from_start, &history, start, caps).await;
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
    a_live_event_reaches_both(store, [&mut from_start, &mut from_mid]).await;
}

/// The subscription from `start` delivers exactly `history`, in order.
async fn subscription_sees_the_log(
    from_start: &mut EventStream,
    history: &[RecordedEvent],
    start: u64,
    caps: Capabilities,
) {
    let total = history.len();
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
}

/// Live: a new append reaches both subscriptions, and nothing else arrives before it.
async fn a_live_event_reaches_both<S: EventStore>(store: &S, subs: [&mut EventStream; 2]) {
    let live = json_event("Live", 1);
    let r = store
        .append(
            &stream_name("live"),
            ExpectedVersion::NoStream,
            vec![live.clone()],
        )
        .await
        .unwrap();
    for sub in subs {
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
