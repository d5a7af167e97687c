//! The command path against real stores (SQLite on disk, and memory): idempotency
//! across restarts and concurrency (GEN-5), conflicts between two ledgers on one
//! store, time-driven work run twice (REN-7), dry runs, snapshots.

mod support;

use std::sync::Arc;

use serde_json::json;
use subledger_app::{Clock, CommandError, Ledger, LedgerConfig, MemoryKeyVault, SimulatedClock};
use subledger_domain::{Catalog, invariants};
use subledger_store::{EventStore, MemoryStore};
use uuid::Uuid;

use support::{CUSTOMER, Rig, at, bought, cmd, create_customer, customer_events, purchase, req};

#[tokio::test]
async fn gen_5_a_repeated_command_returns_the_first_body_byte_for_byte_even_after_a_restart() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let first = ledger
        .execute(req(2, purchase("m365-e3", 10)))
        .await
        .unwrap();
    let first_body = serde_json::to_vec(&first).unwrap();
    assert!(first.order_id.is_some());
    assert_eq!(
        first.version, 5,
        "CustomerCreated, RelationshipEstablished, OrderPlaced, SubscriptionCreated, Charged"
    );
    let again = ledger
        .execute(req(2, purchase("m365-e3", 10)))
        .await
        .unwrap();
    assert_eq!(serde_json::to_vec(&again).unwrap(), first_body);
    let head = ledger.store().last_position().await.unwrap();
    drop(ledger);

    // A new process over the same files.
    let ledger = rig.ledger().await;
    let after_restart = ledger
        .execute(req(2, purchase("m365-e3", 10)))
        .await
        .unwrap();
    assert_eq!(serde_json::to_vec(&after_restart).unwrap(), first_body);
    assert_eq!(
        ledger.store().last_position().await.unwrap(),
        head,
        "nothing written again"
    );

    // The same id with another payload is refused.
    match ledger.execute(req(2, purchase("m365-e3", 11))).await {
        Err(CommandError::IdempotencyKeyReused { command_id }) => {
            assert_eq!(command_id, Uuid::from_u128(2))
        }
        other => panic!("expected IdempotencyKeyReused, got {other:?}"),
    }
}

#[tokio::test]
async fn gen_5_twenty_identical_requests_at_once_write_once() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let head = ledger.store().last_position().await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let l = ledger.clone();
            tokio::spawn(async move { l.execute(req(7, purchase("m365-e5", 3))).await })
        })
        .collect();
    let mut bodies = Vec::new();
    for t in tasks {
        bodies.push(serde_json::to_vec(&t.await.unwrap().unwrap()).unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        ledger.store().last_position().await.unwrap(),
        head + 3,
        "one order: 3 events"
    );
}

#[tokio::test]
async fn gen_6_a_refusal_writes_nothing_and_is_repeated_as_it_was() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = bought(&ledger, 2, "m365-e3", 10).await;
    rig.clock.set(at("2026-01-20T09:00:00Z")).unwrap();
    let head = ledger.store().last_position().await.unwrap();
    let reduce = cmd(json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 3}));
    let first = ledger.execute(req(3, reduce.clone())).await.unwrap_err();
    let CommandError::Rejected(r) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(
        (r.code.as_str(), r.rule.as_str()),
        ("SeatReductionWindowClosed", "SEAT-2")
    );
    assert_eq!(ledger.store().last_position().await.unwrap(), head);
    let again = ledger.execute(req(3, reduce)).await.unwrap_err();
    assert_eq!(format!("{first:?}"), format!("{again:?}"));
}

