//! The two sides of a comparison: a `summary.json` file, or a Criterion baseline by name.
//!
//! A name that is an existing file is read as a `summary.json` ([`Summary::read`]); any other name is looked up as a baseline
//! (`cargo bench -- --save-baseline NAME`) in the Criterion directory, read and summarized as the
//! report would. A baseline records no machine: it is taken to be this machine, since a Criterion
//! directory is local, and records no commit.
//!
//! Several runs of one side, comma-separated (`base-1,base-2`), are pooled: each benchmark's
//! samples are put together and the input remembers where each run's begin ([`Input::runs`]),
//! so that the gate can treat the run, not the sample, as the unit that repeats
//! (`scripts/ci-bench.sh --rounds`; why: `statistic.rs`), and whether the machine was quiet for
//! each, so that the gate can leave the disturbed runs out. A pooled row keeps the first run's
//! Criterion estimates and load; the gate only reads the samples and each run's load.

use std::collections::BTreeMap;
use std::path::Path;

use super::Error;
use crate::criterion;
use crate::report;
use crate::schema::{Machine, Quietness, Row, Summary};

/// One side of a comparison: the results, and how to name them in a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// How the table names this side: the file, or the baseline and its directory.
    pub label: String,
    /// The results.
    pub summary: Summary,
    /// For a row pooled from several runs, by its key: how many samples each run gave, in
    /// order (they add up to the row's `samples_ns`), and whether the machine was quiet for each.
    /// A row not here came from one run, measured under its own `load`.
    pub runs: BTreeMap<String, Vec<PooledRun>>,
}

/// One run of a pooled row.
#[derive(Debug, Clone, PartialEq)]
pub struct PooledRun {
    /// How many of the row's samples it gave.
    pub samples: usize,
    /// Whether the machine was quiet while it was measured.
    pub load: Quietness,
}

impl PooledRun {
    /// The one run of `row`, as a side read from one file holds it.
    fn of(row: &Row) -> PooledRun {
        PooledRun { samples: row.samples_ns.len(), load: row.load.clone() }
    }
}

impl Input {
    /// A side made of a summary already in memory.
    pub fn new(label: impl Into<String>, summary: Summary) -> Self {
        Input { label: label.into(), summary, runs: BTreeMap::new() }
    }

    /// The samples of `row` (one of this side's), one slice per run with the run's load (one
    /// slice for a single run).
    pub fn runs_of<'a>(&'a self, row: &'a Row) -> Vec<(&'a [f64], &'a Quietness)> {
        let samples = row.samples_ns.as_slice();
        match self.runs.get(&row.key()) {
            Some(runs) if runs.iter().map(|run| run.samples).sum::<usize>() == samples.len() => {
                let mut rest = samples;
                runs.iter()
                    .map(|run| {
                        let (samples, after) = rest.split_at(run.samples);
                        rest = after;
                        (samples, &run.load)
                    })
                    .collect()
            }
            _ => vec![(samples, &row.load)],
        }
    }

    /// Reads `spec`: the path of a `summary.json`, or the name of a Criterion baseline under
    /// `criterion_dir`.
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the file (unreadable, not a summary, another schema version), or, when
    /// `spec` is neither a file nor a baseline, saying what was looked for and how to save the
    /// baseline.
    pub fn load(spec: &str, criterion_dir: &Path) -> Result<Input, Error> {
        if !Path::new(spec).is_file() && spec.contains(',') {
            let mut parts = spec.split(',').map(str::trim).filter(|part| !part.is_empty());
            let first = parts.next().ok_or_else(|| Error::not_found(spec, criterion_dir))?;
            let mut pooled = Input::load_one(first, criterion_dir)?;
            let mut names = vec![format!("`{first}`")];
            let mut all_baselines = !Path::new(first).is_file();
            for part in parts {
                pooled.pool(Input::load_one(part, criterion_dir)?)?;
                names.push(format!("`{part}`"));
                all_baselines &= !Path::new(part).is_file();
            }
            if all_baselines {
                pooled.label = format!("baselines {} in {}", names.join(", "), criterion_dir.display());
            }
            return Ok(pooled);
        }
        Input::load_one(spec, criterion_dir)
    }

    fn load_one(spec: &str, criterion_dir: &Path) -> Result<Input, Error> {
        let path = Path::new(spec);
        if path.is_file() {
            return Ok(Input::new(spec, Summary::read(path).map_err(Error::file)?));
        }
        let looks_like_a_path = spec.contains(['/', '\\']) || spec.ends_with(".json");
        if looks_like_a_path {
            return Err(Error::not_found(spec, criterion_dir));
        }
        let results = match criterion::read_baseline(criterion_dir, spec) {
            Ok(results) => results,
            Err(err) if err.is_no_results() => return Err(Error::not_found(spec, criterion_dir)),
            Err(err) => return Err(Error::criterion(err)),
        };
        let mut machine = Machine::detect();
        machine.git = None;
        let summary = report::summarize(&results, machine, criterion_dir);
        Ok(Input::new(format!("baseline `{spec}` in {}", criterion_dir.display()), summary))
    }
}

impl Input {
    /// Adds `other`'s samples to this side's, benchmark by benchmark; benchmarks only in `other`
    /// are added as they are.
    ///
    /// # Errors
    ///
    /// An [`Error`] when the two runs come from different machines: their samples are not of one
    /// distribution.
    pub fn pool(&mut self, mut other: Input) -> Result<(), Error> {
        let differences = super::fingerprint::differences(&self.summary.machine, &other.summary.machine);
        if !differences.is_empty() {
            return Err(Error::setting(format!(
                "cannot pool {} with {}: they come from different machines ({}); compare them instead",
                self.label,
                other.label,
                differences.join("; ")
            )));
        }
        self.label = format!("{} + {}", self.label, other.label);
        for group in other.summary.groups {
            let Some(mine) = self.summary.groups.iter_mut().find(|mine| mine.id == group.id) else {
                for row in &group.results {
                    if let Some(theirs) = other.runs.remove(&row.key()) {
                        self.runs.insert(row.key(), theirs);
                    }
                }
                self.summary.groups.push(group);
                continue;
            };
            for row in group.results {
                match mine.results.iter_mut().find(|mine| mine.key() == row.key()) {
                    Some(mine) => {
                        let theirs =
                            other.runs.remove(&row.key()).unwrap_or_else(|| vec![PooledRun::of(&row)]);
                        let runs = self.runs.entry(row.key()).or_insert_with(|| vec![PooledRun::of(mine)]);
                        runs.extend(theirs);
                        mine.samples_ns.extend(row.samples_ns);
                        mine.n += row.n;
                        mine.samples_thinned |= row.samples_thinned;
                    }
                    None => {
                        if let Some(theirs) = other.runs.remove(&row.key()) {
                            self.runs.insert(row.key(), theirs);
                        }
                        mine.results.push(row);
                    }
                }
            }
        }
        self.summary.skipped.extend(other.summary.skipped);
        Ok(())
    }
}
