//! The web console (`GET /ui`): static HTML, CSS and JavaScript, embedded in the
//! binary at compile time, that run in the browser and read the same public HTTP
//! API every other client reads, with the signed-in user's bearer token. The
//! console has no endpoint of its own and no data of its own: roles (GEN-3) and
//! partner isolation (GEN-2) are the API's, and so are its errors.
//!
//! Nothing is fetched from elsewhere: the one library the pages use (uPlot, for
//! charts) is vendored under `assets/vendor/` with its licence, and the
//! Content-Security-Policy forbids any other origin.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// One embedded file.
pub struct Asset {
    /// The path under `/ui/`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            bytes: include_bytes!(concat!("../assets/", $path)),
        }
    };
}

/// Every file the console serves; `index.html` is `/ui` itself.
pub const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("js/main.js", "text/javascript; charset=utf-8"),
    asset!("js/api.js", "text/javascript; charset=utf-8"),
    asset!("js/dom.js", "text/javascript; charset=utf-8"),
    asset!("js/charts.js", "text/javascript; charset=utf-8"),
    asset!("js/verify.js", "text/javascript; charset=utf-8"),
    asset!("js/pages/key_access.js", "text/javascript; charset=utf-8"),
    asset!("js/pages/customers.js", "text/javascript; charset=utf-8"),
    asset!("js/pages/customer.js", "text/javascript; charset=utf-8"),
    asset!("js/pages/subscription.js", "text/javascript; charset=utf-8"),
    asset!("js/pages/ledger.js", "text/javascript; charset=utf-8"),
    asset!(
        "vendor/uplot/uPlot.iife.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("vendor/uplot/uPlot.min.css", "text/css; charset=utf-8"),
    asset!("vendor/uplot/LICENSE", "text/plain; charset=utf-8"),
];

/// Only this origin, no inline script, no framing: the page talks to the API it
/// was served by and nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
     form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes, to merge into the API's router: `/ui` (the page),
/// `/ui/` (redirects to `/ui`) and `/ui/{*path}` (its files).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/ui",
            get(|headers: HeaderMap| async move { serve("index.html", &headers) }),
        )
        .route("/ui/", get(|| async { Redirect::permanent("/ui") }))
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move {
                serve(&path, &headers)
            }),
        )
}

/// The embedded file at `path`, if there is one.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(asset) = asset(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no console file {path}\n"),
        )
            .into_response();
    };
    let etag = etag(asset.bytes);
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let status = if unchanged {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let body: &'static [u8] = if unchanged { b"" } else { asset.bytes };
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, asset.content_type),
            // Revalidate every time: a new binary must never run old scripts.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        body,
    )
        .into_response();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn etag(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..12]))
}
