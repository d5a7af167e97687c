//! The read side of the app: the projections' runner and the handle the API
//! reads through ([`Projections`]), time travel ([`customer_as_of`], VIEW-4), and for the
//! offline tools a subscription's timeline ([`timeline()`]) and a partner's
//! key-access log ([`key_access_log`]); and their errors.
//!
//! The runner follows the log with the store's catch-up subscription from the
//! projections' checkpoint, applies what is ready in one batch (up to
//! [`BATCH_EVENTS`]: under load batches grow, when idle each event is committed at
//! once) and commits the batch with its checkpoint. Only then does it publish the
//! position, so a reader that waited for a position reads committed data. On any
//! error it starts again from the stored checkpoint, with backoff.

mod as_of;
mod gist;
mod key_access;
mod runner;
mod timeline;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use subledger_projections::{CustomerEntry, ProjectionDb, ProjectionError};
use subledger_store::{EventStore, StoreError};
use tokio::sync::watch;
use uuid::Uuid;

use crate::codec::DecodeError;

pub use as_of::customer_as_of;
pub use gist::gist;
pub use key_access::key_access_log;
pub use timeline::{Timeline, TimelineEvent, timeline};

/// The most events taken from the subscription at once.
pub const BATCH_EVENTS: usize = 4096;
/// The most events one projection transaction holds when catching up.
pub const CATCH_UP_EVENTS: usize = 65_536;

/// What can stop the read side.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Projection(#[from] ProjectionError),
    /// The projections did not reach the position asked for in time.
    #[error(
        "the projections have applied up to position {applied}, not yet {wanted} (waited {waited_ms} ms){}",
        .failure.as_ref().map(|f| format!("; the runner reports: {f}")).unwrap_or_default()
    )]
    Behind {
        applied: u64,
        wanted: u64,
        waited_ms: u64,
        failure: Option<String>,
    },
    #[error("projection task failed: {0}")]
    Task(String),
}

/// The running projections: their database and how far they have applied the log.
#[derive(Clone)]
pub struct Projections {
    db: Arc<ProjectionDb>,
    applied: watch::Receiver<u64>,
    failure: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Projections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projections")
            .field("db", &self.db)
            .field("applied", &*self.applied.borrow())
            .finish()
    }
}

impl Projections {
    /// Starts the runner on `store`. It runs until the returned handle is aborted.
    pub async fn spawn(
        store: Arc<dyn EventStore>,
        db: Arc<ProjectionDb>,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), ReadError> {
        Self::spawn_with(store, db, CATCH_UP_EVENTS).await
    }

    /// [`Projections::spawn`] with the most events one catch-up transaction holds.
    pub async fn spawn_with(
        store: Arc<dyn EventStore>,
        db: Arc<ProjectionDb>,
        catch_up_events: usize,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), ReadError> {
        let start = blocking(&db, |db| db.checkpoint()).await?;
        let (tx, rx) = watch::channel(start.position);
        let failure = Arc::new(Mutex::new(None));
        let handle = tokio::spawn(runner::run(
            store,
            db.clone(),
            tx,
            failure.clone(),
            catch_up_events.max(1),
        ));
        Ok((
            Projections {
                db,
                applied: rx,
                failure,
            },
            handle,
        ))
    }

    pub fn db(&self) -> &Arc<ProjectionDb> {
        &self.db
    }

    /// The global position the projections have committed.
    pub fn applied(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Waits until the projections have committed `position` (read-your-writes),
    /// at most `timeout`.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> Result<(), ReadError> {
        if self.applied() >= position {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut rx = self.applied.clone();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ReadError::Behind {
                applied: self.applied(),
                wanted: position,
                waited_ms: started.elapsed().as_millis() as u64,
                failure: self.failure.lock().ok().and_then(|f| f.clone()),
            }),
        }
    }

    /// A customer's committed read model.
    pub async fn customer(&self, id: Uuid) -> Result<Option<Arc<CustomerEntry>>, ReadError> {
        blocking(&self.db, move |db| db.customer(id)).await
    }

    /// The customer whose stream holds this subscription.
    pub async fn customer_of_subscription(&self, id: Uuid) -> Result<Option<Uuid>, ReadError> {
        blocking(&self.db, move |db| db.customer_of_subscription(id)).await
    }

    /// Runs a query on the projection database off the async threads.
    pub async fn query<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ProjectionDb) -> Result<T, ProjectionError> + Send + 'static,
    ) -> Result<T, ReadError> {
        blocking(&self.db, f).await
    }
}

/// Runs `f` on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    db: &Arc<ProjectionDb>,
    f: impl FnOnce(&ProjectionDb) -> Result<T, ProjectionError> + Send + 'static,
) -> Result<T, ReadError> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || f(&db))
        .await
        .map_err(|e| ReadError::Task(e.to_string()))?
        .map_err(Into::into)
}
