//! subledger's read models, built only from events.
//!
//! * [`model`]: what one event does to the read models ([`model::apply`]), and
//!   [`model::ReadModel`], all of them in memory (what `subledger replay` builds);
//! * [`db`]: the same read models persisted in SQLite (`projections.db` next to the
//!   log) with the global position they have applied, stored in the same
//!   transaction as the data, so a restart resumes exactly where the last commit
//!   ended: nothing applied twice, nothing skipped;
//! * `directory`: every committed customer read model, for the ledger's start
//!   ([`ProjectionDb::for_each_customer`]);
//! * [`export`]: the CSV and JSON-lines files analysts get (`subscriptions.csv`,
//!   `orders.csv`, `billing-lines.csv`, `billing-totals.csv`, `key-access.csv`),
//!   written the same way from a replay and from the persisted projections, so the
//!   two can be compared byte for byte.
//!
//! The read models of subscriptions, orders and refundable seats are the customer
//! states of the domain's own fold (`CustomerState::apply`), so a view read here
//! is the view the ledger decides on. Billing lines, their monthly totals, the
//! key-access activity log and each subscription's history (VIEW-5) are rows. No row holds a software key: key events
//! carry only the key's fingerprint, and the activity log drops even that.
//!
//! This crate does no async and knows nothing of the store: the caller decodes
//! records into domain events and hands them in with their positions.

#![forbid(unsafe_code)]

pub mod db;
mod directory;
mod error;
pub mod export;
pub mod model;

pub use db::{
    Batch, BillingFilter, Checkpoint, CustomerFilter, CustomerListing, HistoryFilter, KeyAccessDay,
    KeyAccessFilter, ProjectionDb,
};
pub use error::ProjectionError;
pub use model::{
    Applied, BillingRow, CustomerEntry, HistoryRow, Keep, KeyAccessRow, KeyAction, LineKind,
    MonthTotals, ReadModel, Rows,
};
