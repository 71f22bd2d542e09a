//! `poolbench compare BASE NEW`: the regression gate. Prints a table and exits 0 (no
//! regression), 1 (an error: bad input) or 2 (a regression).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use poolbench::compare::{self, Config, GateChoice, Input, Settings, Statistic};
use poolbench::verdict;

/// Options of `poolbench compare`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct Args {
    /// The base run: a summary.json, or the name of a Criterion baseline (cargo bench -- --save-baseline NAME).
    #[arg(value_name = "BASE")]
    base: String,
    /// The new run, likewise.
    #[arg(value_name = "NEW")]
    new: String,
    /// Criterion's output directory, where baselines are looked up [default: $CRITERION_HOME, else
    /// $CARGO_TARGET_DIR/criterion, else the cargo target directory's criterion/, else target/criterion].
    #[arg(long, value_name = "DIR")]
    criterion_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Significance level; intervals are at 1 - ALPHA [default: 0.05, or the config file's].
    #[arg(long, value_name = "ALPHA")]
    alpha: Option<f64>,
    /// Smallest change flagged, in percent, with or without a % sign [default: 5, or the config file's].
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    threshold: Option<f64>,
    /// What is compared: p10 (default), another percentile p1..p99, median, or mean (Welch's t-test).
    #[arg(long, value_name = "STATISTIC")]
    statistic: Option<Statistic>,
    /// Bootstrap resamples, 1000 to 100000 [default: 10000, or the config file's].
    #[arg(long, value_name = "N")]
    resamples: Option<usize>,
    /// Absolute times, relative times (over a reference in the same run), or auto: absolute on
    /// the same machine, relative when the machine fingerprints differ.
    #[arg(long, value_enum, default_value_t = GateArg::Auto)]
    gate: GateArg,
    /// Config file with defaults and per-benchmark thresholds, the gate's too [default: ./poolbench-compare.toml when it exists].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

const AFTER_HELP: &str = "\
Exit codes:
  0  no benchmark regressed, and at least one was judged
  1  error: an input is missing or unreadable, a setting is out of range, or nothing was judged
     (no benchmark in both runs, or none with samples that can be tested; the table says why)
  2  at least one benchmark regressed

The rule (when a benchmark regressed, which statistic, how runs are pooled, what happens across
machines) is specified in reports/README.md, \"Comparing runs\".

Markdown stays within a pull-request comment (60,000 characters); the JSON is the versioned
document of `poolbench gate` too (\"format\": \"poolbench-verdicts\", \"version\": 1).

The config file (TOML; `poolbench gate` reads it too, all but statistic and resamples):
  statistic = \"p10\"
  alpha = 0.05
  threshold = 5            # percent
  [[benchmark]]
  id = \"startup/*\"         # * matches anything
  threshold = 15
  reason = \"...\"
  [[benchmark]]
  id = \"crossover/io-tcp/*\"
  ignore = true";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// An aligned table for a terminal.
    Table,
    /// GitHub-flavoured Markdown for a pull-request comment.
    Markdown,
    /// Every number, as JSON.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GateArg {
    Auto,
    Absolute,
    Relative,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    number.parse::<f64>().map_err(|_| format!("`{text}` is not a percentage; give e.g. 5 or 5%"))
}

/// Compares the two runs and prints the table; exit code 2 on a regression.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let criterion_dir =
        args.criterion_dir.clone().unwrap_or_else(poolbench::criterion::default_criterion_dir);
    let settings = settings(args)?;
    let base = Input::load(&args.base, &criterion_dir).context("cannot read BASE")?;
    let new = Input::load(&args.new, &criterion_dir).context("cannot read NEW")?;
    let comparison = compare::compare(&base, &new, &settings)?;
    let text = match args.format {
        Format::Table => verdict::render_table(&comparison),
        Format::Markdown => verdict::render_markdown(&comparison),
        Format::Json => verdict::render_json(&comparison)?,
    };
    print!("{text}");
    if let Some(why) = comparison.nothing_judged() {
        // The table is printed all the same: it lists every benchmark with why it was not judged.
        anyhow::bail!(
            "poolbench compare judged nothing: {why}; compare two runs of the same benchmarks \
             whose samples are positive (the table above lists each benchmark and why)"
        );
    }
    Ok(ExitCode::from(comparison.outcome().exit_code()))
}

/// The defaults, then the config file's, then the command line's.
fn settings(args: &Args) -> anyhow::Result<Settings> {
    let mut settings = Settings::new();
    let default_config = Path::new(compare::DEFAULT_CONFIG_FILE);
    let config_path = args.config.as_deref().or_else(|| default_config.is_file().then_some(default_config));
    if let Some(path) = config_path {
        settings = settings.apply(&Config::load(path)?);
    }
    settings.statistic = args.statistic.unwrap_or(settings.statistic);
    settings.alpha = args.alpha.unwrap_or(settings.alpha);
    settings.threshold_percent = args.threshold.unwrap_or(settings.threshold_percent);
    settings.resamples = args.resamples.unwrap_or(settings.resamples);
    settings.gate = match args.gate {
        GateArg::Auto => GateChoice::Auto,
        GateArg::Absolute => GateChoice::Absolute,
        GateArg::Relative => GateChoice::Relative,
    };
    Ok(settings)
}
