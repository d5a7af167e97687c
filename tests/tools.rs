//! The analysts' and auditors' tools, run as the real binary over a data
//! directory built with `subledger exec`: `replay`, `export`, `audit key-access`,
//! `history` and `events`. Besides what each prints, they must never write to the
//! log, never print a software key, and fail on bad input with one line.

mod common;

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

#[test]
fn replay_rebuilds_the_files_reproducibly_and_as_of_shows_the_earlier_state() {
    let l = Ledger::build();
    let out_dir = l.dir.parent().unwrap().join("replay-csv");
    let summary = l.ok(&["replay", "--out", out_dir.to_str().unwrap()]);
    let feed = l.ok(&["events"]);
    let events = feed.lines().count();
    assert!(
        summary.contains(&format!("events read: {events} (up to position {events})")),
        "{summary}"
    );
    assert!(
        summary.lines().any(|line| line
            .strip_prefix("replay_events_per_s ")
            .is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0))),
        "{summary}"
    );
    assert!(summary.contains("  KeyRevealed"), "{summary}");
    assert!(
        summary.contains(&format!("views as of: {T2} (the latest event replayed)")),
        "{summary}"
    );
    let file = |name: &str| read(&out_dir.join(format!("{name}.csv")));
    let subs = file("subscriptions");
    let rows = csv_lines(&subs);
    assert!(
        rows[0].starts_with("customer_id,subscription_id,"),
        "{subs}"
    );
    let s1 = rows.iter().find(|r| r.contains(S1)).expect("S1");
    assert!(s1.contains(",8,cancelled,"), "{s1}");
    let s2 = rows.iter().find(|r| r.contains(S2)).expect("S2");
    assert!(s2.contains(",2,active,"), "{s2}");
    assert_eq!(rows.len(), 4, "header and three subscriptions: {subs}");
    let orders = file("orders");
    assert!(orders.contains(S1) && orders.contains(S2) && orders.contains(S3));
    let lines = file("billing-lines");
    for (kind, reason) in [
        ("charge", "purchase"),
        ("charge", "seats_added"),
        ("credit", "cancelled"),
    ] {
        assert!(
            csv_lines(&lines)
                .iter()
                .any(|r| r.contains(S1) && r.contains(&format!(",{kind},{reason},"))),
            "{kind} {reason}: {lines}"
        );
    }
    assert!(csv_lines(&file("billing-totals")).len() >= 3);
    let access = file("key-access");
    let access = csv_lines(&access);
    assert_eq!(access.len(), 5, "header and four entries: {access:?}");
    for (action, row) in ["reveal_key", "download", "copy_link"]
        .iter()
        .zip(&access[1..4])
    {
        assert!(
            row.contains(&format!(",{ALICE},admin_agent,{action},{P1},")) && row.contains(S2),
            "{row}"
        );
    }
    assert!(access[4].contains(OLGA) && access[4].contains(S3));

    // The same log gives the same bytes, whatever the number of workers.
    let again = l.dir.parent().unwrap().join("replay-again");
    l.ok(&["replay", "--workers", "1", "--out", again.to_str().unwrap()]);
    for name in FILES {
        let name = format!("{name}.csv");
        assert_eq!(
            read(&out_dir.join(&name)),
            read(&again.join(&name)),
            "{name}"
        );
    }

    // JSON lines.
    let jsonl = l.dir.parent().unwrap().join("replay-jsonl");
    l.ok(&[
        "replay",
        "--format",
        "jsonl",
        "--out",
        jsonl.to_str().unwrap(),
    ]);
    for name in FILES {
        let text = read(&jsonl.join(format!("{name}.jsonl")));
        for line in text.lines() {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
        }
    }
    let access = read(&jsonl.join("key-access.jsonl"));
    let actions: Vec<Value> = access
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["action"].clone())
        .collect();
    assert_eq!(
        actions,
        ["reveal_key", "download", "copy_link", "reveal_key"]
    );

    // As of a day after the purchase: 5 seats, no keys touched, purchases only.
    let early = l.dir.parent().unwrap().join("replay-early");
    let summary = l.ok(&[
        "replay",
        "--as-of",
        "2026-01-11",
        "--out",
        early.to_str().unwrap(),
    ]);
    assert!(
        summary.contains("views as of: 2026-01-11T00:00:00Z (--as-of)"),
        "{summary}"
    );
    let subs = read(&early.join("subscriptions.csv"));
    let rows = csv_lines(&subs);
    assert_eq!(rows.len(), 3, "{subs}");
    let s1 = rows.iter().find(|r| r.contains(S1)).expect("S1");
    assert!(s1.contains(",5,active,"), "{s1}");
    assert_eq!(csv_lines(&read(&early.join("key-access.csv"))).len(), 1);
    let lines = read(&early.join("billing-lines.csv"));
    let lines = csv_lines(&lines);
    assert_eq!(lines.len(), 3, "two purchase charges: {lines:?}");
    assert!(lines[1..].iter().all(|r| r.contains(",charge,purchase,")));

    l.fails(&["replay", "--as-of", "last tuesday"], 2);
    l.fails(&["replay", "--workers", "0"], 2);
}

