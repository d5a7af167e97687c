//! Group commit: one writer task per process turns the appends waiting in its queue
//! into one transaction.
//!
//! The transaction first takes the schema's append lock (a transaction-scoped advisory
//! lock), so transactions of every process append one at a time and commit while
//! holding it: positions, assigned as `max(position) + 1` under the lock, are gap-free
//! and in commit order across nodes, and a reader of `position > checkpoint` can never
//! see a later position before an earlier one. It then reads, in three statements for
//! the whole batch, the streams' versions, which of the batch's event ids are stored and
//! which claimed keys are held; decides each append in queue order in memory (an append
//! sees the ones before it in the batch); inserts every accepted event in one statement
//! and the new claims in another; notifies listeners of the new head; commits. Each
//! append keeps its own check (expected version, idempotent repeat, claims): a refused
//! append writes nothing and does not hold back the others. Answers go out only after
//! the commit, so nothing is acknowledged that was not made durable.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{Object, Pool};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, warn};
use uuid::Uuid;

use super::{APPEND_LOCK, pg_error};
use crate::idempotency::{Found, resolve_repeat};
use crate::{AppendResult, ExpectedVersion, NewEvent, StoreError};

/// One append waiting for the writer.
pub(super) struct AppendRequest {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub claims: Vec<String>,
    pub reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

/// How much one transaction takes at most.
const MAX_APPENDS: usize = 1024;
const MAX_BYTES: usize = 8 << 20;

pub(super) struct Writer {
    pub pool: Pool,
    pub schema: Arc<str>,
    pub channel: Arc<str>,
    pub head: watch::Sender<u64>,
}

/// Where an event id is, from the database or from earlier in the batch.
#[derive(Clone)]
struct Stored {
    stream: String,
    version: u64,
}

/// The rows one batch inserts, column by column (the shape of the `unnest` insert).
#[derive(Default)]
struct Rows {
    position: Vec<i64>,
    stream: Vec<String>,
    version: Vec<i64>,
    event_id: Vec<Uuid>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    data: Vec<Vec<u8>>,
    metadata: Vec<Vec<u8>>,
}

impl Writer {
    pub(super) async fn run(self, mut queue: mpsc::Receiver<AppendRequest>) {
        let mut client: Option<Object> = None;
        while let Some(first) = queue.recv().await {
            // Let the appenders woken by the last commit queue their next appends
            // before this batch is cut (batches fill up on 2 cores).
            tokio::task::yield_now().await;
            let mut batch = vec![first];
            let mut bytes = size_of(&batch[0]);
            while batch.len() < MAX_APPENDS && bytes < MAX_BYTES {
                match queue.try_recv() {
                    Ok(r) => {
                        bytes += size_of(&r);
                        batch.push(r);
                    }
                    Err(_) => break,
                }
            }
            let conn = match &mut client {
                Some(c) if !c.is_closed() => c,
                _ => match self.pool.get().await {
                    Ok(c) => client.insert(c),
                    Err(e) => {
                        let err = StoreError::Unavailable(
                            format!("cannot get a PostgreSQL connection: {e}").into(),
                        );
                        for r in batch {
                            let _ = r.reply.send(Err(err.clone()));
                        }
                        continue;
                    }
                },
            };
            let n = batch.len();
            match self.commit(conn, &batch).await {
                Ok((outcomes, head)) => {
                    debug!(appends = n, head, "group commit");
                    self.head.send_if_modified(|h| {
                        let moved = head > *h;
                        *h = (*h).max(head);
                        moved
                    });
                    for (r, outcome) in batch.into_iter().zip(outcomes) {
                        let _ = r.reply.send(outcome);
                    }
                }
                Err(e) => {
                    // The outcome of a failed COMMIT is unknown: the callers' retries
                    // (same event ids) find out, as idempotent repeats or fresh appends.
                    warn!(appends = n, error = %e, "group commit failed");
                    // The connection may be half-dead (its backend terminated): the
                    // next batch starts on a fresh one from the pool.
                    client = None;
                    for r in batch {
                        let _ = r.reply.send(Err(e.clone()));
                    }
                }
            }
        }
    }

