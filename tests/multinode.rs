//! Three `subledger serve` processes on one PostgreSQL database: clients spread over
//! them keep every rule, a command sent to two nodes at once is written once, a node
//! killed with SIGKILL and PostgreSQL's own backends terminated mid-burst lose nothing
//! acknowledged, and a replay of the PostgreSQL log equals each node's projections.
//!
//! Needs PostgreSQL: run through `scripts/with-postgres.sh` (as `scripts/test.sh` does).
//! Without it every test here is reported as ignored, never as passed.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn pg_url() -> String {
    std::env::var("SUBLEDGER_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("SUBLEDGER_PG_URL is not set at run time: no PostgreSQL to test against")
}

/// The application name the nodes of the cluster on `schema` connect with, so that
/// a test terminates its own nodes' connections and never another test's.
fn application_name(schema: &str) -> String {
    format!("subledger-{schema}")
}

/// The PostgreSQL URL for the nodes of the cluster on `schema`.
fn node_url(schema: &str) -> String {
    let url = pg_url();
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}application_name={}", application_name(schema))
}

fn fresh_schema() -> String {
    format!("t_{}", Uuid::new_v4().simple())
}

/// A cluster of nodes on one schema; each node has its own data directory (its
/// projections, its seal), all share node 1's auth file.
struct Cluster {
    _dir: tempfile::TempDir,
    root: PathBuf,
    schema: String,
    nodes: Vec<Option<Server>>,
    extra: Vec<String>,
}

