//! The key-access activity log (KEY-3/4), from the projections (indexed by
//! partner and position; the cursor is a position): its entries (JSON, or the
//! same page as CSV) and their counts per day.
//!
//! Isolation (GEN-2): only entries whose `partner_id` is the caller's. The
//! filters (`customer_id`, `subscription_id`, `user`, `action`) only narrow
//! that: they name no customer the caller must still see, since an entry is
//! the caller's own partner's act.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::{Action, Role};
use subledger_projections::{KeyAccessFilter, KeyAccessRow, KeyAction};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::csv::{csv_response, push_line, wants_csv};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, decode_number_cursor, limit};
use crate::reads::{caught_up, next_cursor, range};

/// The response header carrying the next page's cursor (CSV and JSON).
pub(crate) const NEXT_CURSOR_HEADER: HeaderName = HeaderName::from_static("x-next-cursor");

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyAccessQuery {
    /// Entries at or after this instant (or date).
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub from: Option<String>,
    /// Entries before this instant (or date); not before `from` (400).
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub to: Option<String>,
    /// Only entries about this customer (a UUID).
    #[param(value_type = Option<Uuid>)]
    pub customer_id: Option<String>,
    /// Only entries about this subscription (a UUID).
    #[param(value_type = Option<Uuid>)]
    pub subscription_id: Option<String>,
    /// Only entries of this user (exact match; not empty).
    #[param(min_length = 1)]
    pub user: Option<String>,
    /// Only this action: `reveal_key`, `download` or `copy_link`.
    #[param(schema_with = crate::openapi::key_action)]
    pub action: Option<String>,
    /// Page size: default 100, at most 1000 (the CSV is the same page).
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<u32>,
    /// The `next_cursor` (or `x-next-cursor`) of the previous page.
    #[param(schema_with = crate::openapi::number_cursor)]
    pub cursor: Option<String>,
    /// `csv` for the page as CSV (as `Accept: text/csv`), or `json`.
    #[param(schema_with = crate::openapi::list_format)]
    pub format: Option<String>,
    /// Wait (bounded) until the read models have applied this global position.
    pub min_position: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyAccessDailyQuery {
    /// Entries at or after this instant (or date).
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub from: Option<String>,
    /// Entries before this instant (or date); not before `from` (400).
    #[param(schema_with = crate::openapi::instant_or_date)]
    pub to: Option<String>,
    /// Only entries about this customer (a UUID).
    #[param(value_type = Option<Uuid>)]
    pub customer_id: Option<String>,
    /// Only entries about this subscription (a UUID).
    #[param(value_type = Option<Uuid>)]
    pub subscription_id: Option<String>,
    /// Only entries of this user (exact match; not empty).
    #[param(min_length = 1)]
    pub user: Option<String>,
    /// Only this action: `reveal_key`, `download` or `copy_link`.
    #[param(schema_with = crate::openapi::key_action)]
    pub action: Option<String>,
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

/// The columns of the CSV page: the JSON entry's fields, in its order.
pub const KEY_ACCESS_CSV_HEADER: [&str; 12] = [
    "at",
    "user",
    "role",
    "partner_id",
    "customer_id",
    "subscription_id",
    "product_id",
    "product_name",
    "action",
    "version",
    "language",
    "os",
];

/// The entries of one UTC day, per action.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyAccessDayOut {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub reveal_key: u64,
    pub download: u64,
    pub copy_link: u64,
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyAccessDaily {
    /// The days with any entry, oldest first.
    pub days: Vec<KeyAccessDayOut>,
}

/// The filters both endpoints share, checked: each bad value is a 400 naming it.
struct Filters {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    customer_id: Option<Uuid>,
    subscription_id: Option<Uuid>,
    user: Option<String>,
    action: Option<KeyAction>,
}

impl Filters {
    fn parse(
        from: Option<&str>,
        to: Option<&str>,
        customer_id: Option<&str>,
        subscription_id: Option<&str>,
        user: Option<String>,
        action: Option<&str>,
    ) -> Result<Self, ApiError> {
        let (from, to) = range(from, to)?;
        let id = |field: &str, v: Option<&str>| {
            v.map(|v| {
                v.parse::<Uuid>()
                    .map_err(|e| ApiError::invalid(field, format!("{field} must be a UUID: {e}")))
            })
            .transpose()
        };
        let action = match action {
            None => None,
            Some("reveal_key") => Some(KeyAction::RevealKey),
            Some("download") => Some(KeyAction::Download),
            Some("copy_link") => Some(KeyAction::CopyLink),
            Some(other) => {
                return Err(ApiError::invalid(
                    "action",
                    format!("action must be reveal_key, download or copy_link, not {other}"),
                ));
            }
        };
        if user.as_deref() == Some("") {
            return Err(ApiError::invalid("user", "user must not be empty"));
        }
        Ok(Filters {
            from,
            to,
            customer_id: id("customer_id", customer_id)?,
            subscription_id: id("subscription_id", subscription_id)?,
            user,
            action,
        })
    }

    fn of_partner(self, partner: Uuid, after: u64, limit: usize) -> KeyAccessFilter {
        KeyAccessFilter {
            partner_id: Some(partner),
            from: self.from,
            to: self.to,
            customer_id: self.customer_id,
            subscription_id: self.subscription_id,
            user: self.user,
            action: self.action,
            after,
            limit,
        }
    }
}

fn entry(k: KeyAccessRow) -> KeyAccessEntry {
    KeyAccessEntry {
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
    }
}

/// An instant as the JSON answer writes it.
fn instant_text(at: &DateTime<Utc>) -> String {
    match serde_json::to_value(at) {
        Ok(serde_json::Value::String(s)) => s,
        _ => at.to_rfc3339(),
    }
}

fn csv_of(entries: &[KeyAccessEntry]) -> String {
    let mut out = String::new();
    push_line(&mut out, &KEY_ACCESS_CSV_HEADER);
    for e in entries {
        let action = match e.action {
            KeyAccessAction::RevealKey => KeyAction::RevealKey,
            KeyAccessAction::Download => KeyAction::Download,
            KeyAccessAction::CopyLink => KeyAction::CopyLink,
        };
        push_line(
            &mut out,
            &[
                instant_text(&e.at),
                e.user.clone(),
                e.role.as_str().to_owned(),
                e.partner_id.to_string(),
                e.customer_id.to_string(),
                e.subscription_id.to_string(),
                e.product_id.clone(),
                e.product_name.clone(),
                action.as_str().to_owned(),
                e.version.clone().unwrap_or_default(),
                e.language.clone().unwrap_or_default(),
                e.os.clone().unwrap_or_default(),
            ],
        );
    }
    out
}

/// `GET /v1/audit/key-access`
#[utoipa::path(
    get,
    path = "/v1/audit/key-access",
    tag = "reads",
    params(KeyAccessQuery),
    responses(
        (status = 200, description = "The caller's key-access activity log (KEY-4), read-only, in log order; with `Accept: text/csv` / `format=csv` the same page as CSV (`key-access.csv`: a header line, one row per entry, the JSON entry's fields in order, empty for null)",
         content((KeyAccessLog = "application/json"), (String = "text/csv")),
         headers(("x-next-cursor" = String, description = "The next page's cursor, when there is one"))),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, description = "Only global_admin, account_admin, referral_admin, marketing_content_admin", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn key_access(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<KeyAccessQuery>,
) -> Result<Response, ApiError> {
    let partner = caller.partner_for(Action::ReadKeyAccessLog)?;
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    let limit = limit(q.limit)?;
    let after = decode_number_cursor(q.cursor.as_deref())?;
    let filters = Filters::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        q.customer_id.as_deref(),
        q.subscription_id.as_deref(),
        q.user,
        q.action.as_deref(),
    )?;
    caught_up(&state, q.min_position).await?;
    let filter = filters.of_partner(partner, after, limit + 1);
    let mut rows = state
        .projections()
        .query(move |db| db.key_access(&filter))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.position.to_string());
    let entries: Vec<KeyAccessEntry> = rows.into_iter().map(entry).collect();
    let mut response = if csv {
        csv_response(csv_of(&entries), "key-access.csv")
    } else {
        Json(KeyAccessLog {
            entries,
            next_cursor: next_cursor.clone(),
        })
        .into_response()
    };
    if let Some(v) = next_cursor.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(NEXT_CURSOR_HEADER, v);
    }
    Ok(response)
}

