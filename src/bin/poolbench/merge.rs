//! `poolbench merge`: several machines' `summary.json` files into one report of how the best
//! executor and pool size move with the core count.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use poolbench::report::merge;

/// Options of `poolbench merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Each machine's summary.json (its reports/latest/summary.json), at least two.
    #[arg(value_name = "SUMMARY", required = true, num_args = 1..)]
    summaries: Vec<PathBuf>,
    /// Where to write index.html, summary.md and merged.json (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports/merged")]
    out: PathBuf,
    /// Merge summaries of different commits, with the difference flagged, instead of refusing.
    #[arg(long)]
    allow_different_commits: bool,
}

/// Writes the merged report and prints the paths written and what to read with care.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let written = merge::write(&args.summaries, &args.out, args.allow_different_commits)
        .with_context(|| format!("cannot write the merged report to {}", args.out.display()))?;
    print!("{written}");
    Ok(ExitCode::SUCCESS)
}
