//! `subledger export subscriptions` (VIEW-3) and `subledger export projections`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use subledger_app::read_side::customer_as_of;
use subledger_domain::view::{
    CSV_HEADER, SubscriptionView, csv_field, csv_row, listed_among_subscriptions,
};

use super::{FileFormat, Source, bad, parse_id, parse_optional_instant, show_instant, write_files};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A customer's subscriptions: the CSV of VIEW-3 (or the views as JSON), now
    /// or as of an instant.
    Subscriptions(SubscriptionsArgs),
    /// The persisted projections (projections.db) as the files of `replay --out`,
    /// views at their checkpoint's instant: to compare with a replay byte for byte.
    Projections(ProjectionsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    #[command(flatten)]
    source: Source,
    /// The customer id.
    #[arg(long)]
    customer: String,
    /// The customer as of this instant (RFC 3339, or a date meaning its midnight
    /// UTC). Default: its state at the end of the log, viewed now.
    #[arg(long)]
    as_of: Option<String>,
    /// `csv`: VIEW-3's export; `json`: the subscription views (VIEW-1) as a JSON array.
    #[arg(long, value_enum, default_value_t = ListFormat::Csv)]
    format: ListFormat,
    /// Only the subscriptions of which this partner is partner of record.
    #[arg(long)]
    partner: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProjectionsArgs {
    #[command(flatten)]
    source: Source,
    /// The directory to write the files into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The files' format.
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    format: FileFormat,
}

pub async fn run(cmd: ExportCommand) -> Result<()> {
    match cmd {
        ExportCommand::Subscriptions(args) => subscriptions(args).await,
        ExportCommand::Projections(args) => projections(args),
    }
}

async fn subscriptions(args: SubscriptionsArgs) -> Result<()> {
    let customer = parse_id("customer", &args.customer)?;
    let partner = args
        .partner
        .as_deref()
        .map(|p| parse_id("partner", p))
        .transpose()?;
    let as_of = parse_optional_instant("--as-of", args.as_of.as_deref())?;
    let opened = args.source.open().await?;
    // Folded to the end of the log unless an instant is asked for.
    let entry = customer_as_of(
        opened.store.as_ref(),
        opened.projections.as_ref(),
        customer,
        as_of.unwrap_or_else(super::end_of_time),
    )
    .await?;
    if entry.version == 0 || entry.state.customer.is_none() {
        return Err(bad(match as_of {
            Some(t) => format!("no customer {customer} as of {}", show_instant(t)),
            None => format!("no customer {customer}"),
        }));
    }
    let listed = entry
        .state
        .subscriptions
        .values()
        .filter(|s| listed_among_subscriptions(s) && partner.is_none_or(|p| s.partner_id == p));
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Csv => {
            // As the API's export: the header, then a row per subscription, CRLF.
            let mut text = CSV_HEADER.join(",");
            text.push_str("\r\n");
            for s in listed {
                let row: Vec<String> = csv_row(s).iter().map(|f| csv_field(f)).collect();
                text.push_str(&row.join(","));
                text.push_str("\r\n");
            }
            out.write_all(text.as_bytes())?;
        }
        ListFormat::Json => {
            let now = as_of.unwrap_or_else(Utc::now);
            let views: Vec<SubscriptionView> = listed
                .map(|s| SubscriptionView::of(s, now, entry.version))
                .collect();
            serde_json::to_writer_pretty(&mut out, &views)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn projections(args: ProjectionsArgs) -> Result<()> {
    args.source.data_dir()?;
    let path = args.source.projections_path();
    let Some(db) = args.source.projections()? else {
        return Err(bad(if path.is_file() {
            format!(
                "the projections at {} are of another schema version (the next `subledger serve` rebuilds them); `subledger replay --out DIR` writes the same files from the log",
                path.display()
            )
        } else {
            format!(
                "no projections at {}: `subledger serve` writes them; `subledger replay --out DIR` writes the same files from the log",
                path.display()
            )
        }));
    };
    let checkpoint = db
        .checkpoint()
        .context("reading the projections' checkpoint")?;
    let model = db.load_model().context("reading the projections")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "projections at position {}", checkpoint.position)?;
    match checkpoint.at {
        Some(t) => writeln!(out, "views as of: {} (the checkpoint)", show_instant(t))?,
        None => writeln!(out, "views as of: - (no events)")?,
    }
    let at = checkpoint.at.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    write_files(&args.out, &model, at, args.format, &mut out)?;
    out.flush()?;
    Ok(())
}
