//! Every date and instant an event records, so that one check over the events
//! of a decision (or of due work) keeps them all within GEN-1's range: a date the
//! ledger cannot write as RFC 3339 (`+10000-05-31`) is never stored.

use chrono::{DateTime, NaiveDate, Utc};

use super::{BillingLine, Event, EventData, SeatBatch, SubscriptionCreated, SubscriptionRenewed};
use crate::calendar::{date_in_range, instant_in_range};

/// A date or an instant of an event, named by its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Date(&'static str, NaiveDate),
    Instant(&'static str, DateTime<Utc>),
}

impl Stamp {
    pub fn field(self) -> &'static str {
        match self {
            Stamp::Date(field, _) | Stamp::Instant(field, _) => field,
        }
    }

    pub fn in_range(self) -> bool {
        match self {
            Stamp::Date(_, d) => date_in_range(d),
            Stamp::Instant(_, t) => instant_in_range(t),
        }
    }
}

impl std::fmt::Display for Stamp {
    /// As stored: a date `9999-12-31` (or `+10000-01-01`), an instant in RFC 3339.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stamp::Date(_, d) => write!(f, "{d}"),
            Stamp::Instant(_, t) => {
                f.write_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            }
        }
    }
}

/// The first date or instant of these events outside GEN-1's range, if any.
pub fn first_out_of_range(events: &[Event]) -> Option<Stamp> {
    let mut stamps = Vec::new();
    for e in events {
        stamps.clear();
        e.stamps(&mut stamps);
        if let Some(bad) = stamps.iter().copied().find(|s| !s.in_range()) {
            return Some(bad);
        }
    }
    None
}

impl Event {
    /// Pushes every date and instant this event records (the match is exhaustive,
    /// so a new event type must say which it has).
    pub fn stamps(&self, out: &mut Vec<Stamp>) {
        out.push(Stamp::Instant("at", self.at));
        use EventData::*;
        match &self.data {
            SubscriptionCreated(c) => created(c, out),
            SubscriptionRenewed(r) => renewed(r, out),
            Charged(line) | Credited(line) => billing_line(line, out),
            SeatsAdded { seat_batch, .. } => seat_batch.iter().for_each(|b| batch(b, out)),
            SeatsReduced { taken_from, .. } => taken_from.iter().for_each(|b| batch(b, out)),
            ScheduledChangeSet { change, .. } => {
                if let Some(d) = change.coterm_date {
                    out.push(Stamp::Date("coterm_date", d));
                }
            }
            CancellationScheduled { effective_at, .. } => {
                out.push(Stamp::Instant("effective_at", *effective_at));
            }
            TransferRequested { expires_at, .. } => {
                out.push(Stamp::Instant("expires_at", *expires_at));
            }
            CustomerCreated { .. }
            | RelationshipRequested { .. }
            | RelationshipEstablished { .. }
            | OrderPlaced { .. }
            | SubscriptionSuspended { .. }
            | SubscriptionReactivated { .. }
            | AutoRenewSet { .. }
            | ScheduledChangeCleared { .. }
            | SubscriptionUpgraded { .. }
            | SubscriptionCancelled { .. }
            | SubscriptionExpired { .. }
            | TrialConverted { .. }
            | SubscriptionTransferred { .. }
            | TransferAccepted { .. }
            | TransferRejected { .. }
            | TransferExpired { .. }
            | KeyRevealed(_)
            | SoftwareDownloaded(_)
            | DownloadLinkCopied(_) => {}
        }
    }
}

fn created(c: &SubscriptionCreated, out: &mut Vec<Stamp>) {
    out.push(Stamp::Instant("term_start", c.term_start));
    out.push(Stamp::Date("billing_anchor", c.billing_anchor));
    if let Some(d) = c.term_end_date {
        out.push(Stamp::Date("term_end_date", d));
    }
    if let Some(t) = c.cancellation_allowed_until {
        out.push(Stamp::Instant("cancellation_allowed_until", t));
    }
    if let Some(b) = &c.seat_batch {
        batch(b, out);
    }
}

fn renewed(r: &SubscriptionRenewed, out: &mut Vec<Stamp>) {
    out.push(Stamp::Instant("term_start", r.term_start));
    out.push(Stamp::Date("billing_anchor", r.billing_anchor));
    out.push(Stamp::Date("term_end_date", r.term_end_date));
    if let Some(t) = r.cancellation_allowed_until {
        out.push(Stamp::Instant("cancellation_allowed_until", t));
    }
    batch(&r.seat_batch, out);
    if let Some(d) = r.applied_change.as_ref().and_then(|c| c.coterm_date) {
        out.push(Stamp::Date("coterm_date", d));
    }
}

fn billing_line(line: &BillingLine, out: &mut Vec<Stamp>) {
    out.push(Stamp::Date("period_start", line.period_start));
    out.push(Stamp::Date("period_end", line.period_end));
}

fn batch(b: &SeatBatch, out: &mut Vec<Stamp>) {
    out.push(Stamp::Instant("added_at", b.added_at));
    out.push(Stamp::Instant("refundable_until", b.refundable_until));
}
