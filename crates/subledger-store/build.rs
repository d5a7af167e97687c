//! Turns `SUBLEDGER_ESDB_URL` and `SUBLEDGER_PG_TESTS` (at build time) into
//! `cfg(esdb_url_set)` and `cfg(pg_tests)`, so that the EventStoreDB and PostgreSQL
//! tests are reported as *ignored* when no server is there, instead of passing without
//! having run. `scripts/with-postgres.sh` sets `SUBLEDGER_PG_TESTS`.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(esdb_url_set)");
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_ESDB_URL");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_PG_TESTS");
    if std::env::var_os("SUBLEDGER_ESDB_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=esdb_url_set");
    }
    if std::env::var_os("SUBLEDGER_PG_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}
