//! What a bench binary's `main` does: run the benchmarks (saying once per group where it is),
//! measure the disturbed ones again, then write the pool-size report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use criterion::Criterion;

use super::BenchArgs;
use super::group::{SetupError, catching};
use super::interleave::Mode;
use super::sizes::sizes_from_env;
use super::{progress, remeasure};
use crate::report::{self, Options};

/// The settings every benchmark starts from, before Criterion's command-line flags
/// (`--measurement-time`, `--sample-size`, `--quick`...), which override them.
///
/// A sweep is 1 + 6 × 3 benchmarks at the default sizes, so each gets 0.1 s of warm-up, then
/// 20 samples in about 0.5 s (Criterion's automatic sampling goes flat where a linear ramp of
/// iterations would not fit), and 10,000 bootstrap resamples rather than 100,000, which made
/// Criterion's plots cost about 6 s a benchmark on a 2-core machine. Criterion's time is the
/// time per iteration; the answer comes from the paired rounds that follow each group, which
/// this budget pays for (README, "Budget", has what the whole run measured).
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(500))
        .sample_size(20)
        .nresamples(10_000)
}

/// The Criterion of a run unless [`Main::criterion`] says otherwise: [`config`], then the command
/// line.
fn from_command_line() -> Criterion {
    config().configure_from_args()
}

/// A bench binary's `main`: what [`poolbench::main!`](crate::main) runs. Every setter states its
/// default.
#[derive(Debug, Clone)]
#[must_use]
pub struct Main {
    report_dir: Option<PathBuf>,
    python_peers: bool,
    /// `None`: [`from_command_line`], and the run can be listed with `--list`.
    criterion: Option<fn() -> Criterion>,
    attempts: u32,
    budget: Option<Duration>,
}

impl Default for Main {
    fn default() -> Self {
        Main::new()
    }
}

impl Main {
    /// The defaults: the report beside Criterion's results, no Python peers.
    pub fn new() -> Self {
        Main { report_dir: None, python_peers: false, criterion: None, attempts: 2, budget: None }
    }