#[tokio::test]
async fn export_subscriptions_is_the_view_3_csv_of_the_api_now_and_as_of() {
    let l = Ledger::build();
    let now = l.ok(&["export", "subscriptions", "--customer", CUSTOMER]);
    let rows = csv_lines(&now);
    assert_eq!(
        rows[0],
        "subscription_id,name,quantity,status,billing_cycle,promotion,reseller"
    );
    assert_eq!(rows.len(), 3, "{now}");
    assert_eq!(
        rows[1],
        format!("{S1},Microsoft 365 E3,8,cancelled; auto-renew off,monthly,none,none")
    );
    assert!(
        rows[2].starts_with(&format!(
            "{S2},Windows Server 2022 Standard - 16 Core License Pack,2,active; auto-renew on; renews 2027-01-10,annual,"
        )),
        "{}",
        rows[2]
    );
    let early = l.ok(&[
        "export",
        "subscriptions",
        "--customer",
        CUSTOMER,
        "--as-of",
        "2026-01-11T00:00:00Z",
    ]);
    assert_eq!(
        csv_lines(&early)[1],
        format!(
            "{S1},Microsoft 365 E3,5,active; auto-renew on; renews 2027-01-10,monthly,none,none"
        )
    );
    // Another partner's filter leaves the header alone.
    let none = l.ok(&[
        "export",
        "subscriptions",
        "--customer",
        CUSTOMER,
        "--partner",
        P2,
    ]);
    assert_eq!(csv_lines(&none).len(), 1);
    // JSON: the subscription views.
    let views: Value = serde_json::from_str(&l.ok(&[
        "export",
        "subscriptions",
        "--customer",
        CUSTOMER,
        "--format",
        "json",
        "--as-of",
        "2026-01-11",
    ]))
    .unwrap();
    let views = views.as_array().unwrap();
    assert_eq!(views.len(), 2);
    assert_eq!(views[0]["subscription_id"], S1);
    assert_eq!(views[0]["quantity"], 5);
    assert_eq!(views[0]["status"], "active");
    assert_eq!(views[0]["partner_id"], P1);
    // Unknown and malformed customers, and a customer before it existed.
    let e = l.fails(
        &[
            "export",
            "subscriptions",
            "--customer",
            &Uuid::new_v4().to_string(),
        ],
        2,
    );
    assert!(e.contains("no customer"), "{e}");
    l.fails(&["export", "subscriptions", "--customer", "fabrikam"], 2);
    l.fails(
        &[
            "export",
            "subscriptions",
            "--customer",
            CUSTOMER,
            "--as-of",
            "2026-01-01",
        ],
        2,
    );

    // The same bytes as the API's export, now and as of an instant.
    let server = Server::start_with(&l.dir, &["--clock", "simulated", "--now", T2]);
    for (cli, query) in [
        (&now, "format=csv".to_owned()),
        (&early, "format=csv&as_of=2026-01-11T00:00:00Z".to_owned()),
    ] {
        let r = server
            .client
            .get(server.url(&format!("/v1/customers/{CUSTOMER}/subscriptions?{query}")))
            .bearer_auth("tok-admin")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(&r.text().await.unwrap(), cli, "{query}");
    }
}

