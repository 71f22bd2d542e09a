//! What a benchmark leaves once Criterion has measured it: a record in its load file
//! (`schema::LoadFile`, in poolbench's own `poolbench-load/` beside Criterion's directories, keyed
//! by the benchmark's id and the last sample it timed), and an entry in the run's ledger, which
//! the end of the run reads to measure the disturbed ones again and the history to know what this
//! run measured. A run that keeps nothing (`--test`, `--list`, `--profile-time`) records nothing.
//! Which baselines Criterion copied the measurement into is not poolbench's business: a reader
//! finds the record by the last sample of the `sample.json` it has.

use std::path::Path;
use std::time::Duration;

use crate::schema::{LastSample, Load, LoadFile, LoadRecord, Memory};

/// One benchmark measured in this process: its latest attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measured {
    /// Its full id, which Criterion's exact filter matches.
    pub id: String,
    /// The load of its latest measurement.
    pub load: Load,
    /// How many times it was measured.
    pub attempts: u32,
    /// The threads or processes it runs at once, for judging a probe of the machine.
    pub threads: u32,
    /// How long its latest run took, set-up and Criterion's analysis included.
    pub took: Duration,
    /// The last sample its latest measurement timed: what identifies the measurement in
    /// Criterion's `sample.json`, for the history.
    pub last: LastSample,
}

/// Every benchmark measured in this process, in the order of their first measurement.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    entries: Vec<Measured>,
}

impl Ledger {
    /// An empty ledger.
    pub const fn new() -> Self {
        Ledger { entries: Vec::new() }
    }

    /// Records a measurement of `id` and returns its attempt number, one more than the last: the
    /// count and the figures change together.
    fn record(&mut self, id: &str, load: Load, threads: u32, took: Duration, last: LastSample) -> u32 {
        match self.entries.iter_mut().find(|entry| entry.id == id) {
            Some(entry) => {
                entry.attempts += 1;
                entry.load = load;
                entry.took = took;
                entry.last = last;
                entry.attempts
            }
            None => {
                self.entries.push(Measured { id: id.to_owned(), load, attempts: 1, threads, took, last });
                1
            }
        }
    }

    /// Drops `id`: nothing on disk says it was measured.
    fn forget(&mut self, id: &str) {
        self.entries.retain(|entry| entry.id != id);
    }
}

/// What this run measured so far.
pub(crate) fn measured() -> Vec<Measured> {
    super::run::with(|run| run.ledger.entries.clone())
}

/// What Group knows once Criterion has run a benchmark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timed {
    /// The window's load.
    pub load: Load,
    /// The window's memory, when it was sampled.
    pub memory: Option<Memory>,
    /// The threads or processes it ran at once.
    pub threads: u32,
    /// The last call Criterion made: its iterations and the time the routine returned.
    pub last: (u64, Duration),
    /// The whole benchmark, set-up and analysis included.
    pub took: Duration,
}

/// Records the measurement of `full_id` just taken: its load, and the last sample it
/// timed, in its load file in `criterion_dir` and in the run's ledger (attempts counted).
pub(crate) fn save(criterion_dir: &Path, full_id: &str, timed: Timed) {
    if !super::interleave::keeps_measurements() {
        return;
    }
    let (iters, time) = timed.last;
    let last = LastSample { iters: iters as f64, ns: time.as_nanos() as f64 };
    let attempts =
        super::run::with(|run| run.ledger.record(full_id, timed.load, timed.threads, timed.took, last));
    let record = LoadRecord { last_sample: last, attempts, load: timed.load, memory: timed.memory };
    if let Err(err) = LoadFile::record(criterion_dir, full_id, record) {
        eprintln!(
            "poolbench: {}: cannot write its load file in {}: {err}; the report will say it was not measured",
            full_id,
            criterion_dir.display()
        );
        super::run::with(|run| run.ledger.forget(full_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Times;

    fn load(others_seconds: f64) -> Load {
        Load::judge(Times::two_cores(1.0, 1.0, 1.0 + others_seconds, 0.0), 2, 0.15)
    }

    #[test]
    fn the_ledger_counts_attempts_and_keeps_the_latest_figures() {
        let mut ledger = Ledger::default();
        let second = Duration::from_secs(1);
        assert_eq!(ledger.record("g/a", load(1.0), 2, second, LastSample { iters: 1.0, ns: 1.0 }), 1);
        assert_eq!(ledger.record("g/b", load(0.0), 2, second, LastSample { iters: 1.0, ns: 1.0 }), 1);
        assert_eq!(ledger.record("g/a", load(0.0), 2, second, LastSample { iters: 1.0, ns: 1.0 }), 2);
        assert_eq!(ledger.entries.iter().map(|entry| entry.id.as_str()).collect::<Vec<_>>(), ["g/a", "g/b"]);
        assert!(!ledger.entries[0].load.is_disturbed());
        ledger.forget("g/a");
        assert_eq!(ledger.entries.iter().map(|entry| entry.id.as_str()).collect::<Vec<_>>(), ["g/b"]);
    }
}
