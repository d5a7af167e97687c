//! `subledger simulate` (the real binary): the same seed gives the same events,
//! every invariant of RULES.md holds afterwards, a replay reproduces the live
//! projections, and a long simulation runs without a single internal error.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

mod common;

use subledger_app::{ReplayOptions, replay};
use subledger_domain::{Catalog, invariants};
use subledger_projections::ProjectionDb;
use subledger_projections::export::{Format, write_all};
use subledger_store::{EventStore, RecordedEvent, SqliteStore};

fn simulate(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_subledger"))
        .arg("simulate")
        .arg("--data-dir")
        .arg(dir)
        .args(["--durability", "normal", "--quiet"])
        .args(args)
        .output()
        .expect("run subledger simulate");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "simulate failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn figure(summary: &str, name: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {summary}"))
}

/// Every stream's records in stream order (global interleaving may differ
/// between runs: customers act concurrently).
async fn streams(dir: &Path) -> BTreeMap<String, Vec<RecordedEvent>> {
    let store = SqliteStore::open_read_only(dir.join("events.db")).unwrap();
    let all = store.read_all(0, usize::MAX).await.unwrap();
    let mut by_stream: BTreeMap<String, Vec<RecordedEvent>> = BTreeMap::new();
    for mut r in all {
        r.position = 0;
        by_stream.entry(r.stream.clone()).or_default().push(r);
    }
    by_stream
}

#[tokio::test]
async fn the_same_seed_gives_the_same_events_ids_included_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let args = ["--customers", "60", "--days", "120", "--seed", "42"];
    let first = simulate(a.path(), &args);
    simulate(b.path(), &args);
    simulate(
        c.path(),
        &["--customers", "60", "--days", "120", "--seed", "43"],
    );
    assert!(figure(&first, "events_written") > 1_000, "{first}");
    let (sa, sb, sc) = (
        streams(a.path()).await,
        streams(b.path()).await,
        streams(c.path()).await,
    );
    assert_eq!(sa.len(), 60);
    assert!(sa == sb, "two runs with one seed wrote different events");
    assert!(sa != sc, "another seed wrote the same events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_simulation_every_invariant_holds_and_a_replay_equals_the_live_projections() {
    let dir = tempfile::tempdir().unwrap();
    let summary = simulate(
        dir.path(),
        &["--customers", "150", "--days", "400", "--seed", "7"],
    );
    assert_eq!(figure(&summary, "failures"), 0);
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open_read_only(dir.path().join("events.db")).unwrap());
    let (model, _) = replay(store, ReplayOptions::default(), |_, _| {})
        .await
        .unwrap();
    let catalog = Catalog::default_catalog();
    for (id, entry) in &model.customers {
        let broken = invariants::check(&entry.state);
        assert!(broken.is_empty(), "customer {id}: {broken:?}");
        let limits = invariants::addon_limits(&entry.state, &catalog);
        assert!(limits.is_empty(), "customer {id}: {limits:?}");
    }
    // Every kind of activity happened.
    for kind in [
        "OrderPlaced",
        "SeatsAdded",
        "SeatsReduced",
        "SubscriptionSuspended",
        "SubscriptionReactivated",
        "SubscriptionUpgraded",
        "SubscriptionCancelled",
        "SubscriptionRenewed",
        "TrialConverted",
        "TransferAccepted",
        "SubscriptionTransferred",
        "KeyRevealed",
        "SoftwareDownloaded",
        "DownloadLinkCopied",
        "Credited",
    ] {
        assert!(
            model.per_type.get(kind).copied().unwrap_or(0) > 0,
            "no {kind}: {:?}",
            model.per_type
        );
    }
    // The simulation left the projections caught up; a replay gives the same files.
    let live = ProjectionDb::open_read_only(dir.path().join("projections.db"))
        .unwrap()
        .expect("projections")
        .load_model()
        .unwrap();
    assert_eq!(live.position, model.position);
    let at = model.last_at.unwrap();
    let (x, y) = (dir.path().join("live"), dir.path().join("replay"));
    let a = write_all(&x, &live, at, Format::Csv).unwrap();
    let b = write_all(&y, &model, at, Format::Csv).unwrap();
    for (p, q) in a.iter().zip(&b) {
        assert!(
            std::fs::read(p).unwrap() == std::fs::read(q).unwrap(),
            "{} differs",
            p.display()
        );
    }
}

