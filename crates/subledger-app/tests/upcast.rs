//! Schema evolution end to end: a customer's log whose `SubscriptionUpgraded`
//! records are at schema version 1 (field `seats`, before it was renamed
//! `seats_moved`) reads back as the same state and views as the log written
//! today, and the ledger keeps deciding on it.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::json;
use subledger_app::codec::customer_stream;
use subledger_app::{
    Clock, CommandRequest, CommandResponse, Ledger, LedgerConfig, MemoryKeyVault, SimulatedClock,
};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::view::SubscriptionView;
use subledger_domain::{Catalog, Command, EventData};
use subledger_store::{
    EventStore, ExpectedVersion, MemoryStore, NewEvent, RecordedEvent, SqliteConfig, SqliteStore,
};
use uuid::Uuid;

const PARTNER: Uuid = Uuid::from_u128(0xA);
const CUSTOMER: Uuid = Uuid::from_u128(0xC);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn cmd(v: serde_json::Value) -> Command {
    serde_json::from_value(v).expect("a valid command")
}

fn req(command_id: u128, command: Command) -> CommandRequest {
    CommandRequest {
        command_id: Uuid::from_u128(command_id),
        command,
        actor: Actor::partner("alice@partner.example", PARTNER, &[Role::AdminAgent]),
        expected_version: None,
        dry_run: false,
    }
}

async fn open(store: Arc<dyn EventStore>, clock: Arc<SimulatedClock>) -> Arc<Ledger> {
    Ledger::open(
        store,
        Arc::new(Catalog::default_catalog()),
        clock,
        Arc::new(MemoryKeyVault::default()),
        LedgerConfig::default(),
    )
    .await
    .unwrap()
}

async fn run(ledger: &Ledger, id: u128, command: serde_json::Value) -> CommandResponse {
    ledger.execute(req(id, cmd(command))).await.unwrap()
}

async fn buy(ledger: &Ledger, id: u128, product: &str, quantity: u32) -> Uuid {
    let r = run(
        ledger,
        id,
        json!({"type": "Purchase", "customer_id": CUSTOMER,
               "items": [{"product_id": product, "quantity": quantity, "term": "P1Y", "billing": "monthly"}]}),
    )
    .await;
    r.subscription_ids[0]
}

/// The record as a build before schema version 2 wrote it: `SubscriptionUpgraded`
/// at version 1 with `seats`; every other record, and every id and metadata, as is.
fn as_written_by_v1(r: &RecordedEvent) -> NewEvent {
    let mut schema_version = r.schema_version;
    let mut data = r.data.clone();
    if r.event_type == "SubscriptionUpgraded" {
        let mut payload: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
        let m = payload.as_object_mut().unwrap();
        let seats = m
            .remove("seats_moved")
            .expect("a v2 record has seats_moved");
        m.insert("seats".to_owned(), seats);
        data = Bytes::from(serde_json::to_vec(&payload).unwrap());
        schema_version = 1;
    }
    NewEvent::new(r.event_id, r.event_type.clone(), schema_version, data)
        .with_metadata(r.metadata.clone())
}

/// Every subscription's view, by id.
async fn views(ledger: &Ledger, now: DateTime<Utc>) -> BTreeMap<Uuid, SubscriptionView> {
    let (state, version) = ledger.customer_state(CUSTOMER).await.unwrap();
    state
        .subscriptions
        .values()
        .map(|s| (s.subscription_id, SubscriptionView::of(s, now, version)))
        .collect()
}

/// What a response says, without its global position (the stores differ there).
fn decided(r: &CommandResponse) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap();
    v.as_object_mut().unwrap().remove("position");
    v
}

