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
}

/// Parses the arguments and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Command::Seed(args) => crate::seed::run(&args),
        Command::Report(args) => crate::report::run(&args),
    }
}
