//! The canonical encoding of a log record and the hashes over it (docs/VERIFY.md §1–2).
//!
//! The encoding is fixed-width big-endian integers and length-prefixed bytes, so
//! that it is trivial to reimplement and has exactly one encoding per record.

use sha2::{Digest, Sha256};
use subledger_store::RecordedEvent;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The chain hash before the first record.
pub const CHAIN_START: Hash = [0; 32];

/// `H("")`: the root of the empty tree (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Appends the canonical encoding of `record` to `out` (the leaf data).
pub fn encode(record: &RecordedEvent, out: &mut Vec<u8>) {
    out.extend_from_slice(&record.position.to_be_bytes());
    put_bytes(out, record.stream.as_bytes());
    out.extend_from_slice(&record.version.to_be_bytes());
    out.extend_from_slice(record.event_id.as_bytes());
    put_bytes(out, record.event_type.as_bytes());
    out.extend_from_slice(&record.schema_version.to_be_bytes());
    put_bytes(out, &record.data);
    put_bytes(out, &record.metadata);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // A record field over 4 GiB cannot be stored by any backend; saturating keeps
    // the function total, and such a length could never verify.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `LH(r) = H(0x00 || leaf_data(r))`. `scratch` is reused between calls.
pub fn leaf_hash(record: &RecordedEvent, scratch: &mut Vec<u8>) -> Hash {
    scratch.clear();
    scratch.push(0x00);
    encode(record, scratch);
    Sha256::digest(&scratch[..]).into()
}

/// `NH(l, r) = H(0x01 || l || r)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// `C_i = H(C_{i-1} || LH_i)`.
pub fn chain_next(previous: &Hash, leaf: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(leaf);
    h.finalize().into()
}

/// Lowercase hex of a hash.
pub fn to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// A hash from 64 hex characters.
pub fn from_hex(text: &str) -> Option<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use uuid::Uuid;

    fn record() -> RecordedEvent {
        RecordedEvent {
            stream: "customer-1".into(),
            version: 2,
            position: 7,
            event_id: Uuid::from_bytes([0xab; 16]),
            event_type: "SeatsAdded".into(),
            schema_version: 1,
            data: Bytes::from_static(b"{\"seats\":3}"),
            metadata: Bytes::new(),
        }
    }

    #[test]
    fn the_encoding_is_the_table_of_verify_md() {
        let mut out = Vec::new();
        encode(&record(), &mut out);
        let expected = [
            "0000000000000007",
            "0000000a",
            &hex::encode("customer-1"),
            "0000000000000002",
            &"ab".repeat(16),
            "0000000a",
            &hex::encode("SeatsAdded"),
            "00000001",
            "0000000b",
            &hex::encode("{\"seats\":3}"),
            "00000000",
        ]
        .concat();
        assert_eq!(hex::encode(&out), expected);
    }

    #[test]
    fn every_field_changes_the_leaf_hash() {
        let mut scratch = Vec::new();
        let base = leaf_hash(&record(), &mut scratch);
        let changes: [fn(&mut RecordedEvent); 8] = [
            |r| r.position += 1,
            |r| r.stream.push('x'),
            |r| r.version += 1,
            |r| r.event_id = Uuid::nil(),
            |r| r.event_type.push('x'),
            |r| r.schema_version += 1,
            |r| r.data = Bytes::from_static(b"{\"seats\":4}"),
            |r| r.metadata = Bytes::from_static(b"{}"),
        ];
        for change in changes {
            let mut r = record();
            change(&mut r);
            assert_ne!(leaf_hash(&r, &mut scratch), base);
        }
    }

    #[test]
    fn a_field_boundary_cannot_move() {
        // Without length prefixes "ab"+"c" and "a"+"bc" would encode alike.
        let mut scratch = Vec::new();
        let mut a = record();
        a.stream = "customer-1S".into();
        a.event_type = "eatsAdded".into();
        assert_ne!(
            leaf_hash(&a, &mut scratch),
            leaf_hash(&record(), &mut scratch)
        );
    }

    #[test]
    fn hex_round_trips() {
        let h = empty_root();
        assert_eq!(
            to_hex(&h),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(from_hex("zz"), None);
    }
}
