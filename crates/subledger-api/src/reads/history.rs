//! A subscription's history (VIEW-5), from the projections' history table: the
//! events naming the subscription, oldest first, without the command path's
//! per-customer lock and without decoding the customer's whole stream.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use subledger_app::codec::data_json;
use subledger_domain::Action;
use subledger_projections::{HistoryFilter, HistoryRow};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{as_of, caught_up, next_cursor, shown_actor, visible_subscription};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, IdPath, decode_number_cursor, limit};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only the events up to this instant (VIEW-4): not after the ledger's now
    /// (400); a date means its first instant.
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
    /// Page size: default 100, at most 1000.
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = crate::openapi::number_cursor)]
    pub cursor: Option<String>,
}

/// One event of a subscription's history (VIEW-5).
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// `{ user, partner_id | customer_id, roles }`; null for the ledger's own
    /// time-driven work; only `partner_id` for another partner's user.
    #[schema(value_type = Option<Object>)]
    pub actor: Value,
    pub command_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub data: Value,
    /// The event's version in the customer stream.
    pub version: u64,
    /// The event's global position in the log (what `/v1/ledger/proof/inclusion`
    /// takes).
    pub position: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub events: Vec<HistoryEvent>,
    pub next_cursor: Option<String>,
}

/// `GET /v1/subscriptions/{id}/history`
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}/history",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Subscription id"), HistoryQuery),
    responses(
        (status = 200, description = "VIEW-5: every event touching the subscription, oldest first", body = History),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<History>, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let limit = limit(q.limit)?;
    let after = decode_number_cursor(q.cursor.as_deref())?;
    let at = as_of(&state, q.as_of.as_deref())?;
    caught_up(&state, q.min_position).await?;
    // Visibility is judged now; the events are cut at `as_of` below.
    visible_subscription(&state, partner, id, None).await?;
    let filter = HistoryFilter {
        subscription_id: id,
        after,
        until: at,
        limit: limit + 1,
    };
    let mut rows = state
        .projections()
        .query(move |db| db.history(&filter))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.version.to_string());
    Ok(Json(History {
        events: rows
            .into_iter()
            .map(
                |HistoryRow {
                     version,
                     position,
                     event,
                     ..
                 }| HistoryEvent {
                    event_type: event.data.type_name().to_owned(),
                    at: event.at,
                    actor: shown_actor(event.actor.as_ref(), partner),
                    command_id: event.command_id,
                    data: data_json(&event.data),
                    version,
                    position,
                },
            )
            .collect(),
        next_cursor,
    }))
}
