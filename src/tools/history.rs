//! `subledger history SUBSCRIPTION_ID`: a subscription's timeline (VIEW-5).

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use subledger_app::codec::{self, customer_stream, data_json, stream_customer};
use subledger_domain::event::{Origin, SubscriptionCreated};
use subledger_domain::{EventData, Money};
use uuid::Uuid;

use super::{Source, bad, parse_id, scan_log, show_instant};

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

/// One event of the history.
#[derive(Debug, Serialize)]
struct Line {
    #[serde(rename = "type")]
    event_type: &'static str,
    at: chrono::DateTime<chrono::Utc>,
    /// The full actor; null for the ledger's own time-driven work.
    actor: serde_json::Value,
    command_id: Option<Uuid>,
    data: serde_json::Value,
    /// The event's version in the customer stream, and its global position.
    version: u64,
    position: u64,
    gist: String,
}

pub async fn run(args: HistoryArgs) -> Result<()> {
    let id = parse_id("subscription", &args.subscription_id)?;
    let opened = args.source.open().await?;
    let store = opened.store.as_ref();

    // The subscription index of the projections, else (or when they are behind)
    // the log: the stream that holds the subscription's creation.
    let mut customer = None;
    let mut after = 0;
    if let Some(db) = &opened.projections {
        customer = db
            .customer_of_subscription(id)
            .context("reading the projections' subscription index")?;
        after = db
            .checkpoint()
            .context("reading the projections' checkpoint")?
            .position;
    }
    if customer.is_none() {
        let needle = id.to_string();
        scan_log(store, after, |r| {
            if r.event_type != "SubscriptionCreated"
                || !r.data.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                return Ok(true);
            }
            let (event, _) = codec::decode(r)?;
            if let EventData::SubscriptionCreated(c) = &event.data
                && c.subscription_id == id
            {
                customer = stream_customer(&r.stream);
                return Ok(false);
            }
            Ok(true)
        })
        .await?;
    }
    let Some(customer) = customer else {
        return Err(bad(format!("no subscription {id}")));
    };

    let mut lines = Vec::new();
    for r in store.read_stream(&customer_stream(customer), 0).await? {
        let (event, _) = codec::decode(&r)?;
        if !event.data.subscription_ids().contains(&id) {
            continue;
        }
        lines.push(Line {
            event_type: event.data.type_name(),
            at: event.at,
            actor: serde_json::to_value(&event.actor)?,
            command_id: event.command_id,
            gist: gist(&event.data, id),
            data: data_json(&event.data),
            version: r.version,
            position: r.position,
        });
    }

    let mut out = std::io::stdout().lock();
    match args.format {
        HistoryFormat::Json => {
            /// The shape of the API's history, with the subscription's ids.
            #[derive(Serialize)]
            struct History<'a> {
                subscription_id: Uuid,
                customer_id: Uuid,
                events: &'a [Line],
            }
            serde_json::to_writer_pretty(
                &mut out,
                &History {
                    subscription_id: id,
                    customer_id: customer,
                    events: &lines,
                },
            )?;
            out.write_all(b"\n")?;
        }
        HistoryFormat::Text => {
            let actor = |l: &Line| {
                l.actor["user"]
                    .as_str()
                    .map_or_else(|| "ledger".to_owned(), str::to_owned)
            };
            let type_width = lines.iter().map(|l| l.event_type.len()).max().unwrap_or(0);
            let actor_width = lines
                .iter()
                .map(|l| actor(l).chars().count())
                .max()
                .unwrap_or(0);
            for l in &lines {
                writeln!(
                    out,
                    "{}  {:<type_width$}  {:<actor_width$}  {:<36}  {}",
                    show_instant(l.at),
                    l.event_type,
                    actor(l),
                    l.command_id
                        .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                    l.gist
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// A serde enum's name (`scheduled_at_term_end`).
fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// An amount in major units: `1234.50 EUR`.
fn money(m: &Money) -> String {
    let decimals = match m.currency.as_str() {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "HUF" => 0,
        _ => 2,
    };
    if decimals == 0 {
        return format!("{} {}", m.amount_minor, m.currency);
    }
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let a = m.amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {}", a / 100, a % 100, m.currency)
}

fn plan(term: Option<impl std::fmt::Display>, billing: impl std::fmt::Display) -> String {
    match term {
        Some(t) => format!("{t}, {billing}"),
        None => billing.to_string(),
    }
}

fn created(c: &SubscriptionCreated, id: Uuid) -> String {
    if c.subscription_id != id {
        // The event created another subscription out of this one.
        return match &c.origin {
            Origin::Upgrade { .. } => format!("upgraded into {}", c.subscription_id),
            Origin::TrialConversion { .. } => format!("converted into {}", c.subscription_id),
            Origin::Transfer { .. } => format!("transferred into {}", c.subscription_id),
            Origin::Purchase { .. } => format!("created {}", c.subscription_id),
        };
    }
    let origin = match &c.origin {
        Origin::Purchase { order_id } => format!("order {order_id}"),
        Origin::Upgrade {
            source_subscription_id,
        } => format!("upgrade of {source_subscription_id}"),
        Origin::TrialConversion {
            trial_subscription_id,
        } => format!("conversion of trial {trial_subscription_id}"),
        Origin::Transfer {
            source_subscription_id,
            ..
        } => format!("transfer of {source_subscription_id}"),
    };
    let end = c
        .term_end_date
        .map_or_else(String::new, |d| format!(" until {d}"));
    format!(
        "created{}: {} × {} ({}){end}, {origin}",
        if c.trial { " as a trial" } else { "" },
        c.quantity,
        c.product_name,
        plan(c.term, c.billing),
    )
}

/// What an event did to subscription `id`, in a few words.
fn gist(data: &EventData, id: Uuid) -> String {
    use EventData::*;
    match data {
        OrderPlaced {
            order_id, lines, ..
        } => match lines.iter().find(|l| l.subscription_id == id) {
            Some(l) => format!(
                "ordered {} × {} ({}) at {} a seat, order {order_id}",
                l.quantity,
                l.product_name,
                plan(l.term, l.billing),
                money(&l.unit_price)
            ),
            None => format!("order {order_id}"),
        },
        SubscriptionCreated(c) => created(c, id),
        Charged(l) | Credited(l) => format!(
            "{} {} for {} seats, {} – {} ({})",
            if matches!(data, Charged(_)) {
                "charged"
            } else {
                "credited"
            },
            money(&l.amount),
            l.seats,
            l.period_start,
            l.period_end,
            name(&l.reason)
        ),
        SeatsAdded {
            seats,
            quantity_after,
            ..
        } => format!(
            "seats {} → {quantity_after} (+{seats})",
            quantity_after.saturating_sub(*seats)
        ),
        SeatsReduced {
            seats,
            quantity_after,
            ..
        } => format!(
            "seats {} → {quantity_after} (−{seats})",
            quantity_after + seats
        ),
        SubscriptionSuspended {
            base_subscription_id,
            ..
        } => match base_subscription_id {
            Some(base) => format!("suspended with its base {base}"),
            None => "suspended".to_owned(),
        },
        SubscriptionReactivated { .. } => "reactivated".to_owned(),
        AutoRenewSet { enabled, .. } => {
            format!("auto-renew {}", if *enabled { "on" } else { "off" })
        }
        ScheduledChangeSet { change, .. } => {
            let mut parts = Vec::new();
            if let Some(p) = &change.product_id {
                parts.push(format!("product {p}"));
            }
            if let Some(q) = change.quantity {
                parts.push(format!("quantity {q}"));
            }
            if let Some(t) = change.term {
                parts.push(format!("term {t}"));
            }
            if let Some(b) = change.billing {
                parts.push(format!("billing {b}"));
            }
            if let Some(d) = change.coterm_date {
                parts.push(format!("coterminous with {d}"));
            }
            format!("change at renewal: {}", parts.join(", "))
        }
        ScheduledChangeCleared { reason, .. } => {
            format!("scheduled change cleared ({})", name(reason))
        }
        SubscriptionUpgraded {
            subscription_id,
            target_subscription_id,
            from_product_id,
            to_product_id,
            seats_moved,
            mode,
            ..
        } => {
            let target = if target_subscription_id == subscription_id {
                String::new()
            } else if *subscription_id == id {
                format!(" into {target_subscription_id}")
            } else {
                format!(" from {subscription_id}")
            };
            format!(
                "upgraded {seats_moved} seats {from_product_id} → {to_product_id}{target} ({})",
                name(mode)
            )
        }
        CancellationScheduled { effective_at, .. } => {
            format!("cancellation scheduled for {}", show_instant(*effective_at))
        }
        SubscriptionCancelled {
            reason,
            keys_revoked,
            ..
        } => format!(
            "cancelled ({}){}",
            name(reason),
            if *keys_revoked { ", keys revoked" } else { "" }
        ),
        SubscriptionRenewed(r) => format!(
            "renewed until {}: {} × {} ({}){}",
            r.term_end_date,
            r.quantity,
            r.product_name,
            plan(Some(r.term), r.billing),
            if r.converted_from_trial {
                ", converted from trial"
            } else {
                ""
            }
        ),
        SubscriptionExpired {
            reason,
            data_deleted,
            ..
        } => format!(
            "expired ({}){}",
            name(reason),
            if *data_deleted { ", data deleted" } else { "" }
        ),
        TrialConverted {
            subscription_id,
            target_subscription_id,
            seats,
            automatic,
            ..
        } => {
            let how = if *automatic {
                " at the trial's end"
            } else {
                ""
            };
            if *subscription_id == id && target_subscription_id != subscription_id {
                format!("trial converted into {target_subscription_id}, {seats} seats{how}")
            } else if *subscription_id != id {
                format!("took the conversion of trial {subscription_id}, {seats} seats{how}")
            } else {
                format!("trial converted, {seats} seats{how}")
            }
        }
        SubscriptionTransferred {
            subscription_id,
            to_subscription_id,
            to_partner_id,
            transfer_id,
        } => {
            if *subscription_id == id {
                format!(
                    "transferred to partner {to_partner_id} as {to_subscription_id} (transfer {transfer_id})"
                )
            } else {
                format!("transferred in from {subscription_id} (transfer {transfer_id})")
            }
        }
        TransferAccepted { transfer_id, .. } => format!("transfer {transfer_id} accepted"),
        KeyRevealed(k) | SoftwareDownloaded(k) | DownloadLinkCopied(k) => {
            let what = match data {
                KeyRevealed(_) => "key revealed",
                SoftwareDownloaded(_) => "software downloaded",
                _ => "download link copied",
            };
            let choice: Vec<&str> = [&k.version, &k.language, &k.os]
                .into_iter()
                .filter_map(|c| c.as_deref())
                .collect();
            let choice = if choice.is_empty() {
                String::new()
            } else {
                format!(" ({})", choice.join(", "))
            };
            format!("{what}{choice} by {} as {}", k.user, k.role.as_str())
        }
        other => {
            let mut json = data_json(other);
            // Never the key's fingerprint in a gist.
            if let Some(m) = json.as_object_mut() {
                m.remove("key_fingerprint");
            }
            json.to_string()
        }
    }
}
