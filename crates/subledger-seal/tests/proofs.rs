//! Proofs served from the seal as stored (blocks in seal.db, subtrees above them in
//! memory) are the RFC 9162 proofs of the plain list of leaves, for random sizes and
//! random batch splits, across block boundaries and after a reload.

use bytes::Bytes;
use proptest::prelude::*;
use subledger_seal::merkle::{self, LeafList};
use subledger_seal::record::leaf_hash;
use subledger_seal::state::SealState;
use subledger_seal::{Hash, SealDb};
use subledger_store::RecordedEvent;
use uuid::Uuid;

fn record(position: u64) -> RecordedEvent {
    RecordedEvent {
        stream: format!("customer-{}", position % 5),
        version: position / 5 + 1,
        position,
        event_id: Uuid::from_u128(u128::from(position)),
        event_type: "SeatsAdded".into(),
        schema_version: 1,
        data: Bytes::from(format!("{{\"n\":{position}}}")),
        metadata: Bytes::new(),
    }
}

fn ok<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn stored_seal_proofs_are_the_rfc_9162_proofs(
        n in 1u64..4200,
        gap in 1u64..3,
        cuts in proptest::collection::vec(1usize..900, 1..8),
        picks in proptest::collection::vec(any::<u64>(), 6),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("seal.db");
        let mut db = SealDb::open(&path).expect("seal.db");
        // Positions with gaps (as on EventStoreDB) when gap > 1.
        let records: Vec<RecordedEvent> = (1..=n).map(|i| record(i * gap)).collect();
        let leaves: Vec<Hash> = records.iter().map(leaf_hash).collect();
        let mut state = SealState::default();
        let mut start = 0usize;
        let mut cut = cuts.iter().cycle();
        while start < records.len() {
            let end = (start + cut.next().copied().unwrap_or(1)).min(records.len());
            let before = state.size();
            let blocks = state.seal(&records[start..end]).expect("sealed");
            db.write_blocks(before, &blocks).expect("written");
            start = end;
        }
        drop(db);
        let db = SealDb::open(&path).expect("reopened");
        let reloaded = SealState::load(&db).expect("loaded");
        prop_assert_eq!(reloaded.size(), n);
        prop_assert_eq!(reloaded.chain(), state.chain());
        let list = LeafList(leaves.clone());
        let size = picks[0] % n + 1;
        let index = picks[1] % size;
        let from = picks[2] % size + 1;
        for s in [&state, &reloaded] {
            let tree = s.tree(&db);
            prop_assert_eq!(merkle::root(&tree, size).expect("root"), ok(merkle::root(&list, size)));
            prop_assert_eq!(
                merkle::inclusion_path(&tree, index, size).expect("path"),
                ok(merkle::inclusion_path(&list, index, size))
            );
            prop_assert_eq!(
                merkle::consistency_proof(&tree, from, size).expect("proof"),
                ok(merkle::consistency_proof(&list, from, size))
            );
            let position = records[index as usize].position;
            prop_assert_eq!(s.leaf_index(&db, position).expect("index"), Some(index));
            if gap > 1 {
                prop_assert_eq!(s.leaf_index(&db, position + 1).expect("index"), None);
            }
        }
    }
}
