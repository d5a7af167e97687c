//! `seal.db`: the seal beside the log. Records are sealed in blocks of
//! [`BLOCK`] (one row holds their positions, leaf hashes and chain hashes, and
//! the block's subtree root once full), so sealing writes one or two rows per batch
//! and a verifier reads the whole seal in a few thousand rows. Signed checkpoints
//! are kept, every one.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::checkpoint::Checkpoint;
use crate::record::Hash;

/// Records per block.
pub const BLOCK: u64 = 1 << BLOCK_LEVEL;
/// The tree level of a full block's root.
pub const BLOCK_LEVEL: u32 = 10;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS blocks (
    block     INTEGER PRIMARY KEY,
    count     INTEGER NOT NULL CHECK (count BETWEEN 1 AND 1024),
    positions BLOB    NOT NULL,
    leaves    BLOB    NOT NULL,
    chains    BLOB    NOT NULL,
    root      BLOB
);
CREATE TABLE IF NOT EXISTS checkpoints (
    id         INTEGER PRIMARY KEY,
    tree_size  INTEGER NOT NULL,
    root_hash  TEXT    NOT NULL,
    chain_hash TEXT    NOT NULL,
    timestamp  TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    signature  TEXT    NOT NULL
);
"#;

/// The schema version of `seal.db` this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// What went wrong with the seal's storage.
#[derive(Debug, thiserror::Error)]
pub enum SealDbError {
    #[error("opening {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file fails SQLite's integrity check at open.
    #[error("{path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },
    #[error("{path} has seal schema {found}; this build reads {SCHEMA_VERSION}")]
    Schema { path: PathBuf, found: u32 },
    #[error("block {block} of seal.db is malformed: {what}")]
    Malformed { block: u64, what: String },
    #[error(
        "seal.db was extended by another sealer (it holds {found} records, this one {expected})"
    )]
    Moved { expected: u64, found: u64 },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// What a sealer needs to continue: each full block's first position and root, and
/// the partial block after them, if any.
pub type SealSummary = (Vec<(u64, Hash)>, Option<Block>);

/// One block of sealed records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    pub index: u64,
    pub positions: Vec<u64>,
    pub leaves: Vec<Hash>,
    pub chains: Vec<Hash>,
    /// The block's subtree hash, once it holds [`BLOCK`] records.
    pub root: Option<Hash>,
}

impl Block {
    pub fn len(&self) -> u64 {
        self.positions.len() as u64
    }
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

/// The connection to `seal.db`.
pub struct SealDb {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SealDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealDb").field("path", &self.path).finish()
    }
}

