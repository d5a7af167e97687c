//! The analysts' and auditors' tools, run as the real binary over a data
//! directory built with `subledger exec`: `replay`, `export`, `audit key-access`,
//! `history` and `events`. Besides what each prints, they must never write to the
//! log, never print a software key, and fail on bad input with one line.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod export;
mod history;
mod read_only;
mod replay;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::Server;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const P1: &str = "11111111-1111-1111-1111-111111111111";
const P2: &str = "33333333-3333-3333-3333-333333333333";
const ALICE: &str = "alice@contoso.example";
const OLGA: &str = "olga@other.example";
const CUSTOMER: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const OTHER_CUSTOMER: &str = "aaaaaaaa-0000-4000-8000-000000000002";
/// Microsoft 365 E3, 5 seats, then 8, then cancelled.
const S1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
/// Windows Server 2022 Standard (software keys): revealed, downloaded, linked.
const S2: &str = "bbbbbbbb-0000-4000-8000-000000000002";
/// The other partner's Windows Server, whose key it reveals.
const S3: &str = "bbbbbbbb-0000-4000-8000-000000000003";

const T0: &str = "2026-01-10T09:00:00Z";
const T1: &str = "2026-01-12T09:00:00Z";
const T2: &str = "2026-01-15T09:00:00Z";

fn subledger() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_subledger"));
    c.env("RUST_LOG", "warn");
    c
}

/// A data directory with an auth file of three actors and a short history:
/// purchases, added seats, a key revealed, software downloaded, a link copied,
/// a cancellation, and another partner's customer with its own key reveal.
struct Ledger {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    /// The key that partner 1's reveal returned: it must never show again.
    key: String,
    other_key: String,
}

fn uuid() -> String {
    Uuid::new_v4().to_string()
}

impl Ledger {
    fn build() -> Ledger {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        let auth = json!({"tokens": [
            {"token": "tok-admin", "user": ALICE, "partner_id": P1, "roles": ["admin_agent", "global_admin"]},
            {"token": "tok-sales", "user": "sam@contoso.example", "partner_id": P1, "roles": ["sales_agent"]},
            {"token": "tok-other", "user": OLGA, "partner_id": P2, "roles": ["admin_agent", "global_admin"]},
        ]});
        std::fs::write(dir.join("auth.json"), auth.to_string()).unwrap();
        let mut ledger = Ledger {
            _tmp: tmp,
            dir,
            key: String::new(),
            other_key: String::new(),
        };
        ledger.exec("tok-admin", T0, &[
            json!({"command_id": uuid(), "type": "CreateCustomer", "customer_id": CUSTOMER,
                   "company_name": "Fabrikam, Inc.", "domain": "fabrikam.example", "country": "NL",
                   "segment": "commercial"}),
            json!({"command_id": uuid(), "type": "Purchase", "customer_id": CUSTOMER, "items": [
                {"subscription_id": S1, "product_id": "m365-e3", "quantity": 5, "term": "P1Y", "billing": "monthly"},
                {"subscription_id": S2, "product_id": "windows-server-2022-standard", "quantity": 2,
                 "term": "P1Y", "billing": "annual"}]}),
        ]);
        let results = ledger.exec("tok-admin", T1, &[
            json!({"command_id": uuid(), "type": "AddSeats", "subscription_id": S1, "seats": 3}),
            json!({"command_id": uuid(), "type": "RevealKey", "subscription_id": S2, "language": "en-US"}),
            json!({"command_id": uuid(), "type": "DownloadSoftware", "subscription_id": S2,
                   "version": "2022", "language": "nl-NL"}),
            json!({"command_id": uuid(), "type": "CopyDownloadLink", "subscription_id": S2}),
        ]);
        ledger.key = results[1]["key"]
            .as_str()
            .expect("the reveal's key")
            .to_owned();
        assert_eq!(ledger.key.len(), 29, "{}", ledger.key);
        ledger.exec(
            "tok-admin",
            T2,
            &[json!({"command_id": uuid(), "type": "Cancel", "subscription_id": S1})],
        );
        let results = ledger.exec("tok-other", T2, &[
            json!({"command_id": uuid(), "type": "CreateCustomer", "customer_id": OTHER_CUSTOMER,
                   "company_name": "Northwind", "domain": "northwind.example", "country": "BE",
                   "segment": "commercial"}),
            json!({"command_id": uuid(), "type": "Purchase", "customer_id": OTHER_CUSTOMER, "items": [
                {"subscription_id": S3, "product_id": "windows-server-2022-standard", "quantity": 1,
                 "term": "P1Y", "billing": "annual"}]}),
            json!({"command_id": uuid(), "type": "RevealKey", "subscription_id": S3}),
        ]);
        ledger.other_key = results[2]["key"].as_str().expect("a key").to_owned();
        ledger
    }

    /// Applies commands as `token` at the simulated instant `now`; each must pass.
    fn exec(&self, token: &str, now: &str, commands: &[Value]) -> Vec<Value> {
        let mut child = subledger()
            .args(["exec", "--clock", "simulated", "--now", now, "--as", token])
            .arg("--data-dir")
            .arg(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input: Vec<String> = commands.iter().map(Value::to_string).collect();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.join("\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for r in &results {
            assert_eq!(r["status"], 200, "{r}");
        }
        assert_eq!(results.len(), commands.len());
        results
    }

    /// Runs a tool over the data directory.
    fn run(&self, args: &[&str]) -> Output {
        let out = subledger()
            .args(args)
            .arg("--data-dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(&self.key) && !text.contains(&self.other_key),
                "a software key was printed by {args:?}: {text}"
            );
        }
        out
    }

    /// Runs a tool that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a tool that must fail with exit code `code` and one line on
    /// standard error; that line.
    fn fails(&self, args: &[&str], code: i32) -> String {
        one_line_failure(self.run(args), args, code)
    }

    /// The log's files (`events.db`, and `events.db-wal` when it holds frames):
    /// size and hash of each. SQLite's read-only open creates an empty `-wal`
    /// (and `-shm`) beside a database that has none; an empty WAL holds nothing,
    /// so it counts as no WAL.
    fn log_files(&self) -> BTreeMap<&'static str, (usize, String)> {
        ["events.db", "events.db-wal"]
            .into_iter()
            .filter_map(|name| {
                let bytes = std::fs::read(self.dir.join(name)).ok()?;
                (!bytes.is_empty())
                    .then(|| (name, (bytes.len(), format!("{:x}", Sha256::digest(&bytes)))))
            })
            .collect()
    }
}

fn one_line_failure(out: Output, args: &[&str], code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: stdout {} stderr {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: not one line: {stderr}");
    assert!(lines[0].starts_with("subledger: error: "), "{stderr}");
    lines[0].to_owned()
}

fn csv_lines(text: &str) -> Vec<&str> {
    assert!(text.is_empty() || text.ends_with("\r\n"), "CRLF: {text:?}");
    text.split_terminator("\r\n").collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const FILES: [&str; 5] = [
    "subscriptions",
    "orders",
    "billing-lines",
    "billing-totals",
    "key-access",
];

/// `audit key-access` over 2026 as the partner's admin, in `format` (or the default).
fn audit_admin_2026(format: Option<&'static str>) -> Vec<&'static str> {
    let mut args = vec![
        "audit",
        "key-access",
        "--from",
        "2026-01-01",
        "--to",
        "2027-01-01",
        "--as",
        "tok-admin",
    ];
    if let Some(format) = format {
        args.extend(["--format", format]);
    }
    args
}
