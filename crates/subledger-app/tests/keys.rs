//! Software keys through the command path (KEY-1): the key only in the reveal's
//! response, its fingerprint in the log, and a key issued only for an accepted reveal.

mod support;

use serde_json::json;
use subledger_app::CommandError;

use support::{CUSTOMER, Rig, cmd, create_customer, req};

#[tokio::test]
async fn key_1_the_key_is_in_the_response_and_nowhere_in_the_log() {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = ledger
        .execute(req(2, cmd(json!({"type": "Purchase", "customer_id": CUSTOMER, "items": [
            {"product_id": "windows-server-2022-standard", "quantity": 2, "term": "P1Y", "billing": "annual"}]}))))
        .await
        .unwrap()
        .subscription_ids[0];
    let reveal = cmd(json!({"type": "RevealKey", "subscription_id": sub, "version": "2022"}));
    let first = ledger.execute(req(3, reveal.clone())).await.unwrap();
    let key = first.key.clone().expect("a key");
    assert_eq!(key.len(), 29);
    let again = ledger.execute(req(3, reveal)).await.unwrap();
    assert_eq!(
        serde_json::to_vec(&first).unwrap(),
        serde_json::to_vec(&again).unwrap()
    );
    let all = ledger.store().read_all(0, 1000).await.unwrap();
    for r in &all {
        assert!(
            !String::from_utf8_lossy(&r.data).contains(&key),
            "key in event data"
        );
        assert!(
            !String::from_utf8_lossy(&r.metadata).contains(&key),
            "key in metadata"
        );
    }
    let events: String = first
        .events
        .iter()
        .map(|e| e.data.get().to_owned())
        .collect();
    assert!(events.contains("sha256:") && !events.contains(&key));
}

#[tokio::test]
async fn key_1_a_refused_reveal_issues_no_key_and_an_accepted_one_records_the_fingerprint_of_the_key_shown()
 {
    let rig = Rig::new();
    let ledger = rig.ledger().await;
    ledger.execute(req(1, create_customer())).await.unwrap();
    let sub = ledger
        .execute(req(2, cmd(json!({"type": "Purchase", "customer_id": CUSTOMER, "items": [
            {"product_id": "windows-server-2022-standard", "quantity": 2, "term": "P1Y", "billing": "annual"}]}))))
        .await
        .unwrap()
        .subscription_ids[0];
    let issued = || {
        let vault = rusqlite::Connection::open(rig.path.join("keys.db")).unwrap();
        vault
            .query_row("SELECT count(*) FROM software_keys", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap()
    };
    let kms = cmd(json!({"type": "RevealKey", "subscription_id": sub, "key_type": "KMS"}));
    assert!(matches!(
        ledger.execute(req(3, kms)).await,
        Err(CommandError::Rejected(r)) if r.code == "KmsNotAllowed"
    ));
    let mut dry = req(4, cmd(json!({"type": "RevealKey", "subscription_id": sub})));
    dry.dry_run = true;
    assert_eq!(ledger.execute(dry).await.unwrap().key, None);
    assert_eq!(issued(), 0, "no key for a refused reveal or a dry run");

    let reveal = ledger
        .execute(req(
            5,
            cmd(json!({"type": "RevealKey", "subscription_id": sub})),
        ))
        .await
        .unwrap();
    assert_eq!(issued(), 1);
    let key = reveal.key.clone().expect("a key");
    let recorded: serde_json::Value = serde_json::from_str(reveal.events[0].data.get()).unwrap();
    assert_eq!(
        recorded["key_fingerprint"],
        subledger_app::keys::fingerprint(&key)
    );
    let again = ledger
        .execute(req(
            6,
            cmd(json!({"type": "RevealKey", "subscription_id": sub})),
        ))
        .await
        .unwrap();
    assert_eq!(again.key, Some(key), "one key per subscription");
    assert_eq!(issued(), 1);
}
