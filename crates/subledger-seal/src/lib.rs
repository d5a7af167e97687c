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
pub mod checkpoint;
pub mod db;
pub mod sealer;
pub mod state;

pub use checkpoint::{Checkpoint, CheckpointError, KeyError};
pub use db::{SealDb, SealDbError};
pub use sealer::{ConsistencyProof, InclusionProof, Seal, SealError, spawn_sealer};
pub mod verify;
pub use verify::{
    CheckpointToCheck, Problem, Report, Verifier, VerifyInputs, verify_log, verify_sqlite_log,
};
