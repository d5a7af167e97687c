//! The files analysts get from a replay or from the persisted projections, in CSV
//! or JSON lines. Rows are ordered by keys (customer, subscription, order) or by log
//! position, never by hash order, so the same events always give the same bytes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use subledger_domain::view::{SubscriptionView, csv_field, listed_among_subscriptions};
use uuid::Uuid;

use crate::model::{BillingRow, CustomerEntry, KeyAccessRow, MonthTotals, ReadModel};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "jsonl" | "json" => Ok(Format::Jsonl),
            other => Err(format!("format must be csv or jsonl, not {other:?}")),
        }
    }
}

/// Writes every read model into `dir` (created if missing): subscriptions, orders,
/// billing lines, billing totals, key access. Views are computed at `at`.
/// Returns the files written.
pub fn write_all(
    dir: &Path,
    model: &ReadModel,
    at: DateTime<Utc>,
    format: Format,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let ext = format.extension();
    let mut written = Vec::new();
    let mut file = |name: &str, f: &dyn Fn(&mut dyn Write) -> io::Result<()>| {
        let path = dir.join(format!("{name}.{ext}"));
        let mut out = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        f(&mut out)?;
        out.flush()?;
        written.push(path);
        io::Result::Ok(())
    };
    let customers = sorted_customers(model);
    file("subscriptions", &|w| {
        write_subscriptions(w, &customers, at, format)
    })?;
    file("orders", &|w| write_orders(w, &customers, format))?;
    file("billing-lines", &|w| {
        write_billing_lines(w, &model.rows.billing, format)
    })?;
    file("billing-totals", &|w| {
        write_billing_totals(w, &model.totals(), format)
    })?;
    file("key-access", &|w| {
        write_key_access(w, &model.rows.key_access, format)
    })?;
    Ok(written)
}

/// Customers in id order.
pub fn sorted_customers(model: &ReadModel) -> Vec<(Uuid, &CustomerEntry)> {
    let mut v: Vec<(Uuid, &CustomerEntry)> = model.customers.iter().map(|(k, e)| (*k, e)).collect();
    v.sort_unstable_by_key(|(k, _)| *k);
    v
}

/// A value as one CSV cell: strings bare, null empty, anything else as JSON.
fn cell<T: Serialize + ?Sized>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => csv_field(&s),
        Ok(serde_json::Value::Null) => String::new(),
        Ok(other) => csv_field(&other.to_string()),
        Err(_) => String::new(),
    }
}

fn instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn csv_line(w: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    w.write_all(cells.join(",").as_bytes())?;
    w.write_all(b"\r\n")
}

fn json_line<T: Serialize>(w: &mut dyn Write, v: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, v)?;
    w.write_all(b"\n")
}

pub const SUBSCRIPTION_COLUMNS: [&str; 25] = [
    "customer_id",
    "subscription_id",
    "partner_id",
    "reseller_id",
    "product_id",
    "product_name",
    "kind",
    "quantity",
    "status",
    "trial",
    "term",
    "billing",
    "term_start",
    "term_end_date",
    "auto_renew",
    "next_renewal_at",
    "cancellation_allowed_until",
    "cancellation_scheduled",
    "refundable_seats",
    "scheduled_change",
    "promotion_id",
    "update_count",
    "purchased_at",
    "listed_among_subscriptions",
    "version",
];

#[derive(Serialize)]
struct SubscriptionLine<'a> {
    #[serde(flatten)]
    view: &'a SubscriptionView,
    listed_among_subscriptions: bool,
}