impl Cluster {
    fn start(n: usize, extra: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let mut cluster = Cluster {
            _dir: dir,
            root,
            schema: fresh_schema(),
            nodes: Vec::new(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        for i in 0..n {
            let server = cluster.start_node(i);
            cluster.nodes.push(Some(server));
        }
        cluster
    }

    fn node_dir(&self, i: usize) -> PathBuf {
        self.root.join(format!("node{}", i + 1))
    }

    fn start_node(&self, i: usize) -> Server {
        let dir = self.node_dir(i);
        if i > 0 {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(self.node_dir(0).join("auth.json"), dir.join("auth.json")).unwrap();
        }
        let url = node_url(&self.schema);
        let mut args: Vec<&str> = vec![
            "--store",
            "postgres",
            "--pg-url",
            &url,
            "--pg-schema",
            &self.schema,
            // Fifty clients on one token are the point here, not the rate limit.
            "--rate-limit",
            "off",
        ];
        args.extend(self.extra.iter().map(String::as_str));
        Server::start_with(&dir, &args)
    }

    fn node(&self, i: usize) -> &Server {
        self.nodes[i].as_ref().expect("node is running")
    }

    /// The log as the offline tool prints it from PostgreSQL (`subledger events`).
    fn events(&self) -> Vec<Value> {
        let dir = self.node_dir(0);
        subledger_events(&[
            "--pg-url",
            &pg_url(),
            "--pg-schema",
            &self.schema,
            "--data-dir",
            dir.to_str().unwrap(),
        ])
    }
}

async fn post(server: &Server, body: &Value) -> (u16, Vec<u8>) {
    server.command(body).await
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Subscriptions of a customer as node `server` sees them once it has read up to
/// `position`.
async fn subscriptions(server: &Server, customer: Uuid, position: u64) -> Vec<Value> {
    let (status, list) = server
        .get(&format!(
            "/v1/customers/{customer}/subscriptions?limit=1000&min_position={position}"
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    list["subscriptions"].as_array().unwrap().clone()
}

fn live(s: &Value) -> bool {
    s["status"] == "active" || s["status"] == "suspended"
}

fn seats_of(subs: &[Value], product: &str) -> u64 {
    subs.iter()
        .filter(|s| live(s))
        .filter(|s| s["product_id"] == product)
        .map(|s| s["quantity"].as_u64().unwrap())
        .sum()
}

/// Every command answered 200 has its events in the log, once.
fn assert_acknowledged_in_log(events: &[Value], acknowledged: &HashMap<Uuid, u64>) {
    let mut by_command: HashMap<Uuid, Vec<u64>> = HashMap::new();
    let mut ids = HashSet::new();
    for e in events {
        assert!(
            ids.insert(e["event_id"].as_str().unwrap().to_owned()),
            "event twice: {e}"
        );
        if let Some(c) = e["command_id"].as_str() {
            by_command
                .entry(c.parse().unwrap())
                .or_default()
                .push(e["position"].as_u64().unwrap());
        }
    }
    for (command, position) in acknowledged {
        let positions = by_command
            .get(command)
            .unwrap_or_else(|| panic!("acknowledged command {command} is not in the log"));
        assert!(
            positions.contains(position),
            "command {command} answered position {position}, the log has {positions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn pur_7_fifty_clients_over_three_nodes_keep_every_rule_and_every_acknowledged_command() {
    let cluster = Arc::new(Cluster::start(3, &[]));
    let shared = Uuid::new_v4();
    let n1 = cluster.node(0);
    assert_eq!(post(n1, &create_customer(shared)).await.0, 200);
    let (status, body) = post(n1, &purchase(shared, "m365-e3", 100)).await;
    assert_eq!(status, 200);
    let bought = json_of(&body);
    let base = bought["subscription_ids"][0].as_str().unwrap().to_owned();
    // Read-your-writes across nodes: written through node 1, read from node 3.
    let position = bought["position"].as_u64().unwrap();
    let seen = subscriptions(cluster.node(2), shared, position).await;
    assert_eq!(seen.len(), 1, "node 3 reads node 1's write: {seen:?}");

    let mut clients = Vec::new();
    for i in 0..50usize {
        let cluster = cluster.clone();
        let base = base.clone();
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            // Half the clients work on the shared customer, half on their own.
            let own = Uuid::new_v4();
            let mut own_sub: Option<String> = None;
            for j in 0..6usize {
                let node = cluster.node((i + j) % 3);
                let body = if i % 2 == 0 {
                    match (i / 2 + j) % 3 {
                        0 => purchase(shared, "copilot-m365", 7),
                        1 => json!({"command_id": Uuid::new_v4(), "type": "ReduceSeats",
                                    "subscription_id": base, "seats": 3}),
                        _ => json!({"command_id": Uuid::new_v4(), "type": "AddSeats",
                                    "subscription_id": base, "seats": 1}),
                    }
                } else {
                    match (j, &own_sub) {
                        (0, _) => create_customer(own),
                        (1, _) | (_, None) => purchase(own, "m365-e3", 5),
                        (_, Some(sub)) => {
                            json!({"command_id": Uuid::new_v4(), "type": "AddSeats",
                                   "subscription_id": sub, "seats": 1})
                        }
                    }
                };
                // 503 is retryable (contention on the shared customer across nodes):
                // the same command again, as a client would.
                let mut answer = post(node, &body).await;
                for _ in 0..20 {
                    if answer.0 != 503 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    answer = post(node, &body).await;
                }
                let (status, text) = answer;
                assert!(
                    status == 200 || status == 422,
                    "unexpected {status}: {}",
                    String::from_utf8_lossy(&text)
                );
                if status == 200 {
                    let answer = json_of(&text);
                    let command: Uuid = body["command_id"].as_str().unwrap().parse().unwrap();
                    acknowledged.push((command, answer["position"].as_u64().unwrap()));
                    if body["type"] == "Purchase" && body["customer_id"] == json!(own) {
                        own_sub = answer["subscription_ids"][0].as_str().map(str::to_owned);
                    }
                }
            }
            acknowledged
        }));
    }
    let mut acknowledged = HashMap::new();
    for c in clients {
        acknowledged.extend(c.await.unwrap());
    }
    let head = *acknowledged.values().max().unwrap();
    assert!(acknowledged.len() > 100, "{} accepted", acknowledged.len());

    // Every node, once caught up, shows the same customer with every rule kept.
    let mut views = Vec::new();
    for i in 0..3 {
        let subs = subscriptions(cluster.node(i), shared, head).await;
        assert!(
            seats_of(&subs, "copilot-m365") <= seats_of(&subs, "m365-e3"),
            "node {}: Copilot {} > base {}",
            i + 1,
            seats_of(&subs, "copilot-m365"),
            seats_of(&subs, "m365-e3")
        );
        assert!(
            subs.iter()
                .filter(|s| live(s))
                .all(|s| s["quantity"].as_u64().unwrap() >= 1)
        );
        views.push(subs);
    }
    assert_eq!(views[0], views[1], "nodes 1 and 2 agree");
    assert_eq!(views[1], views[2], "nodes 2 and 3 agree");
    assert_acknowledged_in_log(&cluster.events(), &acknowledged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn gen_5_one_command_sent_to_two_nodes_at_once_is_written_once_and_answered_alike() {
    let cluster = Arc::new(Cluster::start(2, &[]));
    let customer = Uuid::new_v4();
    assert_eq!(
        post(cluster.node(0), &create_customer(customer)).await.0,
        200
    );
    for round in 0..10 {
        let body = purchase(customer, "m365-e5", 2 + round);
        let (a, b) = tokio::join!(post(cluster.node(0), &body), post(cluster.node(1), &body));
        assert_eq!(
            (a.0, b.0),
            (200, 200),
            "round {round}: {} / {}",
            String::from_utf8_lossy(&a.1),
            String::from_utf8_lossy(&b.1)
        );
        assert_eq!(a.1, b.1, "round {round}: the two nodes answered alike");
    }
    // A refused command (below one seat, SEAT-1/SEAT-2) repeated on the other node: the
    // same refusal, even once the state would allow it.
    let (_, body) = post(cluster.node(0), &purchase(customer, "m365-e3", 1)).await;
    let sub = json_of(&body)["subscription_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let reduce = json!({"command_id": Uuid::new_v4(), "type": "ReduceSeats",
                        "subscription_id": sub, "seats": 5});
    let (a, b) = tokio::join!(
        post(cluster.node(0), &reduce),
        post(cluster.node(1), &reduce)
    );
    assert_eq!((a.0, b.0), (422, 422));
    assert_eq!(a.1, b.1, "the same refusal from both nodes");
    let add = json!({"command_id": Uuid::new_v4(), "type": "AddSeats",
                     "subscription_id": sub, "seats": 10});
    assert_eq!(post(cluster.node(1), &add).await.0, 200);
    let again = post(cluster.node(1), &reduce).await;
    assert_eq!(
        again, a,
        "a repeat of a refused command is refused again, identically"
    );

    let events = cluster.events();
    let purchases = events
        .iter()
        .filter(|e| e["type"] == "SubscriptionCreated")
        .count();
    assert_eq!(purchases, 11, "ten purchases sent twice, one sent once");
}

/// Sends `body` to the nodes in turn (starting at `first`) until one answers
/// something other than a transport error or 503; returns that node and answer.
async fn send_retrying(
    nodes: &[Option<Server>],
    client: &reqwest::Client,
    token: &str,
    first: usize,
    body: &Value,
) -> Option<(u16, Vec<u8>)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut k = first;
    while Instant::now() < deadline {
        if let Some(node) = &nodes[k % nodes.len()] {
            let sent = client
                .post(node.url("/v1/commands"))
                .bearer_auth(token)
                .json(body)
                .send()
                .await;
            if let Ok(r) = sent {
                let status = r.status().as_u16();
                if let Ok(bytes) = r.bytes().await
                    && status != 503
                {
                    return Some((status, bytes.to_vec()));
                }
            }
        }
        k += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn a_node_killed_and_postgres_backends_terminated_mid_burst_lose_nothing_acknowledged() {
    let mut cluster = Cluster::start(3, &[]);
    let token = cluster.node(0).token.clone();
    let bases: Vec<String> = cluster
        .nodes
        .iter()
        .flatten()
        .map(|n| n.base.clone())
        .collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let customers: Vec<Uuid> = (0..20).map(|_| Uuid::new_v4()).collect();
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(post(cluster.node(i % 3), &create_customer(*c)).await.0, 200);
    }

    // The burst: 30 clients, each purchasing for its customer through the nodes in turn.
    let acknowledged = Arc::new(std::sync::Mutex::new(HashMap::<Uuid, u64>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let nodes_view: Arc<std::sync::RwLock<Vec<Option<String>>>> = Arc::new(std::sync::RwLock::new(
        bases.iter().cloned().map(Some).collect(),
    ));
    let mut clients = Vec::new();
    for i in 0..30usize {
        let customer = customers[i % customers.len()];
        let (acknowledged, stop, nodes_view, client, token) = (
            acknowledged.clone(),
            stop.clone(),
            nodes_view.clone(),
            client.clone(),
            token.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut j = i;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = purchase(customer, "m365-e3", 1 + (j % 5) as u32);
                let command: Uuid = body["command_id"].as_str().unwrap().parse().unwrap();
                // Retry the same command (same id) until some node answers it.
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    assert!(Instant::now() < deadline, "no node answered {command}");
                    let base = nodes_view.read().unwrap()[j % 3].clone();
                    j += 1;
                    let Some(base) = base else { continue };
                    let Ok(r) = client
                        .post(format!("{base}/v1/commands"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let status = r.status().as_u16();
                    let Ok(bytes) = r.bytes().await else { continue };
                    match status {
                        200 => {
                            let p = json_of(&bytes)["position"].as_u64().unwrap();
                            acknowledged.lock().unwrap().insert(command, p);
                            break;
                        }
                        503 => tokio::time::sleep(Duration::from_millis(10)).await,
                        other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&bytes)),
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SIGKILL node 2 mid-burst.
    nodes_view.write().unwrap()[1] = None;
    cluster.nodes[1].as_mut().unwrap().kill();
    cluster.nodes[1] = None;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Terminate every backend connection the nodes hold.
    let terminated = terminate_backends(&cluster.schema).await;
    assert!(terminated > 0, "the nodes held PostgreSQL connections");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during = acknowledged.lock().unwrap().len();
    // The others keep serving: a fresh command goes through node 1 and node 3.
    for k in [0, 2] {
        let c = customers[k];
        let answer = send_retrying(
            &cluster.nodes,
            &client,
            &token,
            k,
            &purchase(c, "m365-e5", 1),
        )
        .await
        .expect("a surviving node answers");
        assert_eq!(answer.0, 200, "{}", String::from_utf8_lossy(&answer.1));
    }
    // Node 2 comes back over the same data directory.
    let restarted = cluster.start_node(1);
    nodes_view.write().unwrap()[1] = Some(restarted.base.clone());
    cluster.nodes[1] = Some(restarted);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > during,
        "commands were acknowledged after the kill"
    );
    let events = cluster.events();
    assert_acknowledged_in_log(&events, &acknowledged);
    // Nothing written twice: one SubscriptionCreated per acknowledged purchase at most,
    // and every purchase in the log was sent by a client.
    let created: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "SubscriptionCreated")
        .collect();
    let by_command: HashSet<&str> = created
        .iter()
        .map(|e| e["command_id"].as_str().unwrap())
        .collect();
    assert_eq!(by_command.len(), created.len(), "a purchase written twice");
    // The restarted node reads everything.
    let head = events.last().unwrap()["position"].as_u64().unwrap();
    for c in &customers[..3] {
        let a = subscriptions(cluster.node(1), *c, head).await;
        let b = subscriptions(cluster.node(0), *c, head).await;
        assert_eq!(a, b, "the restarted node agrees with node 1");
    }
}

/// `pg_terminate_backend` on every connection the test's nodes hold; how many.
async fn terminate_backends(schema: &str) -> u64 {
    let (client, connection) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&application_name(schema)],
        )
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
    rows.len() as u64
}

/// A simulated ledger written into PostgreSQL, served by three nodes whose simulated
/// clocks are advanced together past renewals: the time-driven work is written once
/// (the log equals a single SQLite node given the same commands and advance), and a
/// replay of the PostgreSQL log equals every node's projections byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(pg_tests),
    ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
)]
async fn ren_7_three_nodes_advance_time_once_and_a_replay_equals_every_nodes_projections() {
    let work = tempfile::tempdir().unwrap();
    let schema = fresh_schema();
    let url = pg_url();
    let sim = [
        "--customers",
        "40",
        "--days",
        "200",
        "--seed",
        "11",
        "--quiet",
    ];
    // The same simulation into PostgreSQL and into SQLite.
    simulate(
        &work.path().join("pg-sim"),
        &sim,
        &["--pg-url", &url, "--pg-schema", &schema],
    );
    simulate(&work.path().join("sqlite"), &sim, &[]);
    let end = "2025-07-20T00:00:00Z"; // 2025-01-01 + 200 days
    let simulated = events_of_pg(&schema).len();
    let later = "2025-12-31T00:00:00Z";

    // Three nodes over PostgreSQL, one over SQLite, all at the simulation's end.
    let clock = ["--clock", "simulated", "--now", end];
    let mut cluster = Cluster {
        _dir: tempfile::tempdir().unwrap(),
        root: work.path().join("cluster"),
        schema: schema.clone(),
        nodes: Vec::new(),
        extra: clock.iter().map(|s| s.to_string()).collect(),
    };
    std::fs::create_dir_all(cluster.node_dir(0)).unwrap();
    std::fs::copy(
        work.path().join("pg-sim/auth.json"),
        cluster.node_dir(0).join("auth.json"),
    )
    .unwrap();
    for i in 0..3 {
        let node = cluster.start_node(i);
        cluster.nodes.push(Some(node));
    }
    let single = Server::start_with(&work.path().join("sqlite"), &clock);

    // Every node advances its clock at once; the single node alone.
    let advance = |server: &Server| {
        let request = server
            .client
            .post(server.url("/v1/clock/advance"))
            .bearer_auth(&server.token)
            .json(&json!({"to": later}));
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let (a, b, c) = tokio::join!(
        advance(cluster.node(0)),
        advance(cluster.node(1)),
        advance(cluster.node(2))
    );
    for (status, text) in [a, b, c] {
        assert_eq!(status, 200, "{text}");
    }
    let (status, text) = advance(&single).await;
    assert_eq!(status, 200, "{text}");

    // The advance wrote time-driven work (renewals among it)...
    let after = cluster.events();
    assert!(
        after[simulated..]
            .iter()
            .any(|e| e["type"] == "SubscriptionRenewed"),
        "the advance renewed subscriptions"
    );
    // ...and per stream the same events in the same order (ids included) as the single
    // node: written once, whichever node got there first.
    let pg = streams_of(&after);
    let sqlite = streams_of(&events_of(&work.path().join("sqlite")));
    assert_eq!(pg.len(), sqlite.len(), "the same streams");
    for (stream, events) in &sqlite {
        assert_eq!(pg.get(stream), Some(events), "stream {stream}");
    }
    let head = cluster.events().last().unwrap()["position"]
        .as_u64()
        .unwrap();

    // Every node's projections, once caught up, equal a replay of the PostgreSQL log.
    for i in 0..3 {
        let projections = cluster.node_dir(i).join("projections.db");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let at = subledger_projections::ProjectionDb::open_read_only(&projections)
                .ok()
                .flatten()
                .and_then(|db| db.checkpoint().ok())
                .map_or(0, |c| c.position);
            if at >= head {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node {} projections stuck at {at}",
                i + 1
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for n in cluster.nodes.iter_mut().flatten() {
        assert!(n.terminate().success());
    }
    let replayed = work.path().join("replayed");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_subledger"))
        .args(["replay", "--pg-url", &url, "--pg-schema", &schema])
        .arg("--data-dir")
        .arg(work.path().join("pg-sim"))
        .arg("--out")
        .arg(&replayed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for i in 0..3 {
        let exported = work.path().join(format!("export{i}"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_subledger"))
            .args(["export", "projections"])
            .arg("--data-dir")
            .arg(cluster.node_dir(i))
            .args(["--pg-url", &url, "--pg-schema", &schema])
            .arg("--out")
            .arg(&exported)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_same_files(&replayed, &exported);
        // Each node sealed the shared log in its own seal.db, signed with its own key:
        // the verifier agrees with it.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_subledger"))
            .arg("verify")
            .arg("--data-dir")
            .arg(cluster.node_dir(i))
            .args(["--pg-url", &url, "--pg-schema", &schema])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "verify node {}: {}{}",
            i + 1,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn simulate(dir: &Path, common: &[&str], extra: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_subledger"))
        .arg("simulate")
        .arg("--data-dir")
        .arg(dir)
        .args(common)
        .args(extra)
        .output()
        .expect("run simulate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The log as `subledger events ARGS` prints it, one JSON value per event.
fn subledger_events(args: &[&str]) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_subledger"))
        .arg("events")
        .args(args)
        .output()
        .expect("run subledger events");
    assert!(
        out.status.success(),
        "events: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn events_of_pg(schema: &str) -> Vec<Value> {
    subledger_events(&["--pg-url", &pg_url(), "--pg-schema", schema])
}

fn events_of(data_dir: &Path) -> Vec<Value> {
    subledger_events(&["--data-dir", data_dir.to_str().unwrap()])
}

/// Each stream's events without their global positions (which differ by backend).
fn streams_of(events: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in events {
        let mut e = e.clone();
        e.as_object_mut().unwrap().remove("position");
        out.entry(e["stream"].as_str().unwrap().to_owned())
            .or_default()
            .push(e);
    }
    out
}

fn assert_same_files(a: &Path, b: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        let x = std::fs::read(a.join(&name)).unwrap();
        let y = std::fs::read(b.join(&name)).unwrap_or_default();
        assert!(
            x == y,
            "{} differs from {}",
            a.join(&name).display(),
            b.join(&name).display()
        );
    }
}
