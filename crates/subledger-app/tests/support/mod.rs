//! What the ledger tests share: a ledger over a SQLite log and key vault in a
//! temporary directory, with a simulated clock, and a customer's first commands.
#![allow(dead_code)] // each test file uses its own share of these

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use subledger_app::{CommandRequest, Ledger, LedgerConfig, SimulatedClock, SqliteKeyVault};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::{Catalog, Command};
use subledger_store::{EventStore, SqliteConfig, SqliteStore};
use uuid::Uuid;

pub const PARTNER: Uuid = Uuid::from_u128(0xA);
pub const CUSTOMER: Uuid = Uuid::from_u128(0xC);

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn admin() -> Actor {
    Actor::partner("alice@partner.example", PARTNER, &[Role::AdminAgent])
}

pub fn cmd(v: serde_json::Value) -> Command {
    serde_json::from_value(v).expect("a valid command")
}

pub fn req(command_id: u128, command: Command) -> CommandRequest {
    CommandRequest {
        command_id: Uuid::from_u128(command_id),
        command,
        actor: admin(),
        expected_version: None,
        dry_run: false,
    }
}

pub struct Rig {
    _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    pub clock: Arc<SimulatedClock>,
}

impl Rig {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        Rig {
            _dir: dir,
            path,
            clock: Arc::new(SimulatedClock::new(at("2026-01-10T09:00:00Z"))),
        }
    }

    pub fn store(&self) -> Arc<dyn EventStore> {
        Arc::new(SqliteStore::open_with(SqliteConfig::new(self.path.join("events.db"))).unwrap())
    }

    pub async fn ledger_on(&self, store: Arc<dyn EventStore>, config: LedgerConfig) -> Arc<Ledger> {
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

    pub async fn ledger(&self) -> Arc<Ledger> {
        self.ledger_on(self.store(), LedgerConfig::default()).await
    }
}

pub fn create_customer() -> Command {
    cmd(
        json!({"type": "CreateCustomer", "customer_id": CUSTOMER, "company_name": "Fabrikam",
               "domain": "fabrikam.example", "country": "NL", "segment": "commercial"}),
    )
}

pub fn purchase(product: &str, quantity: u32) -> Command {
    cmd(json!({"type": "Purchase", "customer_id": CUSTOMER,
               "items": [{"product_id": product, "quantity": quantity, "term": "P1Y", "billing": "monthly"}]}))
}

pub async fn bought(ledger: &Ledger, id: u128, product: &str, quantity: u32) -> Uuid {
    let r = ledger
        .execute(req(id, purchase(product, quantity)))
        .await
        .unwrap();
    r.subscription_ids[0]
}

/// The customer's events as the log holds them, decoded, with their stream versions.
pub async fn customer_events(
    store: &dyn EventStore,
    customer: Uuid,
) -> Vec<(u64, subledger_domain::Event)> {
    let records = store
        .read_stream(&subledger_app::codec::customer_stream(customer), 0)
        .await
        .expect("read the customer's stream");
    records
        .iter()
        .map(|r| {
            let (event, _) = subledger_app::codec::decode(r).expect("decode");
            (r.version, event)
        })
        .collect()
}
