//! End-to-end browser tests of the web console that `subledger serve` serves at `/ui`
//! (issue 13), in headless Chromium driven over WebDriver (chromedriver).
//!
//! They rely on the console's DOM contract only (`crates/subledger-console/DOM-CONTRACT.md`: ids, classes, `data-*` and ARIA
//! attributes; never layout or wording), and every expected value comes from the HTTP
//! API itself, asked directly for the same request: the console must show what the
//! API answers, byte for byte where the contract says so (the key-access CSV).
//!
//! Needs `/usr/bin/chromium` and chromedriver (`/usr/bin/chromedriver`, or
//! `SUBLEDGER_CHROMEDRIVER`): `scripts/install-chromium.sh` installs both, and
//! `scripts/test.sh` then sets `SUBLEDGER_UI_TESTS=1`. Without it the tests are
//! reported as ignored (and test.sh prints a loud banner), never as passed.
//!
//! Every page visited is saved as `<target>/ui-screenshots/<test>-<page>.png`
//! (`<target>` is `CARGO_TARGET_DIR`, else the build's target directory).
//!
//! The tests run one at a time (one Chromium each; the machine is small). The harness
//! itself (chromedriver, a session, a page of the real server, a screenshot, a download,
//! the keyboard on a range input, a narrow viewport) is checked by the ignored
//! `harness_smoke_*` test, which needs no console:
//! `cargo test --test ui_browser -- --include-ignored harness_smoke`.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use uuid::Uuid;

use common::Server;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// `subledger simulate` starts on 2025-01-01 (its default); 200 days end here.
const SIM_END: &str = "2025-07-20T00:00:00Z";

/// The bound of every wait: the page, the API and a download.
const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

/// One browser at a time: each test has a Chromium and a server of its own.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------------
// Chromium and chromedriver: found, or the test is skipped loudly (or fails in CI).
// ---------------------------------------------------------------------------------

struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// The browser and its driver. The tests that need them are *ignored* unless
/// `SUBLEDGER_UI_TESTS` is set (`cfg(ui_tests)`, which `scripts/test.sh` sets once
/// `scripts/install-chromium.sh` succeeded), so a missing browser is reported as a
/// skip, never as a pass; a test that runs without them fails.
fn tools(test: &str) -> Tools {
    let chromedriver = std::env::var_os("SUBLEDGER_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMEDRIVER));
    let chromium = PathBuf::from(CHROMIUM);
    let missing: Vec<String> = [&chromium, &chromedriver]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "{test} needs {}: run scripts/install-chromium.sh",
        missing.join(" and ")
    );
    Tools {
        chromium,
        chromedriver,
    }
}

/// Where screenshots go: `<target>/ui-screenshots`.
fn artifact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // <target>/<profile>/subledger
            Path::new(env!("CARGO_BIN_EXE_subledger"))
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("target"))
        });
    target.join("ui-screenshots")
}

// ---------------------------------------------------------------------------------
// The server: a simulated ledger, the simulated tokens plus a sales agent.
// ---------------------------------------------------------------------------------

