//! Writing a batch: its rows, the customers it changed and the new checkpoint,
//! in one transaction.

use rusqlite::{Transaction, params};
use subledger_domain::state::RelationshipStatus;
use subledger_domain::view::listed_among_subscriptions;

use super::{Batch, ProjectionDb, instant_text, lock, read_checkpoint};
use crate::ProjectionError;
use crate::model::{BillingRow, HistoryRow, KeyAccessRow, StateCheckpoint};

impl ProjectionDb {
    /// Writes a batch atomically with its checkpoint. Refused, writing nothing, if
    /// the stored checkpoint is not `batch.from`.
    pub fn commit(&self, batch: Batch) -> Result<(), ProjectionError> {
        let writer = self.writer.as_ref().ok_or(ProjectionError::ReadOnly)?;
        let mut conn = lock(writer);
        let tx = conn.transaction()?;
        let stored = read_checkpoint(&tx)?;
        if stored.position != batch.from {
            return Err(ProjectionError::CheckpointMoved {
                expected: batch.from,
                found: stored.position,
            });
        }
        put_customers(&tx, &batch)?;
        put_directory(&tx, &batch)?;
        put_where_things_live(&tx, &batch)?;
        put_billing(&tx, &batch.rows.billing)?;
        put_key_access(&tx, &batch.rows.key_access)?;
        put_states(&tx, &batch.rows.state_checkpoints)?;
        put_history(&tx, &batch.rows.history)?;
        put_checkpoint(&tx, &batch)?;
        tx.commit()?;
        drop(conn);
        for (id, entry) in batch.customers {
            self.remember(id, entry);
        }
        Ok(())
    }
}

fn put_customers(tx: &Transaction<'_>, batch: &Batch) -> Result<(), ProjectionError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO customers (customer_id, version, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (customer_id) DO UPDATE SET version = excluded.version, data = excluded.data",
    )?;
    for (id, entry) in &batch.customers {
        put.execute(params![
            id.to_string(),
            entry.version as i64,
            serde_json::to_vec(&**entry)?
        ])?;
    }
    Ok(())
}

/// The customer directory the customer list reads: each changed customer's
/// name, domain, country and segment, and the partners it has an active
/// relationship with (GEN-2), with how many listed subscriptions (VIEW-2) each
/// holds. Rewritten from the customer's state as committed, so a rebuild from
/// the log writes the same rows.
fn put_directory(tx: &Transaction<'_>, batch: &Batch) -> Result<(), ProjectionError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO customer_directory
           (customer_id, company_name, domain, country, segment, name_key, search, subscriptions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id) DO UPDATE SET
           company_name = excluded.company_name, domain = excluded.domain,
           country = excluded.country, segment = excluded.segment,
           name_key = excluded.name_key, search = excluded.search,
           subscriptions = excluded.subscriptions",
    )?;
    let mut forget_partners =
        tx.prepare_cached("DELETE FROM customer_partners WHERE customer_id = ?1")?;
    let mut put_partner = tx.prepare_cached(
        "INSERT INTO customer_partners (partner_id, customer_id, subscriptions) VALUES (?1, ?2, ?3)",
    )?;
    for (id, entry) in &batch.customers {
        let state = &entry.state;
        let Some(c) = state.customer.as_ref() else {
            continue;
        };
        // One pass: the listed subscriptions (VIEW-2), all and per partner. The
        // state is serialized whole for `customers` anyway, so this costs less.
        let mut total = 0i64;
        let mut per_partner: std::collections::HashMap<uuid::Uuid, i64> =
            std::collections::HashMap::new();
        for s in state
            .subscriptions
            .values()
            .filter(|s| listed_among_subscriptions(s))
        {
            total += 1;
            *per_partner.entry(s.partner_id).or_default() += 1;
        }
        let segment = match serde_json::to_value(c.segment)? {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        put.execute(params![
            id.to_string(),
            c.company_name,
            c.domain,
            c.country,
            segment,
            name_key(&c.company_name),
            search_text(&c.company_name, &c.domain),
            total
        ])?;
        forget_partners.execute(params![id.to_string()])?;
        for (partner, status) in &state.relationships {
            if *status != RelationshipStatus::Active {
                continue;
            }
            let theirs = per_partner.get(partner).copied().unwrap_or(0);
            put_partner.execute(params![partner.to_string(), id.to_string(), theirs])?;
        }
    }
    Ok(())
}

