//! `subledger replay`: the files it writes, reproducibly, now and as of an instant.

use super::*;

#[test]
fn replay_rebuilds_the_files_reproducibly_and_as_of_shows_the_earlier_state() {
    let l = Ledger::build();
    let out_dir = l.dir.parent().unwrap().join("replay-csv");
    let summary = l.ok(&["replay", "--out", out_dir.to_str().unwrap()]);
    let feed = l.ok(&["events"]);
    let events = feed.lines().count();
    assert!(
        summary.contains(&format!("events read: {events} (up to position {events})")),
        "{summary}"
    );
    assert!(
        summary.lines().any(|line| line
            .strip_prefix("replay_events_per_s ")
            .is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0))),
        "{summary}"
    );
    assert!(summary.contains("  KeyRevealed"), "{summary}");
    assert!(
        summary.contains(&format!("views as of: {T2} (the latest event replayed)")),
        "{summary}"
    );
    let file = |name: &str| read(&out_dir.join(format!("{name}.csv")));
    let subs = file("subscriptions");
    let rows = csv_lines(&subs);
    assert!(
        rows[0].starts_with("customer_id,subscription_id,"),
        "{subs}"
    );
    let s1 = rows.iter().find(|r| r.contains(S1)).expect("S1");
    assert!(s1.contains(",8,cancelled,"), "{s1}");
    let s2 = rows.iter().find(|r| r.contains(S2)).expect("S2");
    assert!(s2.contains(",2,active,"), "{s2}");
    assert_eq!(rows.len(), 4, "header and three subscriptions: {subs}");
    let orders = file("orders");
    assert!(orders.contains(S1) && orders.contains(S2) && orders.contains(S3));
    let lines = file("billing-lines");
    for (kind, reason) in [
        ("charge", "purchase"),
        ("charge", "seats_added"),
        ("credit", "cancelled"),
    ] {
        assert!(
            csv_lines(&lines)
                .iter()
                .any(|r| r.contains(S1) && r.contains(&format!(",{kind},{reason},"))),
            "{kind} {reason}: {lines}"
        );
    }
    assert!(csv_lines(&file("billing-totals")).len() >= 3);
    let access = file("key-access");
    let access = csv_lines(&access);
    assert_eq!(access.len(), 5, "header and four entries: {access:?}");
    for (action, row) in ["reveal_key", "download", "copy_link"]
        .iter()
        .zip(&access[1..4])
    {
        assert!(
            row.contains(&format!(",{ALICE},admin_agent,{action},{P1},")) && row.contains(S2),
            "{row}"
        );
    }
    assert!(access[4].contains(OLGA) && access[4].contains(S3));

    // The same log gives the same bytes, whatever the number of workers.
    let again = l.dir.parent().unwrap().join("replay-again");
    l.ok(&["replay", "--workers", "1", "--out", again.to_str().unwrap()]);
    for name in FILES {
        let name = format!("{name}.csv");
        assert_eq!(
            read(&out_dir.join(&name)),
            read(&again.join(&name)),
            "{name}"
        );
    }

    // JSON lines.
    let jsonl = l.dir.parent().unwrap().join("replay-jsonl");
    l.ok(&[
        "replay",
        "--format",
        "jsonl",
        "--out",
        jsonl.to_str().unwrap(),
    ]);
    for name in FILES {
        let text = read(&jsonl.join(format!("{name}.jsonl")));
        for line in text.lines() {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
        }
    }
    let access = read(&jsonl.join("key-access.jsonl"));
    let actions: Vec<Value> = access
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["action"].clone())
        .collect();
    assert_eq!(
        actions,
        ["reveal_key", "download", "copy_link", "reveal_key"]
    );

    // As of a day after the purchase: 5 seats, no keys touched, purchases only.
    let early = l.dir.parent().unwrap().join("replay-early");
    let summary = l.ok(&[
        "replay",
        "--as-of",
        "2026-01-11",
        "--out",
        early.to_str().unwrap(),
    ]);
    assert!(
        summary.contains("views as of: 2026-01-11T00:00:00Z (--as-of)"),
        "{summary}"
    );
    let subs = read(&early.join("subscriptions.csv"));
    let rows = csv_lines(&subs);
    assert_eq!(rows.len(), 3, "{subs}");
    let s1 = rows.iter().find(|r| r.contains(S1)).expect("S1");
    assert!(s1.contains(",5,active,"), "{s1}");
    assert_eq!(csv_lines(&read(&early.join("key-access.csv"))).len(), 1);
    let lines = read(&early.join("billing-lines.csv"));
    let lines = csv_lines(&lines);
    assert_eq!(lines.len(), 3, "two purchase charges: {lines:?}");
    assert!(lines[1..].iter().all(|r| r.contains(",charge,purchase,")));

    l.fails(&["replay", "--as-of", "last tuesday"], 2);
    l.fails(&["replay", "--workers", "0"], 2);
}