impl SealDb {
    /// Opens (creating if absent) the seal database at `path`.
    pub fn open(path: &Path) -> Result<SealDb, SealDbError> {
        let wrap = |source| SealDbError::Open {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        // NORMAL in WAL mode survives a process crash; a power loss may drop the last
        // batches, which is harmless: the seal is a function of the (durable) log and
        // the sealer seals them again, to the same hashes.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        let found: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(wrap)?;
        if found > SCHEMA_VERSION {
            return Err(SealDbError::Schema {
                path: path.to_owned(),
                found,
            });
        }
        // A damaged seal stops the server at start, before a sealer builds on it.
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(wrap)?;
        if check != "ok" {
            return Err(SealDbError::Damaged {
                path: path.to_owned(),
                detail: check,
            });
        }
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(wrap)?;
        Ok(SealDb {
            conn,
            path: path.to_owned(),
        })
    }

    /// Opens an existing seal database only to read it (beside a running server).
    pub fn open_read_only(path: &Path) -> Result<SealDb, SealDbError> {
        let conn = subledger_store::sqlite::open_for_reading(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .map_err(|source| SealDbError::Open {
            path: path.to_owned(),
            source,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(SealDb {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every block in order (the verifier's read; a few thousand rows per million
    /// records).
    pub fn blocks(
        &self,
    ) -> Result<impl Iterator<Item = Result<Block, SealDbError>> + '_, SealDbError> {
        BlockIter::new(&self.conn)
    }

    /// One block.
    pub fn block(&self, index: u64) -> Result<Option<Block>, SealDbError> {
        self.conn
            .query_row(
                "SELECT block, count, positions, leaves, chains, root FROM blocks WHERE block = ?1",
                [index as i64],
                row_to_raw,
            )
            .optional()?
            .map(RawBlock::decode)
            .transpose()
    }

    /// The full blocks' roots and first positions, and the last block (possibly
    /// partial): what a sealer needs to continue.
    pub fn summary(&self) -> Result<SealSummary, SealDbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT block, substr(positions, 1, 8), root FROM blocks WHERE root IS NOT NULL ORDER BY block")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut full = Vec::new();
        for (i, row) in rows.enumerate() {
            let (block, first, root) = row?;
            let block = block as u64;
            if block != i as u64 {
                return Err(SealDbError::Malformed {
                    block,
                    what: format!("full blocks are not contiguous: expected block {i}"),
                });
            }
            let first =
                u64::from_be_bytes(first.try_into().map_err(|_| SealDbError::Malformed {
                    block,
                    what: "no first position".into(),
                })?);
            full.push((first, to_hash(block, &root)?));
        }
        let last = self
            .conn
            .query_row(
                "SELECT block, count, positions, leaves, chains, root FROM blocks WHERE root IS NULL ORDER BY block DESC LIMIT 1",
                [],
                row_to_raw,
            )
            .optional()?
            .map(RawBlock::decode)
            .transpose()?;
        Ok((full, last))
    }

    /// Records sealed so far.
    pub fn sealed_size(&self) -> Result<u64, SealDbError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(SUM(count), 0) FROM blocks", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// Writes `blocks` (new or grown) in one transaction, if the seal still holds
    /// `expected_size` records (one sealer at a time; a second one finds it moved).
    pub fn write_blocks(
        &mut self,
        expected_size: u64,
        blocks: &[Block],
    ) -> Result<(), SealDbError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("SELECT COALESCE(SUM(count), 0) FROM blocks", [], |r| {
            r.get(0)
        })?;
        if found as u64 != expected_size {
            return Err(SealDbError::Moved {
                expected: expected_size,
                found: found as u64,
            });
        }
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO blocks (block, count, positions, leaves, chains, root)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for b in blocks {
                let positions: Vec<u8> = b.positions.iter().flat_map(|p| p.to_be_bytes()).collect();
                stmt.execute(params![
                    b.index as i64,
                    b.len() as i64,
                    positions,
                    b.leaves.concat(),
                    b.chains.concat(),
                    b.root.map(|r| r.to_vec()),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores a signed checkpoint.
    pub fn add_checkpoint(&self, cp: &Checkpoint) -> Result<(), SealDbError> {
        self.conn.execute(
            "INSERT INTO checkpoints (tree_size, root_hash, chain_hash, timestamp, key_id, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![cp.tree_size as i64, cp.root_hash, cp.chain_hash, cp.timestamp, cp.key_id, cp.signature],
        )?;
        Ok(())
    }

    /// Every stored checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, SealDbError> {
        let mut stmt = self.conn.prepare(
            "SELECT tree_size, root_hash, chain_hash, timestamp, key_id, signature FROM checkpoints ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_checkpoint)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest stored checkpoint.
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, SealDbError> {
        Ok(self
            .conn
            .query_row(
                "SELECT tree_size, root_hash, chain_hash, timestamp, key_id, signature FROM checkpoints ORDER BY id DESC LIMIT 1",
                [],
                row_to_checkpoint,
            )
            .optional()?)
    }
}

fn row_to_checkpoint(r: &rusqlite::Row<'_>) -> rusqlite::Result<Checkpoint> {
    Ok(Checkpoint {
        tree_size: r.get::<_, i64>(0)? as u64,
        root_hash: r.get(1)?,
        chain_hash: r.get(2)?,
        timestamp: r.get(3)?,
        key_id: r.get(4)?,
        signature: r.get(5)?,
    })
}

struct RawBlock {
    index: u64,
    count: u64,
    positions: Vec<u8>,
    leaves: Vec<u8>,
    chains: Vec<u8>,
    root: Option<Vec<u8>>,
}

fn row_to_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawBlock> {
    Ok(RawBlock {
        index: r.get::<_, i64>(0)? as u64,
        count: r.get::<_, i64>(1)? as u64,
        positions: r.get(2)?,
        leaves: r.get(3)?,
        chains: r.get(4)?,
        root: r.get(5)?,
    })
}

fn to_hash(block: u64, bytes: &[u8]) -> Result<Hash, SealDbError> {
    bytes.try_into().map_err(|_| SealDbError::Malformed {
        block,
        what: format!("a hash of {} bytes", bytes.len()),
    })
}

fn hashes(block: u64, bytes: &[u8], count: u64, what: &str) -> Result<Vec<Hash>, SealDbError> {
    if bytes.len() as u64 != count * 32 {
        return Err(SealDbError::Malformed {
            block,
            what: format!("{what} hold {} bytes for {count} records", bytes.len()),
        });
    }
    bytes.chunks_exact(32).map(|c| to_hash(block, c)).collect()
}

impl RawBlock {
    fn decode(self) -> Result<Block, SealDbError> {
        let block = self.index;
        if self.positions.len() as u64 != self.count * 8 {
            return Err(SealDbError::Malformed {
                block,
                what: format!(
                    "positions hold {} bytes for {} records",
                    self.positions.len(),
                    self.count
                ),
            });
        }
        let positions = self
            .positions
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Ok(Block {
            index: block,
            positions,
            leaves: hashes(block, &self.leaves, self.count, "leaf hashes")?,
            chains: hashes(block, &self.chains, self.count, "chain hashes")?,
            root: self.root.map(|r| to_hash(block, &r)).transpose()?,
        })
    }
}

/// Blocks in order, read lazily.
struct BlockIter<'c> {
    stmt: rusqlite::Statement<'c>,
    next: i64,
}

impl<'c> BlockIter<'c> {
    fn new(conn: &'c Connection) -> Result<Self, SealDbError> {
        let stmt = conn.prepare(
            "SELECT block, count, positions, leaves, chains, root FROM blocks WHERE block >= ?1 ORDER BY block LIMIT 1",
        )?;
        Ok(BlockIter { stmt, next: 0 })
    }
}

impl Iterator for BlockIter<'_> {
    type Item = Result<Block, SealDbError>;
    fn next(&mut self) -> Option<Self::Item> {
        // One row per query keeps the borrow simple; a block is 1,024 records.
        let raw = self
            .stmt
            .query_row([self.next], row_to_raw)
            .optional()
            .map_err(SealDbError::from);
        match raw {
            Ok(Some(raw)) => {
                self.next = raw.index as i64 + 1;
                Some(raw.decode())
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
