//! `subledger history` and `subledger events`: a subscription's timeline and the feed.

use super::*;

#[test]
fn history_is_the_subscription_timeline_in_order() {
    let l = Ledger::build();
    let text = l.ok(&["history", S1]);
    let lines: Vec<&str> = text.lines().collect();
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        types[..5],
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "SeatsAdded",
            "Charged"
        ],
        "{text}"
    );
    assert!(types.contains(&"SubscriptionCancelled"), "{text}");
    assert!(types.contains(&"Credited"), "{text}");
    let instants: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert!(lines.iter().all(|l| l.contains(ALICE)), "{text}");
    assert!(lines[3].contains("seats 5 → 8"), "{}", lines[3]);
    assert!(text.contains("cancelled (requested)"), "{text}");
    assert!(!text.contains(S2), "only S1's events: {text}");

    let json: Value = serde_json::from_str(&l.ok(&["history", S2, "--format", "json"])).unwrap();
    assert_eq!(json["customer_id"], CUSTOMER);
    let events = json["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "KeyRevealed",
            "SoftwareDownloaded",
            "DownloadLinkCopied"
        ]
    );
    let versions: Vec<u64> = events
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    assert_eq!(events[3]["actor"]["user"], ALICE);
    assert!(events[3]["command_id"].is_string());

    let e = l.fails(&["history", &Uuid::new_v4().to_string()], 2);
    assert!(e.contains("no subscription"), "{e}");
    l.fails(&["history", "not-an-id"], 2);
}

/// A child's standard output, line by line, through a channel (to wait with a timeout).
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn events_is_the_unfiltered_feed_and_follows_new_writes() {
    let l = Ledger::build();
    let feed = l.ok(&["events"]);
    let events: Vec<Value> = feed
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    let positions: Vec<u64> = events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(positions.first(), Some(&1));
    // Both partners' customers: the operator's feed is not filtered.
    for customer in [CUSTOMER, OTHER_CUSTOMER] {
        assert!(
            events
                .iter()
                .any(|e| e["stream"] == format!("customer-{customer}"))
        );
    }
    for key in [
        "position",
        "stream",
        "version",
        "event_id",
        "type",
        "at",
        "command_id",
        "actor",
        "data",
    ] {
        assert!(events[0].get(key).is_some(), "{key}: {}", events[0]);
    }
    assert_eq!(events[0]["type"], "CustomerCreated");
    assert_eq!(events[0]["actor"]["user"], ALICE);
    let after: Vec<Value> = l
        .ok(&["events", "--after", "5", "--limit", "2"])
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    assert_eq!(after, events[5..7]);
    l.fails(&["events", "--after", "start"], 2);

    // --follow prints what is written after it started.
    let head = *positions.last().unwrap();
    let mut follower = subledger()
        .args(["events", "--follow", "--after", &head.to_string()])
        .arg("--data-dir")
        .arg(&l.dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut follower);
    std::thread::sleep(Duration::from_millis(300));
    l.exec(
        "tok-admin",
        T2,
        &[json!({"command_id": uuid(), "type": "AddSeats", "subscription_id": S2, "seats": 1})],
    );
    let first = lines.recv_timeout(Duration::from_secs(20));
    let _ = follower.kill();
    let _ = follower.wait();
    let first: Value = serde_json::from_str(&first.expect("a followed event")).unwrap();
    assert_eq!(first["position"], head + 1);
    assert_eq!(first["type"], "SeatsAdded");
    assert_eq!(first["data"]["subscription_id"], S2);
}
