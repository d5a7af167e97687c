//! The one error shape of API.md, `{ "error": { code, rule, message, details } }`,
//! and the status each failure maps to. Internal faults keep their details for
//! the log (under the request's span, so under its request id) and show the
//! client nothing but `InternalError`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use subledger_app::CommandError;
use subledger_domain::rules::{self, RuleId};
use subledger_domain::{Rejection, RejectionCode, RejectionKind};
use uuid::Uuid;

/// When a client may try again after a full disk (`Retry-After`): long enough for
/// an operator or a cleanup job to act, short enough not to give up on the command.
pub const STORAGE_FULL_RETRY_AFTER_S: u64 = 5;
/// When a client may try again after a busy or lost store (`Retry-After`).
pub const UNAVAILABLE_RETRY_AFTER_S: u64 = 1;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The domain refused (or the actor may not, or cannot see the target).
    #[error("{0}")]
    Rejected(Rejection),
    #[error("version conflict: expected {expected}, the stream is at {actual}")]
    VersionConflict { expected: u64, actual: u64 },
    #[error("command id {0} was already used for another command")]
    IdempotencyKeyReused(Uuid),
    #[error("missing or unknown bearer token")]
    Unauthenticated,
    /// Malformed input, naming the field when it is known.
    #[error("invalid request: {message}")]
    InvalidRequest {
        field: Option<String>,
        message: String,
    },
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body did not arrive within the body read timeout (408; the
    /// connection is closed).
    #[error("the body did not arrive within {seconds} s")]
    RequestTimeout { seconds: u64 },
    /// Over the per-token (or, without a valid token, per-client) rate limit (429).
    #[error("over the rate limit of {limit_per_minute} requests per minute")]
    RateLimited {
        limit_per_minute: u32,
        retry_after_s: u64,
        /// Counted for the bearer token; else for the client's address.
        per_token: bool,
    },
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The simulated clock refuses to move back (422).
    #[error("the clock never goes back: it is {now}, {requested} was asked")]
    ClockWentBack {
        now: chrono::DateTime<chrono::Utc>,
        requested: chrono::DateTime<chrono::Utc>,
    },
    #[error("the request took longer than {seconds} s")]
    Timeout { seconds: u64 },
    /// The store cannot serve now; trying again later may work (503).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A disk under the ledger is full: nothing was written; retry once the
    /// operator frees space (503, `Retry-After`).
    #[error("storage full: {0}")]
    StorageFull(String),
    /// The projections have not reached the position a read needs (503).
    #[error("the projections are at position {applied}, the read needs {wanted}")]
    ProjectionBehind {
        applied: u64,
        wanted: u64,
        waited_ms: u64,
    },
    /// Anything else: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`SeatReductionWindowClosed`).
    pub code: String,
    /// The rule of RULES.md that applies (`SEAT-2`).
    pub rule: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Map<String, Value>,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::InvalidRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::Rejected(Rejection::not_found(what, id))
    }

    pub fn forbidden(message: impl Into<String>, required: &[&str]) -> Self {
        ApiError::Rejected(
            Rejection::forbidden(rules::GEN_3, message).with("required_roles", required),
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Rejected(r) => match r.kind {
                RejectionKind::InvalidRequest => StatusCode::BAD_REQUEST,
                RejectionKind::Forbidden => StatusCode::FORBIDDEN,
                RejectionKind::NotFound => StatusCode::NOT_FOUND,
                RejectionKind::Rule => StatusCode::UNPROCESSABLE_ENTITY,
                // IdAlreadyUsed: the id is taken somewhere in the ledger.
                RejectionKind::Conflict => StatusCode::CONFLICT,
            },
            ApiError::VersionConflict { .. } => StatusCode::CONFLICT,
            ApiError::IdempotencyKeyReused(_) | ApiError::ClockWentBack { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Timeout { .. }
            | ApiError::Unavailable(_)
            | ApiError::StorageFull(_)
            | ApiError::ProjectionBehind { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A body axum could not take: over the size limit (413), or unreadable (400).
    pub fn from_body_rejection(
        rejection: &axum::extract::rejection::BytesRejection,
        limit: usize,
    ) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::InvalidRequest {
                field: None,
                message: rejection.body_text(),
            }
        }
    }

    /// The body; internals never leave the process.
    pub fn body(&self) -> ErrorBody {
        if let ApiError::Rejected(r) = self {
            return ErrorBody {
                error: ErrorDetail {
                    code: r.code.as_str().to_owned(),
                    rule: r.rule.as_str().to_owned(),
                    message: r.message.clone(),
                    details: r.details.clone(),
                },
            };
        }
        let (code, rule) = self.code_and_rule();
        let details = match self.details() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: code.as_str().to_owned(),
                rule: rule.as_str().to_owned(),
                message: self.message(),
                details,
            },
        }
    }

    fn code_and_rule(&self) -> (RejectionCode, RuleId) {
        match self {
            ApiError::Rejected(r) => (r.code, r.rule),
            ApiError::VersionConflict { .. } => (RejectionCode::VersionConflict, rules::API),
            ApiError::IdempotencyKeyReused(_) => {
                (RejectionCode::IdempotencyKeyReused, rules::GEN_5)
            }
            ApiError::Unauthenticated => (RejectionCode::Unauthenticated, rules::GEN_2),
            ApiError::InvalidRequest { .. } => (RejectionCode::InvalidRequest, rules::API),
            ApiError::PayloadTooLarge { .. } => (RejectionCode::PayloadTooLarge, rules::API),
            ApiError::RequestTimeout { .. } => (RejectionCode::RequestTimeout, rules::API),
            ApiError::RateLimited { .. } => (RejectionCode::RateLimited, rules::API),
            ApiError::NoRoute => (RejectionCode::NotFound, rules::API),
            ApiError::MethodNotAllowed => (RejectionCode::MethodNotAllowed, rules::API),
            ApiError::ClockWentBack { .. } => (RejectionCode::ClockWentBack, rules::REN_7),
            ApiError::Timeout { .. } => (RejectionCode::Timeout, rules::API),
            ApiError::Unavailable(_) => (RejectionCode::Unavailable, rules::API),
            ApiError::StorageFull(_) => (RejectionCode::StorageFull, rules::API),
            ApiError::ProjectionBehind { .. } => (RejectionCode::ProjectionBehind, rules::API),
            ApiError::Internal(_) => (RejectionCode::InternalError, rules::API),
        }
    }

    /// What a person reads; never an internal detail (those go to the log).
    fn message(&self) -> String {
        match self {
            ApiError::Rejected(r) => r.message.clone(),
            ApiError::VersionConflict { expected, actual } => format!(
                "the stream is at version {actual}, not {expected}: read it again and decide again"
            ),
            ApiError::IdempotencyKeyReused(id) => format!(
                "command id {id} was already used for a different command; use a new command id"
            ),
            ApiError::Unauthenticated => {
                "send `Authorization: Bearer <token>` with a token of the auth file".to_owned()
            }
            ApiError::InvalidRequest { message, .. } => message.clone(),
            ApiError::PayloadTooLarge { limit } => {
                format!("the body is larger than the limit of {limit} bytes")
            }
            ApiError::RequestTimeout { seconds } => format!(
                "the body did not arrive within {seconds} s of the request's head; nothing was done, send the request again"
            ),
            ApiError::RateLimited {
                limit_per_minute,
                retry_after_s,
                per_token,
            } => format!(
                "more than {limit_per_minute} requests per minute {}; nothing was done, retry after {retry_after_s} s",
                if *per_token {
                    "with this token"
                } else {
                    "from this address without a valid token"
                }
            ),
            ApiError::NoRoute => "no such endpoint".to_owned(),
            ApiError::MethodNotAllowed => "this endpoint does not take this method".to_owned(),
            ApiError::ClockWentBack { now, requested } => {
                format!("the clock never goes back: it is {now}, {requested} was asked")
            }
            ApiError::Timeout { seconds } => format!(
                "no answer within {seconds} s; a command may still complete: send it again with the same command_id to learn its outcome"
            ),
            ApiError::Unavailable(_) => {
                "the event store is unavailable; nothing was acknowledged, try again".to_owned()
            }
            ApiError::StorageFull(_) => format!(
                "the ledger's disk is full: nothing was written or acknowledged; send the same \
                 command again (same command_id) in {STORAGE_FULL_RETRY_AFTER_S} s or later"
            ),
            ApiError::ProjectionBehind {
                applied, wanted, ..
            } => format!(
                "the read models have applied the log up to position {applied}, not yet {wanted}; try again"
            ),
            ApiError::Internal(_) => {
                "internal error; the log holds the details under this request's x-request-id"
                    .to_owned()
            }
        }
    }

    /// What a program reads: the numbers involved, and whether to retry.
    fn details(&self) -> Value {
        match self {
            ApiError::Rejected(r) => Value::Object(r.details.clone()),
            ApiError::VersionConflict { expected, actual } => {
                json!({ "expected": expected, "actual": actual })
            }
            ApiError::IdempotencyKeyReused(id) => json!({ "command_id": id.to_string() }),
            ApiError::InvalidRequest { field, .. } => {
                field.as_ref().map_or(json!({}), |f| json!({ "field": f }))
            }
            ApiError::PayloadTooLarge { limit } => json!({ "limit_bytes": limit }),
            ApiError::RequestTimeout { seconds } => {
                json!({ "timeout_s": seconds, "retryable": true })
            }
            ApiError::RateLimited {
                limit_per_minute,
                retry_after_s,
                ..
            } => json!({
                "limit_per_minute": limit_per_minute,
                "retry_after_s": retry_after_s,
                "retryable": true,
            }),
            ApiError::ClockWentBack { now, requested } => {
                json!({ "now": rfc3339(now), "requested": rfc3339(requested) })
            }
            ApiError::Timeout { .. } => json!({ "retryable": true }),
            ApiError::Unavailable(_) => {
                json!({ "retryable": true, "retry_after_s": UNAVAILABLE_RETRY_AFTER_S })
            }
            ApiError::StorageFull(_) => {
                json!({ "retryable": true, "retry_after_s": STORAGE_FULL_RETRY_AFTER_S })
            }
            ApiError::ProjectionBehind {
                applied,
                wanted,
                waited_ms,
            } => json!({
                "applied_position": applied,
                "min_position": wanted,
                "waited_ms": waited_ms,
                "retryable": true,
            }),
            ApiError::Unauthenticated
            | ApiError::NoRoute
            | ApiError::MethodNotAllowed
            | ApiError::Internal(_) => json!({}),
        }
    }
}

fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(r) => ApiError::Rejected(r),
            CommandError::VersionConflict { expected, actual } => {
                ApiError::VersionConflict { expected, actual }
            }
            CommandError::IdempotencyKeyReused { command_id } => {
                ApiError::IdempotencyKeyReused(command_id)
            }
            e if e.is_storage_full() => ApiError::StorageFull(e.to_string()),
            CommandError::Store(e) if e.is_retryable() => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<subledger_app::ReadError> for ApiError {
    fn from(e: subledger_app::ReadError) -> Self {
        use subledger_app::ReadError;
        match e {
            ReadError::Behind {
                applied,
                wanted,
                waited_ms,
                failure,
            } => {
                if let Some(f) = failure {
                    tracing::warn!(runner = %f, "projections behind");
                }
                ApiError::ProjectionBehind {
                    applied,
                    wanted,
                    waited_ms,
                }
            }
            ReadError::Store(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<subledger_store::StoreError> for ApiError {
    fn from(e: subledger_store::StoreError) -> Self {
        CommandError::from(e).into()
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        ApiError::Rejected(r)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::warn!(error = %detail, "store unavailable"),
            ApiError::StorageFull(detail) => {
                tracing::error!(error = %detail, "storage full: commands are refused until space is freed")
            }
            _ => tracing::debug!(status = status.as_u16(), error = %self, "request refused"),
        }
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let retry_after = match &self {
            ApiError::StorageFull(_) => Some(STORAGE_FULL_RETRY_AFTER_S),
            ApiError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_S),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        match &self {
            ApiError::RateLimited { retry_after_s, .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
            }
            // The rest of the body may still be on its way: the connection
            // cannot carry another request.
            ApiError::RequestTimeout { .. } => {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subledger_app::keys::KeyVaultError;
    use subledger_store::StoreError;

    fn status_and_code(e: CommandError) -> (u16, String) {
        let api = ApiError::from(e);
        (api.status().as_u16(), api.body().error.code)
    }

    #[test]
    fn command_errors_map_to_the_statuses_of_api_md() {
        let rejection = |kind| {
            Rejection::new(
                kind,
                RejectionCode::SeatReductionWindowClosed,
                rules::SEAT_2,
                "no",
            )
        };
        for (kind, status) in [
            (RejectionKind::InvalidRequest, 400),
            (RejectionKind::Forbidden, 403),
            (RejectionKind::NotFound, 404),
            (RejectionKind::Rule, 422),
            (RejectionKind::Conflict, 409),
        ] {
            assert_eq!(
                status_and_code(CommandError::Rejected(rejection(kind))),
                (status, "SeatReductionWindowClosed".to_owned())
            );
        }
        assert_eq!(
            status_and_code(CommandError::VersionConflict {
                expected: 1,
                actual: 2
            }),
            (409, "VersionConflict".to_owned())
        );
        assert_eq!(
            status_and_code(CommandError::IdempotencyKeyReused {
                command_id: Uuid::nil()
            }),
            (422, "IdempotencyKeyReused".to_owned())
        );
        assert_eq!(
            status_and_code(StoreError::Unavailable("locked".into()).into()),
            (503, "Unavailable".to_owned())
        );
        let full = ApiError::from(CommandError::from(StoreError::StorageFull(
            "database or disk is full at /var/x".into(),
        )));
        assert_eq!(full.status().as_u16(), 503);
        let body = serde_json::to_string(&full.body()).unwrap();
        assert!(
            body.contains("StorageFull") && !body.contains("/var/x"),
            "{body}"
        );
        for internal in [
            StoreError::Backend("I/O error at /var/x".into()).into(),
            CommandError::Corrupt("event 7 unreadable at /var/x".into()),
            KeyVaultError::NotKept(Uuid::from_u128(0x5ec2e7)).into(),
        ] {
            let detail = internal.to_string();
            let api = ApiError::from(internal);
            assert_eq!(api.status().as_u16(), 500);
            let body = serde_json::to_string(&api.body()).unwrap();
            assert!(!body.contains("/var/x"), "{body}");
            assert!(!body.contains(&detail), "{body}");
            assert!(body.contains("InternalError"));
        }
    }

    #[test]
    fn a_rejection_keeps_its_rule_message_and_details() {
        let r = Rejection::rule(
            RejectionCode::SeatReductionWindowClosed,
            rules::SEAT_2,
            "3 seats can be reduced",
        )
        .with("reducible_now", 3);
        let body = serde_json::to_value(ApiError::Rejected(r).body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "SeatReductionWindowClosed", "rule": "SEAT-2",
                "message": "3 seats can be reduced", "details": {"reducible_now": 3}}})
        );
    }
}
