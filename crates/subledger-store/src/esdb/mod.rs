//! EventStoreDB / KurrentDB backend, through the `kurrentdb` gRPC client.
//!
//! * Expected versions map to `StreamState` (version `v` ↔ revision `v - 1`, 0 ↔ no
//!   stream); see [`mapping`].
//! * Event ids are ours, so the server's own idempotence applies to retries; on top of it
//!   a `WrongExpectedVersion` or an "already written" answer is checked against the stored
//!   ids, so a repeat returns the original result and a partial repeat is a conflict.
//! * `read_all` / `subscribe_all` read `$all` filtered server-side to our namespace;
//!   positions are the commit part of `$all` positions (see [`mapping::position_from_esdb`]).
//! * Snapshots live in their own streams (`{ns}.snapshots/{stream}`, capped to the latest).
//! * Calls are retried with exponential backoff while the server is unavailable.
//!
//! Limits compared to SQLite: event ids are unique per stream only (ESDB has no global id
//! index), and positions are not gap-free (`$all` is shared with system streams).

mod config;
pub mod mapping;

pub use config::EsdbConfig;
use config::backoff;

use std::future::Future;

use async_trait::async_trait;
use bytes::Bytes;
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, EventData, ReadAllOptions, ReadStream,
    ReadStreamOptions, RetryOptions, StreamMetadata, StreamPosition, StreamState,
    SubscribeToAllOptions, SubscriptionEvent,
};
use uuid::Uuid;

use crate::types::validate_stream;
use crate::{
    AppendResult, EventStore, EventStream, ExpectedVersion, Failure, NewEvent, RecordedEvent,
    Result, Snapshot, StoreError, validate_append,
};
use mapping::{EsdbRecord, Namespace, SnapshotMeta};

/// The EventStoreDB [`EventStore`]. Cheap to clone.
#[derive(Clone)]
pub struct EsdbStore {
    client: Client,
    ns: Namespace,
    config: EsdbConfig,
}

impl std::fmt::Debug for EsdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsdbStore")
            .field("namespace", &self.config.namespace)
            .finish()
    }
}

/// How far back a repeat with `ExpectedVersion::Any` is looked for.
const ANY_REPEAT_WINDOW: usize = 10_000;

impl EsdbStore {
    /// Creates the client (connections are made lazily, on first use). Must run inside a
    /// tokio runtime.
    pub async fn connect(config: EsdbConfig) -> Result<Self> {
        let settings: ClientSettings = config
            .url
            .parse()
            .map_err(|e| StoreError::Backend(format!("invalid EventStoreDB URL: {e}").into()))?;
        let client = Client::new(settings)
            .map_err(|e| StoreError::Backend(format!("EventStoreDB client: {e}").into()))?;
        Ok(EsdbStore {
            client,
            ns: Namespace::new(&config.namespace)?,
            config,
        })
    }