/// Every subscription (VIEW-1) of every customer, viewed at `at`, by customer
/// then subscription id. `listed_among_subscriptions` is VIEW-2's flag.
pub fn write_subscriptions(
    w: &mut dyn Write,
    customers: &[(Uuid, &CustomerEntry)],
    at: DateTime<Utc>,
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        csv_line(w, &SUBSCRIPTION_COLUMNS.map(str::to_owned))?;
    }
    for (_, entry) in customers {
        for s in entry.state.subscriptions.values() {
            let v = SubscriptionView::of(s, at, entry.version);
            let listed = listed_among_subscriptions(s);
            match format {
                Format::Jsonl => json_line(
                    w,
                    &SubscriptionLine {
                        view: &v,
                        listed_among_subscriptions: listed,
                    },
                )?,
                Format::Csv => csv_line(
                    w,
                    &[
                        v.customer_id.to_string(),
                        v.subscription_id.to_string(),
                        v.partner_id.to_string(),
                        cell(&v.reseller_id),
                        cell(&v.product_id),
                        cell(&v.product_name),
                        cell(&v.kind),
                        v.quantity.to_string(),
                        cell(&v.status),
                        v.trial.to_string(),
                        cell(&v.term),
                        cell(&v.billing),
                        instant(&v.term_start),
                        cell(&v.term_end_date),
                        v.auto_renew.to_string(),
                        v.next_renewal_at.as_ref().map(instant).unwrap_or_default(),
                        v.cancellation_allowed_until
                            .as_ref()
                            .map(instant)
                            .unwrap_or_default(),
                        v.cancellation_scheduled.to_string(),
                        v.refundable_seats.total.to_string(),
                        cell(&v.scheduled_change),
                        cell(&v.promotion_id),
                        v.update_count.to_string(),
                        instant(&v.purchased_at),
                        listed.to_string(),
                        v.version.to_string(),
                    ],
                )?,
            }
        }
    }
    Ok(())
}

pub const ORDER_COLUMNS: [&str; 18] = [
    "order_id",
    "customer_id",
    "partner_id",
    "placed_at",
    "reseller_id",
    "additional_resellers",
    "line",
    "subscription_id",
    "product_id",
    "product_name",
    "quantity",
    "term",
    "billing",
    "trial",
    "auto_renew",
    "promotion_id",
    "unit_price_minor",
    "currency",
];

#[derive(Serialize)]
struct OrderLineOut<'a> {
    order_id: Uuid,
    customer_id: Uuid,
    #[serde(flatten)]
    order: &'a subledger_domain::state::Order,
}

/// Every order with its line items (one CSV row per line, one JSON line per
/// order), by customer, then placing instant and order id.
pub fn write_orders(
    w: &mut dyn Write,
    customers: &[(Uuid, &CustomerEntry)],
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        csv_line(w, &ORDER_COLUMNS.map(str::to_owned))?;
    }
    for (customer, entry) in customers {
        let mut orders: Vec<_> = entry.state.orders.values().collect();
        orders.sort_by_key(|o| (o.placed_at, o.order_id));
        for o in orders {
            if format == Format::Jsonl {
                json_line(
                    w,
                    &OrderLineOut {
                        order_id: o.order_id,
                        customer_id: *customer,
                        order: o,
                    },
                )?;
                continue;
            }
            let resellers: Vec<String> = o
                .additional_resellers
                .iter()
                .map(|r| r.to_string())
                .collect();
            for (i, l) in o.lines.iter().enumerate() {
                csv_line(
                    w,
                    &[
                        o.order_id.to_string(),
                        customer.to_string(),
                        o.partner_id.to_string(),
                        instant(&o.placed_at),
                        cell(&o.reseller_id),
                        csv_field(&resellers.join(";")),
                        (i + 1).to_string(),
                        l.subscription_id.to_string(),
                        cell(&l.product_id),
                        cell(&l.product_name),
                        l.quantity.to_string(),
                        cell(&l.term),
                        cell(&l.billing),
                        l.trial.to_string(),
                        l.auto_renew.to_string(),
                        cell(&l.promotion_id),
                        l.unit_price.amount_minor.to_string(),
                        cell(&l.unit_price.currency),
                    ],
                )?;
            }
        }
    }
    Ok(())
}

