//! Failing disks and damaged files, with the real binary: a full disk is a
//! retryable 503 that loses nothing acknowledged and heals by itself; a damaged
//! or lost file, a read-only or taken data directory stop `serve` at start with
//! one line naming the file and the way out, never a panic, never a fresh start.
//!
//! The full and read-only disks are real filesystems (tmpfs) the tests mount,
//! which needs root or CAP_SYS_ADMIN: `scripts/test.sh` sets
//! `SUBLEDGER_MOUNT_TESTS` when mounting works (build.rs → `cfg(mount_tests)`);
//! without it those tests are reported as ignored, never as passed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn subledger() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_subledger"));
    c.env("RUST_LOG", "warn").env_remove("RUST_BACKTRACE");
    c
}

/// `serve` over `data_dir`, expected to refuse: its output, once it exited.
fn refused_serve(data_dir: &Path, extra: &[&str]) -> Output {
    let out = subledger()
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--clock",
            "simulated",
            "--now",
            START,
        ])
        .args(extra)
        .output()
        .expect("run subledger serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("listening on"), "it served: {stderr}");
    assert!(!stderr.contains("panicked"), "it panicked: {stderr}");
    out
}

/// The one error line of a refused start (and that there is exactly one).
fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("subledger: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    errors[0].to_owned()
}

