//! The reads of the persisted projections: rows by filter, time-travel starts,
//! everything at once.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{
    Checkpoint, ProjectionDb, exact_instant_text, instant_text, parse_id, read_checkpoint,
};
use crate::ProjectionError;
use crate::model::{
    BillingRow, CustomerEntry, HistoryRow, KeyAccessRow, KeyAction, MonthTotals, ReadModel,
};

/// Which billing lines to read.
#[derive(Debug, Clone, Default)]
pub struct BillingFilter {
    pub partner_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Only lines after this position (the cursor).
    pub after: u64,
    pub limit: usize,
}

/// Which key-access entries to read.
#[derive(Debug, Clone, Default)]
pub struct KeyAccessFilter {
    pub partner_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub customer_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    /// The user, exactly.
    pub user: Option<String>,
    pub action: Option<KeyAction>,
    /// Only entries after this position (the cursor); ignored by the daily counts.
    pub after: u64,
    /// Ignored by the daily counts.
    pub limit: usize,
}

/// Key-access entries of one UTC day, per action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAccessDay {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub reveal_key: u64,
    pub download: u64,
    pub copy_link: u64,
}

impl KeyAccessDay {
    pub fn total(&self) -> u64 {
        self.reveal_key + self.download + self.copy_link
    }
}

/// Which customers of the directory to list.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Only customers with an active relationship with this partner (and the
    /// subscriptions counted are this partner's).
    pub partner_id: Option<Uuid>,
    /// Only this customer.
    pub customer_id: Option<Uuid>,
    /// A case-insensitive substring of the company name or the domain.
    pub q: Option<String>,
    /// Only customers after this one in list order (the cursor): the
    /// lower-cased company name, then the id.
    pub after: Option<(String, Uuid)>,
    pub limit: usize,
}

/// A customer of the directory, with the subscriptions counted for the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerListing {
    pub customer_id: Uuid,
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub segment: String,
    /// The list's order key (the lower-cased company name).
    pub name_key: String,
    /// Listed subscriptions (VIEW-2): the partner's, or all of them.
    pub subscriptions: u64,
}

/// Which events of a subscription's history to read.
#[derive(Debug, Clone)]
pub struct HistoryFilter {
    pub subscription_id: Uuid,
    /// Only events after this stream version (the cursor).
    pub after: u64,
    /// Only events at or before this instant (`as_of`).
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
}

