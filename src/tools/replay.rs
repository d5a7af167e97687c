//! `subledger replay`: every read model rebuilt in memory from the first event.

use std::io::Write;
use std::path::PathBuf;

use super::progress::Progress;
use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use subledger_app::{ReplayOptions, replay};

use super::{FileFormat, Source, bad, parse_optional_instant, show_instant, write_files};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    source: Source,
    /// Fold every customer only up to this instant (RFC 3339, or a date meaning
    /// its midnight UTC); views are computed at it. Default: the whole log, views
    /// at the latest event instant replayed.
    #[arg(long)]
    as_of: Option<String>,
    /// Write subscriptions, orders, billing lines, billing totals and key access
    /// as files into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The files' format.
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    format: FileFormat,
    /// Worker threads decoding and applying events (default: the machine's cores).
    #[arg(long)]
    workers: Option<usize>,
}

pub async fn run(args: ReplayArgs) -> Result<()> {
    let as_of = parse_optional_instant("--as-of", args.as_of.as_deref())?;
    let mut options = ReplayOptions {
        as_of,
        ..ReplayOptions::default()
    };
    if let Some(n) = args.workers {
        if n == 0 {
            return Err(bad("--workers must be at least 1"));
        }
        options.workers = n;
    }
    let workers = options.workers;
    let opened = args.source.open().await?;
    let mut progress = Progress::new("replay");
    let (model, stats) = replay(opened.store, options, |read, head| {
        progress.update(read, head)
    })
    .await?;
    progress.finish(stats.events_read, stats.elapsed);

    // Views at the instant asked for, else at the latest event replayed, so the
    // files follow from the log alone.
    let (at, why) = match (as_of, model.last_at) {
        (Some(t), _) => (Some(t), "--as-of"),
        (None, Some(t)) => (Some(t), "the latest event replayed"),
        (None, None) => (None, "no events"),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "events read: {} (up to position {})",
        stats.events_read, stats.head
    )?;
    let applied = model.events_applied();
    if applied != stats.events_read {
        writeln!(
            out,
            "events applied: {applied} (the others are past --as-of, or not customer events)"
        )?;
    }
    writeln!(out, "per event type:")?;
    let width = model.per_type.keys().map(String::len).max().unwrap_or(0);
    for (t, n) in &model.per_type {
        writeln!(out, "  {t:<width$}  {n}")?;
    }
    writeln!(
        out,
        "elapsed: {:.3} s with {workers} workers",
        stats.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "replay_events_per_s {}",
        stats.events_per_second().round() as u64
    )?;
    match at {
        Some(t) => writeln!(out, "views as of: {} ({why})", show_instant(t))?,
        None => writeln!(out, "views as of: - ({why})")?,
    }
    if let Some(dir) = &args.out {
        let at = at.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        write_files(dir, &model, at, args.format, &mut out)?;
    }
    out.flush()?;
    Ok(())
}
