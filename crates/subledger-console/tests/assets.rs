//! The console's files: all embedded, all reachable, nothing fetched from
//! another origin, and served with the headers that keep it that way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use subledger_console::{ASSETS, asset, routes};
use tower::ServiceExt;

fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

fn files_under(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, root, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel);
        }
    }
}

#[test]
fn every_file_of_the_assets_folder_is_embedded() {
    let mut on_disk = BTreeSet::new();
    files_under(&assets_dir(), &assets_dir(), &mut on_disk);
    // Provenance notes stay in the repository, not in the binary.
    on_disk.remove("vendor/uplot/SOURCE.md");
    let embedded: BTreeSet<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
    assert_eq!(on_disk, embedded);
}

/// Every `/ui/...` the page names and every module a script imports is embedded.
#[test]
fn every_reference_between_the_files_resolves() {
    let mut missing = Vec::new();
    for a in ASSETS
        .iter()
        .filter(|a| a.path.ends_with(".html") || a.path.starts_with("js/"))
    {
        let text = std::str::from_utf8(a.bytes).unwrap();
        for piece in text.split(['"', '\'']) {
            let target = if let Some(rest) = piece.strip_prefix("/ui/") {
                rest.to_owned()
            } else if piece.ends_with(".js")
                && (piece.starts_with("./") || piece.starts_with("../"))
            {
                let base = Path::new(a.path).parent().unwrap();
                normalize(&base.join(piece))
            } else {
                continue;
            };
            if asset(&target).is_none() {
                missing.push(format!("{} -> {piece}", a.path));
            }
        }
    }
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c.as_os_str().to_str().unwrap() {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other.to_owned()),
        }
    }
    parts.join("/")
}

/// The page must work on a closed network: no file of ours names another origin
/// (the SVG namespace is a name, not a fetch).
#[test]
fn no_file_of_the_console_points_at_another_origin() {
    for a in ASSETS.iter().filter(|a| !a.path.starts_with("vendor/")) {
        let text = std::str::from_utf8(a.bytes).unwrap();
        for scheme in ["http://", "https://", "//cdn", "@import"] {
            assert!(!text.contains(scheme), "{} contains {scheme}", a.path);
        }
    }
    let uplot =
        std::str::from_utf8(asset("vendor/uplot/uPlot.iife.min.js").unwrap().bytes).unwrap();
    // Past its licence banner, which names its home page.
    let uplot = &uplot[uplot.find("*/").expect("the licence banner") + 2..];
    for (i, _) in uplot.match_indices("http") {
        let url = &uplot[i..(i + 40).min(uplot.len())];
        assert!(url.starts_with("http://www.w3.org/"), "uPlot names {url}");
    }
}

#[tokio::test]
async fn ui_serves_the_page_with_a_policy_that_forbids_other_origins() {
    let app = routes::<()>();
    let res = app
        .clone()
        .oneshot(Request::get("/ui").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let etag = res.headers()[header::ETAG].clone();
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    assert_eq!(&body[..], asset("index.html").unwrap().bytes);

    let again = app
        .clone()
        .oneshot(
            Request::get("/ui")
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let js = app
        .clone()
        .oneshot(Request::get("/ui/js/main.js").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(
        js.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );

    let missing = app
        .oneshot(Request::get("/ui/js/nope.js").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// The vendored library is the one its provenance note names, unmodified
/// (its integrity is checked against the registry by scripts/vendor-uplot.sh).
#[test]
fn the_vendored_chart_library_carries_its_licence() {
    let licence = std::str::from_utf8(asset("vendor/uplot/LICENSE").unwrap().bytes).unwrap();
    assert!(licence.contains("The MIT License") && licence.contains("Leon Sorokin"));
    let note = std::fs::read_to_string(assets_dir().join("vendor/uplot/SOURCE.md")).unwrap();
    assert!(note.contains("uplot-1.6.32.tgz"));
}
