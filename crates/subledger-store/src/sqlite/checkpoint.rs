//! Background WAL checkpoints.
//!
//! SQLite's automatic checkpoint runs inside the committing connection, i.e. in our
//! single writer thread, and stalls every append queued behind it for the time it takes
//! to copy the WAL into the database file and fsync it. Here a separate connection runs
//! PASSIVE checkpoints (they never block the writer) whenever the writer asks (every 1000
//! committed events or 100 ms of commits, see `Writer::kick_checkpointer`), so that when the writer's own automatic checkpoint fires (at 16384 pages) most
//! frames are already copied and its stall is short. That writer checkpoint is still
//! needed: only it lets the WAL restart from its beginning, and a WAL that is reused
//! instead of growing makes every commit's fsync cheaper (no file-size change to journal).

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::StoreError;

/// At most one checkpoint per this interval, however often the writer asks.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// Checkpoint at least this often while commits keep coming.
const IDLE_WAKEUP: Duration = Duration::from_millis(1000);

pub(crate) fn open(path: &Path, synchronous: &str) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

/// Runs until the writer drops its end of `kicks`.
pub(crate) fn run(conn: Connection, kicks: Receiver<()>) {
    let mut last = Instant::now();
    let mut pending = false;
    loop {
        match kicks.recv_timeout(IDLE_WAKEUP) {
            Ok(()) => pending = true,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if !pending || last.elapsed() < MIN_INTERVAL {
            continue;
        }
        pending = false;
        last = Instant::now();
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
    }
}
