//! The `subledger` command-line program: argument parsing and wiring only (the
//! analysts' and auditors' tools live in [`tools`]).

mod simulate;
mod startup;
mod store;
mod tools;

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use subledger_api::auth::AuthFile;
use subledger_app::{
    Clock, CommandRequest, KeyVault, Ledger, LedgerConfig, PgKeyVault, Projections, SharedStore,
    SimulatedClock, SqliteKeyVault, SystemClock,
};
use subledger_domain::{Actor, Catalog};
use subledger_projections::ProjectionDb;
use subledger_store::Synchronous;
use tracing::info;

use crate::store::{Backend, OpenMode, StoreSpec};

// mimalloc: the replay and the server allocate and free many small objects in
// every thread; glibc's allocator spent a sixth of a replay in page faults of memory
// it had just returned to the kernel (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An event-sourced subscription ledger for Cloud Solution Provider partners.
#[derive(Debug, Parser)]
#[command(name = "subledger", version, about, long_about = None)]
struct Cli {
    /// Log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Run the ledger service: the HTTP API of API.md over the event store.
    Serve(ServeArgs),
    /// Apply NDJSON commands (one per line) directly to the store, printing one
    /// NDJSON result per line: for scripts and backfills.
    Exec(ExecArgs),
    /// Write a new ledger of simulated partner activity, day by day, through the
    /// real command path (in process, or over HTTP with --via).
    Simulate(simulate::SimulateArgs),
    #[command(flatten)]
    Tool(tools::Tool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Sqlite,
    Eventstoredb,
    /// PostgreSQL: the tested scale-out store (several nodes on one database).
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClockKind {
    System,
    Simulated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Durability {
    /// fsync at every commit: an acknowledged command survives power loss.
    Full,
    /// fsync at checkpoints only: survives a process crash, not a power loss.
    Normal,
}

/// Where the ledger keeps its log, and how time passes.
#[derive(Debug, Args)]
struct LedgerArgs {
    /// The data directory (created if absent, when its parent exists); one
    /// process writes it at a time.
    #[arg(long, default_value = "./subledger-data")]
    data_dir: PathBuf,
    /// Which event store holds the log.
    #[arg(long, value_enum, default_value_t = StoreKind::Sqlite)]
    store: StoreKind,
    /// EventStoreDB connection string, e.g. esdb://localhost:2113?tls=false.
    #[arg(long)]
    esdb_url: Option<String>,
    /// PostgreSQL URL, e.g. postgresql://subledger@db-host/subledger (with --store postgres).
    #[arg(long, env = "SUBLEDGER_PG_URL", hide_env_values = true)]
    pg_url: Option<String>,
    /// The PostgreSQL schema holding the ledger (created on first start).
    #[arg(long, default_value = "subledger")]
    pg_schema: String,
    /// The system clock, or a simulated one that moves only on POST /v1/clock/advance.
    #[arg(long, value_enum, default_value_t = ClockKind::System)]
    clock: ClockKind,
    /// The simulated clock's starting instant (RFC 3339, UTC).
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// A catalog file replacing the default catalog.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Commit durability of the embedded store.
    #[arg(long, value_enum, default_value_t = Durability::Full)]
    durability: Durability,
    /// Write a snapshot of a customer's state every this many events.
    #[arg(long, default_value_t = 100)]
    snapshot_every: u64,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The auth file (tokens → actors). Without it, a development auth file is
    /// written into the data directory on first start.
    #[arg(long)]
    auth: Option<PathBuf>,
    /// How often time-driven work runs with the system clock.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    tick: Duration,
    /// How long a read waits for the read models to catch up with the commands
    /// this server acknowledged (and its `min_position`) before answering 503.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    read_wait: Duration,
    /// The most events one projection transaction holds while catching up with a
    /// backlog (bigger: faster catch-up; smaller: finer checkpoints).
    #[arg(long, default_value_t = subledger_app::read_side::CATCH_UP_EVENTS)]
    projection_batch: usize,
    /// The Ed25519 key that signs the log's checkpoints (`subledger keygen`).
    /// Default: the data directory's ledger.key, made on first start; keep the
    /// key outside the data directory where insiders can read it.
    #[arg(long)]
    signing_key: Option<PathBuf>,
    /// How often a checkpoint is signed while the log grows.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    checkpoint_every: Duration,
    /// Do not serve the web console at `/ui`.
    #[arg(long)]
    no_ui: bool,
    /// Move projections.db aside (kept as projections.db.damaged-<time>) and rebuild
    /// the read models from the log: the way out when it is damaged.
    #[arg(long)]
    rebuild_projections: bool,
    /// The time a client has to send a whole request head, from connecting or
    /// from the end of the previous response on a kept-alive connection (so
    /// also the idle timeout); past it the connection is closed.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// The largest request head (request line and headers) in bytes, at least
    /// 8192; larger heads get 431 and the connection is closed.
    #[arg(long, default_value_t = 64 * 1024, value_parser = parse_header_bytes)]
    max_header_bytes: usize,
    /// The time a request's body has to arrive after its head (408 past it).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    body_timeout: Duration,
    /// How long a response may wait for the client to read any of it before
    /// the connection is closed.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    send_timeout: Duration,
    /// Connections served at once; more wait in the kernel's listen backlog.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Requests per minute per bearer token (and per client address without a
    /// valid token), `N/min` or `off`. Default: 1200/min with the system clock,
    /// off with `--clock simulated`.
    #[arg(long, value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,
}

/// `--rate-limit`: `N/min` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateLimit {
    PerMinute(std::num::NonZeroU32),
    Off,
}

fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    if s == "off" {
        return Ok(RateLimit::Off);
    }
    s.strip_suffix("/min")
        .and_then(|n| n.parse().ok())
        .map(RateLimit::PerMinute)
        .ok_or_else(|| format!("`{s}` is not a rate limit like 1200/min, or off"))
}

fn parse_header_bytes(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= subledger_api::MIN_HEADER_BYTES => Ok(n),
        _ => Err(format!(
            "`{s}` is not a number of bytes of at least {}",
            subledger_api::MIN_HEADER_BYTES
        )),
    }
}

