//! The seal end to end: the real server seals its log and serves checkpoints and
//! proofs; `subledger verify` and the independent Python verifier (standard library
//! only, written from docs/VERIFY.md) agree with it; every tamper an insider could
//! make is named; the chain survives a SIGKILL mid-burst.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{Value, json};
use subledger_seal::merkle;
use subledger_seal::record::from_hex;
use uuid::Uuid;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_subledger")
}

fn python_verifier() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/independent-verify.py")
}

fn hashes(values: &Value) -> Vec<[u8; 32]> {
    values
        .as_array()
        .expect("an array of hashes")
        .iter()
        .map(|h| from_hex(h.as_str().expect("hex")).expect("64 hex characters"))
        .collect()
}

async fn post_checkpoint(server: &Server) -> Value {
    let r = server
        .client
        .post(server.url("/v1/ledger/checkpoint"))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// A customer with a software subscription whose key was revealed, and some seats.
async fn some_history(server: &Server) -> String {
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let buy = json!({"command_id": Uuid::new_v4(), "type": "Purchase", "customer_id": customer, "items": [
        {"product_id": "windows-server-2022-standard", "quantity": 2, "term": "P1Y", "billing": "annual"}]});
    let (status, body) = server.command(&buy).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let bought: Value = serde_json::from_slice(&body).expect("json");
    let sub = bought["subscription_ids"][0]
        .as_str()
        .expect("id")
        .to_owned();
    let reveal = json!({"command_id": Uuid::new_v4(), "type": "RevealKey", "subscription_id": sub, "language": "en-US"});
    let (status, body) = server.command(&reveal).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let revealed: Value = serde_json::from_slice(&body).expect("json");
    for _ in 0..20 {
        assert_eq!(
            server.command(&purchase(customer, "m365-e3", 3)).await.0,
            200
        );
    }
    revealed["key"].as_str().expect("the key").to_owned()
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn the_independent_verifier_passes_its_self_test() {
    let (code, out) = run(Command::new("python3")
        .arg(python_verifier())
        .arg("--self-test"));
    assert_eq!(code, 0, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_s_checkpoints_and_proofs_verify_independently() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let key = some_history(&server).await;
    let cp = post_checkpoint(&server).await;
    let size = cp["tree_size"].as_u64().expect("size");
    assert!(size >= 24, "{cp}");
    let (status, latest) = server.get("/v1/ledger/checkpoint").await;
    assert_eq!(status, 200);
    assert!(latest["tree_size"].as_u64() >= Some(size));
    let root = from_hex(cp["root_hash"].as_str().expect("root")).expect("hex");

    // Proofs from the server, checked here with the RFC 9162 algorithms.
    let (status, p) = server
        .get(&format!(
            "/v1/ledger/proof/inclusion?position=3&tree_size={size}"
        ))
        .await;
    assert_eq!(status, 200, "{p}");
    let leaf = from_hex(p["leaf_hash"].as_str().expect("leaf")).expect("hex");
    assert!(merkle::verify_inclusion(
        2,
        size,
        &leaf,
        &hashes(&p["audit_path"]),
        &root
    ));
    let (status, c) = server
        .get(&format!("/v1/ledger/proof/consistency?from=5&to={size}"))
        .await;
    assert_eq!(status, 200, "{c}");
    let from_root = from_hex(c["from_root"].as_str().expect("root")).expect("hex");
    assert!(merkle::verify_consistency(
        5,
        size,
        &from_root,
        &root,
        &hashes(&c["proof"])
    ));
    let (status, e) = server
        .get(&format!(
            "/v1/ledger/proof/inclusion?position=1&tree_size={}",
            size + 1_000_000
        ))
        .await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = server.get("/v1/ledger/proof/consistency?from=0&to=3").await;
    assert_eq!(status, 400, "{e}");

    // KEY-1/KEY-4 unchanged: no key and no fingerprint in a checkpoint or a proof.
    let fingerprint = subledger_app::keys::fingerprint(&key);
    for shown in [&cp, &latest, &p, &c] {
        let text = shown.to_string();
        assert!(
            !text.contains(&key) && !text.contains(&fingerprint),
            "{text}"
        );
    }

    // The auditor keeps the checkpoint; both verifiers agree with the server.
    let held = dir.path().join("checkpoint.json");
    std::fs::write(&held, cp.to_string()).expect("write");
    let public = data.join("ledger.key.pub");
    let (code, out) = run(Command::new(bin())
        .args(["verify", "--data-dir"])
        .arg(&data)
        .arg("--checkpoint")
        .arg(&held)
        .arg("--public-key")
        .arg(&public));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("OK: the log verifies") && out.contains("verify_events_per_s"),
        "{out}"
    );
    let (code, out) = run(Command::new("python3")
        .arg(python_verifier())
        .arg("--db")
        .arg(data.join("events.db"))
        .arg("--public-key")
        .arg(&public)
        .arg("--checkpoint")
        .arg(&held)
        .args([
            "--url",
            &server.base,
            "--token",
            &server.token,
            "--samples",
            "16",
            "--seed",
            "7",
        ]));
    assert_eq!(code, 0, "{out}");
}

/// A stopped ledger of a few hundred records, a checkpoint the auditor took of it.
async fn sealed_ledger() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut server = Server::start(&data);
    some_history(&server).await;
    let cp = post_checkpoint(&server).await;
    server.terminate();
    let held = dir.path().join("checkpoint.json");
    std::fs::write(&held, cp.to_string()).expect("write");
    (dir, data, held)
}

fn verify_cli(data: &Path, held: &Path) -> (i32, String) {
    run(Command::new(bin())
        .args(["verify", "--data-dir"])
        .arg(data)
        .arg("--checkpoint")
        .arg(held)
        .arg("--public-key")
        .arg(data.join("ledger.key.pub")))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_each_tamper_against_a_checkpoint_taken_before() {
    let (dir, data, held) = sealed_ledger().await;
    let (code, out) = verify_cli(&data, &held);
    assert_eq!(code, 0, "a clean log: {out}");
    let tampers: [(&str, &str, u64); 4] = [
        (
            "payload byte",
            "UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'Fabrikam', 'Fabrikan') AS BLOB) WHERE position = 1",
            1,
        ),
        ("deleted record", "DELETE FROM events WHERE position = 7", 7),
        (
            "swapped records",
            "UPDATE events SET data = CASE position WHEN 4 THEN (SELECT data FROM events WHERE position = 9) ELSE (SELECT data FROM events WHERE position = 4) END WHERE position IN (4, 9)",
            4,
        ),
        (
            "truncated tail",
            "DELETE FROM events WHERE position > 20",
            21,
        ),
    ];
    for (i, (what, sql, position)) in tampers.into_iter().enumerate() {
        let copy = dir.path().join(format!("tampered-{i}"));
        copy_dir(&data, &copy);
        // With the sqlite3 shell, as an insider with the data directory would.
        let (code, out) = run(Command::new("sqlite3").arg(copy.join("events.db")).arg(sql));
        assert_eq!(code, 0, "{what}: {out}");
        let (code, out) = verify_cli(&copy, &held);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            out.contains(&format!("first_bad_position {position}")),
            "{what}: {out}"
        );
        assert!(
            out.contains("held ("),
            "{what}: the auditor's checkpoint did not catch it: {out}"
        );
        let (code, out) = run(Command::new("python3")
            .arg(python_verifier())
            .arg("--db")
            .arg(copy.join("events.db"))
            .arg("--public-key")
            .arg(copy.join("ledger.key.pub"))
            .arg("--checkpoint")
            .arg(&held));
        assert_eq!(code, 1, "the independent verifier missed the {what}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_chain_survives_a_sigkill_mid_burst() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut server = Server::start_with(
        &data,
        &[
            "--clock",
            "simulated",
            "--now",
            START,
            "--checkpoint-every",
            "100ms",
        ],
    );
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut clients = Vec::new();
    for _ in 0..6 {
        let (base, token, acked) = (server.base.clone(), server.token.clone(), acked.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let body = purchase(customer, "m365-e3", 1);
                let Ok(r) = client
                    .post(format!("{base}/v1/commands"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                else {
                    break;
                };
                if r.status() != 200 {
                    break;
                }
                acked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.load(std::sync::atomic::Ordering::Relaxed) < 300
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill();
    for c in clients {
        let _ = c.await;
    }
    let before = subledger_seal::SealDb::open(&data.join("seal.db"))
        .expect("seal")
        .latest_checkpoint()
        .expect("read");
    let before = before
        .expect("checkpoints were signed before the crash")
        .tree_size;

    let server = Server::start(&data);
    assert_eq!(
        server.command(&purchase(customer, "m365-e3", 1)).await.0,
        200
    );
    let after = post_checkpoint(&server).await;
    assert!(
        after["tree_size"].as_u64().expect("size") > before,
        "{after} after {before}"
    );
    let (status, c) = server
        .get(&format!(
            "/v1/ledger/proof/consistency?from={before}&to={}",
            after["tree_size"]
        ))
        .await;
    assert_eq!(status, 200, "{c}");
    let (code, out) = run(Command::new(bin())
        .args(["verify", "--data-dir"])
        .arg(&data)
        .arg("--public-key")
        .arg(data.join("ledger.key.pub")));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: the log verifies"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_auditor_roles_get_checkpoints_and_proofs_gen_3() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let partner = "11111111-1111-1111-1111-111111111111";
    let auth = json!({"tokens": [
        {"token": "tok-auditor", "user": "audit@partner.example", "partner_id": partner, "roles": ["admin_agent", "account_admin"]},
        {"token": "tok-sales", "user": "sales@partner.example", "partner_id": partner, "roles": ["admin_agent", "sales_agent"]},
    ]});
    std::fs::write(data.join("auth.json"), auth.to_string()).expect("auth");
    let server = Server::start(&data);
    let get = |path: &'static str, token: &'static str| {
        let request = server.client.get(server.url(path)).bearer_auth(token);
        async move { request.send().await.expect("request").status().as_u16() }
    };
    for path in [
        "/v1/ledger/checkpoint",
        "/v1/ledger/proof/consistency?from=1&to=1",
    ] {
        assert_eq!(get(path, "tok-sales").await, 403, "{path}");
    }
    assert_eq!(get("/v1/ledger/checkpoint", "tok-auditor").await, 200);
    let post = server
        .client
        .post(server.url("/v1/ledger/checkpoint"))
        .bearer_auth("tok-sales")
        .send()
        .await
        .expect("post");
    assert_eq!(post.status().as_u16(), 403);
    let anonymous = server
        .client
        .get(server.url("/v1/ledger/checkpoint"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status().as_u16(), 401);
}