struct Fixture {
    server: Server,
    /// (partner_id, token) in the simulated auth file's order: partner 0 first.
    partners: Vec<(Uuid, String)>,
    /// Every simulated customer.
    customers: Vec<Uuid>,
    /// A `sales_agent` of partner 0: may read, may not read the key-access log (GEN-3).
    sales_token: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// `subledger simulate` (12 customers, 200 days, 2 partners; well under a second)
    /// and `subledger serve` over it, its simulated clock where the simulation stopped.
    fn start() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let out = Command::new(env!("CARGO_BIN_EXE_subledger"))
            .arg("simulate")
            .args(["--customers", "12", "--days", "200", "--seed", "7"])
            .args(["--partners", "2", "--quiet", "--data-dir"])
            .arg(&data)
            .output()
            .expect("run subledger simulate");
        assert!(
            out.status.success(),
            "simulate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        let auth: Value = serde_json::from_str(
            &std::fs::read_to_string(data.join("auth.json")).expect("simulated auth.json"),
        )
        .expect("auth.json is JSON");
        let mut tokens = auth["tokens"].as_array().expect("tokens").clone();
        let uuid = |v: &Value| v.as_str().and_then(|s| s.parse::<Uuid>().ok());
        let partners: Vec<(Uuid, String)> = tokens
            .iter()
            .filter_map(|t| Some((uuid(&t["partner_id"])?, t["token"].as_str()?.to_owned())))
            .collect();
        let customers: Vec<Uuid> = tokens
            .iter()
            .filter_map(|t| uuid(&t["customer_id"]))
            .collect();
        assert!(partners.len() == 2, "two simulated partners: {partners:?}");
        let sales_token = format!("ui-sales-agent-{}", Uuid::new_v4().simple());
        tokens.push(json!({
            "token": sales_token,
            "user": "sales@partner-0.example",
            "partner_id": partners[0].0,
            "roles": ["sales_agent"],
        }));
        let auth_path = dir.path().join("auth-ui.json");
        std::fs::write(
            &auth_path,
            serde_json::to_vec_pretty(&json!({ "tokens": tokens })).expect("json"),
        )
        .expect("write auth file");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&auth_path, std::fs::Permissions::from_mode(0o600))
                .expect("chmod auth file");
        }
        let auth_arg = auth_path.to_str().expect("utf-8 path");
        let server = Server::start_with(
            &data,
            &["--auth", auth_arg, "--clock", "simulated", "--now", SIM_END],
        );
        Fixture {
            server,
            partners,
            customers,
            sales_token,
            _dir: dir,
        }
    }

    fn base(&self) -> &str {
        &self.server.base
    }

    fn partner_token(&self, i: usize) -> &str {
        &self.partners[i].1
    }

    /// GET with a token: status, headers, raw body.
    async fn get_raw(&self, token: &str, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .server
            .client
            .get(self.server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.expect("body").to_vec())
    }

    /// GET with a token: status and JSON body (`Null` when not JSON).
    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let (status, _, body) = self.get_raw(token, path).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// GET that must answer 200.
    async fn get_ok(&self, token: &str, path: &str) -> Value {
        let (status, body) = self.get(token, path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POST that must answer 200.
    async fn post_ok(&self, token: &str, path: &str, body: &Value) -> Value {
        let r = self
            .server
            .client
            .post(self.server.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "POST {path} {body}: {answer}");
        answer
    }

    /// The customers partner `i` can see (its customers' subscriptions answer 200).
    async fn customers_of(&self, i: usize) -> Vec<Uuid> {
        let mut seen = Vec::new();
        for c in &self.customers {
            let (status, _) = self
                .get(
                    self.partner_token(i),
                    &format!("/v1/customers/{c}/subscriptions?limit=1"),
                )
                .await;
            if status == 200 {
                seen.push(*c);
            }
        }
        seen
    }

    /// A customer's subscriptions as partner `i` sees them (one page of up to 1000).
    async fn subscriptions(&self, i: usize, customer: Uuid) -> Vec<Value> {
        let body = self
            .get_ok(
                self.partner_token(i),
                &format!("/v1/customers/{customer}/subscriptions?limit=1000"),
            )
            .await;
        assert!(body["next_cursor"].is_null(), "more than one page: {body}");
        body["subscriptions"]
            .as_array()
            .expect("subscriptions")
            .clone()
    }

    /// Partner `i`'s whole key-access log, every page.
    async fn key_access_log(&self, i: usize) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/audit/key-access?limit=1000&cursor={c}"),
                None => "/v1/audit/key-access?limit=1000".to_owned(),
            };
            let page = self.get_ok(self.partner_token(i), &path).await;
            all.extend(page["entries"].as_array().expect("entries").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return all,
            }
        }
    }

    /// KEY-3: the simulation reveals a key about once in 200 days, so partner 0 gets
    /// key-access activity of its own here: a software subscription for two of its
    /// customers (ones partner 1 cannot see), then reveals, downloads and copied links
    /// on four consecutive days (the simulated clock advanced between them).
    async fn seed_key_access(&self) {
        let p0 = self.partner_token(0).to_owned();
        let mut own_only = Vec::new();
        for c in self.customers_of(0).await {
            let (other, _) = self
                .get(
                    self.partner_token(1),
                    &format!("/v1/customers/{c}/subscriptions?limit=1"),
                )
                .await;
            if other == 404 {
                own_only.push(c);
            }
        }
        assert!(
            own_only.len() >= 2,
            "partner 0 has two customers of its own: {own_only:?}"
        );
        let start: DateTime<Utc> = SIM_END.parse().expect("instant");
        let at = |day: i64| {
            (start + chrono::Duration::days(day) + chrono::Duration::hours(9))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        self.post_ok(&p0, "/v1/clock/advance", &json!({ "to": at(0) }))
            .await;
        let mut subs = Vec::new();
        for c in &own_only[..2] {
            let bought = self
                .post_ok(
                    &p0,
                    "/v1/commands",
                    &json!({"command_id": Uuid::new_v4(), "type": "Purchase", "customer_id": c,
                            "items": [{"product_id": "windows-server-2022-standard", "quantity": 2,
                                       "term": "P1Y", "billing": "annual"}]}),
                )
                .await;
            let id = bought["subscription_ids"][0]
                .as_str()
                .expect("subscription id")
                .to_owned();
            subs.push(id);
        }
        for day in 0..4 {
            for (i, sub) in subs.iter().enumerate() {
                let kinds = ["DownloadSoftware", "CopyDownloadLink", "RevealKey"];
                // The first customer twice a day, the second once.
                for n in 0..(2 - i) {
                    let kind = kinds[(day + i + n) % kinds.len()];
                    self.post_ok(
                        &p0,
                        "/v1/commands",
                        &json!({"command_id": Uuid::new_v4(), "type": kind, "subscription_id": sub}),
                    )
                    .await;
                }
            }
            self.post_ok(
                &p0,
                "/v1/clock/advance",
                &json!({ "to": at(day as i64 + 1) }),
            )
            .await;
        }
    }
}

// ---------------------------------------------------------------------------------
// The browser: chromedriver on a free port, one headless Chromium session.
// ---------------------------------------------------------------------------------

/// chromedriver, killed when dropped (even when opening the session failed).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Browser {
    client: Client,
    _driver: Driver,
    driver_url: String,
    session_id: String,
    test: String,
    downloads: tempfile::TempDir,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

/// What `main#page` shows: loading or not, an API error, the page's own element.
#[derive(Debug)]
struct PageState {
    busy: Option<String>,
    error: Option<ApiErrorView>,
    found: bool,
    url: String,
}

/// A rendered `div.api-error` (the contract's error rendering).
#[derive(Debug, Clone, PartialEq)]
struct ApiErrorView {
    role: Option<String>,
    status: Option<String>,
    code: Option<String>,
    code_text: Option<String>,
    rule_text: Option<String>,
    message_text: Option<String>,
}

const PAGE_STATE_JS: &str = r#"
const sel = arguments[0];
const main = document.querySelector('main#page');
const e = main ? main.querySelector('.api-error') : null;
const text = s => { const c = e.querySelector(s); return c ? c.textContent : null; };
return {
  busy: main ? main.getAttribute('aria-busy') : null,
  found: sel ? !!document.querySelector(sel) : true,
  url: location.href,
  error: e ? {
    role: e.getAttribute('role'), status: e.getAttribute('data-status'),
    code: e.getAttribute('data-code'), code_text: text('.code'),
    rule_text: text('.rule'), message_text: text('.message'),
  } : null,
};
"#;

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

