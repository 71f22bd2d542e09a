//! The load files, `poolbench-load/<benchmark>.json`: how busy the machine was while a benchmark
//! was measured, and whether that leaves its numbers standing.
//!
//! [`Group`](crate::bench::Group) records each measurement in the load file of its benchmark, in
//! poolbench's own directory beside Criterion's (`poolbench-load/` in the Criterion directory;
//! the file name is the id made file-safe, with a hash of it). The file keeps the last
//! [`KEPT_MEASUREMENTS`] measurements, newest first, each with the last sample of the measurement
//! it describes: a reader takes, for the `sample.json` it has (Criterion's `new/`, or a baseline
//! it copied there: `base/`, a `--save-baseline` name), the measurement whose last sample is that
//! file's, and none when no measurement matches (the benchmark was measured by other means
//! since: Criterion alone). So poolbench never has to know where Criterion put a benchmark, nor
//! which baselines it copied. The window is the benchmark's warm-up and measurement, from its
//! first timed call to the end of its last: not the set-up before, nor Criterion's analysis after.
//!
//! ```json
//! {"load_version": 2, "benchmark": "pools/cpu-spin/StdPool/2",
//!  "measurements": [{"last_sample": {"iters": 160.0, "ns": 40961122.0}, "attempts": 1,
//!    "load": {"wall_seconds": 1.04, "cores": 2, "usable_cores": 2, "process_cpu_seconds": 2.01,
//!             "children_cpu_seconds": 0.0, "processes": 0, "machine_busy_seconds": 2.05,
//!             "steal_seconds": 0.0, "involuntary_switches": 41, "others_share": 0.019,
//!             "steal_share": 0.0, "disturbance": 0.019, "threshold": 0.15}}]}
//! ```
//!
//! A measurement may also hold `memory`, what the configuration held in memory ([`Memory`]:
//! the process tree's proportional set size before the executor started, at steady state and at
//! its peak), absent when it was not sampled.
//!
//! What the figures mean, and how the verdict follows from them, is [`Load`]'s documentation and
//! `reports/README.md`, "The load file".

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Source;
use super::{Memory, Row};

/// The load files' directory, in the Criterion directory.
pub const LOAD_DIR: &str = "poolbench-load";

/// The version of the load file's format: 2 since the files moved out of Criterion's directories
/// into [`LOAD_DIR`], one per benchmark holding its recent measurements.
pub const LOAD_VERSION: u32 = 2;

/// The largest load file read: [`KEPT_MEASUREMENTS`] of a few hundred bytes are written.
pub const MAX_LOAD_FILE_BYTES: u64 = 64 << 10;

/// The measurements a load file keeps, newest first: enough for the baselines a run saves beside
/// `new/` to find theirs for several runs.
pub const KEPT_MEASUREMENTS: usize = 8;

/// How much a process's CPU time read in clock ticks (10 ms) can be over the truth, twice (the
/// start and the end of a window), with room for the few processes that reap others: what
/// The longest window a load may cover: a week. One benchmark's measurement, however long
/// Criterion is told to take, never comes near it; a file that says more was not written by a
/// measurement (`1e308` seconds made any CPU time look quiet).
const MAX_WINDOW_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// [`Load`]'s check allows its CPU time above `wall_seconds × cores`.
const TICK_SLACK_SECONDS: f64 = 0.05;

/// The machine while one benchmark was measured. Every time is in seconds over the window.
///
/// The verdict: other programs' CPU time is the machine's busy time less the benchmark's own
/// (its process and the processes it started). Other programs are taken to use first the cores
/// the benchmark would leave idle (`cores − usable_cores`); what they take beyond those, plus the
/// hypervisor's steal, over `usable_cores`, is the [`disturbance`](Self::disturbance). Above
/// [`threshold`](Self::threshold) the benchmark is disturbed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Load {
    /// The window's figures, as measured.
    #[serde(flatten)]
    pub times: Times,
    /// The cores the benchmark could have used: as many as it runs threads or processes at once
    /// (its pool size, 1 for Sequential; every core unless told), at most `cores`.
    pub usable_cores: u32,
    /// Other programs' CPU time over the machine's (`wall_seconds × cores`), from 0 to 1.
    pub others_share: f64,
    /// The hypervisor's steal over the machine's time, from 0 to 1.
    pub steal_share: f64,
    /// The share of the usable cores that other programs and the hypervisor took, from 0 to 1.
    pub disturbance: f64,
    /// The disturbance above which the benchmark is disturbed, when it was judged.
    pub threshold: f64,
}

