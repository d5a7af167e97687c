//! The sealer over a real SQLite log: roots, proofs, restarts, two sealers, and
//! the verifier against every way an insider could change the log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use subledger_seal::merkle::{self, LeafList};
use subledger_seal::record::{from_hex, leaf_hash};
use subledger_seal::{
    Checkpoint, CheckpointToCheck, Report, Seal, SealDb, VerifyInputs, verify_log,
    verify_sqlite_log,
};
use subledger_store::{EventStore, ExpectedVersion, NewEvent, SqliteStore};
use uuid::Uuid;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

struct Ledger {
    _dir: tempfile::TempDir,
    events: PathBuf,
    seal: PathBuf,
}

/// A log of `n` events over seven streams, with payloads that differ.
async fn write_log(n: u64) -> (Ledger, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = dir.path().join("events.db");
    let seal = dir.path().join("seal.db");
    let store = SqliteStore::open(&events).expect("store");
    append(&store, 0, n).await;
    (
        Ledger {
            _dir: dir,
            events,
            seal,
        },
        store,
    )
}

async fn append(store: &SqliteStore, from: u64, to: u64) {
    for i in from..to {
        let stream = format!("customer-{}", i % 7);
        let e = NewEvent::new(
            Uuid::new_v4(),
            "SeatsAdded",
            1,
            Bytes::from(format!("{{\"seats\":{i}}}")),
        )
        .with_metadata(Bytes::from_static(b"{\"actor\":\"a\"}"));
        store
            .append(&stream, ExpectedVersion::Any, vec![e])
            .await
            .expect("append");
    }
}

async fn leaves(store: &dyn EventStore) -> Vec<[u8; 32]> {
    store
        .read_all(0, usize::MAX)
        .await
        .expect("read")
        .iter()
        .map(leaf_hash)
        .collect()
}

fn open_seal(path: &Path) -> Arc<Seal> {
    Arc::new(Seal::open(SealDb::open(path).expect("seal.db"), key()).expect("seal"))
}

#[tokio::test]
async fn the_seal_is_the_rfc_9162_tree_of_the_log_and_its_proofs_verify() {
    let (ledger, store) = write_log(2500).await;
    let seal = open_seal(&ledger.seal);
    let cp = seal.checkpoint_now(&store).await.expect("checkpoint");
    assert_eq!(cp.tree_size, 2500);
    let all = leaves(&store).await;
    let list = LeafList(all.clone());
    let root = merkle::root(&list, 2500).expect("root");
    assert_eq!(from_hex(&cp.root_hash), Some(root));
    cp.verify(&key().verifying_key()).expect("signature");
    for (position, size) in [
        (1, 1),
        (1, 2500),
        (1024, 1025),
        (1025, 2048),
        (2500, 2500),
        (777, 1500),
    ] {
        let proof = seal.inclusion(position, size).expect("proof");
        let path: Vec<_> = proof
            .audit_path
            .iter()
            .map(|h| from_hex(h).expect("hex"))
            .collect();
        let size_root = merkle::root(&list, size).expect("root");
        assert_eq!(from_hex(&proof.root_hash), Some(size_root));
        assert!(merkle::verify_inclusion(
            position - 1,
            size,
            &all[position as usize - 1],
            &path,
            &size_root
        ));
    }
    for (from, to) in [(1, 2500), (1024, 2048), (1000, 2049), (2500, 2500), (3, 7)] {
        let proof = seal.consistency(from, to).expect("proof");
        let path: Vec<_> = proof
            .proof
            .iter()
            .map(|h| from_hex(h).expect("hex"))
            .collect();
        let (a, b) = (
            merkle::root(&list, from).expect("a"),
            merkle::root(&list, to).expect("b"),
        );
        assert!(
            merkle::verify_consistency(from, to, &a, &b, &path),
            "{from} -> {to}"
        );
    }
    assert!(seal.inclusion(2501, 2500).is_err());
    assert!(seal.inclusion(1, 2501).is_err());
    assert!(seal.consistency(0, 5).is_err());
    assert!(seal.consistency(6, 5).is_err());
}