#[test]
fn a_thousand_customers_over_two_years_without_a_single_internal_error() {
    let dir = tempfile::tempdir().unwrap();
    let summary = simulate(
        dir.path(),
        &["--customers", "1000", "--days", "730", "--seed", "2"],
    );
    assert_eq!(figure(&summary, "failures"), 0, "{summary}");
    assert!(figure(&summary, "commands") > 50_000, "{summary}");
    // Every kind of command was sent and some of each kind accepted; refusals
    // on purpose are real refusals, by their codes.
    let on_purpose = [
        "SeatReductionWindowClosed",
        "UpgradePathUnsupported",
        "KmsNotAllowed",
        "CancellationWindowClosed",
    ];
    let expected = subledger_domain::Command::TYPE_NAMES
        .iter()
        .map(|kind| format!("accepted.{kind}"))
        .chain(on_purpose.iter().map(|code| format!("refused.{code}")));
    for name in expected {
        assert!(figure(&summary, &name) > 0, "{name}: {summary}");
    }
    let refused = figure(&summary, "refused");
    assert!(
        refused * 100 < figure(&summary, "commands") * 25,
        "partners mostly send what the rules allow: {summary}"
    );
}

/// Each stream's events as (id, type, payload): what the rules decided,
/// without the envelope (over HTTP the actor is the token's, with all roles)
/// and without key fingerprints (a simulation's key vault is seeded, a server's
/// keys are its own).
async fn decided(dir: &Path) -> BTreeMap<String, Vec<(uuid::Uuid, String, String)>> {
    streams(dir)
        .await
        .into_iter()
        .map(|(stream, records)| {
            let events = records
                .into_iter()
                .map(|r| {
                    let mut data: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
                    if let Some(fields) = data.as_object_mut() {
                        fields.remove("key_fingerprint");
                    }
                    (r.event_id, r.event_type, data.to_string())
                })
                .collect();
            (stream, events)
        })
        .collect()
}

#[tokio::test]
async fn over_http_the_same_simulation_writes_the_same_events_without_a_single_5xx() {
    let (local, remote) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = [
        "--customers",
        "80",
        "--days",
        "240",
        "--seed",
        "11",
        "--partners",
        "3",
    ];
    let in_process = simulate(local.path(), &args);
    simulate(remote.path(), &[&args[..], &["--write-auth"]].concat());
    let mut server = common::Server::start_with(
        remote.path(),
        &["--clock", "simulated", "--now", "2025-01-01T00:00:00Z"],
    );
    let over_http = simulate(
        remote.path(),
        &[&args[..], &["--via", &server.base]].concat(),
    );
    server.terminate();
    // A 5xx or a transport error is a failure, and a failure fails the run.
    assert_eq!(figure(&over_http, "failures"), 0, "{over_http}");
    // Customers accept relationships with their own tokens.
    assert!(
        figure(&over_http, "accepted.AcceptRelationship") > 0,
        "{over_http}"
    );
    for name in ["commands", "accepted", "refused", "events_written"] {
        assert_eq!(
            figure(&over_http, name),
            figure(&in_process, name),
            "{name}: in process {in_process}, over HTTP {over_http}"
        );
    }
    let (remote, local) = (decided(remote.path()).await, decided(local.path()).await);
    assert_eq!(remote.len(), local.len(), "streams");
    for (stream, events) in &local {
        let other = &remote[stream];
        for (i, (a, b)) in events.iter().zip(other).enumerate() {
            assert_eq!(
                a,
                b,
                "{stream}, event {}: in process (left), over HTTP (right)",
                i + 1
            );
        }
        assert_eq!(events.len(), other.len(), "{stream}: events");
    }
}

#[test]
fn an_existing_log_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    simulate(dir.path(), &["--customers", "3", "--days", "5"]);
    let before = std::fs::metadata(dir.path().join("events.db"))
        .unwrap()
        .len();
    let out = Command::new(env!("CARGO_BIN_EXE_subledger"))
        .args(["simulate", "--customers", "3", "--days", "5", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already holds a log"), "{err}");
    assert_eq!(
        std::fs::metadata(dir.path().join("events.db"))
            .unwrap()
            .len(),
        before
    );
}