/// What a window measured, before [`Load::judge`] derives the shares; in the load file, the
/// first fields of its `load` object. Every time is in seconds over the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Times {
    /// The window: warm-up and measurement.
    pub wall_seconds: f64,
    /// The machine's CPUs (`/proc/stat`).
    pub cores: u32,
    /// The benchmark process's CPU time, every thread (`getrusage`).
    pub process_cpu_seconds: f64,
    /// The CPU time of the processes it started (a process pool's workers, the fork server, the
    /// processes of `SpawnPerTask`) and of their children, alive or reaped.
    pub children_cpu_seconds: f64,
    /// How many such processes were seen in the window.
    pub processes: u32,
    /// The whole machine's busy time, every CPU: `user + nice + system + irq + softirq` of
    /// `/proc/stat`.
    pub machine_busy_seconds: f64,
    /// The time the hypervisor gave this machine's CPUs to others while they had work: `steal`.
    pub steal_seconds: f64,
    /// Involuntary context switches of the benchmark process, the children it reaped, and the
    /// main thread of each process it started that was alive at the end.
    pub involuntary_switches: u64,
}

#[cfg(test)]
impl Times {
    /// A window of `wall` s on 2 cores in which the benchmark's process took `own` s of CPU and
    /// the machine `busy` s, `steal` s stolen: the figures the unit tests judge.
    pub(crate) fn two_cores(wall: f64, own: f64, busy: f64, steal: f64) -> Times {
        Times {
            wall_seconds: wall,
            cores: 2,
            process_cpu_seconds: own,
            children_cpu_seconds: 0.0,
            processes: 0,
            machine_busy_seconds: busy,
            steal_seconds: steal,
            involuntary_switches: 0,
        }
    }
}

