//! PUR-13 across the ledger: a subscription or order id is used once, whichever
//! customer or partner asks; the refusal (409 IdAlreadyUsed) says nothing of the
//! holder (GEN-2); it holds under concurrency, across two ledgers on one store,
//! and (per process) on a store that cannot claim ids.

mod support;

use std::sync::Arc;

use serde_json::json;
use subledger_app::{CommandError, CommandRequest, Ledger, LedgerConfig};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::{Command, Rejection, RejectionKind};
use subledger_store::{
    AppendResult, EventStore, EventStream, ExpectedVersion, MemoryStore, NewEvent, RecordedEvent,
    Snapshot,
};
use uuid::Uuid;

use support::{PARTNER, Rig, admin, cmd};

const PARTNER_B: Uuid = Uuid::from_u128(0xB);
const TAKEN: Uuid = Uuid::from_u128(0x5AB_0001);

fn admin_b() -> Actor {
    Actor::partner("bob@other.example", PARTNER_B, &[Role::AdminAgent])
}

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0xC000 + n)
}

fn request(command_id: u128, actor: Actor, command: Command) -> CommandRequest {
    CommandRequest {
        command_id: Uuid::from_u128(command_id),
        command,
        actor,
        expected_version: None,
        dry_run: false,
    }
}

fn create(customer_id: Uuid) -> Command {
    cmd(
        json!({"type": "CreateCustomer", "customer_id": customer_id, "company_name": "Fabrikam",
               "domain": "fabrikam.example", "country": "NL", "segment": "commercial"}),
    )
}

fn purchase_with(customer_id: Uuid, subscription_id: Uuid, order_id: Option<Uuid>) -> Command {
    cmd(
        json!({"type": "Purchase", "customer_id": customer_id, "order_id": order_id,
               "items": [{"product_id": "m365-e3", "quantity": 5, "term": "P1Y", "billing": "monthly",
                          "subscription_id": subscription_id}]}),
    )
}

fn add_seats(subscription_id: Uuid) -> Command {
    cmd(json!({"type": "AddSeats", "subscription_id": subscription_id, "seats": 2}))
}

#[track_caller]
fn id_already_used(result: Result<subledger_app::CommandResponse, CommandError>) -> Rejection {
    match result {
        Err(CommandError::Rejected(r)) => {
            assert_eq!(
                (r.code.as_str(), r.kind),
                ("IdAlreadyUsed", RejectionKind::Conflict)
            );
            assert_eq!(r.rule.as_str(), "PUR-13");
            r
        }
        other => panic!("expected IdAlreadyUsed, got {other:?}"),
    }
}

/// The refusal names the field and id, and nothing of who holds it.
#[track_caller]
fn reveals_nothing(r: &Rejection, field: &str, id: Uuid) {
    assert_eq!(r.details.get("field"), Some(&json!(field)));
    assert_eq!(r.details.get("id"), Some(&json!(id.to_string())));
    assert_eq!(r.details.len(), 2, "{:?}", r.details);
    let text = format!("{} {:?}", r.message, r.details);
    for holder in [customer(1), PARTNER, PARTNER_B] {
        assert!(!text.contains(&holder.to_string()), "{text} names {holder}");
    }
}

async fn quantity(ledger: &Ledger, customer: Uuid, subscription: Uuid) -> Option<u32> {
    let (state, _) = ledger.customer_state(customer).await.unwrap();
    state.subscriptions.get(&subscription).map(|s| s.quantity)
}

