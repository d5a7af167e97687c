//! subledger's tamper evidence (docs/VERIFY.md): every record of the log gets a
//! leaf hash over its canonical encoding and a hash chained to the previous one; the
//! log is covered by an RFC 9162 Merkle tree; signed checkpoints commit to a size and
//! a root; inclusion and consistency proofs are answered in O(log n).
//!
//! Nothing here is inside an event: the seal lives beside the log (`seal.db`).

#![forbid(unsafe_code)]

pub mod merkle;
pub mod record;

pub use record::Hash;
