//! Pure mappings between the store's types and EventStoreDB's. Kept free of I/O so that
//! they are unit-tested here, where no server runs.

use bytes::Bytes;
use kurrentdb::{
    CurrentRevision, EventData, Position, StreamPosition, StreamState, SubscriptionFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::{ExpectedVersion, Failure, NewEvent, RecordedEvent, StoreError};

/// Our expected version as EventStoreDB's `StreamState`.
///
/// Versions count events (first event = 1); ESDB revisions index them (first = 0). So
/// version `v ≥ 1` is revision `v - 1`, and version 0 is "no stream".
pub fn expected_to_state(expected: ExpectedVersion) -> StreamState {
    match expected {
        ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => StreamState::NoStream,
        ExpectedVersion::Exact(v) => StreamState::StreamRevision(v - 1),
        ExpectedVersion::Any => StreamState::Any,
    }
}

/// The reverse of [`expected_to_state`] (`StreamExists` has no equivalent: `None`).
pub fn state_to_expected(state: StreamState) -> Option<ExpectedVersion> {
    match state {
        StreamState::NoStream => Some(ExpectedVersion::NoStream),
        StreamState::StreamRevision(r) => Some(ExpectedVersion::Exact(r + 1)),
        StreamState::Any => Some(ExpectedVersion::Any),
        StreamState::StreamExists => None,
    }
}

/// A stream's current revision as our version.
pub fn current_to_version(current: CurrentRevision) -> u64 {
    match current {
        CurrentRevision::Current(r) => r + 1,
        CurrentRevision::NoStream => 0,
    }
}

/// Our global position for an `$all` position.
///
/// We use the *commit* part. Every event we write goes through a gRPC append, which the
/// server stores as implicitly committed prepares, one log record per event; for those the
/// server reports `commit == prepare ==` the record's own log position. That is unique per
/// event and strictly increasing in `$all` order, which is what our positions promise.
/// (Only legacy explicit transactions share a commit position among several events, and
/// this client cannot create them.)
pub fn position_from_esdb(p: Position) -> u64 {
    p.commit
}

/// Where to start reading `$all` to get the events *after* our position `p`.
///
/// ESDB reads are inclusive of their start, so the caller still drops `position <= p`.
pub fn start_after(p: u64) -> StreamPosition<Position> {
    if p == 0 {
        StreamPosition::Start
    } else {
        StreamPosition::Position(Position {
            commit: p,
            prepare: p,
        })
    }
}

/// Where to start reading a stream to get the events with version > `from_version`:
/// the revision of version `from_version + 1` is `from_version`.
pub fn stream_start_after(from_version: u64) -> StreamPosition<u64> {
    if from_version == 0 {
        StreamPosition::Start
    } else {
        StreamPosition::Position(from_version)
    }
}

/// Our streams live under a namespace in the shared `$all`: events in `{ns}/{stream}`,
/// snapshots in `{ns}.snapshots/{stream}`. Reads and subscriptions of `$all` are
/// filtered server-side on the `{ns}/` prefix, so system streams, snapshots and other
/// applications' streams never show up as our events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    events_prefix: String,
    snapshots_prefix: String,
}

impl Namespace {
    pub fn new(ns: &str) -> Result<Self, StoreError> {
        if ns.is_empty() || ns.contains('/') || ns.starts_with('$') {
            return Err(StoreError::Backend(format!(
                "invalid EventStoreDB namespace {ns:?}: must be non-empty, without '/', not start with '$'"
            ).into()));
        }
        Ok(Namespace {
            events_prefix: format!("{ns}/"),
            snapshots_prefix: format!("{ns}.snapshots/"),
        })
    }

    /// The ESDB stream holding our stream's events.
    pub fn event_stream(&self, stream: &str) -> String {
        format!("{}{stream}", self.events_prefix)
    }

    /// The ESDB stream holding our stream's snapshots.
    pub fn snapshot_stream(&self, stream: &str) -> String {
        format!("{}{stream}", self.snapshots_prefix)
    }

