//! The conformance suite: one set of checks that every backend must pass.
//!
//! Each check is a public async function taking a fresh store. The
//! [`conformance_tests!`](crate::conformance_tests) macro turns them into one `#[tokio::test]`
//! per check for a given store factory, so a backend's test file is one line:
//!
//! ```ignore
//! subledger_store::conformance_tests!(Capabilities::strict(), async { (MemoryStore::new(), ()) });
//! ```
//!
//! The factory is an expression evaluated once per test, yielding `(store, guard)`; the
//! guard (a temp dir, …) lives as long as the test.
//!
//! The checks panic (like assertions) on the first violation, naming what went wrong.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use uuid::Uuid;

use crate::{AppendResult, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError};

mod appends;
mod claims;
mod reads;

pub use appends::{
    concurrent_appenders_one_stream, empty_append_refused, expected_version_semantics,
    idempotent_reappend,
};
pub use claims::{claims_held_by_one_stream, claims_raced_by_many_streams};
pub use reads::{
    bounded_stream_reads, catch_up_subscription_mid_write, find_event_by_id, large_events,
    read_all_in_commit_order, snapshots, unicode_stream_names,
};

/// What a backend guarantees beyond the common contract.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// Positions are 1-based and gap-free (SQLite, memory). Otherwise only strictly
    /// increasing (EventStoreDB, whose `$all` is shared with other streams).
    pub gap_free_positions: bool,
    /// Event ids are unique across the store, so an id reused in another stream is
    /// detected. EventStoreDB checks ids per stream only.
    pub global_event_ids: bool,
    /// [`EventStore::append_claiming`] enforces unique keys (SQLite, memory). Otherwise
    /// an append with claims must be refused as unsupported, writing nothing.
    pub claims: bool,
}

impl Capabilities {
    /// SQLite, PostgreSQL and memory.
    pub fn strict() -> Self {
        Capabilities {
            gap_free_positions: true,
            global_event_ids: true,
            claims: true,
        }
    }

    /// EventStoreDB.
    pub fn eventstoredb() -> Self {
        Capabilities {
            gap_free_positions: false,
            global_event_ids: false,
            claims: false,
        }
    }
}

/// Generates one `#[tokio::test]` per conformance check.
///
/// `conformance_tests!(caps, factory)` always runs. `conformance_tests!(esdb: caps, factory)`
/// marks the tests ignored unless `SUBLEDGER_ESDB_URL` was set when the tests were built
/// (the crate's build script turns it into `cfg(esdb_url_set)`), so a run without a server
/// reports them as ignored, never as passed. `conformance_tests!(postgres: caps, factory)`
/// does the same with `SUBLEDGER_PG_TESTS` (`cfg(pg_tests)`), set by `scripts/with-postgres.sh`.
#[macro_export]
macro_rules! conformance_tests {
    (esdb: $caps:expr, $make:expr) => {
        $crate::conformance_tests!(@all [
            #[cfg_attr(
                not(esdb_url_set),
                ignore = "SUBLEDGER_ESDB_URL not set: no EventStoreDB to run against"
            )]
        ] $caps, $make);
    };
    (postgres: $caps:expr, $make:expr) => {
        $crate::conformance_tests!(@all [
            #[cfg_attr(
                not(pg_tests),
                ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
            )]
        ] $caps, $make);
    };
    ($caps:expr, $make:expr) => {
        $crate::conformance_tests!(@all [] $caps, $make);
    };
    (@all [$($attr:tt)*] $caps:expr, $make:expr) => {
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, expected_version_semantics);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, concurrent_appenders_one_stream);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, idempotent_reappend);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, read_all_in_commit_order);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, catch_up_subscription_mid_write);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, large_events);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, unicode_stream_names);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, empty_append_refused);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, snapshots);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, find_event_by_id);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, bounded_stream_reads);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, claims_held_by_one_stream);
        $crate::conformance_tests!(@one [$($attr)*] $caps, $make, claims_raced_by_many_streams);
    };
    (@one [$($attr:tt)*] $caps:expr, $make:expr, $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        $($attr)*
        async fn $name() {
            let (store, _guard) = $make.await;
            $crate::conformance::$name(&store, $caps).await;
        }
    };
}

fn json_event(kind: &str, n: u64) -> NewEvent {
    NewEvent::new(
        Uuid::new_v4(),
        kind,
        1,
        format!(r#"{{"n":{n},"kind":"{kind}"}}"#).into_bytes(),
    )
    .with_metadata(format!(r#"{{"test":"conformance","n":{n}}}"#).into_bytes())
}

fn stream_name(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4())
}

/// Waits at most this long for anything asynchronous (subscriptions, task joins).
const PATIENCE: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {PATIENCE:?} waiting for {what}"),
    }
}

async fn join_tasks<T: Send + 'static>(
    what: &str,
    handles: Vec<tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    within(what, futures::future::join_all(handles))
        .await
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())))
        .collect()
}

/// `again` is an idempotent repeat of the fresh append `first`: the same numbers,
/// flagged as a repeat.
fn assert_repeat_of(again: AppendResult, first: AppendResult, what: &str) {
    assert!(
        !first.repeated,
        "{what}: a fresh append is not flagged as a repeat"
    );
    assert!(again.repeated, "{what}: the repeat is flagged as one");
    assert_eq!(
        (again.next_version, again.position),
        (first.next_version, first.position),
        "{what}: the repeat returns the original numbers"
    );
}

fn assert_wev(r: Result<AppendResult, StoreError>, expected: ExpectedVersion, actual: u64) {
    match r {
        Err(StoreError::WrongExpectedVersion {
            expected: e,
            actual: a,
        }) => {
            assert_eq!(e, expected, "WrongExpectedVersion.expected");
            assert_eq!(a, actual, "WrongExpectedVersion.actual");
        }
        other => panic!("expected WrongExpectedVersion {{ {expected}, {actual} }}, got {other:?}"),
    }
}

async fn read_everything<S: EventStore>(store: &S, from: u64) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    let mut pos = from;
    loop {
        let page = store.read_all(pos, 97).await.expect("read_all");
        let Some(last) = page.last() else { break };
        pos = last.position;
        out.extend(page);
    }
    out
}

fn assert_positions(events: &[RecordedEvent], from: u64, caps: Capabilities, what: &str) {
    let mut prev = from;
    for e in events {
        assert!(
            e.position > prev,
            "{what}: position {} does not follow {prev}",
            e.position
        );
        if caps.gap_free_positions {
            assert_eq!(e.position, prev + 1, "{what}: gap after position {prev}");
        }
        prev = e.position;
    }
}
