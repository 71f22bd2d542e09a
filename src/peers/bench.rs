//! What `cargo bench` does about the peers, between the suites and the report.
//!
//! - `--list`, `--ignored` and `--profile-time` measure nothing that is kept: no peers.
//! - `--test` (CI's smoke run) runs the script with `--quick` and checks what it writes, but
//!   writes nothing where the report looks: a smoke run must not replace real numbers.
//! - Otherwise the peers run at the suites' sizes (`POOLBENCH_SIZES`), with Criterion's filter (a
//!   regex over ids, so `cargo bench -- startup` runs the startup peers only) and a 1 ms latency
//!   server for the io-tcp peers, and their file goes into the Criterion directory. A filtered
//!   run's file holds the peers of that run only.
//! - `POOLBENCH_PYTHON=0` turns them off; the file then says so, so that the report does not show
//!   older peers as this run's.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{DEFAULT_PYTHON, Error, Options, run};
use crate::bench::BenchArgs;
use crate::criterion::default_criterion_dir;
use crate::env::PYTHON as PYTHON_VAR;
use crate::schema::{Peers, PeersStatus, peers_file_in};
use crate::workload::LatencyServer;

/// What [`run_for_bench`] did: the line `cargo bench` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRun {
    /// What the run measured, or why it was skipped.
    pub document: Peers,
    /// Where the document was written; `None` for a smoke run.
    pub written: Option<PathBuf>,
}

impl fmt::Display for BenchRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let document = &self.document;
        if document.status == PeersStatus::Skipped {
            write!(f, "python peers: skipped: {}", document.reason.as_deref().unwrap_or("no reason given"))?;
            if let Some(path) = &self.written {
                write!(f, " (noted in {}, so the report says so)", path.display())?;
            }
            return Ok(());
        }
        let python = document
            .python
            .as_ref()
            .map(|python| format!("{} {}", python.implementation, python.version))
            .unwrap_or_else(|| "python".to_owned());
        let seconds = document.wall_seconds.unwrap_or(0.0);
        let failed = match document.failures.len() {
            0 => String::new(),
            count => format!(", {count} failed (listed in the report)"),
        };
        match &self.written {
            Some(path) => write!(
                f,
                "python peers: {} measurements by {python} in {seconds:.0} s{failed}, written to {}",
                document.rows.len(),
                path.display()
            ),
            None => write!(
                f,
                "python peers (smoke test, --quick): {} measurements by {python} checked in {seconds:.1} s{failed}; \
                 nothing written",
                document.rows.len()
            ),
        }
    }
}

/// Runs the peers as `cargo bench` does, for the bench's arguments `args`; `None` when the
/// arguments ask for nothing to be measured.
///
/// # Errors
///
/// `POOLBENCH_SIZES` is set but not a list of sizes, or the script or the peers file cannot be
/// written. Python itself failing is a skipped outcome, not an error.
pub fn run_for_bench(args: &BenchArgs) -> Result<Option<BenchRun>, Error> {
    if args.keeps_nothing {
        return Ok(None);
    }
    let target = (!args.smoke_test).then(|| peers_file_in(&default_criterion_dir()));
    let finish = |document: Peers| -> Result<Option<BenchRun>, Error> {
        if let Some(path) = &target {
            document.write(path)?;
        }
        Ok(Some(BenchRun { document, written: target.clone() }))
    };
    let python = match std::env::var_os(PYTHON_VAR) {
        Some(value) if is_off(&value) => {
            return finish(Peers::skipped(format!(
                "{PYTHON_VAR}={} turns them off",
                value.to_string_lossy()
            )));
        }
        Some(value) if !value.is_empty() => value,
        _ => OsString::from(DEFAULT_PYTHON),
    };
    let sizes = crate::bench::sizes_from_env().map_err(Error::sizes)?;
    // The io-tcp peers need the crossover suite's server; without one they are left out.
    let server = LatencyServer::start(Duration::from_millis(1)).ok();
    // A minute of silence would look hung: the real run reports each measurement; the smoke run
    // takes seconds and says only how it went.
    let mut options = Options::new(sizes)
        .python(python)
        .filter(args.filter.clone())
        .quick(args.smoke_test)
        .progress(!args.smoke_test);
    if let Some(server) = &server {
        options = options.latency_server(server.addr());
    }
    let outcome = run(&options)?;
    drop(server);
    finish(outcome.into_document())
}

fn is_off(value: &std::ffi::OsStr) -> bool {
    let value = value.to_string_lossy();
    ["0", "off", "false", "no"].iter().any(|off| value.trim().eq_ignore_ascii_case(off))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_off_false_and_no_turn_the_peers_off() {
        for off in ["0", "off", "FALSE", " no "] {
            assert!(is_off(std::ffi::OsStr::new(off)), "{off}");
        }
        assert!(!is_off(std::ffi::OsStr::new("/usr/bin/python3")));
    }

    #[test]
    fn the_line_says_what_happened_and_where() {
        let skipped = BenchRun {
            document: Peers::skipped("python3 on PATH not found"),
            written: Some(PathBuf::from("target/criterion/poolbench-peers.json")),
        };
        let line = skipped.to_string();
        assert!(line.starts_with("python peers: skipped: python3 on PATH not found"), "{line}");
        assert!(line.contains("target/criterion/poolbench-peers.json"), "{line}");
    }
}
