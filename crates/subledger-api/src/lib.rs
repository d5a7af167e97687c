//! subledger's HTTP server: every endpoint of API.md over the [`Ledger`].
//!
//! `router` builds the axum router (auth, request ids, tracing, metrics, rate
//! limit, body limit and read timeout, deadline); `serve` runs it until a
//! shutdown signal, with the connections' limits (`connections.rs`), then stops
//! accepting and lets in-flight requests finish.

pub mod auth;
mod billing;
mod commands;
mod connections;
mod csv;
mod error;
mod extract;
mod feed;
mod inflight;
mod key_access;
mod ledger_seal;
mod limits;
mod openapi;
mod reads;
mod system;
mod telemetry;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use prometheus_client::registry::Registry;
use subledger_app::{Ledger, Projections};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use auth::{AuthError, AuthFile, TokenEntry};
pub use commands::{ParsedCommand, parse_command};
pub use connections::{MIN_HEADER_BYTES, ServeLimits, serve, serve_with};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use limits::{DEFAULT_BODY_TIMEOUT, DEFAULT_RATE_LIMIT_PER_MINUTE, is_rate_limited};
pub use openapi::{ApiDoc, command_schema_name, contract as openapi_contract};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Whether `/v1/clock` is served (`--clock simulated`); 404 otherwise.
    pub simulated_clock: bool,
    /// The largest request body accepted; larger ones get 413.
    pub body_limit_bytes: usize,
    /// How long a read waits for the projections to reach the position it needs
    /// (its `min_position`, and every command this server acknowledged) before
    /// answering 503 `ProjectionBehind`.
    pub read_wait: std::time::Duration,
    /// The seal of the log, for the auditors' `/v1/ledger` routes (503 without).
    pub seal: Option<std::sync::Arc<subledger_seal::Seal>>,
    /// Whether the web console is served at `/ui` (`--no-ui` turns it off).
    pub ui: bool,
    /// How long a request's body may take to arrive after its head (408).
    pub body_timeout: std::time::Duration,
    /// Requests per minute per bearer token (and per client address without a
    /// valid token), in bursts of up to as many; `None`: no limit (429 past it).
    /// `subledger serve` sets [`DEFAULT_RATE_LIMIT_PER_MINUTE`] with the system clock.
    pub rate_limit: Option<NonZeroU32>,
}

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            simulated_clock: false,
            body_limit_bytes: DEFAULT_BODY_LIMIT,
            read_wait: std::time::Duration::from_secs(5),
            seal: None,
            ui: true,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            rate_limit: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

struct Inner {
    ledger: Arc<Ledger>,
    projections: Projections,
    /// The highest global position of a command this server acknowledged: its
    /// own reads wait for the projections to reach it (read-your-writes).
    acknowledged: AtomicU64,
    tokens: auth::TokenIndex,
    config: ApiConfig,
    registry: Registry,
    http_metrics: telemetry::HttpMetrics,
    openapi: String,
    limiter: Option<limits::Limiter>,
}

impl AppState {
    pub(crate) fn ledger(&self) -> &Arc<Ledger> {
        &self.0.ledger
    }
    pub(crate) fn projections(&self) -> &Projections {
        &self.0.projections
    }
    pub(crate) fn seal(&self) -> Option<&std::sync::Arc<subledger_seal::Seal>> {
        self.0.config.seal.as_ref()
    }
    pub(crate) fn acknowledge(&self, position: u64) {
        self.0.acknowledged.fetch_max(position, Ordering::Relaxed);
    }
    pub(crate) fn acknowledged(&self) -> u64 {
        self.0.acknowledged.load(Ordering::Relaxed)
    }
    pub(crate) fn tokens(&self) -> &auth::TokenIndex {
        &self.0.tokens
    }
    pub(crate) fn config(&self) -> &ApiConfig {
        &self.0.config
    }
    pub(crate) fn registry(&self) -> &Registry {
        &self.0.registry
    }
    pub(crate) fn http_metrics(&self) -> &telemetry::HttpMetrics {
        &self.0.http_metrics
    }
    pub(crate) fn openapi(&self) -> &str {
        &self.0.openapi
    }
    pub(crate) fn limiter(&self) -> Option<&limits::Limiter> {
        self.0.limiter.as_ref()
    }
}

/// The router of every endpoint of API.md.
/// The HTTP API over a ledger (commands) and its running projections (reads).
pub fn router(
    ledger: Arc<Ledger>,
    projections: Projections,
    auth: Arc<AuthFile>,
    config: ApiConfig,
) -> Router {
    let http_metrics = telemetry::HttpMetrics::default();
    let mut registry = Registry::default();
    ledger.metrics().register(&mut registry);
    http_metrics.register(&mut registry);
    let body_limit = config.body_limit_bytes;
    let ui = config.ui;
    let limiter = config.rate_limit.map(limits::Limiter::new);
    let state = AppState(Arc::new(Inner {
        tokens: auth::TokenIndex::new(&auth),
        limiter,
        ledger,
        projections,
        acknowledged: AtomicU64::new(0),
        config,
        registry,
        http_metrics,
        openapi: openapi::document(),
    }));
    let per_request = ServiceBuilder::new()
        .layer(middleware::from_fn(telemetry::sanitize_request_id))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                // One line per answered request; bodies are never logged.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            telemetry::track,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::read_body,
        ))
        .layer(middleware::from_fn(telemetry::deadline))
        .layer(middleware::from_fn(telemetry::catch_panic))
        .layer(DefaultBodyLimit::max(body_limit));
    let console = if ui {
        subledger_console::routes()
    } else {
        Router::new()
    };
    Router::new()
        .merge(console)
        .route("/v1/commands", post(commands::post_command))
        .route(
            "/v1/subscriptions/{id}",
            get(reads::subscriptions::get_subscription),
        )
        .route(
            "/v1/subscriptions/{id}/refundable-seats",
            get(reads::subscriptions::refundable_seats),
        )
        .route(
            "/v1/subscriptions/{id}/history",
            get(reads::history::history),
        )
        .route(
            "/v1/customers/{id}/subscriptions",
            get(reads::subscriptions::list_subscriptions),
        )
        .route("/v1/customers/{id}/orders", get(reads::orders::list_orders))
        .route("/v1/customers", get(reads::customers::list_customers))
        .route("/v1/billing/lines", get(billing::billing_lines))
        .route("/v1/audit/key-access", get(key_access::key_access))
        .route(
            "/v1/audit/key-access/daily",
            get(key_access::key_access_daily),
        )
        .route("/v1/events", get(feed::event_feed))
        .route(
            "/v1/ledger/checkpoint",
            get(ledger_seal::latest_checkpoint).post(ledger_seal::new_checkpoint),
        )
        .route(
            "/v1/ledger/proof/inclusion",
            get(ledger_seal::inclusion_proof),
        )
        .route(
            "/v1/ledger/proof/consistency",
            get(ledger_seal::consistency_proof),
        )
        .route("/v1/catalog", get(system::catalog))
        .route("/v1/clock", get(system::get_clock))
        .route("/v1/clock/advance", post(system::advance_clock))
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .route("/openapi.json", get(system::openapi))
        .fallback(system::no_route)
        .method_not_allowed_fallback(system::method_not_allowed)
        .layer(per_request)
        .with_state(state)
}
