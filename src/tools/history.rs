//! `subledger history SUBSCRIPTION_ID`: a subscription's timeline (VIEW-5). The
//! timeline is read by `subledger_app::read_side::timeline`; this prints it.

use std::io::Write;

use anyhow::Result;
use clap::{Args, ValueEnum};
use subledger_app::read_side::{Timeline, timeline};

use super::{Source, bad, parse_id, show_instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HistoryFormat {
    /// One line per event: instant, type, actor, command id, what happened.
    Text,
    /// `{ "events": [ … ] }`, as the API's history, with the gist of each.
    Json,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    source: Source,
    /// The subscription id.
    subscription_id: String,
    #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
    format: HistoryFormat,
}

pub async fn run(args: HistoryArgs) -> Result<()> {
    let id = parse_id("subscription", &args.subscription_id)?;
    let opened = args.source.open().await?;
    let Some(found) = timeline(opened.store.as_ref(), opened.projections.as_ref(), id).await?
    else {
        return Err(bad(format!("no subscription {id}")));
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        HistoryFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &found)?;
            out.write_all(b"\n")?;
        }
        HistoryFormat::Text => print_text(&mut out, &found)?,
    }
    out.flush()?;
    Ok(())
}

/// One line per event, the columns aligned.
fn print_text(out: &mut impl Write, found: &Timeline) -> Result<()> {
    let events = &found.events;
    let type_width = events.iter().map(|e| e.event_type.len()).max().unwrap_or(0);
    let actor_width = events
        .iter()
        .map(|e| e.actor_name().chars().count())
        .max()
        .unwrap_or(0);
    for e in events {
        writeln!(
            out,
            "{}  {:<type_width$}  {:<actor_width$}  {:<36}  {}",
            show_instant(e.at),
            e.event_type,
            e.actor_name(),
            e.command_id
                .map_or_else(|| "-".to_owned(), |c| c.to_string()),
            e.gist
        )?;
    }
    Ok(())
}
