//! In-memory backend: the reference semantics, for fast tests. Nothing survives the process.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::watch;
use uuid::Uuid;

use crate::idempotency::{Found, resolve_repeat};
use crate::subscription::{PageReader, catch_up};
use crate::types::{validate_claims, validate_stream};
use crate::{
    AppendResult, EventStore, EventStream, ExpectedVersion, NewEvent, RecordedEvent, Result,
    Snapshot, StoreError, validate_append,
};

#[derive(Default)]
struct State {
    /// The global log; `log[i]` has position `i + 1`.
    log: Vec<RecordedEvent>,
    /// Stream name → indexes into `log`, in version order.
    streams: HashMap<String, Vec<usize>>,
    /// Event id → index into `log`.
    ids: HashMap<Uuid, usize>,
    snapshots: HashMap<String, Snapshot>,
    /// Claimed unique key → the stream holding it.
    claims: HashMap<String, String>,
}

struct Inner {
    state: Mutex<State>,
    head: watch::Sender<u64>,
}

/// In-memory [`EventStore`]. Cheap to clone (shared state).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                head: watch::Sender::new(0),
            }),
        }
    }
}

impl Inner {
    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }

    fn read_page(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        let st = self.lock()?;
        let start = usize::try_from(from)
            .unwrap_or(usize::MAX)
            .min(st.log.len());
        let end = start.saturating_add(limit).min(st.log.len());
        Ok(st.log[start..end].to_vec())
    }
}

struct Reader(Arc<Inner>);

impl PageReader for Reader {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecordedEvent>>> + Send + 'static>> {
        let r = self.0.read_page(from, limit);
        Box::pin(async move { r })
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult> {
        self.append_claiming(stream, expected, events, &[]).await
    }

    fn supports_claims(&self) -> bool {
        true
    }

    async fn append_claiming(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        claims: &[String],
    ) -> Result<AppendResult> {
        validate_append(stream, &events)?;
        validate_claims(claims)?;
        let mut st = self.inner.lock()?;
        if let Some(&idx) = st.ids.get(&events[0].event_id) {
            let found = &st.log[idx];
            let stream_idx = st.streams.get(stream);
            return resolve_repeat(
                stream,
                expected,
                &events,
                Found {
                    stream: &found.stream,
                    version: found.version,
                },
                |version, n| {
                    let idxs = stream_idx.map(Vec::as_slice).unwrap_or_default();
                    let from = (version - 1) as usize;
                    Ok(idxs
                        .iter()
                        .skip(from)
                        .take(n)
                        .map(|&i| (st.log[i].event_id, st.log[i].position))
                        .collect())
                },
            );
        }
        let actual = st.streams.get(stream).map_or(0, |v| v.len() as u64);
        if !expected.matches(actual) {
            return Err(StoreError::WrongExpectedVersion { expected, actual });
        }
        if let Some(dup) = events
            .iter()
            .skip(1)
            .find(|e| st.ids.contains_key(&e.event_id))
        {
            return Err(StoreError::IdempotencyConflict {
                stream: stream.to_owned(),
                event_id: dup.event_id,
                reason: "event id already stored elsewhere".into(),
            });
        }
        if let Some(taken) = claims
            .iter()
            .find(|key| st.claims.get(*key).is_some_and(|holder| holder != stream))
        {
            return Err(StoreError::ClaimTaken { key: taken.clone() });
        }
        for key in claims {
            st.claims.insert(key.clone(), stream.to_owned());
        }
        let mut version = actual;
        let mut position = st.log.len() as u64;
        let n = events.len();
        for e in events {
            version += 1;
            position += 1;
            let idx = st.log.len();
            st.ids.insert(e.event_id, idx);
            st.streams.entry(stream.to_owned()).or_default().push(idx);
            st.log.push(RecordedEvent {
                stream: stream.to_owned(),
                version,
                position,
                event_id: e.event_id,
                event_type: e.event_type,
                schema_version: e.schema_version,
                data: e.data,
                metadata: e.metadata,
            });
        }
        drop(st);
        self.inner.head.send_replace(position);
        tracing::trace!(stream, n, version, position, "memory append");
        Ok(AppendResult {
            next_version: version,
            position,
            repeated: false,
        })
    }

    async fn find_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>> {
        let st = self.inner.lock()?;
        Ok(st.ids.get(&event_id).map(|&i| st.log[i].clone()))
    }

    async fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<RecordedEvent>> {
        validate_stream(stream)?;
        let st = self.inner.lock()?;
        Ok(st
            .streams
            .get(stream)
            .map(|idxs| {
                idxs.iter()
                    .skip(usize::try_from(from_version).unwrap_or(usize::MAX))
                    .map(|&i| st.log[i].clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.inner.read_page(from_position, limit)
    }

    async fn subscribe_all(&self, from_position: u64) -> Result<EventStream> {
        Ok(catch_up(
            Reader(self.inner.clone()),
            self.inner.head.subscribe(),
            from_position,
            1024,
        ))
    }

    async fn last_position(&self) -> Result<u64> {
        Ok(self.inner.lock()?.log.len() as u64)
    }

    async fn stream_version(&self, stream: &str) -> Result<u64> {
        validate_stream(stream)?;
        Ok(self
            .inner
            .lock()?
            .streams
            .get(stream)
            .map_or(0, |v| v.len() as u64))
    }

    async fn save_snapshot(
        &self,
        stream: &str,
        version: u64,
        schema_version: u32,
        data: Bytes,
    ) -> Result<()> {
        validate_stream(stream)?;
        let mut st = self.inner.lock()?;
        let current = st.streams.get(stream).map_or(0, |v| v.len() as u64);
        if version > current {
            return Err(StoreError::InvalidSnapshot(format!(
                "snapshot at version {version} but stream {stream:?} is at {current}"
            )));
        }
        st.snapshots.insert(
            stream.to_owned(),
            Snapshot {
                stream: stream.to_owned(),
                version,
                schema_version,
                data,
            },
        );
        Ok(())
    }

    async fn load_snapshot(&self, stream: &str, schema_version: u32) -> Result<Option<Snapshot>> {
        validate_stream(stream)?;
        Ok(self
            .inner
            .lock()?
            .snapshots
            .get(stream)
            .filter(|s| s.schema_version == schema_version)
            .cloned())
    }
}
