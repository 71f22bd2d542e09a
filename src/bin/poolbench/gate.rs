//! `poolbench gate --base REF`: the paired regression gate, and `poolbench gate calibrate`, which
//! measures it. Prints a table (or Markdown, or JSON) and exits 0, 1, 2, 3 or 4.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use poolbench::gate::{self, Base, Injection, Report, Request, Settings};
use poolbench::verdict::{self, Config};

/// Options of `poolbench gate`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, after_long_help = AFTER_HELP)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    options: Options,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Measure the gate: A/A runs and slowdowns injected into the head's cpu-spin, against the goals.
    Calibrate(CalibrateArgs),
}

#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    #[command(flatten)]
    options: Options,
    /// A/A runs.
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Slowdown factors injected into the head's cpu-spin tasks, one run each (POOLBENCH_INJECT_SLOWDOWN).
    #[arg(long, value_name = "F,F", value_delimiter = ',', default_value = "1.05,1.2")]
    inject: Vec<f64>,
    /// The path must work (every run completes, no benchmark fails); the goals are printed, not
    /// judged: speed is measured, never asserted (what .ci/run uses).
    #[arg(long)]
    smoke: bool,
}

#[derive(Debug, Clone, clap::Args)]
struct Options {
    /// The base: a commit, branch or tag of this repository, built in a worktree of its own
    /// [calibrate: default HEAD].
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// The base's bench binaries, already built, instead of --base (repeat for several).
    #[arg(long, value_name = "PATH", conflicts_with = "base")]
    base_program: Vec<PathBuf>,
    /// The head's bench binaries, already built, instead of building the working tree.
    #[arg(long, value_name = "PATH")]
    head_program: Vec<PathBuf>,
    /// The base is the head's own build (an A/A run of one binary).
    #[arg(long, conflicts_with_all = ["base", "base_program"])]
    same_build: bool,
    /// KEY=VALUE added to the head's environment only (repeat for several).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_env)]
    head_env: Vec<(String, String)>,
    /// Only the benchmark ids this regular expression matches.
    #[arg(long, value_name = "REGEX")]
    filter: Option<String>,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write gate.txt, gate.md and gate.json (calibrate: each run's, and calibration.txt/json) here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The measurement's time budget, builds not included: 300s, 5m [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    budget: Option<Duration>,
    /// The most time one benchmark may take [default: 20s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    benchmark_budget: Option<Duration>,
    /// Smallest change flagged, in percent [default: 2, or the config file's].
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    threshold: Option<f64>,
    /// The run's false-alarm level [default: 0.05, or the config file's].
    #[arg(long, value_name = "ALPHA")]
    alpha: Option<f64>,
    /// Target slot length [default: 10ms].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    slot: Option<Duration>,
    /// Pairs of slots per round [default: 6].
    #[arg(long, value_name = "N")]
    pairs: Option<usize>,
    /// Rounds before the first look [default: 3].
    #[arg(long, value_name = "N")]
    min_rounds: Option<usize>,
    /// Rounds at most [default: 12].
    #[arg(long, value_name = "N")]
    max_rounds: Option<usize>,
    /// Canaries, head against head [default: 3].
    #[arg(long, value_name = "N")]
    canaries: Option<usize>,
    /// Drop and re-measure a round when other programs took more than this share of the machine,
    /// in percent; 100 keeps every round [default: 15].
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    max_disturbance: Option<f64>,
    /// Seed of the slot order [default: 1].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Fail on a regression the first pass flags, without measuring it again in a second pass of
    /// fresh rounds [default: a regression must be flagged by both passes].
    #[arg(long)]
    no_confirm: bool,
    /// Where the base's worktree and target directory go [default: gate/ in the cargo target directory].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// The config file, poolbench compare's: its alpha, threshold and `[[benchmark]]` entries
    /// (a threshold of its own, ignore = true, accept = true for an intended slowdown)
    /// [default: poolbench-compare.toml, when there is one].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

const AFTER_HELP: &str = "\
Exit codes:
  0  no benchmark regressed, and some were decided
  1  error (bad input, a build that failed), or a benchmark that could not be measured
  2  at least one benchmark regressed (and the canary was quiet)
  3  inconclusive: the canary (head against head) flagged, or no benchmark was decided
  4  the base's bench binary predates serve mode: nothing was measured; gate against a newer base
calibrate: 0 every goal met (with --smoke: the path works), 2 a goal not met, 1 error.

The rule (pairs, rounds, when measuring stops, Benjamini-Hochberg, the canary) is specified in
reports/README.md, \"The paired gate\". Markdown stays within a pull-request comment (60,000
characters); the JSON is the versioned document of `poolbench compare` too (\"format\":
\"poolbench-verdicts\", \"version\": 1).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// An aligned table for a terminal.
    Table,
    /// GitHub-flavoured Markdown for a pull-request comment.
    Markdown,
    /// Every number, as JSON.
    Json,
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE; give e.g. POOLBENCH_INJECT_SLOWDOWN=1.05")),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|err| format!("`{text}` is not a duration ({err}); give e.g. 300s, 5m or 10ms"))
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    number.parse::<f64>().map_err(|_| format!("`{text}` is not a percentage; give e.g. 2 or 2%"))
}

/// Runs the gate, or its calibration.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // The pools' workers that outlive their server by a moment are then the gate's to reap and
    // count, not another program's load (gate::adopt_orphans). Without it, rounds of process
    // pools may be dropped as disturbed.
    if !gate::adopt_orphans() {
        eprintln!(
            "poolbench gate: cannot become the subreaper of its servers' workers; their exit may read as load"
        );
    }
    match &args.action {
        Some(Action::Calibrate(calibrate)) => run_calibration(calibrate),
        None => run_gate(&args.options),
    }
}

fn run_gate(options: &Options) -> anyhow::Result<ExitCode> {
    let config = config(options)?;
    let settings = settings(options, &config);
    let request = request(options, None)?;
    let mut report = match gate::run(&request, &settings, &mut say) {
        Ok(report) => report,
        Err(err) if err.is_no_serve_mode() => {
            eprintln!("Error: {err}");
            return Ok(ExitCode::from(4));
        }
        Err(err) => return Err(err.into()),
    };
    for unused in report.accept_intended(&config.rules) {
        say(&format!(
            "the config file accepts a slowdown of {} ({}), but none regressed: remove the entry once the \
             change has landed",
            unused.id,
            unused.reason.as_deref().unwrap_or("")
        ));
    }
    if let Some(dir) = &options.out {
        write_report(dir, "gate", &report)?;
    }
    print!("{}", rendered(&report, options.format)?);
    Ok(ExitCode::from(report.outcome().exit_code()))
}

fn run_calibration(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    let options = &args.options;
    let settings = settings(options, &config(options)?);
    let request = request(options, Some("HEAD"))?;
    let injections: Vec<Injection> = args.inject.iter().map(|&factor| Injection { factor }).collect();
    let mut written: anyhow::Result<()> = Ok(());
    let mut each = |label: &str, report: &Report| {
        if let Some(dir) = &options.out {
            let name = label.replace(['/', ' '], "").to_lowercase();
            if let Err(err) = write_report(dir, &name, report) {
                written = Err(err);
            }
        }
        eprint!("{}", verdict::render_table(report));
    };
    let calibration = gate::calibrate(&request, &settings, args.runs, &injections, &mut say, &mut each)?;
    written?;
    let text = gate::render_calibration(&calibration);
    if let Some(dir) = &options.out {
        write(&dir.join("calibration.txt"), &text)?;
        let json = serde_json::to_string_pretty(&calibration).context("cannot encode the calibration")?;
        write(&dir.join("calibration.json"), &(json + "\n"))?;
    }
    print!("{text}");
    if args.smoke {
        // Every run completed (or calibrate would have failed); no benchmark may have failed.
        let failed: Vec<&str> = calibration
            .runs
            .iter()
            .filter(|run| run.outcome == gate::Outcome::Failed)
            .map(|run| run.label.as_str())
            .collect();
        anyhow::ensure!(
            failed.is_empty(),
            "gate calibrate --smoke: a benchmark could not be measured in {failed:?}"
        );
        println!("gate calibrate --smoke: the path works; the goals above are measurements, not judged here");
        return Ok(ExitCode::SUCCESS);
    }
    let met = calibration.goals.iter().all(|goal| goal.met);
    Ok(if met { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// The config file: --config, or poolbench-compare.toml in the current directory when there is one.
fn config(options: &Options) -> anyhow::Result<Config> {
    let default = Path::new(verdict::DEFAULT_CONFIG_FILE);
    match options.config.as_deref().or_else(|| default.is_file().then_some(default)) {
        Some(path) => Ok(Config::load(path)?),
        None => Ok(Config::default()),
    }
}

fn say(line: &str) {
    eprintln!("poolbench gate: {line}");
}

/// The defaults, then the config file's, then the command line's.
fn settings(options: &Options, config: &Config) -> Settings {
    let defaults = Settings::new().apply(config);
    Settings {
        threshold_percent: options.threshold.unwrap_or(defaults.threshold_percent),
        alpha: options.alpha.unwrap_or(defaults.alpha),
        budget: options.budget.unwrap_or(defaults.budget),
        benchmark_budget: options.benchmark_budget.unwrap_or(defaults.benchmark_budget),
        slot: options.slot.unwrap_or(defaults.slot),
        pairs: options.pairs.unwrap_or(defaults.pairs),
        min_rounds: options.min_rounds.unwrap_or(defaults.min_rounds),
        max_rounds: options.max_rounds.unwrap_or(defaults.max_rounds),
        canaries: options.canaries.unwrap_or(defaults.canaries),
        seed: options.seed.unwrap_or(defaults.seed),
        max_disturbance: options.max_disturbance.map_or(defaults.max_disturbance, |percent| percent / 100.0),
        confirm: !options.no_confirm,
        rules: defaults.rules,
    }
}

/// The request; `default_base` when neither --base nor --base-program nor --same-build is given.
fn request(options: &Options, default_base: Option<&str>) -> anyhow::Result<Request> {
    let dir = std::env::current_dir().context("cannot read the current directory")?;
    // Servers run in scratch directories of their own: a relative path must not depend on that.
    let absolute =
        |programs: &[PathBuf]| -> Vec<PathBuf> { programs.iter().map(|program| dir.join(program)).collect() };
    let head_programs = (!options.head_program.is_empty()).then(|| absolute(&options.head_program));
    let base = if options.same_build {
        let programs = match &head_programs {
            Some(programs) => programs.clone(),
            None => gate::build_head(&dir, &mut say)?,
        };
        Base::Programs(programs)
    } else if !options.base_program.is_empty() {
        Base::Programs(absolute(&options.base_program))
    } else {
        let rev = options.base.as_deref().or(default_base).context(
            "give --base REF (the commit to compare with, e.g. origin/main), or --base-program PATH, or --same-build",
        )?;
        Base::Commit(rev.to_owned())
    };
    let head_programs = match (&base, head_programs) {
        // --same-build built the head already.
        (Base::Programs(programs), None) if options.same_build => Some(programs.clone()),
        (_, programs) => programs,
    };
    Ok(Request {
        base,
        head_programs,
        head_env: options.head_env.clone(),
        filter: options.filter.clone(),
        dir,
        work_dir: options.work_dir.clone(),
    })
}

fn rendered(report: &Report, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => verdict::render_table(report),
        Format::Markdown => verdict::render_markdown(report),
        Format::Json => verdict::render_json(report)?,
    })
}

fn write_report(dir: &Path, name: &str, report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write(&dir.join(format!("{name}.txt")), &verdict::render_table(report))?;
    write(&dir.join(format!("{name}.md")), &verdict::render_markdown(report))?;
    write(&dir.join(format!("{name}.json")), &verdict::render_json(report)?)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