impl ServeArgs {
    /// The connection limits of the flags.
    fn serve_limits(&self) -> subledger_api::ServeLimits {
        subledger_api::ServeLimits {
            header_timeout: self.header_timeout,
            max_header_bytes: self.max_header_bytes,
            max_connections: self.max_connections as usize,
            send_timeout: self.send_timeout,
        }
    }

    /// The rate limit: as given, else 1200/min with the system clock and none
    /// with a simulated one (simulations replay years in minutes).
    fn rate_limit(&self) -> Option<std::num::NonZeroU32> {
        match self.rate_limit {
            Some(RateLimit::PerMinute(n)) => Some(n),
            Some(RateLimit::Off) => None,
            None if self.ledger.clock == ClockKind::Simulated => None,
            None => std::num::NonZeroU32::new(subledger_api::DEFAULT_RATE_LIMIT_PER_MINUTE),
        }
    }
}

/// Raises the soft limit of open files to the hard one, so that the connection
/// cap, not the process, decides how many clients are served; warns when even
/// that is below the cap.
fn raise_open_files_limit(max_connections: u32) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let mut soft = limit.current;
        if let (Some(current), Some(hard)) = (limit.current, limit.maximum)
            && current < hard
            && setrlimit(
                Resource::Nofile,
                rustix::process::Rlimit {
                    current: Some(hard),
                    maximum: Some(hard),
                },
            )
            .is_ok()
        {
            soft = Some(hard);
        }
        // Files of the stores, the projections and the seal besides the sockets.
        if let Some(soft) = soft
            && soft < u64::from(max_connections) + 128
        {
            tracing::warn!(
                open_files = soft,
                max_connections,
                "the open files limit is below --max-connections plus the server's own files; lower --max-connections or raise the limit"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = max_connections;
}

#[derive(Debug, Args)]
struct ExecArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// NDJSON commands; `-` or absent for standard input.
    file: Option<PathBuf>,
    /// The auth-file entry to act as: its token or its user name.
    #[arg(long = "as")]
    as_entry: String,
    /// The auth file (default: the data directory's development auth file).
    #[arg(long)]
    auth: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 500ms or 2s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        _ => Err(format!("`{s}` is not a duration like 500ms or 2s")),
    }
}

