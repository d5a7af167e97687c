//! Server faults over HTTP: a store that is unavailable is a 503 the client may
//! retry; any other fault is a 500 `InternalError` whose body holds nothing of
//! the internals (they go to the log under the request id).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use subledger_api::{ApiConfig, AuthFile, TokenEntry};
use subledger_app::{Ledger, LedgerConfig, MemoryKeyVault, SimulatedClock};
use subledger_domain::{Catalog, Role};
use subledger_store::{
    AppendResult, EventStore, EventStream, ExpectedVersion, MemoryStore, NewEvent, RecordedEvent,
    Snapshot, StoreError,
};
use uuid::Uuid;

const HEALTHY: u8 = 0;
const UNAVAILABLE: u8 = 1;
const BROKEN: u8 = 2;
const FULL: u8 = 3;
const SECRET_DETAIL: &str = "disk /dev/sdz1 said EIO at sector 4242";

/// A memory store whose appends fail on demand.
struct FaultyStore {
    inner: MemoryStore,
    mode: Arc<AtomicU8>,
}

impl FaultyStore {
    fn fault(&self) -> Result<(), StoreError> {
        match self.mode.load(Ordering::SeqCst) {
            UNAVAILABLE => Err(StoreError::Unavailable("database is locked".into())),
            BROKEN => Err(StoreError::Backend(SECRET_DETAIL.into())),
            FULL => Err(StoreError::StorageFull(SECRET_DETAIL.into())),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl EventStore for FaultyStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> subledger_store::Result<AppendResult> {
        self.fault()?;
        self.inner.append(stream, expected, events).await
    }
    async fn read_stream(
        &self,
        stream: &str,
        from: u64,
    ) -> subledger_store::Result<Vec<RecordedEvent>> {
        self.inner.read_stream(stream, from).await
    }
    async fn read_all(
        &self,
        from: u64,
        limit: usize,
    ) -> subledger_store::Result<Vec<RecordedEvent>> {
        self.inner.read_all(from, limit).await
    }
    async fn subscribe_all(&self, from: u64) -> subledger_store::Result<EventStream> {
        self.inner.subscribe_all(from).await
    }
    async fn last_position(&self) -> subledger_store::Result<u64> {
        self.inner.last_position().await
    }
    async fn stream_version(&self, stream: &str) -> subledger_store::Result<u64> {
        self.inner.stream_version(stream).await
    }
    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: bytes::Bytes,
    ) -> subledger_store::Result<()> {
        self.inner
            .save_snapshot(stream, version, schema_version, data)
            .await
    }
    async fn load_snapshot(
        &self,
        stream: &str,
        schema_version: u32,
    ) -> subledger_store::Result<Option<Snapshot>> {
        self.inner.load_snapshot(stream, schema_version).await
    }
    async fn find_event(&self, id: Uuid) -> subledger_store::Result<Option<RecordedEvent>> {
        self.inner.find_event(id).await
    }
}

const TOKEN: &str = "token-faults-000000000000";

async fn post(client: &reqwest::Client, base: &str, body: &Value) -> (u16, Value) {
    let r = client
        .post(format!("{base}/v1/commands"))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn an_unavailable_store_or_a_full_disk_is_503_and_any_other_fault_a_500_without_internals() {
    let mode = Arc::new(AtomicU8::new(HEALTHY));
    let store: Arc<dyn EventStore> = Arc::new(FaultyStore {
        inner: MemoryStore::new(),
        mode: mode.clone(),
    });
    let ledger = Ledger::open(
        store,
        Arc::new(Catalog::default_catalog()),
        Arc::new(SimulatedClock::new("2026-01-10T09:00:00Z".parse().unwrap())),
        Arc::new(MemoryKeyVault::default()),
        LedgerConfig::default(),
    )
    .await
    .unwrap();
    let auth = AuthFile {
        tokens: vec![TokenEntry {
            token: TOKEN.to_owned(),
            user: "ops@a.example".to_owned(),
            partner_id: Some(Uuid::from_u128(0xA)),
            customer_id: None,
            roles: vec![Role::AdminAgent],
        }],
    };
    let dir = tempfile::tempdir().unwrap();
    let db = subledger_projections::ProjectionDb::open(dir.path().join("projections.db")).unwrap();
    let (projections, _runner) =
        subledger_app::Projections::spawn(ledger.store().clone(), Arc::new(db))
            .await
            .unwrap();
    let router = subledger_api::router(ledger, projections, Arc::new(auth), ApiConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(subledger_api::serve(
        listener,
        router,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let create = |id: Uuid| {
        json!({"command_id": Uuid::new_v4(), "type": "CreateCustomer", "customer_id": id,
               "company_name": "Fabrikam", "domain": "fabrikam.example", "country": "NL",
               "segment": "commercial"})
    };

    mode.store(UNAVAILABLE, Ordering::SeqCst);
    let body = create(Uuid::new_v4());
    let (status, err) = post(&client, &base, &body).await;
    assert_eq!(status, 503, "{err}");
    assert_eq!(err["error"]["code"], "Unavailable");
    assert_eq!(err["error"]["details"]["retryable"], true);
    // Nothing was acknowledged, so the same command goes through once the store is back.
    mode.store(HEALTHY, Ordering::SeqCst);
    let (status, ok) = post(&client, &base, &body).await;
    assert_eq!(status, 200, "{ok}");

    // A full disk: retryable too, with its own code and when to come back.
    mode.store(FULL, Ordering::SeqCst);
    let body = create(Uuid::new_v4());
    let (status, err) = post(&client, &base, &body).await;
    assert_eq!(status, 503, "{err}");
    assert_eq!(err["error"]["code"], "StorageFull");
    assert_eq!(
        err["error"]["details"],
        json!({"retryable": true, "retry_after_s": 5})
    );
    assert!(!err.to_string().contains("sdz1"), "{err}");
    mode.store(HEALTHY, Ordering::SeqCst);
    assert_eq!(post(&client, &base, &body).await.0, 200);

    mode.store(BROKEN, Ordering::SeqCst);
    let (status, err) = post(&client, &base, &create(Uuid::new_v4())).await;
    assert_eq!(status, 500, "{err}");
    assert_eq!(err["error"]["code"], "InternalError");
    assert_eq!(err["error"]["details"], json!({}));
    let text = err.to_string();
    assert!(
        !text.contains("EIO") && !text.contains("sdz1") && !text.contains("Backend"),
        "{text}"
    );
}
