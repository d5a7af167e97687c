//! `subledger simulate`: wiring only. The simulation lives in
//! `subledger_app::simulate`; this opens a new ledger in the data directory (or
//! talks to a server with `--via`), shows progress and prints the summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use subledger_api::auth::AuthFile;
use subledger_app::simulate::{
    CommandSink, Outcome, SimulationConfig, Summary, customer_admin, customer_ids, partner_agent,
    partner_ids, simulate,
};
use subledger_app::{
    CommandRequest, KeyVault, Ledger, LedgerConfig, PgKeyVault, Projections, SimulatedClock,
    SqliteKeyVault,
};
use subledger_domain::{Catalog, EventData};
use subledger_projections::ProjectionDb;
use subledger_store::Synchronous;

use crate::store::{Backend, OpenMode, StoreSpec};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Customers, spread over the partners.
    #[arg(long)]
    customers: usize,
    /// Days to walk through.
    #[arg(long)]
    days: u32,
    /// The same seed, flags and catalog give the same events, ids included.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 5)]
    partners: usize,
    /// The first simulated day (RFC 3339, UTC).
    #[arg(long, default_value = "2025-01-01T00:00:00Z")]
    start: DateTime<Utc>,
    /// Where the new ledger goes (it must not hold a log yet).
    #[arg(long, default_value = "./subledger-data")]
    data_dir: PathBuf,
    /// Write to EventStoreDB instead of the embedded store.
    #[arg(long, conflicts_with_all = ["via", "pg_url"])]
    esdb_url: Option<String>,
    /// Write to PostgreSQL instead of the embedded store (its schema must hold no log yet).
    #[arg(long, conflicts_with = "via")]
    pg_url: Option<String>,
    /// The PostgreSQL schema to write the ledger into.
    #[arg(long, default_value = "subledger")]
    pg_schema: String,
    /// Send the commands to a running server instead (its clock must be simulated).
    #[arg(long)]
    via: Option<String>,
    /// Customers acting at once (their streams are independent).
    #[arg(long, default_value_t = 512)]
    concurrency: usize,
    /// Commit durability of the embedded store: full (fsync per commit) or normal.
    #[arg(long, default_value = "full")]
    durability: String,
    /// Only write `auth.json` in the data directory (tokens for the simulated
    /// partners and customers) and stop: what a server needs before `--via`.
    #[arg(long)]
    write_auth: bool,
    /// No progress, no table: the summary as `key value` lines.
    #[arg(long)]
    quiet: bool,
}

pub async fn run(args: SimulateArgs) -> Result<()> {
    if args.customers == 0 || args.days == 0 || args.partners == 0 {
        bail!("--customers, --days and --partners must be at least 1");
    }
    let config = SimulationConfig {
        seed: args.seed,
        customers: args.customers,
        partners: args.partners,
        days: args.days,
        start: args.start,
        concurrency: args.concurrency.max(1),
    };
    let partners = partner_ids(args.seed, args.partners);
    let customers = customer_ids(args.seed, args.customers);
    if args.write_auth {
        std::fs::create_dir_all(&args.data_dir)
            .with_context(|| format!("creating {}", args.data_dir.display()))?;
        return write_auth(&args, &partners, &customers);
    }
    let started = Instant::now();
    let (summary, ledger) = match &args.via {
        Some(base) => {
            let auth = AuthFile::load(&args.data_dir.join("auth.json")).with_context(|| {
                "--via acts as the simulated partners and customers: it needs the auth.json \
                 the server loaded, written by `subledger simulate --write-auth` with the same \
                 --seed, --partners and --customers (pass that --data-dir)"
            })?;
            let sink = HttpSink::new(base, &auth, &partners, &customers)?;
            (run_with(&sink, &config, args.quiet).await, None)
        }
        None => {
            let ledger = open_new_ledger(&args).await?;
            if !args.data_dir.join("auth.json").exists() {
                write_auth(&args, &partners, &customers)?;
            }
            let sink = ledger.clone();
            let summary = run_with(&sink, &config, args.quiet).await;
            (summary, Some(ledger))
        }
    };
    let elapsed = started.elapsed();
    if let Some(ledger) = ledger {
        build_projections(&args, &ledger).await?;
    }
    let mut text = summary_text(&summary, elapsed, args.quiet);
    if !args.quiet && args.via.is_none() && args.esdb_url.is_none() && args.pg_url.is_none() {
        // Where a newcomer goes next: the service over this ledger, its clock
        // where the simulation stopped.
        let end = args.start + chrono::Duration::days(i64::from(args.days));
        text.push_str(&format!(
            "\nserve it:  subledger serve --data-dir {} --clock simulated --now {}\n\
             replay it: subledger replay --data-dir {} --out report/\n",
            args.data_dir.display(),
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            args.data_dir.display()
        ));
    }
    // A reader that went away (`simulate … | head`) is not a failure: the ledger
    // is written.
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(e).context("printing the summary");
        }
    }
    if summary.failures > 0 {
        bail!(
            "{} commands failed with internal errors (first: {})",
            summary.failures,
            summary.failure_samples.join("; ")
        );
    }
    Ok(())
}

