//! Turns `SUBLEDGER_PG_TESTS` (set by `scripts/with-postgres.sh`) into `cfg(pg_tests)`
//! and `SUBLEDGER_UI_TESTS` (set by `scripts/test.sh` once Chromium is installed) into
//! `cfg(ui_tests)`, so the end-to-end tests of several nodes on PostgreSQL and of the
//! web console in a browser are reported as *ignored* when what they need is not
//! there, never as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(ui_tests)");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_PG_TESTS");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_UI_TESTS");
    if std::env::var_os("SUBLEDGER_PG_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
    if std::env::var_os("SUBLEDGER_UI_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=ui_tests");
    }
}