/// Logs to standard error, filtered by `RUST_LOG` or else at `default_level`.
/// Only the first call sets the logger (a later one, as in tests, changes nothing).
fn init_tracing(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _already_set = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        Cli::command().print_help()?;
        return Ok(());
    };
    // The tools print each error as one line, with their own exit codes.
    let command = match command {
        Commands::Tool(tool) => std::process::exit(tools::run(tool, cli.log_format)),
        other => other,
    };
    // A simulation's output is its progress and summary; a server logs what it does.
    let level = if matches!(command, Commands::Simulate(_)) {
        "warn"
    } else {
        "info"
    };
    init_tracing(cli.log_format, level);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|runtime| {
            runtime.block_on(async {
                match command {
                    Commands::Serve(args) => serve(args).await,
                    Commands::Exec(args) => exec(args).await,
                    Commands::Simulate(args) => simulate::run(args).await,
                    Commands::Tool(_) => unreachable!("the tools run above"),
                }
            })
        });
    // One line an operator can read (and a supervisor can log), never a backtrace.
    if let Err(e) = result {
        let line = format!("{e:#}").replace(['\n', '\r'], " ");
        eprintln!("subledger: error: {line}");
        std::process::exit(1);
    }
    Ok(())
}

/// The log the ledger flags name, opened read-write.
async fn open_store(args: &LedgerArgs) -> Result<store::OpenedStore> {
    let backend = match args.store {
        StoreKind::Sqlite => Backend::Embedded,
        StoreKind::Eventstoredb => Backend::EventStoreDb(args.esdb_url.as_deref().with_context(
            || "--store eventstoredb needs --esdb-url (e.g. esdb://localhost:2113?tls=false)",
        )?),
        StoreKind::Postgres => Backend::Postgres {
            url: args.pg_url.as_deref().with_context(|| {
                "--store postgres needs --pg-url or SUBLEDGER_PG_URL \
                 (e.g. postgresql://subledger@localhost/subledger)"
            })?,
            schema: &args.pg_schema,
        },
    };
    let spec = StoreSpec {
        data_dir: &args.data_dir,
        backend,
        durability: match args.durability {
            Durability::Full => Synchronous::Full,
            Durability::Normal => Synchronous::Normal,
        },
    };
    Ok(store::open_store_with(spec, OpenMode::ReadWrite).await?)
}

fn load_catalog(path: Option<&Path>) -> Result<Catalog> {
    match path {
        None => Ok(Catalog::default_catalog()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the catalog {}", p.display()))?;
            Catalog::from_json(&text)
                .with_context(|| format!("loading the catalog {}", p.display()))
        }
    }
}

/// The ledger over the log the flags name; beside `projections`, it starts from
/// what they hold instead of reading the whole log.
async fn open_ledger(
    args: &LedgerArgs,
    projections: Option<&ProjectionDb>,
    beside: Option<startup::Beside>,
) -> Result<Arc<Ledger>> {
    let clock: Arc<dyn Clock> = match (args.clock, args.now) {
        (ClockKind::System, None) => Arc::new(SystemClock),
        (ClockKind::System, Some(_)) => bail!("--now goes with --clock simulated"),
        (ClockKind::Simulated, now) => Arc::new(SimulatedClock::new(now.unwrap_or_else(Utc::now))),
    };
    let catalog = Arc::new(load_catalog(args.catalog.as_deref())?);
    let log = match args.store {
        StoreKind::Sqlite => args.data_dir.join("events.db").display().to_string(),
        StoreKind::Postgres => format!("PostgreSQL schema {}", args.pg_schema),
        StoreKind::Eventstoredb => "EventStoreDB".to_owned(),
    };
    if let Some(beside) = &beside
        && args.store == StoreKind::Sqlite
    {
        // Before opening (which would make a new, empty log): a missing or emptied
        // log under a seal and read models of a longer one is a lost log.
        let events = args.data_dir.join("events.db");
        let bytes = std::fs::metadata(&events).map(|m| m.len()).unwrap_or(0);
        if bytes == 0 {
            startup::check_log_covers(0, beside, &log)?;
        }
    }
    let events_path = args.data_dir.join("events.db");
    let store::OpenedStore { store, postgres } = open_store(args)
        .await
        .map_err(|e| startup::or_damaged(e, &events_path, startup::EVENTS_FIX))?;
    if let Some(beside) = &beside {
        let head = store
            .last_position()
            .await
            .context("reading the log's head")?;
        startup::check_log_covers(head, beside, &log)?;
    }
    // On PostgreSQL the nodes share the key vault and the refusal memory in the
    // database, and each follows the log for what the others wrote.
    let (keys, shared): (Arc<dyn KeyVault>, _) = match &postgres {
        Some(pg) => (
            Arc::new(
                PgKeyVault::open(pg.pool().clone())
                    .await
                    .context("opening the key vault in PostgreSQL")?,
            ),
            Some(SharedStore::of(pg)),
        ),
        None => {
            let path = args.data_dir.join("keys.db");
            let vault = SqliteKeyVault::open(&path).map_err(|e| {
                let e = anyhow::Error::new(e)
                    .context(format!("opening the key vault {}", path.display()));
                startup::or_damaged(e, &path, startup::KEYS_FIX)
            })?;
            (Arc::new(vault), None)
        }
    };
    let config = LedgerConfig {
        snapshot_every: args.snapshot_every.max(1),
        // Several nodes writing one customer conflict more often than one process's
        // commands, which its customer lock serializes.
        max_retries: if shared.is_some() {
            32
        } else {
            LedgerConfig::default().max_retries
        },
        shared,
        ..LedgerConfig::default()
    };
    let opened = match projections {
        Some(db) => Ledger::open_with_projections(store, catalog, clock, keys, config, db).await,
        None => Ledger::open(store, catalog, clock, keys, config).await,
    };
    opened.context("opening the ledger")
}

