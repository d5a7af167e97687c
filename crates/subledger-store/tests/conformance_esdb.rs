//! The conformance suite against EventStoreDB / KurrentDB.
//!
//! Needs a server: set `SUBLEDGER_ESDB_URL` (e.g. `esdb://localhost:2113?tls=false`, see
//! `scripts/esdb-conformance.sh`) when building the tests. Without it every test here is
//! reported as *ignored* (not passed). Each test writes under a fresh namespace, so runs
//! never see each other's events.
#![cfg(feature = "eventstoredb")]

use subledger_store::conformance::Capabilities;
use subledger_store::{EsdbConfig, EsdbStore};

async fn esdb() -> (EsdbStore, ()) {
    let Some(url) = std::env::var("SUBLEDGER_ESDB_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        panic!("SUBLEDGER_ESDB_URL is not set at run time: no EventStoreDB to test against");
    };
    let ns = format!("conformance-{}", uuid::Uuid::new_v4().simple());
    let store = EsdbStore::connect(EsdbConfig::new(url).namespace(ns))
        .await
        .expect("connect to EventStoreDB");
    (store, ())
}

subledger_store::conformance_tests!(esdb: Capabilities::eventstoredb(), esdb());
