//! The conformance suite against the in-memory backend.
use subledger_store::MemoryStore;
use subledger_store::conformance::Capabilities;

subledger_store::conformance_tests!(Capabilities::strict(), async { (MemoryStore::new(), ()) });