/// The auth file to use: the given one, or the data directory's development
/// file, written on first start.
fn auth_file(explicit: Option<&Path>, data_dir: &Path, create: bool) -> Result<AuthFile> {
    if let Some(path) = explicit {
        return AuthFile::load(path)
            .with_context(|| format!("loading the auth file {}", path.display()));
    }
    let path = data_dir.join("auth.json");
    if path.exists() {
        return AuthFile::load(&path)
            .with_context(|| format!("loading the auth file {}", path.display()));
    }
    if !create {
        bail!(
            "no auth file: pass --auth FILE (or start `subledger serve` once to create {})",
            path.display()
        );
    }
    std::fs::create_dir_all(data_dir)?;
    let auth = AuthFile::development();
    auth.write(&path)
        .with_context(|| format!("writing the development auth file {}", path.display()))?;
    // Printed to the operator's terminal, never logged: the file holds the token.
    eprintln!(
        "subledger: wrote a development auth file with one partner token holding every partner role: {}",
        path.display()
    );
    Ok(auth)
}

/// The actor of the auth-file entry with this token or user name (`--as`).
fn actor_of(auth: &AuthFile, entry: &str) -> Result<Actor> {
    auth.tokens
        .iter()
        .find(|t| t.token == entry || t.user == entry)
        .map(|t| t.actor())
        .with_context(|| format!("no auth-file entry with token or user `{entry}`"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    info!("shutting down: no new connections; finishing the commands in flight");
}

async fn serve(args: ServeArgs) -> Result<()> {
    raise_open_files_limit(args.max_connections);
    // First of all, the data directory is this process's: nothing in it is opened
    // before, so a second server changes nothing.
    let claim = subledger_app::data_dir::claim(&args.ledger.data_dir)?;
    if claim.created() {
        eprintln!(
            "subledger: made the data directory {} (a new, empty ledger)",
            args.ledger.data_dir.display()
        );
    }
    // The read models live next to the log (for EventStoreDB too: they are this
    // server's cache of the log, rebuilt from it whenever they are missing). The
    // ledger starts from them, before their runner moves them on.
    let db = startup::open_projections(&args.ledger.data_dir, args.rebuild_projections)?;
    let seal = open_seal(&args.ledger.data_dir, args.signing_key.as_deref())?;
    let beside = startup::Beside {
        sealed: seal.last_position(),
        projected: db
            .checkpoint()
            .context("reading the projections' checkpoint")?
            .position,
    };
    let ledger = open_ledger(&args.ledger, Some(&db), Some(beside)).await?;
    let auth = auth_file(args.auth.as_deref(), &args.ledger.data_dir, true)?;
    let simulated = args.ledger.clock == ClockKind::Simulated;
    let scheduler = (!simulated).then(|| ledger.spawn_scheduler(args.tick));
    let (projections, runner) =
        Projections::spawn_with(ledger.store().clone(), Arc::new(db), args.projection_batch)
            .await
            .context("starting the projections")?;
    let sealer =
        subledger_seal::spawn_sealer(seal.clone(), ledger.store().clone(), args.checkpoint_every);
    let router = subledger_api::router(
        ledger.clone(),
        projections,
        Arc::new(auth),
        subledger_api::ApiConfig {
            simulated_clock: simulated,
            read_wait: args.read_wait,
            seal: Some(seal),
            ui: !args.no_ui,
            body_timeout: args.body_timeout,
            rate_limit: args.rate_limit(),
            ..subledger_api::ApiConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    info!(listen = %local, store = ?args.ledger.store, clock = ?args.ledger.clock, "subledger is serving");
    eprintln!("subledger: listening on http://{local}");
    if !args.no_ui {
        eprintln!(
            "subledger: web console on http://{local}/ui (sign in with a token of the auth file)"
        );
    }
    subledger_api::serve_with(listener, router, args.serve_limits(), shutdown_signal()).await?;
    if let Some(s) = scheduler {
        s.abort();
    }
    runner.abort();
    sealer.abort();
    info!("stopped");
    Ok(())
}

/// The seal beside the log (`seal.db`), signing with the operator's key; without
/// one, a key is made in the data directory on first start.
fn open_seal(data_dir: &Path, signing_key: Option<&Path>) -> Result<Arc<subledger_seal::Seal>> {
    use subledger_seal::checkpoint;
    let key_path = match signing_key {
        Some(path) => path.to_owned(),
        None => {
            let path = tools::seal::default_signing_key(data_dir);
            if !path.exists() {
                let key = checkpoint::generate_key()?;
                let public = checkpoint::write_key_files(&key, &path)?;
                eprintln!(
                    "subledger: made a checkpoint signing key {} (public key {}); pass --signing-key to keep it elsewhere",
                    path.display(),
                    public.display()
                );
            }
            path
        }
    };
    let key = checkpoint::read_signing_key(&key_path)?;
    let path = tools::seal::seal_path(data_dir);
    let damaged = |e: anyhow::Error| startup::or_damaged(e, &path, startup::SEAL_FIX);
    let db = subledger_seal::SealDb::open(&path)
        .with_context(|| format!("opening the seal {}", path.display()))
        .map_err(damaged)?;
    let seal = subledger_seal::Seal::open(db, key)
        .with_context(|| format!("loading the seal {}", path.display()))
        .map_err(damaged)?;
    info!(sealed = seal.sealed_size(), key_id = %checkpoint::key_id(&seal.public_key()), "the log's seal is open");
    Ok(Arc::new(seal))
}

/// One line of `exec` output.
#[derive(serde::Serialize)]
struct ExecLine<'a> {
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    command_id: Option<uuid::Uuid>,
    status: u16,
    #[serde(flatten)]
    body: &'a serde_json::Value,
}

async fn exec(args: ExecArgs) -> Result<()> {
    let auth = auth_file(args.auth.as_deref(), &args.ledger.data_dir, false)?;
    let actor = actor_of(&auth, &args.as_entry)?;
    let _claim = subledger_app::data_dir::claim(&args.ledger.data_dir)?;
    let ledger = open_ledger(&args.ledger, None, None).await?;
    let input: Box<dyn BufRead> = match args.file.as_deref() {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
        )),
    };
    let mut out = std::io::stdout().lock();
    let (mut accepted, mut refused) = (0usize, 0usize);
    for (i, line) in input.lines().enumerate() {
        let line = line.context("reading the input")?;
        if line.trim().is_empty() {
            continue;
        }
        let (command_id, status, body) = match subledger_api::parse_command(line.as_bytes()) {
            Err(e) => (None, e.status().as_u16(), serde_json::to_value(e.body())?),
            Ok(parsed) => {
                let request = CommandRequest {
                    command_id: parsed.command_id,
                    command: parsed.command,
                    actor: actor.clone(),
                    expected_version: parsed.expected_version,
                    dry_run: parsed.dry_run,
                };
                match ledger.execute(request).await {
                    Ok(response) => (
                        Some(parsed.command_id),
                        200,
                        serde_json::to_value(&response)?,
                    ),
                    Err(e) => {
                        let e = subledger_api::ApiError::from(e);
                        (
                            Some(parsed.command_id),
                            e.status().as_u16(),
                            serde_json::to_value(e.body())?,
                        )
                    }
                }
            }
        };
        if status == 200 {
            accepted += 1;
        } else {
            refused += 1;
        }
        serde_json::to_writer(
            &mut out,
            &ExecLine {
                line: i + 1,
                command_id,
                status,
                body: &body,
            },
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    info!(accepted, refused, "exec finished");
    Ok(())
}
