//! Checks of unique claims ([`EventStore::append_claiming`]): a key is held by one
//! stream for good; another stream's claim of it writes nothing.

use super::*;

fn key(kind: &str) -> String {
    format!("{kind}/{}", Uuid::new_v4())
}

fn assert_taken(r: Result<AppendResult, StoreError>, expected_key: &str) {
    match r {
        Err(StoreError::ClaimTaken { key }) => assert_eq!(key, expected_key, "ClaimTaken.key"),
        other => panic!("expected ClaimTaken {{ {expected_key} }}, got {other:?}"),
    }
}

/// A free claim; the same stream claiming it again (new events, an idempotent retry);
/// another stream claiming it: `ClaimTaken`, nothing written, positions unchanged.
/// Without claims support: `Unsupported`, nothing written.
pub async fn claims_held_by_one_stream<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    let (a, b) = (stream_name("claim-a"), stream_name("claim-b"));
    let (k1, k2) = (key("subscription"), key("order"));
    let start = store.last_position().await.expect("last_position");
    let first = json_event("Claimed", 1);
    let claimed = store
        .append_claiming(
            &a,
            ExpectedVersion::NoStream,
            vec![first.clone()],
            &[k1.clone(), k2.clone()],
        )
        .await;
    if !caps.claims {
        assert!(!store.supports_claims(), "supports_claims must be false");
        assert!(
            matches!(claimed, Err(StoreError::Unsupported(_))),
            "an append with claims must be unsupported, got {claimed:?}"
        );
        assert_eq!(
            store.last_position().await.unwrap(),
            start,
            "nothing written"
        );
        return;
    }
    assert!(store.supports_claims(), "supports_claims must be true");
    let r1 = claimed.expect("a free claim");
    assert_eq!(r1.next_version, 1);
    // An idempotent retry of the same append (same ids, same claims) is the same result.
    let again = store
        .append_claiming(
            &a,
            ExpectedVersion::NoStream,
            vec![first],
            &[k1.clone(), k2.clone()],
        )
        .await
        .expect("idempotent retry with its claims");
    super::assert_repeat_of(again, r1, "idempotent retry with its claims");
    // The holder claims it again with new events: fine.
    let r2 = store
        .append_claiming(
            &a,
            ExpectedVersion::Exact(1),
            vec![json_event("Again", 2)],
            std::slice::from_ref(&k1),
        )
        .await
        .expect("a claim held by the same stream");
    assert_eq!(r2.next_version, 2);
    // Another stream: refused, nothing written, also for a batch of free and taken keys.
    let head = store.last_position().await.unwrap();
    let fresh = key("subscription");
    assert_taken(
        store
            .append_claiming(
                &b,
                ExpectedVersion::NoStream,
                vec![json_event("Stolen", 3)],
                &[fresh.clone(), k2.clone()],
            )
            .await,
        &k2,
    );
    assert_eq!(
        store.last_position().await.unwrap(),
        head,
        "positions unchanged"
    );
    assert_eq!(
        store.stream_version(&b).await.unwrap(),
        0,
        "nothing written to b"
    );
    assert_eq!(store.stream_version(&a).await.unwrap(), 2);
    assert_eq!(read_everything(store, start).await.len(), 2);
    // The free key of the refused append was not kept: b can claim it now.
    store
        .append_claiming(
            &b,
            ExpectedVersion::NoStream,
            vec![json_event("Own", 4)],
            std::slice::from_ref(&fresh),
        )
        .await
        .expect("the free key of a refused append stays free");
    assert_taken(
        store
            .append_claiming(
                &a,
                ExpectedVersion::Exact(2),
                vec![json_event("Late", 5)],
                std::slice::from_ref(&fresh),
            )
            .await,
        &fresh,
    );
    // A plain append never looks at claims.
    store
        .append(&b, ExpectedVersion::Exact(1), vec![json_event("Plain", 6)])
        .await
        .expect("append without claims");
    // An empty key is malformed.
    assert!(matches!(
        store
            .append_claiming(
                &a,
                ExpectedVersion::Any,
                vec![json_event("Bad", 7)],
                &[String::new()]
            )
            .await,
        Err(StoreError::InvalidAppend(_))
    ));
}

/// 32 tasks, each on its own stream, claim one key at once (the SQLite writer gets them
/// in a few group commits): exactly one wins; the losers wrote nothing and their
/// batch-mates that claimed other keys were not failed by them.
pub async fn claims_raced_by_many_streams<S: EventStore + Clone>(store: &S, caps: Capabilities) {
    if !caps.claims {
        return;
    }
    const TASKS: usize = 32;
    let contested = Arc::new(key("subscription"));
    let start = store.last_position().await.expect("last_position");
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let (store, contested, barrier) = (store.clone(), contested.clone(), barrier.clone());
        handles.push(tokio::spawn(async move {
            let s = stream_name("claim-race");
            let own = key("order");
            barrier.wait().await;
            let won = match store
                .append_claiming(
                    &s,
                    ExpectedVersion::NoStream,
                    vec![json_event("Race", t as u64)],
                    &[contested.to_string()],
                )
                .await
            {
                Ok(_) => true,
                Err(e) => {
                    assert_taken(Err(e), &contested);
                    assert_eq!(
                        store.stream_version(&s).await.unwrap(),
                        0,
                        "a loser wrote nothing"
                    );
                    false
                }
            };
            // Everyone also claims a key of its own: all succeed, winners and losers.
            let expected = if won {
                ExpectedVersion::Exact(1)
            } else {
                ExpectedVersion::NoStream
            };
            store
                .append_claiming(&s, expected, vec![json_event("Own", t as u64)], &[own])
                .await
                .expect("an uncontested claim");
            won
        }));
    }
    let winners = join_tasks("racing claimers", handles)
        .await
        .into_iter()
        .filter(|won| *won)
        .count();
    assert_eq!(winners, 1, "exactly one stream may claim the key");
    let written = read_everything(store, start).await;
    assert_eq!(
        written.len(),
        TASKS + 1,
        "one contested event, one own claim each"
    );
    assert_positions(&written, start, caps, "after the race");
}
