//! What `projections.db` holds, and its version.

use std::path::Path;

use rusqlite::Connection;

use crate::ProjectionError;

/// Bumped whenever what the projections hold or how they are laid out changes: a
/// database of another version is emptied and rebuilt from the log.
/// 2: each subscription's history (`subscription_history`).
/// 3: the key-access log's filter columns (customer, subscription, user,
///    action); the customer directory (`customer_directory`,
///    `customer_partners`) the customer list reads.
pub const PROJECTION_SCHEMA_VERSION: i32 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, version INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS subscription_index (
    subscription_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS transfer_index (
    transfer_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS billing_lines (
    position INTEGER PRIMARY KEY, at TEXT NOT NULL, customer_id TEXT NOT NULL,
    partner_id TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS billing_by_partner ON billing_lines (partner_id, position);
CREATE INDEX IF NOT EXISTS billing_by_customer ON billing_lines (customer_id, position);
CREATE TABLE IF NOT EXISTS billing_totals (
    customer_id TEXT NOT NULL, partner_id TEXT NOT NULL, month TEXT NOT NULL,
    currency TEXT NOT NULL, charged_minor INTEGER NOT NULL, credited_minor INTEGER NOT NULL,
    lines INTEGER NOT NULL, PRIMARY KEY (customer_id, partner_id, month, currency)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_access (
    position INTEGER PRIMARY KEY, at TEXT NOT NULL, partner_id TEXT NOT NULL,
    customer_id TEXT NOT NULL, subscription_id TEXT NOT NULL, user TEXT NOT NULL,
    action TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS key_access_by_partner ON key_access (partner_id, position);
CREATE TABLE IF NOT EXISTS state_checkpoints (
    customer_id TEXT NOT NULL, version INTEGER NOT NULL, max_at TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (customer_id, version));
CREATE TABLE IF NOT EXISTS subscription_history (
    subscription_id TEXT NOT NULL, version INTEGER NOT NULL, at TEXT NOT NULL,
    position INTEGER NOT NULL, event BLOB NOT NULL, PRIMARY KEY (subscription_id, version));
CREATE TABLE IF NOT EXISTS customer_directory (
    customer_id TEXT PRIMARY KEY, company_name TEXT NOT NULL, domain TEXT NOT NULL,
    country TEXT NOT NULL, segment TEXT NOT NULL, name_key TEXT NOT NULL,
    search TEXT NOT NULL, subscriptions INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_directory_by_name
    ON customer_directory (name_key, customer_id);
CREATE TABLE IF NOT EXISTS customer_partners (
    partner_id TEXT NOT NULL, customer_id TEXT NOT NULL, subscriptions INTEGER NOT NULL,
    PRIMARY KEY (partner_id, customer_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_partners_by_customer ON customer_partners (customer_id);
";

const TABLES: [&str; 11] = [
    "meta",
    "customers",
    "subscription_index",
    "transfer_index",
    "billing_lines",
    "billing_totals",
    "key_access",
    "state_checkpoints",
    "subscription_history",
    "customer_directory",
    "customer_partners",
];

/// Makes `conn`'s database this build's: one of another schema version is
/// emptied (the runner rebuilds it from the log).
pub(super) fn ensure(conn: &Connection, path: &Path) -> Result<(), ProjectionError> {
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == PROJECTION_SCHEMA_VERSION {
        return Ok(());
    }
    if version != 0 {
        tracing::warn!(
            path = %path.display(),
            found = version,
            expected = PROJECTION_SCHEMA_VERSION,
            "projection schema changed: rebuilding the projections from the log"
        );
    }
    for t in TABLES {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS {t}"))?;
    }
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", PROJECTION_SCHEMA_VERSION)?;
    Ok(())
}
