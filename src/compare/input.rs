//! The two sides of a comparison: a `summary.json` file, or a Criterion baseline by name.
//!
//! A name that is an existing file is read as a `summary.json` ([`Summary::read`]); any other name is looked up as a baseline
//! (`cargo bench -- --save-baseline NAME`) in the Criterion directory, read and summarized as the
//! report would. A baseline records no machine: it is taken to be this machine, since a Criterion
//! directory is local, and records no commit.

use std::path::Path;

use super::Error;
use crate::criterion;
use crate::report;
use crate::schema::{Machine, Summary};

/// One side of a comparison: the results, and how to name them in a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// How the table names this side: the file, or the baseline and its directory.
    pub label: String,
    /// The results.
    pub summary: Summary,
}

impl Input {
    /// A side made of a summary already in memory.
    pub fn new(label: impl Into<String>, summary: Summary) -> Self {
        Input { label: label.into(), summary }
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