impl Browser {
    /// Starts chromedriver (killed on drop) and opens a session: headless Chromium in
    /// a fresh profile, downloads into a temp dir without asking.
    async fn open(test: &str, tools: &Tools) -> Browser {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let mut driver = Driver(
            Command::new(&tools.chromedriver)
                .arg(format!("--port={port}"))
                .arg("--log-level=WARNING")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", tools.chromedriver.display())),
        );
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(r) = http.get(format!("{driver_url}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == json!(true)
            {
                break;
            }
            if let Ok(Some(status)) = driver.0.try_wait() {
                panic!("chromedriver exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready in {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }

        let profile = tempfile::tempdir().expect("profile dir");
        let downloads = tempfile::tempdir().expect("download dir");
        let download_dir = downloads.path().to_str().expect("utf-8 path").to_owned();
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,800".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": args,
                "prefs": {
                    "download.default_directory": download_dir,
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        // chromedriver is local and plain HTTP: no TLS in the way.
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver_url)
            .await
            .unwrap_or_else(|e| panic!("new WebDriver session: {e}"));
        let session_id = client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let browser = Browser {
            client,
            _driver: driver,
            driver_url,
            session_id,
            test: test.to_owned(),
            downloads,
            http,
            _profile: profile,
        };
        // Chromium 148 (--headless=new) honours the download prefs alone (checked
        // without this call); the CDP call keeps it so should a version not.
        browser
            .cdp(
                "Browser.setDownloadBehavior",
                json!({"behavior": "allow", "downloadPath": download_dir}),
            )
            .await;
        browser
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let r = self
            .http
            .post(format!(
                "{}/session/{}/goog/cdp/execute",
                self.driver_url, self.session_id
            ))
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"));
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "CDP {cmd}: {status} {body}");
        body["value"].clone()
    }

    async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs `script` every 100 ms until `done` accepts its value, for at most 20 s;
    /// then fails with `what` and the last value seen.
    async fn wait_for(
        &self,
        what: &str,
        script: &str,
        args: Vec<Value>,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.js(script, args.clone()).await;
            if done(&v) {
                return v;
            }
            if Instant::now() >= deadline {
                let shot = self.screenshot("timeout").await;
                panic!(
                    "waited {WAIT:?} for {what}; last seen: {v}\n(screenshot {})",
                    shot.display()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A full load of `url` (through about:blank, so a new hash route is a new
    /// document and `main#page` starts over rather than still saying "not busy").
    async fn load(&self, url: &str) {
        self.client.goto("about:blank").await.expect("about:blank");
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The page's state, as `PAGE_STATE_JS` reads it.
    async fn page_state(&self, selector: Option<&str>) -> PageState {
        let v = self
            .js(
                PAGE_STATE_JS,
                vec![selector.map_or(Value::Null, Value::from)],
            )
            .await;
        page_state(&v)
    }

    /// Waits until `main#page[aria-busy=false]` and either `selector` is there or the
    /// page shows an API error.
    async fn wait_page(&self, what: &str, selector: Option<&str>) -> PageState {
        let v = self
            .wait_for(
                what,
                PAGE_STATE_JS,
                vec![selector.map_or(Value::Null, Value::from)],
                |v| {
                    v["busy"] == json!("false")
                        && (v["found"] == json!(true) || !v["error"].is_null())
                },
            )
            .await;
        page_state(&v)
    }

    /// Opens `/ui#<route>` and waits for it (see `wait_page`).
    async fn open_page(&self, base: &str, route: &str, selector: Option<&str>) -> PageState {
        self.load(&format!("{base}/ui#{route}")).await;
        self.wait_page(&format!("page {route}"), selector).await
    }

    /// Signs in through `form#signin`; the token must end up in sessionStorage and
    /// never in the URL.
    async fn sign_in(&self, base: &str, token: &str) {
        self.load(&format!("{base}/ui")).await;
        self.wait_for(
            "form#signin with input#token",
            "return !!document.querySelector('form#signin input#token')",
            vec![],
            |v| v == &json!(true),
        )
        .await;
        let input = self
            .client
            .find(Locator::Css("form#signin input#token"))
            .await
            .expect("input#token");
        input.send_keys(token).await.expect("type the token");
        self.client
            .find(Locator::Css("#signin-submit"))
            .await
            .expect("#signin-submit")
            .click()
            .await
            .expect("click #signin-submit");
        self.wait_for(
            "nav#nav and button#signout after signing in",
            "return !!document.querySelector('nav#nav') && !!document.querySelector('button#signout')",
            vec![],
            |v| v == &json!(true),
        )
        .await;
        let stored = self
            .js("return sessionStorage.getItem('subledger.token')", vec![])
            .await;
        assert_eq!(stored, json!(token), "the token lives in sessionStorage");
        let url = self.client.current_url().await.expect("url");
        assert!(
            !url.as_str().contains(token),
            "the token is never in the URL"
        );
    }

    /// Sets a form control's value as a user would leave it (dates and selects
    /// through their value, since typing into a date input depends on the locale),
    /// with the `input` and `change` events a user's edit fires.
    async fn set_value(&self, selector: &str, value: &str) {
        let ok = self
            .js(
                r#"const [sel, value] = arguments;
                   const e = document.querySelector(sel);
                   if (!e) return 'missing';
                   e.focus();
                   e.value = value;
                   e.dispatchEvent(new Event('input', {bubbles: true}));
                   e.dispatchEvent(new Event('change', {bubbles: true}));
                   return e.value === value ? 'ok' : 'rejected: ' + e.value;"#,
                vec![json!(selector), json!(value)],
            )
            .await;
        assert_eq!(ok, json!("ok"), "set {selector} to {value:?}");
    }

    /// Types into a text input, replacing what it held.
    async fn type_into(&self, selector: &str, text: &str) {
        let e = self
            .client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"));
        e.clear().await.expect("clear");
        if !text.is_empty() {
            e.send_keys(text).await.expect("type");
        }
    }

    async fn click(&self, selector: &str) {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Sizes the viewport: the window, and device metrics if the window alone does
    /// not get there (a headless window may keep a minimum width).
    async fn set_viewport(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("set window size");
        let inner = self.js("return window.innerWidth", vec![]).await;
        if inner != json!(width) {
            eprintln!("window.innerWidth {inner} for a {width} wide window: device metrics set");
            self.cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await;
        } else {
            self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                .await;
        }
        let inner = self.js("return window.innerWidth", vec![]).await;
        assert_eq!(inner, json!(width), "viewport width");
    }

    /// Saves a PNG of the viewport as `<target>/ui-screenshots/<test>-<page>.png`.
    async fn screenshot(&self, page: &str) -> PathBuf {
        let dir = artifact_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{}-{page}.png", self.test));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Waits for `name` to be complete in the download dir; its bytes.
    async fn wait_download(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.path().join(name);
        let deadline = Instant::now() + WAIT;
        loop {
            let partial = std::fs::read_dir(self.downloads.path())
                .expect("download dir")
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
            if path.is_file() && !partial {
                return std::fs::read(&path).expect("read download");
            }
            if Instant::now() >= deadline {
                let names: Vec<String> = std::fs::read_dir(self.downloads.path())
                    .expect("download dir")
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                panic!("no download {name} in {WAIT:?}; the download dir holds {names:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

fn page_state(v: &Value) -> PageState {
    let e = &v["error"];
    PageState {
        busy: s(&v["busy"]),
        found: v["found"] == json!(true),
        url: s(&v["url"]).unwrap_or_default(),
        error: (!e.is_null()).then(|| ApiErrorView {
            role: s(&e["role"]),
            status: s(&e["status"]),
            code: s(&e["code"]),
            code_text: s(&e["code_text"]),
            rule_text: s(&e["rule_text"]),
            message_text: s(&e["message_text"]),
        }),
    }
}

impl Drop for Browser {
    /// Ends the session (Chromium quits) with a plain blocking DELETE, so a failed
    /// test leaves no browser behind; chromedriver is killed right after (`Driver`).
    fn drop(&mut self) {
        let addr = self.driver_url.trim_start_matches("http://").to_owned();
        if let Ok(mut conn) = TcpStream::connect(&addr) {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session_id
            );
            if conn.write_all(request.as_bytes()).is_ok() {
                let _ = conn.read_to_end(&mut Vec::new());
            }
        }
    }
}

/// The error the API gives as it gives it: (status, code, rule, message).
fn api_error(status: u16, body: &Value) -> (String, String, String, String) {
    let e = &body["error"];
    (
        status.to_string(),
        e["code"].as_str().unwrap_or_default().to_owned(),
        e["rule"].as_str().unwrap_or_default().to_owned(),
        e["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text.trim())
        .unwrap_or_else(|e| panic!("not an RFC 3339 instant: {text:?}: {e}"))
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------

/// KEY-4: an auditor filters the key-access log by customer and dates; the table
/// holds exactly the API's entries for those filters, and the CSV download is byte
/// for byte the API's CSV of the same page.
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn key_4_auditor_filters_the_key_access_log_and_downloads_exactly_the_api_csv() {
    let test = "key_4";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    fx.seed_key_access().await;
    let p0 = fx.partner_token(0).to_owned();

    // The customer with the most entries, and a date range that leaves some out.
    let log = fx.key_access_log(0).await;
    let mut by_customer: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for e in &log {
        by_customer
            .entry(e["customer_id"].as_str().expect("customer_id").to_owned())
            .or_default()
            .push(e);
    }
    let (customer, entries) = by_customer
        .iter()
        .max_by_key(|(_, v)| v.len())
        .expect("partner 0 has key-access entries");
    let mut days: Vec<NaiveDate> = entries
        .iter()
        .map(|e| instant(e["at"].as_str().expect("at")).date_naive())
        .collect();
    days.sort();
    days.dedup();
    assert!(days.len() >= 3, "entries on three days at least: {days:?}");
    // `to` is exclusive: the first and the last day fall outside.
    let (from, to) = (days[1], days[days.len() - 1]);
    let query = format!("customer_id={customer}&from={from}&to={to}&limit=500");
    let expected = fx
        .get_ok(&p0, &format!("/v1/audit/key-access?{query}"))
        .await;
    let expected = expected["entries"].as_array().expect("entries").clone();
    assert!(
        !expected.is_empty() && expected.len() < entries.len(),
        "the filters keep some of the customer's {} entries, not all: {}",
        entries.len(),
        expected.len()
    );
    assert!(
        expected.iter().all(|e| e["customer_id"] == json!(customer)),
        "the API filtered by customer"
    );

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &p0).await;
    let state = b
        .open_page(fx.base(), "/key-access", Some("table#ka-table"))
        .await;
    assert!(state.error.is_none(), "{state:?}");
    b.wait_for(
        "form#ka-form",
        "return !!document.querySelector('form#ka-form #ka-apply')",
        vec![],
        |v| v == &json!(true),
    )
    .await;
    b.type_into("#ka-customer", customer).await;
    b.type_into("#ka-subscription", "").await;
    b.type_into("#ka-user", "").await;
    b.set_value("#ka-from", &from.to_string()).await;
    b.set_value("#ka-to", &to.to_string()).await;
    b.set_value("#ka-action", "").await;
    b.set_value("#ka-limit", "500").await;
    b.click("#ka-apply").await;

    let rows = b
        .wait_for(
            &format!("{} rows of customer {customer} in table#ka-table", expected.len()),
            r#"const rows = [...document.querySelectorAll('table#ka-table tbody tr')];
               const cell = (r, c) => { const e = r.querySelector(`[data-col="${c}"]`); return e ? (e.dataset.value ?? e.textContent.trim()) : null; };
               const main = document.querySelector('main#page');
               return { busy: main ? main.getAttribute('aria-busy') : null,
                        count: (document.querySelector('#ka-count') || {}).textContent || null,
                        rows: rows.map(r => ({ customer_id: cell(r, 'customer_id'), subscription_id: cell(r, 'subscription_id'),
                                               user: cell(r, 'user'), action: cell(r, 'action') })) };"#,
            vec![],
            |v| {
                let rows = v["rows"].as_array().map_or(&[][..], Vec::as_slice);
                v["busy"] == json!("false")
                    && rows.len() == expected.len()
                    && rows.iter().all(|r| r["customer_id"] == json!(customer))
            },
        )
        .await;
    b.screenshot("filtered").await;
    let key = |customer: &Value, sub: &Value, user: &Value, action: &Value| {
        format!("{customer} {sub} {user} {action}")
    };
    let mut shown: Vec<String> = rows["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            key(
                &r["customer_id"],
                &r["subscription_id"],
                &r["user"],
                &r["action"],
            )
        })
        .collect();
    let mut wanted: Vec<String> = expected
        .iter()
        .map(|e| {
            key(
                &e["customer_id"],
                &e["subscription_id"],
                &e["user"],
                &e["action"],
            )
        })
        .collect();
    shown.sort();
    wanted.sort();
    assert_eq!(shown, wanted, "the table's rows are the API's entries");
    let count = rows["count"].as_str().unwrap_or_default().trim().to_owned();
    assert_eq!(
        count.split_whitespace().next(),
        Some(expected.len().to_string().as_str()),
        "#ka-count says \"N entries\": {count:?}"
    );

    // The CSV: exactly the API's CSV of the same filters and limit.
    let (status, headers, api_csv) = fx
        .get_raw(&p0, &format!("/v1/audit/key-access?{query}&format=csv"))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api_csv));
    eprintln!(
        "API CSV: {} bytes, x-next-cursor {:?}",
        api_csv.len(),
        headers.get("x-next-cursor")
    );
    b.click("#ka-csv").await;
    let downloaded = b.wait_download("key-access.csv").await;
    assert!(
        downloaded == api_csv,
        "key-access.csv is the API's CSV byte for byte\n--- downloaded ({} bytes)\n{}\n--- API ({} bytes)\n{}",
        downloaded.len(),
        String::from_utf8_lossy(&downloaded),
        api_csv.len(),
        String::from_utf8_lossy(&api_csv)
    );
}

/// GEN-2: partner 0 opening another partner's customer gets the API's 404, shown as
/// the API gave it; its own customer's page lists exactly the API's subscriptions.
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn gen_2_a_partner_cannot_see_another_partners_customer() {
    let test = "gen_2";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    let p0 = fx.partner_token(0).to_owned();
    let own = fx.customers_of(0).await;
    let theirs = fx.customers_of(1).await;
    let foreign = *theirs
        .iter()
        .find(|c| !own.contains(c))
        .expect("a customer of partner 1 only");
    let (status, body) = fx
        .get(&p0, &format!("/v1/customers/{foreign}/subscriptions"))
        .await;
    assert_eq!(status, 404, "{body}");
    let (_, code, _, _) = api_error(status, &body);
    assert_eq!(code, "NotFound");

    let mut mine = None;
    for c in &own {
        let subs = fx.subscriptions(0, *c).await;
        if !subs.is_empty() {
            mine = Some((*c, subs));
            break;
        }
    }
    let (mine, subs) = mine.expect("partner 0 has a customer with subscriptions");

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &p0).await;

    let state = b
        .open_page(fx.base(), &format!("/customer/{foreign}"), None)
        .await;
    b.screenshot("foreign-customer").await;
    // The page may finish without an error first; the error is what must come.
    let state = match state.error {
        Some(_) => state,
        None => {
            b.wait_page(
                "an .api-error on the foreign customer",
                Some("main#page .api-error"),
            )
            .await
        }
    };
    let error = state.error.expect("an .api-error");
    assert_eq!(error.status.as_deref(), Some("404"), "{error:?}");
    assert_eq!(error.code.as_deref(), Some(code.as_str()), "{error:?}");
    assert_eq!(
        error.code_text.as_deref().map(str::trim),
        Some(code.as_str()),
        "{error:?}"
    );
    assert_eq!(error.role.as_deref(), Some("alert"), "{error:?}");

    let state = b
        .open_page(
            fx.base(),
            &format!("/customer/{mine}"),
            Some("table#cust-subs"),
        )
        .await;
    assert!(state.error.is_none(), "{state:?}");
    b.wait_for(
        &format!("{} rows in table#cust-subs", subs.len()),
        "return document.querySelectorAll('table#cust-subs tbody tr').length",
        vec![],
        |v| v == &json!(subs.len()),
    )
    .await;
    b.screenshot("own-customer").await;
}

/// BIL: "why did this customer pay this much in June": the lines the customer page
/// shows for a month are the API's lines of that month, and they add up to the
/// month's total the API gives (and the page shows).
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn bil_a_months_lines_on_the_customer_page_add_up_to_its_total() {
    let test = "bil";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    let p0 = fx.partner_token(0).to_owned();
    // The customer of partner 0 with the busiest month, and that month's total.
    let mut best: Option<(Uuid, Value)> = None;
    for c in fx.customers_of(0).await {
        let (status, body) = fx
            .get(&p0, &format!("/v1/billing/lines?customer_id={c}&limit=1"))
            .await;
        assert_eq!(status, 200, "{body}");
        for t in body["totals"].as_array().expect("totals") {
            if best
                .as_ref()
                .is_none_or(|(_, b)| t["lines"].as_u64() > b["lines"].as_u64())
            {
                best = Some((c, t.clone()));
            }
        }
    }
    let (customer, total) = best.expect("partner 0 billed someone");
    let month = total["month"].as_str().expect("month").to_owned();
    assert!(total["lines"].as_u64() >= Some(2), "{total}");
    let (y, m) = month.split_once('-').expect("YYYY-MM");
    let (y, m): (i32, u32) = (y.parse().expect("year"), m.parse().expect("month"));
    let next = if m == 12 {
        format!("{}-01-01", y + 1)
    } else {
        format!("{y}-{:02}-01", m + 1)
    };
    let (status, lines) = fx
        .get(
            &p0,
            &format!(
                "/v1/billing/lines?customer_id={customer}&from={month}-01&to={next}&limit=1000"
            ),
        )
        .await;
    assert_eq!(status, 200, "{lines}");
    let lines = lines["lines"].as_array().expect("lines").len();
    assert_eq!(Some(lines as u64), total["lines"].as_u64(), "{total}");

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &p0).await;
    let state = b
        .open_page(
            fx.base(),
            &format!("/customer/{customer}?month={month}"),
            Some("table#billing-lines"),
        )
        .await;
    assert!(state.error.is_none(), "{state:?}");
    let expected_net = format!(
        "{}:{}",
        total["currency"].as_str().expect("currency"),
        total["net_minor"]
    );
    b.wait_for(
        &format!("{lines} lines of {month} adding up to {expected_net}"),
        "return [document.querySelectorAll('table#billing-lines tbody tr').length,
                 document.querySelector('#billing-sum')?.dataset.netMinor ?? null,
                 document.querySelector('#billing-month')?.value ?? null]",
        vec![],
        |v| v == &json!([lines, expected_net, month]),
    )
    .await;
    b.screenshot("month-lines").await;
}

/// The seal in the browser: with the operator's public key pasted, the checkpoint's
/// signature verifies and every event of a subscription's history is proven in the
/// signed log; with any other key the page says the signature does not verify.
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn the_ledger_page_verifies_a_subscriptions_history_against_the_signed_checkpoint() {
    let test = "ledger";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    let p0 = fx.partner_token(0).to_owned();
    let mut chosen = None;
    for c in fx.customers_of(0).await {
        if let Some(s) = fx.subscriptions(0, c).await.first() {
            chosen = Some(s["subscription_id"].as_str().expect("id").to_owned());
            break;
        }
    }
    let subscription = chosen.expect("a subscription of partner 0");
    let (status, history) = fx
        .get(&p0, &format!("/v1/subscriptions/{subscription}/history"))
        .await;
    assert_eq!(status, 200, "{history}");
    let events = history["events"].as_array().expect("events").len();
    // Everything written so far is sealed and signed, so every event is provable.
    let checkpoint = fx.post_ok(&p0, "/v1/ledger/checkpoint", &json!({})).await;
    let key = std::fs::read_to_string(fx.server.data_dir.join("ledger.key.pub"))
        .expect("the operator's public key");
    let key = key.trim();
    assert_eq!(checkpoint["public_key"], json!(key));

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &p0).await;
    b.open_page(fx.base(), "/ledger", Some("dl#checkpoint"))
        .await;
    b.js(
        "sessionStorage.setItem('subledger.auditor_public_key', arguments[0]); return true",
        vec![json!(key)],
    )
    .await;
    let state = b
        .open_page(
            fx.base(),
            &format!("/ledger?subscription={subscription}"),
            Some("#verify-result[data-outcome]"),
        )
        .await;
    assert!(state.error.is_none(), "{state:?}");
    b.wait_for(
        &format!("all {events} events proven and the signature valid"),
        "return [document.querySelector('#verify-result')?.dataset.outcome ?? null,
                 document.querySelectorAll('#verify-events tbody tr[data-outcome=\"included\"]').length,
                 document.querySelector('#checkpoint-signature')?.dataset.outcome ?? null]",
        vec![],
        |v| v == &json!(["ok", events, "ok"]),
    )
    .await;
    b.screenshot("verified").await;

    // Another key (a valid Ed25519 point, not the operator's): the signature fails,
    // and so does the verification of the history.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    b.js(
        "sessionStorage.setItem('subledger.auditor_public_key', arguments[0]); return true",
        vec![json!(other)],
    )
    .await;
    b.open_page(
        fx.base(),
        &format!("/ledger?subscription={subscription}"),
        Some("#verify-result[data-outcome]"),
    )
    .await;
    b.wait_for(
        "the signature refused with another key",
        "return [document.querySelector('#verify-result')?.dataset.outcome ?? null,
                 document.querySelector('#checkpoint-signature')?.dataset.outcome ?? null]",
        vec![],
        |v| v == &json!(["failed", "failed"]),
    )
    .await;
    b.screenshot("wrong-key").await;
}

/// GEN-3: a sales agent may not read the key-access log; the page shows the API's
/// 403 exactly as the API gave it.
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn gen_3_a_sales_agent_sees_the_apis_403() {
    let test = "gen_3";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    let (status, body) = fx.get(&fx.sales_token, "/v1/audit/key-access").await;
    assert_eq!(status, 403, "{body}");
    let (status, code, rule, message) = api_error(status, &body);

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &fx.sales_token).await;
    b.load(&format!("{}/ui#/key-access", fx.base())).await;
    let state = b
        .wait_page(
            "an .api-error on the key-access page",
            Some("main#page .api-error"),
        )
        .await;
    b.screenshot("key-access").await;
    let error = state.error.expect("an .api-error");
    assert_eq!(error.role.as_deref(), Some("alert"), "{error:?}");
    assert_eq!(error.status.as_deref(), Some(status.as_str()), "{error:?}");
    assert_eq!(error.code.as_deref(), Some(code.as_str()), "{error:?}");
    assert_eq!(
        error.code_text.as_deref().map(str::trim),
        Some(code.as_str()),
        "{error:?}"
    );
    assert_eq!(
        error.message_text.as_deref().map(str::trim),
        Some(message.trim()),
        "{error:?}"
    );
    assert_eq!(
        error.rule_text.as_deref().map(str::trim),
        Some(rule.as_str()),
        "{error:?}"
    );
}

/// VIEW-4: moving the as-of slider (keyboard only) to a middle event of the history
/// shows the subscription as the API gives it for that instant.
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn view_4_the_as_of_slider_shows_the_state_the_api_gives_for_that_instant() {
    let test = "view_4";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    let p0 = fx.partner_token(0).to_owned();

    // A subscription with three instants in its history at least, preferring one
    // whose middle instant shows another quantity or status than now.
    struct Pick {
        id: String,
        events: Vec<Value>,
        instants: Vec<DateTime<Utc>>,
        middle: usize,
        then: Value,
        differs: bool,
    }
    let mut pick: Option<Pick> = None;
    'customers: for c in fx.customers_of(0).await {
        for sub in fx.subscriptions(0, c).await {
            let id = sub["subscription_id"].as_str().expect("id").to_owned();
            let history = fx
                .get_ok(&p0, &format!("/v1/subscriptions/{id}/history?limit=1000"))
                .await;
            let events = history["events"].as_array().expect("events").clone();
            let mut instants: Vec<DateTime<Utc>> = events
                .iter()
                .map(|e| instant(e["at"].as_str().expect("at")))
                .collect();
            instants.dedup();
            if instants.len() < 3 || events.len() > 100 {
                continue;
            }
            let middle = instants.len() / 2;
            let at = instants[middle].to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            let then = fx
                .get_ok(&p0, &format!("/v1/subscriptions/{id}?as_of={at}"))
                .await;
            let differs = then["quantity"] != sub["quantity"] || then["status"] != sub["status"];
            let candidate = Pick {
                id,
                events,
                instants,
                middle,
                then,
                differs,
            };
            if differs {
                pick = Some(candidate);
                break 'customers;
            }
            pick.get_or_insert(candidate);
        }
    }
    let pick = pick.expect("a subscription of partner 0 with three instants in its history");
    let target = pick.instants[pick.middle];
    eprintln!(
        "subscription {}: {} events, {} instants; slider to {target} (differs from now: {})",
        pick.id,
        pick.events.len(),
        pick.instants.len(),
        pick.differs
    );

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &p0).await;
    let state = b
        .open_page(
            fx.base(),
            &format!("/subscription/{}", pick.id),
            Some("dl#sub-view"),
        )
        .await;
    assert!(state.error.is_none(), "{state:?}");
    // VIEW-5 as the page lists it: one `li` per event, with its type, instant and
    // position as the API gives them, in the API's order.
    let items = b
        .wait_for(
            &format!("{} li in ol#sub-history", pick.events.len()),
            r#"return [...document.querySelectorAll('ol#sub-history li')].map(li => ({
                 type: li.getAttribute('data-type'), at: li.getAttribute('data-at'),
                 position: li.getAttribute('data-position') }));"#,
            vec![],
            |v| v.as_array().is_some_and(|a| a.len() == pick.events.len()),
        )
        .await;
    for (i, (li, event)) in items
        .as_array()
        .expect("items")
        .iter()
        .zip(&pick.events)
        .enumerate()
    {
        let api = format!(
            "the API's event {i}: {} at {} position {}",
            event["type"], event["at"], event["position"]
        );
        let position = match &event["position"] {
            Value::Number(n) => n.to_string(),
            _ => panic!("history events carry their position: {api}"),
        };
        assert_eq!(li["type"], event["type"], "li {li} for {api}");
        assert_eq!(li["position"], json!(position), "li {li} for {api}");
        let at = li["at"].as_str().unwrap_or_default();
        assert_eq!(
            instant(at),
            instant(event["at"].as_str().expect("at")),
            "li {li} for {api}"
        );
    }
    b.wait_for(
        "input#asof-slider",
        "return !!document.querySelector('input#asof-slider')",
        vec![],
        |v| v == &json!(true),
    )
    .await;
    b.screenshot("now").await;

    // The slider's steps are the history's instants then "now": one per event, or
    // one per distinct instant; either way, the step of the first event at `target`.
    let slider = b
        .js(
            r#"const s = document.querySelector('input#asof-slider');
               return { min: Number(s.min || 0), max: Number(s.max || 100), step: Number(s.step || 1) };"#,
            vec![],
        )
        .await;
    let (min, max, step) = (
        slider["min"].as_f64().expect("min"),
        slider["max"].as_f64().expect("max"),
        slider["step"].as_f64().expect("step"),
    );
    let steps = ((max - min) / step).round() as usize + 1;
    let k = if steps == pick.events.len() + 1 {
        pick.events
            .iter()
            .position(|e| instant(e["at"].as_str().expect("at")) == target)
            .expect("event at target")
    } else if steps == pick.instants.len() + 1 {
        pick.middle
    } else {
        panic!(
            "#asof-slider has {steps} steps ({slider}); the history has {} events at {} instants, then \"now\"",
            pick.events.len(),
            pick.instants.len()
        );
    };
    b.js(
        "document.querySelector('input#asof-slider').focus()",
        vec![],
    )
    .await;
    let keys: String = std::iter::once(char::from(Key::Home))
        .chain(std::iter::repeat_n(char::from(Key::Right), k))
        .collect();
    b.client
        .active_element()
        .await
        .expect("the focused slider")
        .send_keys(&keys)
        .await
        .expect("keys to the slider");

    let seen = b
        .wait_for(
            &format!("#sub-view read as of {target}"),
            r#"const v = document.querySelector('#sub-view');
               const dd = f => { const e = v && v.querySelector(`dd[data-field="${f}"]`); return e ? e.textContent.trim() : null; };
               const out = document.querySelector('output#asof-current');
               return { busy: v ? v.getAttribute('aria-busy') : null, as_of: v ? v.getAttribute('data-as-of') : null,
                        current: out ? out.textContent.trim() : null,
                        quantity: dd('quantity'), status: dd('status') };"#,
            vec![],
            |v| {
                v["busy"] == json!("false")
                    && v["as_of"]
                        .as_str()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| t == target)
            },
        )
        .await;
    b.screenshot("as-of").await;
    let current = seen["current"].as_str().unwrap_or_default();
    assert_eq!(instant(current), target, "output#asof-current: {seen}");
    assert_eq!(
        seen["quantity"],
        json!(pick.then["quantity"].to_string()),
        "quantity as of {target}: {seen}"
    );
    assert_eq!(
        seen["status"], pick.then["status"],
        "status as of {target}: {seen}"
    );
}