    /// Where the report goes; its history (`history.jsonl`) goes in the directory above.
    /// Default: `poolbench/latest` beside Criterion's directory (`target/poolbench/latest` in a
    /// plain cargo project).
    pub fn report_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.report_dir = Some(dir.into());
        self
    }

    /// Whether to measure the notebook's Python programs after the benchmarks, for poolbench's
    /// own suites (see [`crate::peers`]). Default: off.
    pub fn python_peers(mut self, on: bool) -> Self {
        self.python_peers = on;
        self
    }

    /// How each [`Criterion`] of the run is made: the one every target runs with, and one per
    /// benchmark measured again. Default: [`config`], then the command line
    /// (`configure_from_args`). A run whose Criterion does not come from the command line cannot
    /// be listed with `--list`, so its progress lines give no estimate.
    pub fn criterion(mut self, make: fn() -> Criterion) -> Self {
        self.criterion = Some(make);
        self
    }

    /// How many more times a benchmark judged disturbed (other programs took more than
    /// [`DISTURBANCE_THRESHOLD`](super::DISTURBANCE_THRESHOLD) of its cores) is measured at the
    /// end of the run, until it is quiet; 0 measures none again. Default: 2.
    pub fn remeasure(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The most time measuring disturbed benchmarks again may take, waiting for a quiet machine
    /// included. Default: a tenth of the time the benchmarks took, and at least 10 s.
    pub fn remeasure_budget(mut self, budget: Duration) -> Self {
        self.budget = Some(budget);
        self
    }

    /// What `poolbench::main!` runs: serve mode when the gate asked for it
    /// ([`serve`](super::serve)), else [`run`](Self::run); an error is printed as
    /// `Error: ...` and the exit status is 1.
    pub fn main(self, targets: &[fn(&mut Criterion)]) -> ExitCode {
        if let Some(status) = super::serve::main(targets) {
            return ExitCode::from(status);
        }
        match self.run(targets) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("Error: {err}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs `targets` with one [`Criterion`] (configured by [`config`] and the command line, or
    /// [`criterion`](Self::criterion)), saying on stderr as each group ends how far the run is
    /// and about how long is left; measures the benchmarks judged disturbed again
    /// ([`remeasure`](Self::remeasure)); then writes the report of what Criterion holds and
    /// appends this run to the history. `--list`, `--test`, `--ignored` and `--profile-time`
    /// write nothing: they keep nothing measured.
    ///
    /// # Errors
    ///
    /// A bad `POOLBENCH_SIZES`, `POOLBENCH_ROUNDS_BUDGET` or `POOLBENCH_MAX_DISTURBANCE`, before
    /// anything runs; a benchmark that cannot be set up ([`SetupError`], naming it:
    /// see [`Group::bench`](super::Group::bench)); a report that cannot be written.
    pub fn run(self, targets: &[fn(&mut Criterion)]) -> Result<(), Error> {
        let sizes = sizes_from_env().map_err(Error::Sizes)?;
        super::interleave::check_environment().map_err(Error::Environment)?;
        let from =
            if std::env::var_os(crate::env::SIZES).is_some() { crate::env::SIZES } else { "the default" };
        println!(
            "poolbench: {}; pool sizes {sizes:?} ({from}) where a sweep does not set its own",
            crate::schema::cores::detect().in_words()
        );
        let args = BenchArgs::parse(std::env::args().skip(1));
        super::run::begin(if args.keeps_nothing {
            Mode::Off
        } else if args.smoke_test {
            Mode::Smoke
        } else {
            Mode::Measure
        });
        if !args.keeps_nothing && !args.smoke_test {
            // The machine the benchmarks are measured on, for a report written from them later.
            if let Err(err) = crate::schema::Machine::detect().record_in(&super::criterion_dir()) {
                eprintln!(
                    "poolbench: {err}: a report written later from these results will state its own machine"
                );
            }
            // Listing runs this program again with `--list`, which only Criterion's own command
            // line turns into a listing: with another Criterion it would run the benchmarks.
            let total = match self.criterion {
                Some(_) => None,
                None => progress::count_benchmarks()
                    .map_err(|reason| {
                        eprintln!("poolbench: cannot count the benchmarks to run ({reason}): progress without an estimate")
                    })
                    .ok(),
            };
            progress::start(total);
        }
        let make = self.criterion.unwrap_or(from_command_line);
        let timer = Instant::now();
        let mut criterion = make();
        let ran = catching(|| {
            for target in targets {
                target(&mut criterion);
            }
        });
        progress::stop();
        ran.map_err(Error::Setup)?;
        criterion.final_summary();
        let budget = self.budget.unwrap_or_else(|| (timer.elapsed() / 10).max(Duration::from_secs(10)));
        if self.attempts > 0 {
            // One benchmark at a time: its group's rounds, measured already, stay as they are.
            super::interleave::set_mode(Mode::Remeasure);
            let remeasured =
                catching(|| remeasure::run(targets, make, self.attempts, budget)).map_err(Error::Setup)?;
            if !remeasured.is_empty() {
                eprintln!("{remeasured}");
            }
        }

        if self.python_peers {
            match crate::peers::run_for_bench(&args) {
                Ok(Some(peers)) => println!("{peers}"),
                Ok(None) => {}
                // Peers are extras: the report of the suites that did run is still written.
                Err(err) => eprintln!("python peers: {err}"),
            }
        }
        if args.keeps_nothing || args.smoke_test {
            return Ok(());
        }
        let criterion_dir = super::criterion_dir();
        let out_dir = self.report_dir.unwrap_or_else(|| {
            criterion_dir
                .parent()
                .map_or_else(|| PathBuf::from("poolbench"), |target| target.join("poolbench"))
                .join("latest")
        });
        let options =
            Options { python_peers: self.python_peers, ..Options::with_dirs(criterion_dir, out_dir) };
        match report::write(&options) {
            Ok(written) => {
                print!("{written}");
                let measured: Vec<_> = super::record::measured()
                    .into_iter()
                    .map(|measured| (measured.id, measured.last))
                    .collect();
                match report::history::record(&written, &measured) {
                    Ok(recorded) => print!("{recorded}"),
                    // A run's numbers are in the report already: a history that cannot be
                    // written is worth a warning, not a failed bench run.
                    Err(err) => eprintln!("poolbench history: {err}"),
                }
                Ok(())
            }
            // A filter that matched nothing leaves nothing to report: say so, without failing.
            Err(err) if err.is_no_results() => {
                eprintln!("poolbench report: {err}");
                Ok(())
            }
            Err(err) => Err(Error::Report(err)),
        }
    }
}

/// Why a bench run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `POOLBENCH_SIZES` is not a list of sizes from 1 to [`MAX_SIZE`](super::MAX_SIZE).
    #[error("{0}")]
    Sizes(String),
    /// `POOLBENCH_ROUNDS_BUDGET` or `POOLBENCH_MAX_DISTURBANCE` holds a value the rounds cannot
    /// use; the message names the variable and what to give.
    #[error("{0}")]
    Environment(String),
    /// A benchmark could not be set up as asked.
    #[error(transparent)]
    Setup(SetupError),
    /// The report could not be written.
    #[error(transparent)]
    Report(report::Error),
}