#[tokio::test]
async fn a_log_with_v1_upgrade_records_reads_back_as_the_same_state_and_views_and_still_decides() {
    let clock = Arc::new(SimulatedClock::new(at("2026-01-10T09:00:00Z")));
    let original = open(Arc::new(MemoryStore::new()), clock.clone()).await;
    run(
        &original,
        1,
        json!({"type": "CreateCustomer", "customer_id": CUSTOMER, "company_name": "Fabrikam",
               "domain": "fabrikam.example", "country": "NL", "segment": "commercial"}),
    )
    .await;
    let standard = buy(&original, 2, "m365-business-standard", 10).await;
    let e3 = buy(&original, 3, "m365-e3", 5).await;
    let basic = buy(&original, 4, "m365-business-basic", 8).await;
    let premium = buy(&original, 5, "m365-business-premium", 2).await;
    original
        .advance_clock(at("2026-01-20T10:00:00Z"))
        .await
        .unwrap()
        .unwrap();

    // Partial, into the existing E3 subscription (UPG-5).
    run(
        &original,
        6,
        json!({"type": "Upgrade", "subscription_id": standard, "target_product_id": "m365-e3",
               "quantity": 4, "target_subscription_id": e3}),
    )
    .await;
    // Partial, into a new coterminous subscription (UPG-4).
    let to_new = run(
        &original,
        7,
        json!({"type": "Upgrade", "subscription_id": basic,
               "target_product_id": "m365-business-premium", "quantity": 3}),
    )
    .await;
    let new_premium = *to_new
        .subscription_ids
        .iter()
        .find(|id| **id != basic)
        .expect("the new subscription");
    // Full, in place (UPG-3).
    run(
        &original,
        8,
        json!({"type": "Upgrade", "subscription_id": premium, "target_product_id": "m365-e5",
               "quantity": 2}),
    )
    .await;
    // Past a monthly billing date, so time-driven records (no command) are in the log too.
    original
        .advance_clock(at("2026-02-15T10:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    let now = clock.now();

    let stream = customer_stream(CUSTOMER);
    let records = original.store().read_stream(&stream, 0).await.unwrap();
    let upgrades = records
        .iter()
        .filter(|r| r.event_type == "SubscriptionUpgraded")
        .count();
    assert_eq!(upgrades, 3);
    assert!(
        records.iter().any(|r| subledger_app::codec::decode(r)
            .unwrap()
            .1
            .command_id
            .is_none()),
        "time-driven work wrote records"
    );
    assert!(
        records
            .iter()
            .all(|r| r.event_type != "SubscriptionUpgraded" || r.schema_version == 2),
        "written today at version 2"
    );

    // The same log, as a build before the rename would have left it on disk.
    let dir = tempfile::tempdir().unwrap();
    let v1_store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open_with(SqliteConfig::new(dir.path().join("events.db"))).unwrap());
    v1_store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            records.iter().map(as_written_by_v1).collect(),
        )
        .await
        .unwrap();
    let stored = v1_store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(stored.len(), records.len());
    for r in stored
        .iter()
        .filter(|r| r.event_type == "SubscriptionUpgraded")
    {
        assert_eq!(r.schema_version, 1);
        let payload: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
        assert!(payload.get("seats").is_some() && payload.get("seats_moved").is_none());
    }

    // A full replay of each log gives the same read models, file for file.
    let exported = |store: Arc<dyn EventStore>, out: std::path::PathBuf| async move {
        let (model, _) = subledger_app::replay(store, Default::default(), |_, _| {})
            .await
            .unwrap();
        let at = model.last_at.unwrap();
        let files = subledger_projections::export::write_all(
            &out,
            &model,
            at,
            subledger_projections::export::Format::Csv,
        )
        .unwrap();
        files
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect::<Vec<_>>()
    };
    let from_v2 = exported(original.store().clone(), dir.path().join("v2")).await;
    let from_v1 = exported(v1_store.clone(), dir.path().join("v1")).await;
    assert_eq!(from_v1.len(), 5);
    assert!(from_v1 == from_v2, "the v1 log replays into other views");

    let upcast = open(v1_store, clock.clone()).await;
    let (state, version) = original.customer_state(CUSTOMER).await.unwrap();
    let (v1_state, v1_version) = upcast.customer_state(CUSTOMER).await.unwrap();
    assert_eq!(v1_version, version);
    assert_eq!(v1_state, state);
    assert_eq!(views(&upcast, now).await, views(&original, now).await);
    // The events themselves, read through the store rather than the cache.
    assert_eq!(
        support::customer_events(upcast.store().as_ref(), CUSTOMER).await,
        support::customer_events(original.store().as_ref(), CUSTOMER).await
    );
    let moved: Vec<u32> = support::customer_events(upcast.store().as_ref(), CUSTOMER)
        .await
        .into_iter()
        .filter_map(|(_, e)| match e.data {
            EventData::SubscriptionUpgraded { seats_moved, .. } => Some(seats_moved),
            _ => None,
        })
        .collect();
    assert_eq!(moved, [4, 3, 2]);

    // The quantities the upgrades left, as the v1 log tells them.
    let quantity = |id: Uuid| v1_state.subscriptions[&id].quantity;
    assert_eq!(
        (quantity(standard), quantity(e3), quantity(basic)),
        (6, 9, 5)
    );
    assert_eq!(quantity(new_premium), 3);
    assert_eq!(v1_state.subscriptions[&premium].product_id, "m365-e5");

    // A new command on the v1 log decides as it does on today's log.
    let add = json!({"type": "AddSeats", "subscription_id": e3, "seats": 2});
    let on_v1 = run(&upcast, 9, add.clone()).await;
    let on_original = run(&original, 9, add).await;
    assert_eq!(decided(&on_v1), decided(&on_original));
    let (after, _) = upcast.customer_state(CUSTOMER).await.unwrap();
    assert_eq!(after.subscriptions[&e3].quantity, 11);
    assert_eq!(after, original.customer_state(CUSTOMER).await.unwrap().0);
}
