//! What an event did to one subscription, in a few words: the last column of
//! `subledger history`. Never a key, nor its fingerprint.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use subledger_domain::event::{BillingLine, KeyAccess, Origin, SubscriptionCreated};
use subledger_domain::{EventData, Money};
use uuid::Uuid;

use crate::codec::data_json;

/// What `data` did to subscription `id`, in a few words.
pub fn gist(data: &EventData, id: Uuid) -> String {
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
        Charged(l) => billed("charged", l),
        Credited(l) => billed("credited", l),
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
        KeyRevealed(k) => key_access("key revealed", k),
        SoftwareDownloaded(k) => key_access("software downloaded", k),
        DownloadLinkCopied(k) => key_access("download link copied", k),
        other => lifecycle(other, id),
    }
}

/// Suspension, renewal, changes, upgrades, conversions, transfers and the end.
fn lifecycle(data: &EventData, id: Uuid) -> String {
    use EventData::*;
    match data {
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
        TrialConverted { .. } | SubscriptionTransferred { .. } | TransferAccepted { .. } => {
            moved(data, id)
        }
        other => ending(other),
    }
}

/// Cancellation, renewal and expiry; anything else as its data.
fn ending(data: &EventData) -> String {
    use EventData::*;
    match data {
        CancellationScheduled { effective_at, .. } => {
            format!("cancellation scheduled for {}", instant(*effective_at))
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

/// A trial converted, or a subscription transferred, from either side.
fn moved(data: &EventData, id: Uuid) -> String {
    use EventData::*;
    match data {
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
        other => ending(other),
    }
}

fn billed(what: &str, l: &BillingLine) -> String {
    format!(
        "{what} {} for {} seats, {} – {} ({})",
        money(&l.amount),
        l.seats,
        l.period_start,
        l.period_end,
        name(&l.reason)
    )
}

fn key_access(what: &str, k: &KeyAccess) -> String {
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

/// An instant as the tools print it (RFC 3339, UTC, `Z`).
fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
