//! How domain events become store records and back: the type name and schema
//! version beside the payload, and the envelope (instant, command, actor) in the
//! metadata. Event ids derive from the command id, so a retried append is the
//! same append (GEN-5).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::{Actor, Event, EventData};
use subledger_store::{NewEvent, RecordedEvent};
use uuid::Uuid;

/// Every event type is at schema version 1 so far.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// The namespace of ids derived for time-driven work.
const TIME_NAMESPACE: Uuid = Uuid::from_u128(0x5ab1_ed9e_0000_4000_8000_0000_0000_0001);

/// The stream of one customer: the consistency boundary.
pub fn customer_stream(customer_id: Uuid) -> String {
    format!("customer-{customer_id}")
}

/// The customer a stream belongs to, if it is a customer stream.
pub fn stream_customer(stream: &str) -> Option<Uuid> {
    stream.strip_prefix("customer-")?.parse().ok()
}

/// A name-based id whose first 48 bits are `prefix`: deterministic (a retry
/// derives the same id), and ordered like the prefix, which keeps the store's
/// index of event ids appending at its end instead of touching random pages.
/// (UUID version 8: the layout is ours.)
fn ordered_id(prefix: [u8; 6], namespace: &Uuid, name: &[u8]) -> Uuid {
    let mut bytes = *Uuid::new_v5(namespace, name).as_bytes();
    bytes[..6].copy_from_slice(&prefix);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The id of the `index`-th event written for `command_id`. It keeps the command
/// id's first 48 bits, so time-ordered command ids (UUIDv7) give time-ordered
/// event ids.
pub fn command_event_id(command_id: Uuid, index: usize) -> Uuid {
    let mut prefix = [0u8; 6];
    prefix.copy_from_slice(&command_id.as_bytes()[..6]);
    ordered_id(prefix, &command_id, format!("event/{index}").as_bytes())
}

/// The id of the `index`-th event of the time-driven work of `stream` due at
/// `at`: the same on every instance, so two instances doing the same work
/// write it once (REN-7). Its first 48 bits are the instant in milliseconds.
pub fn time_event_id(stream: &str, at: DateTime<Utc>, version: u64, index: usize) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut prefix = [0u8; 6];
    prefix.copy_from_slice(&millis.to_be_bytes()[2..]);
    ordered_id(
        prefix,
        &TIME_NAMESPACE,
        format!("{stream}/{}/{version}/{index}", at.timestamp_micros()).as_bytes(),
    )
}

/// The envelope of an event, stored as its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The command's fingerprint (GEN-5), on the first event of a command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// How many events the command wrote, on the first event of a command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
}

/// Why a stored record could not be read back as an event.
#[derive(Debug, thiserror::Error)]
#[error("event {event_id} ({event_type}) at {stream}@{version} is unreadable: {reason}")]
pub struct DecodeError {
    pub stream: String,
    pub version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub reason: String,
}

/// The JSON of an event's payload alone (`data` of `{type, data}`).
pub fn data_json(data: &EventData) -> serde_json::Value {
    match serde_json::to_value(data) {
        Ok(serde_json::Value::Object(mut m)) => m.remove("data").unwrap_or(serde_json::Value::Null),
        _ => serde_json::Value::Null,
    }
}

/// The records of a command's events, with their derived ids; the first carries
/// the command's fingerprint and event count.
pub fn encode_command(events: &[Event], command_id: Uuid, fingerprint: &str) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let meta = Metadata {
                at: e.at,
                command_id: e.command_id,
                actor: e.actor.clone(),
                fingerprint: (i == 0).then(|| fingerprint.to_owned()),
                count: (i == 0).then_some(events.len()),
            };
            encode(e, command_event_id(command_id, i), &meta)
        })
        .collect()
}

/// The records of time-driven work, appended after `version`.
pub fn encode_time(events: &[Event], stream: &str, version: u64) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let meta = Metadata {
                at: e.at,
                command_id: None,
                actor: None,
                fingerprint: None,
                count: None,
            };
            encode(e, time_event_id(stream, e.at, version, i), &meta)
        })
        .collect()
}

fn encode(e: &Event, id: Uuid, meta: &Metadata) -> NewEvent {
    let data = serde_json::to_vec(&data_json(&e.data)).unwrap_or_default();
    let metadata = serde_json::to_vec(meta).unwrap_or_default();
    NewEvent::new(
        id,
        e.data.type_name(),
        EVENT_SCHEMA_VERSION,
        Bytes::from(data),
    )
    .with_metadata(Bytes::from(metadata))
}

/// Reads a record back into a domain event and its envelope.
pub fn decode(r: &RecordedEvent) -> Result<(Event, Metadata), DecodeError> {
    let fail = |reason: String| DecodeError {
        stream: r.stream.clone(),
        version: r.version,
        event_id: r.event_id,
        event_type: r.event_type.clone(),
        reason,
    };
    if r.schema_version != EVENT_SCHEMA_VERSION {
        return Err(fail(format!("unknown schema version {}", r.schema_version)));
    }
    let meta: Metadata =
        serde_json::from_slice(&r.metadata).map_err(|e| fail(format!("metadata: {e}")))?;
    // `{"type": …, "data": …}` in one parse, without re-encoding the payload.
    let mut text = Vec::with_capacity(r.data.len() + r.event_type.len() + 24);
    text.extend_from_slice(b"{\"type\":");
    text.extend_from_slice(&serde_json::to_vec(&r.event_type).unwrap_or_default());
    text.extend_from_slice(b",\"data\":");
    text.extend_from_slice(&r.data);
    text.push(b'}');
    let data: EventData =
        serde_json::from_slice(&text).map_err(|e| fail(format!("payload: {e}")))?;
    Ok((
        Event {
            at: meta.at,
            command_id: meta.command_id,
            actor: meta.actor.clone(),
            data,
        },
        meta,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_5_event_ids_derive_from_the_command_id_and_keep_its_order() {
        let a = Uuid::now_v7();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = Uuid::now_v7();
        assert_eq!(command_event_id(a, 0), command_event_id(a, 0));
        assert_ne!(command_event_id(a, 0), command_event_id(a, 1));
        assert!(command_event_id(a, 5) < command_event_id(b, 0));
        assert_eq!(command_event_id(a, 0).get_version_num(), 8);
        let t1: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let t2: DateTime<Utc> = "2026-01-02T00:00:00Z".parse().unwrap();
        assert!(time_event_id("s", t1, 9, 3) < time_event_id("s", t2, 1, 0));
        assert_ne!(time_event_id("s", t1, 1, 0), time_event_id("s", t1, 2, 0));
    }
}
