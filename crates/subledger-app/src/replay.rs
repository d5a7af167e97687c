//! A full replay: every read model rebuilt in memory from the first event.
//!
//! One task reads the log in pages; each page goes to every worker thread, and
//! each worker decodes and applies only the events of its share of the customers
//! (split by customer id), so decoding, the bulk of the work, runs on every core
//! and no two threads touch one customer. The parts are joined at the end, rows
//! back in log order. The replay reads up to the head it finds when it starts, so
//! a replay beside a running server is a consistent cut.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use subledger_projections::{Applied, ReadModel};
use subledger_store::{EventStore, ReadAllPages, RecordedEvent};
use uuid::Uuid;

use crate::codec::{self, stream_customer};
use crate::read_side::ReadError;

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Fold each customer only up to its first event after this instant.
    pub as_of: Option<DateTime<Utc>>,
    /// Worker threads (default: the machine's cores).
    pub workers: usize,
    /// Events per read.
    pub page: usize,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            as_of: None,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            page: 16_384,
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone)]
pub struct ReplayStats {
    /// Records read from the log.
    pub events_read: u64,
    /// The head the replay went up to.
    pub head: u64,
    pub elapsed: Duration,
}

impl ReplayStats {
    pub fn events_per_second(&self) -> f64 {
        self.events_read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

type Page = Arc<Vec<RecordedEvent>>;

/// Replays the whole log (up to its head at the start) into fresh read models.
/// `progress(read, head)` is called after each page.
pub async fn replay(
    store: Arc<dyn EventStore>,
    options: ReplayOptions,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<(ReadModel, ReplayStats), ReadError> {
    let started = Instant::now();
    let head = store.last_position().await?;
    let workers = options.workers.max(1);
    let mut senders: Vec<SyncSender<Page>> = Vec::with_capacity(workers);
    let mut handles = Vec::with_capacity(workers);
    for share in 0..workers {
        let (tx, rx) = sync_channel::<Page>(4);
        senders.push(tx);
        let as_of = options.as_of;
        handles.push(
            std::thread::Builder::new()
                .name(format!("subledger-replay-{share}"))
                .spawn(move || work(rx, share, workers, as_of))
                .map_err(|e| ReadError::Task(e.to_string()))?,
        );
    }
    let mut pages = ReadAllPages::new(store.as_ref(), 0, head, options.page);
    let mut read = 0u64;
    let mut failed = None;
    loop {
        let page = match pages.next_page().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => {
                failed = Some(ReadError::from(e));
                break;
            }
        };
        read += page.len() as u64;
        let page = Arc::new(page);
        // A worker that stopped has failed; its error comes out of `join`.
        for tx in &senders {
            if tx.send(page.clone()).is_err() {
                break;
            }
        }
        progress(read, head);
    }
    drop(senders);
    let mut parts = Vec::with_capacity(workers);
    for h in handles {
        match h.join() {
            Ok(Ok(part)) => parts.push(part),
            Ok(Err(e)) => failed = failed.or(Some(e)),
            Err(_) => failed = failed.or(Some(ReadError::Task("a replay worker panicked".into()))),
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let mut model = ReadModel::merge(parts);
    model.position = model.position.max(pages.position());
    let stats = ReplayStats {
        events_read: read,
        head,
        elapsed: started.elapsed(),
    };
    Ok((model, stats))
}

/// Which worker a customer belongs to.
fn share_of(customer: &Uuid, workers: usize) -> usize {
    (customer.as_u64_pair().1 % workers as u64) as usize
}

fn work(
    pages: Receiver<Page>,
    share: usize,
    workers: usize,
    as_of: Option<DateTime<Utc>>,
) -> Result<ReadModel, ReadError> {
    let mut model = ReadModel::new(as_of);
    // Stream names repeat: parse each one once.
    let mut customers: HashMap<String, Option<Uuid>> = HashMap::new();
    for page in pages {
        for r in page.iter() {
            let customer = match customers.get(&r.stream) {
                Some(c) => *c,
                None => {
                    let c = stream_customer(&r.stream);
                    customers.insert(r.stream.clone(), c);
                    c
                }
            };
            let Some(customer) = customer.filter(|c| share_of(c, workers) == share) else {
                model.skip(r.position);
                continue;
            };
            let event = codec::decode_for_read_models(r)?;
            model.apply(Applied {
                position: r.position,
                customer_id: customer,
                version: r.version,
                event: &event,
            })?;
        }
    }
    Ok(model)
}