async fn open_new_ledger(args: &SimulateArgs) -> Result<Arc<Ledger>> {
    let backend = match (&args.esdb_url, &args.pg_url) {
        (Some(url), _) => Backend::EventStoreDb(url),
        (None, Some(url)) => Backend::Postgres {
            url,
            schema: &args.pg_schema,
        },
        (None, None) => Backend::Embedded,
    };
    // The durability is the embedded store's: the servers' own settings rule theirs.
    let durability = match args.durability.as_str() {
        "full" => Synchronous::Full,
        "normal" => Synchronous::Normal,
        other => bail!("--durability is full or normal, not {other}"),
    };
    let spec = StoreSpec {
        data_dir: &args.data_dir,
        backend,
        durability,
    };
    let opened = crate::store::open_store_with(spec, OpenMode::NewOnly).await?;
    // Keys go where the served ledger will look for them: PostgreSQL's vault beside a
    // PostgreSQL log, the data directory's keys.db otherwise.
    let keys: Arc<dyn KeyVault> = match &opened.postgres {
        Some(pg) => Arc::new(
            PgKeyVault::open_seeded(pg.pool().clone(), args.seed)
                .await
                .context("opening the key vault in PostgreSQL")?,
        ),
        None => Arc::new(
            SqliteKeyVault::open_seeded(&args.data_dir.join("keys.db"), args.seed)
                .context("opening the key vault")?,
        ),
    };
    let ledger = Ledger::open(
        opened.store,
        Arc::new(Catalog::default_catalog()),
        Arc::new(SimulatedClock::new(args.start)),
        keys,
        LedgerConfig::default(),
    )
    .await
    .context("opening the ledger")?;
    Ok(ledger)
}

/// The read models, built once the simulation is over (in big catch-up batches,
/// rather than competing with it), so a `serve` over the data directory starts
/// with them.
async fn build_projections(args: &SimulateArgs, ledger: &Ledger) -> Result<()> {
    let db = ProjectionDb::open(args.data_dir.join("projections.db"))
        .context("opening the projections")?;
    let (projections, runner) = Projections::spawn(ledger.store().clone(), Arc::new(db))
        .await
        .context("starting the projections")?;
    let head = ledger.store().last_position().await?;
    let waited = projections
        .wait_for(head, Duration::from_secs(3600))
        .await
        .context("bringing the projections up to date");
    runner.abort();
    waited?;
    Ok(())
}

/// One token per simulated partner and one per simulated customer's admin.
fn write_auth(
    args: &SimulateArgs,
    partners: &[uuid::Uuid],
    customers: &[uuid::Uuid],
) -> Result<()> {
    let path = args.data_dir.join("auth.json");
    let partner_users: Vec<(String, uuid::Uuid)> = partners
        .iter()
        .enumerate()
        .map(|(i, p)| (partner_agent(i), *p))
        .collect();
    let customer_users: Vec<(String, uuid::Uuid)> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (customer_admin(i), *c))
        .collect();
    AuthFile::development_for(&partner_users, &customer_users)
        .write(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    if !args.quiet {
        eprintln!(
            "subledger: wrote {} with a token per simulated partner (every partner role) and per customer admin",
            path.display()
        );
    }
    Ok(())
}

async fn run_with(sink: &dyn CommandSink, config: &SimulationConfig, quiet: bool) -> Summary {
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(u64::from(config.days));
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] day {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    let started = Instant::now();
    let mut last_line = Instant::now();
    let mut progress = |day: u32, s: &Summary| {
        let rate = s.commands as f64 / started.elapsed().as_secs_f64().max(1e-9);
        let msg = format!(
            "{} commands ({rate:.0}/s), {} events",
            s.commands, s.events_written
        );
        if let Some(bar) = &bar {
            bar.set_position(u64::from(day));
            bar.set_message(msg);
        } else if !quiet && (last_line.elapsed() >= Duration::from_secs(2) || day == config.days) {
            eprintln!("simulate: day {day}/{}: {msg}", config.days);
            last_line = Instant::now();
        }
    };
    let summary = simulate(sink, config, &mut progress).await;
    if let Some(bar) = bar {
        bar.finish();
    }
    summary
}

