//! Reads across customers: billing lines (BIL), the key-access activity log
//! (KEY-3/4) and the global event feed.
//!
//! Billing lines and the activity log are read from the projections (indexed by
//! partner and position; the cursor is a position). The feed reads the log itself
//! (`EventStore::read_all`) from `after`: at most [`MAX_SCAN`] events per request,
//! then it hands back where to go on from.
//!
//! Isolation (GEN-2), ruled here:
//! - billing lines: only lines whose `partner_id` is the caller's;
//! - key-access log: only entries whose `partner_id` is the caller's;
//! - event feed: only events of customers the caller has an active relationship
//!   with, and of those only the ones about the caller: customer-level events
//!   (`CustomerCreated`), its own relationship, its own orders, transfers it is
//!   the source or target of, and events touching a subscription of which it is
//!   partner of record (an event touching two partners' subscriptions, such as
//!   a transfer, shows to both). Actors of other partners appear by partner id
//!   only. Relationship requests and subscriptions of other partners never show.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use subledger_app::codec::{self, data_json, stream_customer};
use subledger_domain::event::BillingReason;
use subledger_domain::{Action, CustomerState, Event, EventData, Money, Role};
use subledger_store::RecordedEvent;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, decode_number_cursor, encode_cursor, instant, limit};
use crate::reads::{caught_up, shown_actor, visible_customer};
use subledger_projections::{BillingFilter, KeyAccessFilter, KeyAction, MonthTotals};

/// The most events one request reads from the log before answering with what
/// it found and a cursor to go on from.
pub const MAX_SCAN: usize = 50_000;
/// Events read from the store per call.
const SCAN_PAGE: usize = 1_000;

/// Reads the log after a position, customer events only, within the budget.
struct Scanner<'a> {
    state: &'a AppState,
    /// The position of the last event read.
    position: u64,
    page: std::collections::VecDeque<RecordedEvent>,
    scanned: usize,
}

enum Next {
    Event(Box<(RecordedEvent, Event)>),
    Budget,
    End,
}

impl<'a> Scanner<'a> {
    fn new(state: &'a AppState, after: u64) -> Self {
        Self {
            state,
            position: after,
            page: Default::default(),
            scanned: 0,
        }
    }

    async fn next(&mut self) -> Result<Next, ApiError> {
        loop {
            if self.scanned >= MAX_SCAN {
                return Ok(Next::Budget);
            }
            if self.page.is_empty() {
                let page = self
                    .state
                    .ledger()
                    .store()
                    .read_all(self.position, SCAN_PAGE)
                    .await?;
                if page.is_empty() {
                    return Ok(Next::End);
                }
                self.page = page.into();
            }
            let Some(record) = self.page.pop_front() else {
                continue;
            };
            self.position = record.position;
            self.scanned += 1;
            if stream_customer(&record.stream).is_none() {
                continue;
            }
            let (event, _) = codec::decode(&record)
                .map_err(|e| ApiError::Internal(format!("undecodable event: {e}")))?;
            return Ok(Next::Event(Box::new((record, event))));
        }
    }
}

