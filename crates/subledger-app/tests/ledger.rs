//! The command path against real stores (SQLite on disk, and memory): idempotency
//! across restarts and concurrency (GEN-5), conflicts between two ledgers on one
//! store, time-driven work run twice (REN-7), dry runs, snapshots, keys (KEY-1).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use subledger_app::{
    Clock, CommandError, CommandRequest, Ledger, LedgerConfig, MemoryKeyVault, SimulatedClock,
    SqliteKeyVault,
};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::{Catalog, Command, invariants};
use subledger_store::{EventStore, MemoryStore, SqliteConfig, SqliteStore};
use uuid::Uuid;

const PARTNER: Uuid = Uuid::from_u128(0xA);
const CUSTOMER: Uuid = Uuid::from_u128(0xC);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn admin() -> Actor {
    Actor::partner("alice@partner.example", PARTNER, &[Role::AdminAgent])
}

fn cmd(v: serde_json::Value) -> Command {
    serde_json::from_value(v).expect("a valid command")
}

fn req(command_id: u128, command: Command) -> CommandRequest {
    CommandRequest {
        command_id: Uuid::from_u128(command_id),
        command,
        actor: admin(),
        expected_version: None,
        dry_run: false,
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    clock: Arc<SimulatedClock>,
}

impl Rig {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        Rig {
            _dir: dir,
            path,
            clock: Arc::new(SimulatedClock::new(at("2026-01-10T09:00:00Z"))),
        }
    }

    fn store(&self) -> Arc<dyn EventStore> {
        Arc::new(SqliteStore::open_with(SqliteConfig::new(self.path.join("events.db"))).unwrap())
    }

    async fn ledger_on(&self, store: Arc<dyn EventStore>, config: LedgerConfig) -> Arc<Ledger> {
        let keys = Arc::new(SqliteKeyVault::open(&self.path.join("keys.db")).unwrap());
        Ledger::open(
            store,
            Arc::new(Catalog::default_catalog()),
            self.clock.clone(),
            keys,
            config,
        )
        .await
        .unwrap()
    }

    async fn ledger(&self) -> Arc<Ledger> {
        self.ledger_on(self.store(), LedgerConfig::default()).await
    }
}

fn create_customer() -> Command {
    cmd(
        json!({"type": "CreateCustomer", "customer_id": CUSTOMER, "company_name": "Fabrikam",
               "domain": "fabrikam.example", "country": "NL", "segment": "commercial"}),
    )
}

fn purchase(product: &str, quantity: u32) -> Command {
    cmd(json!({"type": "Purchase", "customer_id": CUSTOMER,
               "items": [{"product_id": product, "quantity": quantity, "term": "P1Y", "billing": "monthly"}]}))
}

async fn bought(ledger: &Ledger, id: u128, product: &str, quantity: u32) -> Uuid {
    let r = ledger
        .execute(req(id, purchase(product, quantity)))
        .await
        .unwrap();
    r.subscription_ids[0]
}

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
    let events = a.customer_events(CUSTOMER).await.unwrap();
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
    let events = b.customer_events(CUSTOMER).await.unwrap();
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
async fn key_1_the_key_is_in_the_response_and_nowhere_in_the_log() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = ledger
        .execute(req(2, cmd(json!({"type": "Purchase", "customer_id": CUSTOMER, "items": [
            {"product_id": "windows-server-2022-standard", "quantity": 2, "term": "P1Y", "billing": "annual"}]}))))
        .await
        .unwrap()
        .subscription_ids[0];
    let reveal = cmd(json!({"type": "RevealKey", "subscription_id": sub, "version": "2022"}));
    let first = ledger.execute(req(3, reveal.clone())).await.unwrap();
    let key = first.key.clone().expect("a key");
    assert_eq!(key.len(), 29);
    let again = ledger.execute(req(3, reveal)).await.unwrap();
    assert_eq!(
        serde_json::to_vec(&first).unwrap(),
        serde_json::to_vec(&again).unwrap()
    );
    let all = ledger.store().read_all(0, 1000).await.unwrap();
    for r in &all {
        assert!(
            !String::from_utf8_lossy(&r.data).contains(&key),
            "key in event data"
        );
        assert!(
            !String::from_utf8_lossy(&r.metadata).contains(&key),
            "key in metadata"
        );
    }
    let events: String = first
        .events
        .iter()
        .map(|e| e.data.get().to_owned())
        .collect();
    assert!(events.contains("sha256:") && !events.contains(&key));
}

#[tokio::test]
async fn key_1_a_refused_reveal_issues_no_key_and_an_accepted_one_records_the_fingerprint_of_the_key_shown()
 {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = ledger
        .execute(req(2, cmd(json!({"type": "Purchase", "customer_id": CUSTOMER, "items": [
            {"product_id": "windows-server-2022-standard", "quantity": 2, "term": "P1Y", "billing": "annual"}]}))))
        .await
        .unwrap()
        .subscription_ids[0];
    let issued = || {
        let vault = rusqlite::Connection::open(rig.path.join("keys.db")).unwrap();
        vault
            .query_row("SELECT count(*) FROM software_keys", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap()
    };
    let kms = cmd(json!({"type": "RevealKey", "subscription_id": sub, "key_type": "KMS"}));
    assert!(matches!(
        ledger.execute(req(3, kms)).await,
        Err(CommandError::Rejected(r)) if r.code == "KmsNotAllowed"
    ));
    let mut dry = req(4, cmd(json!({"type": "RevealKey", "subscription_id": sub})));
    dry.dry_run = true;
    assert_eq!(ledger.execute(dry).await.unwrap().key, None);
    assert_eq!(issued(), 0, "no key for a refused reveal or a dry run");

    let reveal = ledger
        .execute(req(
            5,
            cmd(json!({"type": "RevealKey", "subscription_id": sub})),
        ))
        .await
        .unwrap();
    assert_eq!(issued(), 1);
    let key = reveal.key.clone().expect("a key");
    let recorded: serde_json::Value = serde_json::from_str(reveal.events[0].data.get()).unwrap();
    assert_eq!(
        recorded["key_fingerprint"],
        subledger_app::keys::fingerprint(&key)
    );
    let again = ledger
        .execute(req(
            6,
            cmd(json!({"type": "RevealKey", "subscription_id": sub})),
        ))
        .await
        .unwrap();
    assert_eq!(again.key, Some(key), "one key per subscription");
    assert_eq!(issued(), 1);
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
