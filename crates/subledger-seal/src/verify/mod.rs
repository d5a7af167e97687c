//! The verifier: recomputes the leaf hashes, the chain and the tree from the first
//! record, compares them with what `seal.db` holds, and checks every checkpoint (the
//! stored ones and an auditor's) against the recomputed roots. Records arrive in pages
//! ([`Verifier::feed`]), so the log is read once, in order, in constant memory.

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::db::{Block, SealDbError};
use crate::merkle::Frontier;
use crate::record::{CHAIN_START, Hash, chain_next, to_hex};

mod read;

pub use read::{VerifyInputs, verify_log, verify_sqlite_log};

/// Problems kept in a report at most (the first one is the one that matters).
const MAX_PROBLEMS: usize = 20;

/// One thing that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The log position it points at, when one can be named.
    pub position: Option<u64>,
    pub what: String,
}

/// What the verifier found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Records of the log read.
    pub records: u64,
    /// Records `seal.db` holds (0 without one).
    pub sealed: u64,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints_checked: u64,
    /// The log's root and chain hash over every record read.
    pub root_hash: String,
    pub chain_hash: String,
    /// The first position found bad, if any.
    pub first_bad_position: Option<u64>,
    pub problems: Vec<Problem>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A checkpoint to check, and where it came from.
#[derive(Debug, Clone)]
pub struct CheckpointToCheck {
    pub checkpoint: Checkpoint,
    /// "stored" or the auditor's file name.
    pub source: String,
}

pub(crate) type Blocks<'a> = Box<dyn Iterator<Item = Result<Block, SealDbError>> + 'a>;

/// The verifier's running state.
pub struct Verifier<'a> {
    blocks: Option<Blocks<'a>>,
    block: Option<Block>,
    next_block: u64,
    /// Sealed chain hash of the previous sealed record (the seal's own link check).
    sealed_previous_chain: Hash,
    /// The seal and the log disagree from here on; stop comparing them.
    diverged: bool,
    frontier: Frontier,
    chain: Hash,
    last_position: u64,
    checkpoints: Vec<CheckpointToCheck>,
    next_checkpoint: usize,
    report: Report,
}

