//! The seal in memory: the size, the chain head, the current (partial) block and the
//! complete subtrees at and above the block level. Proofs read the blocks below that
//! level from `seal.db`.

use std::sync::Arc;

use subledger_store::RecordedEvent;

use crate::db::{BLOCK, BLOCK_LEVEL, Block, SealDb, SealDbError};
use crate::merkle::{self, Subtrees, complete_of};
use crate::record::{CHAIN_START, Hash, chain_next, leaf_hash, node_hash};

/// Why a record cannot be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealStateError {
    #[error("record at position {position} comes after position {last}: the log went backwards")]
    OutOfOrder { position: u64, last: u64 },
    #[error("subtree {level}/{index} is beyond the sealed log of {size} records")]
    Beyond { level: u32, index: u64, size: u64 },
    #[error(transparent)]
    Db(#[from] SealDbError),
}

/// The sealed prefix of the log.
#[derive(Debug, Clone)]
pub struct SealState {
    size: u64,
    chain: Hash,
    last_position: u64,
    /// `upper[l][i]`: the complete subtree at level `BLOCK_LEVEL + l`, index `i`.
    upper: Vec<Vec<Hash>>,
    /// The first position of every full block (to find a position's leaf).
    block_first: Vec<u64>,
    tail: Arc<Block>,
}

impl Default for SealState {
    fn default() -> Self {
        SealState {
            size: 0,
            chain: CHAIN_START,
            last_position: 0,
            upper: vec![Vec::new()],
            block_first: Vec::new(),
            tail: Arc::new(Block::default()),
        }
    }
}

impl SealState {
    /// The state `seal.db` holds.
    pub fn load(db: &SealDb) -> Result<SealState, SealStateError> {
        let (full, last) = db.summary()?;
        let mut state = SealState::default();
        for (first, root) in full {
            state.push_block_root(first, root);
        }
        state.size = state.block_first.len() as u64 * BLOCK;
        if let Some(last) = last {
            if last.index != state.block_first.len() as u64 {
                return Err(SealDbError::Malformed {
                    block: last.index,
                    what: format!(
                        "a partial block after {} full ones",
                        state.block_first.len()
                    ),
                }
                .into());
            }
            state.size += last.len();
            state.tail = Arc::new(last);
        } else {
            state.tail = Arc::new(Block {
                index: state.block_first.len() as u64,
                ..Block::default()
            });
        }
        // The chain head and last position are those of the newest record.
        let newest = if state.tail.is_empty() && !state.block_first.is_empty() {
            db.block(state.block_first.len() as u64 - 1)?
        } else {
            Some((*state.tail).clone())
        };
        if let Some(b) = newest {
            state.chain = b.chains.last().copied().unwrap_or(CHAIN_START);
            state.last_position = b.positions.last().copied().unwrap_or(0);
        }
        Ok(state)
    }

    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn chain(&self) -> Hash {
        self.chain
    }
    pub fn last_position(&self) -> u64 {
        self.last_position
    }

