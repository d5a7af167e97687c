//! A subscription's whole timeline (VIEW-5) for the offline tools: every event
//! of its customer's stream that names it, with full actors and a gist of each.
//! Offline, the projections may be behind or missing, so the events come from the
//! log; the projections only say, when they can, which stream to read.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use subledger_domain::EventData;
use subledger_projections::ProjectionDb;
use subledger_store::{EventStore, ReadAllPages};
use uuid::Uuid;

use super::gist::gist;
use super::{ReadError, blocking};
use crate::codec::{self, customer_stream, data_json, stream_customer};

/// Records read from the log per call while looking for a subscription.
const PAGE: usize = 4096;

/// One subscription's timeline, in the shape of the API's history plus its ids.
#[derive(Debug, Serialize)]
pub struct Timeline {
    pub subscription_id: Uuid,
    pub customer_id: Uuid,
    pub events: Vec<TimelineEvent>,
}

/// One event of a timeline.
#[derive(Debug, Serialize)]
pub struct TimelineEvent {
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub at: DateTime<Utc>,
    /// The full actor; null for the ledger's own time-driven work.
    pub actor: serde_json::Value,
    pub command_id: Option<Uuid>,
    pub data: serde_json::Value,
    /// The event's version in the customer stream, and its global position.
    pub version: u64,
    pub position: u64,
    /// What the event did to the subscription, in a few words.
    pub gist: String,
}

impl TimelineEvent {
    /// Who acted, as a timeline prints it: the user, or the ledger itself.
    pub fn actor_name(&self) -> String {
        self.actor["user"]
            .as_str()
            .map_or_else(|| "ledger".to_owned(), str::to_owned)
    }
}

/// The timeline of subscription `id`; `None` if no stream holds it.
pub async fn timeline(
    store: &dyn EventStore,
    projections: Option<&Arc<ProjectionDb>>,
    id: Uuid,
) -> Result<Option<Timeline>, ReadError> {
    let Some(customer) = customer_of_subscription(store, projections, id).await? else {
        return Ok(None);
    };
    let mut events = Vec::new();
    for r in store.read_stream(&customer_stream(customer), 0).await? {
        let (event, _) = codec::decode(&r)?;
        if !event.data.subscription_ids().contains(&id) {
            continue;
        }
        events.push(TimelineEvent {
            event_type: event.data.type_name(),
            at: event.at,
            actor: serde_json::to_value(&event.actor).unwrap_or(serde_json::Value::Null),
            command_id: event.command_id,
            gist: gist(&event.data, id),
            data: data_json(&event.data),
            version: r.version,
            position: r.position,
        });
    }
    Ok(Some(Timeline {
        subscription_id: id,
        customer_id: customer,
        events,
    }))
}

/// The customer whose stream holds subscription `id`: the projections' index,
/// else (or when they are behind) the stream of its creation in the log after
/// their checkpoint.
async fn customer_of_subscription(
    store: &dyn EventStore,
    projections: Option<&Arc<ProjectionDb>>,
    id: Uuid,
) -> Result<Option<Uuid>, ReadError> {
    let mut after = 0;
    if let Some(db) = projections {
        let (customer, checkpoint) = blocking(db, move |db| {
            Ok((db.customer_of_subscription(id)?, db.checkpoint()?))
        })
        .await?;
        if customer.is_some() {
            return Ok(customer);
        }
        after = checkpoint.position;
    }
    // Only a record that mentions the id is decoded.
    let needle = id.to_string();
    let mut pages = ReadAllPages::to_head(store, after, PAGE).await?;
    while let Some(page) = pages.next_page().await? {
        for r in &page {
            if r.event_type != "SubscriptionCreated"
                || !r.data.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                continue;
            }
            let (event, _) = codec::decode(r)?;
            if let EventData::SubscriptionCreated(c) = &event.data
                && c.subscription_id == id
            {
                return Ok(stream_customer(&r.stream));
            }
        }
    }
    Ok(None)
}