#[tokio::test]
async fn expected_version_mismatch_is_a_conflict_not_a_retry() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = bought(&ledger, 2, "m365-e3", 10).await;
    let mut r = req(
        3,
        cmd(json!({"type": "AddSeats", "subscription_id": sub, "seats": 1})),
    );
    r.expected_version = Some(2);
    match ledger.execute(r.clone()).await {
        Err(CommandError::VersionConflict {
            expected: 2,
            actual: 5,
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut r = req(
        4,
        cmd(json!({"type": "AddSeats", "subscription_id": sub, "seats": 1})),
    );
    r.expected_version = Some(5);
    assert_eq!(ledger.execute(r).await.unwrap().version, 7);
}

#[tokio::test]
async fn a_dry_run_returns_the_events_and_writes_nothing() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let head = ledger.store().last_position().await.unwrap();
    let mut r = req(2, purchase("m365-e3", 10));
    r.dry_run = true;
    let out = ledger.execute(r).await.unwrap();
    assert!(out.dry_run && out.position.is_none());
    let types: Vec<&str> = out.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["OrderPlaced", "SubscriptionCreated", "Charged"]);
    assert_eq!(ledger.store().last_position().await.unwrap(), head);
    // The same command id can still be used for real afterwards.
    assert_eq!(
        ledger
            .execute(req(2, purchase("m365-e3", 10)))
            .await
            .unwrap()
            .version,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pur_7_two_ledgers_on_one_store_never_oversell_copilot() {
    // Two service instances on one SQLite file: concurrent Copilot purchases
    // against 50 base seats must never exceed them (conflicts reload and decide again).
    let rig = Rig::new();
    let store = rig.store();
    let a = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    a.execute(req(1, create_customer())).await.unwrap();
    bought(&a, 2, "m365-e3", 50).await;
    let b = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    let mut tasks = Vec::new();
    for i in 0..40u128 {
        let l = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            l.execute(req(100 + i, purchase("copilot-m365", 3))).await
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(CommandError::Rejected(r)) => assert_eq!(r.code, "AddonExceedsBase"),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(accepted, 16, "16 × 3 = 48 ≤ 50 < 17 × 3");
    let fresh = rig.ledger_on(store, LedgerConfig::default()).await;
    let (state, _) = fresh.customer_state(CUSTOMER).await.unwrap();
    assert!(invariants::check(&state).is_empty());
    assert!(invariants::addon_limits(&state, fresh.catalog()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ren_7_time_driven_work_run_by_two_ledgers_is_written_once() {
    let rig = Rig::new();
    let store = rig.store();
    let a = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    a.execute(req(1, create_customer())).await.unwrap();
    for i in 0..5 {
        bought(&a, 10 + i, "m365-e3", 5).await;
    }
    let b = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    let to = at("2027-03-01T00:00:00Z");
    rig.clock.set(to).unwrap();
    let (ra, rb) = tokio::join!(a.run_due_work(to), b.run_due_work(to));
    let written = ra.unwrap() + rb.unwrap();
    // Per subscription: 11 monthly charges, a renewal and its charge, one more monthly charge.
    let events = customer_events(a.store().as_ref(), CUSTOMER).await;
    let renewals = events
        .iter()
        .filter(|(_, e)| e.data.type_name() == "SubscriptionRenewed")
        .count();
    assert_eq!(renewals, 5);
    let time_events = events
        .iter()
        .filter(|(_, e)| e.command_id.is_none())
        .count();
    assert_eq!(time_events, 5 * 14);
    assert!(
        written >= time_events,
        "each ledger counts what it appended or repeated"
    );
    let (state, _) = b.customer_state(CUSTOMER).await.unwrap();
    assert!(invariants::check(&state).is_empty());
    assert_eq!(
        subledger_domain::time::next_due(&state).map(|(t, _)| t > to),
        Some(true)
    );
}

#[tokio::test]
async fn ren_7_due_work_on_a_stale_cache_reloads_after_the_conflict_and_keeps_nothing_it_did_not_write()
 {
    let rig = Rig::new();
    let store = rig.store();
    let a = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    a.execute(req(1, create_customer())).await.unwrap();
    for i in 0..3 {
        bought(&a, 10 + i, "m365-e3", 5).await;
    }
    // `b` caches the customer now; `a` then writes what `b` has not seen.
    let b = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    bought(&a, 20, "m365-business-basic", 7).await;
    let to = at("2027-03-01T00:00:00Z");
    rig.clock.set(to).unwrap();
    // `b` decides the due work on its stale state (folding it in as it goes); its
    // append conflicts, so that state must be dropped and the stream reloaded.
    b.run_due_work(to).await.unwrap();
    let events = customer_events(b.store().as_ref(), CUSTOMER).await;
    let renewals = |product: &str| {
        events
            .iter()
            .filter(|(_, e)| {
                matches!(&e.data, subledger_domain::EventData::SubscriptionRenewed(r) if r.product_id == product)
            })
            .count()
    };
    assert_eq!(renewals("m365-e3"), 3);
    assert!(
        renewals("m365-business-basic") >= 1,
        "the subscription b had not seen renews too"
    );
    let (cached, version) = b.customer_state(CUSTOMER).await.unwrap();
    let fresh = rig
        .ledger_on(
            store,
            LedgerConfig {
                cache_capacity: 0,
                ..LedgerConfig::default()
            },
        )
        .await;
    let (loaded, loaded_version) = fresh.customer_state(CUSTOMER).await.unwrap();
    assert_eq!(version, loaded_version);
    assert_eq!(
        serde_json::to_value(&cached).unwrap(),
        serde_json::to_value(&loaded).unwrap(),
        "the cache holds exactly what the stream holds"
    );
    assert!(invariants::check(&cached).is_empty());
}

#[tokio::test]
async fn ren_7_advancing_the_simulated_clock_runs_the_due_work_before_answering() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = bought(&ledger, 2, "m365-e3", 5).await;
    ledger
        .execute(req(
            3,
            cmd(json!({"type": "SetAutoRenew", "subscription_id": sub, "enabled": false})),
        ))
        .await
        .unwrap();
    let n = ledger
        .advance_clock(at("2027-01-10T00:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 12, "11 monthly charges and the expiry");
    let (state, _) = ledger.customer_state(CUSTOMER).await.unwrap();
    assert_eq!(
        state.subscriptions[&sub].status,
        subledger_domain::Status::Expired
    );
    assert!(
        ledger
            .advance_clock(at("2026-06-01T00:00:00Z"))
            .await
            .unwrap()
            .is_err(),
        "never back"
    );
}

#[tokio::test]
async fn snapshots_are_written_and_a_new_process_resumes_from_them() {
    let rig = Rig::new();
    let store = rig.store();
    let config = LedgerConfig {
        snapshot_every: 10,
        ..LedgerConfig::default()
    };
    let ledger = rig.ledger_on(store.clone(), config.clone()).await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = bought(&ledger, 2, "m365-e3", 5).await;
    for i in 0..20 {
        ledger
            .execute(req(
                10 + i,
                cmd(json!({"type": "AddSeats", "subscription_id": sub, "seats": 1})),
            ))
            .await
            .unwrap();
    }
    let snap = store
        .load_snapshot(
            &format!("customer-{CUSTOMER}"),
            subledger_domain::STATE_SCHEMA_VERSION,
        )
        .await
        .unwrap();
    assert!(
        snap.is_some_and(|s| s.version >= 40),
        "a snapshot near the head"
    );
    let (expected, version) = ledger.customer_state(CUSTOMER).await.unwrap();
    // A ledger whose cache holds nothing loads snapshot + tail and agrees.
    let cold = rig
        .ledger_on(
            store,
            LedgerConfig {
                cache_capacity: 0,
                ..config
            },
        )
        .await;
    let (state, v) = cold.customer_state(CUSTOMER).await.unwrap();
    assert_eq!((state, v), (expected, version));
}

#[tokio::test]
async fn the_memory_store_behaves_the_same_for_idempotency() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryStore::new());
    let clock = Arc::new(SimulatedClock::new(at("2026-01-10T09:00:00Z")));
    let ledger = Ledger::open(
        store,
        Arc::new(Catalog::default_catalog()),
        clock.clone(),
        Arc::new(MemoryKeyVault::default()),
        LedgerConfig::default(),
    )
    .await
    .unwrap();
    ledger.execute(req(1, create_customer())).await.unwrap();
    let a = serde_json::to_vec(
        &ledger
            .execute(req(2, purchase("m365-e3", 1)))
            .await
            .unwrap(),
    )
    .unwrap();
    let b = serde_json::to_vec(
        &ledger
            .execute(req(2, purchase("m365-e3", 1)))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(clock.now(), at("2026-01-10T09:00:00Z"));
}
