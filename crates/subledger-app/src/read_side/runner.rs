//! The projection runner: follows the log and commits what it applies, batch by
//! batch, with the checkpoint.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use subledger_projections::model::{self, Keep};
use subledger_projections::{Applied, Batch, Checkpoint, CustomerEntry, ProjectionDb, Rows};
use subledger_store::{EventStore, RecordedEvent};
use tokio::sync::watch;
use uuid::Uuid;

use super::{BATCH_EVENTS, ReadError, blocking};
use crate::codec::{self, stream_customer};

pub(super) async fn run(
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
        // The whole envelope: the history keeps each event's actor.
        let (event, _) = codec::decode(r)?;
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
            Keep::PERSISTED,
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