impl Load {
    /// The load of `times` for a benchmark that runs `threads` threads or processes at once,
    /// judged against `threshold`: the shares and the disturbance derived as [`Load`] says.
    pub fn judge(times: Times, threads: u32, threshold: f64) -> Load {
        let cores = times.cores.max(1);
        let usable = threads.clamp(1, cores);
        let capacity = times.wall_seconds * f64::from(cores);
        let own = times.process_cpu_seconds + times.children_cpu_seconds;
        let others = (times.machine_busy_seconds - own).max(0.0);
        let share = |seconds: f64| if capacity > 0.0 { (seconds / capacity).clamp(0.0, 1.0) } else { 0.0 };
        let disturbance = if times.wall_seconds > 0.0 {
            let spare = f64::from(cores - usable);
            let taken =
                (others / times.wall_seconds - spare).max(0.0) + times.steal_seconds / times.wall_seconds;
            (taken / f64::from(usable)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Load {
            times: Times { cores, ..times },
            usable_cores: usable,
            others_share: share(others),
            steal_share: share(times.steal_seconds),
            disturbance,
            threshold,
        }
    }

    /// The benchmark's own CPU time: its process's and its descendants'.
    pub fn own_cpu_seconds(&self) -> f64 {
        self.times.process_cpu_seconds + self.times.children_cpu_seconds
    }

    /// How many cores the benchmark kept busy on average: its own CPU time over the window.
    pub fn busy_cores(&self) -> f64 {
        if self.times.wall_seconds > 0.0 { self.own_cpu_seconds() / self.times.wall_seconds } else { 0.0 }
    }

    /// Whether other programs or the hypervisor took more than the threshold of its usable cores.
    pub fn is_disturbed(&self) -> bool {
        self.disturbance > self.threshold
    }

    /// Why these figures cannot be true, if they cannot: a phrase naming the field.
    pub(crate) fn defect(&self) -> Option<String> {
        let seconds = [
            ("wall_seconds", self.times.wall_seconds),
            ("process_cpu_seconds", self.times.process_cpu_seconds),
            ("children_cpu_seconds", self.times.children_cpu_seconds),
            ("machine_busy_seconds", self.times.machine_busy_seconds),
            ("steal_seconds", self.times.steal_seconds),
        ];
        if let Some((name, value)) = seconds.iter().find(|(_, value)| !(value.is_finite() && *value >= 0.0)) {
            return Some(format!("its {name} {value} is not a time: negative or not finite"));
        }
        if self.times.wall_seconds > MAX_WINDOW_SECONDS {
            return Some(format!(
                "its wall_seconds {} is longer than any benchmark's window (at most {MAX_WINDOW_SECONDS} s, a week)",
                self.times.wall_seconds
            ));
        }
        let shares = [
            ("others_share", self.others_share),
            ("steal_share", self.steal_share),
            ("disturbance", self.disturbance),
        ];
        if let Some((name, value)) = shares.iter().find(|(_, value)| !(0.0..=1.0).contains(value)) {
            return Some(format!("its {name} {value} is not a share from 0 to 1"));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Some(format!("its threshold {} is not between 0 and 1", self.threshold));
        }
        if self.times.cores == 0 || self.usable_cores == 0 || self.usable_cores > self.times.cores {
            return Some(format!(
                "its usable_cores {} is not from 1 to its cores {}",
                self.usable_cores, self.times.cores
            ));
        }
        let capacity = self.times.wall_seconds * f64::from(self.times.cores);
        if self.own_cpu_seconds() > capacity + TICK_SLACK_SECONDS {
            return Some(format!(
                "its own CPU time {:.3} s is more than {} cores can give in its {:.3} s",
                self.own_cpu_seconds(),
                self.times.cores,
                self.times.wall_seconds
            ));
        }
        None
    }
}

/// The last sample of a measurement, as Criterion's `sample.json` holds it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LastSample {
    /// Its iteration count.
    pub iters: f64,
    /// Its time, ns.
    pub ns: f64,
}

/// One benchmark's load file: its recent measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadFile {
    /// [`LOAD_VERSION`] when written.
    pub load_version: u32,
    /// The benchmark's full id.
    pub benchmark: String,
    /// At most [`KEPT_MEASUREMENTS`], newest first.
    pub measurements: Vec<LoadRecord>,
}

/// One measurement of a benchmark and the machine while it was taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadRecord {
    /// The last sample of the measurement it describes.
    pub last_sample: LastSample,
    /// How many times the run measured the benchmark, this measurement included: above 1 when
    /// it was disturbed and measured again.
    pub attempts: u32,
    /// The machine while it was measured.
    pub load: Load,
    /// What the configuration held in memory ([`Memory`]); absent when it was not sampled
    /// (`POOLBENCH_MEMORY=0`, or written before poolbench sampled memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
}

impl LoadFile {
    /// The load file of `benchmark` in `criterion_dir`.
    pub fn path(criterion_dir: &Path, benchmark: &str) -> PathBuf {
        super::case::group_file(criterion_dir, LOAD_DIR, benchmark)
    }

    /// The measurement whose last sample is `last`, if the file still keeps it.
    pub fn find(&self, last: LastSample) -> Option<&LoadRecord> {
        self.measurements.iter().find(|record| record.last_sample == last)
    }

