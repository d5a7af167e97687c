//! The analysts' and auditors' tools: `replay`, `export`, `audit`, `history` and
//! `events`. They work offline on a data directory (or against EventStoreDB) and
//! never write to the log: the SQLite log is opened read-only (no lock, no
//! writer, so they run beside a server), the persisted projections too, and an
//! EventStoreDB log is only ever read.
//!
//! Every failure prints one line on standard error, `subledger: error: …`, and
//! exits with 2 when the input is at fault (an unknown id, a bad instant, a
//! missing data directory, an actor whose roles do not allow it) and 1 otherwise.

mod audit;
mod events;
mod export;
mod history;
mod progress;
mod replay;
pub mod seal;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use subledger_projections::ProjectionDb;
use subledger_store::{EventStore, ReadAllPages, RecordedEvent};

use crate::store::{Backend, OpenMode, StoreSpec};

/// The tools' subcommands, flattened into the program's own.
#[derive(Debug, Subcommand)]
pub enum Tool {
    /// Rebuild every read model from the first event, in memory: a summary with
    /// the replay speed, and with --out the analysts' files.
    Replay(replay::ReplayArgs),
    /// Export a customer's subscriptions (VIEW-3), or the persisted projections as files.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Auditors' reads: the key-access activity log (KEY-3/4).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The timeline of one subscription (VIEW-5), one line per event.
    History(history::HistoryArgs),
    /// The global event feed as NDJSON, unfiltered (the operator's view of the log).
    Events(events::EventsArgs),
    /// Make an Ed25519 key pair that signs the log's checkpoints (FILE and FILE.pub).
    Keygen(seal::KeygenArgs),
    /// Seal the log up to its head and sign a checkpoint now (an auditor keeps it).
    Checkpoint(seal::CheckpointArgs),
    /// Recompute the hash chain and Merkle tree of the whole log and check them
    /// against the seal and every checkpoint; exits 1 naming the first bad position.
    Verify(seal::VerifyArgs),
}

/// Where the log is read from.
#[derive(Debug, Clone, Args)]
pub struct Source {
    /// The data directory (`events.db`, `projections.db`, `auth.json`); only read.
    #[arg(long, default_value = "./subledger-data")]
    data_dir: PathBuf,
    /// Read the log from EventStoreDB instead (e.g. esdb://localhost:2113?tls=false).
    #[arg(long, conflicts_with = "pg_url")]
    esdb_url: Option<String>,
    /// Read the log from PostgreSQL instead (e.g. postgresql://subledger@db-host/subledger).
    /// A flag only, never taken from the environment: a tool reads the data directory
    /// unless told otherwise.
    #[arg(long)]
    pg_url: Option<String>,
    /// The PostgreSQL schema holding the ledger.
    #[arg(long, default_value = "subledger")]
    pg_schema: String,
}

/// The log and, when the data directory has them, the persisted projections.
struct Opened {
    store: Arc<dyn EventStore>,
    projections: Option<Arc<ProjectionDb>>,
}

/// An error the input is to blame for (exit code 2).
#[derive(Debug)]
struct BadInput(String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// A failure that the input is to blame for.
fn bad(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(message.into()))
}

/// Runs a tool and returns the process's exit code, having printed any error as
/// one line.
pub fn run(tool: Tool, log_format: crate::LogFormat) -> i32 {
    // Warnings and errors only by default: the tools' output is their own.
    crate::init_tracing(log_format, "warn");
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|rt| rt.block_on(dispatch(tool)));
    match result {
        Ok(()) => 0,
        // The reader went away (`subledger events | head`): not a failure.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("subledger: error: {line}");
            if e.chain().any(|c| c.is::<BadInput>()) {
                2
            } else {
                1
            }
        }
    }
}

async fn dispatch(tool: Tool) -> Result<()> {
    match tool {
        Tool::Replay(args) => replay::run(args).await,
        Tool::Export(cmd) => export::run(cmd).await,
        Tool::Audit(cmd) => audit::run(cmd).await,
        Tool::History(args) => history::run(args).await,
        Tool::Events(args) => events::run(args).await,
        Tool::Keygen(args) => seal::keygen(args),
        Tool::Checkpoint(args) => seal::take_checkpoint(args).await,
        Tool::Verify(args) => seal::verify(args).await,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(|io| io.kind()) == broken
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == broken
    })
}