impl<'a> Verifier<'a> {
    /// A verifier of a log against `blocks` (the seal, if there is one) and
    /// `checkpoints`, whose signatures are checked with `key` if given.
    pub fn new(
        blocks: Option<Blocks<'a>>,
        sealed: u64,
        mut checkpoints: Vec<CheckpointToCheck>,
        key: Option<&VerifyingKey>,
    ) -> Verifier<'a> {
        let mut report = Report {
            sealed,
            ..Report::default()
        };
        if blocks.is_none() {
            report.notes.push(
                "no seal.db: only the checkpoints were checked against the recomputed log".into(),
            );
        }
        match key {
            Some(key) => checkpoints.retain(|c| match c.checkpoint.verify(key) {
                Ok(()) => true,
                Err(e) => {
                    push(
                        &mut report,
                        None,
                        format!(
                            "{} checkpoint of size {} (signed at {}): {e}",
                            c.source, c.checkpoint.tree_size, c.checkpoint.timestamp
                        ),
                    );
                    false
                }
            }),
            None => report.notes.push(
                "no public key: checkpoint signatures were not checked, only their roots".into(),
            ),
        }
        checkpoints.sort_by_key(|c| c.checkpoint.tree_size);
        let mut verifier = Verifier {
            blocks,
            block: None,
            next_block: 0,
            sealed_previous_chain: CHAIN_START,
            diverged: false,
            frontier: Frontier::default(),
            chain: CHAIN_START,
            last_position: 0,
            checkpoints,
            next_checkpoint: 0,
            report,
        };
        verifier.check_due_checkpoints();
        verifier
    }

    /// Checks the next records of the log, in order, given as their positions and
    /// leaf hashes (hashed elsewhere, e.g. on other cores).
    pub fn feed_leaves(&mut self, leaves: &[(u64, Hash)]) {
        for &(position, leaf) in leaves {
            self.chain = chain_next(&self.chain, &leaf);
            let index = self.frontier.size();
            let block_root = self.frontier.push_noting(leaf, crate::db::BLOCK_LEVEL);
            if position <= self.last_position {
                push(
                    &mut self.report,
                    Some(position),
                    format!(
                        "position {position} comes after position {}: the log is out of order",
                        self.last_position
                    ),
                );
            }
            if !self.diverged {
                self.compare_with_seal(index, position, &leaf);
            }
            if let Some(root) = block_root
                && !self.diverged
            {
                // Every leaf of this block matched the seal, so the recomputed subtree is
                // what the block's stored root must be.
                self.check_block_root(&root);
            }
            self.last_position = position;
            self.check_due_checkpoints();
        }
        self.report.records = self.frontier.size();
    }

    fn sealed_at(&mut self, index: u64) -> Option<(u64, Hash, Hash)> {
        let block_index = index / crate::db::BLOCK;
        if self.block.as_ref().is_none_or(|b| b.index != block_index) {
            self.block = None;
            let blocks = self.blocks.as_mut()?;
            match blocks.next() {
                Some(Ok(b)) if b.index == self.next_block => {
                    self.next_block += 1;
                    self.block = Some(b);
                }
                Some(Ok(b)) => {
                    let what = format!(
                        "seal.db has no block {} (the next one is {})",
                        self.next_block, b.index
                    );
                    self.seal_problem(None, what);
                    return None;
                }
                Some(Err(e)) => {
                    self.seal_problem(None, format!("seal.db cannot be read: {e}"));
                    return None;
                }
                None => return None,
            }
        }
        let b = self.block.as_ref()?;
        let i = (index % crate::db::BLOCK) as usize;
        Some((*b.positions.get(i)?, *b.leaves.get(i)?, *b.chains.get(i)?))
    }

    /// A full block's stored root is what the server's proofs are built from: it
    /// must be the subtree hash of the block's leaves (`recomputed`).
    fn check_block_root(&mut self, recomputed: &Hash) {
        let Some(block) = &self.block else { return };
        if block.root.is_some_and(|stored| stored != *recomputed) {
            let what = format!(
                "seal.db block {} (positions {} to {}): its stored subtree root is not the hash of its leaves, so proofs served from it would not verify",
                block.index,
                block.positions.first().copied().unwrap_or(0),
                block.positions.last().copied().unwrap_or(0)
            );
            push(&mut self.report, None, what);
        }
    }

    fn seal_problem(&mut self, position: Option<u64>, what: String) {
        self.diverged = true;
        push(&mut self.report, position, what);
    }

    fn compare_with_seal(&mut self, index: u64, position: u64, leaf: &Hash) {
        let Some((sealed_position, sealed_leaf, sealed_chain)) = self.sealed_at(index) else {
            return;
        };
        if sealed_position != position {
            let what = if sealed_position < position {
                format!(
                    "the record sealed at position {sealed_position} is missing from the log (record #{} of the log is at position {position})",
                    index + 1
                )
            } else {
                format!(
                    "position {position} was never sealed (the seal's record #{} is at position {sealed_position})",
                    index + 1
                )
            };
            self.seal_problem(Some(sealed_position.min(position)), what);
            return;
        }
        if sealed_leaf != *leaf {
            let what = format!(
                "the record differs from the one sealed (leaf hash {}, sealed {})",
                to_hex(leaf),
                to_hex(&sealed_leaf)
            );
            self.seal_problem(Some(position), what);
            return;
        }
        let link = chain_next(&self.sealed_previous_chain, &sealed_leaf);
        if link != sealed_chain {
            // The record matches its sealed leaf hash, yet the stored chain does not
            // follow from the previous record's: that previous record was rewritten
            // together with its hashes (or this chain hash was).
            let what = format!(
                "the chain breaks between position {} and position {position}: the chain hash stored for {position} does not follow from the one stored before it (the record at {} was rewritten with its hashes)",
                self.last_position, self.last_position
            );
            self.seal_problem(Some(self.last_position.max(1)), what);
            return;
        }
        if sealed_chain != self.chain {
            let what = "the stored chain hash differs from the recomputed one (a record before it was rewritten with its hashes)".to_string();
            self.seal_problem(Some(position), what);
            return;
        }
        self.sealed_previous_chain = sealed_chain;
    }

    fn check_due_checkpoints(&mut self) {
        let size = self.frontier.size();
        while let Some(c) = self.checkpoints.get(self.next_checkpoint) {
            if c.checkpoint.tree_size != size {
                if c.checkpoint.tree_size < size {
                    self.next_checkpoint += 1;
                    continue;
                }
                break;
            }
            let c = c.clone();
            self.next_checkpoint += 1;
            self.report.checkpoints_checked += 1;
            let root_ok = c.checkpoint.root().is_ok_and(|r| r == self.frontier.root());
            let chain_ok = c.checkpoint.chain().is_ok_and(|h| h == self.chain);
            if !(root_ok && chain_ok) {
                let what = format!(
                    "{} checkpoint of size {} (signed at {}): the first {} records of the log have root {} and chain hash {}, the checkpoint {} and {}",
                    c.source,
                    size,
                    c.checkpoint.timestamp,
                    size,
                    to_hex(&self.frontier.root()),
                    to_hex(&self.chain),
                    c.checkpoint.root_hash,
                    c.checkpoint.chain_hash
                );
                push(&mut self.report, None, what);
            }
        }
    }

    /// Ends the walk: what the log lacks compared with the seal and the checkpoints.
    pub fn finish(mut self) -> Report {
        let records = self.frontier.size();
        if !self.diverged && records < self.report.sealed {
            let missing = self.sealed_at(records).map(|(p, _, _)| p);
            let what = format!(
                "the log ends after {records} records but {} were sealed: the records from position {} on are missing (the log was truncated)",
                self.report.sealed,
                missing.map_or("?".to_string(), |p| p.to_string())
            );
            push(&mut self.report, missing, what);
        }
        for c in &self.checkpoints[self.next_checkpoint..] {
            let what = format!(
                "{} checkpoint of size {} (signed at {}) covers more records than the log holds ({records}): the log was truncated",
                c.source, c.checkpoint.tree_size, c.checkpoint.timestamp
            );
            push(&mut self.report, Some(self.last_position + 1), what);
        }
        if records > self.report.sealed && self.blocks.is_some() {
            self.report.notes.push(format!(
                "{} records after the sealed ones are not sealed yet",
                records - self.report.sealed
            ));
        }
        self.report.records = records;
        self.report.root_hash = to_hex(&self.frontier.root());
        self.report.chain_hash = to_hex(&self.chain);
        self.report
    }
}

fn push(report: &mut Report, position: Option<u64>, what: String) {
    if let Some(p) = position {
        report.first_bad_position = Some(report.first_bad_position.map_or(p, |q| q.min(p)));
    }
    if report.problems.len() < MAX_PROBLEMS {
        report.problems.push(Problem { position, what });
    }
}
