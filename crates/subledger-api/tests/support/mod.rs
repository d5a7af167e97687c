//! A real server on 127.0.0.1:0 over a ledger on a temporary SQLite store with a
//! simulated clock, and a small HTTP client for it.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use subledger_api::{ApiConfig, AuthFile, TokenEntry};
use subledger_app::{Ledger, LedgerConfig, Projections, SimulatedClock, SqliteKeyVault};
use subledger_domain::{Catalog, Role};
use subledger_projections::ProjectionDb;
use subledger_store::{EventStore, SqliteConfig, SqliteStore};
use uuid::Uuid;

pub const PARTNER_A: Uuid = Uuid::from_u128(0xA000);
pub const PARTNER_B: Uuid = Uuid::from_u128(0xB000);
pub const PARTNER_D: Uuid = Uuid::from_u128(0xD000);
pub const CUSTOMER: Uuid = Uuid::from_u128(0xC000);
pub const START: &str = "2026-01-10T09:00:00Z";

/// Partner A's user with admin_agent and global_admin: every partner action.
pub const A: &str = "token-a-admin-0000000000";
/// Partner B's user with admin_agent and global_admin.
pub const B: &str = "token-b-admin-0000000000";
/// Partner D's admin agent.
pub const D: &str = "token-d-admin-0000000000";
/// Customer CUSTOMER's global admin.
pub const C: &str = "token-c-admin-0000000000";

