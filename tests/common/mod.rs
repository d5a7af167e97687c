//! Runs the real `subledger` binary as a child process and talks HTTP to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

pub const START: &str = "2026-01-10T09:00:00Z";

/// A running `subledger serve` on an ephemeral port.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub token: String,
    pub partner_id: Uuid,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
}

impl Server {
    /// Starts the server over `data_dir` with a simulated clock at `START`.
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &["--clock", "simulated", "--now", START])
    }

    /// [`Server::start`] with more flags after the simulated clock's.
    pub fn start_simulated_with(data_dir: &Path, extra: &[&str]) -> Server {
        let flags = [&["--clock", "simulated", "--now", START][..], extra].concat();
        Self::start_with(data_dir, &flags)
    }

    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_subledger"))
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start subledger serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            assert!(Instant::now() < deadline, "server did not start in time");
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read stderr");
            if let Some(addr) = line.strip_prefix("subledger: listening on ") {
                break addr.trim().to_owned();
            }
        };
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        let auth: Value = serde_json::from_str(
            &std::fs::read_to_string(data_dir.join("auth.json")).expect("development auth file"),
        )
        .expect("auth file is JSON");
        let entry = &auth["tokens"][0];
        Server {
            child,
            base,
            token: entry["token"].as_str().expect("token").to_owned(),
            partner_id: entry["partner_id"]
                .as_str()
                .expect("partner")
                .parse()
                .expect("uuid"),
            data_dir: data_dir.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a command; returns status and raw body.
    pub async fn command(&self, body: &Value) -> (u16, Vec<u8>) {
        let r = self
            .client
            .post(self.url("/v1/commands"))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.bytes().await.expect("body").to_vec())
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn create_customer(customer_id: Uuid) -> Value {
    json!({"command_id": Uuid::new_v4(), "type": "CreateCustomer", "customer_id": customer_id,
           "company_name": "Fabrikam", "domain": "fabrikam.example", "country": "NL", "segment": "commercial"})
}

pub fn purchase(customer_id: Uuid, product: &str, quantity: u32) -> Value {
    json!({"command_id": Uuid::new_v4(), "type": "Purchase", "customer_id": customer_id,
           "items": [{"product_id": product, "quantity": quantity, "term": "P1Y", "billing": "monthly"}]})
}
