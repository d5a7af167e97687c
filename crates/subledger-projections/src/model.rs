//! What one event does to the read models, and all of them in memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subledger_domain::event::{BillingLine, KeyAccess};
use subledger_domain::{CustomerState, Event, EventData, Role};
use uuid::Uuid;

use crate::ProjectionError;

/// A customer's state is kept for time travel (VIEW-4) every this many events of
/// its stream, so reading it as of any instant folds at most this many events.
pub const STATE_CHECKPOINT_EVERY: u64 = 256;

/// What [`apply`] keeps beyond the customer states and the rows every read model
/// needs: the persisted projections keep states for time travel and each
/// subscription's history; a replay in memory keeps neither (it would only grow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    /// Keep the customer's state each time its version reaches a multiple of this.
    pub states_every: Option<u64>,
    /// Keep a [`HistoryRow`] per subscription an event touches (VIEW-5).
    pub history: bool,
}

impl Keep {
    /// Nothing beyond the read models themselves (a replay).
    pub const NOTHING: Keep = Keep {
        states_every: None,
        history: false,
    };
    /// What `projections.db` holds.
    pub const PERSISTED: Keep = Keep {
        states_every: Some(STATE_CHECKPOINT_EVERY),
        history: true,
    };
}

/// One decoded event with where it sits in the log.
#[derive(Debug, Clone, Copy)]
pub struct Applied<'a> {
    /// Global position.
    pub position: u64,
    /// The customer whose stream holds it.
    pub customer_id: Uuid,
    /// Its version in that stream.
    pub version: u64,
    pub event: &'a Event,
}

/// The read model of one customer: its subscriptions, orders, relationships and
/// transfers (the domain's fold), and how far it has been applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerEntry {
    /// The stream version applied (the `version` of views, the ETag).
    pub version: u64,
    /// The global position of the last event applied.
    pub last_position: u64,
    /// The latest instant among the events applied: a state folded up to here is
    /// the state as of any instant at or after it (until the next event).
    pub max_at: Option<DateTime<Utc>>,
    pub state: CustomerState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Charge,
    Credit,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Charge => "charge",
            LineKind::Credit => "credit",
        }
    }
}

/// A charge or credit (BIL) as raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingRow {
    pub position: u64,
    pub at: DateTime<Utc>,
    pub kind: LineKind,
    pub line: BillingLine,
}

impl BillingRow {
    /// The calendar month the line was raised in, `YYYY-MM` (totals group by it).
    pub fn month(&self) -> String {
        self.at.format("%Y-%m").to_string()
    }

    /// The amount with its sign: credits are negative.
    pub fn signed_minor(&self) -> i64 {
        match self.kind {
            LineKind::Charge => self.line.amount.amount_minor,
            LineKind::Credit => -self.line.amount.amount_minor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    RevealKey,
    Download,
    CopyLink,
}

impl KeyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAction::RevealKey => "reveal_key",
            KeyAction::Download => "download",
            KeyAction::CopyLink => "copy_link",
        }
    }
}

/// One entry of the key-access activity log (KEY-3): who, when, what. It holds
/// neither the key nor its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAccessRow {
    pub position: u64,
    pub at: DateTime<Utc>,
    pub command_id: Option<Uuid>,
    pub action: KeyAction,
    pub user: String,
    pub role: Role,
    pub partner_id: Uuid,
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub product_id: String,
    pub product_name: String,
    pub version: Option<String>,
    pub language: Option<String>,
    pub os: Option<String>,
}

impl KeyAccessRow {
    /// The entry a key event (`KeyRevealed`, `SoftwareDownloaded`,
    /// `DownloadLinkCopied`) at `position` makes; `None` for any other event. The
    /// auditors' tool uses it for the events after the projections' checkpoint.
    pub fn from_event(position: u64, event: &Event) -> Option<Self> {
        let (action, k) = match &event.data {
            EventData::KeyRevealed(k) => (KeyAction::RevealKey, k),
            EventData::SoftwareDownloaded(k) => (KeyAction::Download, k),
            EventData::DownloadLinkCopied(k) => (KeyAction::CopyLink, k),
            _ => return None,
        };
        Some(Self::of(position, event, action, k))
    }

    fn of(position: u64, event: &Event, action: KeyAction, k: &KeyAccess) -> Self {
        KeyAccessRow {
            position,
            at: event.at,
            command_id: event.command_id,
            action,
            user: k.user.clone(),
            role: k.role,
            partner_id: k.partner_id,
            customer_id: k.customer_id,
            subscription_id: k.subscription_id,
            product_id: k.product_id.clone(),
            product_name: k.product_name.clone(),
            version: k.version.clone(),
            language: k.language.clone(),
            os: k.os.clone(),
        }
    }
}