/// `GET /v1/audit/key-access/daily`
#[utoipa::path(
    get,
    path = "/v1/audit/key-access/daily",
    tag = "reads",
    params(KeyAccessDailyQuery),
    responses(
        (status = 200, description = "The caller's key-access entries counted per UTC day and action (KEY-4), the days with any, oldest first; the same filters as the log", body = KeyAccessDaily),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, description = "Only global_admin, account_admin, referral_admin, marketing_content_admin", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn key_access_daily(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<KeyAccessDailyQuery>,
) -> Result<Json<KeyAccessDaily>, ApiError> {
    let partner = caller.partner_for(Action::ReadKeyAccessLog)?;
    let filters = Filters::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        q.customer_id.as_deref(),
        q.subscription_id.as_deref(),
        q.user,
        q.action.as_deref(),
    )?;
    caught_up(&state, q.min_position).await?;
    let filter = filters.of_partner(partner, 0, usize::MAX);
    let days = state
        .projections()
        .query(move |db| db.key_access_daily(&filter))
        .await?;
    Ok(Json(KeyAccessDaily {
        days: days
            .into_iter()
            .map(|d| KeyAccessDayOut {
                total: d.total(),
                date: d.date,
                reveal_key: d.reveal_key,
                download: d.download,
                copy_link: d.copy_link,
            })
            .collect(),
    }))
}