    /// Our stream name for an ESDB stream, if it is one of our event streams.
    pub fn our_stream<'a>(&self, esdb_stream: &'a str) -> Option<&'a str> {
        esdb_stream
            .strip_prefix(self.events_prefix.as_str())
            .filter(|s| !s.is_empty())
    }

    /// The prefix that the server-side `$all` filter keeps.
    pub fn events_prefix(&self) -> &str {
        &self.events_prefix
    }

    /// Server-side filter for `$all` reads and subscriptions: our event streams only.
    pub fn filter(&self) -> SubscriptionFilter {
        SubscriptionFilter::on_stream_name().add_prefix(&self.events_prefix)
    }
}

/// ESDB keeps an event's type and payload but has no schema version field: it travels in
/// the event's user metadata, in an envelope around the caller's own metadata.
#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    schema_version: u32,
    /// The caller's metadata verbatim, when it is exactly one JSON value (readable in the
    /// ESDB UI). Absent when the metadata is empty.
    #[serde(
        borrow,
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_raw"
    )]
    metadata: Option<&'a RawValue>,
    /// Otherwise, the metadata bytes in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata_hex: Option<String>,
}

/// A present field (even `null`) is `Some`, so `null` metadata survives the round trip.
fn present_raw<'de, D>(d: D) -> Result<Option<&'de RawValue>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    <&RawValue>::deserialize(d).map(Some)
}

/// `bytes` if it is exactly one JSON value with nothing around it (so storing it as raw
/// JSON gives back the very same bytes).
fn exact_json(bytes: &[u8]) -> Option<&RawValue> {
    serde_json::from_slice::<&RawValue>(bytes)
        .ok()
        .filter(|raw| raw.get().len() == bytes.len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Wraps our metadata and schema version into ESDB user metadata.
pub fn encode_metadata(schema_version: u32, metadata: &[u8]) -> Bytes {
    let envelope = if metadata.is_empty() {
        Envelope {
            schema_version,
            metadata: None,
            metadata_hex: None,
        }
    } else if let Some(raw) = exact_json(metadata) {
        Envelope {
            schema_version,
            metadata: Some(raw),
            metadata_hex: None,
        }
    } else {
        Envelope {
            schema_version,
            metadata: None,
            metadata_hex: Some(hex(metadata)),
        }
    };
    // Serializing a struct of integers, strings and validated raw JSON cannot fail.
    Bytes::from(serde_json::to_vec(&envelope).unwrap_or_default())
}

/// Unwraps [`encode_metadata`]: `(schema_version, metadata)`.
pub fn decode_metadata(user_metadata: &[u8]) -> Result<(u32, Bytes), StoreError> {
    let env: Envelope<'_> = serde_json::from_slice(user_metadata)
        .map_err(|e| StoreError::Corrupt(format!("event metadata envelope: {e}").into()))?;
    let metadata = match (env.metadata, env.metadata_hex) {
        (Some(raw), _) => Bytes::copy_from_slice(raw.get().as_bytes()),
        (None, Some(h)) => Bytes::from(
            unhex(&h).ok_or_else(|| StoreError::Corrupt("event metadata: bad hex".into()))?,
        ),
        (None, None) => Bytes::new(),
    };
    Ok((env.schema_version, metadata))
}

/// Our event as ESDB event data: our id (so the server's idempotence applies), our type,
/// JSON content type when the payload is exactly JSON (binary otherwise, byte-exact).
pub fn to_event_data(e: &NewEvent) -> EventData {
    let data = match exact_json(&e.data) {
        Some(raw) => EventData::json(&e.event_type, &raw)
            .unwrap_or_else(|_| EventData::binary(&e.event_type, e.data.clone())),
        None => EventData::binary(&e.event_type, e.data.clone()),
    };
    data.id(e.event_id)
        .metadata(encode_metadata(e.schema_version, &e.metadata))
}

/// The fields of an ESDB recorded event that we use (the client's type cannot be built
/// outside the client, so conversions take the parts).
pub struct EsdbRecord<'a> {
    pub stream_id: &'a str,
    pub revision: u64,
    pub position: Position,
    pub id: Uuid,
    pub event_type: &'a str,
    pub data: Bytes,
    pub custom_metadata: &'a [u8],
}

/// Converts an ESDB record; `Ok(None)` for a stream outside our namespace.
pub fn from_esdb(ns: &Namespace, r: EsdbRecord<'_>) -> Result<Option<RecordedEvent>, StoreError> {
    let Some(stream) = ns.our_stream(r.stream_id) else {
        return Ok(None);
    };
    let (schema_version, metadata) = decode_metadata(r.custom_metadata)?;
    Ok(Some(RecordedEvent {
        stream: stream.to_owned(),
        version: r.revision + 1,
        position: position_from_esdb(r.position),
        event_id: r.id,
        event_type: r.event_type.to_owned(),
        schema_version,
        data: r.data,
        metadata,
    }))
}

/// The snapshot's own metadata, stored with the snapshot event.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotMeta {
    pub version: u64,
    pub schema_version: u32,
}

