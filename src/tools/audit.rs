//! `subledger audit key-access`: the key-access activity log (KEY-3/4), read
//! only by the roles of GEN-3, each partner's actor seeing its own entries.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use subledger_app::read_side::key_access_log;
use subledger_domain::{Action, Actor};
use subledger_projections::KeyAccessRow;
use subledger_projections::export::{Format, write_key_access};
use uuid::Uuid;

use super::{Source, bad, parse_instant, show_instant};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Every key reveal, download and link copy in [--from, --to) of the acting
    /// partner (KEY-3/4); the actor needs a role of GEN-3 that may read it.
    KeyAccess(KeyAccessArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuditFormat {
    /// Aligned columns, for people.
    Table,
    /// The columns of `key-access.csv` (`replay --out`), CRLF line ends.
    Csv,
    /// `{ "entries": [ … ] }`, as the API's `GET /v1/audit/key-access`.
    Json,
}

#[derive(Debug, Args)]
pub struct KeyAccessArgs {
    #[command(flatten)]
    source: Source,
    /// Entries at or after this instant (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long)]
    from: String,
    /// Entries before this instant (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long)]
    to: String,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    format: AuditFormat,
    /// Who is asking: an auth-file entry's token or user name (not a bare role).
    #[arg(long = "as")]
    as_entry: String,
    /// The auth file (default: the data directory's auth.json).
    #[arg(long)]
    auth: Option<PathBuf>,
}

pub async fn run(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::KeyAccess(args) => key_access(args).await,
    }
}

async fn key_access(args: KeyAccessArgs) -> Result<()> {
    let from = parse_instant("--from", &args.from)?;
    let to = parse_instant("--to", &args.to)?;
    if to < from {
        return Err(bad("--to is before --from"));
    }
    let opened = args.source.open().await?;
    let partner = allowed_partner(&acting(&args)?)?;
    let rows = key_access_log(
        opened.store.as_ref(),
        opened.projections.as_ref(),
        partner,
        from,
        to,
    )
    .await?;
    let mut out = std::io::stdout().lock();
    match args.format {
        AuditFormat::Csv => write_key_access(&mut out, &rows, Format::Csv)?,
        AuditFormat::Json => {
            /// The shape of the API's `GET /v1/audit/key-access` (with more fields).
            #[derive(serde::Serialize)]
            struct Entries<'a> {
                entries: &'a [KeyAccessRow],
            }
            serde_json::to_writer_pretty(&mut out, &Entries { entries: &rows })?;
            out.write_all(b"\n")?;
        }
        AuditFormat::Table => table(&mut out, &rows, from, to)?,
    }
    out.flush()?;
    Ok(())
}

/// GEN-3: the actor's partner, if its roles may read the key-access log.
fn allowed_partner(actor: &Actor) -> Result<Uuid> {
    if let Some(partner) = actor
        .partner_id
        .filter(|_| Action::ReadKeyAccessLog.allows(actor))
    {
        return Ok(partner);
    }
    let roles: Vec<&str> = actor.roles.iter().map(|r| r.as_str()).collect();
    let allowed: Vec<&str> = Action::ReadKeyAccessLog
        .allowed_roles()
        .iter()
        .map(|r| r.as_str())
        .collect();
    Err(bad(format!(
        "GEN-3: {} (roles: {}) may not read the key-access activity log; only a partner's {} may",
        actor.user,
        if roles.is_empty() {
            "none".to_owned()
        } else {
            roles.join(", ")
        },
        allowed.join(", ")
    )))
}

/// The actor named by `--as` in the auth file.
fn acting(args: &KeyAccessArgs) -> Result<Actor> {
    let auth = crate::auth_file(args.auth.as_deref(), &args.source.data_dir, false)
        .map_err(|e| bad(format!("{e:#}")))?;
    crate::actor_of(&auth, &args.as_entry).map_err(|e| bad(format!("{e:#}")))
}

fn table(
    out: &mut impl Write,
    rows: &[KeyAccessRow],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<()> {
    let header = [
        "AT",
        "USER",
        "ROLE",
        "ACTION",
        "PRODUCT",
        "SUBSCRIPTION",
        "CUSTOMER",
        "VERSION/LANGUAGE/OS",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let choice: Vec<&str> = [&r.version, &r.language, &r.os]
                .into_iter()
                .filter_map(|c| c.as_deref())
                .collect();
            [
                show_instant(r.at),
                r.user.clone(),
                r.role.as_str().to_owned(),
                r.action.as_str().to_owned(),
                r.product_id.clone(),
                r.subscription_id.to_string(),
                r.customer_id.to_string(),
                if choice.is_empty() {
                    "-".to_owned()
                } else {
                    choice.join(" ")
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, row: &[&str]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(c);
            } else {
                text.push_str(&format!("{c:<w$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &header)?;
    for row in &cells {
        line(out, &row.each_ref().map(String::as_str))?;
    }
    writeln!(
        out,
        "{} {} from {} to {}",
        rows.len(),
        if rows.len() == 1 { "entry" } else { "entries" },
        show_instant(from),
        show_instant(to)
    )?;
    Ok(())
}