impl ProjectionDb {
    /// Rows stored as JSON in a `data` column, decoded, in the query's order.
    fn decoded<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<T>, ProjectionError> {
        let blobs: Vec<Vec<u8>> = self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(params, |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        blobs
            .iter()
            .map(|b| serde_json::from_slice(b).map_err(Into::into))
            .collect()
    }

    /// Billing lines in log order.
    pub fn billing_lines(&self, f: &BillingFilter) -> Result<Vec<BillingRow>, ProjectionError> {
        self.decoded(
            "SELECT data FROM billing_lines
             WHERE position > ?1
               AND (?2 IS NULL OR partner_id = ?2)
               AND (?3 IS NULL OR customer_id = ?3)
               AND (?4 IS NULL OR at >= ?4)
               AND (?5 IS NULL OR at < ?5)
             ORDER BY position LIMIT ?6",
            params![
                f.after as i64,
                f.partner_id.map(|p| p.to_string()),
                f.customer_id.map(|p| p.to_string()),
                f.from.map(instant_text),
                f.to.map(instant_text),
                i64::try_from(f.limit).unwrap_or(i64::MAX)
            ],
        )
    }

    /// Monthly totals, optionally of one customer and/or partner, in key order.
    pub fn billing_totals(
        &self,
        customer_id: Option<Uuid>,
        partner_id: Option<Uuid>,
    ) -> Result<Vec<MonthTotals>, ProjectionError> {
        type Raw = (String, String, String, String, i64, i64, i64);
        let raw: Vec<Raw> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT customer_id, partner_id, month, currency, charged_minor, credited_minor, lines
                 FROM billing_totals
                 WHERE (?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR partner_id = ?2)
                 ORDER BY customer_id, partner_id, month, currency",
            )?;
            let rows = stmt.query_map(
                params![
                    customer_id.map(|p| p.to_string()),
                    partner_id.map(|p| p.to_string())
                ],
                |r| r.try_into(),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        raw.into_iter()
            .map(|(c, p, month, currency, charged, credited, lines)| {
                Ok(MonthTotals {
                    customer_id: parse_id(&c)?,
                    partner_id: parse_id(&p)?,
                    month,
                    currency,
                    charged_minor: charged,
                    credited_minor: credited,
                    lines: lines as u64,
                })
            })
            .collect()
    }

    /// Key-access entries in log order.
    pub fn key_access(&self, f: &KeyAccessFilter) -> Result<Vec<KeyAccessRow>, ProjectionError> {
        self.decoded(
            "SELECT data FROM key_access
             WHERE position > ?1
               AND (?2 IS NULL OR partner_id = ?2)
               AND (?3 IS NULL OR at >= ?3)
               AND (?4 IS NULL OR at < ?4)
               AND (?5 IS NULL OR customer_id = ?5)
               AND (?6 IS NULL OR subscription_id = ?6)
               AND (?7 IS NULL OR user = ?7)
               AND (?8 IS NULL OR action = ?8)
             ORDER BY position LIMIT ?9",
            params![
                f.after as i64,
                f.partner_id.map(|p| p.to_string()),
                f.from.map(instant_text),
                f.to.map(instant_text),
                f.customer_id.map(|p| p.to_string()),
                f.subscription_id.map(|p| p.to_string()),
                f.user,
                f.action.map(KeyAction::as_str),
                i64::try_from(f.limit).unwrap_or(i64::MAX)
            ],
        )
    }

    /// Key-access entries counted per UTC day and action, the days with any in
    /// ascending order (the filter's `after` and `limit` are not used).
    pub fn key_access_daily(
        &self,
        f: &KeyAccessFilter,
    ) -> Result<Vec<KeyAccessDay>, ProjectionError> {
        type Raw = (String, i64, i64, i64);
        let raw: Vec<Raw> = self.read(|c| {
            // `at` is fixed-width UTC RFC 3339: its first ten characters are the date.
            let mut stmt = c.prepare_cached(
                "SELECT substr(at, 1, 10) AS day,
                        SUM(action = 'reveal_key'), SUM(action = 'download'),
                        SUM(action = 'copy_link')
                 FROM key_access
                 WHERE (?1 IS NULL OR partner_id = ?1)
                   AND (?2 IS NULL OR at >= ?2)
                   AND (?3 IS NULL OR at < ?3)
                   AND (?4 IS NULL OR customer_id = ?4)
                   AND (?5 IS NULL OR subscription_id = ?5)
                   AND (?6 IS NULL OR user = ?6)
                   AND (?7 IS NULL OR action = ?7)
                 GROUP BY day ORDER BY day",
            )?;
            let rows = stmt.query_map(
                params![
                    f.partner_id.map(|p| p.to_string()),
                    f.from.map(instant_text),
                    f.to.map(instant_text),
                    f.customer_id.map(|p| p.to_string()),
                    f.subscription_id.map(|p| p.to_string()),
                    f.user,
                    f.action.map(KeyAction::as_str),
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        Ok(raw
            .into_iter()
            .map(|(date, reveal_key, download, copy_link)| KeyAccessDay {
                date,
                reveal_key: reveal_key as u64,
                download: download as u64,
                copy_link: copy_link as u64,
            })
            .collect())
    }

    /// Customers of the directory in list order: by lower-cased company name,
    /// then id.
    pub fn customers(&self, f: &CustomerFilter) -> Result<Vec<CustomerListing>, ProjectionError> {
        type Raw = (String, String, String, String, String, String, i64);
        let (after_name, after_id) = match &f.after {
            Some((name, id)) => (Some(name.clone()), Some(id.to_string())),
            None => (None, None),
        };
        let raw: Vec<Raw> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT d.customer_id, d.company_name, d.domain, d.country, d.segment, d.name_key,
                        CASE WHEN ?1 IS NULL THEN d.subscriptions ELSE p.subscriptions END
                 FROM customer_directory d
                 LEFT JOIN customer_partners p ON p.partner_id = ?1 AND p.customer_id = d.customer_id
                 WHERE (?1 IS NULL OR p.partner_id IS NOT NULL)
                   AND (?2 IS NULL OR d.customer_id = ?2)
                   AND (?3 IS NULL OR instr(d.search, ?3) > 0)
                   AND (?4 IS NULL OR (d.name_key, d.customer_id) > (?4, ?5))
                 ORDER BY d.name_key, d.customer_id LIMIT ?6",
            )?;
            let rows = stmt.query_map(
                params![
                    f.partner_id.map(|p| p.to_string()),
                    f.customer_id.map(|p| p.to_string()),
                    f.q.as_deref().map(str::to_lowercase),
                    after_name,
                    after_id,
                    i64::try_from(f.limit).unwrap_or(i64::MAX)
                ],
                |r| r.try_into(),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        raw.into_iter()
            .map(
                |(id, company_name, domain, country, segment, name_key, subscriptions)| {
                    Ok(CustomerListing {
                        customer_id: parse_id(&id)?,
                        company_name,
                        domain,
                        country,
                        segment,
                        name_key,
                        subscriptions: subscriptions as u64,
                    })
                },
            )
            .collect()
    }

    /// A subscription's history (VIEW-5): the events naming it, oldest first.
    pub fn history(&self, f: &HistoryFilter) -> Result<Vec<HistoryRow>, ProjectionError> {
        type Raw = (i64, i64, Vec<u8>);
        let raw: Vec<Raw> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT version, position, event FROM subscription_history
                 WHERE subscription_id = ?1 AND version > ?2 AND (?3 IS NULL OR at <= ?3)
                 ORDER BY version LIMIT ?4",
            )?;
            let rows = stmt.query_map(
                params![
                    f.subscription_id.to_string(),
                    i64::try_from(f.after).unwrap_or(i64::MAX),
                    f.until.map(exact_instant_text),
                    i64::try_from(f.limit).unwrap_or(i64::MAX)
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        raw.into_iter()
            .map(|(version, position, event)| {
                Ok(HistoryRow {
                    subscription_id: f.subscription_id,
                    version: version as u64,
                    position: position as u64,
                    event: serde_json::from_slice(&event)?,
                })
            })
            .collect()
    }

    /// The best place to start folding `customer`'s stream to see it as of `at`:
    /// the latest kept state whose events are all at or before `at`, and the
    /// version of the first kept state that is not (the fold stops before it).
    pub fn state_checkpoint(
        &self,
        customer: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(Option<CustomerEntry>, Option<u64>), ProjectionError> {
        let at = instant_text(at);
        let id = customer.to_string();
        let (start, stop): (Option<Vec<u8>>, Option<i64>) = self.read(|c| {
            let start = c
                .prepare_cached(
                    "SELECT data FROM state_checkpoints
                     WHERE customer_id = ?1 AND max_at <= ?2 ORDER BY version DESC LIMIT 1",
                )?
                .query_row(params![id, at], |r| r.get(0))
                .optional()?;
            let stop = c
                .prepare_cached(
                    "SELECT version FROM state_checkpoints
                     WHERE customer_id = ?1 AND max_at > ?2 ORDER BY version LIMIT 1",
                )?
                .query_row(params![id, at], |r| r.get(0))
                .optional()?;
            Ok((start, stop))
        })?;
        let start = start
            .map(|b| serde_json::from_slice::<CustomerEntry>(&b))
            .transpose()?;
        Ok((start, stop.map(|v| v as u64)))
    }

    /// Everything, in memory: to export the persisted projections (and compare
    /// them with a replay).
    pub fn load_model(&self) -> Result<ReadModel, ProjectionError> {
        let (checkpoint, (customers, billing, access)): (Checkpoint, AllRows) = self.read(|c| {
            // One read transaction: the checkpoint and the rows of one commit, even
            // while the runner goes on committing.
            c.execute_batch("BEGIN")?;
            let all = read_all_rows(c);
            // A failed read must not leave the pooled connection inside a transaction.
            c.execute_batch(if all.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            all
        })?;
        let mut model = ReadModel::new(None);
        model.position = checkpoint.position;
        model.last_at = checkpoint.at;
        for (id, data) in customers {
            let entry: CustomerEntry = serde_json::from_slice(&data)?;
            model.customers.insert(parse_id(&id)?, entry);
        }
        model.rows.billing = billing
            .iter()
            .map(|b| serde_json::from_slice(b))
            .collect::<Result<_, _>>()?;
        model.rows.key_access = access
            .iter()
            .map(|b| serde_json::from_slice(b))
            .collect::<Result<_, _>>()?;
        Ok(model)
    }
}

/// Customers (id, state), billing lines, key-access entries, as stored.
type AllRows = (Vec<(String, Vec<u8>)>, Vec<Vec<u8>>, Vec<Vec<u8>>);

fn read_all_rows(c: &Connection) -> Result<(Checkpoint, AllRows), ProjectionError> {
    let checkpoint = read_checkpoint(c)?;
    let customers = c
        .prepare("SELECT customer_id, data FROM customers")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let billing = c
        .prepare("SELECT data FROM billing_lines ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let access = c
        .prepare("SELECT data FROM key_access ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((checkpoint, (customers, billing, access)))
}
