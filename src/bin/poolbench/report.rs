//! `poolbench report`: writes the pool-size report from the results Criterion already has, with
//! no benchmark run (`cargo bench` writes it at its end; this regenerates it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use poolbench::report::{self, Options};

/// Options of `poolbench report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Criterion's output directory [default: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion,
    /// else the cargo target directory's criterion/, else target/criterion].
    #[arg(long, value_name = "DIR")]
    criterion_dir: Option<PathBuf>,
    /// Where to write index.html, summary.md and summary.json (created if missing).
    #[arg(long, value_name = "DIR", default_value = report::DEFAULT_OUT_DIR)]
    out: PathBuf,
}

/// Writes the report and prints the paths written and the benchmarks skipped.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let options = Options::with_dirs(
        args.criterion_dir.clone().unwrap_or_else(poolbench::criterion::default_criterion_dir),
        args.out.clone(),
    );
    // The library's errors name the Criterion directory or the file at fault; this names the rest.
    let written = report::write(&options)
        .with_context(|| format!("cannot write the pool-size report to {}", options.out_dir.display()))?;
    print!("{written}");
    Ok(ExitCode::SUCCESS)
}