impl Source {
    /// The data directory, which must exist.
    fn data_dir(&self) -> Result<&Path> {
        if !self.data_dir.is_dir() {
            return Err(bad(format!(
                "no data directory at {} (pass --data-dir DIR)",
                self.data_dir.display()
            )));
        }
        Ok(&self.data_dir)
    }

    /// Which store the flags name.
    fn backend(&self) -> Backend<'_> {
        match (&self.esdb_url, &self.pg_url) {
            (Some(url), _) => Backend::EventStoreDb(url),
            (None, Some(url)) => Backend::Postgres {
                url,
                schema: &self.pg_schema,
            },
            (None, None) => Backend::Embedded,
        }
    }

    /// Whether the log is the data directory's own `events.db`.
    fn is_embedded(&self) -> bool {
        self.backend() == Backend::Embedded
    }

    /// Opens the log read-only, and the projections if there are usable ones.
    async fn open(&self) -> Result<Opened> {
        let spec = StoreSpec {
            data_dir: &self.data_dir,
            backend: self.backend(),
            // Never written.
            durability: subledger_store::Synchronous::Full,
        };
        let store = crate::store::open_store(spec, OpenMode::ReadOnly)
            .await
            .map_err(|e| bad(format!("{:#}", anyhow::Error::new(e))))?;
        let projections = self.projections()?.map(Arc::new);
        Ok(Opened { store, projections })
    }

    fn projections_path(&self) -> PathBuf {
        self.data_dir.join("projections.db")
    }

    /// The persisted projections, if the data directory has usable ones. Without
    /// them every tool reads the log alone, so an unreadable file only warns.
    fn projections(&self) -> Result<Option<ProjectionDb>> {
        let path = self.projections_path();
        match ProjectionDb::open_read_only(&path) {
            Ok(db) => Ok(db),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "projections unreadable: reading the log alone");
                Ok(None)
            }
        }
    }
}

/// Events read from the log per call.
const PAGE: usize = 4096;

/// Reads the log after `after` up to its head when called, in order, handing
/// each record to `f` until it answers `false`.
async fn scan_log(
    store: &dyn EventStore,
    after: u64,
    mut f: impl FnMut(&RecordedEvent) -> Result<bool>,
) -> Result<()> {
    let mut pages = ReadAllPages::to_head(store, after, PAGE).await?;
    while let Some(page) = pages.next_page().await? {
        for r in &page {
            if !f(r)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// An instant on the command line: RFC 3339, or a date meaning its midnight UTC.
fn parse_instant(flag: &str, value: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(bad(format!(
        "{flag} {value:?} is not an RFC 3339 instant (2026-11-22T10:00:00Z) or a date (2026-11-22)"
    )))
}

fn parse_optional_instant(flag: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    value.map(|v| parse_instant(flag, v)).transpose()
}

fn parse_id(what: &str, value: &str) -> Result<uuid::Uuid> {
    value
        .parse()
        .map_err(|_| bad(format!("{value:?} is not a {what} id (a UUID)")))
}

/// Later than any event: folding up to it folds the whole stream. (A four-digit
/// year, so that it compares as text like any stored instant.)
fn end_of_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// An instant as the tools print it (RFC 3339, UTC, `Z`).
fn show_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The format of the analysts' files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FileFormat {
    Csv,
    Jsonl,
}

impl From<FileFormat> for subledger_projections::export::Format {
    fn from(f: FileFormat) -> Self {
        match f {
            FileFormat::Csv => Self::Csv,
            FileFormat::Jsonl => Self::Jsonl,
        }
    }
}

/// Writes the analysts' files and prints where they went.
fn write_files(
    out: &Path,
    model: &subledger_projections::ReadModel,
    at: DateTime<Utc>,
    format: FileFormat,
    stdout: &mut impl std::io::Write,
) -> Result<()> {
    let written = subledger_projections::export::write_all(out, model, at, format.into())
        .with_context(|| format!("writing the files into {}", out.display()))?;
    for path in written {
        writeln!(stdout, "wrote {}", path.display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_rfc_3339_or_dates_at_midnight_utc() {
        assert_eq!(
            parse_instant("--from", "2026-01-31").unwrap(),
            "2026-01-31T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_instant("--to", "2026-01-10T10:00:00+01:00").unwrap(),
            "2026-01-10T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let e = parse_instant("--as-of", "yesterday").unwrap_err();
        assert!(e.is::<BadInput>());
        assert!(e.to_string().contains("--as-of"), "{e}");
    }
}