/// One event of a subscription's history (VIEW-5): every event whose data names
/// the subscription, whole (the reader decides what of its actor to show).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub subscription_id: Uuid,
    /// The event's version in its customer stream (the history's order and cursor).
    pub version: u64,
    pub position: u64,
    pub event: Event,
}

/// Charges and credits of one customer with one partner in one month and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthTotals {
    pub customer_id: Uuid,
    pub partner_id: Uuid,
    /// `YYYY-MM`, the month the lines were raised in.
    pub month: String,
    pub currency: String,
    pub charged_minor: i64,
    pub credited_minor: i64,
    pub lines: u64,
}

impl MonthTotals {
    pub fn net_minor(&self) -> i64 {
        self.charged_minor - self.credited_minor
    }
}

/// A customer's state kept for time travel.
#[derive(Debug, Clone, PartialEq)]
pub struct StateCheckpoint {
    pub customer_id: Uuid,
    pub entry: CustomerEntry,
}

/// What applying events produced besides the customer states: rows to add.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub billing: Vec<BillingRow>,
    pub key_access: Vec<KeyAccessRow>,
    /// Where subscriptions live: (subscription, customer).
    pub subscriptions: Vec<(Uuid, Uuid)>,
    /// Where transfers live: (transfer, customer).
    pub transfers: Vec<(Uuid, Uuid)>,
    pub state_checkpoints: Vec<StateCheckpoint>,
    pub history: Vec<HistoryRow>,
}

impl Rows {
    pub fn is_empty(&self) -> bool {
        self.billing.is_empty()
            && self.key_access.is_empty()
            && self.subscriptions.is_empty()
            && self.transfers.is_empty()
            && self.state_checkpoints.is_empty()
            && self.history.is_empty()
    }
}

/// What [`apply`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The entry already holds this version: a repeat, ignored (never applied twice).
    AlreadyApplied,
}

/// Applies one event to its customer's entry, adding the rows it raises to `rows`,
/// and what `keep` asks for beyond them.
pub fn apply(
    entry: &mut CustomerEntry,
    e: Applied<'_>,
    rows: &mut Rows,
    keep: Keep,
) -> Result<Outcome, ProjectionError> {
    if e.version <= entry.version {
        return Ok(Outcome::AlreadyApplied);
    }
    if e.version != entry.version + 1 {
        return Err(ProjectionError::Gap {
            customer: e.customer_id,
            expected: entry.version + 1,
            got: e.version,
        });
    }
    entry.state.apply(e.event);
    entry.version = e.version;
    entry.last_position = e.position;
    entry.max_at = Some(entry.max_at.map_or(e.event.at, |m| m.max(e.event.at)));
    add_rows(e, rows);
    if keep.history {
        // Once per subscription, however often the event names it.
        let mut touched = e.event.data.subscription_ids();
        touched.sort_unstable();
        touched.dedup();
        for subscription_id in touched {
            rows.history.push(HistoryRow {
                subscription_id,
                version: e.version,
                position: e.position,
                event: e.event.clone(),
            });
        }
    }
    if keep
        .states_every
        .is_some_and(|n| n > 0 && e.version.is_multiple_of(n))
    {
        rows.state_checkpoints.push(StateCheckpoint {
            customer_id: e.customer_id,
            entry: entry.clone(),
        });
    }
    Ok(Outcome::Applied)
}

/// The rows an event raises: billing lines, key accesses, where things live.
fn add_rows(e: Applied<'_>, rows: &mut Rows) {
    match &e.event.data {
        EventData::Charged(line) => rows.billing.push(BillingRow {
            position: e.position,
            at: e.event.at,
            kind: LineKind::Charge,
            line: line.clone(),
        }),
        EventData::Credited(line) => rows.billing.push(BillingRow {
            position: e.position,
            at: e.event.at,
            kind: LineKind::Credit,
            line: line.clone(),
        }),
        EventData::KeyRevealed(k) => rows.key_access.push(KeyAccessRow::of(
            e.position,
            e.event,
            KeyAction::RevealKey,
            k,
        )),
        EventData::SoftwareDownloaded(k) => rows.key_access.push(KeyAccessRow::of(
            e.position,
            e.event,
            KeyAction::Download,
            k,
        )),
        EventData::DownloadLinkCopied(k) => rows.key_access.push(KeyAccessRow::of(
            e.position,
            e.event,
            KeyAction::CopyLink,
            k,
        )),
        EventData::SubscriptionCreated(c) => {
            rows.subscriptions.push((c.subscription_id, e.customer_id))
        }
        EventData::TransferRequested { transfer_id, .. } => {
            rows.transfers.push((*transfer_id, e.customer_id))
        }
        _ => {}
    }
}

