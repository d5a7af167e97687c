//! The `subledger` command-line program: argument parsing and wiring only.

use clap::Parser;

/// An event-sourced subscription ledger for Cloud Solution Provider partners.
#[derive(Debug, Parser)]
#[command(name = "subledger", version, about, long_about = None)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