    fn push_block_root(&mut self, first: u64, root: Hash) {
        self.block_first.push(first);
        let mut hash = root;
        let mut level = 0;
        loop {
            if self.upper.len() <= level {
                self.upper.push(Vec::new());
            }
            self.upper[level].push(hash);
            let row = &self.upper[level];
            if row.len() % 2 == 1 {
                break;
            }
            hash = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
    }

    /// Seals `records` (the next ones of the log, in order) and returns the blocks
    /// to write: the ones that filled up and the new tail.
    pub fn seal(&mut self, records: &[RecordedEvent]) -> Result<Vec<Block>, SealStateError> {
        let mut changed = Vec::new();
        let mut tail = (*self.tail).clone();
        for r in records {
            if r.position <= self.last_position {
                return Err(SealStateError::OutOfOrder {
                    position: r.position,
                    last: self.last_position,
                });
            }
            let leaf = leaf_hash(r);
            self.chain = chain_next(&self.chain, &leaf);
            self.last_position = r.position;
            self.size += 1;
            tail.positions.push(r.position);
            tail.leaves.push(leaf);
            tail.chains.push(self.chain);
            if tail.len() == BLOCK {
                let root = complete_of(&tail.leaves);
                tail.root = Some(root);
                self.push_block_root(tail.positions[0], root);
                let next = Block {
                    index: tail.index + 1,
                    ..Block::default()
                };
                changed.push(std::mem::replace(&mut tail, next));
            }
        }
        if !tail.is_empty() {
            changed.push(tail.clone());
        }
        self.tail = Arc::new(tail);
        Ok(changed)
    }

    /// The leaf index of the record at `position`, if it is sealed.
    pub fn leaf_index(&self, db: &SealDb, position: u64) -> Result<Option<u64>, SealStateError> {
        if position == 0 || position > self.last_position {
            return Ok(None);
        }
        let block = if self.tail.positions.first().is_some_and(|&p| p <= position) {
            self.tail.clone()
        } else {
            match self.block_first.partition_point(|&first| first <= position) {
                0 => return Ok(None),
                n => self.block(db, n as u64 - 1)?,
            }
        };
        Ok(block
            .positions
            .binary_search(&position)
            .ok()
            .map(|i| block.index * BLOCK + i as u64))
    }

    /// Block `index`: the tail in memory, an older one from `seal.db`.
    fn block(&self, db: &SealDb, index: u64) -> Result<Arc<Block>, SealStateError> {
        if index == self.tail.index {
            return Ok(self.tail.clone());
        }
        db.block(index)?.map(Arc::new).ok_or_else(|| {
            SealDbError::Malformed {
                block: index,
                what: "missing".into(),
            }
            .into()
        })
    }

    /// A view for proofs: the state and the database its old blocks are in.
    pub fn tree<'a>(&'a self, db: &'a SealDb) -> Tree<'a> {
        Tree { state: self, db }
    }

    /// The root of the first `size` records (`size <= self.size()`).
    pub fn root(&self, db: &SealDb, size: u64) -> Result<Hash, SealStateError> {
        merkle::root(&self.tree(db), size)
    }

    /// The leaf hash and chain hash of leaf `index`.
    pub fn leaf(&self, db: &SealDb, index: u64) -> Result<(u64, Hash, Hash), SealStateError> {
        let block = self.block(db, index / BLOCK)?;
        let i = (index % BLOCK) as usize;
        match (
            block.positions.get(i),
            block.leaves.get(i),
            block.chains.get(i),
        ) {
            (Some(p), Some(l), Some(c)) => Ok((*p, *l, *c)),
            _ => Err(SealStateError::Beyond {
                level: 0,
                index,
                size: self.size,
            }),
        }
    }
}

/// The sealed tree as a [`Subtrees`] source.
pub struct Tree<'a> {
    state: &'a SealState,
    db: &'a SealDb,
}

impl Subtrees for Tree<'_> {
    type Error = SealStateError;
    fn complete(&self, level: u32, index: u64) -> Result<Hash, SealStateError> {
        let beyond = || SealStateError::Beyond {
            level,
            index,
            size: self.state.size,
        };
        if ((index + 1) << level) > self.state.size {
            return Err(beyond());
        }
        if level >= BLOCK_LEVEL {
            let row = self
                .state
                .upper
                .get((level - BLOCK_LEVEL) as usize)
                .ok_or_else(beyond)?;
            return row.get(index as usize).copied().ok_or_else(beyond);
        }
        let first_leaf = index << level;
        let block = self.state.block(self.db, first_leaf / BLOCK)?;
        let start = (first_leaf % BLOCK) as usize;
        let leaves = block
            .leaves
            .get(start..start + (1 << level))
            .ok_or_else(beyond)?;
        Ok(complete_of(leaves))
    }
}
