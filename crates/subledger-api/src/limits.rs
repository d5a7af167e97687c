//! What one request may cost the server, checked before any handler runs:
//!
//! * a rate limit per bearer token (GCRA with `governor`: N requests per
//!   minute, bursts of up to N), and for requests without a valid token per
//!   client address (an IPv6 client by its /64), so guessing tokens is as slow
//!   as using one; `/healthz`, `/metrics`, `/openapi.json` and `/ui` are not
//!   limited. Over it: 429 `RateLimited` with `Retry-After`, and nothing done;
//! * a body read deadline: the whole body (at most the body limit) must arrive
//!   within the body timeout of the request's head, else 408 `RequestTimeout`
//!   and the connection is closed. The body is read here, whole, so a handler
//!   never waits on a client.
//!
//! The limits of the connection itself (head size and time, connections) are
//! the accept loop's (`connections.rs`).

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::bearer_token;

/// `subledger serve`'s rate limit with the system clock: requests per minute
/// per token (and per client address without a valid token).
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 1200;

/// How long the body of a request may take to arrive, by default.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Every this many checks, forget the clients whose bucket is full again (the
/// map of clients holds only those seen within the last minute or so).
const HOUSEKEEPING_EVERY: u64 = 4096;

/// Whom a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Client {
    /// A token of the auth file, by its SHA-256 (the limiter never holds a secret).
    Token([u8; 32]),
    /// No valid token: the peer's address (IPv6 by its /64).
    Address(IpAddr),
    /// No valid token and no known peer (a router served without the accept loop).
    Unknown,
}

impl Client {
    pub(crate) fn of_address(ip: IpAddr) -> Client {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                // One host usually holds a whole /64.
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
            v4 => v4,
        };
        Client::Address(ip)
    }

    fn is_token(&self) -> bool {
        matches!(self, Client::Token(_))
    }
}

/// Whether requests to `path` count against the rate limit: everything but
/// liveness, metrics, the contract and the console's static files.
pub fn is_rate_limited(path: &str) -> bool {
    !matches!(path, "/healthz" | "/metrics" | "/openapi.json" | "/ui") && !path.starts_with("/ui/")
}

/// A keyed GCRA limiter: `per_minute` requests per minute per client, in
/// bursts of up to `per_minute`.
pub(crate) struct Limiter<C: Clock = DefaultClock> {
    per_minute: NonZeroU32,
    limiter: RateLimiter<Client, DashMapStateStore<Client>, C, NoOpMiddleware<C::Instant>>,
    checks: AtomicU64,
}

