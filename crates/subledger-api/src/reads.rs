//! The state reads of API.md: a subscription, a customer's subscriptions (JSON or
//! the CSV of VIEW-3), its orders, refundable seats and a subscription's history.
//!
//! Interim: these are served from the ledger's customer states and streams (the
//! cached state for "now", a fold of the stream for `as_of`); the projections of
//! issue 5 will take over without changing the shapes.
//!
//! Isolation (GEN-2): a partner sees a customer only while it has an active
//! relationship with it, and a subscription only if it is its partner of
//! record; anything else is 404, never 403. Access is judged on the current
//! state (the partner's rights now); `as_of` only changes what is shown.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

use subledger_app::codec::data_json;
use subledger_app::read_side::customer_as_of;
use subledger_domain::event::OrderLine;
use subledger_domain::state::Order;
use subledger_domain::view::{
    CSV_HEADER, RefundableBatch, RefundableSeats, SubscriptionView, csv_field, csv_row,
    listed_among_subscriptions,
};
use subledger_domain::{Action, Actor, CustomerState, Event, Subscription};
use subledger_projections::CustomerEntry;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, IdPath, decode_cursor, encode_cursor, instant, limit};

/// A customer's read model as shown at one instant.
pub(crate) struct Shown {
    pub entry: Arc<CustomerEntry>,
    /// The instant views are computed at: now, or `as_of`.
    pub now: DateTime<Utc>,
}

impl Shown {
    pub fn state(&self) -> &CustomerState {
        &self.entry.state
    }

    /// The stream version the state reflects (the ETag, `expected_version`).
    pub fn version(&self) -> u64 {
        self.entry.version
    }
}

/// `as_of` must not be in the future: a view of the future would show windows
/// and renewals as if no command could happen before then.
fn as_of(state: &AppState, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let at = instant("as_of", value)?;
    if let Some(at) = at {
        let now = state.ledger().clock().now();
        if at > now {
            return Err(ApiError::invalid(
                "as_of",
                format!("as_of ({at}) is after the ledger's now ({now})"),
            ));
        }
    }
    Ok(at)
}

/// Read-your-writes: waits (bounded) until the projections hold every command
/// this server acknowledged and the position the client names.
pub(crate) async fn caught_up(state: &AppState, min_position: Option<u64>) -> Result<(), ApiError> {
    if let Some(p) = min_position {
        let head = state.ledger().store().last_position().await?;
        if p > head {
            return Err(ApiError::invalid(
                "min_position",
                format!("min_position {p} is beyond the log's last position {head}"),
            ));
        }
    }
    let wanted = min_position.unwrap_or(0).max(state.acknowledged());
    state
        .projections()
        .wait_for(wanted, state.config().read_wait)
        .await
        .map_err(Into::into)
}

async fn shown_at(
    state: &AppState,
    customer: Uuid,
    current: Arc<CustomerEntry>,
    at: Option<DateTime<Utc>>,
) -> Result<Shown, ApiError> {
    Ok(match at {
        None => Shown {
            entry: current,
            now: state.ledger().clock().now(),
        },
        Some(at) => {
            let entry = customer_as_of(
                state.ledger().store().as_ref(),
                Some(state.projections().db()),
                customer,
                at,
            )
            .await?;
            Shown {
                entry: Arc::new(entry),
                now: at,
            }
        }
    })
}