    /// Adds `record` to the load file of `benchmark` in `criterion_dir`, newest first, keeping at
    /// most [`KEPT_MEASUREMENTS`]; a record of the same last sample (the same measurement) is
    /// replaced. Under an exclusive lock on the directory's `.lock`, so that two runs at once each
    /// add theirs.
    ///
    /// # Errors
    ///
    /// The directory, its lock or the file cannot be written. A file there that cannot be read is
    /// replaced.
    pub fn record(criterion_dir: &Path, benchmark: &str, record: LoadRecord) -> std::io::Result<()> {
        let dir = criterion_dir.join(LOAD_DIR);
        std::fs::create_dir_all(&dir)?;
        let _lock = crate::fs::Lock::exclusive_on(&dir.join(".lock"))?;
        let mut file = LoadFile::read(criterion_dir, benchmark).ok().flatten().unwrap_or(LoadFile {
            load_version: LOAD_VERSION,
            benchmark: benchmark.to_owned(),
            measurements: Vec::new(),
        });
        file.measurements.retain(|kept| kept.last_sample != record.last_sample);
        file.measurements.insert(0, record);
        file.measurements.truncate(KEPT_MEASUREMENTS);
        let text = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        crate::fs::write_atomically(&LoadFile::path(criterion_dir, benchmark), &text)
    }

    /// Reads the load file of `benchmark` in `criterion_dir`; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// Why the file there cannot be used, as a phrase naming it: unreadable, not a load file,
    /// another version or another benchmark's, or a measurement whose figures cannot be true.
    pub fn read(criterion_dir: &Path, benchmark: &str) -> Result<Option<LoadFile>, String> {
        let path = LoadFile::path(criterion_dir, benchmark);
        let text = match crate::fs::read_regular_file(&path, MAX_LOAD_FILE_BYTES) {
            Ok(text) => text,
            Err(crate::fs::ReadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(err) => return Err(format!("{} cannot be read: {err}", path.display())),
        };
        let file: LoadFile = serde_json::from_slice(&text)
            .map_err(|err| format!("{} is not a poolbench load file ({err})", path.display()))?;
        if file.load_version != LOAD_VERSION {
            return Err(format!(
                "{} has load version {}; this poolbench reads {LOAD_VERSION}",
                path.display(),
                file.load_version
            ));
        }
        if file.benchmark != benchmark {
            return Err(format!(
                "{} is the load file of {}, not {benchmark}",
                path.display(),
                file.benchmark
            ));
        }
        for record in &file.measurements {
            if record.attempts == 0 {
                return Err(format!("{} counts 0 attempts: not a measurement", path.display()));
            }
            if let Some(defect) = record.load.defect() {
                return Err(format!("{}: {defect}", path.display()));
            }
            if let Some(defect) = record.memory.as_ref().and_then(Memory::defect) {
                return Err(format!("{}: its memory: {defect}", path.display()));
            }
        }
        Ok(Some(file))
    }
}

/// A benchmark's load as the report holds it: measured and judged, or not measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// How many times the run measured it (above 1: measured again).
    pub attempts: u32,
    /// The figures of the measurement kept.
    #[serde(flatten)]
    pub load: Load,
}

/// Whether the machine was quiet while a benchmark was measured: a row's `load` in
/// `summary.json`, `{"verdict": "quiet" | "disturbed", "attempts", ...the figures}` or
/// `{"verdict": "not_measured", "reason"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Quietness {
    /// Other programs left it its cores.
    Quiet(Measurement),
    /// Other programs or the hypervisor took more than the threshold of its cores.
    Disturbed(Measurement),
    /// No load file describes the measurement, and why.
    NotMeasured {
        /// Why: no load file (measured outside poolbench's bench API, or before it measured the
        /// load), or one that cannot be used.
        reason: String,
    },
}

impl Default for Quietness {
    /// What a row of a `summary.json` written before load was measured holds.
    fn default() -> Self {
        Quietness::not_measured("the summary was written before poolbench measured the machine's load")
    }
}

impl Quietness {
    /// `load`, measured `attempts` times, with its verdict.
    pub fn judged(load: Load, attempts: u32) -> Self {
        let measurement = Measurement { attempts, load };
        if load.is_disturbed() { Quietness::Disturbed(measurement) } else { Quietness::Quiet(measurement) }
    }

    /// Not measured, for `reason`.
    pub fn not_measured(reason: impl Into<String>) -> Self {
        Quietness::NotMeasured { reason: reason.into() }
    }

