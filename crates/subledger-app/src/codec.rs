//! How domain events become store records and back: the type name and schema
//! version beside the payload, and the envelope (instant, command, actor) in the
//! metadata. Event ids derive from the command id, so a retried append is the
//! same append (GEN-5). Records of an older schema version are lifted on read by
//! [`crate::upcast`].

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::{Actor, Event, EventData};
use subledger_store::{NewEvent, RecordedEvent};
use uuid::Uuid;

use crate::upcast::{self, Chain};

/// The schema version records of `event_type` are written at now.
pub fn schema_version_of(event_type: &str) -> u32 {
    upcast::CHAIN.current_version(event_type)
}

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
    let event_type = e.data.type_name();
    NewEvent::new(
        id,
        event_type,
        schema_version_of(event_type),
        Bytes::from(data),
    )
    .with_metadata(Bytes::from(metadata))
}

/// Reads a record back into a domain event and its envelope, lifting a payload
/// of an older schema version to the current one first.
pub fn decode(r: &RecordedEvent) -> Result<(Event, Metadata), DecodeError> {
    decode_with(&upcast::CHAIN, r, false).map(|(e, m, _)| (e, m))
}

/// [`decode`] for the read models, which never look at who acted: the envelope's
/// instant and command id only (no actor, fingerprint or count), which spares a
/// replay an allocation-heavy parse per event.
pub fn decode_for_read_models(r: &RecordedEvent) -> Result<Event, DecodeError> {
    decode_with(&upcast::CHAIN, r, true).map(|(e, _, _)| e)
}

/// The part of the envelope the read models need; serde skips the rest unread.
#[derive(Deserialize)]
struct LeanMetadata {
    at: DateTime<Utc>,
    #[serde(default)]
    command_id: Option<Uuid>,
}

/// How a record's payload was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// At the current version: parsed straight from the stored bytes.
    Current,
    /// Lifted from this older version through a `serde_json::Value`.
    Upcast { from: u32 },
}

fn decode_with(
    chain: &Chain<'_>,
    r: &RecordedEvent,
    lean: bool,
) -> Result<(Event, Metadata, Route), DecodeError> {
    let current = chain.current_version(&r.event_type);
    // The version is judged before anything is parsed, so a record of a version
    // this build cannot read is reported as that, not as a parse error.
    let steps = if r.schema_version == current {
        None
    } else {
        Some(
            chain
                .path(&r.event_type, r.schema_version)
                .map_err(|e| failure(r, e.to_string()))?,
        )
    };
    let meta = decode_metadata(r, lean)?;
    let (data, route) = match steps {
        None => (decode_current(r)?, Route::Current),
        Some(steps) => {
            let from = r.schema_version;
            let mut payload: serde_json::Value =
                serde_json::from_slice(&r.data).map_err(|e| failure(r, format!("payload: {e}")))?;
            for step in steps {
                (step.lift)(&mut payload);
            }
            let tagged = serde_json::json!({"type": r.event_type, "data": payload});
            let data = serde_json::from_value(tagged).map_err(|e| {
                failure(
                    r,
                    format!("payload lifted from schema version {from} to {current}: {e}"),
                )
            })?;
            (data, Route::Upcast { from })
        }
    };
    Ok((
        Event {
            at: meta.at,
            command_id: meta.command_id,
            actor: meta.actor.clone(),
            data,
        },
        meta,
        route,
    ))
}

/// What went wrong with which record.
fn failure(r: &RecordedEvent, reason: String) -> DecodeError {
    DecodeError {
        stream: r.stream.clone(),
        version: r.version,
        event_id: r.event_id,
        event_type: r.event_type.clone(),
        reason,
    }
}

/// The envelope; `lean` reads only the instant and the command id (what the read
/// models need), skipping the actor and the GEN-5 fields.
fn decode_metadata(r: &RecordedEvent, lean: bool) -> Result<Metadata, DecodeError> {
    let parse_error = |e: serde_json::Error| failure(r, format!("metadata: {e}"));
    if !lean {
        return serde_json::from_slice(&r.metadata).map_err(parse_error);
    }
    let m: LeanMetadata = serde_json::from_slice(&r.metadata).map_err(parse_error)?;
    Ok(Metadata {
        at: m.at,
        command_id: m.command_id,
        actor: None,
        fingerprint: None,
        count: None,
    })
}

