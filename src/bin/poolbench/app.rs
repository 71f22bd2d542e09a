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
}

/// Parses the arguments and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Command::Seed(args) => crate::seed::run(&args),
    }
}
