//! The customers the caller can see (GEN-2), from the projections' customer
//! directory (one row per customer and one per active partner relationship,
//! kept with each committed customer state): a partner's user sees the
//! customers with an active relationship to its partner, a customer's user
//! its own customer. No customer state is decoded to answer.
//!
//! Order: by company name compared case-insensitively (lower-cased), then by
//! customer id; the cursor holds both of the last customer returned.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use subledger_domain::Action;
use subledger_projections::{CustomerFilter, CustomerListing};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{caught_up, next_cursor};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, decode_cursor, limit};

/// The longest `q` accepted.
const MAX_Q_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Only customers whose company name or domain contains this text,
    /// compared case-insensitively (at most 200 characters; empty: all).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Page size: default 100, at most 1000.
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = crate::openapi::customer_cursor)]
    pub cursor: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
}

/// A customer as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerListed {
    pub customer_id: Uuid,
    pub company_name: String,
    pub domain: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// `commercial`, `education`, `government` or `nonprofit`.
    pub segment: String,
    /// The caller's subscriptions of this customer as VIEW-2 lists them (any
    /// status): a partner's own, or for a customer's user all of its own.
    pub subscriptions: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    /// Ordered by company name (case-insensitive), then customer id.
    pub customers: Vec<CustomerListed>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor's key: the customer id (36 characters), then the order key.
fn cursor_key(c: &CustomerListing) -> String {
    format!("{}{}", c.customer_id, c.name_key)
}

fn after(cursor: Option<&str>) -> Result<Option<(String, Uuid)>, ApiError> {
    let Some(key) = decode_cursor(cursor)? else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("cursor", "not a cursor this server gave out");
    if !key.is_char_boundary(36) {
        return Err(bad());
    }
    let (id, name) = key.split_at(36);
    let id: Uuid = id.parse().map_err(|_| bad())?;
    Ok(Some((name.to_owned(), id)))
}

/// `GET /v1/customers`
#[utoipa::path(
    get,
    path = "/v1/customers",
    tag = "reads",
    params(CustomerListQuery),
    responses(
        (status = 200, description = "The customers the caller can see (GEN-2): a partner's, those with an active relationship with it; a customer's user, its own", body = CustomerList),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_customers(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> Result<Json<CustomerList>, ApiError> {
    let (partner_id, customer_id) = match (caller.0.partner_id, caller.0.customer_id) {
        (None, Some(own)) => (None, Some(own)),
        _ => (Some(caller.partner_for(Action::Read)?), None),
    };
    let limit = limit(q.limit)?;
    let after = after(q.cursor.as_deref())?;
    let text = q.q.filter(|t| !t.is_empty());
    if let Some(t) = &text
        && t.chars().count() > MAX_Q_CHARS
    {
        return Err(ApiError::invalid(
            "q",
            format!("q must be at most {MAX_Q_CHARS} characters"),
        ));
    }
    caught_up(&state, q.min_position).await?;
    let filter = CustomerFilter {
        partner_id,
        customer_id,
        q: text,
        after,
        limit: limit + 1,
    };
    let mut rows = state
        .projections()
        .query(move |db| db.customers(&filter))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, cursor_key);
    Ok(Json(CustomerList {
        customers: rows
            .into_iter()
            .map(|c| CustomerListed {
                customer_id: c.customer_id,
                company_name: c.company_name,
                domain: c.domain,
                country: c.country,
                segment: c.segment,
                subscriptions: c.subscriptions,
            })
            .collect(),
        next_cursor,
    }))
}