/// Maps a client error: connection-level trouble is [`StoreError::Unavailable`]
/// (retryable); the rest is a backend error.
pub fn map_error(e: kurrentdb::Error) -> StoreError {
    use kurrentdb::Error as E;
    match e {
        E::ConnectionClosed
        | E::GrpcConnectionError(_)
        | E::DeadlineExceeded
        | E::NotLeaderException(_)
        | E::ServerError(_) => StoreError::Unavailable(Failure::caused_by(e)),
        E::Grpc { code, .. }
            if matches!(
                i32::from(code),
                tonic_code::UNAVAILABLE | tonic_code::ABORTED | tonic_code::RESOURCE_EXHAUSTED
            ) =>
        {
            StoreError::Unavailable(Failure::caused_by(e))
        }
        E::WrongExpectedVersion { expected, current } => StoreError::WrongExpectedVersion {
            expected: state_to_expected(expected).unwrap_or(ExpectedVersion::Any),
            actual: current_to_version(current),
        },
        E::InternalParsingError(m) => StoreError::Corrupt(m.into()),
        other => StoreError::Backend(Failure::caused_by(other)),
    }
}

/// gRPC status codes we treat as transient (mirrors `tonic::Code`, which this crate does
/// not depend on directly).
mod tonic_code {
    pub const UNAVAILABLE: i32 = 14;
    pub const ABORTED: i32 = 10;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_version_maps_to_stream_state_and_back() {
        assert_eq!(
            expected_to_state(ExpectedVersion::NoStream),
            StreamState::NoStream
        );
        assert_eq!(
            expected_to_state(ExpectedVersion::Exact(0)),
            StreamState::NoStream
        );
        assert_eq!(
            expected_to_state(ExpectedVersion::Exact(1)),
            StreamState::StreamRevision(0)
        );
        assert_eq!(
            expected_to_state(ExpectedVersion::Exact(42)),
            StreamState::StreamRevision(41)
        );
        assert_eq!(expected_to_state(ExpectedVersion::Any), StreamState::Any);
        for v in [1u64, 2, 17, 1_000_000] {
            assert_eq!(
                state_to_expected(expected_to_state(ExpectedVersion::Exact(v))),
                Some(ExpectedVersion::Exact(v))
            );
        }
        assert_eq!(
            state_to_expected(StreamState::NoStream),
            Some(ExpectedVersion::NoStream)
        );
        assert_eq!(state_to_expected(StreamState::StreamExists), None);
        assert_eq!(current_to_version(CurrentRevision::NoStream), 0);
        assert_eq!(current_to_version(CurrentRevision::Current(0)), 1);
        assert_eq!(current_to_version(CurrentRevision::Current(9)), 10);
    }

