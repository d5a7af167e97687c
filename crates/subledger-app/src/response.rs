//! The success body of `POST /v1/commands` (API.md), built from the stored
//! records so that a repeated command id gets the first response byte for byte.

use serde::Serialize;
use serde_json::value::RawValue;
use subledger_domain::{Event, EventData};
use subledger_store::RecordedEvent;
use uuid::Uuid;

use crate::codec;
use crate::error::CommandError;

/// A stored payload as the response shows it: the stored JSON text, unchanged.
pub(crate) fn raw_payload(bytes: &[u8]) -> Result<Box<RawValue>, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// One event as the response shows it: `{ "type": …, "data": { … } }`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventOut {
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's payload as stored.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Box<RawValue>,
}

/// The result of an accepted (or dry-run) command.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommandResponse {
    pub command_id: Uuid,
    pub stream: String,
    pub version: u64,
    /// The global position of the command's last event; absent for a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    pub events: Vec<EventOut>,
    pub subscription_ids: Vec<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<Uuid>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// `RevealKey` only: the one response that carries a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl CommandResponse {
    /// Builds the body from the command's events and their stored payloads.
    pub fn build(
        command_id: Uuid,
        stream: String,
        version: u64,
        position: Option<u64>,
        events: &[(Event, Box<RawValue>)],
        key: Option<String>,
        dry_run: bool,
    ) -> Self {
        let mut subscription_ids: Vec<Uuid> = Vec::new();
        let mut order_id = None;
        let mut transfer_id = None;
        for (e, _) in events {
            match &e.data {
                EventData::OrderPlaced { order_id: id, .. } => order_id = Some(*id),
                EventData::TransferRequested {
                    transfer_id: id, ..
                } => transfer_id = Some(*id),
                _ => {}
            }
            for id in e.data.subscription_ids() {
                if !subscription_ids.contains(&id) {
                    subscription_ids.push(id);
                }
            }
        }
        Self {
            command_id,
            stream,
            version,
            position,
            events: events
                .iter()
                .map(|(e, raw)| EventOut {
                    event_type: e.data.type_name().to_owned(),
                    data: raw.clone(),
                })
                .collect(),
            subscription_ids,
            order_id,
            transfer_id,
            dry_run,
            key,
        }
    }

    /// The response of a command rebuilt from its stored records (a repeat, GEN-5).
    pub(crate) fn from_records(
        command_id: Uuid,
        records: &[RecordedEvent],
        key: Option<String>,
    ) -> Result<Self, CommandError> {
        let last = records
            .last()
            .ok_or_else(|| CommandError::Corrupt(format!("command {command_id} has no events")))?;
        let shown = records
            .iter()
            .map(|r| {
                let (e, _) = codec::decode(r)?;
                Ok((e, raw_payload(&r.data)?))
            })
            .collect::<Result<Vec<_>, CommandError>>()?;
        Ok(Self::build(
            command_id,
            last.stream.clone(),
            last.version,
            Some(last.position),
            &shown,
            key,
            false,
        ))
    }
}
