//! The command-line interface: arguments in, a subcommand run.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sequential, threads or processes, and how many? Measured, not folklore.
#[derive(Debug, Parser)]
#[command(name = "poolbench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the notebook's programs in Rust and print what they print, with timings.
    Seed(crate::seed::Args),
    /// Write the pool-size report (HTML, Markdown, JSON) from Criterion's results.
    Report(crate::report::Args),
    /// Compare two runs and fail on a regression: exit 0 none, 1 error, 2 regression.
    Compare(crate::compare::Args),
    /// Gate a change against a base commit, base and head timed in interleaved pairs: exit 0 none, 1
    /// error, 2 regression, 3 inconclusive, 4 base without serve mode.
    Gate(Box<crate::gate::Args>),
    /// Write a summary in Bencher's or github-action-benchmark's JSON.
    Export(crate::export::Args),
    /// Merge several machines' summary.json into one report: the best size against the cores.
    Merge(crate::merge::Args),
}

/// Parses the arguments and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    // clap exits with 2 on a usage error, the code `poolbench compare` keeps for a regression:
    // a bad command line is an error like any other, 1.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return Ok(if err.exit_code() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
    };
    match cli.command {
        Command::Seed(args) => crate::seed::run(&args),
        Command::Report(args) => crate::report::run(&args),
        Command::Compare(args) => crate::compare::run(&args),
        Command::Export(args) => crate::export::run(&args),
        Command::Gate(args) => crate::gate::run(&args),
        Command::Merge(args) => crate::merge::run(&args),
    }
}