/// `subledger verify` checks the log of `data` against its seal, and passes.
#[cfg_attr(not(mount_tests), allow(dead_code))]
fn assert_verifies(data: &Path) {
    let verify = subledger()
        .arg("verify")
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

fn add_seats(sub: &str, seats: u32) -> Value {
    json!({"command_id": Uuid::new_v4(), "type": "AddSeats", "subscription_id": sub, "seats": seats})
}

/// A customer with one subscription of 10 seats; its id.
async fn ledger_with_a_subscription(server: &Server) -> String {
    let customer = Uuid::new_v4();
    assert_eq!(server.command(&create_customer(customer)).await.0, 200);
    let (status, body) = server.command(&purchase(customer, "m365-e3", 10)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    body["subscription_ids"][0].as_str().unwrap().to_owned()
}

/// The subscription's seats as the API reads them (waiting for the read models).
async fn seats(server: &Server, sub: &str) -> u64 {
    for _ in 0..100 {
        let (status, body) = server.get(&format!("/v1/subscriptions/{sub}")).await;
        if status == 200 {
            return body["quantity"].as_u64().expect("quantity");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the subscription could not be read");
}

/// Every SQLite file of the data directory with its WAL folded in, so that
/// damage written to the file is what the next open reads.
fn fold_wals(data_dir: &Path) {
    for name in ["events.db", "projections.db", "keys.db", "seal.db"] {
        let conn = rusqlite::Connection::open(data_dir.join(name)).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
}

/// A data directory holding a ledger (a customer, a subscription, a revealed
/// key), its server stopped cleanly.
async fn stopped_ledger(dir: &Path) -> (PathBuf, String) {
    let data = dir.join("data");
    let mut server = Server::start(&data);
    let sub = ledger_with_a_subscription(&server).await;
    assert_eq!(server.command(&add_seats(&sub, 2)).await.0, 200);
    assert_eq!(seats(&server, &sub).await, 12);
    // The seal signs its checkpoint every second; let it catch up with the log.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(server.terminate().success());
    fold_wals(&data);
    (data, sub)
}

/// Overwrites 4 KiB of `path` at `offset` with a pattern no page has.
fn damage(path: &Path, offset: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(&[0xA5; 4096]).unwrap();
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[tokio::test]
async fn a_damaged_event_store_is_refused_naming_it_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = stopped_ledger(dir.path()).await;
    let events = data.join("events.db");
    for (what, offset) in [("header", 0), ("a page in the middle", size(&events) / 2)] {
        let copy = dir.path().join(format!("copy-{offset}"));
        std::fs::create_dir(&copy).unwrap();
        for entry in std::fs::read_dir(&data).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        damage(&copy.join("events.db"), offset / 4096 * 4096);
        let before = std::fs::read(copy.join("events.db")).unwrap();
        let line = error_line(&refused_serve(&copy, &[]));
        let path = copy.join("events.db").display().to_string();
        assert!(
            line.contains(&format!("{path} is damaged")) && line.contains("restore events.db"),
            "{what}: {line}"
        );
        assert_eq!(
            std::fs::read(copy.join("events.db")).unwrap(),
            before,
            "{what}: the damaged log is left as it was"
        );
    }
}

#[tokio::test]
async fn damaged_projections_are_refused_and_rebuilt_from_the_log_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let (data, sub) = stopped_ledger(dir.path()).await;
    let projections = data.join("projections.db");
    damage(&projections, size(&projections) / 2 / 4096 * 4096);
    let line = error_line(&refused_serve(&data, &[]));
    assert!(
        line.contains(&format!("{} is damaged", projections.display()))
            && line.contains("--rebuild-projections"),
        "{line}"
    );
    // The way out it offers: the damaged file is kept aside, the read models are
    // rebuilt from the log, and they read what they read before.
    let server = Server::start_simulated_with(&data, &["--rebuild-projections"]);
    assert_eq!(seats(&server, &sub).await, 12);
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("projections.db.damaged-")
        })
        .collect();
    assert!(!kept.is_empty(), "the damaged file is kept aside");
}

#[tokio::test]
async fn a_damaged_key_vault_or_seal_is_refused_naming_the_file_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = stopped_ledger(dir.path()).await;
    for (file, fix) in [
        ("keys.db", "restore it from a backup"),
        ("seal.db", "Restore seal.db"),
    ] {
        let path = data.join(file);
        let original = std::fs::read(&path).unwrap();
        for offset in [0, size(&path) / 2 / 4096 * 4096] {
            damage(&path, offset);
            let line = error_line(&refused_serve(&data, &[]));
            assert!(
                line.contains(&format!("{} is damaged", path.display())) && line.contains(fix),
                "{file} at {offset}: {line}"
            );
            std::fs::write(&path, &original).unwrap();
        }
    }
    // Repaired (restored from the "backup"), the ledger serves again.
    let server = Server::start(&data);
    assert_eq!(server.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn a_lost_or_emptied_log_is_never_started_over() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = stopped_ledger(dir.path()).await;
    let events = data.join("events.db");
    let saved = dir.path().join("events.db.saved");
    std::fs::rename(&events, &saved).unwrap();
    let line = error_line(&refused_serve(&data, &[]));
    assert!(
        line.contains("ends at position 0") && line.contains("Restore the log from a backup"),
        "{line}"
    );
    assert!(!events.exists(), "no new log was made in its place");
    std::fs::write(&events, b"").unwrap();
    let line = error_line(&refused_serve(&data, &[]));
    assert!(line.contains("ends at position 0"), "{line}");
    assert_eq!(size(&events), 0, "the emptied log was not written");
    std::fs::rename(&saved, &events).unwrap();
    let server = Server::start(&data);
    assert_eq!(server.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn a_data_directory_already_served_is_refused_and_the_first_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let sub = ledger_with_a_subscription(&server).await;
    let line = error_line(&refused_serve(&data, &[]));
    assert!(
        line.contains("already in use by process") && line.contains(&server.child.id().to_string()),
        "{line}"
    );
    // `exec` writes the log too: the same refusal.
    let exec = subledger()
        .arg("exec")
        .arg("--data-dir")
        .arg(&data)
        .args(["--as", &server.token])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(exec.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&exec.stderr).contains("already in use by process"),
        "{}",
        String::from_utf8_lossy(&exec.stderr)
    );
    assert_eq!(server.command(&add_seats(&sub, 1)).await.0, 200);
    assert_eq!(seats(&server, &sub).await, 11);
}

#[tokio::test]
async fn a_data_directory_without_a_parent_or_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("typo").join("data");
    let line = error_line(&refused_serve(&nested, &[]));
    assert!(
        line.contains("does not exist, nor does its parent"),
        "{line}"
    );
    assert!(!dir.path().join("typo").exists(), "nothing was made");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let line = error_line(&refused_serve(&file, &[]));
    assert!(line.contains("is not a directory"), "{line}");
}

/// A tmpfs of `size` mounted at `at`, unmounted when dropped.
#[cfg_attr(not(mount_tests), allow(dead_code))]
struct Mount(PathBuf);

#[cfg_attr(not(mount_tests), allow(dead_code))]
impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount a tmpfs at {}", at.display());
        Mount(at.to_owned())
    }

    fn read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // Lazy: a server still dying keeps it busy for a moment.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` to the last byte but `slack`; the filler's path.
#[cfg_attr(not(mount_tests), allow(dead_code))]
fn fill(dir: &Path, slack: u64) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling {}: {e}", dir.display()),
        }
    }
    // The last partial block, byte by byte.
    while let Ok(1) = f.write(&[0]) {}
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(slack)).unwrap();
    path
}