/// Every page, wide and narrow: it loads (`main#page[aria-busy=false]`), shows no API
/// error, and is saved as a screenshot.
#[tokio::test]
#[cfg_attr(
    not(ui_tests),
    ignore = "needs Chromium: scripts/install-chromium.sh, then SUBLEDGER_UI_TESTS=1"
)]
async fn every_page_loads_without_an_api_error_at_1280_and_420_wide() {
    let test = "pages";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    fx.seed_key_access().await;
    let p0 = fx.partner_token(0).to_owned();
    let mut own = None;
    for c in fx.customers_of(0).await {
        let subs = fx.subscriptions(0, c).await;
        if let Some(s) = subs.first() {
            own = Some((c, s["subscription_id"].as_str().expect("id").to_owned()));
            break;
        }
    }
    let (customer, subscription) = own.expect("a customer of partner 0 with a subscription");
    let pages = [
        (
            "key-access",
            "/key-access".to_owned(),
            Some("table#ka-table"),
        ),
        ("customers", "/customers".to_owned(), None),
        (
            "customer",
            format!("/customer/{customer}"),
            Some("table#cust-subs"),
        ),
        (
            "subscription",
            format!("/subscription/{subscription}"),
            Some("dl#sub-view"),
        ),
        ("ledger", "/ledger".to_owned(), Some("dl#checkpoint")),
    ];

    let b = Browser::open(test, &tools).await;
    b.sign_in(fx.base(), &p0).await;
    for (width, height) in [(1280, 800), (420, 800)] {
        b.set_viewport(width, height).await;
        for (name, route, selector) in &pages {
            let state = b.open_page(fx.base(), route, *selector).await;
            b.screenshot(&format!("{name}-{width}")).await;
            assert!(
                state.error.is_none() && state.found,
                "{name} at {width}x{height}: {state:?}"
            );
            assert_eq!(state.busy.as_deref(), Some("false"));
            let errors = b
                .js(
                    "return document.querySelectorAll('.api-error').length",
                    vec![],
                )
                .await;
            assert_eq!(
                errors,
                json!(0),
                "{name} at {width}: no .api-error ({})",
                state.url
            );
            let problems = b.js(ACCESSIBILITY_PROBLEMS, vec![]).await;
            assert_eq!(
                problems,
                json!([]),
                "{name} at {width}x{height}: accessibility problems"
            );
        }
    }
}

