//! Turns `SUBLEDGER_PG_TESTS` (set by `scripts/with-postgres.sh`) into `cfg(pg_tests)`,
//! `SUBLEDGER_UI_TESTS` (set by `scripts/test.sh` once Chromium is installed) into
//! `cfg(ui_tests)` and `SUBLEDGER_MOUNT_TESTS` (set by `scripts/test.sh` when it can
//! mount a tmpfs) into `cfg(mount_tests)`, so the end-to-end tests of several nodes on
//! PostgreSQL, of the web console in a browser and of full or read-only disks are
//! reported as *ignored* when what they need is not there, never as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(ui_tests)");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_PG_TESTS");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_UI_TESTS");
    println!("cargo::rustc-check-cfg=cfg(mount_tests)");
    println!("cargo::rerun-if-env-changed=SUBLEDGER_MOUNT_TESTS");
    if std::env::var_os("SUBLEDGER_MOUNT_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=mount_tests");
    }
    if std::env::var_os("SUBLEDGER_PG_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
    if std::env::var_os("SUBLEDGER_UI_TESTS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=ui_tests");
    }
}