pub const BILLING_COLUMNS: [&str; 19] = [
    "position",
    "at",
    "customer_id",
    "partner_id",
    "subscription_id",
    "product_id",
    "kind",
    "reason",
    "seats",
    "unit_price_minor",
    "amount_minor",
    "currency",
    "period_start",
    "period_end",
    "period_days",
    "price_days",
    "days_charged",
    "tax_inclusive",
    "month",
];

/// Every charge and credit (BIL), in log order, with the figures that recompute it.
pub fn write_billing_lines(
    w: &mut dyn Write,
    rows: &[BillingRow],
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        csv_line(w, &BILLING_COLUMNS.map(str::to_owned))?;
    }
    for r in rows {
        if format == Format::Jsonl {
            json_line(w, r)?;
            continue;
        }
        let l = &r.line;
        csv_line(
            w,
            &[
                r.position.to_string(),
                instant(&r.at),
                l.customer_id.to_string(),
                l.partner_id.to_string(),
                l.subscription_id.to_string(),
                cell(&l.product_id),
                r.kind.as_str().to_owned(),
                cell(&l.reason),
                l.seats.to_string(),
                l.unit_price.amount_minor.to_string(),
                l.amount.amount_minor.to_string(),
                cell(&l.amount.currency),
                l.period_start.to_string(),
                l.period_end.to_string(),
                l.period_days.to_string(),
                l.price_days.to_string(),
                l.days_charged.to_string(),
                l.tax_inclusive.to_string(),
                r.month(),
            ],
        )?;
    }
    Ok(())
}

pub const TOTALS_COLUMNS: [&str; 8] = [
    "customer_id",
    "partner_id",
    "month",
    "currency",
    "charged_minor",
    "credited_minor",
    "net_minor",
    "lines",
];

/// Per customer, partner, month and currency: what was charged and credited.
pub fn write_billing_totals(
    w: &mut dyn Write,
    totals: &[MonthTotals],
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        csv_line(w, &TOTALS_COLUMNS.map(str::to_owned))?;
    }
    for t in totals {
        match format {
            Format::Jsonl => json_line(w, t)?,
            Format::Csv => csv_line(
                w,
                &[
                    t.customer_id.to_string(),
                    t.partner_id.to_string(),
                    t.month.clone(),
                    cell(&t.currency),
                    t.charged_minor.to_string(),
                    t.credited_minor.to_string(),
                    t.net_minor().to_string(),
                    t.lines.to_string(),
                ],
            )?,
        }
    }
    Ok(())
}

pub const KEY_ACCESS_COLUMNS: [&str; 14] = [
    "position",
    "at",
    "user",
    "role",
    "action",
    "partner_id",
    "customer_id",
    "subscription_id",
    "product_id",
    "product_name",
    "version",
    "language",
    "os",
    "command_id",
];

/// The key-access activity log (KEY-3/4), in log order.
pub fn write_key_access(
    w: &mut dyn Write,
    rows: &[KeyAccessRow],
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        csv_line(w, &KEY_ACCESS_COLUMNS.map(str::to_owned))?;
    }
    for r in rows {
        match format {
            Format::Jsonl => json_line(w, r)?,
            Format::Csv => csv_line(w, &key_access_cells(r))?,
        }
    }
    Ok(())
}

/// One key-access entry as CSV cells, in [`KEY_ACCESS_COLUMNS`] order.
pub fn key_access_cells(r: &KeyAccessRow) -> Vec<String> {
    vec![
        r.position.to_string(),
        instant(&r.at),
        csv_field(&r.user),
        cell(&r.role),
        r.action.as_str().to_owned(),
        r.partner_id.to_string(),
        r.customer_id.to_string(),
        r.subscription_id.to_string(),
        cell(&r.product_id),
        cell(&r.product_name),
        cell(&r.version),
        cell(&r.language),
        cell(&r.os),
        cell(&r.command_id),
    ]
}
