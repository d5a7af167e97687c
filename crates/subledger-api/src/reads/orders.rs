//! A customer's orders, with their line items, as the calling partner placed them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use subledger_domain::Action;
use subledger_domain::event::OrderLine;
use subledger_domain::state::Order;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ListQuery, as_of, caught_up, next_cursor, visible_customer};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, IdPath, decode_cursor, limit};

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
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// Orders placed by the calling partner, oldest first.
    pub orders: Vec<OrderOut>,
    pub next_cursor: Option<String>,
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
