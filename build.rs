//! Turns `SUBLEDGER_PG_TESTS` (set by `scripts/with-postgres.sh`) into `cfg(pg_tests)`,
//! so the end-to-end tests of several nodes on PostgreSQL are reported as *ignored*
//! when no PostgreSQL is there, never as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_PG_TESTS");
    if std::env::var_os("SUBLEDGER_PG_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}