/// An optional instant range: `from` inclusive, `to` exclusive.
type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn range(from: Option<&str>, to: Option<&str>) -> Result<Range, ApiError> {
    let from = instant("from", from)?;
    let to = instant("to", to)?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(ApiError::invalid("to", "to is before from"));
    }
    Ok((from, to))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BillingQuery {
    /// Only this customer's lines (it must be visible to the caller).
    pub customer_id: Option<String>,
    /// Lines raised at or after this instant (or date).
    pub from: Option<String>,
    /// Lines raised before this instant (or date).
    pub to: Option<String>,
    pub limit: Option<u32>,
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
    let next_cursor = page_cursor(&mut rows, limit, |r| r.position);
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

/// Keeps `limit` of the `limit + 1` rows read; the extra one says a next page
/// exists, which starts after the last kept position.
fn page_cursor<T>(rows: &mut Vec<T>, limit: usize, position: impl Fn(&T) -> u64) -> Option<String> {
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(|r| encode_cursor(&position(r).to_string()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyAccessQuery {
    /// Entries at or after this instant (or date).
    pub from: Option<String>,
    /// Entries before this instant (or date).
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyAccessAction {
    RevealKey,
    Download,
    CopyLink,
}

/// One entry of the key-access activity log (KEY-3). Never the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyAccessEntry {
    pub at: DateTime<Utc>,
    pub user: String,
    /// The role the user acted under.
    #[schema(value_type = String)]
    pub role: Role,
    pub partner_id: Uuid,
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub product_id: String,
    pub product_name: String,
    pub action: KeyAccessAction,
    pub version: Option<String>,
    pub language: Option<String>,
    pub os: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyAccessLog {
    pub entries: Vec<KeyAccessEntry>,
    pub next_cursor: Option<String>,
}

/// `GET /v1/audit/key-access`
#[utoipa::path(
    get,
    path = "/v1/audit/key-access",
    tag = "reads",
    params(KeyAccessQuery),
    responses(
        (status = 200, description = "The caller's key-access activity log (KEY-4), read-only", body = KeyAccessLog),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, description = "Only global_admin, account_admin, referral_admin, marketing_content_admin", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn key_access(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<KeyAccessQuery>,
) -> Result<Json<KeyAccessLog>, ApiError> {
    let partner = caller.partner_for(Action::ReadKeyAccessLog)?;
    let limit = limit(q.limit)?;
    let after = decode_number_cursor(q.cursor.as_deref())?;
    let (from, to) = range(q.from.as_deref(), q.to.as_deref())?;
    caught_up(&state, q.min_position).await?;
    let filter = KeyAccessFilter {
        partner_id: Some(partner),
        from,
        to,
        after,
        limit: limit + 1,
    };
    let mut rows = state
        .projections()
        .query(move |db| db.key_access(&filter))
        .await?;
    let next_cursor = page_cursor(&mut rows, limit, |r| r.position);
    Ok(Json(KeyAccessLog {
        entries: rows
            .into_iter()
            .map(|k| KeyAccessEntry {
                at: k.at,
                user: k.user,
                role: k.role,
                partner_id: k.partner_id,
                customer_id: k.customer_id,
                subscription_id: k.subscription_id,
                product_id: k.product_id,
                product_name: k.product_name,
                action: match k.action {
                    KeyAction::RevealKey => KeyAccessAction::RevealKey,
                    KeyAction::Download => KeyAccessAction::Download,
                    KeyAction::CopyLink => KeyAccessAction::CopyLink,
                },
                version: k.version,
                language: k.language,
                os: k.os,
            })
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The global position to read after (0, the default, is the start).
    pub after: Option<u64>,
    /// Events per response: default 100, at most 1000.
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
    #[schema(value_type = Object)]
    pub actor: serde_json::Value,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// What one partner may see of one customer's events (the feed's ruling).
struct CustomerScope {
    version: u64,
    related: bool,
    state: CustomerState,
}

impl CustomerScope {
    fn shows(&self, partner: Uuid, data: &EventData) -> bool {
        if !self.related {
            return false;
        }
        let own_sub = |id: &Uuid| {
            self.state
                .subscriptions
                .get(id)
                .is_some_and(|s| s.partner_id == partner)
        };
        let own_transfer = |id: &Uuid| {
            self.state
                .transfers
                .get(id)
                .is_some_and(|t| t.source_partner_id == partner || t.target_partner_id == partner)
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
    let mut scopes: HashMap<Uuid, CustomerScope> = HashMap::new();
    let mut scanner = Scanner::new(&state, after);
    let mut events = Vec::new();
    loop {
        let (record, event) = match scanner.next().await? {
            Next::Event(found_event) => *found_event,
            Next::Budget | Next::End => break,
        };
        let Some(customer) = stream_customer(&record.stream) else {
            continue;
        };
        // The scope is the customer's current state, read after the page: it
        // knows every subscription and transfer the page mentions. A later page
        // may go past it, so it is read again when the stream has moved on.
        if scopes
            .get(&customer)
            .is_none_or(|s| s.version < record.version)
        {
            let (current, version) = state.ledger().customer_state(customer).await?;
            scopes.insert(
                customer,
                CustomerScope {
                    version,
                    related: current.has_active_relationship(partner),
                    state: current,
                },
            );
        }
        if !scopes
            .get(&customer)
            .is_some_and(|s| s.shows(partner, &event.data))
        {
            continue;
        }
        events.push(FeedEvent {
            position: record.position,
            stream: record.stream.clone(),
            version: record.version,
            event_id: record.event_id,
            event_type: event.data.type_name().to_owned(),
            at: event.at,
            command_id: event.command_id,
            actor: shown_actor(event.actor.as_ref(), partner),
            data: data_json(&event.data),
        });
        if events.len() == limit {
            break;
        }
    }
    let next_after = scanner.position;
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