/// A payload at the current version: `{"type": …, "data": …}` in one parse,
/// without re-encoding the payload (replay decodes every event, so this path stays
/// free of `Value`).
fn decode_current(r: &RecordedEvent) -> Result<EventData, DecodeError> {
    let mut text = Vec::with_capacity(r.data.len() + r.event_type.len() + 24);
    text.extend_from_slice(b"{\"type\":");
    if r.event_type.bytes().all(|b| b.is_ascii_alphanumeric()) {
        text.push(b'"');
        text.extend_from_slice(r.event_type.as_bytes());
        text.push(b'"');
    } else {
        text.extend_from_slice(&serde_json::to_vec(&r.event_type).unwrap_or_default());
    }
    text.extend_from_slice(b",\"data\":");
    text.extend_from_slice(&r.data);
    text.push(b'}');
    serde_json::from_slice(&text).map_err(|e| failure(r, format!("payload: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subledger_domain::Money;
    use subledger_domain::event::UpgradeMode;

    const SOURCE: Uuid = Uuid::from_u128(0x51);
    const TARGET: Uuid = Uuid::from_u128(0x52);

    fn upgraded() -> Event {
        Event {
            at: "2026-01-20T10:00:00Z".parse().unwrap(),
            command_id: Some(Uuid::from_u128(0xC0)),
            actor: None,
            data: EventData::SubscriptionUpgraded {
                subscription_id: SOURCE,
                target_subscription_id: TARGET,
                mode: UpgradeMode::IntoExisting,
                from_product_id: "m365-business-standard".to_owned(),
                to_product_id: "m365-e3".to_owned(),
                to_product_name: "Microsoft 365 E3".to_owned(),
                seats_moved: 4,
                source_quantity_after: 6,
                unit_price: Money::new(3_600, "EUR"),
            },
        }
    }

    /// The record the store would hand back for `e`.
    fn recorded(e: NewEvent) -> RecordedEvent {
        RecordedEvent {
            stream: "customer-test".to_owned(),
            version: 7,
            position: 42,
            event_id: e.event_id,
            event_type: e.event_type,
            schema_version: e.schema_version,
            data: e.data,
            metadata: e.metadata,
        }
    }

    /// `r` as a build before `seats_moved` wrote it: version 1, field `seats`.
    fn as_v1(mut r: RecordedEvent) -> RecordedEvent {
        let mut data: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
        let m = data.as_object_mut().unwrap();
        let seats = m.remove("seats_moved").unwrap();
        m.insert("seats".to_owned(), seats);
        r.data = Bytes::from(serde_json::to_vec(&data).unwrap());
        r.schema_version = 1;
        r
    }

    fn record_of(e: &Event) -> RecordedEvent {
        recorded(encode_command(std::slice::from_ref(e), Uuid::from_u128(0xC0), "fp").remove(0))
    }

    #[test]
    fn subscription_upgraded_is_written_at_version_2_with_seats_moved() {
        let r = record_of(&upgraded());
        assert_eq!(r.schema_version, 2);
        assert_eq!(schema_version_of("SubscriptionUpgraded"), 2);
        let data: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
        assert_eq!(data["seats_moved"], 4);
        assert!(data.get("seats").is_none());
    }

    #[test]
    fn a_v1_subscription_upgraded_record_decodes_to_the_same_event_as_its_v2_record() {
        let v2 = record_of(&upgraded());
        let v1 = as_v1(v2.clone());
        let (from_v2, meta_v2, route_v2) = decode_with(&upcast::CHAIN, &v2, false).unwrap();
        let (from_v1, meta_v1, route_v1) = decode_with(&upcast::CHAIN, &v1, false).unwrap();
        assert_eq!(from_v1, from_v2);
        assert_eq!(from_v1, upgraded());
        assert_eq!(meta_v1, meta_v2);
        assert_eq!(route_v2, Route::Current);
        assert_eq!(route_v1, Route::Upcast { from: 1 });
    }

    #[test]
    fn current_version_records_take_the_fast_path_and_decode_as_written() {
        let reactivated = Event {
            data: EventData::SubscriptionReactivated {
                subscription_id: SOURCE,
            },
            ..upgraded()
        };
        for e in [upgraded(), reactivated] {
            let r = record_of(&e);
            let (got, meta, route) = decode_with(&upcast::CHAIN, &r, false).unwrap();
            assert_eq!(route, Route::Current, "{}", r.event_type);
            assert_eq!(got, e);
            assert_eq!(meta.fingerprint.as_deref(), Some("fp"));
            assert_eq!(decode(&r).unwrap(), (got, meta));
        }
    }

    #[test]
    fn a_record_newer_than_this_build_is_refused_naming_both_versions() {
        let mut r = record_of(&upgraded());
        r.schema_version = 3;
        let err = decode(&r).unwrap_err();
        assert_eq!(
            err.reason,
            "event type SubscriptionUpgraded schema version 3 is newer than this build knows (2)"
        );
        assert!(err.to_string().contains("customer-test@7"), "{err}");
    }

    #[test]
    fn an_old_version_without_a_step_is_refused_naming_the_missing_step() {
        // A build at version 3 of SubscriptionUpgraded whose chain lacks the 1 → 2 step.
        fn noop(_: &mut serde_json::Value) {}
        let steps = [upcast::Step {
            event_type: "SubscriptionUpgraded",
            from_version: 2,
            lift: noop,
        }];
        let chain = Chain::new(&steps);
        let v1 = as_v1(record_of(&upgraded()));
        let err = decode_with(&chain, &v1, false).unwrap_err();
        assert_eq!(
            err.reason,
            "event type SubscriptionUpgraded schema version 1 has no upcast step to version 2 (current 3)"
        );
    }

    #[test]
    fn a_lifted_payload_that_still_does_not_fit_names_the_versions() {
        let mut v1 = as_v1(record_of(&upgraded()));
        let mut data: serde_json::Value = serde_json::from_slice(&v1.data).unwrap();
        data.as_object_mut().unwrap().remove("seats");
        v1.data = Bytes::from(serde_json::to_vec(&data).unwrap());
        let err = decode(&v1).unwrap_err();
        assert!(
            err.reason.starts_with(
                "payload lifted from schema version 1 to 2: missing field `seats_moved`"
            ),
            "{}",
            err.reason
        );
    }

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