/// Customers 1 and 2 of partner A; customer 1 holds subscription `TAKEN`.
async fn two_customers_and_a_taken_id(ledger: &Ledger) {
    for n in [1, 2] {
        ledger
            .execute(request(n, admin(), create(customer(n))))
            .await
            .unwrap();
    }
    ledger
        .execute(request(
            10,
            admin(),
            purchase_with(customer(1), TAKEN, None),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn pur_13_a_subscription_id_of_another_customer_is_refused_and_seats_go_to_the_original() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    two_customers_and_a_taken_id(&ledger).await;
    let head = ledger.store().last_position().await.unwrap();
    // Same partner, other customer; then the same command id again (remembered).
    let first = id_already_used(
        ledger
            .execute(request(
                11,
                admin(),
                purchase_with(customer(2), TAKEN, None),
            ))
            .await,
    );
    reveals_nothing(&first, "items[0].subscription_id", TAKEN);
    let again = id_already_used(
        ledger
            .execute(request(
                11,
                admin(),
                purchase_with(customer(2), TAKEN, None),
            ))
            .await,
    );
    assert_eq!(first, again);
    // The same customer again: the same answer.
    let own = id_already_used(
        ledger
            .execute(request(
                12,
                admin(),
                purchase_with(customer(1), TAKEN, None),
            ))
            .await,
    );
    assert_eq!(own.message, first.message);
    assert_eq!(own.details, first.details);
    assert_eq!(
        ledger.store().last_position().await.unwrap(),
        head,
        "nothing written"
    );
    // AddSeats still reaches the original.
    ledger
        .execute(request(13, admin(), add_seats(TAKEN)))
        .await
        .unwrap();
    assert_eq!(quantity(&ledger, customer(1), TAKEN).await, Some(7));
    assert_eq!(quantity(&ledger, customer(2), TAKEN).await, None);
}

#[tokio::test]
async fn pur_13_another_partner_cannot_take_an_id_and_learns_nothing_of_its_holder() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger
        .execute(request(1, admin(), create(customer(1))))
        .await
        .unwrap();
    ledger
        .execute(request(2, admin_b(), create(customer(2))))
        .await
        .unwrap();
    let order = Uuid::from_u128(0x0DE);
    ledger
        .execute(request(
            10,
            admin(),
            purchase_with(customer(1), TAKEN, Some(order)),
        ))
        .await
        .unwrap();
    let r = id_already_used(
        ledger
            .execute(request(
                20,
                admin_b(),
                purchase_with(customer(2), TAKEN, None),
            ))
            .await,
    );
    reveals_nothing(&r, "items[0].subscription_id", TAKEN);
    let fresh = Uuid::from_u128(0x5AB_0002);
    let r = id_already_used(
        ledger
            .execute(request(
                21,
                admin_b(),
                purchase_with(customer(2), fresh, Some(order)),
            ))
            .await,
    );
    reveals_nothing(&r, "order_id", order);
    // B's own view of the id: still not B's (404, never B's phantom), A's unchanged.
    let b_add = ledger
        .execute(request(22, admin_b(), add_seats(TAKEN)))
        .await;
    assert!(
        matches!(&b_add, Err(CommandError::Rejected(r)) if r.kind == RejectionKind::NotFound),
        "{b_add:?}"
    );
    assert_eq!(quantity(&ledger, customer(1), TAKEN).await, Some(5));
    // B buys with its own ids fine.
    ledger
        .execute(request(
            23,
            admin_b(),
            purchase_with(customer(2), fresh, None),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn pur_1_a_customer_id_another_partner_created_is_refused_without_naming_the_partner() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger
        .execute(request(1, admin(), create(customer(1))))
        .await
        .unwrap();
    let by_b = ledger
        .execute(request(2, admin_b(), create(customer(1))))
        .await;
    let by_a = ledger
        .execute(request(3, admin(), create(customer(1))))
        .await;
    let (Err(CommandError::Rejected(b)), Err(CommandError::Rejected(a))) = (by_b, by_a) else {
        panic!("both refused")
    };
    assert_eq!(b.code.as_str(), "CustomerExists");
    assert_eq!(
        (&b.message, &b.details),
        (&a.message, &a.details),
        "the same answer"
    );
    let text = format!("{} {:?}", b.message, b.details);
    assert!(!text.contains(&PARTNER.to_string()), "{text}");
}

#[tokio::test]
async fn pur_13_purchases_racing_for_one_id_in_many_customers_exactly_one_wins() {
    const N: u128 = 16;
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    for n in 1..=N {
        ledger
            .execute(request(n, admin(), create(customer(n))))
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (1..=N)
        .map(|n| {
            let l = ledger.clone();
            tokio::spawn(async move {
                l.execute(request(
                    100 + n,
                    admin(),
                    purchase_with(customer(n), TAKEN, None),
                ))
                .await
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => winners += 1,
            refused => {
                id_already_used(refused);
            }
        }
    }
    assert_eq!(winners, 1);
    let mut holders = 0;
    for n in 1..=N {
        holders += usize::from(quantity(&ledger, customer(n), TAKEN).await.is_some());
    }
    assert_eq!(holders, 1, "one customer holds the subscription");
}

#[tokio::test]
async fn pur_13_two_ledgers_on_one_sqlite_store_racing_for_one_id_exactly_one_wins() {
    // Two service instances on one SQLite file (a second process cannot open the
    // file for writing: its lock file is taken; so the two share the store, as
    // nodes share a database). Neither directory knows the other's purchases.
    const N: u128 = 8;
    let rig = Rig::new();
    let store = rig.store();
    let a = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    for n in 1..=2 * N {
        a.execute(request(n, admin(), create(customer(n))))
            .await
            .unwrap();
    }
    let b = rig.ledger_on(store.clone(), LedgerConfig::default()).await;
    for round in 0..N {
        let id = Uuid::from_u128(0x5AB_1000 + round);
        let (c1, c2) = (customer(2 * round + 1), customer(2 * round + 2));
        let on_a = {
            let a = a.clone();
            tokio::spawn(async move {
                a.execute(request(
                    1000 + 2 * round,
                    admin(),
                    purchase_with(c1, id, None),
                ))
                .await
            })
        };
        let on_b = {
            let b = b.clone();
            tokio::spawn(async move {
                b.execute(request(
                    1001 + 2 * round,
                    admin(),
                    purchase_with(c2, id, None),
                ))
                .await
            })
        };
        let results = [on_a.await.unwrap(), on_b.await.unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        for r in results.into_iter().filter(Result::is_err) {
            id_already_used(r);
        }
    }
}

/// A store that cannot claim ids (like EventStoreDB): every call but the claims
/// forwarded to a memory store.
struct NoClaims(MemoryStore);

#[async_trait::async_trait]
impl EventStore for NoClaims {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> subledger_store::Result<AppendResult> {
        self.0.append(stream, expected, events).await
    }
    async fn read_stream(&self, s: &str, from: u64) -> subledger_store::Result<Vec<RecordedEvent>> {
        self.0.read_stream(s, from).await
    }
    async fn read_all(
        &self,
        from: u64,
        limit: usize,
    ) -> subledger_store::Result<Vec<RecordedEvent>> {
        self.0.read_all(from, limit).await
    }
    async fn subscribe_all(&self, from: u64) -> subledger_store::Result<EventStream> {
        self.0.subscribe_all(from).await
    }
    async fn last_position(&self) -> subledger_store::Result<u64> {
        self.0.last_position().await
    }
    async fn stream_version(&self, s: &str) -> subledger_store::Result<u64> {
        self.0.stream_version(s).await
    }
    async fn save_snapshot(
        &self,
        s: &str,
        version: u64,
        schema_version: u32,
        data: bytes::Bytes,
    ) -> subledger_store::Result<()> {
        self.0.save_snapshot(s, version, schema_version, data).await
    }
    async fn load_snapshot(&self, s: &str, v: u32) -> subledger_store::Result<Option<Snapshot>> {
        self.0.load_snapshot(s, v).await
    }
}

#[tokio::test]
async fn pur_13_without_store_claims_the_directory_still_refuses_a_reuse_in_process() {
    let rig = Rig::new();
    let ledger = rig
        .ledger_on(
            Arc::new(NoClaims(MemoryStore::new())),
            LedgerConfig::default(),
        )
        .await;
    two_customers_and_a_taken_id(&ledger).await;
    let r = id_already_used(
        ledger
            .execute(request(
                11,
                admin(),
                purchase_with(customer(2), TAKEN, None),
            ))
            .await,
    );
    reveals_nothing(&r, "items[0].subscription_id", TAKEN);
}
