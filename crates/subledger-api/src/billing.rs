//! Billing lines (BIL) across a partner's customers, from the projections
//! (indexed by partner and position; the cursor is a position), with a
//! customer's monthly totals.
//!
//! Isolation (GEN-2): only lines whose `partner_id` is the caller's.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::event::BillingReason;
use subledger_domain::{Action, Money};
use subledger_projections::{BillingFilter, MonthTotals};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, decode_number_cursor, limit};
use crate::reads::{caught_up, next_cursor, range, visible_customer};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BillingQuery {
    /// Only this customer's lines (it must be visible to the caller).
    #[param(value_type = Option<Uuid>)]
    pub customer_id: Option<String>,
    /// Lines raised at or after this instant (or date).
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub from: Option<String>,
    /// Lines raised before this instant (or date); not before `from` (400).
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub to: Option<String>,
    /// Page size: default 100, at most 1000.
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = crate::openapi::number_cursor)]
    pub cursor: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Charge,
    Credit,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyOut {
    pub amount_minor: i64,
    pub currency: String,
}

impl From<Money> for MoneyOut {
    fn from(m: Money) -> Self {
        Self {
            amount_minor: m.amount_minor,
            currency: m.currency,
        }
    }
}

/// A charge or credit (BIL), with the figures that recompute its amount.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingLineOut {
    /// When it was raised.
    pub at: DateTime<Utc>,
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub partner_id: Uuid,
    pub product_id: String,
    pub kind: LineKind,
    pub seats: u32,
    pub unit_price: MoneyOut,
    pub amount: MoneyOut,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub period_days: u32,
    pub price_days: u32,
    pub days_charged: u32,
    #[schema(value_type = String)]
    pub reason: BillingReason,
    pub tax_inclusive: bool,
    /// The event's global position in the log.
    pub position: u64,
}

/// Charges and credits of one customer with the calling partner in one month
/// (the month the lines were raised in) and currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthTotalsOut {
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    pub charged_minor: i64,
    pub credited_minor: i64,
    pub net_minor: i64,
    pub lines: u64,
}

impl From<MonthTotals> for MonthTotalsOut {
    fn from(t: MonthTotals) -> Self {
        MonthTotalsOut {
            net_minor: t.net_minor(),
            month: t.month,
            currency: t.currency,
            charged_minor: t.charged_minor,
            credited_minor: t.credited_minor,
            lines: t.lines,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillingLines {
    pub lines: Vec<BillingLineOut>,
    /// With `customer_id`: that customer's totals per month, all lines (not only
    /// this page's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<Vec<MonthTotalsOut>>,
    pub next_cursor: Option<String>,
}

/// `GET /v1/billing/lines`
#[utoipa::path(
    get,
    path = "/v1/billing/lines",
    tag = "reads",
    params(BillingQuery),
    responses(
        (status = 200, description = "The caller's charges and credits (BIL), in log order", body = BillingLines),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "customer_id names a customer the caller cannot see", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn billing_lines(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<BillingQuery>,
) -> Result<Json<BillingLines>, ApiError> {
    let partner = caller.partner_for(Action::Read)?;
    let limit = limit(q.limit)?;
    let after = decode_number_cursor(q.cursor.as_deref())?;
    let (from, to) = range(q.from.as_deref(), q.to.as_deref())?;
    let customer = match q.customer_id.as_deref() {
        None => None,
        Some(c) => {
            let id: Uuid = c
                .parse()
                .map_err(|e| ApiError::invalid("customer_id", format!("customer_id: {e}")))?;
            visible_customer(&state, partner, id, None).await?;
            Some(id)
        }
    };
    caught_up(&state, q.min_position).await?;
    let filter = BillingFilter {
        partner_id: Some(partner),
        customer_id: customer,
        from,
        to,
        after,
        limit: limit + 1,
    };
    let mut rows = state
        .projections()
        .query(move |db| db.billing_lines(&filter))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.position.to_string());
    let totals = match customer {
        None => None,
        Some(c) => Some(
            state
                .projections()
                .query(move |db| db.billing_totals(Some(c), Some(partner)))
                .await?
                .into_iter()
                .map(MonthTotalsOut::from)
                .collect(),
        ),
    };
    Ok(Json(BillingLines {
        lines: rows
            .into_iter()
            .map(|r| {
                let line = r.line;
                BillingLineOut {
                    at: r.at,
                    customer_id: line.customer_id,
                    subscription_id: line.subscription_id,
                    partner_id: line.partner_id,
                    product_id: line.product_id,
                    kind: match r.kind {
                        subledger_projections::LineKind::Charge => LineKind::Charge,
                        subledger_projections::LineKind::Credit => LineKind::Credit,
                    },
                    seats: line.seats,
                    unit_price: line.unit_price.into(),
                    amount: line.amount.into(),
                    period_start: line.period_start,
                    period_end: line.period_end,
                    period_days: line.period_days,
                    price_days: line.price_days,
                    days_charged: line.days_charged,
                    reason: line.reason,
                    tax_inclusive: line.tax_inclusive,
                    position: r.position,
                }
            })
            .collect(),
        totals,
        next_cursor,
    }))
}