#[test]
fn audit_key_access_is_for_gen_3_roles_scoped_to_the_partner_and_the_range() {
    let l = Ledger::build();
    let audit = |who: &str, from: &str, to: &str, format: &str| {
        l.ok(&[
            "audit",
            "key-access",
            "--from",
            from,
            "--to",
            to,
            "--as",
            who,
            "--format",
            format,
        ])
    };
    let table = audit("tok-admin", "2026-01-01", "2026-02-01", "table");
    for word in [
        ALICE,
        "reveal_key",
        "download",
        "copy_link",
        S2,
        "3 entries",
    ] {
        assert!(table.contains(word), "{word}: {table}");
    }
    assert!(!table.contains(OLGA) && !table.contains(S3), "{table}");
    // The actor by user name, CSV with the projections' columns.
    let csv = audit(ALICE, "2026-01-01", "2026-02-01", "csv");
    let rows = csv_lines(&csv);
    assert_eq!(
        rows[0],
        "position,at,user,role,action,partner_id,customer_id,subscription_id,product_id,product_name,version,language,os,command_id"
    );
    assert_eq!(rows.len(), 4);
    assert!(rows[2].contains(&format!(",{T1},{ALICE},admin_agent,download,{P1},")));
    assert!(rows[2].contains(",2022,nl-NL,"), "{}", rows[2]);
    // JSON as the API's: { "entries": [...] }.
    let json: Value =
        serde_json::from_str(&audit("tok-admin", "2026-01-01", "2026-02-01", "json")).unwrap();
    let entries = json["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["reveal_key", "download", "copy_link"]);
    for e in entries {
        assert_eq!(e["user"], ALICE);
        assert_eq!(e["partner_id"], P1);
        assert_eq!(e["subscription_id"], S2);
        assert_eq!(e["at"], T1);
        assert!(e.get("key_fingerprint").is_none());
    }
    // The other partner sees its own entry only.
    let json: Value =
        serde_json::from_str(&audit("tok-other", "2026-01-01", "2026-02-01", "json")).unwrap();
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["user"], OLGA);
    assert_eq!(entries[0]["subscription_id"], S3);
    // [from, to): the end is excluded, the start included.
    let count = |from: &str, to: &str| {
        let json: Value = serde_json::from_str(&audit("tok-admin", from, to, "json")).unwrap();
        json["entries"].as_array().unwrap().len()
    };
    assert_eq!(count("2026-01-01", T1), 0);
    assert_eq!(count(T1, "2026-01-12T09:00:01Z"), 3);
    assert_eq!(count("2026-01-13", "2027-01-01"), 0);
    // GEN-3: a sales agent may not read the log.
    let args = [
        "audit",
        "key-access",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "--as",
        "tok-sales",
    ];
    let e = l.fails(&args, 2);
    assert!(e.contains("GEN-3") && e.contains("global_admin"), "{e}");
    assert!(e.contains("sales_agent"), "{e}");
    // Bad instants, a reversed range, an unknown actor.
    for (from, to) in [
        ("2026-13-01", "2026-02-01"),
        ("2026-01-01", "soon"),
        ("2026-02-01", "2026-01-01"),
    ] {
        let e = l.fails(
            &[
                "audit",
                "key-access",
                "--from",
                from,
                "--to",
                to,
                "--as",
                "tok-admin",
            ],
            2,
        );
        assert!(e.contains("--from") || e.contains("--to"), "{e}");
    }
    l.fails(
        &[
            "audit",
            "key-access",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--as",
            "nobody",
        ],
        2,
    );
}

