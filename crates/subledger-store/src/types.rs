//! The store's value types.

use std::collections::HashSet;
use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use uuid::Uuid;

use crate::StoreError;

/// What the caller believes the stream's version to be; checked atomically with the append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectedVersion {
    /// The stream has no events (version 0).
    NoStream,
    /// The stream has exactly this many events.
    Exact(u64),
    /// No check: append wherever the stream currently ends.
    Any,
}

impl ExpectedVersion {
    /// The version this expectation pins, if any (`NoStream` pins 0).
    pub fn pinned(self) -> Option<u64> {
        match self {
            ExpectedVersion::NoStream => Some(0),
            ExpectedVersion::Exact(v) => Some(v),
            ExpectedVersion::Any => None,
        }
    }

    /// Whether a stream currently at `actual` satisfies this expectation.
    pub fn matches(self, actual: u64) -> bool {
        self.pinned().is_none_or(|v| v == actual)
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::NoStream => f.write_str("no stream (version 0)"),
            ExpectedVersion::Exact(v) => write!(f, "version {v}"),
            ExpectedVersion::Any => f.write_str("any version"),
        }
    }
}

/// An event to append. The id is set by the caller so that retries are idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    /// Payload, JSON by convention; the store treats it as opaque bytes.
    pub data: Bytes,
    /// Metadata, JSON by convention (may be empty); opaque to the store.
    pub metadata: Bytes,
}

impl NewEvent {
    /// An event with empty metadata.
    pub fn new(
        event_id: Uuid,
        event_type: impl Into<String>,
        schema_version: u32,
        data: impl Into<Bytes>,
    ) -> Self {
        NewEvent {
            event_id,
            event_type: event_type.into(),
            schema_version,
            data: data.into(),
            metadata: Bytes::new(),
        }
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: impl Into<Bytes>) -> Self {
        self.metadata = metadata.into();
        self
    }
}

/// An event as stored. `Bytes` keeps clones cheap for fan-out to subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub stream: String,
    /// 1-based version of this event within its stream.
    pub version: u64,
    /// Global position, strictly increasing in commit order.
    pub position: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub data: Bytes,
    pub metadata: Bytes,
}

/// Outcome of a successful (or idempotently repeated) append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppendResult {
    /// Stream version after the append (= version of its last event).
    pub next_version: u64,
    /// Global position of the last event appended.
    pub position: u64,
    /// The append was an idempotent repeat: nothing was written, and the numbers are
    /// those of the original append. A caller that decided the events itself (another
    /// process may have decided the same command first) answers with the stored ones.
    pub repeated: bool,
}

/// A snapshot of a stream's state at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub stream: String,
    pub version: u64,
    pub schema_version: u32,
    pub data: Bytes,
}

/// The boxed stream returned by [`crate::EventStore::subscribe_all`].
pub type EventStream =
    Pin<Box<dyn futures::Stream<Item = Result<RecordedEvent, StoreError>> + Send + 'static>>;

/// Checks what every backend refuses before touching storage: an empty stream name, an
/// empty append, an event id repeated within one append, an empty event type.
pub fn validate_append(stream: &str, events: &[NewEvent]) -> Result<(), StoreError> {
    if stream.is_empty() {
        return Err(StoreError::InvalidStreamName(
            "stream name must not be empty".into(),
        ));
    }
    if events.is_empty() {
        return Err(StoreError::EmptyAppend);
    }
    if events.len() > 1 {
        let mut seen = HashSet::with_capacity(events.len());
        for e in events {
            if !seen.insert(e.event_id) {
                return Err(StoreError::InvalidAppend(format!(
                    "event id {} appears twice in one append",
                    e.event_id
                )));
            }
        }
    }
    if let Some(e) = events.iter().find(|e| e.event_type.is_empty()) {
        return Err(StoreError::InvalidAppend(format!(
            "event {} has an empty event type",
            e.event_id
        )));
    }
    Ok(())
}

/// Refuses an empty claim key (a key must name something).
pub(crate) fn validate_claims(claims: &[String]) -> Result<(), StoreError> {
    if claims.iter().any(String::is_empty) {
        return Err(StoreError::InvalidAppend("a claim key is empty".into()));
    }
    Ok(())
}

/// Refuses an empty stream name (reads and snapshots).
pub(crate) fn validate_stream(stream: &str) -> Result<(), StoreError> {
    if stream.is_empty() {
        Err(StoreError::InvalidStreamName(
            "stream name must not be empty".into(),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_version_matching() {
        assert!(ExpectedVersion::NoStream.matches(0));
        assert!(!ExpectedVersion::NoStream.matches(1));
        assert!(ExpectedVersion::Exact(3).matches(3));
        assert!(!ExpectedVersion::Exact(3).matches(2));
        assert!(ExpectedVersion::Any.matches(0));
        assert!(ExpectedVersion::Any.matches(42));
    }

    #[test]
    fn validation_refuses_bad_appends() {
        let e = NewEvent::new(Uuid::new_v4(), "T", 1, &b"{}"[..]);
        assert!(matches!(
            validate_append("s", &[]),
            Err(StoreError::EmptyAppend)
        ));
        assert!(matches!(
            validate_append("", std::slice::from_ref(&e)),
            Err(StoreError::InvalidStreamName(_))
        ));
        assert!(matches!(
            validate_append("s", &[e.clone(), e.clone()]),
            Err(StoreError::InvalidAppend(_))
        ));
        let mut untyped = e.clone();
        untyped.event_type.clear();
        assert!(matches!(
            validate_append("s", &[untyped]),
            Err(StoreError::InvalidAppend(_))
        ));
        assert!(validate_append("s", &[e]).is_ok());
    }
}