#[tokio::test]
async fn a_reopened_seal_continues_where_it_stopped() {
    let (ledger, store) = write_log(1500).await;
    let first = open_seal(&ledger.seal);
    let cp1 = first.checkpoint_now(&store).await.expect("checkpoint");
    drop(first);
    append(&store, 1500, 3100).await;
    let again = open_seal(&ledger.seal);
    assert_eq!(again.sealed_size(), 1500);
    assert_eq!(again.latest(), Some(cp1.clone()));
    let cp2 = again.checkpoint_now(&store).await.expect("checkpoint");
    let all = leaves(&store).await;
    assert_eq!(
        from_hex(&cp2.root_hash),
        Some(merkle::root(&LeafList(all), 3100).expect("root"))
    );
    let proof = again
        .consistency(cp1.tree_size, cp2.tree_size)
        .expect("proof");
    let path: Vec<_> = proof
        .proof
        .iter()
        .map(|h| from_hex(h).expect("hex"))
        .collect();
    assert!(merkle::verify_consistency(
        1500,
        3100,
        &from_hex(&cp1.root_hash).expect("a"),
        &from_hex(&cp2.root_hash).expect("b"),
        &path
    ));
}

#[tokio::test]
async fn two_sealers_on_one_seal_never_seal_a_record_twice() {
    let (ledger, store) = write_log(3000).await;
    let (a, b) = (open_seal(&ledger.seal), open_seal(&ledger.seal));
    let (ra, rb) = tokio::join!(a.catch_up(&store), b.catch_up(&store));
    assert_eq!((ra.expect("a"), rb.expect("b")), (3000, 3000));
    let db = SealDb::open(&ledger.seal).expect("db");
    assert_eq!(db.sealed_size().expect("size"), 3000);
    let report = verify(&ledger, vec![]).await;
    assert!(report.is_clean(), "{report:?}");
}

/// Verifies the log both ways (pages through the store trait, and the SQLite scan
/// on two threads) and checks the two reports agree.
async fn verify(ledger: &Ledger, held: Vec<Checkpoint>) -> Report {
    let store = SqliteStore::open_read_only(&ledger.events).expect("store");
    let held: Vec<CheckpointToCheck> = held
        .into_iter()
        .map(|checkpoint| CheckpointToCheck {
            checkpoint,
            source: "held".into(),
        })
        .collect();
    let inputs = || VerifyInputs {
        seal_path: Some(ledger.seal.clone()),
        held: held.clone(),
        key: Some(key().verifying_key()),
    };
    let paged = verify_log(&store, inputs(), &mut |_, _| {})
        .await
        .expect("verify ran");
    let head = store.last_position().await.expect("head");
    let scanned = verify_sqlite_log(&store, head, inputs(), &mut |_, _| {}).expect("verify ran");
    assert_eq!(paged.problems, scanned.problems);
    assert_eq!(paged.first_bad_position, scanned.first_bad_position);
    assert_eq!(paged.root_hash, scanned.root_hash);
    assert_eq!(paged.records, scanned.records);
    scanned
}

/// A sealed log of 3,000 records with a checkpoint the auditor keeps.
async fn sealed_log() -> (Ledger, Checkpoint) {
    let (ledger, store) = write_log(3000).await;
    let seal = open_seal(&ledger.seal);
    let cp = seal.checkpoint_now(&store).await.expect("checkpoint");
    drop(store);
    (ledger, cp)
}

fn tamper(ledger: &Ledger, sql: &str) {
    let conn = Connection::open(&ledger.events).expect("events.db");
    let changed = conn.execute_batch(sql);
    changed.expect("tampered");
}

fn assert_names(report: &Report, position: u64) {
    assert!(!report.is_clean(), "a tampered log verified: {report:?}");
    assert_eq!(
        report.first_bad_position,
        Some(position),
        "{:#?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.what.contains("held checkpoint")),
        "the auditor's checkpoint did not catch it: {:#?}",
        report.problems
    );
}

#[tokio::test]
async fn a_clean_log_verifies() {
    let (ledger, cp) = sealed_log().await;
    let report = verify(&ledger, vec![cp]).await;
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.records, 3000);
    assert_eq!(
        report.checkpoints_checked, 2,
        "the stored one and the held one"
    );
}

#[tokio::test]
async fn one_changed_payload_byte_is_named() {
    let (ledger, cp) = sealed_log().await;
    tamper(
        &ledger,
        "UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '1234', '1235') AS BLOB) WHERE position = 1235",
    );
    assert_names(&verify(&ledger, vec![cp]).await, 1235);
}

#[tokio::test]
async fn a_deleted_record_is_named() {
    let (ledger, cp) = sealed_log().await;
    tamper(&ledger, "DELETE FROM events WHERE position = 2001");
    assert_names(&verify(&ledger, vec![cp]).await, 2001);
}

#[tokio::test]
async fn two_swapped_records_are_named() {
    let (ledger, cp) = sealed_log().await;
    tamper(
        &ledger,
        "UPDATE events SET data = CASE position WHEN 10 THEN (SELECT data FROM events WHERE position = 20)
                                                 ELSE (SELECT data FROM events WHERE position = 10) END
         WHERE position IN (10, 20)",
    );
    assert_names(&verify(&ledger, vec![cp]).await, 10);
}

