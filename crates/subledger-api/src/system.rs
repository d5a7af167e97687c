//! The catalog, the simulated clock, liveness, metrics, the OpenAPI document and
//! the answers for unknown routes and methods.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::Product;
use subledger_domain::calendar;
use subledger_domain::decide::date_out_of_range;
use subledger_domain::event::dates::Stamp;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogOut {
    /// The products on offer (CAT): id, name, kind, plans with unit prices, flags.
    pub products: Vec<Product>,
}

/// `GET /v1/catalog`
#[utoipa::path(
    get,
    path = "/v1/catalog",
    tag = "reads",
    responses(
        (status = 200, description = "The products on offer", body = CatalogOut),
        (status = 401, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn catalog(State(state): State<AppState>, _caller: Caller) -> Json<CatalogOut> {
    Json(CatalogOut {
        products: state.ledger().catalog().products().to_vec(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockOut {
    pub now: DateTime<Utc>,
    /// Events the time-driven work wrote on the way (advance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_written: Option<usize>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// The instant to move to; never before now.
    pub to: DateTime<Utc>,
}

/// The clock endpoints exist only with a simulated clock; otherwise they are
/// not found, as API.md says.
fn simulated(state: &AppState) -> Result<(), ApiError> {
    if state.config().simulated_clock && state.ledger().clock().as_simulated().is_some() {
        Ok(())
    } else {
        Err(ApiError::NoRoute)
    }
}

/// `GET /v1/clock`
#[utoipa::path(
    get,
    path = "/v1/clock",
    tag = "clock",
    responses(
        (status = 200, description = "The simulated clock's now", body = ClockOut),
        (status = 404, description = "Not running with a simulated clock", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_clock(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ClockOut>, ApiError> {
    simulated(&state)?;
    Ok(Json(ClockOut {
        now: state.ledger().clock().now(),
        events_written: None,
    }))
}

/// `POST /v1/clock/advance`: moves the simulated clock and, before answering,
/// runs in order all time-driven work due up to then (REN-7).
#[utoipa::path(
    post,
    path = "/v1/clock/advance",
    tag = "clock",
    request_body = AdvanceClock,
    responses(
        (status = 200, description = "Moved; all work due by then is done", body = ClockOut),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, description = "Not running with a simulated clock", body = crate::error::ErrorBody),
        (status = 422, description = "`to` is before now (ClockWentBack), or past 9999-12-31T23:59:59.999999999Z (DateOutOfRange)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn advance_clock(
    State(state): State<AppState>,
    _caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ClockOut>, ApiError> {
    simulated(&state)?;
    let body =
        body.map_err(|e| ApiError::from_body_rejection(&e, state.config().body_limit_bytes))?;
    let mut de = serde_json::Deserializer::from_slice(&body);
    let req: AdvanceClock = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ApiError::InvalidRequest {
            message: format!("{path}: {}", e.inner()),
            field: (path != ".").then_some(path),
        }
    })?;
    let to = req.to;
    if !calendar::instant_in_range(to) {
        // GEN-1: time-driven work at such an instant would record dates that
        // cannot be written (`+10000-…`).
        return Err(ApiError::Rejected(date_out_of_range(Stamp::Instant(
            "to", to,
        ))));
    }
    let ledger = state.ledger().clone();
    // Like a command, the work runs to its end even if the client hangs up.
    let written = crate::inflight::spawn(async move { ledger.advance_clock(to).await })
        .await
        .map_err(|e| ApiError::Internal(format!("clock task failed: {e}")))??
        .map_err(|e| ApiError::ClockWentBack {
            now: e.now,
            requested: e.requested,
        })?;
    // The work it wrote is this server's writes too: reads after the answer see it.
    if written > 0 {
        state.acknowledge(state.ledger().store().last_position().await?);
    }
    Ok(Json(ClockOut {
        now: state.ledger().clock().now(),
        events_written: Some(written),
    }))
}

/// `GET /healthz`: liveness, without authentication.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The server is up", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(value_type = String, example = "ok")]
    pub status: &'static str,
}

/// `GET /metrics`: the ledger's and the HTTP layer's metrics, Prometheus text
/// (OpenMetrics).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String),
        (status = 401, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn metrics(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, state.registry())
        .map_err(|e| ApiError::Internal(format!("metrics not encodable: {e}")))?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(response)
}

/// `GET /openapi.json`: this server's contract, generated from the code.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "OpenAPI 3 document", body = Object),
        (status = 401, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn openapi(State(state): State<AppState>, _caller: Caller) -> Response {
    let mut response = state.openapi().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Unknown paths: authenticate first (every route but /healthz needs a token),
/// then 404 in the error shape.
pub async fn no_route(_caller: Caller) -> ApiError {
    ApiError::NoRoute
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