    /// The measurement, when there is one.
    pub fn measurement(&self) -> Option<&Measurement> {
        match self {
            Quietness::Quiet(measurement) | Quietness::Disturbed(measurement) => Some(measurement),
            Quietness::NotMeasured { .. } => None,
        }
    }

    /// Whether the benchmark was disturbed.
    pub fn is_disturbed(&self) -> bool {
        matches!(self, Quietness::Disturbed(_))
    }

    /// Whether it was measured more than once.
    pub fn measured_again(&self) -> bool {
        self.measurement().is_some_and(|measurement| measurement.attempts > 1)
    }

    /// The verdict as `summary.json` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Quietness::Quiet(_) => "quiet",
            Quietness::Disturbed(_) => "disturbed",
            Quietness::NotMeasured { .. } => "not_measured",
        }
    }

    /// Why the load cannot be true, if it cannot: figures out of range, or a verdict they do not
    /// give.
    pub(crate) fn defect(&self) -> Option<String> {
        let measurement = self.measurement()?;
        if let Some(defect) = measurement.load.defect() {
            return Some(format!("its load: {defect}"));
        }
        if measurement.attempts == 0 {
            return Some("its load counts 0 attempts".to_owned());
        }
        (measurement.load.is_disturbed() != self.is_disturbed()).then(|| {
            format!(
                "its load says {} but its disturbance {} is {} its threshold {}",
                self.name(),
                measurement.load.disturbance,
                if measurement.load.is_disturbed() { "above" } else { "not above" },
                measurement.load.threshold
            )
        })
    }
}

/// How quiet a run was, over poolbench's own rows: what the report's line near the top counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuietTally {
    /// Rows counted (the Python peers' are not: their script does not measure the load).
    pub benchmarks: usize,
    /// Measured quiet.
    pub quiet: usize,
    /// The ids of the rows still disturbed.
    pub disturbed: Vec<String>,
    /// Rows without a load.
    pub not_measured: usize,
    /// Rows measured more than once.
    pub measured_again: usize,
}

