//! The key-access activity log (KEY-3/4), from the projections (indexed by
//! partner and position; the cursor is a position).
//!
//! Isolation (GEN-2): only entries whose `partner_id` is the caller's.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::{Action, Role};
use subledger_projections::{KeyAccessFilter, KeyAction};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, decode_number_cursor, limit};
use crate::reads::{caught_up, next_cursor, range};

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
    let next_cursor = next_cursor(&mut rows, limit, |r| r.position.to_string());
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