#[tokio::test]
async fn a_truncated_tail_is_named() {
    let (ledger, cp) = sealed_log().await;
    tamper(&ledger, "DELETE FROM events WHERE position > 2990");
    assert_names(&verify(&ledger, vec![cp]).await, 2991);
}

#[tokio::test]
async fn a_record_rewritten_with_its_hashes_is_named() {
    let (ledger, cp) = sealed_log().await;
    tamper(
        &ledger,
        "UPDATE events SET data = CAST('{\"seats\":9999}' AS BLOB) WHERE position = 1500",
    );
    // The insider recomputes the record's leaf and chain hash and writes them into
    // its block in seal.db, so that the record agrees with its own hashes.
    let store = SqliteStore::open_read_only(&ledger.events).expect("store");
    let records = store.read_all(1498, 2).await.expect("read");
    let new_leaf = leaf_hash(&records[1]);
    let conn = Connection::open(&ledger.seal).expect("seal.db");
    let (leaves, chains): (Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT leaves, chains FROM blocks WHERE block = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("block");
    let i = (1500 - 1 - 1024) as usize;
    let previous_chain: [u8; 32] = chains[(i - 1) * 32..i * 32].try_into().expect("32");
    let new_chain = subledger_seal::record::chain_next(&previous_chain, &new_leaf);
    let (mut leaves, mut chains) = (leaves, chains);
    leaves[i * 32..(i + 1) * 32].copy_from_slice(&new_leaf);
    chains[i * 32..(i + 1) * 32].copy_from_slice(&new_chain);
    conn.execute(
        "UPDATE blocks SET leaves = ?1, chains = ?2 WHERE block = 1",
        rusqlite::params![leaves, chains],
    )
    .expect("rewritten");
    drop(conn);
    assert_names(&verify(&ledger, vec![cp]).await, 1500);
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_or_altered_is_refused() {
    let (ledger, cp) = sealed_log().await;
    let mut forged = cp.clone();
    forged.tree_size = 2999;
    let report = verify(&ledger, vec![forged]).await;
    assert!(
        report.problems.iter().any(|p| p.what.contains("signature")),
        "{report:?}"
    );
    let other = SigningKey::from_bytes(&[1; 32]);
    let foreign = Checkpoint::sign(
        &other,
        cp.tree_size,
        &from_hex(&cp.root_hash).expect("r"),
        &from_hex(&cp.chain_hash).expect("c"),
        cp.timestamp.clone(),
    );
    let report = verify(&ledger, vec![foreign]).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.what.contains("not by the key given")),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sealer_follows_any_backend_while_writers_write() {
    // The in-memory backend here, SQLite above: the sealer only reads the log.
    let store = Arc::new(subledger_store::MemoryStore::new());
    let dir = tempfile::tempdir().expect("temp dir");
    let seal = open_seal(&dir.path().join("seal.db"));
    let task = subledger_seal::spawn_sealer(
        seal.clone(),
        store.clone() as Arc<dyn EventStore>,
        std::time::Duration::from_millis(50),
    );
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..300u64 {
                    let e = NewEvent::new(
                        Uuid::new_v4(),
                        "SeatsAdded",
                        1,
                        Bytes::from(format!("{{\"w\":{w},\"i\":{i}}}")),
                    );
                    store
                        .append(&format!("customer-{w}"), ExpectedVersion::Any, vec![e])
                        .await
                        .expect("append");
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while seal.latest().is_none_or(|cp| cp.tree_size < 2400) {
        assert!(
            std::time::Instant::now() < deadline,
            "the sealer did not catch up: {:?}",
            seal.latest()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    task.abort();
    let cp = seal.latest().expect("a checkpoint");
    let all = leaves(store.as_ref()).await;
    assert_eq!(
        from_hex(&cp.root_hash),
        Some(merkle::root(&LeafList(all), 2400).expect("root"))
    );
}

#[tokio::test]
async fn a_block_root_that_is_not_its_leaves_is_reported() {
    let (ledger, _) = sealed_log().await;
    let conn = Connection::open(&ledger.seal).expect("seal.db");
    conn.execute("UPDATE blocks SET root = zeroblob(32) WHERE block = 1", [])
        .expect("rewritten");
    drop(conn);
    let report = verify(&ledger, vec![]).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.what.contains("seal.db block 1 (positions 1025 to 2048)")),
        "{report:#?}"
    );
}
