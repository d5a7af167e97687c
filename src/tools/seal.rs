//! The auditors' and operators' seal tools: `keygen`, `checkpoint` and `verify`
//! (docs/VERIFY.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use subledger_seal::checkpoint::{self, public_key_path};
use subledger_seal::{
    Checkpoint, CheckpointToCheck, Report, Seal, SealDb, VerifyInputs, verify_log,
    verify_sqlite_log,
};
use subledger_store::EventStore;

use super::progress::Progress;
use super::{Source, bad};

/// The signing key's default place: beside the log, created by `serve` on first start.
pub fn default_signing_key(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger.key")
}

/// The seal's file in a data directory.
pub fn seal_path(data_dir: &Path) -> PathBuf {
    data_dir.join("seal.db")
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the secret key (its public key goes to FILE.pub).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    #[command(flatten)]
    source: Source,
    /// The secret key that signs (default: the data directory's ledger.key).
    #[arg(long)]
    signing_key: Option<PathBuf>,
    /// Also write the checkpoint to this file (an auditor keeps it).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    source: Source,
    /// A checkpoint taken before (e.g. by `subledger checkpoint --out`); repeatable.
    #[arg(long = "checkpoint")]
    checkpoints: Vec<PathBuf>,
    /// The public key the checkpoints must be signed with (default: the data
    /// directory's ledger.key.pub, which proves less: it is beside the log).
    #[arg(long)]
    public_key: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn keygen(args: KeygenArgs) -> Result<()> {
    let key = checkpoint::generate_key()?;
    let public = checkpoint::write_key_files(&key, &args.out).map_err(|e| bad(e.to_string()))?;
    println!(
        "secret key: {} (keep it from the data directory's readers)",
        args.out.display()
    );
    println!("public key: {} (give it to auditors)", public.display());
    println!("key_id: {}", checkpoint::key_id(&key.verifying_key()));
    Ok(())
}

pub async fn take_checkpoint(args: CheckpointArgs) -> Result<()> {
    let data_dir = args.source.data_dir()?.to_owned();
    let key_path = args
        .signing_key
        .unwrap_or_else(|| default_signing_key(&data_dir));
    let key = checkpoint::read_signing_key(&key_path).map_err(|e| {
        bad(format!(
            "{e} (create one with `subledger keygen --out FILE`)"
        ))
    })?;
    let opened = args.source.open().await?;
    let db = SealDb::open(&seal_path(&data_dir)).context("opening the seal")?;
    let seal = Arc::new(Seal::open(db, key).context("loading the seal")?);
    let cp = seal
        .checkpoint_now(opened.store.as_ref())
        .await
        .context("sealing the log")?;
    let text = serde_json::to_string_pretty(&cp)?;
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{text}\n"))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    println!("{text}");
    Ok(())
}

fn read_checkpoint(path: &Path) -> Result<CheckpointToCheck> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("reading the checkpoint {}: {e}", path.display())))?;
    let checkpoint: Checkpoint = serde_json::from_str(&text)
        .map_err(|e| bad(format!("{} is not a checkpoint: {e}", path.display())))?;
    Ok(CheckpointToCheck {
        checkpoint,
        source: format!("held ({})", path.display()),
    })
}

/// Exits with 1 when the log does not verify.
pub async fn verify(args: VerifyArgs) -> Result<()> {
    let held = args
        .checkpoints
        .iter()
        .map(|p| read_checkpoint(p))
        .collect::<Result<Vec<_>>>()?;
    let data_dir = args.source.data_dir.clone();
    let key_path = args.public_key.clone().or_else(|| {
        let beside = public_key_path(&default_signing_key(&data_dir));
        beside.is_file().then_some(beside)
    });
    let key = key_path
        .as_deref()
        .map(checkpoint::read_public_key)
        .transpose()
        .map_err(|e| bad(e.to_string()))?;
    let seal = seal_path(&data_dir);
    let inputs = VerifyInputs {
        seal_path: seal.is_file().then_some(seal),
        held,
        key,
    };
    let mut progress = Progress::new("verify");
    let started = Instant::now();
    let mut report = match args.source.is_embedded() {
        // The embedded log is scanned in place, on two cores.
        true => {
            let store = crate::store::open_sqlite_read_only(&data_dir)
                .map_err(|e| bad(format!("{:#}", anyhow::Error::new(e))))?;
            let head = store.last_position().await?;
            let (report, back) = tokio::task::spawn_blocking(move || {
                let report = verify_sqlite_log(&store, head, inputs, &mut |read, head| {
                    progress.update(read, head)
                });
                (report, progress)
            })
            .await?;
            progress = back;
            report
        }
        false => {
            let opened = args.source.open().await?;
            verify_log(opened.store.as_ref(), inputs, &mut |read, head| {
                progress.update(read, head)
            })
            .await
        }
    }
    .context("verifying the log")?;
    let elapsed = started.elapsed();
    progress.finish(report.records, elapsed);
    if args.public_key.is_none() && key_path.is_some() {
        report.notes.push("signatures checked with the data directory's own ledger.key.pub: pass --public-key with the key you hold".into());
    }
    let per_s = (report.records as f64 / elapsed.as_secs_f64().max(1e-9)).round() as u64;
    print_report(&report, per_s, args.json)?;
    if !report.is_clean() {
        std::process::exit(1);
    }
    Ok(())
}

/// The report as `key value` lines (`BAD …` for each problem), or one JSON object.
fn print_report(report: &Report, per_s: u64, json: bool) -> Result<()> {
    if json {
        let mut value = serde_json::to_value(report)?;
        value["verify_events_per_s"] = per_s.into();
        println!("{value}");
        return Ok(());
    }
    println!("records {}", report.records);
    println!("sealed {}", report.sealed);
    println!("checkpoints_checked {}", report.checkpoints_checked);
    println!("root_hash {}", report.root_hash);
    println!("chain_hash {}", report.chain_hash);
    println!("verify_events_per_s {per_s}");
    for note in &report.notes {
        println!("note: {note}");
    }
    for p in &report.problems {
        match p.position {
            Some(position) => println!("BAD position {position}: {}", p.what),
            None => println!("BAD {}", p.what),
        }
    }
    match report.first_bad_position {
        Some(p) => println!("first_bad_position {p}"),
        None if report.is_clean() && report.sealed == 0 && report.checkpoints_checked == 0 => {
            println!(
                "OK: computed, but nothing to compare with (no seal, no checkpoint): keep the root above"
            )
        }
        None if report.is_clean() => println!("OK: the log verifies"),
        None => {}
    }
    Ok(())
}
