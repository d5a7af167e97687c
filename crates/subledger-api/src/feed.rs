//! The global event feed (`GET /v1/events`): NDJSON, in log order, after a
//! position, only what concerns the caller.
//!
//! The feed is the log itself, walked with [`ReadAllPages`] from `after` up to
//! what the projections have applied (at most [`MAX_SCAN`] records a request,
//! then it hands back where to go on from), not a projected copy: the log already
//! is a feed ordered and indexed by position, a copy would double the database,
//! and what a partner may see of an event depends on the customer as it is now
//! (its relationships, who holds each subscription), which a row written once
//! could not follow. That ruling reads the projections' committed read models,
//! not the command path's per-customer state and lock.
//!
//! Isolation (GEN-2): only events of customers the caller has an active
//! relationship with, and of those only the ones about the caller: customer-level
//! events (`CustomerCreated`), its own relationship, its own orders, transfers it
//! is the source or target of, and events touching a subscription of which it is
//! partner of record (an event touching two partners' subscriptions, such as a
//! transfer, shows to both). Actors of other partners appear by partner id only.
//! Relationship requests and subscriptions of other partners never show.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_app::codec::{self, data_json, stream_customer};
use subledger_domain::{Action, Event, EventData};
use subledger_projections::CustomerEntry;
use subledger_store::{ReadAllPages, RecordedEvent};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, limit};
use crate::reads::{caught_up, shown_actor};

/// The most events one request reads from the log before answering with what
/// it found and a cursor to go on from.
pub const MAX_SCAN: usize = 50_000;
/// Events read from the store per call.
const SCAN_PAGE: usize = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The global position to read after (0, the default, is the start).
    pub after: Option<u64>,
    /// Events per response: default 100, at most 1000.
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
}

/// One line of the NDJSON feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    pub position: u64,
    pub stream: String,
    pub version: u64,
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub command_id: Option<Uuid>,
    #[schema(value_type = Option<Object>)]
    pub actor: serde_json::Value,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl FeedEvent {
    fn of(record: &RecordedEvent, event: Event, partner: Uuid) -> Self {
        FeedEvent {
            position: record.position,
            stream: record.stream.clone(),
            version: record.version,
            event_id: record.event_id,
            event_type: event.data.type_name().to_owned(),
            at: event.at,
            command_id: event.command_id,
            actor: shown_actor(event.actor.as_ref(), partner),
            data: data_json(&event.data),
        }
    }
}

/// What one partner may see of one customer's events (the feed's ruling), judged
/// on the customer's committed read model: it has applied every event the walk
/// reads (the walk stops at what the projections have applied), so it knows every
/// subscription and transfer they mention.
struct CustomerScope {
    related: bool,
    state: Option<Arc<CustomerEntry>>,
}

impl CustomerScope {
    async fn of(state: &AppState, customer: Uuid, partner: Uuid) -> Result<Self, ApiError> {
        let entry = state.projections().customer(customer).await?;
        Ok(CustomerScope {
            related: entry
                .as_ref()
                .is_some_and(|e| e.state.has_active_relationship(partner)),
            state: entry,
        })
    }

    fn shows(&self, partner: Uuid, data: &EventData) -> bool {
        let Some(entry) = self.state.as_ref().filter(|_| self.related) else {
            return false;
        };
        let own_sub = |id: &Uuid| {
            entry
                .state
                .subscriptions
                .get(id)
                .is_some_and(|s| s.partner_id == partner)
        };
        let own_transfer =
            |id: &Uuid| {
                entry.state.transfers.get(id).is_some_and(|t| {
                    t.source_partner_id == partner || t.target_partner_id == partner
                })
            };
        match data {
            EventData::CustomerCreated { .. } => true,
            EventData::RelationshipRequested { partner_id, .. }
            | EventData::RelationshipEstablished { partner_id, .. } => *partner_id == partner,
            EventData::OrderPlaced { partner_id, .. } => *partner_id == partner,
            EventData::TransferRequested {
                source_partner_id,
                target_partner_id,
                ..
            } => *source_partner_id == partner || *target_partner_id == partner,
            EventData::TransferRejected { transfer_id }
            | EventData::TransferExpired { transfer_id }
            | EventData::TransferAccepted { transfer_id, .. } => own_transfer(transfer_id),
            other => other.subscription_ids().iter().any(own_sub),
        }
    }
}

/// `GET /v1/events`
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "reads",
    params(FeedQuery),
    responses(
        (status = 200, description = "NDJSON, one event per line, in log order, only the caller's (see the ruling). Continue with `after` = the `x-next-after` header.",
         content_type = "application/x-ndjson", body = FeedEvent,
         headers(("x-next-after" = u64, description = "The position to pass as `after` for the next call"))),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn event_feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Response, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let limit = limit(q.limit)?;
    let after = q.after.unwrap_or(0);
    caught_up(&state, None).await?;
    let head = state.projections().applied();
    let (events, next_after) = visible_events(&state, partner, after, head, limit).await?;
    let mut body = Vec::new();
    for e in &events {
        serde_json::to_writer(&mut body, e)
            .map_err(|e| ApiError::Internal(format!("feed line not serializable: {e}")))?;
        body.push(b'\n');
    }
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    h.insert("x-next-after", HeaderValue::from(next_after));
    Ok(response)
}

/// The caller's events after `after` up to `head`: at most `limit` of them, and
/// at most [`MAX_SCAN`] records read; with the position of the last record read.
async fn visible_events(
    state: &AppState,
    partner: Uuid,
    after: u64,
    head: u64,
    limit: usize,
) -> Result<(Vec<FeedEvent>, u64), ApiError> {
    let store = state.ledger().store();
    let mut pages = ReadAllPages::new(store.as_ref(), after, head, SCAN_PAGE);
    let mut scopes: HashMap<Uuid, CustomerScope> = HashMap::new();
    let mut events = Vec::new();
    let mut position = after;
    let mut scanned = 0;
    'walk: while let Some(page) = pages.next_page().await? {
        for record in page {
            if scanned >= MAX_SCAN {
                break 'walk;
            }
            position = record.position;
            scanned += 1;
            let Some(customer) = stream_customer(&record.stream) else {
                continue;
            };
            let (event, _) = codec::decode(&record)
                .map_err(|e| ApiError::Internal(format!("undecodable event: {e}")))?;
            let scope = match scopes.entry(customer) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => v.insert(CustomerScope::of(state, customer, partner).await?),
            };
            if scope.shows(partner, &event.data) {
                events.push(FeedEvent::of(&record, event, partner));
                if events.len() == limit {
                    break 'walk;
                }
            }
        }
    }
    Ok((events, position))
}