    /// One transaction for the batch: each append's outcome, and the head after it.
    async fn commit(
        &self,
        conn: &mut Object,
        batch: &[AppendRequest],
    ) -> Result<(Vec<Result<AppendResult, StoreError>>, u64), StoreError> {
        let tx = conn.transaction().await.map_err(pg_error)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1), $2)",
            &[&&*self.schema, &APPEND_LOCK],
        )
        .await
        .map_err(pg_error)?;

        let streams: Vec<&str> = dedup(batch.iter().map(|r| r.stream.as_str()));
        let ids: Vec<Uuid> = batch
            .iter()
            .flat_map(|r| r.events.iter().map(|e| e.event_id))
            .collect();
        let keys: Vec<&str> = dedup(
            batch
                .iter()
                .flat_map(|r| r.claims.iter().map(String::as_str)),
        );

        let head_stmt = tx
            .prepare_cached("SELECT COALESCE(MAX(position), 0) FROM events")
            .await
            .map_err(pg_error)?;
        let versions_stmt = tx
            .prepare_cached(
                "SELECT s, COALESCE((SELECT MAX(version) FROM events WHERE stream = s), 0)
                 FROM unnest($1::text[]) AS s",
            )
            .await
            .map_err(pg_error)?;
        let ids_stmt = tx
            .prepare_cached(
                "SELECT event_id, stream, version FROM events WHERE event_id = ANY($1::uuid[])",
            )
            .await
            .map_err(pg_error)?;
        let claims_stmt = tx
            .prepare_cached("SELECT key, stream FROM claims WHERE key = ANY($1::text[])")
            .await
            .map_err(pg_error)?;

        let mut head = tx
            .query_one(&head_stmt, &[])
            .await
            .map_err(pg_error)?
            .get::<_, i64>(0) as u64;
        let mut versions: HashMap<String, u64> = tx
            .query(&versions_stmt, &[&streams])
            .await
            .map_err(pg_error)?
            .into_iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        let mut stored: HashMap<Uuid, Stored> = tx
            .query(&ids_stmt, &[&ids])
            .await
            .map_err(pg_error)?
            .into_iter()
            .map(|r| {
                (
                    r.get::<_, Uuid>(0),
                    Stored {
                        stream: r.get(1),
                        version: r.get::<_, i64>(2) as u64,
                    },
                )
            })
            .collect();
        let mut holders: HashMap<String, String> = if keys.is_empty() {
            HashMap::new()
        } else {
            tx.query(&claims_stmt, &[&keys])
                .await
                .map_err(pg_error)?
                .into_iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
                .collect()
        };

        let mut rows = Rows::default();
        // (stream, version) → (event id, position) of the rows this batch adds.
        let mut added: HashMap<(String, u64), (Uuid, u64)> = HashMap::new();
        let mut new_claims: (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        let mut outcomes = Vec::with_capacity(batch.len());
        for r in batch {
            let first = r.events[0].event_id;
            if let Some(found) = stored.get(&first).cloned() {
                // A repeat: its events are either stored or added by this batch.
                let rows_there = self
                    .ids_from(&tx, &r.stream, found.version, r.events.len(), &added)
                    .await?;
                let outcome = resolve_repeat(
                    &r.stream,
                    r.expected,
                    &r.events,
                    Found {
                        stream: &found.stream,
                        version: found.version,
                    },
                    |_, _| Ok(rows_there),
                );
                outcomes.push(outcome);
                continue;
            }
            if let Some(e) = r.events[1..]
                .iter()
                .find(|e| stored.contains_key(&e.event_id))
            {
                let s = &stored[&e.event_id];
                outcomes.push(Err(StoreError::IdempotencyConflict {
                    stream: r.stream.clone(),
                    event_id: e.event_id,
                    reason: format!(
                        "event id already stored in {:?} at version {}",
                        s.stream, s.version
                    ),
                }));
                continue;
            }
            let current = versions.get(&r.stream).copied().unwrap_or(0);
            if !r.expected.matches(current) {
                outcomes.push(Err(StoreError::WrongExpectedVersion {
                    expected: r.expected,
                    actual: current,
                }));
                continue;
            }
            if let Some(key) = r
                .claims
                .iter()
                .find(|k| holders.get(*k).is_some_and(|h| *h != r.stream))
            {
                outcomes.push(Err(StoreError::ClaimTaken { key: key.clone() }));
                continue;
            }
            for key in &r.claims {
                if !holders.contains_key(key) {
                    holders.insert(key.clone(), r.stream.clone());
                    new_claims.0.push(key.clone());
                    new_claims.1.push(r.stream.clone());
                }
            }
            for (i, e) in r.events.iter().enumerate() {
                let version = current + 1 + i as u64;
                head += 1;
                rows.position.push(head as i64);
                rows.stream.push(r.stream.clone());
                rows.version.push(version as i64);
                rows.event_id.push(e.event_id);
                rows.event_type.push(e.event_type.clone());
                rows.schema_version.push(e.schema_version as i32);
                rows.data.push(e.data.to_vec());
                rows.metadata.push(e.metadata.to_vec());
                stored.insert(
                    e.event_id,
                    Stored {
                        stream: r.stream.clone(),
                        version,
                    },
                );
                added.insert((r.stream.clone(), version), (e.event_id, head));
            }
            let next_version = current + r.events.len() as u64;
            versions.insert(r.stream.clone(), next_version);
            outcomes.push(Ok(AppendResult {
                next_version,
                position: head,
                repeated: false,
            }));
        }

        if !rows.position.is_empty() {
            let insert = tx
                .prepare_cached(
                    "INSERT INTO events
                       (position, stream, version, event_id, event_type, schema_version,
                        data, metadata)
                     SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[],
                                          $5::text[], $6::integer[], $7::bytea[], $8::bytea[])",
                )
                .await
                .map_err(pg_error)?;
            tx.execute(
                &insert,
                &[
                    &rows.position,
                    &rows.stream,
                    &rows.version,
                    &rows.event_id,
                    &rows.event_type,
                    &rows.schema_version,
                    &rows.data,
                    &rows.metadata,
                ],
            )
            .await
            .map_err(pg_error)?;
            if !new_claims.0.is_empty() {
                let claim = tx
                    .prepare_cached(
                        "INSERT INTO claims (key, stream)
                         SELECT * FROM unnest($1::text[], $2::text[])",
                    )
                    .await
                    .map_err(pg_error)?;
                tx.execute(&claim, &[&new_claims.0, &new_claims.1])
                    .await
                    .map_err(pg_error)?;
            }
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&&*self.channel, &head.to_string()],
            )
            .await
            .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok((outcomes, head))
    }

    /// `(event id, position)` of up to `n` events of `stream` from `version` on,
    /// stored or added by this batch.
    async fn ids_from(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        stream: &str,
        version: u64,
        n: usize,
        added: &HashMap<(String, u64), (Uuid, u64)>,
    ) -> Result<Vec<(Uuid, u64)>, StoreError> {
        let stmt = tx
            .prepare_cached(
                "SELECT event_id, position FROM events
                 WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3",
            )
            .await
            .map_err(pg_error)?;
        let mut found: Vec<(Uuid, u64)> = tx
            .query(&stmt, &[&stream, &(version as i64), &(n as i64)])
            .await
            .map_err(pg_error)?
            .into_iter()
            .map(|row| (row.get(0), row.get::<_, i64>(1) as u64))
            .collect();
        let mut v = version + found.len() as u64;
        while found.len() < n {
            match added.get(&(stream.to_owned(), v)) {
                Some(x) => found.push(*x),
                None => break,
            }
            v += 1;
        }
        Ok(found)
    }
}

fn size_of(r: &AppendRequest) -> usize {
    r.events
        .iter()
        .map(|e| e.data.len() + e.metadata.len() + 64)
        .sum()
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.collect();
    v.sort_unstable();
    v.dedup();
    v
}
