//! The reads of API.md and what they share: finding what the caller may see
//! (GEN-2), waiting for the projections (read-your-writes), `as_of`, cursors.
//!
//! * [`subscriptions`]: a subscription, a customer's subscriptions (JSON or the
//!   CSV of VIEW-3), refundable seats (SEAT-5);
//! * [`orders`]: a customer's orders;
//! * [`history`]: a subscription's history (VIEW-5);
//! * [`customers`]: the customers the caller can see (GEN-2), from the
//!   projections' customer directory.
//!
//! Every read is served by the projections: the committed read model for "now",
//! the kept states and the stream for `as_of`, the history table for VIEW-5.
//!
//! Isolation (GEN-2): a partner sees a customer only while it has an active
//! relationship with it, and a subscription only if it is its partner of
//! record; anything else is 404, never 403. Access is judged on the current
//! state (the partner's rights now); `as_of` only changes what is shown.

pub mod customers;
pub mod history;
pub mod orders;
pub mod subscriptions;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use subledger_app::read_side::customer_as_of;
use subledger_domain::{Actor, CustomerState, Subscription};
use subledger_projections::CustomerEntry;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{encode_cursor, instant};

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
pub(crate) fn as_of(
    state: &AppState,
    value: Option<&str>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
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
pub struct ListQuery {
    /// Read the state as of this instant (VIEW-4): not after the ledger's now
    /// (400); a date means its first instant.
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub as_of: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
    /// Page size: default 100, at most 1000.
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = crate::openapi::text_cursor)]
    pub cursor: Option<String>,
}

/// Keeps `limit` of the `limit + 1` items fetched; the extra one says whether a
/// next page exists, whose cursor is the last kept key.
pub(crate) fn next_cursor<T>(
    page: &mut Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> String,
) -> Option<String> {
    if page.len() <= limit {
        return None;
    }
    page.truncate(limit);
    page.last().map(|last| encode_cursor(&key(last)))
}

/// An optional instant range: `from` inclusive, `to` exclusive.
pub(crate) type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

pub(crate) fn range(from: Option<&str>, to: Option<&str>) -> Result<Range, ApiError> {
    let from = instant("from", from)?;
    let to = instant("to", to)?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(ApiError::invalid("to", "to is before from"));
    }
    Ok((from, to))
}
