//! The conformance suite against the SQLite backend, with durable (FULL) commits as in
//! production.
use subledger_store::conformance::Capabilities;
use subledger_store::{SqliteConfig, SqliteStore};

async fn sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_with(SqliteConfig::new(dir.path().join("events.db")))
        .expect("open sqlite store");
    (store, dir)
}

subledger_store::conformance_tests!(Capabilities::strict(), sqlite());
