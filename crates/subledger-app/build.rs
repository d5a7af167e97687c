//! Turns `SUBLEDGER_PG_TESTS` (at build time) into `cfg(pg_tests)`, so that the
//! tests against PostgreSQL are reported as *ignored* when no server is there,
//! instead of passing without having run. `scripts/with-postgres.sh` sets it.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_PG_TESTS");
    if std::env::var_os("SUBLEDGER_PG_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}
