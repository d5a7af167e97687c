//! The tools never write the log; bad input fails with one line.

use super::*;

#[test]
fn the_tools_never_write_the_log_and_a_missing_data_dir_fails_with_one_line() {
    let l = Ledger::build();
    let before = l.log_files();
    let out = l.dir.parent().unwrap().join("files");
    let out = out.to_str().unwrap();
    let mut printed = String::new();
    for args in [
        vec!["replay"],
        vec!["replay", "--out", out],
        vec!["replay", "--format", "jsonl", "--out", out],
        vec!["export", "subscriptions", "--customer", CUSTOMER],
        vec![
            "export",
            "subscriptions",
            "--customer",
            CUSTOMER,
            "--format",
            "json",
        ],
        vec!["history", S2],
        vec!["history", S2, "--format", "json"],
        vec!["events"],
        audit_admin_2026(Some("json")),
        audit_admin_2026(Some("csv")),
    ] {
        // `run` checks that no key is printed.
        printed.push_str(&l.ok(&args));
    }
    assert!(
        printed.contains("sha256:"),
        "the fingerprint stands in for the key"
    );
    // Nor is it in any file written.
    for entry in std::fs::read_dir(out).unwrap() {
        let text = read(&entry.unwrap().path());
        assert!(!text.contains(&l.key) && !text.contains(&l.other_key));
    }
    assert_eq!(l.log_files(), before, "the log changed");

    let missing = l.dir.parent().unwrap().join("no-such-dir");
    for args in [
        vec!["replay"],
        vec!["export", "subscriptions", "--customer", CUSTOMER],
        vec!["export", "projections", "--out", out],
        vec!["history", S1],
        vec!["events"],
        audit_admin_2026(None),
    ] {
        let output = subledger()
            .args(&args)
            .arg("--data-dir")
            .arg(&missing)
            .output()
            .unwrap();
        let e = one_line_failure(output, &args, 2);
        assert!(e.contains("no data directory"), "{args:?}: {e}");
        assert!(!missing.exists(), "{args:?} created the data directory");
    }
    // A data directory without a log.
    let empty = l.dir.parent().unwrap().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = subledger()
        .args(["events", "--data-dir"])
        .arg(&empty)
        .output()
        .unwrap();
    let e = one_line_failure(output, &["events"], 2);
    assert!(e.contains("no event store"), "{e}");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}