    #[test]
    fn positions_map_through_the_commit_part() {
        let p = Position {
            commit: 1234,
            prepare: 1234,
        };
        assert_eq!(position_from_esdb(p), 1234);
        assert_eq!(start_after(0), StreamPosition::Start);
        assert_eq!(start_after(1234), StreamPosition::Position(p));
        // Strictly increasing ESDB positions stay strictly increasing.
        let ps = [(10, 10), (250, 250), (4096, 4096)];
        let ours: Vec<u64> = ps
            .iter()
            .map(|&(commit, prepare)| position_from_esdb(Position { commit, prepare }))
            .collect();
        assert!(ours.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(stream_start_after(0), StreamPosition::Start);
        assert_eq!(stream_start_after(3), StreamPosition::Position(3));
    }

    #[test]
    fn namespace_maps_and_filters_stream_names() {
        let ns = Namespace::new("subledger").unwrap();
        assert_eq!(ns.event_stream("customer-1"), "subledger/customer-1");
        assert_eq!(
            ns.snapshot_stream("customer-1"),
            "subledger.snapshots/customer-1"
        );
        assert_eq!(ns.our_stream("subledger/customer-1"), Some("customer-1"));
        assert_eq!(ns.our_stream("subledger/客户/😀"), Some("客户/😀"));
        assert_eq!(ns.our_stream("subledger.snapshots/customer-1"), None);
        assert_eq!(ns.our_stream("$stats-127.0.0.1:2113"), None);
        assert_eq!(ns.our_stream("other/customer-1"), None);
        assert_eq!(ns.our_stream("subledger/"), None);
        assert_eq!(ns.events_prefix(), "subledger/");
        // The server-side filter keeps exactly our events prefix.
        let f = format!("{:?}", ns.filter());
        assert!(f.contains("\"subledger/\""), "{f}");
        assert!(!f.contains("snapshots"), "{f}");
        assert!(Namespace::new("").is_err());
        assert!(Namespace::new("a/b").is_err());
        assert!(Namespace::new("$sys").is_err());
    }

    #[test]
    fn metadata_envelope_round_trips_bytes_exactly() {
        for (sv, m) in [
            (1u32, &b""[..]),
            (2, br#"{"correlation_id":"abc","n":1}"#),
            (3, b"null"),
            (4, b" {\"padded\": true} "),
            (5, b"not json \xff\x00"),
            (6, br#"[1,2,3]"#),
        ] {
            let env = encode_metadata(sv, m);
            assert!(serde_json::from_slice::<serde_json::Value>(&env).is_ok());
            let (sv2, m2) = decode_metadata(&env).unwrap();
            assert_eq!(
                (sv2, &m2[..]),
                (sv, m),
                "envelope {:?}",
                String::from_utf8_lossy(&env)
            );
        }
        assert!(matches!(
            decode_metadata(b"garbage"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn record_conversion() {
        let ns = Namespace::new("sl").unwrap();
        let id = Uuid::new_v4();
        let meta = encode_metadata(3, br#"{"k":"v"}"#);
        let rec = from_esdb(
            &ns,
            EsdbRecord {
                stream_id: "sl/customer-ü",
                revision: 4,
                position: Position {
                    commit: 900,
                    prepare: 900,
                },
                id,
                event_type: "SeatsReduced",
                data: Bytes::from_static(br#"{"seats":3}"#),
                custom_metadata: &meta,
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            rec,
            RecordedEvent {
                stream: "customer-ü".into(),
                version: 5,
                position: 900,
                event_id: id,
                event_type: "SeatsReduced".into(),
                schema_version: 3,
                data: Bytes::from_static(br#"{"seats":3}"#),
                metadata: Bytes::from_static(br#"{"k":"v"}"#),
            }
        );
        let foreign = from_esdb(
            &ns,
            EsdbRecord {
                stream_id: "$et-SeatsReduced",
                revision: 0,
                position: Position::start(),
                id,
                event_type: "$>",
                data: Bytes::new(),
                custom_metadata: b"",
            },
        )
        .unwrap();
        assert_eq!(foreign, None);
        // Building event data never fails, JSON or not.
        let _ = to_event_data(&NewEvent::new(id, "T", 1, &b"\x00binary"[..]));
        let _ = to_event_data(&NewEvent::new(id, "T", 1, &br#"{"a":1}"#[..]));
    }

    #[test]
    fn client_errors_map_to_store_errors() {
        assert!(map_error(kurrentdb::Error::ConnectionClosed).is_retryable());
        assert!(map_error(kurrentdb::Error::DeadlineExceeded).is_retryable());
        assert!(!map_error(kurrentdb::Error::AccessDenied).is_retryable());
        match map_error(kurrentdb::Error::WrongExpectedVersion {
            expected: StreamState::StreamRevision(4),
            current: CurrentRevision::Current(6),
        }) {
            StoreError::WrongExpectedVersion { expected, actual } => {
                assert_eq!(expected, ExpectedVersion::Exact(5));
                assert_eq!(actual, 7);
            }
            other => panic!("{other:?}"),
        }
    }
}
