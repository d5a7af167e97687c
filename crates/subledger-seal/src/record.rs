//! The canonical encoding of a log record and the hashes over it (docs/VERIFY.md §1–2).
//!
//! The encoding is fixed-width big-endian integers and length-prefixed bytes, so
//! that it is trivial to reimplement and has exactly one encoding per record.

use sha2::{Digest, Sha256};
use subledger_store::{RecordRef, RecordedEvent};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The chain hash before the first record.
pub const CHAIN_START: Hash = [0; 32];

/// `H("")`: the root of the empty tree (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Appends the canonical encoding of `record` to `out` (the leaf data).
pub fn encode(record: &RecordRef<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(&record.position.to_be_bytes());
    put_bytes(out, record.stream.as_bytes());
    out.extend_from_slice(&record.version.to_be_bytes());
    out.extend_from_slice(record.event_id);
    put_bytes(out, record.event_type.as_bytes());
    out.extend_from_slice(&record.schema_version.to_be_bytes());
    put_bytes(out, record.data);
    put_bytes(out, record.metadata);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&length(bytes));
    out.extend_from_slice(bytes);
}

/// A field's length prefix. A record field over 4 GiB cannot be stored by any
/// backend; saturating keeps the function total, and such a length could never verify.
fn length(bytes: &[u8]) -> [u8; 4] {
    u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes()
}

/// `LH(r) = H(0x00 || leaf_data(r))`.
pub fn leaf_hash(record: &RecordedEvent) -> Hash {
    leaf_hash_of(&RecordRef::from(record))
}

/// [`leaf_hash`] of a borrowed row: the encoding is fed to the hash field by field,
/// never copied.
pub fn leaf_hash_of(record: &RecordRef<'_>) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(record.position.to_be_bytes());
    h.update(length(record.stream.as_bytes()));
    h.update(record.stream.as_bytes());
    h.update(record.version.to_be_bytes());
    h.update(record.event_id);
    h.update(length(record.event_type.as_bytes()));
    h.update(record.event_type.as_bytes());
    h.update(record.schema_version.to_be_bytes());
    h.update(length(record.data));
    h.update(record.data);
    h.update(length(record.metadata));
    h.update(record.metadata);
    h.finalize().into()
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
        encode(&RecordRef::from(&record()), &mut out);
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
    fn the_leaf_hash_is_the_hash_of_the_encoding() {
        let mut leaf_data = vec![0x00];
        encode(&RecordRef::from(&record()), &mut leaf_data);
        let expected: Hash = Sha256::digest(&leaf_data).into();
        assert_eq!(leaf_hash(&record()), expected);
    }

    #[test]
    fn every_field_changes_the_leaf_hash() {
        let base = leaf_hash(&record());
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
            assert_ne!(leaf_hash(&r), base);
        }
    }

    #[test]
    fn a_field_boundary_cannot_move() {
        // Without length prefixes "ab"+"c" and "a"+"bc" would encode alike.
        let mut a = record();
        a.stream = "customer-1S".into();
        a.event_type = "eatsAdded".into();
        assert_ne!(leaf_hash(&a), leaf_hash(&record()));
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
