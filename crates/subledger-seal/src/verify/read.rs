//! The two ways the log reaches the [`Verifier`]: pages through the store trait
//! (any backend), or the SQLite file scanned in place on two threads.

use ed25519_dalek::VerifyingKey;
use subledger_store::RecordedEvent;

use super::{Blocks, CheckpointToCheck, Report, Verifier};
use crate::record::{Hash, leaf_hash};

/// Records read per page.
const PAGE: usize = 8192;

/// What the verifier checks the log against.
pub struct VerifyInputs {
    /// `seal.db`, if there is one.
    pub seal_path: Option<std::path::PathBuf>,
    /// Checkpoints an auditor holds.
    pub held: Vec<CheckpointToCheck>,
    /// The key checkpoints must be signed with.
    pub key: Option<VerifyingKey>,
}

/// Runs a [`Verifier`] over the seal and checkpoints of `inputs` on the calling
/// thread, fed with leaf hashes from `leaves` until it closes.
fn check_leaves(
    inputs: VerifyInputs,
    leaves: std::sync::mpsc::Receiver<Vec<(u64, Hash)>>,
) -> Result<Report, crate::SealError> {
    let db = match &inputs.seal_path {
        Some(path) => Some(crate::SealDb::open_read_only(path)?),
        None => None,
    };
    let mut checkpoints = inputs.held;
    let mut sealed = 0;
    if let Some(db) = &db {
        sealed = db.sealed_size()?;
        checkpoints.extend(
            db.checkpoints()?
                .into_iter()
                .map(|checkpoint| CheckpointToCheck {
                    checkpoint,
                    source: "stored".into(),
                }),
        );
    }
    let blocks: Option<Blocks<'_>> = match &db {
        Some(db) => Some(Box::new(db.blocks()?)),
        None => None,
    };
    let mut verifier = Verifier::new(blocks, sealed, checkpoints, inputs.key.as_ref());
    for chunk in leaves {
        verifier.feed_leaves(&chunk);
    }
    Ok(verifier.finish())
}

fn join(
    worker: std::thread::JoinHandle<Result<Report, crate::SealError>>,
) -> Result<Report, crate::SealError> {
    worker
        .join()
        .map_err(|_| crate::SealError::Worker("the verifier's thread panicked".into()))?
}

/// Verifies the whole log of `store` (any backend) against `inputs` and the seal's
/// stored checkpoints. The log is read on this task while another thread hashes and
/// checks. `progress` is told the records read so far, and the head.
pub async fn verify_log(
    store: &dyn subledger_store::EventStore,
    inputs: VerifyInputs,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Report, crate::SealError> {
    let head = store.last_position().await?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RecordedEvent>>(4);
    let (leaves_tx, leaves_rx) = std::sync::mpsc::sync_channel(4);
    let hasher = std::thread::spawn(move || {
        for page in rx {
            let leaves: Vec<(u64, Hash)> =
                page.iter().map(|r| (r.position, leaf_hash(r))).collect();
            if leaves_tx.send(leaves).is_err() {
                break;
            }
        }
    });
    let worker = std::thread::spawn(move || check_leaves(inputs, leaves_rx));
    let mut pages = subledger_store::ReadAllPages::new(store, 0, head, PAGE);
    let mut read = 0u64;
    while let Some(page) = pages.next_page().await? {
        read += page.len() as u64;
        if tx.send(page).is_err() {
            break; // the checker failed: its error is below
        }
        progress(read, head);
    }
    drop(tx);
    let _ = hasher.join();
    tokio::task::spawn_blocking(move || join(worker))
        .await
        .map_err(|e| crate::SealError::Worker(e.to_string()))?
}

/// Positions hashed per chunk by one scanning thread of [`verify_sqlite_log`].
const CHUNK: u64 = 16_384;

/// [`verify_log`] for the SQLite log, reading rows in place: one thread more than
/// cores scans chunks of positions in turn and hashes them, another checks them in order.
pub fn verify_sqlite_log(
    store: &subledger_store::SqliteStore,
    head: u64,
    inputs: VerifyInputs,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Report, crate::SealError> {
    // One scanner more than cores: the checker takes part of a core, and a scanner
    // waiting for its turn to hand over a chunk leaves another to run (3 on 2 cores
    // measured ~10% faster than 2; 4 no faster than 3).
    let scanners = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64 + 1;
    let (leaves_tx, leaves_rx) = std::sync::mpsc::sync_channel(4);
    let checker = std::thread::spawn(move || check_leaves(inputs, leaves_rx));
    let chunks = head.div_ceil(CHUNK);
    let mut scanned = 0u64;
    let result: Result<(), crate::SealError> = std::thread::scope(|scope| {
        let mut receivers = Vec::new();
        for scanner in 0..scanners {
            let (tx, rx) = std::sync::mpsc::sync_channel::<
                Result<Vec<(u64, Hash)>, subledger_store::StoreError>,
            >(2);
            receivers.push(rx);
            scope.spawn(move || {
                let mut reader = match store.scanner() {
                    Ok(reader) => reader,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                for chunk in (scanner..chunks).step_by(scanners as usize) {
                    let mut leaves = Vec::with_capacity(CHUNK as usize);
                    let scanned =
                        reader.scan(chunk * CHUNK, ((chunk + 1) * CHUNK).min(head), |r| {
                            leaves.push((r.position, crate::record::leaf_hash_of(r)));
                        });
                    if tx.send(scanned.map(|()| leaves)).is_err() {
                        return;
                    }
                }
            });
        }
        // Chunks in order: chunk k comes from scanner k mod scanners.
        for chunk in 0..chunks {
            let Ok(leaves) = receivers[(chunk % scanners) as usize].recv() else {
                return Err(crate::SealError::Worker("a scanning thread stopped".into()));
            };
            let leaves = leaves?;
            scanned = ((chunk + 1) * CHUNK).min(head);
            if leaves_tx.send(leaves).is_err() {
                break; // the checker failed: its error is below
            }
            progress(scanned, head);
        }
        Ok(())
    });
    drop(leaves_tx);
    let report = join(checker);
    result?;
    report
}