    /// Runs `op` again while it fails with [`StoreError::Unavailable`], backing off.
    async fn retry<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0;
        loop {
            match op().await {
                Err(e) if e.is_retryable() && attempt < self.config.max_retries => {
                    let delay = backoff(&self.config, attempt);
                    tracing::warn!(error = %e, attempt, ?delay, what, "EventStoreDB unavailable, retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn convert(&self, e: &kurrentdb::RecordedEvent) -> Result<Option<RecordedEvent>> {
        mapping::from_esdb(
            &self.ns,
            EsdbRecord {
                stream_id: e.stream_id(),
                revision: e.revision,
                position: e.position,
                id: e.id,
                event_type: &e.event_type,
                data: e.data.clone(),
                custom_metadata: &e.custom_metadata,
            },
        )
    }

    /// Drains a read; a missing stream reads as empty.
    async fn drain(
        &self,
        read: Result<ReadStream, kurrentdb::Error>,
    ) -> Result<Vec<RecordedEvent>> {
        let mut read = match read {
            Ok(r) => r,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(mapping::map_error(e)),
        };
        let mut out = Vec::new();
        loop {
            match read.next().await {
                Ok(Some(resolved)) => {
                    if let Some(e) = resolved.event.as_ref()
                        && let Some(rec) = self.convert(e)?
                    {
                        out.push(rec);
                    }
                }
                Ok(None) => return Ok(out),
                Err(kurrentdb::Error::ResourceNotFound) => return Ok(out),
                Err(e) => return Err(mapping::map_error(e)),
            }
        }
    }

    /// Up to `count` events of our `stream` from version `from_version + 1` on.
    async fn read_stream_page(
        &self,
        stream: &str,
        from_version: u64,
        count: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let name = self.ns.event_stream(stream);
        let opts = ReadStreamOptions::default()
            .position(mapping::stream_start_after(from_version))
            .max_count(count);
        self.retry("read_stream", || async {
            let read = self.client.read_stream(name.as_str(), &opts).await;
            self.drain(read).await
        })
        .await
    }

    /// The last event of an ESDB stream, if any.
    async fn last_of(&self, esdb_stream: &str) -> Result<Option<kurrentdb::ResolvedEvent>> {
        let opts = ReadStreamOptions::default()
            .position(StreamPosition::End)
            .max_count(1);
        self.retry("read_last", || async {
            match self.client.read_stream(esdb_stream, &opts).await {
                Ok(mut r) => match r.next().await {
                    Ok(e) => Ok(e),
                    Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
                    Err(e) => Err(mapping::map_error(e)),
                },
                Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
                Err(e) => Err(mapping::map_error(e)),
            }
        })
        .await
    }

    /// The events stored where `events` would be a repeat, checked id by id.
    /// `Ok(Some)` for an exact repeat, `Ok(None)` when the first id is not there.
    async fn find_repeat(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<Option<AppendResult>> {
        let n = events.len();
        let stored = match expected.pinned() {
            Some(p) => self.read_stream_page(stream, p, n).await?,
            None => {
                // `Any`: look for the first id among the stream's latest events.
                let version = self.stream_version(stream).await?;
                let from = version.saturating_sub(ANY_REPEAT_WINDOW as u64);
                let window = self
                    .read_stream_page(stream, from, ANY_REPEAT_WINDOW)
                    .await?;
                match window.iter().position(|e| e.event_id == events[0].event_id) {
                    Some(i) => window[i..].iter().take(n).cloned().collect(),
                    None => return Ok(None),
                }
            }
        };
        if stored.first().map(|e| e.event_id) != Some(events[0].event_id) {
            return Ok(None);
        }
        let found_version = stored[0].version;
        crate::idempotency::resolve_repeat(
            stream,
            expected,
            events,
            crate::idempotency::Found {
                stream,
                version: found_version,
            },
            |_, _| Ok(stored.iter().map(|e| (e.event_id, e.position)).collect()),
        )
        .map(Some)
    }

    async fn append_inner(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult> {
        let name = self.ns.event_stream(stream);
        let opts =
            AppendToStreamOptions::default().stream_state(mapping::expected_to_state(expected));
        let data: Vec<EventData> = events.iter().map(mapping::to_event_data).collect();
        let written = self
            .retry("append", || async {
                match self
                    .client
                    .append_to_stream(name.as_str(), &opts, data.clone())
                    .await
                {
                    Ok(w) => Ok(Ok(w)),
                    Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => {
                        Ok(Err(mapping::current_to_version(current)))
                    }
                    Err(e) => Err(mapping::map_error(e)),
                }
            })
            .await?;
        match written {
            Ok(w) if w.position != kurrentdb::Position::start() => Ok(AppendResult {
                next_version: w.next_expected_version + 1,
                position: mapping::position_from_esdb(w.position),
                repeated: false,
            }),
            // The server recognised a repeat and wrote nothing (it reports no position):
            // find the original events to return their result, and hold the repeat to our
            // exact-match rule.
            Ok(_) => match self.find_repeat(stream, expected, events).await? {
                Some(r) => Ok(r),
                None => Err(StoreError::IdempotencyConflict {
                    stream: stream.to_owned(),
                    event_id: events[0].event_id,
                    reason: "the server reported a repeat but the events are not where expected"
                        .into(),
                }),
            },
            Err(actual) => {
                if expected.pinned().is_some_and(|p| actual > p)
                    && let Some(r) = self.find_repeat(stream, expected, events).await?
                {
                    return Ok(r);
                }
                Err(StoreError::WrongExpectedVersion { expected, actual })
            }
        }
    }

    fn all_options(&self, from: u64, count: usize) -> ReadAllOptions {
        ReadAllOptions::default()
            .forwards()
            .position(mapping::start_after(from))
            .filter(self.ns.filter())
            .max_count(count)
    }
}

#[async_trait]
impl EventStore for EsdbStore {
    #[tracing::instrument(
        name = "append",
        skip_all,
        fields(backend = "eventstoredb", stream, expected = %expected, events = events.len())
    )]
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult> {
        validate_append(stream, &events)?;
        self.append_inner(stream, expected, &events).await
    }

    async fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<RecordedEvent>> {
        validate_stream(stream)?;
        self.read_stream_page(stream, from_version, usize::MAX)
            .await
    }

    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Reads are inclusive of their start: ask for one more and drop what is not after.
        let opts = self.all_options(from_position, limit.saturating_add(1));
        let mut events = self
            .retry("read_all", || async {
                let read = self.client.read_all(&opts).await;
                self.drain(read).await
            })
            .await?;
        events.retain(|e| e.position > from_position);
        events.truncate(limit);
        Ok(events)
    }

    async fn subscribe_all(&self, from_position: u64) -> Result<EventStream> {
        let opts = SubscribeToAllOptions::default()
            .position(mapping::start_after(from_position))
            .filter(self.ns.filter())
            // The client resubscribes from the last event it delivered after a dropped
            // connection; anything it delivers twice is dropped below.
            .retry_options(
                RetryOptions::default()
                    .retry_limit(self.config.max_retries as usize)
                    .retry_delay(self.config.max_backoff),
            );
        let sub = self.client.subscribe_to_all(&opts).await;
        let store = self.clone();
        let state = (sub, from_position, false);
        Ok(Box::pin(futures::stream::unfold(
            state,
            move |(mut sub, mut last, done)| {
                let store = store.clone();
                async move {
                    if done {
                        return None;
                    }
                    loop {
                        match sub.next_subscription_event().await {
                            Ok(SubscriptionEvent::EventAppeared(resolved)) => {
                                let Some(e) = resolved.event.as_ref() else {
                                    continue;
                                };
                                match store.convert(e) {
                                    Ok(Some(rec)) if rec.position > last => {
                                        last = rec.position;
                                        return Some((Ok(rec), (sub, last, false)));
                                    }
                                    // Not ours, or a redelivery after a resubscribe.
                                    Ok(_) => continue,
                                    Err(err) => return Some((Err(err), (sub, last, true))),
                                }
                            }
                            Ok(_) => continue,
                            Err(e) => {
                                return Some((Err(mapping::map_error(e)), (sub, last, true)));
                            }
                        }
                    }
                }
            },
        )))
    }

    async fn last_position(&self) -> Result<u64> {
        let opts = ReadAllOptions::default()
            .position(StreamPosition::End)
            .filter(self.ns.filter())
            .max_count(1);
        let last = self
            .retry("last_position", || async {
                let read = self.client.read_all(&opts).await;
                self.drain(read).await
            })
            .await?;
        Ok(last.first().map_or(0, |e| e.position))
    }

    async fn stream_version(&self, stream: &str) -> Result<u64> {
        validate_stream(stream)?;
        let last = self.last_of(&self.ns.event_stream(stream)).await?;
        Ok(last.and_then(|r| r.event).map_or(0, |e| e.revision + 1))
    }

    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: Bytes,
    ) -> Result<()> {
        validate_stream(stream)?;
        let current = self.stream_version(stream).await?;
        if version > current {
            return Err(StoreError::InvalidSnapshot(format!(
                "snapshot at version {version} but stream {stream:?} is at {current}"
            )));
        }
        let meta = serde_json::to_vec(&SnapshotMeta {
            version,
            schema_version,
        })
        .map_err(|e| StoreError::Backend(Failure::caused_by(e)))?;
        let name = self.ns.snapshot_stream(stream);
        let event = EventData::binary("subledger.snapshot", data)
            .id(Uuid::new_v4())
            .metadata(Bytes::from(meta));
        let opts = AppendToStreamOptions::default().stream_state(StreamState::Any);
        let written = self
            .retry("save_snapshot", || async {
                self.client
                    .append_to_stream(name.as_str(), &opts, event.clone())
                    .await
                    .map_err(mapping::map_error)
            })
            .await?;
        if written.next_expected_version == 0 {
            // First snapshot of this stream: let the server keep only the latest one.
            let md = StreamMetadata::builder().max_count(1).build();
            self.retry("snapshot_stream_metadata", || async {
                self.client
                    .set_stream_metadata(name.as_str(), &AppendToStreamOptions::default(), &md)
                    .await
                    .map_err(mapping::map_error)
            })
            .await?;
        }
        Ok(())
    }

    async fn load_snapshot(&self, stream: &str, schema_version: u32) -> Result<Option<Snapshot>> {
        validate_stream(stream)?;
        let Some(e) = self
            .last_of(&self.ns.snapshot_stream(stream))
            .await?
            .and_then(|r| r.event)
        else {
            return Ok(None);
        };
        let meta: SnapshotMeta = serde_json::from_slice(&e.custom_metadata)
            .map_err(|err| StoreError::Corrupt(format!("snapshot metadata: {err}").into()))?;
        if meta.schema_version != schema_version {
            return Ok(None);
        }
        Ok(Some(Snapshot {
            stream: stream.to_owned(),
            version: meta.version,
            schema_version: meta.schema_version,
            data: e.data.clone(),
        }))
    }
}

#[cfg(test)]
mod tests;