/// What a keyboard or screen-reader user would trip over on the page shown: a form
/// control without a label, a button or link without a name, a chart without a
/// description, the page wider than the window (a narrow window must not need
/// sideways scrolling of the whole page; wide tables scroll in their own region, which
/// is focusable), and no skip link.
const ACCESSIBILITY_PROBLEMS: &str = r##"
const problems = [];
const named = (el) => (el.getAttribute('aria-label') || el.textContent || el.value || el.title || '').trim() !== '';
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') continue;
  if (el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    problems.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id}`);
}
for (const el of document.querySelectorAll('button, a[href]')) {
  if (!named(el)) problems.push(`nameless ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
}
for (const el of document.querySelectorAll('.chart')) {
  if (el.childElementCount > 0 && !el.getAttribute('aria-label')) problems.push(`chart #${el.id} without aria-label`);
}
for (const el of document.querySelectorAll('.table-wrap')) {
  if (el.getAttribute('tabindex') !== '0' || !el.getAttribute('aria-label')) problems.push('a scrolling table region that the keyboard cannot reach');
}
if (document.documentElement.scrollWidth > window.innerWidth + 1)
  problems.push(`page ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
if (!document.querySelector('a.skip[href="#page"]')) problems.push('no skip link');
return problems;
"##;

/// The harness itself, without the console: chromedriver starts, a session opens, a
/// page of the real server loads, screenshots are written (at 1280 and 420 wide), a
/// script-clicked `<a download>` lands in the download dir, the keyboard moves a range
/// input, and the fixture's extra token and seeded key-access activity are there.
#[tokio::test]
#[ignore = "checks the harness only: cargo test --test ui_browser -- --include-ignored harness_smoke"]
async fn harness_smoke_chromium_loads_the_server_screenshots_and_downloads() {
    let test = "harness_smoke";
    let tools = tools(test);
    let _one_browser = SERIAL.lock().await;
    let fx = Fixture::start();
    fx.seed_key_access().await;
    let log = fx.key_access_log(0).await;
    assert!(log.len() >= 8, "seeded key-access entries: {}", log.len());
    let (status, body) = fx.get(&fx.sales_token, "/v1/audit/key-access").await;
    assert_eq!(
        status, 403,
        "the sales agent's token works and is refused: {body}"
    );
    eprintln!("sales agent's 403: {body}");

    let b = Browser::open(test, &tools).await;
    b.load(&format!("{}/healthz", fx.base())).await;
    let text = b
        .wait_for(
            "the /healthz body",
            "return document.body ? document.body.innerText : ''",
            vec![],
            |v| v.as_str().is_some_and(|t| !t.trim().is_empty()),
        )
        .await;
    eprintln!("/healthz in Chromium: {text}");
    let png_width = |path: &Path| {
        let png = std::fs::read(path).expect("screenshot");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        u32::from_be_bytes(png[16..20].try_into().expect("IHDR width"))
    };
    let wide = b.screenshot("healthz-1280").await;
    assert_eq!(png_width(&wide), 1280);

    b.set_viewport(420, 800).await;
    let narrow = b.screenshot("healthz-420").await;
    assert_eq!(png_width(&narrow), 420);
    b.set_viewport(1280, 800).await;

    // A download as the console makes one: a Blob, an <a download>, a click.
    let csv = "at,user\n2025-07-20T09:00:00Z,agent@partner-0.example\n";
    b.js(
        r#"const a = document.createElement('a');
           a.href = URL.createObjectURL(new Blob([arguments[0]], {type: 'text/csv'}));
           a.download = 'key-access.csv';
           document.body.appendChild(a);
           a.click();"#,
        vec![json!(csv)],
    )
    .await;
    let downloaded = b.wait_download("key-access.csv").await;
    assert_eq!(downloaded, csv.as_bytes());

    // The keyboard on a range input, as the as-of slider is driven.
    b.js(
        r#"document.body.insertAdjacentHTML('beforeend',
             '<input type="range" id="asof-slider" min="0" max="5" step="1" value="4">');
           document.querySelector('#asof-slider').focus();"#,
        vec![],
    )
    .await;
    let keys: String = [Key::Home, Key::Right, Key::Right]
        .into_iter()
        .map(char::from)
        .collect();
    b.client
        .active_element()
        .await
        .expect("focused")
        .send_keys(&keys)
        .await
        .expect("keys");
    let value = b
        .js(
            "return document.querySelector('#asof-slider').value",
            vec![],
        )
        .await;
    assert_eq!(value, json!("2"), "Home, then ArrowRight twice");
    let page = b.page_state(None).await;
    eprintln!("page state off the console: {page:?}");
}
