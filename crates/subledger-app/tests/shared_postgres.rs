//! Two ledgers ("nodes") over two `PostgresStore`s on one schema, each with its
//! own cache, directory, follower and simulated clock, sharing the key vault and
//! the refusal memory in the database: what one node did, the other knows.
//!
//! Needs a server: run through `scripts/with-postgres.sh` (it sets
//! `SUBLEDGER_PG_URL` and `SUBLEDGER_PG_TESTS`). Without it every test here is
//! reported as *ignored* (not passed). Each test works in a schema of its own.

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use subledger_app::{
    CommandError, CommandRequest, Ledger, LedgerConfig, PgKeyVault, SharedStore, SimulatedClock,
};
use subledger_domain::{Catalog, Command, invariants};
use subledger_store::{EventStore, PostgresConfig, PostgresStore};
use uuid::Uuid;

use support::{CUSTOMER, at, bought, cmd, create_customer, customer_events, purchase, req};

const START: &str = "2026-01-10T09:00:00Z";

/// One node: its store (connections, writer, listener), its ledger and its clock.
struct Node {
    store: PostgresStore,
    ledger: Arc<Ledger>,
    clock: Arc<SimulatedClock>,
}

fn url() -> String {
    std::env::var("SUBLEDGER_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("SUBLEDGER_PG_URL is not set at run time: no PostgreSQL to test against")
}

fn fresh_schema() -> PostgresConfig {
    PostgresConfig::new(url()).schema(format!("t_{}", Uuid::new_v4().simple()))
}

impl Node {
    async fn open(config: &PostgresConfig) -> Node {
        let store = PostgresStore::connect_with(config.clone()).await.unwrap();
        let clock = Arc::new(SimulatedClock::new(at(START)));
        let keys = Arc::new(PgKeyVault::open(store.pool().clone()).await.unwrap());
        let ledger = Ledger::open(
            Arc::new(store.clone()),
            Arc::new(Catalog::default_catalog()),
            clock.clone(),
            keys,
            LedgerConfig {
                shared: Some(SharedStore::of(&store)),
                ..LedgerConfig::default()
            },
        )
        .await
        .unwrap();
        Node {
            store,
            ledger,
            clock,
        }
    }

    async fn execute(&self, request: CommandRequest) -> Result<Vec<u8>, CommandError> {
        self.ledger
            .execute(request)
            .await
            .map(|r| serde_json::to_vec(&r).unwrap())
    }

    fn set_clock(&self, to: DateTime<Utc>) {
        self.clock.set(to).unwrap();
    }

    /// Waits until this node's follower has read the log up to its head now.
    async fn caught_up(&self) {
        let head = self.store.last_position().await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), async {
            while self.ledger.followed_position() < Some(head) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the follower reaches the head");
    }
}

async fn two_nodes() -> (Node, Node) {
    let config = fresh_schema();
    (Node::open(&config).await, Node::open(&config).await)
}

/// A refusal as the API renders it (code, rule, message, details) or a conflict's
/// numbers: what a repeat must give byte for byte.
fn rendered(e: &CommandError) -> String {
    match e {
        CommandError::Rejected(r) => serde_json::to_string(r).unwrap(),
        CommandError::VersionConflict { expected, actual } => {
            format!("VersionConflict {expected} {actual}")
        }
        other => panic!("not a refusal: {other:?}"),
    }
}

fn add_seats(sub: Uuid, seats: u32) -> Command {
    cmd(json!({"type": "AddSeats", "subscription_id": sub, "seats": seats}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn gen_2_a_subscription_bought_on_one_node_is_found_on_the_other_right_after() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    for i in 0..10u128 {
        // Node 2 holds the customer's state from its last command: bought on node
        // 1, the subscription is new to node 2's directory and cache alike.
        let sub = bought(&one.ledger, 100 + i, "m365-e3", 5).await;
        let added = two.ledger.execute(req(200 + i, add_seats(sub, 2))).await;
        let added = added.unwrap_or_else(|e| panic!("round {i}: {e:?}"));
        let (state, version) = one.ledger.customer_state(CUSTOMER).await.unwrap();
        assert_eq!(added.version, version);
        assert_eq!(state.subscriptions[&sub].quantity, 7);
    }
    // An id no node holds is still not found (after the follower caught up).
    match two
        .ledger
        .execute(req(300, add_seats(Uuid::from_u128(0xdead), 1)))
        .await
    {
        Err(CommandError::Rejected(r)) => assert_eq!(r.code.as_str(), "NotFound"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn pur_7_an_addon_on_one_node_sees_the_base_bought_on_the_other_just_before() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    // Node 2 caches the customer without a base subscription.
    two.ledger.customer_state(CUSTOMER).await.unwrap();
    bought(&one.ledger, 2, "m365-e3", 100).await;
    // Addressed by customer (no directory lookup): a refusal from node 2's stale
    // cache would be kept for good; the stream says the base is there.
    let addon = two
        .ledger
        .execute(req(3, purchase("copilot-m365", 10)))
        .await;
    assert!(addon.is_ok(), "{addon:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn gen_5_refusal_repeated_on_another_node_is_identical() {
    let config = fresh_schema();
    let (one, two) = (Node::open(&config).await, Node::open(&config).await);
    one.execute(req(1, create_customer())).await.unwrap();
    let sub = bought(&one.ledger, 2, "m365-e3", 10).await;
    let later = at("2026-01-20T09:00:00Z");
    one.set_clock(later);
    two.set_clock(later);
    // A rule's refusal (SEAT-2, with its details), and a version conflict.
    let reduce = cmd(json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 3}));
    let refused = one.execute(req(3, reduce.clone())).await.unwrap_err();
    let CommandError::Rejected(r) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(r.rule.as_str(), "SEAT-2");
    assert!(!r.details.is_empty());
    let mut stale = req(4, add_seats(sub, 1));
    stale.expected_version = Some(1);
    let conflict = one.execute(stale.clone()).await.unwrap_err();
    assert!(matches!(conflict, CommandError::VersionConflict { .. }));

    // The stream moves on: decided again, the conflict's numbers would differ.
    one.execute(req(5, add_seats(sub, 1))).await.unwrap();
    let head = one.store.last_position().await.unwrap();
    let three = Node::open(&config).await;
    three.set_clock(later);
    for node in [&two, &three, &one] {
        let again = node.execute(req(3, reduce.clone())).await.unwrap_err();
        assert_eq!(rendered(&again), rendered(&refused));
        let again = node.execute(stale.clone()).await.unwrap_err();
        assert_eq!(rendered(&again), rendered(&conflict));
        // The same id for another command.
        assert!(matches!(
            node.execute(req(3, add_seats(sub, 2))).await,
            Err(CommandError::IdempotencyKeyReused { .. })
        ));
    }
    assert_eq!(
        one.store.last_position().await.unwrap(),
        head,
        "no repeat wrote"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn gen_5_a_command_accepted_by_one_node_and_refused_by_another_is_answered_as_accepted() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    let first = one.execute(req(2, purchase("m365-e3", 4))).await.unwrap();
    // As if node 2 had refused the same command while node 1 accepted it (two
    // states at once): its refusal is kept, but the log has the command.
    let client = one.store.pool().get().await.unwrap();
    client
        .execute(
            "INSERT INTO refusals (command_id, fingerprint, refusal) VALUES ($1, $2, $3::text::json)",
            &[
                &Uuid::from_u128(2),
                &purchase("m365-e3", 4).fingerprint(),
                &r#"{"version_conflict":{"expected":1,"actual":2}}"#,
            ],
        )
        .await
        .unwrap();
    for node in [&one, &two] {
        assert_eq!(
            node.execute(req(2, purchase("m365-e3", 4))).await.unwrap(),
            first
        );
    }
    // A command only refused is answered with the refusal kept.
    client
        .execute(
            "INSERT INTO refusals (command_id, fingerprint, refusal) VALUES ($1, $2, $3::text::json)",
            &[
                &Uuid::from_u128(9),
                &purchase("m365-e3", 4).fingerprint(),
                &r#"{"version_conflict":{"expected":1,"actual":2}}"#,
            ],
        )
        .await
        .unwrap();
    assert!(matches!(
        two.ledger.execute(req(9, purchase("m365-e3", 4))).await,
        Err(CommandError::VersionConflict {
            expected: 1,
            actual: 2
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn gen_5_one_command_sent_to_both_nodes_at_once_is_written_once_and_answered_alike() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    for i in 0..20u128 {
        let id = 100 + i;
        let head = one.store.last_position().await.unwrap();
        let (a, b) = tokio::join!(
            one.execute(req(id, purchase("m365-e5", 3))),
            two.execute(req(id, purchase("m365-e5", 3)))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b, "round {i}");
        // OrderPlaced, SubscriptionCreated, Charged: once.
        assert_eq!(one.store.last_position().await.unwrap(), head + 3);
    }
    let events = customer_events(&one.store, CUSTOMER).await;
    let created = events
        .iter()
        .filter(|(_, e)| e.data.type_name() == "SubscriptionCreated")
        .count();
    assert_eq!(created, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn key_1_reveals_on_both_nodes_show_one_key() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    let software = cmd(
        json!({"type": "Purchase", "customer_id": CUSTOMER, "items": [
        {"product_id": "windows-server-2022-standard", "quantity": 2, "term": "P1Y", "billing": "annual"}]}),
    );
    for i in 0..5u128 {
        let sub = one
            .ledger
            .execute(req(10 + i, software.clone()))
            .await
            .unwrap()
            .subscription_ids[0];
        let reveal = cmd(json!({"type": "RevealKey", "subscription_id": sub}));
        // Two first reveals at once, one per node: one key.
        let (a, b) = tokio::join!(
            one.ledger.execute(req(100 + i, reveal.clone())),
            two.ledger.execute(req(200 + i, reveal.clone()))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let key = a.key.clone().expect("a key");
        assert_eq!(b.key.as_deref(), Some(key.as_str()), "round {i}");
        // Repeated on the other node: the first response, key included.
        let again = two.ledger.execute(req(100 + i, reveal)).await.unwrap();
        assert_eq!(
            serde_json::to_vec(&again).unwrap(),
            serde_json::to_vec(&a).unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn ren_7_time_driven_work_run_on_both_nodes_is_written_once() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    for i in 0..5 {
        bought(&one.ledger, 10 + i, "m365-e3", 5).await;
    }
    let to = at("2027-03-01T00:00:00Z");
    one.set_clock(to);
    two.set_clock(to);
    // Node 2 never handled this customer: it knows of its due work from the log.
    two.caught_up().await;
    let (ra, rb) = tokio::join!(one.ledger.run_due_work(to), two.ledger.run_due_work(to));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    // Per subscription: 11 monthly charges, a renewal and its charge, one more monthly charge.
    let events = customer_events(&one.store, CUSTOMER).await;
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
    assert!(ra + rb >= time_events, "{ra} + {rb}");
    for node in [&one, &two] {
        let (state, _) = node.ledger.customer_state(CUSTOMER).await.unwrap();
        assert!(invariants::check(&state).is_empty());
        assert_eq!(
            subledger_domain::time::next_due(&state).map(|(t, _)| t > to),
            Some(true)
        );
    }
    // Nothing is due any more on either node.
    let (ra, rb) = tokio::join!(one.ledger.run_due_work(to), two.ledger.run_due_work(to));
    assert_eq!((ra.unwrap(), rb.unwrap()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn ren_7_due_work_found_through_the_log_then_run_by_a_stale_node_writes_nothing_more() {
    let (one, two) = two_nodes().await;
    one.execute(req(1, create_customer())).await.unwrap();
    for i in 0..3 {
        bought(&one.ledger, 10 + i, "m365-e3", 5).await;
    }
    let to = at("2026-03-15T00:00:00Z");
    one.set_clock(to);
    two.set_clock(to);
    two.caught_up().await;
    // Only node 2 runs it: it learned of the customer from the log alone.
    let written = two.ledger.run_due_work(to).await.unwrap();
    assert_eq!(written, 3 * 2, "two monthly charges per subscription");
    let head = one.store.last_position().await.unwrap();
    // Node 1 runs it late, its cache behind unless its follower told it: its
    // append is refused as a conflict or found to repeat node 2's (the same ids),
    // and nothing more is written, quietly.
    let late = one.ledger.run_due_work(to).await.unwrap();
    assert!(late == 0 || late == written, "{late}");
    assert_eq!(one.store.last_position().await.unwrap(), head);
    assert_eq!(one.ledger.run_due_work(to).await.unwrap(), 0);
}
