//! The sealer: one follower of the log that seals records in commit order, signs a
//! checkpoint at least every second while records arrive (and on demand), and
//! answers proofs. It works the same over every backend: it only reads the log.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ed25519_dalek::{SigningKey, VerifyingKey};
use futures::StreamExt;
use serde::Serialize;
use subledger_store::{EventStore, ReadAllPages, RecordedEvent, StoreError};
use tracing::{debug, info, warn};

use crate::checkpoint::Checkpoint;
use crate::db::{SealDb, SealDbError};
use crate::merkle;
use crate::record::to_hex;
use crate::state::{SealState, SealStateError};

/// Records sealed per batch at most.
const BATCH: usize = 4096;

/// How long the sealer lets records gather after a small batch (the seal's lag
/// under load; a checkpoint still follows every second).
const GATHER: Duration = Duration::from_millis(50);

/// Why sealing or a proof failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    State(#[from] SealStateError),
    #[error(transparent)]
    Db(#[from] SealDbError),
    #[error("reading the log to seal it")]
    Store(#[from] StoreError),
    #[error("the sealer's worker thread failed: {0}")]
    Worker(String),
    /// The request names sizes or positions the seal cannot answer (a client error).
    #[error("{0}")]
    Invalid(String),
}

/// `GET /v1/ledger/proof/inclusion`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InclusionProof {
    pub position: u64,
    pub leaf_index: u64,
    pub tree_size: u64,
    pub leaf_hash: String,
    pub root_hash: String,
    pub audit_path: Vec<String>,
}

/// `GET /v1/ledger/proof/consistency`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub from_root: String,
    pub to_root: String,
    pub proof: Vec<String>,
}

struct Inner {
    db: SealDb,
    state: SealState,
    latest: Option<Checkpoint>,
}

/// The seal of one log: `seal.db`, its state in memory and the signing key.
pub struct Seal {
    inner: Mutex<Inner>,
    key: SigningKey,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seal")
            .field(
                "key_id",
                &crate::checkpoint::key_id(&self.key.verifying_key()),
            )
            .finish()
    }
}

