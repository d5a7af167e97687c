//! `subledger events`: the global event feed as NDJSON, unfiltered.
//!
//! The lines have the shape of the API's feed (`GET /v1/events`), but this is
//! the operator's view of the log: every customer's events, with full actors.
//! The API's feed shows each partner only what concerns it.

use std::io::{BufWriter, Write};

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use futures::{FutureExt, StreamExt};
use serde::Serialize;
use subledger_app::codec::{self, data_json, stream_customer};
use subledger_domain::Actor;
use subledger_store::RecordedEvent;
use uuid::Uuid;

use super::{Source, bad, scan_log};

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    source: Source,
    /// Start after this global position (0, the default, is the start of the log).
    #[arg(long, default_value = "0")]
    after: String,
    /// Stop after this many events.
    #[arg(long)]
    limit: Option<String>,
    /// After the log's end, keep printing new events as they are written, until
    /// killed (or --limit events in all).
    #[arg(long)]
    follow: bool,
}

/// One line of the feed: the API's `FeedEvent` shape.
#[derive(Debug, Serialize)]
struct FeedEvent<'a> {
    position: u64,
    stream: &'a str,
    version: u64,
    event_id: Uuid,
    #[serde(rename = "type")]
    event_type: &'static str,
    at: DateTime<Utc>,
    command_id: Option<Uuid>,
    actor: Option<Actor>,
    data: serde_json::Value,
}

/// Writes one record as a feed line; `false` when it is not a customer event.
fn write_line(out: &mut impl Write, r: &RecordedEvent) -> Result<bool> {
    if stream_customer(&r.stream).is_none() {
        return Ok(false);
    }
    let (event, _) = codec::decode(r)?;
    serde_json::to_writer(
        &mut *out,
        &FeedEvent {
            position: r.position,
            stream: &r.stream,
            version: r.version,
            event_id: r.event_id,
            event_type: event.data.type_name(),
            at: event.at,
            command_id: event.command_id,
            data: data_json(&event.data),
            actor: event.actor,
        },
    )?;
    out.write_all(b"\n")?;
    Ok(true)
}

pub async fn run(args: EventsArgs) -> Result<()> {
    let after: u64 = args
        .after
        .parse()
        .map_err(|_| bad(format!("--after {:?} is not a position", args.after)))?;
    let limit: Option<u64> = args
        .limit
        .as_deref()
        .map(|l| {
            l.parse()
                .map_err(|_| bad(format!("--limit {l:?} is not a number")))
        })
        .transpose()?;
    let opened = args.source.open().await?;
    let store = opened.store;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut printed = 0u64;
    if limit == Some(0) {
        return Ok(());
    }
    if !args.follow {
        scan_log(store.as_ref(), after, |r| {
            if write_line(&mut out, r)? {
                printed += 1;
            }
            Ok(limit.is_none_or(|l| printed < l))
        })
        .await?;
        out.flush()?;
        return Ok(());
    }
    // History, then live: the store's catch-up subscription, no gap, no repeat.
    let mut events = store.subscribe_all(after).await?;
    loop {
        // Flush whenever nothing more is ready, so a reader sees each new event
        // at once, without a write per event while catching up.
        let next = match events.next().now_or_never() {
            Some(next) => next,
            None => {
                out.flush()?;
                events.next().await
            }
        };
        let Some(r) = next else { break };
        if write_line(&mut out, &r?)? {
            printed += 1;
            if limit.is_some_and(|l| printed >= l) {
                break;
            }
        }
    }
    out.flush()?;
    Ok(())
}