/// GEN-2: the customer, if this partner has an active relationship with it.
pub(crate) async fn visible_customer(
    state: &AppState,
    partner: Uuid,
    customer: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<Shown, ApiError> {
    let current = state.projections().customer(customer).await?;
    let visible = current.as_ref().is_some_and(|c| {
        c.state
            .customer
            .as_ref()
            .is_some_and(|c| c.customer_id == customer)
            && c.state.has_active_relationship(partner)
    });
    match current {
        Some(current) if visible => shown_at(state, customer, current, at).await,
        _ => Err(ApiError::not_found("customer", customer)),
    }
}

/// GEN-2: the subscription, if this partner is its partner of record (and
/// related to its customer); at `as_of`, it must have existed then.
pub(crate) async fn visible_subscription(
    state: &AppState,
    partner: Uuid,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<(Shown, Subscription), ApiError> {
    let not_found = || ApiError::not_found("subscription", id);
    let customer = state
        .projections()
        .customer_of_subscription(id)
        .await?
        .ok_or_else(not_found)?;
    let current = state
        .projections()
        .customer(customer)
        .await?
        .ok_or_else(not_found)?;
    let owned = current
        .state
        .subscriptions
        .get(&id)
        .is_some_and(|s| s.partner_id == partner)
        && current.state.has_active_relationship(partner);
    if !owned {
        return Err(not_found());
    }
    let shown = shown_at(state, customer, current, at).await?;
    let sub = shown
        .state()
        .subscriptions
        .get(&id)
        .cloned()
        .ok_or_else(not_found)?;
    Ok((shown, sub))
}

/// An event's actor as another reader may see it: a user of another partner is
/// shown by its partner id only (GEN-2); time-driven work has none.
pub(crate) fn shown_actor(actor: Option<&Actor>, partner: Uuid) -> Value {
    match actor {
        None => Value::Null,
        Some(a) if a.partner_id.is_some_and(|p| p != partner) => {
            serde_json::json!({ "partner_id": a.partner_id })
        }
        Some(a) => serde_json::to_value(a).unwrap_or(Value::Null),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Read the state as of this instant (VIEW-4).
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position:
    /// pass a command response's `position` to read that command's effects.
    pub min_position: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Read the state as of this instant (VIEW-4).
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
    /// Page size: default 100, at most 1000.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionListQuery {
    /// Read the state as of this instant (VIEW-4).
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
    /// Page size: default 100, at most 1000 (JSON only; the CSV export is whole).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `csv` for the export of VIEW-3 (as `Accept: text/csv`), or `json`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionList {
    /// Subscription views (VIEW-1), ordered by subscription id.
    #[schema(value_type = Vec<Object>)]
    pub subscriptions: Vec<SubscriptionView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub partner_id: Uuid,
    pub placed_at: DateTime<Utc>,
    pub reseller_id: Option<Uuid>,
    pub additional_resellers: Vec<Uuid>,
    /// The line items as bought: subscription, product, quantity, term, billing,
    /// trial, auto-renew, promotion, unit price.
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// Orders placed by the calling partner, oldest first.
    pub orders: Vec<OrderOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundableBatchOut {
    pub seats: u32,
    pub refundable_until: DateTime<Utc>,
}

/// SEAT-5.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundableSeatsOut {
    /// Seats reducible now (one seat always stays, SEAT-3).
    pub total: u32,
    pub batches: Vec<RefundableBatchOut>,
    /// "n seats can be reduced now", or "no seats can be reduced now".
    pub message: String,
}

/// One event of a subscription's history (VIEW-5).
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// `{ user, partner_id | customer_id, roles }`; null for the ledger's own
    /// time-driven work; only `partner_id` for another partner's user.
    #[schema(value_type = Object)]
    pub actor: Value,
    pub command_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub data: Value,
    /// The event's version in the customer stream.
    pub version: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub events: Vec<HistoryEvent>,
    pub next_cursor: Option<String>,
}

/// `GET /v1/subscriptions/{id}`
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Subscription id"), AsOfQuery),
    responses(
        (status = 200, description = "The subscription view (VIEW-1); `ETag` is its stream version", body = Object,
         headers(("etag" = String, description = "The stream version, quoted"))),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_subscription(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> Result<Response, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let at = as_of(&state, q.as_of.as_deref())?;
    caught_up(&state, q.min_position).await?;
    let (shown, sub) = visible_subscription(&state, partner, id, at).await?;
    let view = SubscriptionView::of(&sub, shown.now, shown.version());
    let mut response = Json(view).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", shown.version())) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::invalid(
            "format",
            format!("format must be csv or json, not {other}"),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|m| m.trim().starts_with("text/csv"))),
    }
}