impl QuietTally {
    /// The tally of `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> QuietTally {
        let mut tally = QuietTally::default();
        for row in rows.into_iter().filter(|row| row.source == Source::Criterion) {
            tally.benchmarks += 1;
            tally.measured_again += usize::from(row.load.measured_again());
            match &row.load {
                Quietness::Quiet(_) => tally.quiet += 1,
                Quietness::Disturbed(_) => tally.disturbed.push(row.id.clone()),
                Quietness::NotMeasured { .. } => tally.not_measured += 1,
            }
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_programs_count_against_a_benchmark_only_beyond_the_cores_it_leaves_idle() {
        // One other program on the core Sequential leaves idle: no disturbance.
        let beside = Load::judge(Times::two_cores(1.0, 1.0, 2.0, 0.0), 1, 0.15);
        assert_eq!((beside.others_share, beside.disturbance, beside.is_disturbed()), (0.5, 0.0, false));
        // Two, sharing both cores with it: it got two thirds of its core.
        let crowded = Load::judge(Times::two_cores(1.0, 2.0 / 3.0, 2.0, 0.0), 1, 0.15);
        assert!((crowded.disturbance - 1.0 / 3.0).abs() < 1e-9 && crowded.is_disturbed(), "{crowded:?}");
        // A pool of two that kept one core while another program took the other.
        let pool = Load::judge(Times::two_cores(1.0, 1.0, 2.0, 0.0), 2, 0.15);
        assert!((pool.disturbance - 0.5).abs() < 1e-9 && (pool.busy_cores() - 1.0).abs() < 1e-9, "{pool:?}");
        // Steal counts whatever the cores.
        let stolen = Load::judge(Times::two_cores(1.0, 1.0, 1.0, 0.3), 1, 0.15);
        assert!((stolen.disturbance - 0.3).abs() < 1e-9 && (stolen.steal_share - 0.15).abs() < 1e-9);
        // A pool larger than the machine can use every core, and no more.
        assert_eq!(Load::judge(Times::two_cores(1.0, 2.0, 2.0, 0.0), 8, 0.15).usable_cores, 2);
        assert_eq!(beside.defect(), None);
    }

    #[test]
    fn figures_that_cannot_be_true_are_named() {
        let good = Load::judge(Times::two_cores(1.0, 1.0, 1.2, 0.0), 2, 0.15);
        type Damage = fn(&mut Load);
        let cases: [(Damage, &str); 5] = [
            (|load| load.disturbance = 1.5, "its disturbance 1.5 is not a share"),
            (|load| load.times.wall_seconds = 1e308, "is longer than any benchmark's window"),
            (|load| load.times.wall_seconds = f64::NAN, "its wall_seconds NaN is not a time"),
            (|load| load.times.process_cpu_seconds = 3.0, "more than 2 cores can give"),
            (|load| load.usable_cores = 3, "usable_cores 3 is not from 1 to its cores 2"),
        ];
        for (damage, expected) in cases {
            let mut load = good;
            damage(&mut load);
            let defect = load.defect().expect(expected);
            assert!(defect.contains(expected), "{defect}");
        }
        let mut lying = Quietness::judged(good, 1);
        if let Quietness::Quiet(measurement) = &mut lying {
            measurement.load.disturbance = 0.5;
        }
        assert!(lying.defect().expect("a quiet verdict above the threshold").contains("says quiet"));
    }

    #[test]
    fn a_load_file_keeps_the_recent_measurements_newest_first_and_finds_one_by_its_last_sample() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(LoadFile::read(dir.path(), "g/f/2"), Ok(None));
        let load = Load::judge(Times::two_cores(1.0, 1.0, 1.5, 0.0), 2, 0.15);
        let record = |ns: f64| LoadRecord {
            last_sample: LastSample { iters: 160.0, ns },
            attempts: 1,
            load,
            memory: None,
        };
        for ns in 0..10 {
            LoadFile::record(dir.path(), "g/f/2", record(f64::from(ns))).expect("recorded");
        }
        // The same measurement again (measured again: its attempts counted) replaces its record.
        LoadFile::record(dir.path(), "g/f/2", LoadRecord { attempts: 2, ..record(9.0) }).expect("recorded");
        let file = LoadFile::read(dir.path(), "g/f/2").expect("reads").expect("there");
        let kept: Vec<f64> = file.measurements.iter().map(|record| record.last_sample.ns).collect();
        assert_eq!(kept, [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0]);
        assert_eq!(file.find(LastSample { iters: 160.0, ns: 9.0 }).map(|record| record.attempts), Some(2));
        assert_eq!(file.find(LastSample { iters: 160.0, ns: 1.0 }), None, "no longer kept");
        assert_eq!(LoadFile::read(dir.path(), "g/f/3"), Ok(None), "another benchmark has its own file");
        std::fs::write(LoadFile::path(dir.path(), "g/f/2"), "{").expect("written");
        assert!(LoadFile::read(dir.path(), "g/f/2").unwrap_err().contains("is not a poolbench load file"));
        LoadFile::record(dir.path(), "g/f/2", record(42.0)).expect("a broken file is replaced");
        assert_eq!(LoadFile::read(dir.path(), "g/f/2").expect("reads").expect("there").measurements.len(), 1);
    }

    #[test]
    fn the_verdict_is_the_tag_of_a_flat_object_in_json() {
        let load = Load::judge(Times::two_cores(1.0, 0.5, 2.0, 0.0), 2, 0.15);
        let value = serde_json::to_value(Quietness::judged(load, 2)).expect("encodes");
        assert_eq!((value["verdict"].as_str(), value["attempts"].as_u64()), (Some("disturbed"), Some(2)));
        assert_eq!(value["disturbance"].as_f64(), Some(0.75));
        let back: Quietness = serde_json::from_value(value).expect("decodes");
        assert_eq!(back, Quietness::judged(load, 2));
        let missing = serde_json::to_value(Quietness::not_measured("no file")).expect("encodes");
        assert_eq!(missing, serde_json::json!({"verdict": "not_measured", "reason": "no file"}));
    }
}