/// The summary as printed: `key value` lines when quiet, else tables.
fn summary_text(s: &Summary, elapsed: Duration, quiet: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let accepted: u64 = s.accepted.values().sum();
    let refused: u64 = s.refused.values().sum();
    let rate = s.commands as f64 / elapsed.as_secs_f64().max(1e-9);
    if quiet {
        let _ = writeln!(out, "days {}", s.days);
        let _ = writeln!(out, "commands {}", s.commands);
        let _ = writeln!(out, "accepted {accepted}");
        let _ = writeln!(out, "refused {refused}");
        let _ = writeln!(out, "failures {}", s.failures);
        let _ = writeln!(out, "events_written {}", s.events_written);
        let _ = writeln!(out, "simulate_commands_per_s {rate:.0}");
        let _ = writeln!(out, "clock_advance_s {:.1}", s.clock_time.as_secs_f64());
        for (kind, n) in &s.accepted {
            let _ = writeln!(out, "accepted.{kind} {n}");
        }
        for (code, n) in &s.refused {
            let _ = writeln!(out, "refused.{code} {n}");
        }
        return out;
    }
    let _ = writeln!(
        out,
        "simulated {} days: {} commands ({accepted} accepted, {refused} refused, {} failed) in {:.1} s, {rate:.0} commands/s; {} events written",
        s.days,
        s.commands,
        s.failures,
        elapsed.as_secs_f64(),
        s.events_written
    );
    let _ = writeln!(out, "simulate_commands_per_s {rate:.0}");
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<34} {:>10}", "accepted", "commands");
    for (kind, n) in &s.accepted {
        let _ = writeln!(out, "{kind:<34} {n:>10}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<34} {:>10}", "refused (code)", "commands");
    for (code, n) in &s.refused {
        let _ = writeln!(out, "{code:<34} {n:>10}");
    }
    out
}

/// Commands over HTTP, acting as each simulated partner or customer admin with
/// its token.
struct HttpSink {
    client: reqwest::Client,
    base: String,
    /// Tokens by partner id and by customer id.
    partner_tokens: std::collections::HashMap<uuid::Uuid, String>,
    customer_tokens: std::collections::HashMap<uuid::Uuid, String>,
    any_token: String,
    /// Events this run's commands and clock advances wrote, from the responses.
    written: std::sync::atomic::AtomicU64,
}

impl HttpSink {
    fn new(
        base: &str,
        auth: &AuthFile,
        partners: &[uuid::Uuid],
        customers: &[uuid::Uuid],
    ) -> Result<Self> {
        let token_of = |wanted: &dyn Fn(&subledger_api::auth::TokenEntry) -> bool, what: String| {
            auth.tokens
                .iter()
                .find(|t| wanted(t))
                .map(|t| t.token.clone())
                .with_context(|| format!("the auth file has no token for {what}"))
        };
        let mut partner_tokens = std::collections::HashMap::new();
        for p in partners {
            let token = token_of(
                &|t| t.partner_id == Some(*p),
                format!("simulated partner {p}"),
            )?;
            partner_tokens.insert(*p, token);
        }
        let mut customer_tokens = std::collections::HashMap::new();
        for c in customers {
            let token = token_of(
                &|t| t.customer_id == Some(*c) && t.partner_id.is_none(),
                format!("simulated customer {c}"),
            )?;
            customer_tokens.insert(*c, token);
        }
        let any_token = partner_tokens.values().next().cloned().unwrap_or_default();
        Ok(HttpSink {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            base: base.trim_end_matches('/').to_owned(),
            partner_tokens,
            customer_tokens,
            any_token,
            written: std::sync::atomic::AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl CommandSink for HttpSink {
    async fn execute(&self, request: CommandRequest) -> Outcome {
        let token = match (request.actor.partner_id, request.actor.customer_id) {
            (Some(p), _) => self.partner_tokens.get(&p),
            (None, Some(c)) => self.customer_tokens.get(&c),
            (None, None) => None,
        };
        let Some(token) = token else {
            return Outcome::Failed(format!("no token for {}", request.actor.user));
        };
        let mut body = match serde_json::to_value(&request.command) {
            Ok(v) => v,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        body["command_id"] = serde_json::json!(request.command_id);
        let sent = self
            .client
            .post(format!("{}/v1/commands", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let status = response.status().as_u16();
        let value: serde_json::Value = response.json().await.unwrap_or_default();
        match status {
            200 => Outcome::Accepted({
                let events = value["events"].as_array().map_or(0, Vec::len);
                self.written
                    .fetch_add(events as u64, std::sync::atomic::Ordering::Relaxed);
                value["events"]
                    .as_array()
                    .map(|events| {
                        events
                            .iter()
                            .filter_map(|e| serde_json::from_value::<EventData>(e.clone()).ok())
                            .collect()
                    })
                    .unwrap_or_default()
            }),
            400..=499 => Outcome::Refused {
                code: value["error"]["code"]
                    .as_str()
                    .unwrap_or("Unknown")
                    .to_owned(),
            },
            _ => Outcome::Failed(format!("HTTP {status}: {value}")),
        }
    }

    async fn advance(&self, to: DateTime<Utc>) -> Result<(), String> {
        let r = self
            .client
            .post(format!("{}/v1/clock/advance", self.base))
            .bearer_auth(&self.any_token)
            .json(&serde_json::json!({ "to": to }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match r.status().as_u16() {
            200 => {
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                let events = body["events_written"].as_u64().unwrap_or(0);
                self.written
                    .fetch_add(events, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            // The server's clock is already there (a second run): not a failure.
            422 => Ok(()),
            s => Err(format!("POST /v1/clock/advance: HTTP {s}")),
        }
    }

    async fn events_written(&self) -> u64 {
        self.written.load(std::sync::atomic::Ordering::Relaxed)
    }
}
