//! The command-line program: help and version, the development auth file of a
//! first start, and `exec` applying NDJSON commands.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;
use uuid::Uuid;

fn subledger() -> Command {
    Command::new(env!("CARGO_BIN_EXE_subledger"))
}

#[test]
fn help_and_version_work() {
    let out = subledger().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve") && text.contains("exec"), "{text}");
    let out = subledger().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("subledger "));
}

#[tokio::test]
async fn the_first_start_writes_a_development_auth_file_and_never_logs_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let auth = std::fs::read_to_string(dir.path().join("auth.json")).unwrap();
    assert!(auth.contains(&server.token));
    let (status, _) = server.get("/v1/catalog").await;
    assert_eq!(status, 200);
    drop(server);
    // Run once more, capturing everything it prints.
    let out = subledger()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--clock",
            "simulated",
            "--now",
            START,
            "--data-dir",
        ])
        .arg(dir.path())
        .arg("--log-format")
        .arg("json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let pid = out.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let out = out.wait_with_output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let token: Value = serde_json::from_str(&auth).unwrap();
    let token = token["tokens"][0]["token"].as_str().unwrap();
    assert!(!printed.contains(token), "the token was printed: {printed}");
}

#[test]
fn exec_applies_ndjson_commands_and_prints_one_result_per_line() {
    let dir = tempfile::tempdir().unwrap();
    // A first start writes the development auth file that exec acts from.
    drop(Server::start(dir.path()));
    let auth: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("auth.json")).unwrap())
            .unwrap();
    let user = auth["tokens"][0]["user"].as_str().unwrap().to_owned();
    let customer = Uuid::new_v4();
    let lines = [
        create_customer(customer).to_string(),
        purchase(customer, "m365-e3", 5).to_string(),
        "{not json".to_owned(),
        purchase(customer, "teams-rooms-pro", 1).to_string(),
        purchase(customer, "teams-rooms-pro", 1).to_string(),
    ];
    let mut child = subledger()
        .args([
            "exec",
            "--clock",
            "simulated",
            "--now",
            START,
            "--as",
            &user,
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let statuses: Vec<u64> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 400, 200, 422]);
    assert_eq!(results[4]["error"]["code"], "OnePerCustomer");
    assert_eq!(results[4]["error"]["rule"], "PUR-4");
    assert_eq!(results[2]["line"], 3);
}
