//! What every request goes through: a request id (the client's if it is sane,
//! else a new UUID), a span carrying it with the method and route (so every log
//! line of the request has it), HTTP metrics, and a response deadline. Bodies
//! are never logged: a `RevealKey` response carries a key (KEY-1).

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::Span;

use crate::AppState;
use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long a response may take. A command or clock advance goes on in its own
/// task past it; the client learns the outcome by sending it again.
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(30);

/// The longest client request id kept; longer or odd ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

fn sane_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_REQUEST_ID_LEN
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.:/+=".contains(c))
}

/// Drops a client request id that could garble a log line, so a new one is made.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    if req
        .headers()
        .get(&REQUEST_ID)
        .is_some_and(|v| !sane_request_id(v))
    {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// The span of one request: request id, method, route (the matched pattern,
/// never the ids in the path) and, once authenticated, the user.
pub fn request_span(req: &Request) -> Span {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        route = %route_of(req),
        user = tracing::field::Empty,
    )
}

fn route_of(req: &Request) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

fn latency_histogram() -> Histogram {
    // 100 µs to ~3.3 s.
    Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
}

/// Requests by route and status, and their latency by route.
#[derive(Clone)]
pub struct HttpMetrics {
    pub requests: Family<RequestLabels, Counter>,
    pub seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            seconds: Family::new_with_constructor(latency_histogram),
        }
    }
}

impl HttpMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "subledger_http_requests",
            "HTTP requests, by method, route and status",
            self.requests.clone(),
        );
        registry.register(
            "subledger_http_request_seconds",
            "Time to answer an HTTP request, by method and route",
            self.seconds.clone(),
        );
    }
}

/// Counts and times each request by its route pattern.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = route_of(&req).to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let metrics = state.http_metrics();
    metrics
        .seconds
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Answers 503 `Timeout` past [`RESPONSE_DEADLINE`].
pub async fn deadline(req: Request, next: Next) -> Response {
    match tokio::time::timeout(RESPONSE_DEADLINE, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout {
            seconds: RESPONSE_DEADLINE.as_secs(),
        }
        .into_response(),
    }
}

/// Turns a panic in a handler into a 500 in the error shape (logged under the
/// request's span) instead of a dropped connection.
pub async fn catch_panic(req: Request, next: Next) -> Response {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            ApiError::Internal(format!("handler panicked: {what}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_in_the_error_shape_without_its_message() {
        use axum::body::Body;
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async {
                    if true {
                        panic!("secret boom");
                    }
                    "unreachable"
                }),
            )
            .layer(axum::middleware::from_fn(catch_panic));
        let response = app
            .oneshot(Request::builder().uri("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("InternalError"), "{text}");
        assert!(!text.contains("secret boom"), "{text}");
    }

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        let ok = |s: &str| sane_request_id(&HeaderValue::from_str(s).unwrap());
        assert!(ok("6f1c0000-0000-0000-0000-000000000001"));
        assert!(ok("req_42.a:b"));
        assert!(!ok(""));
        assert!(!ok("a b"));
        assert!(!ok("x\"y"));
        assert!(!ok(&"a".repeat(129)));
    }
}
