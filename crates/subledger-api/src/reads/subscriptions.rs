//! A subscription (VIEW-1), a customer's subscriptions (VIEW-2, or the CSV of
//! VIEW-3) and a subscription's refundable seats (SEAT-5).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::Action;
use subledger_domain::view::{
    CSV_HEADER, RefundableBatch, RefundableSeats, SubscriptionView, csv_row,
    listed_among_subscriptions,
};
use utoipa::{IntoParams, ToSchema};

use super::{as_of, caught_up, next_cursor, visible_customer, visible_subscription};
use crate::AppState;
use crate::csv::{csv_response, push_line, wants_csv};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, IdPath, decode_cursor, limit};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Read the state as of this instant (VIEW-4): not after the ledger's now
    /// (400); a date means its first instant.
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position:
    /// pass a command response's `position` to read that command's effects.
    pub min_position: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionListQuery {
    /// Read the state as of this instant (VIEW-4): not after the ledger's now
    /// (400); a date means its first instant.
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
    /// Page size: default 100, at most 1000 (JSON only; the CSV export is whole).
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = crate::openapi::text_cursor)]
    pub cursor: Option<String>,
    /// `csv` for the export of VIEW-3 (as `Accept: text/csv`), or `json`.
    #[param(schema_with = crate::openapi::list_format)]
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionList {
    /// Subscription views (VIEW-1), ordered by subscription id.
    pub subscriptions: Vec<SubscriptionView>,
    /// Pass as `cursor` for the next page; null on the last page.
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

/// `GET /v1/subscriptions/{id}`
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}",
    tag = "reads",
    params(("id" = Uuid, Path, description = "Subscription id"), AsOfQuery),
    responses(
        (status = 200, description = "The subscription view (VIEW-1); `ETag` is its stream version", body = SubscriptionView,
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
        let mut out = String::new();
        push_line(&mut out, &CSV_HEADER);
        for s in listed {
            push_line(&mut out, &csv_row(s));
        }
        return Ok(csv_response(out, &format!("subscriptions-{customer}.csv")));
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
