//! Request inputs turned into typed values, with every failure in the error shape
//! of API.md: the bearer token into the caller's actor (401), path ids, query
//! strings (unknown parameters refused, as unknown body fields are), pages and
//! cursors, instants.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use subledger_domain::{Action, Actor};
use uuid::Uuid;

use crate::AppState;
use crate::auth::role_names;
use crate::error::ApiError;

/// The authenticated caller: the actor of its bearer token.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let actor = state
            .tokens()
            .actor(token)
            .ok_or(ApiError::Unauthenticated)?;
        tracing::Span::current().record("user", actor.user.as_str());
        Ok(Caller(actor.clone()))
    }
}

/// The token of `Authorization: Bearer <token>`, if the header has that form.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl Caller {
    /// GEN-3: the caller must be a partner user holding one of the action's roles
    /// (403 otherwise). Returns the partner id every read is scoped to (GEN-2).
    pub fn partner_for(&self, action: Action) -> Result<Uuid, ApiError> {
        match self.0.partner_id {
            Some(partner) if action.allows(&self.0) => Ok(partner),
            _ => Err(ApiError::forbidden(
                format!(
                    "{} may not do this; it needs one of the partner roles {}",
                    self.0.user,
                    role_names(action.allowed_roles()).join(", ")
                ),
                &role_names(action.allowed_roles()),
            )),
        }
    }
}

/// A UUID path segment (`{id}`); anything else is a 400 naming `id`.
#[derive(Debug, Clone, Copy)]
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<Uuid>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(IdPath(id)),
            Err(e) => Err(ApiError::invalid("id", e.body_text())),
        }
    }
}

/// A query string parsed into `T` (whose unknown parameters are refused); a
/// failure names the parameter.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(ApiQuery(q)),
            Err(e) => {
                // axum's message is "Failed to deserialize query string: <path>: <reason>".
                let text = e.body_text();
                let rest = text
                    .split_once("query string: ")
                    .map_or(text.as_str(), |(_, r)| r);
                let field = rest
                    .split_once(": ")
                    .map(|(f, _)| f)
                    .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .or_else(|| {
                        rest.strip_prefix("unknown field `")
                            .and_then(|r| r.split_once('`'))
                            .map(|(f, _)| f)
                    })
                    .map(str::to_owned);
                Err(ApiError::InvalidRequest {
                    field,
                    message: rest.to_owned(),
                })
            }
        }
    }
}

/// Lists page with `limit` (default 100, at most 1000).
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

pub fn limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as u32).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}; {n} was asked"),
        )),
    }
}

/// Cursors are opaque to clients: a version tag and the hex of the last key
/// returned, so a page resumes after it whatever was added before.
const CURSOR_TAG: &str = "c1";

pub fn encode_cursor(key: &str) -> String {
    let mut out = String::with_capacity(CURSOR_TAG.len() + key.len() * 2);
    out.push_str(CURSOR_TAG);
    for b in key.as_bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("cursor", "not a cursor this server gave out");
    let hex = cursor.strip_prefix(CURSOR_TAG).ok_or_else(bad)?;
    // Lowercase hex digits only, as `encode_cursor` writes them.
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, _>>()?;
    String::from_utf8(bytes).map(Some).map_err(|_| bad())
}

/// A cursor holding a global position or stream version.
pub fn decode_number_cursor(cursor: Option<&str>) -> Result<u64, ApiError> {
    match decode_cursor(cursor)? {
        None => Ok(0),
        Some(key) => key
            .parse()
            .map_err(|_| ApiError::invalid("cursor", "not a cursor this server gave out")),
    }
}

/// An instant parameter: RFC 3339 (converted to UTC, GEN-1), or a date meaning
/// its first instant (00:00:00Z).
pub fn instant(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let parsed = DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        });
    if let Ok(t) = parsed {
        // chrono reads `+10000-01-01` as a date; GEN-1 has four-digit years only.
        if !subledger_domain::calendar::instant_in_range(t) {
            return Err(ApiError::invalid(
                field,
                format!(
                    "{field} {v} is outside the dates the ledger records \
                     (0000-01-01 to 9999-12-31T23:59:59.999999999Z)"
                ),
            ));
        }
        return Ok(Some(t));
    }
    Err(ApiError::invalid(
        field,
        format!(
            "{field} must be an RFC 3339 instant (2026-11-22T10:00:00Z) or a date (2026-11-22)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_1_instants_past_9999_are_refused_not_read_as_five_digit_years() {
        assert!(
            NaiveDate::parse_from_str("+10000-01-01", "%Y-%m-%d").is_ok(),
            "chrono reads a signed five-digit year: the range check is what refuses it"
        );
        for far in ["+10000-01-01", "+10000-01-01T00:00:00Z", "-0001-12-31"] {
            assert!(instant("as_of", Some(far)).is_err(), "{far}");
        }
        assert_eq!(
            instant("as_of", Some("9999-12-31T23:59:59Z")).unwrap(),
            Some("9999-12-31T23:59:59Z".parse().unwrap())
        );
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let key = "2026-01-10T09:00:00Z/6f1c";
        let c = encode_cursor(key);
        assert!(!c.contains(key));
        assert_eq!(decode_cursor(Some(&c)).unwrap().as_deref(), Some(key));
        assert_eq!(decode_cursor(None).unwrap(), None);
        for bad in ["", "c1zz", "c1abc", "x1ab", "c1ff"] {
            assert!(decode_cursor(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            decode_number_cursor(Some(&encode_cursor("42"))).unwrap(),
            42
        );
        assert!(decode_number_cursor(Some(&encode_cursor("x"))).is_err());
    }

    #[test]
    fn limits_default_to_100_and_stop_at_1000() {
        assert_eq!(limit(None).unwrap(), 100);
        assert_eq!(limit(Some(1000)).unwrap(), 1000);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(1001)).is_err());
    }

    #[test]
    fn instants_are_utc_and_dates_mean_midnight() {
        assert_eq!(
            instant("as_of", Some("2026-01-10T10:00:00+01:00")).unwrap(),
            Some("2026-01-10T09:00:00Z".parse().unwrap())
        );
        assert_eq!(
            instant("from", Some("2026-01-10")).unwrap(),
            Some("2026-01-10T00:00:00Z".parse().unwrap())
        );
        let e = instant("to", Some("yesterday")).unwrap_err();
        assert!(matches!(e, ApiError::InvalidRequest { field: Some(f), .. } if f == "to"));
    }
}
