//! `subledger audit key-access`: GEN-3 roles, the partner's scope, the range.

use super::*;

#[test]
fn audit_key_access_is_for_gen_3_roles_scoped_to_the_partner_and_the_range() {
    let l = Ledger::build();
    let audit = |who: &str, from: &str, to: &str, format: &str| {
        l.ok(&[
            "audit",
            "key-access",
            "--from",
            from,
            "--to",
            to,
            "--as",
            who,
            "--format",
            format,
        ])
    };
    let table = audit("tok-admin", "2026-01-01", "2026-02-01", "table");
    for word in [
        ALICE,
        "reveal_key",
        "download",
        "copy_link",
        S2,
        "3 entries",
    ] {
        assert!(table.contains(word), "{word}: {table}");
    }
    assert!(!table.contains(OLGA) && !table.contains(S3), "{table}");
    // The actor by user name, CSV with the projections' columns.
    let csv = audit(ALICE, "2026-01-01", "2026-02-01", "csv");
    let rows = csv_lines(&csv);
    assert_eq!(
        rows[0],
        "position,at,user,role,action,partner_id,customer_id,subscription_id,product_id,product_name,version,language,os,command_id"
    );
    assert_eq!(rows.len(), 4);
    assert!(rows[2].contains(&format!(",{T1},{ALICE},admin_agent,download,{P1},")));
    assert!(rows[2].contains(",2022,nl-NL,"), "{}", rows[2]);
    // JSON as the API's: { "entries": [...] }.
    let json: Value =
        serde_json::from_str(&audit("tok-admin", "2026-01-01", "2026-02-01", "json")).unwrap();
    let entries = json["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["reveal_key", "download", "copy_link"]);
    for e in entries {
        assert_eq!(e["user"], ALICE);
        assert_eq!(e["partner_id"], P1);
        assert_eq!(e["subscription_id"], S2);
        assert_eq!(e["at"], T1);
        assert!(e.get("key_fingerprint").is_none());
    }
    // The other partner sees its own entry only.
    let json: Value =
        serde_json::from_str(&audit("tok-other", "2026-01-01", "2026-02-01", "json")).unwrap();
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["user"], OLGA);
    assert_eq!(entries[0]["subscription_id"], S3);
    // [from, to): the end is excluded, the start included.
    let count = |from: &str, to: &str| {
        let json: Value = serde_json::from_str(&audit("tok-admin", from, to, "json")).unwrap();
        json["entries"].as_array().unwrap().len()
    };
    assert_eq!(count("2026-01-01", T1), 0);
    assert_eq!(count(T1, "2026-01-12T09:00:01Z"), 3);
    assert_eq!(count("2026-01-13", "2027-01-01"), 0);
    // GEN-3: a sales agent may not read the log.
    let args = [
        "audit",
        "key-access",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "--as",
        "tok-sales",
    ];
    let e = l.fails(&args, 2);
    assert!(e.contains("GEN-3") && e.contains("global_admin"), "{e}");
    assert!(e.contains("sales_agent"), "{e}");
    // Bad instants, a reversed range, an unknown actor.
    for (from, to) in [
        ("2026-13-01", "2026-02-01"),
        ("2026-01-01", "soon"),
        ("2026-02-01", "2026-01-01"),
    ] {
        let e = l.fails(
            &[
                "audit",
                "key-access",
                "--from",
                from,
                "--to",
                to,
                "--as",
                "tok-admin",
            ],
            2,
        );
        assert!(e.contains("--from") || e.contains("--to"), "{e}");
    }
    l.fails(
        &[
            "audit",
            "key-access",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--as",
            "nobody",
        ],
        2,
    );
}