#[test]
fn history_is_the_subscription_timeline_in_order() {
    let l = Ledger::build();
    let text = l.ok(&["history", S1]);
    let lines: Vec<&str> = text.lines().collect();
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        types[..5],
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "SeatsAdded",
            "Charged"
        ],
        "{text}"
    );
    assert!(types.contains(&"SubscriptionCancelled"), "{text}");
    assert!(types.contains(&"Credited"), "{text}");
    let instants: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert!(lines.iter().all(|l| l.contains(ALICE)), "{text}");
    assert!(lines[3].contains("seats 5 → 8"), "{}", lines[3]);
    assert!(text.contains("cancelled (requested)"), "{text}");
    assert!(!text.contains(S2), "only S1's events: {text}");

    let json: Value = serde_json::from_str(&l.ok(&["history", S2, "--format", "json"])).unwrap();
    assert_eq!(json["customer_id"], CUSTOMER);
    let events = json["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "KeyRevealed",
            "SoftwareDownloaded",
            "DownloadLinkCopied"
        ]
    );
    let versions: Vec<u64> = events
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    assert_eq!(events[3]["actor"]["user"], ALICE);
    assert!(events[3]["command_id"].is_string());

    let e = l.fails(&["history", &Uuid::new_v4().to_string()], 2);
    assert!(e.contains("no subscription"), "{e}");
    l.fails(&["history", "not-an-id"], 2);
}

/// A child's standard output, line by line, through a channel (to wait with a timeout).
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn events_is_the_unfiltered_feed_and_follows_new_writes() {
    let l = Ledger::build();
    let feed = l.ok(&["events"]);
    let events: Vec<Value> = feed
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    let positions: Vec<u64> = events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(positions.first(), Some(&1));
    // Both partners' customers: the operator's feed is not filtered.
    for customer in [CUSTOMER, OTHER_CUSTOMER] {
        assert!(
            events
                .iter()
                .any(|e| e["stream"] == format!("customer-{customer}"))
        );
    }
    for key in [
        "position",
        "stream",
        "version",
        "event_id",
        "type",
        "at",
        "command_id",
        "actor",
        "data",
    ] {
        assert!(events[0].get(key).is_some(), "{key}: {}", events[0]);
    }
    assert_eq!(events[0]["type"], "CustomerCreated");
    assert_eq!(events[0]["actor"]["user"], ALICE);
    let after: Vec<Value> = l
        .ok(&["events", "--after", "5", "--limit", "2"])
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    assert_eq!(after, events[5..7]);
    l.fails(&["events", "--after", "start"], 2);

    // --follow prints what is written after it started.
    let head = *positions.last().unwrap();
    let mut follower = subledger()
        .args(["events", "--follow", "--after", &head.to_string()])
        .arg("--data-dir")
        .arg(&l.dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut follower);
    std::thread::sleep(Duration::from_millis(300));
    l.exec(
        "tok-admin",
        T2,
        &[json!({"command_id": uuid(), "type": "AddSeats", "subscription_id": S2, "seats": 1})],
    );
    let first = lines.recv_timeout(Duration::from_secs(20));
    let _ = follower.kill();
    let _ = follower.wait();
    let first: Value = serde_json::from_str(&first.expect("a followed event")).unwrap();
    assert_eq!(first["position"], head + 1);
    assert_eq!(first["type"], "SeatsAdded");
    assert_eq!(first["data"]["subscription_id"], S2);
}