impl Limiter<DefaultClock> {
    pub(crate) fn new(per_minute: NonZeroU32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> Limiter<C> {
    pub(crate) fn with_clock(per_minute: NonZeroU32, clock: C) -> Self {
        Self {
            per_minute,
            limiter: RateLimiter::dashmap_with_clock(Quota::per_minute(per_minute), clock),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of `client`; past the limit, the whole seconds to
    /// wait before the next one is allowed (at least 1).
    pub(crate) fn check(&self, client: &Client) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % HOUSEKEEPING_EVERY
            == HOUSEKEEPING_EVERY - 1
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(client).map_err(|not_until| {
            whole_seconds(not_until.wait_time_from(self.limiter.clock().now()))
        })
    }

    pub(crate) fn per_minute(&self) -> u32 {
        self.per_minute.get()
    }

    #[cfg(test)]
    fn clients(&self) -> usize {
        self.limiter.len()
    }
}

/// `wait` rounded up to whole seconds, at least 1 (the unit of `Retry-After`).
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Refuses a request over its client's rate limit with 429, before anything
/// (the body included) is read.
pub(crate) async fn rate_limit(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(limiter) = state.limiter() else {
        return next.run(req).await;
    };
    if !is_rate_limited(req.uri().path()) {
        return next.run(req).await;
    }
    let client = match bearer_token(req.headers()).and_then(|t| state.tokens().known_digest(t)) {
        Some(digest) => Client::Token(digest),
        None => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(Client::Unknown, |ConnectInfo(peer)| {
                Client::of_address(peer.ip())
            }),
    };
    match limiter.check(&client) {
        Ok(()) => next.run(req).await,
        Err(retry_after_s) => ApiError::RateLimited {
            limit_per_minute: limiter.per_minute(),
            retry_after_s,
            per_token: client.is_token(),
        }
        .into_response(),
    }
}

/// Reads the whole body (up to the body limit) within the body timeout, then
/// hands the handler the request with its body in memory.
pub(crate) async fn read_body(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = state.config().body_limit_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::PayloadTooLarge { limit }.into_response();
    }
    let timeout = state.config().body_timeout;
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => {
            let body = Body::from(collected.to_bytes());
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            ApiError::PayloadTooLarge { limit }.into_response()
        }
        Ok(Err(e)) => ApiError::InvalidRequest {
            field: None,
            message: format!("the body could not be read: {e}"),
        }
        .into_response(),
        Err(_) => {
            tracing::info!(
                timeout_ms = timeout.as_millis() as u64,
                "the body did not arrive in time"
            );
            ApiError::RequestTimeout {
                seconds: whole_seconds(timeout),
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter(per_minute: u32) -> (Limiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limiter = Limiter::with_clock(NonZeroU32::new(per_minute).unwrap(), clock.clone());
        (limiter, clock)
    }

    #[test]
    fn a_burst_of_the_limit_passes_then_the_next_waits_for_one_interval() {
        let (limiter, clock) = limiter(30);
        let token = Client::Token([7; 32]);
        for i in 0..30 {
            assert_eq!(limiter.check(&token), Ok(()), "request {i}");
        }
        // One request every 2 s comes back.
        assert_eq!(limiter.check(&token), Err(2));
        clock.advance(Duration::from_millis(1500));
        assert_eq!(limiter.check(&token), Err(1), "0.5 s is rounded up to 1");
        clock.advance(Duration::from_millis(500));
        assert_eq!(limiter.check(&token), Ok(()));
        assert_eq!(limiter.check(&token), Err(2));
    }

    #[test]
    fn clients_are_counted_apart() {
        let (limiter, _clock) = limiter(2);
        let a = Client::Token([1; 32]);
        let b = Client::Token([2; 32]);
        let ip = Client::of_address("192.0.2.1".parse().unwrap());
        for client in [&a, &a, &b, &ip, &b, &ip] {
            assert_eq!(limiter.check(client), Ok(()));
        }
        assert_eq!(limiter.check(&a), Err(30));
        assert_eq!(limiter.check(&ip), Err(30));
        assert_eq!(limiter.clients(), 3);
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_is_its_ipv4() {
        let addr = |s: &str| Client::of_address(s.parse().unwrap());
        assert_eq!(addr("2001:db8:1:2:aaaa::1"), addr("2001:db8:1:2:bbbb::9"));
        assert_ne!(addr("2001:db8:1:2::1"), addr("2001:db8:1:3::1"));
        assert_eq!(addr("::ffff:192.0.2.7"), addr("192.0.2.7"));
        assert_ne!(addr("192.0.2.7"), addr("192.0.2.8"));
    }

    #[test]
    fn forgotten_clients_come_back_with_a_full_burst() {
        let (limiter, clock) = limiter(1);
        for i in 0..HOUSEKEEPING_EVERY as u32 - 1 {
            let client = Client::of_address(IpAddr::from([10, 0, (i >> 8) as u8, i as u8]));
            let _ = limiter.check(&client);
        }
        assert!(limiter.clients() > 1000);
        // Their buckets are full again after a minute; governor forgets a
        // client one emission interval (here a minute) after that.
        clock.advance(Duration::from_secs(121));
        let last = Client::of_address(IpAddr::from([10, 0, 0, 0]));
        assert_eq!(limiter.check(&last), Ok(()));
        assert!(limiter.clients() <= 1, "{}", limiter.clients());
    }

    #[test]
    fn liveness_metrics_the_contract_and_the_console_are_not_limited() {
        for path in [
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/ui",
            "/ui/",
            "/ui/app.js",
        ] {
            assert!(!is_rate_limited(path), "{path}");
        }
        for path in ["/v1/commands", "/v1/catalog", "/nope", "/uix", "/healthz/x"] {
            assert!(is_rate_limited(path), "{path}");
        }
    }

    #[test]
    fn waits_are_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(2001)), 3);
    }
}