/// Every read model in memory: what a replay builds.
#[derive(Debug, Clone, Default)]
pub struct ReadModel {
    pub customers: HashMap<Uuid, CustomerEntry>,
    pub rows: Rows,
    /// The global position of the last event read (applied or not).
    pub position: u64,
    /// The latest instant among the events applied.
    pub last_at: Option<DateTime<Utc>>,
    /// Events applied, per type.
    pub per_type: BTreeMap<String, u64>,
    /// Stop each customer's fold at its first event after this instant (VIEW-4).
    as_of: Option<DateTime<Utc>>,
    /// Customers whose fold stopped at `as_of`.
    stopped: HashSet<Uuid>,
}

impl ReadModel {
    /// Empty read models; with `as_of`, each customer's events are folded only up
    /// to its first event after that instant.
    pub fn new(as_of: Option<DateTime<Utc>>) -> Self {
        ReadModel {
            as_of,
            ..ReadModel::default()
        }
    }

    /// Events applied in all.
    pub fn events_applied(&self) -> u64 {
        self.per_type.values().sum()
    }

    /// Notes that the log went up to `position` (for records that are not
    /// customer events).
    pub fn skip(&mut self, position: u64) {
        self.position = self.position.max(position);
    }

    /// Applies one event.
    pub fn apply(&mut self, e: Applied<'_>) -> Result<(), ProjectionError> {
        self.skip(e.position);
        if let Some(as_of) = self.as_of
            && (e.event.at > as_of || self.stopped.contains(&e.customer_id))
        {
            self.stopped.insert(e.customer_id);
            return Ok(());
        }
        let entry = self.customers.entry(e.customer_id).or_default();
        if apply(entry, e, &mut self.rows, Keep::NOTHING)? == Outcome::Applied {
            self.last_at = Some(self.last_at.map_or(e.event.at, |m| m.max(e.event.at)));
            match self.per_type.get_mut(e.event.data.type_name()) {
                Some(n) => *n += 1,
                None => {
                    self.per_type.insert(e.event.data.type_name().to_owned(), 1);
                }
            }
        }
        Ok(())
    }

    /// Joins read models built from disjoint sets of customers (a replay split
    /// across threads): rows come back in log order.
    pub fn merge(parts: Vec<ReadModel>) -> ReadModel {
        let mut out = ReadModel::default();
        for p in parts {
            out.as_of = out.as_of.or(p.as_of);
            out.position = out.position.max(p.position);
            out.last_at = match (out.last_at, p.last_at) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            for (t, n) in p.per_type {
                *out.per_type.entry(t).or_default() += n;
            }
            out.customers.extend(p.customers);
            out.stopped.extend(p.stopped);
            out.rows.billing.extend(p.rows.billing);
            out.rows.key_access.extend(p.rows.key_access);
            out.rows.subscriptions.extend(p.rows.subscriptions);
            out.rows.transfers.extend(p.rows.transfers);
            out.rows.history.extend(p.rows.history);
        }
        out.rows.billing.sort_by_key(|r| r.position);
        out.rows.key_access.sort_by_key(|r| r.position);
        out
    }

    /// Per customer, partner, month and currency: charged, credited, line count.
    pub fn totals(&self) -> Vec<MonthTotals> {
        totals_of(&self.rows.billing)
    }
}

/// Totals of billing rows, ordered by customer, partner, month, currency.
pub fn totals_of(rows: &[BillingRow]) -> Vec<MonthTotals> {
    let mut map: BTreeMap<(Uuid, Uuid, String, String), MonthTotals> = BTreeMap::new();
    for r in rows {
        let key = (
            r.line.customer_id,
            r.line.partner_id,
            r.month(),
            r.line.amount.currency.clone(),
        );
        let t = map.entry(key).or_insert_with(|| MonthTotals {
            customer_id: r.line.customer_id,
            partner_id: r.line.partner_id,
            month: r.month(),
            currency: r.line.amount.currency.clone(),
            charged_minor: 0,
            credited_minor: 0,
            lines: 0,
        });
        match r.kind {
            LineKind::Charge => t.charged_minor += r.line.amount.amount_minor,
            LineKind::Credit => t.credited_minor += r.line.amount.amount_minor,
        }
        t.lines += 1;
    }
    map.into_values().collect()
}
