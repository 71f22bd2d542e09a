//! What a benchmark leaves once Criterion has saved it: its load file beside Criterion's files,
//! and an entry in the run's ledger, which the end of the run reads to measure the disturbed ones
//! again.
//!
//! The load file goes where Criterion put the measurement (`criterion::latest_dir`), only when
//! Criterion's `new/sample.json` ends with the very sample this process timed last: a mode that
//! saves nothing (`--test`, `--profile-time`, `--discard-baseline`) gets no load file and no
//! entry. It goes into `new/` and into each baseline Criterion copied `new/` into.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::criterion::{copies_of_latest, last_sample, latest_dir};
use crate::schema::{LOAD_VERSION, LastSample, Load, LoadFile};

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
}

/// Every benchmark measured in this process, in the order of their first measurement.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    entries: Vec<Measured>,
}

impl Ledger {
    /// Records a measurement of `id` and returns its attempt number, one more than the last: the
    /// count and the figures change together.
    fn record(&mut self, id: &str, load: Load, threads: u32, took: Duration) -> u32 {
        match self.entries.iter_mut().find(|entry| entry.id == id) {
            Some(entry) => {
                entry.attempts += 1;
                entry.load = load;
                entry.took = took;
                entry.attempts
            }
            None => {
                self.entries.push(Measured { id: id.to_owned(), load, attempts: 1, threads, took });
                1
            }
        }
    }

    /// Drops `id`: nothing on disk says it was measured.
    fn forget(&mut self, id: &str) {
        self.entries.retain(|entry| entry.id != id);
    }
}

static LEDGER: Mutex<Ledger> = Mutex::new(Ledger { entries: Vec::new() });

/// What this process measured so far.
pub(crate) fn measured() -> Vec<Measured> {
    LEDGER.lock().unwrap_or_else(PoisonError::into_inner).entries.clone()
}

/// The names Criterion knows a benchmark by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Names<'a> {
    /// `group/function/value`.
    pub full_id: &'a str,
    /// The group.
    pub group: &'a str,
    /// The function, when the id has one.
    pub function: Option<&'a str>,
    /// The value, when the id has one.
    pub value: Option<&'a str>,
}

/// What Group knows once Criterion has run a benchmark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timed {
    /// The window's load.
    pub load: Load,
    /// The threads or processes it ran at once.
    pub threads: u32,
    /// The last call Criterion made: its iterations and the time the routine returned.
    pub last: (u64, Duration),
    /// The whole benchmark, set-up and analysis included.
    pub took: Duration,
}

/// Writes the load file of the benchmark `names` beside what Criterion saved of it under
/// `criterion_dir`, and records it in the ledger; nothing when Criterion saved nothing of this
/// measurement. A file that cannot be written is said on stderr: the report then says the
/// benchmark was not measured.
pub(crate) fn save(criterion_dir: &Path, names: Names<'_>, timed: Timed) {
    let Some(dir) = latest_dir(criterion_dir, names.group, names.function, names.value, names.full_id) else {
        return;
    };
    let (iters, time) = timed.last;
    let last = LastSample { iters: iters as f64, ns: time.as_nanos() as f64 };
    if last_sample(&dir) != Some((last.iters, last.ns)) {
        return;
    }
    let attempts = LEDGER.lock().unwrap_or_else(PoisonError::into_inner).record(
        names.full_id,
        timed.load,
        timed.threads,
        timed.took,
    );
    let file = LoadFile {
        load_version: LOAD_VERSION,
        benchmark: names.full_id.to_owned(),
        last_sample: last,
        attempts,
        load: timed.load,
    };
    let latest = dir.join("new");
    for target in std::iter::once(latest.clone()).chain(copies_of_latest(&dir)) {
        if let Err(err) = file.write(&target) {
            eprintln!(
                "poolbench: {}: cannot write its load file in {}: {err}; the report will say it was not measured",
                names.full_id,
                target.display()
            );
            if target == latest {
                LEDGER.lock().unwrap_or_else(PoisonError::into_inner).forget(names.full_id);
                return;
            }
        }
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
        assert_eq!(ledger.record("g/a", load(1.0), 2, second), 1);
        assert_eq!(ledger.record("g/b", load(0.0), 2, second), 1);
        assert_eq!(ledger.record("g/a", load(0.0), 2, second), 2);
        assert_eq!(ledger.entries.iter().map(|entry| entry.id.as_str()).collect::<Vec<_>>(), ["g/a", "g/b"]);
        assert!(!ledger.entries[0].load.is_disturbed());
        ledger.forget("g/a");
        assert_eq!(ledger.entries.iter().map(|entry| entry.id.as_str()).collect::<Vec<_>>(), ["g/b"]);
    }
}
