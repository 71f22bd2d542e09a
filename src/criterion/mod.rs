//! Reading Criterion's output directory: serde copies of its files, and the walk that finds them.
//!
//! Criterion 0.8 writes each benchmark to `<dir>/new/{benchmark.json, estimates.json,
//! sample.json}` (and copies them to `base/` or a named baseline). The files are undocumented
//! internals, so their schema is pinned here, field by field, in our own types: a Criterion that
//! changes it makes the benchmark show up as skipped with serde's reason, not as wrong numbers.
//! Fields the report does not use are not declared, so additions on Criterion's side are harmless.
//!
//! The walk (`reader.rs`, [`Reader`]) reads only regular files, up to [`MAX_FILE_BYTES`] each:
//! a link to `/dev/zero` or a FIFO is skipped with the reason, never read.
//!
//! Beside Criterion's three files, poolbench's own load file of the benchmark
//! (`poolbench-load/<id>.json`, written by [`Group`](crate::bench::Group)) says how busy the
//! machine was during the measurement; it is read as they are (a regular file, at most 64 KiB),
//! and its measurement whose last sample is `sample.json`'s is taken.
//!
//! Directory names are not trusted: Criterion replaces `/`, `<`, `?` and others by `_` and
//! truncates long names, so the id comes from `benchmark.json`, and a benchmark is any directory
//! holding `new/benchmark.json`, however deep.

mod error;
mod reader;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

pub use error::Error;
pub use reader::{MAX_FILE_BYTES, Reader};

use crate::schema::{Quietness, Skipped};

/// Criterion's output directory, found as Criterion 0.8 finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else (under cargo, which sets `$CARGO`) the target directory
/// `cargo metadata` reports plus `criterion`, else `target/criterion`.
///
/// The `cargo metadata` step is Criterion's too: it finds a workspace's or a `build.target-dir`'s
/// target directory, where the plain default would look in the wrong place.
pub fn default_criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    std::env::var_os("CARGO")
        .and_then(cargo_target_dir)
        .map_or_else(|| PathBuf::from("target/criterion"), |target| target.join("criterion"))
}

fn cargo_target_dir(cargo: OsString) -> Option<PathBuf> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let output =
        Command::new(cargo).args(["metadata", "--format-version", "1", "--no-deps"]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    serde_json::from_slice::<Metadata>(&output.stdout).ok().map(|metadata| metadata.target_directory)
}

/// What Criterion calls a benchmark's id: `benchmark.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BenchmarkId {
    /// The group: `<suite>/<case>` for poolbench's own benchmarks.
    pub group_id: String,
    /// The function: the executor's name, `None` when the id is only a parameter.
    pub function_id: Option<String>,
    /// The value: the pool size, or an input size when there is no function.
    pub value_str: Option<String>,
    /// `group/function/value`, the id Criterion prints and filters on.
    pub full_id: String,
}

/// One statistic of `estimates.json`, in nanoseconds per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimate {
    /// The bootstrap confidence interval.
    pub confidence_interval: ConfidenceInterval,
    /// The estimate itself.
    pub point_estimate: f64,
    /// The bootstrap standard error of the estimate.
    pub standard_error: f64,
}

/// A confidence interval of `estimates.json`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ConfidenceInterval {
    /// Criterion's `confidence_level`, 0.95 unless the bench changed it.
    pub confidence_level: f64,
    /// The interval's lower bound.
    pub lower_bound: f64,
    /// The interval's upper bound.
    pub upper_bound: f64,
}

/// `estimates.json`: Criterion's bootstrapped statistics of one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimates {
    /// The mean time per iteration.
    pub mean: Estimate,
    /// The median time per iteration.
    pub median: Estimate,
    /// The median absolute deviation.
    pub median_abs_dev: Estimate,
    /// The slope of time over iterations; `None` in flat sampling mode.
    pub slope: Option<Estimate>,
    /// The standard deviation of the time per iteration.
    pub std_dev: Estimate,
}

/// How Criterion chose the iteration counts of the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SamplingMode {
    /// Sample `i` ran `i * d` iterations.
    Linear,
    /// Every sample ran the same number of iterations.
    Flat,
}

/// `sample.json`: the raw samples.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sample {
    /// How the iteration counts were chosen.
    pub sampling_mode: SamplingMode,
    /// Iterations in each sample.
    pub iters: Vec<f64>,
    /// Total nanoseconds of each sample.
    pub times: Vec<f64>,
}

impl Sample {
    /// Each sample's time per iteration, in nanoseconds: `times[i] / iters[i]`.
    pub fn per_iteration_ns(&self) -> Vec<f64> {
        self.times.iter().zip(&self.iters).map(|(time, iters)| time / iters).collect()
    }