#[test]
fn the_tools_never_write_the_log_and_a_missing_data_dir_fails_with_one_line() {
    let l = Ledger::build();
    let before = l.log_files();
    let out = l.dir.parent().unwrap().join("files");
    let out = out.to_str().unwrap();
    let mut printed = String::new();
    for args in [
        vec!["replay"],
        vec!["replay", "--out", out],
        vec!["replay", "--format", "jsonl", "--out", out],
        vec!["export", "subscriptions", "--customer", CUSTOMER],
        vec![
            "export",
            "subscriptions",
            "--customer",
            CUSTOMER,
            "--format",
            "json",
        ],
        vec!["history", S2],
        vec!["history", S2, "--format", "json"],
        vec!["events"],
        vec![
            "audit",
            "key-access",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
            "--as",
            "tok-admin",
            "--format",
            "json",
        ],
        vec![
            "audit",
            "key-access",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
            "--as",
            "tok-admin",
            "--format",
            "csv",
        ],
    ] {
        // `run` checks that no key is printed.
        printed.push_str(&l.ok(&args));
    }
    assert!(
        printed.contains("sha256:"),
        "the fingerprint stands in for the key"
    );
    // Nor is it in any file written.
    for entry in std::fs::read_dir(out).unwrap() {
        let text = read(&entry.unwrap().path());
        assert!(!text.contains(&l.key) && !text.contains(&l.other_key));
    }
    assert_eq!(l.log_files(), before, "the log changed");

    let missing = l.dir.parent().unwrap().join("no-such-dir");
    for args in [
        vec!["replay"],
        vec!["export", "subscriptions", "--customer", CUSTOMER],
        vec!["export", "projections", "--out", out],
        vec!["history", S1],
        vec!["events"],
        vec![
            "audit",
            "key-access",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
            "--as",
            "tok-admin",
        ],
    ] {
        let output = subledger()
            .args(&args)
            .arg("--data-dir")
            .arg(&missing)
            .output()
            .unwrap();
        let e = one_line_failure(output, &args, 2);
        assert!(e.contains("no data directory"), "{args:?}: {e}");
        assert!(!missing.exists(), "{args:?} created the data directory");
    }
    // A data directory without a log.
    let empty = l.dir.parent().unwrap().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = subledger()
        .args(["events", "--data-dir"])
        .arg(&empty)
        .output()
        .unwrap();
    let e = one_line_failure(output, &["events"], 2);
    assert!(e.contains("no event store"), "{e}");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

/// Builds `projections.db` as the server's projection runner does, up to the
/// log's head (this branch's `serve` does not run it yet).
async fn project(dir: &Path) {
    let store: Arc<dyn subledger_store::EventStore> =
        Arc::new(subledger_store::SqliteStore::open_read_only(dir.join("events.db")).unwrap());
    let head = store.last_position().await.unwrap();
    let db =
        Arc::new(subledger_projections::ProjectionDb::open(dir.join("projections.db")).unwrap());
    let (projections, handle) = subledger_app::Projections::spawn(store, db).await.unwrap();
    projections
        .wait_for(head, Duration::from_secs(30))
        .await
        .unwrap();
    handle.abort();
    let _ = handle.await;
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read(&p),
            )
        })
        .collect()
}

#[tokio::test]
async fn export_projections_refuses_without_them_matches_a_replay_and_the_log_completes_them() {
    let l = Ledger::build();
    let root = l.dir.parent().unwrap().to_owned();
    let e = l.fails(
        &[
            "export",
            "projections",
            "--out",
            root.join("p").to_str().unwrap(),
        ],
        2,
    );
    assert!(e.contains("no projections at"), "{e}");
    assert!(!root.join("p").exists());

    project(&l.dir).await;
    for format in ["csv", "jsonl"] {
        let (p, r) = (
            root.join(format!("p-{format}")),
            root.join(format!("r-{format}")),
        );
        let summary = l.ok(&[
            "export",
            "projections",
            "--format",
            format,
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(summary.contains(&format!("views as of: {T2}")), "{summary}");
        l.ok(&["replay", "--format", format, "--out", r.to_str().unwrap()]);
        let (p, r) = (files(&p), files(&r));
        assert_eq!(p.len(), 5);
        assert_eq!(p, r, "the live projections and a replay differ ({format})");
    }

    // Written after the projections' checkpoint: a link copied and a new
    // subscription. The tools read the log past the checkpoint.
    let s4 = "bbbbbbbb-0000-4000-8000-000000000004";
    l.exec(
        "tok-admin",
        "2026-01-16T09:00:00Z",
        &[
            json!({"command_id": uuid(), "type": "CopyDownloadLink", "subscription_id": S2}),
            json!({"command_id": uuid(), "type": "Purchase", "customer_id": CUSTOMER, "items": [
                {"subscription_id": s4, "product_id": "sql-server-2022-standard", "quantity": 1,
                 "term": "P1Y", "billing": "annual"}]}),
        ],
    );
    let json: Value = serde_json::from_str(&l.ok(&[
        "audit",
        "key-access",
        "--from",
        "2026-01-01",
        "--to",
        "2027-01-01",
        "--as",
        "tok-admin",
        "--format",
        "json",
    ]))
    .unwrap();
    let actions: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["reveal_key", "download", "copy_link", "copy_link"]
    );
    let history = l.ok(&["history", s4]);
    assert!(history.contains("SubscriptionCreated"), "{history}");
    assert!(l.ok(&["history", S1]).contains("SeatsAdded"));
    let csv = l.ok(&["export", "subscriptions", "--customer", CUSTOMER]);
    assert!(csv.contains(s4), "{csv}");
}