/// The customer list's order: company names compared case-insensitively.
pub(super) fn name_key(company_name: &str) -> String {
    company_name.to_lowercase()
}

/// What the customer list's `q` searches: name and domain, lower-cased, apart.
fn search_text(company_name: &str, domain: &str) -> String {
    format!("{}\n{}", company_name.to_lowercase(), domain.to_lowercase())
}

/// The indexes of which customer's stream holds a subscription or a transfer.
fn put_where_things_live(tx: &Transaction<'_>, batch: &Batch) -> Result<(), ProjectionError> {
    let mut put_sub = tx.prepare_cached(
        "INSERT OR IGNORE INTO subscription_index (subscription_id, customer_id) VALUES (?1, ?2)",
    )?;
    for (s, c) in &batch.rows.subscriptions {
        put_sub.execute(params![s.to_string(), c.to_string()])?;
    }
    let mut put_transfer = tx.prepare_cached(
        "INSERT OR IGNORE INTO transfer_index (transfer_id, customer_id) VALUES (?1, ?2)",
    )?;
    for (t, c) in &batch.rows.transfers {
        put_transfer.execute(params![t.to_string(), c.to_string()])?;
    }
    Ok(())
}

/// The lines, and their monthly totals kept up to date beside them.
fn put_billing(tx: &Transaction<'_>, rows: &[BillingRow]) -> Result<(), ProjectionError> {
    let mut put_line = tx.prepare_cached(
        "INSERT INTO billing_lines (position, at, customer_id, partner_id, data)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut add_total = tx.prepare_cached(
        "INSERT INTO billing_totals
           (customer_id, partner_id, month, currency, charged_minor, credited_minor, lines)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
         ON CONFLICT (customer_id, partner_id, month, currency) DO UPDATE SET
           charged_minor = charged_minor + excluded.charged_minor,
           credited_minor = credited_minor + excluded.credited_minor,
           lines = lines + 1",
    )?;
    for r in rows {
        put_line.execute(params![
            r.position as i64,
            instant_text(r.at),
            r.line.customer_id.to_string(),
            r.line.partner_id.to_string(),
            serde_json::to_vec(r)?
        ])?;
        let (charged, credited) = match r.kind {
            crate::LineKind::Charge => (r.line.amount.amount_minor, 0),
            crate::LineKind::Credit => (0, r.line.amount.amount_minor),
        };
        add_total.execute(params![
            r.line.customer_id.to_string(),
            r.line.partner_id.to_string(),
            r.month(),
            r.line.amount.currency,
            charged,
            credited
        ])?;
    }
    Ok(())
}

fn put_key_access(tx: &Transaction<'_>, rows: &[KeyAccessRow]) -> Result<(), ProjectionError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO key_access
           (position, at, partner_id, customer_id, subscription_id, user, action, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for r in rows {
        put.execute(params![
            r.position as i64,
            instant_text(r.at),
            r.partner_id.to_string(),
            r.customer_id.to_string(),
            r.subscription_id.to_string(),
            r.user,
            r.action.as_str(),
            serde_json::to_vec(r)?
        ])?;
    }
    Ok(())
}

/// States kept for time travel.
fn put_states(tx: &Transaction<'_>, states: &[StateCheckpoint]) -> Result<(), ProjectionError> {
    let mut put = tx.prepare_cached(
        "INSERT OR REPLACE INTO state_checkpoints (customer_id, version, max_at, data)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for c in states {
        let Some(max_at) = c.entry.max_at else {
            continue;
        };
        put.execute(params![
            c.customer_id.to_string(),
            c.entry.version as i64,
            instant_text(max_at),
            serde_json::to_vec(&c.entry)?
        ])?;
    }
    Ok(())
}

fn put_history(tx: &Transaction<'_>, rows: &[HistoryRow]) -> Result<(), ProjectionError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO subscription_history (subscription_id, version, at, position, event)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in rows {
        put.execute(params![
            r.subscription_id.to_string(),
            r.version as i64,
            super::exact_instant_text(r.event.at),
            r.position as i64,
            serde_json::to_vec(&r.event)?
        ])?;
    }
    Ok(())
}

fn put_checkpoint(tx: &Transaction<'_>, batch: &Batch) -> Result<(), ProjectionError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?;
    put.execute(params!["position", batch.to.position.to_string()])?;
    if let Some(at) = batch.to.at {
        put.execute(params!["at", instant_text(at)])?;
    }
    Ok(())
}
