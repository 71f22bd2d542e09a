//! `poolbench export`: a summary (or a Criterion baseline) in a regression tracker's JSON:
//! Bencher Metric Format, or github-action-benchmark's `customSmallerIsBetter`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use poolbench::compare::Input;
use poolbench::export;

/// Options of `poolbench export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A summary.json, or the name of a Criterion baseline.
    #[arg(value_name = "SUMMARY", default_value = "reports/latest/summary.json")]
    input: String,
    /// The tracker's format: bmf (Bencher) or github-action-benchmark (customSmallerIsBetter).
    #[arg(long, value_name = "FORMAT")]
    format: export::Format,
    /// Criterion's output directory, where baselines are looked up [default: as for compare].
    #[arg(long, value_name = "DIR")]
    criterion_dir: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Writes the export.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let criterion_dir =
        args.criterion_dir.clone().unwrap_or_else(poolbench::criterion::default_criterion_dir);
    let input = Input::load(&args.input, &criterion_dir).context("cannot read SUMMARY")?;
    let text = export::render(&input.summary, args.format);
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => std::io::stdout().write_all(text.as_bytes()).context("cannot write to standard output")?,
    }
    Ok(ExitCode::SUCCESS)
}