    /// Why these samples cannot be used, if they cannot.
    fn defect(&self) -> Option<String> {
        if self.times.is_empty() {
            Some("it holds no samples".to_owned())
        } else if self.times.len() != self.iters.len() {
            Some(format!("it holds {} times but {} iteration counts", self.times.len(), self.iters.len()))
        } else if self.iters.iter().any(|&iters| !(iters.is_finite() && iters > 0.0)) {
            Some("an iteration count is not a positive number".to_owned())
        } else if self.times.iter().any(|&time| !(time.is_finite() && time >= 0.0)) {
            Some("a sample time is negative or not finite".to_owned())
        } else {
            // Finite inputs can still divide to infinity (1e300 ns over 1e-300 iterations), which
            // summary.json could only write as a null its readers refuse.
            let (index, (time, iters)) = self
                .times
                .iter()
                .zip(&self.iters)
                .enumerate()
                .find(|(_, (time, iters))| !(*time / *iters).is_finite())?;
            Some(format!(
                "sample {index}'s time per iteration is not finite ({time:e} ns over {iters:e} iterations)"
            ))
        }
    }
}

impl Estimates {
    /// Why these estimates cannot be used, if they cannot.
    fn defect(&self) -> Option<String> {
        let named = [("mean", &self.mean), ("median", &self.median), ("std_dev", &self.std_dev)];
        named.into_iter().find_map(|(name, estimate)| {
            let interval = &estimate.confidence_interval;
            let values = [
                estimate.point_estimate,
                interval.lower_bound,
                interval.upper_bound,
                interval.confidence_level,
            ];
            if !values.iter().all(|value| value.is_finite() && *value >= 0.0) {
                return Some(format!("its {name} is negative or not finite"));
            }
            (interval.lower_bound > interval.upper_bound).then(|| {
                format!(
                    "its {name}'s confidence interval is reversed: the lower bound {} is above the \
                     upper bound {}",
                    interval.lower_bound, interval.upper_bound
                )
            })
        })
    }
}

/// One benchmark as Criterion left it: the three files of its `new/` directory (or of a named
/// baseline's, for [`read_baseline`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    /// `benchmark.json`.
    pub id: BenchmarkId,
    /// `estimates.json`.
    pub estimates: Estimates,
    /// `sample.json`.
    pub sample: Sample,
    /// The benchmark's directory (the one holding `new/` and the baselines), relative to the
    /// Criterion directory.
    pub directory: PathBuf,
    /// Criterion's own page for this benchmark, relative to the Criterion directory, when it
    /// exists (Criterion writes none when run without plots).
    pub page: Option<PathBuf>,
    /// Whether the machine was quiet while it was measured: from poolbench's load file of the
    /// benchmark ([`LoadFile`](crate::schema::LoadFile)), when it keeps this measurement;
    /// otherwise not measured, and why.
    pub load: Quietness,
    /// What the configuration held in memory, from the same load file's measurement; `None`
    /// when memory was not sampled or the load is not measured.
    pub memory: Option<crate::schema::Memory>,
}

/// Everything read from one Criterion directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// The benchmarks that could be read, ordered by directory.
    pub benchmarks: Vec<Benchmark>,
    /// The benchmarks that could not, with the file and the reason.
    pub skipped: Vec<Skipped>,
}

/// Reads every benchmark under `dir`: each directory holding `new/benchmark.json`, with the
/// `estimates.json` and `sample.json` beside it.
///
/// A benchmark whose files are missing, truncated, malformed, not regular files or larger than
/// [`MAX_FILE_BYTES`] is skipped and listed with the file and the reason; reading goes on.
/// [`Reader`] sets other bounds.
///
/// # Errors
///
/// [`Error`] "no Criterion results at ..." when `dir` does not exist or holds no benchmark, and
/// an error naming the directory when it cannot be walked at all.
pub fn read(dir: &Path) -> Result<Results, Error> {
    Reader::new().read(dir)
}

/// Reads the baseline `name` that `cargo bench -- --save-baseline NAME` left under `dir`: every
/// directory holding `NAME/benchmark.json`, with the `estimates.json` and `sample.json` beside it.
/// `read_baseline(dir, "new")` is [`read`].
///
/// Bad benchmarks are skipped and listed, as by [`read`]; [`Benchmark::directory`] and
/// [`Benchmark::page`] are the same as for the latest results.
///
/// # Errors
///
/// [`Error`] "no Criterion baseline ..." (for which [`Error::is_no_results`] holds) when `dir`
/// holds no benchmark with that baseline, or `name` cannot be a baseline's directory name;
/// an error naming the directory when it cannot be walked at all.
pub fn read_baseline(dir: &Path, name: &str) -> Result<Results, Error> {
    Reader::new().read_baseline(dir, name)
}

/// Criterion's name for the directory of the latest results.
const LATEST: &str = "new";