/// Partner A's token holding only `role`.
pub fn role_token(role: Role) -> String {
    format!("token-a-only-{}", role.as_str())
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn auth_file() -> AuthFile {
    let partner = |token: &str, user: &str, id: Uuid, roles: &[Role]| TokenEntry {
        token: token.to_owned(),
        user: user.to_owned(),
        partner_id: Some(id),
        customer_id: None,
        roles: roles.to_vec(),
    };
    let mut tokens = vec![
        partner(
            A,
            "alice@a.example",
            PARTNER_A,
            &[Role::AdminAgent, Role::GlobalAdmin],
        ),
        partner(
            B,
            "bob@b.example",
            PARTNER_B,
            &[Role::AdminAgent, Role::GlobalAdmin],
        ),
        partner(D, "dora@d.example", PARTNER_D, &[Role::AdminAgent]),
        TokenEntry {
            token: C.to_owned(),
            user: "admin@customer.example".to_owned(),
            partner_id: None,
            customer_id: Some(CUSTOMER),
            roles: vec![Role::CustomerGlobalAdmin],
        },
    ];
    for role in Role::ALL.iter().filter(|r| r.is_partner_role()) {
        tokens.push(partner(
            &role_token(*role),
            &format!("{}@a.example", role.as_str()),
            PARTNER_A,
            &[*role],
        ));
    }
    let file = AuthFile { tokens };
    file.validate().unwrap();
    file
}

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<SimulatedClock>,
    pub ledger: Arc<Ledger>,
    pub projections: Projections,
    runner: tokio::task::JoinHandle<()>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the error shape of API.md, exactly, and returns `error`.
    pub fn error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        let body = self.json();
        let obj = body.as_object().expect("an object");
        assert_eq!(obj.len(), 1, "only `error`: {body}");
        let error = obj["error"].as_object().expect("error is an object");
        let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "details", "message", "rule"], "{body}");
        assert_eq!(error["code"], code, "{body}");
        assert!(error["rule"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(error["details"].is_object());
        body["error"].clone()
    }

    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text());
        self.json()
    }
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(ApiConfig {
            simulated_clock: true,
            body_limit_bytes: 1024 * 1024,
            ..ApiConfig::default()
        })
        .await
    }

    pub async fn start_with(config: ApiConfig) -> Server {
        Self::start_at(config, START).await
    }

    pub async fn start_at(config: ApiConfig, start: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteStore::open_with(SqliteConfig::new(dir.path().join("events.db"))).unwrap(),
        );
        let keys = Arc::new(SqliteKeyVault::open(&dir.path().join("keys.db")).unwrap());
        let clock = Arc::new(SimulatedClock::new(at(start)));
        let ledger = Ledger::open(
            store,
            Arc::new(Catalog::default_catalog()),
            clock.clone(),
            keys,
            LedgerConfig::default(),
        )
        .await
        .unwrap();
        let db = ProjectionDb::open(dir.path().join("projections.db")).unwrap();
        let (projections, runner) = Projections::spawn(ledger.store().clone(), Arc::new(db))
            .await
            .unwrap();
        let router = subledger_api::router(
            ledger.clone(),
            projections.clone(),
            Arc::new(auth_file()),
            config,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(subledger_api::serve(listener, router, async move {
            let _ = rx.await;
        }));
        Server {
            base,
            client: reqwest::Client::new(),
            clock,
            ledger,
            projections,
            runner,
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Signals shutdown and waits for the server to stop.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap(),
            None => Ok(()),
        }
    }

    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("the server answers");
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Resp {
        self.send(
            self.client
                .get(format!("{}{path}", self.base))
                .bearer_auth(token),
        )
        .await
    }

    pub async fn get_with(&self, token: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req).await
    }

    pub async fn get_anonymous(&self, path: &str) -> Resp {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Resp {
        self.post_raw(token, path, body.to_string().into_bytes())
            .await
    }

    pub async fn post_raw(&self, token: &str, path: &str, body: Vec<u8>) -> Resp {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    /// Sends a command (a fresh command id unless the body has one).
    pub async fn command(&self, token: &str, mut body: Value) -> Resp {
        if body.get("command_id").is_none() {
            body["command_id"] = json!(Uuid::new_v4());
        }
        self.post(token, "/v1/commands", &body).await
    }

    /// Sends a command that must be accepted; returns the response body.
    pub async fn accepted(&self, token: &str, body: Value) -> Value {
        let r = self.command(token, body.clone()).await;
        assert_eq!(r.status, 200, "{body} -> {}", r.text());
        r.json()
    }

    /// Stops the projection runner: reads that need a later position then wait
    /// in vain.
    pub fn stop_projections(&self) {
        self.runner.abort();
    }

    pub async fn advance(&self, to: &str) -> Value {
        self.post(A, "/v1/clock/advance", &json!({ "to": to }))
            .await
            .ok()
    }

    // Scenario steps, each a command that must be accepted.

    pub async fn create_customer(&self, token: &str, customer: Uuid, country: &str) -> Value {
        self.accepted(
            token,
            json!({"type": "CreateCustomer", "customer_id": customer,
                   "company_name": "Fabrikam", "domain": format!("{customer}.example"),
                   "country": country, "segment": "commercial"}),
        )
        .await
    }

    /// Buys one line; returns the new subscription's id.
    pub async fn buy(
        &self,
        token: &str,
        customer: Uuid,
        product: &str,
        quantity: u32,
        term: Option<&str>,
        billing: &str,
    ) -> Uuid {
        let r = self
            .accepted(
                token,
                json!({"type": "Purchase", "customer_id": customer,
                       "items": [{"product_id": product, "quantity": quantity,
                                  "term": term, "billing": billing}]}),
            )
            .await;
        sub_id(&r)
    }

    pub async fn buy_trial(&self, token: &str, customer: Uuid, product: &str) -> Uuid {
        let r = self
            .accepted(
                token,
                json!({"type": "Purchase", "customer_id": customer,
                       "items": [{"product_id": product, "quantity": 25, "term": "P1M",
                                  "billing": "monthly", "trial": true}]}),
            )
            .await;
        sub_id(&r)
    }

    /// Partner B gets a relationship with CUSTOMER (requested by B, accepted by
    /// the customer's global admin).
    pub async fn relate_b(&self) {
        self.accepted(
            B,
            json!({"type": "RequestRelationship", "customer_id": CUSTOMER}),
        )
        .await;
        self.accepted(
            C,
            json!({"type": "AcceptRelationship", "partner_id": PARTNER_B}),
        )
        .await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.signal_shutdown();
        self.runner.abort();
    }
}

pub fn sub_id(response: &Value) -> Uuid {
    response["subscription_ids"][0]
        .as_str()
        .expect("a subscription id")
        .parse()
        .unwrap()
}

pub fn event_types(response: &Value) -> Vec<String> {
    response["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}