/// `GET /v1/customers/{id}/subscriptions`
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/subscriptions",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Customer id"), SubscriptionListQuery),
    responses(
        (status = 200, description = "The partner's subscriptions of this customer (VIEW-2), or with `Accept: text/csv` / `format=csv` the export of VIEW-3",
         content((SubscriptionList = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(customer): IdPath,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SubscriptionListQuery>,
) -> Result<Response, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    let limit = limit(q.limit)?;
    let after = decode_cursor(q.cursor.as_deref())?;
    let at = as_of(&state, q.as_of.as_deref())?;
    caught_up(&state, q.min_position).await?;
    let shown = visible_customer(&state, partner, customer, at).await?;
    let listed = shown
        .state()
        .subscriptions
        .values()
        .filter(|s| s.partner_id == partner && listed_among_subscriptions(s));
    if csv {
        let mut out = CSV_HEADER.join(",");
        out.push_str("\r\n");
        for s in listed {
            let row: Vec<String> = csv_row(s).iter().map(|f| csv_field(f)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        let disposition = format!("attachment; filename=\"subscriptions-{customer}.csv\"");
        let mut response = out.into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    let mut page: Vec<SubscriptionView> = listed
        .filter(|s| {
            after
                .as_ref()
                .is_none_or(|a| s.subscription_id.to_string() > *a)
        })
        .take(limit + 1)
        .map(|s| SubscriptionView::of(s, shown.now, shown.version()))
        .collect();
    let next_cursor = next_cursor(&mut page, limit, |v| v.subscription_id.to_string());
    Ok(Json(SubscriptionList {
        subscriptions: page,
        next_cursor,
    })
    .into_response())
}

/// Keeps `limit` of the `limit + 1` items fetched; the extra one says whether a
/// next page exists, whose cursor is the last kept key.
fn next_cursor<T>(page: &mut Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Option<String> {
    if page.len() <= limit {
        return None;
    }
    page.truncate(limit);
    page.last().map(|last| encode_cursor(&key(last)))
}

fn order_key(o: &Order) -> String {
    format!(
        "{}/{}",
        o.placed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        o.order_id
    )
}

/// `GET /v1/customers/{id}/orders`
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/orders",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Customer id"), ListQuery),
    responses(
        (status = 200, description = "The partner's orders for this customer, with their line items", body = OrderList),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(customer): IdPath,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<OrderList>, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let limit = limit(q.limit)?;
    let after = decode_cursor(q.cursor.as_deref())?;
    let at = as_of(&state, q.as_of.as_deref())?;
    caught_up(&state, q.min_position).await?;
    let shown = visible_customer(&state, partner, customer, at).await?;
    let mut orders: Vec<&Order> = shown
        .state()
        .orders
        .values()
        .filter(|o| o.partner_id == partner)
        .filter(|o| after.as_ref().is_none_or(|a| order_key(o) > *a))
        .collect();
    orders.sort_by_key(|o| order_key(o));
    orders.truncate(limit + 1);
    let next_cursor = next_cursor(&mut orders, limit, |o| order_key(o));
    Ok(Json(OrderList {
        orders: orders
            .into_iter()
            .map(|o| OrderOut {
                order_id: o.order_id,
                customer_id: customer,
                partner_id: o.partner_id,
                placed_at: o.placed_at,
                reseller_id: o.reseller_id,
                additional_resellers: o.additional_resellers.clone(),
                lines: o.lines.clone(),
            })
            .collect(),
        next_cursor,
    }))
}

/// `GET /v1/subscriptions/{id}/refundable-seats`
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}/refundable-seats",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Subscription id"), AsOfQuery),
    responses(
        (status = 200, description = "SEAT-5: the seats reducible now, per batch", body = RefundableSeatsOut),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refundable_seats(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> Result<Json<RefundableSeatsOut>, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let at = as_of(&state, q.as_of.as_deref())?;
    caught_up(&state, q.min_position).await?;
    let (shown, sub) = visible_subscription(&state, partner, id, at).await?;
    let seats = RefundableSeats::of(&sub, shown.now);
    Ok(Json(RefundableSeatsOut {
        total: seats.total,
        message: seats.message(),
        batches: seats
            .batches
            .into_iter()
            .map(
                |RefundableBatch {
                     seats,
                     refundable_until,
                 }| RefundableBatchOut {
                    seats,
                    refundable_until,
                },
            )
            .collect(),
    }))
}

/// `GET /v1/subscriptions/{id}/history`
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}/history",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Subscription id"), ListQuery),
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
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<History>, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let limit = limit(q.limit)?;
    let after = crate::extract::decode_number_cursor(q.cursor.as_deref())?;
    let at = as_of(&state, q.as_of.as_deref())?;
    caught_up(&state, q.min_position).await?;
    // Visibility is judged now; the events are cut at `as_of` below.
    visible_subscription(&state, partner, id, None).await?;
    let customer = state
        .projections()
        .customer_of_subscription(id)
        .await?
        .ok_or_else(|| ApiError::not_found("subscription", id))?;
    let mut events: Vec<(u64, Event)> = state
        .ledger()
        .customer_events(customer)
        .await?
        .into_iter()
        .filter(|(version, e)| {
            *version > after
                && at.is_none_or(|at| e.at <= at)
                && e.data.subscription_ids().contains(&id)
        })
        .take(limit + 1)
        .collect();
    let next_cursor = next_cursor(&mut events, limit, |(v, _)| v.to_string());
    Ok(Json(History {
        events: events
            .into_iter()
            .map(|(version, e)| HistoryEvent {
                event_type: e.data.type_name().to_owned(),
                at: e.at,
                actor: shown_actor(e.actor.as_ref(), partner),
                command_id: e.command_id,
                data: data_json(&e.data),
                version,
            })
            .collect(),
        next_cursor,
    }))
}