#[tokio::test]
#[cfg_attr(not(mount_tests), ignore = "needs a tmpfs mount: see scripts/test.sh")]
async fn a_full_disk_is_a_retryable_503_loses_nothing_acknowledged_and_heals_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = Mount::tmpfs(&dir.path().join("mnt"), "8m");
    let data = mnt.0.join("data");
    let mut server = Server::start(&data);
    let sub = ledger_with_a_subscription(&server).await;
    // Room for a few commands: some are acknowledged as the disk fills up.
    let filler = fill(&mnt.0, 256 * 1024);

    // Four clients at once (so group commits hold several commands) until the disk
    // refuses two rounds whole (SQLite's WAL may still have room for a few). Every
    // answer is a 200 or a 503 StorageFull: never a 500.
    let mut acknowledged = 0u64;
    let mut refused: Vec<Value> = Vec::new();
    let mut whole_rounds_refused = 0;
    for _ in 0..150 {
        let round: Vec<Value> = (0..4).map(|_| add_seats(&sub, 1)).collect();
        let answers = futures::future::join_all(round.iter().map(|command| async {
            let r = server
                .client
                .post(server.url("/v1/commands"))
                .bearer_auth(&server.token)
                .json(command)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry_after = r.headers().get("retry-after").cloned();
            (status, retry_after, r.json::<Value>().await.unwrap())
        }))
        .await;
        let mut refused_now = 0;
        for (command, (status, retry_after, body)) in round.into_iter().zip(answers) {
            match status {
                200 => acknowledged += 1,
                503 => {
                    assert_eq!(body["error"]["code"], "StorageFull", "{body}");
                    assert_eq!(body["error"]["rule"], "API", "{body}");
                    assert_eq!(body["error"]["details"]["retryable"], true, "{body}");
                    let after = retry_after.expect("Retry-After on a 503");
                    assert_eq!(
                        after.to_str().unwrap(),
                        body["error"]["details"]["retry_after_s"].to_string()
                    );
                    refused.push(command);
                    refused_now += 1;
                }
                other => panic!("a full disk answered {other}: {body}"),
            }
        }
        whole_rounds_refused = if refused_now == 4 {
            whole_rounds_refused + 1
        } else {
            0
        };
        if whole_rounds_refused == 2 {
            break;
        }
    }
    assert_eq!(
        whole_rounds_refused, 2,
        "the full disk never refused a command"
    );
    eprintln!(
        "the full disk: {acknowledged} commands acknowledged, {} refused",
        refused.len()
    );
    assert!(acknowledged > 0, "the slack left room for no command");
    // The server stays up meanwhile.
    assert_eq!(server.get("/healthz").await.0, 200);

    // Space returns. The refused commands wrote nothing; sent again (same ids) they
    // now go through, without a restart.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(seats(&server, &sub).await, 10 + acknowledged);
    for command in &refused {
        let mut status = 0;
        for _ in 0..50 {
            status = server.command(command).await.0;
            if status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200, "after space returned: {command}");
    }
    let expected = 10 + acknowledged + refused.len() as u64;
    assert_eq!(seats(&server, &sub).await, expected);

    // Nothing half-written: after a SIGKILL the log says the same, and the seal
    // (which also met the full disk) verifies it record by record.
    server.kill();
    let server = Server::start(&data);
    assert_eq!(seats(&server, &sub).await, expected);
    drop(server);
    assert_verifies(&data);
}

#[tokio::test]
#[cfg_attr(not(mount_tests), ignore = "needs a tmpfs mount: see scripts/test.sh")]
async fn a_read_only_data_directory_is_refused_before_anything_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = Mount::tmpfs(&dir.path().join("mnt"), "16m");
    let data = mnt.0.join("data");
    {
        let mut server = Server::start(&data);
        ledger_with_a_subscription(&server).await;
        assert!(server.terminate().success());
    }
    mnt.read_only();
    for target in [data.clone(), mnt.0.join("new")] {
        let line = error_line(&refused_serve(&target, &[]));
        assert!(
            line.contains(&format!(
                "the data directory {} is not writable",
                target.display()
            )),
            "{line}"
        );
    }
    // Nothing was written: the files are those the first server left.
    assert!(!mnt.0.join("new").exists());
    // The auditors' check reads it as it is (a read-only snapshot or backup).
    assert_verifies(&data);
}
