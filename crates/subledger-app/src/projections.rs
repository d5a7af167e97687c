//! The projections' runner, the read side's time travel, and its errors.
//!
//! The runner follows the log with the store's catch-up subscription from the
//! projections' checkpoint, applies what is ready in one batch (up to
//! [`BATCH_EVENTS`]: under load batches grow, when idle each event is committed at
//! once) and commits the batch with its checkpoint. Only then does it publish the
//! position, so a reader that waited for a position reads committed data. On any
//! error it starts again from the stored checkpoint, with backoff.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use subledger_domain::CustomerState;
use subledger_projections::model::{self, STATE_CHECKPOINT_EVERY};
use subledger_projections::{
    Applied, Batch, Checkpoint, CustomerEntry, ProjectionDb, ProjectionError, Rows,
};
use subledger_store::{EventStore, RecordedEvent, StoreError};
use tokio::sync::watch;
use uuid::Uuid;

use crate::codec::{self, DecodeError, customer_stream, stream_customer};

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
        let handle = tokio::spawn(run(
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

async fn run(
    store: Arc<dyn EventStore>,
    db: Arc<ProjectionDb>,
    applied: watch::Sender<u64>,
    failure: Arc<Mutex<Option<String>>>,
    catch_up_events: usize,
) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let error = follow(&store, &db, &applied, &failure, catch_up_events).await;
        let message = error.to_string();
        tracing::warn!(error = %message, "projection runner stopped; resuming from its checkpoint");
        if let Ok(mut f) = failure.lock() {
            *f = Some(message);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Follows the log from the stored checkpoint until something fails.
async fn follow(
    store: &Arc<dyn EventStore>,
    db: &Arc<ProjectionDb>,
    applied: &watch::Sender<u64>,
    failure: &Arc<Mutex<Option<String>>>,
    catch_up_events: usize,
) -> ReadError {
    let mut checkpoint = match blocking(db, |db| db.checkpoint()).await {
        Ok(c) => c,
        Err(e) => return e,
    };
    applied.send_if_modified(|p| {
        let moved = *p != checkpoint.position;
        *p = checkpoint.position;
        moved
    });
    let subscription = match store.subscribe_all(checkpoint.position).await {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    let mut chunks = subscription.ready_chunks(BATCH_EVENTS);
    while let Some(chunk) = chunks.next().await {
        let mut records = match chunk.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(r) => r,
            Err(e) => return e.into(),
        };
        // Catching up (the log's head is well past this chunk), one transaction
        // takes many pages, so a customer's read model is written once per
        // transaction instead of once per page. Live, the batch goes at once.
        let head = store.last_position().await.unwrap_or(0);
        while records.len() < catch_up_events
            && head.saturating_sub(records.last().map_or(head, |r| r.position))
                > BATCH_EVENTS as u64
        {
            match chunks.next().await {
                Some(more) => match more.into_iter().collect::<Result<Vec<_>, _>>() {
                    Ok(more) => records.extend(more),
                    Err(e) => return e.into(),
                },
                None => break,
            }
        }
        let db2 = db.clone();
        let from = checkpoint;
        let span = tracing::debug_span!(
            "projection_batch",
            from = from.position,
            events = records.len()
        );
        let committed = tokio::task::spawn_blocking(move || {
            let _g = span.enter();
            apply_batch(&db2, from, &records)
        })
        .await;
        checkpoint = match committed {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return e,
            Err(e) => return ReadError::Task(e.to_string()),
        };
        applied.send_replace(checkpoint.position);
        if let Ok(mut f) = failure.lock() {
            f.take();
        }
    }
    ReadError::Task("the store's subscription ended".into())
}

/// Applies records on top of `from` and commits them with the new checkpoint.
fn apply_batch(
    db: &ProjectionDb,
    from: Checkpoint,
    records: &[RecordedEvent],
) -> Result<Checkpoint, ReadError> {
    let mut working: HashMap<Uuid, CustomerEntry> = HashMap::new();
    let mut rows = Rows::default();
    let mut to = from;
    for r in records {
        to.position = to.position.max(r.position);
        let Some(customer) = stream_customer(&r.stream) else {
            continue;
        };
        let event = codec::decode_for_read_models(r)?;
        let entry = match working.entry(customer) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(
                db.customer(customer)?
                    .map(|e| (*e).clone())
                    .unwrap_or_default(),
            ),
        };
        model::apply(
            entry,
            Applied {
                position: r.position,
                customer_id: customer,
                version: r.version,
                event: &event,
            },
            &mut rows,
            Some(STATE_CHECKPOINT_EVERY),
        )?;
        to.at = Some(to.at.map_or(event.at, |m| m.max(event.at)));
    }
    db.commit(Batch {
        from: from.position,
        to,
        customers: working.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
        rows,
    })?;
    Ok(to)
}

/// A customer's read model as of `at` (VIEW-4): its stream folded up to its first
/// event after `at`. Starts from the committed read model when that is not past
/// `at`, else from the latest state the projections kept for time travel that is
/// not, and reads only the events between (at most [`STATE_CHECKPOINT_EVERY`]
/// when the projections are there). Without projections it folds from the start.
pub async fn customer_as_of(
    store: &dyn EventStore,
    projections: Option<&Arc<ProjectionDb>>,
    customer: Uuid,
    at: DateTime<Utc>,
) -> Result<CustomerEntry, ReadError> {
    let (start, stop) = match projections {
        None => (None, None),
        Some(db) => {
            blocking(db, move |db| {
                if let Some(current) = db.customer(customer)?
                    && current.max_at.is_none_or(|m| m <= at)
                {
                    return Ok((Some((*current).clone()), None));
                }
                db.state_checkpoint(customer, at)
            })
            .await?
        }
    };
    let mut entry = start.unwrap_or_else(|| CustomerEntry {
        state: CustomerState::default(),
        ..CustomerEntry::default()
    });
    let stream = customer_stream(customer);
    let limit = stop.map_or(usize::MAX, |s| s.saturating_sub(entry.version) as usize);
    let records = store
        .read_stream_limit(&stream, entry.version, limit)
        .await?;
    let mut rows = Rows::default();
    for r in &records {
        let event = codec::decode_for_read_models(r)?;
        if event.at > at {
            break;
        }
        model::apply(
            &mut entry,
            Applied {
                position: r.position,
                customer_id: customer,
                version: r.version,
                event: &event,
            },
            &mut rows,
            None,
        )?;
        rows = Rows::default();
    }
    Ok(entry)
}