impl Seal {
    /// Opens the seal kept in `db`, signing with `key`.
    pub fn open(db: SealDb, key: SigningKey) -> Result<Seal, SealError> {
        let state = SealState::load(&db)?;
        let latest = db.latest_checkpoint()?;
        Ok(Seal {
            inner: Mutex::new(Inner { db, state, latest }),
            key,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while sealing leaves the state as of its last successful write.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Records sealed so far.
    pub fn sealed_size(&self) -> u64 {
        self.lock().state.size()
    }

    /// The position of the newest sealed record (0: none).
    pub fn last_position(&self) -> u64 {
        self.lock().state.last_position()
    }

    /// The newest signed checkpoint.
    pub fn latest(&self) -> Option<Checkpoint> {
        self.lock().latest.clone()
    }

    /// Seals the next records of the log (those already sealed are skipped, so a
    /// second sealer's work is never repeated).
    pub fn seal_records(&self, records: &[RecordedEvent]) -> Result<(), SealError> {
        let mut inner = self.lock();
        for attempt in 0..2 {
            let last = inner.state.last_position();
            let fresh: Vec<RecordedEvent> = records
                .iter()
                .filter(|r| r.position > last)
                .cloned()
                .collect();
            if fresh.is_empty() {
                return Ok(());
            }
            let mut next = inner.state.clone();
            let blocks = next.seal(&fresh)?;
            let expected = inner.state.size();
            match inner.db.write_blocks(expected, &blocks) {
                Ok(()) => {
                    inner.state = next;
                    return Ok(());
                }
                Err(SealDbError::Moved { .. }) if attempt == 0 => {
                    debug!("another sealer extended seal.db; continuing from it");
                    inner.state = SealState::load(&inner.db)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(SealError::Worker(
            "seal.db keeps moving under this sealer".into(),
        ))
    }

    /// Signs and stores a checkpoint of everything sealed so far.
    pub fn checkpoint(&self) -> Result<Checkpoint, SealError> {
        let mut inner = self.lock();
        let size = inner.state.size();
        let root = inner.state.root(&inner.db, size)?;
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let cp = Checkpoint::sign(&self.key, size, &root, &inner.state.chain(), timestamp);
        inner.db.add_checkpoint(&cp)?;
        inner.latest = Some(cp.clone());
        Ok(cp)
    }

    /// Whether records were sealed since the newest checkpoint (or none exists).
    pub fn checkpoint_due(&self) -> bool {
        let inner = self.lock();
        inner
            .latest
            .as_ref()
            .is_none_or(|cp| cp.tree_size != inner.state.size())
    }

    /// Seals the log up to its current head.
    pub async fn catch_up(self: &Arc<Self>, store: &dyn EventStore) -> Result<u64, SealError> {
        let head = store.last_position().await?;
        let mut pages = ReadAllPages::new(store, self.last_position(), head, BATCH);
        while let Some(page) = pages.next_page().await? {
            let seal = self.clone();
            tokio::task::spawn_blocking(move || seal.seal_records(&page))
                .await
                .map_err(|e| SealError::Worker(e.to_string()))??;
        }
        Ok(self.sealed_size())
    }

    /// Catches up and signs a checkpoint now (on demand).
    pub async fn checkpoint_now(
        self: &Arc<Self>,
        store: &dyn EventStore,
    ) -> Result<Checkpoint, SealError> {
        self.catch_up(store).await?;
        let seal = self.clone();
        tokio::task::spawn_blocking(move || seal.checkpoint())
            .await
            .map_err(|e| SealError::Worker(e.to_string()))?
    }

    /// The inclusion proof of the record at `position` in the tree of `tree_size`.
    pub fn inclusion(&self, position: u64, tree_size: u64) -> Result<InclusionProof, SealError> {
        let inner = self.lock();
        let sealed = inner.state.size();
        if tree_size == 0 || tree_size > sealed {
            return Err(SealError::Invalid(format!(
                "tree_size {tree_size} is not a sealed size: the seal holds 1 to {sealed} records"
            )));
        }
        let index = inner
            .state
            .leaf_index(&inner.db, position)?
            .filter(|&i| i < tree_size)
            .ok_or_else(|| {
                SealError::Invalid(format!(
                    "position {position} is not one of the first {tree_size} records of the log"
                ))
            })?;
        let tree = inner.state.tree(&inner.db);
        let (_, leaf, _) = inner.state.leaf(&inner.db, index)?;
        Ok(InclusionProof {
            position,
            leaf_index: index,
            tree_size,
            leaf_hash: to_hex(&leaf),
            root_hash: to_hex(&merkle::root(&tree, tree_size)?),
            audit_path: merkle::inclusion_path(&tree, index, tree_size)?
                .iter()
                .map(to_hex)
                .collect(),
        })
    }

    /// The consistency proof from the tree of `from` records to that of `to`.
    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, SealError> {
        let inner = self.lock();
        let sealed = inner.state.size();
        if from == 0 || from > to || to > sealed {
            return Err(SealError::Invalid(format!(
                "a consistency proof needs 1 <= from <= to <= {sealed} (the sealed records); got from {from}, to {to}"
            )));
        }
        let tree = inner.state.tree(&inner.db);
        Ok(ConsistencyProof {
            from,
            to,
            from_root: to_hex(&merkle::root(&tree, from)?),
            to_root: to_hex(&merkle::root(&tree, to)?),
            proof: merkle::consistency_proof(&tree, from, to)?
                .iter()
                .map(to_hex)
                .collect(),
        })
    }
}

/// Follows the log from the seal's position for as long as the task lives:
/// seals what is committed and signs a checkpoint every `every` while the log grows.
pub fn spawn_sealer(
    seal: Arc<Seal>,
    store: Arc<dyn EventStore>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = follow(&seal, store.as_ref(), every).await {
                warn!(error = %e, "the sealer stopped; restarting it in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    })
}

async fn follow(
    seal: &Arc<Seal>,
    store: &dyn EventStore,
    every: Duration,
) -> Result<(), SealError> {
    let from = seal.last_position();
    let head = store.last_position().await?;
    if head < from {
        // The seal was never ahead of the log it read: the log lost records.
        tracing::error!(
            head,
            sealed = from,
            "the log ends before the records already sealed: it was truncated or replaced; run `subledger verify`"
        );
    }
    info!(from, "the sealer follows the log");
    let mut batches = store.subscribe_all(from).await?.ready_chunks(BATCH);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            batch = batches.next() => {
                let Some(batch) = batch else {
                    return Err(SealError::Worker("the log's subscription ended".into()));
                };
                let records = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
                let small = records.len() < BATCH;
                let worker = seal.clone();
                tokio::task::spawn_blocking(move || worker.seal_records(&records))
                    .await
                    .map_err(|e| SealError::Worker(e.to_string()))??;
                if small {
                    // Each write rewrites the partial block: under a stream of small
                    // commits, let records gather so one write seals many of them.
                    tokio::time::sleep(GATHER).await;
                }
            }
            _ = tick.tick() => {
                if seal.checkpoint_due() {
                    let worker = seal.clone();
                    let cp = tokio::task::spawn_blocking(move || worker.checkpoint())
                        .await
                        .map_err(|e| SealError::Worker(e.to_string()))??;
                    debug!(tree_size = cp.tree_size, "checkpoint signed");
                }
            }
        }
    }
}
