//! The peers file: what `scripts/python_peers.py` measured, versioned, and what `summary.json`
//! keeps of it.
//!
//! Its rows are `summary.json` rows ([`Row`], `source: "python"`) with a few more fields saying
//! which group they belong to and what program was timed, so the report can put them beside the
//! Rust rows of the same group as they are. A run that could not measure anything (no Python,
//! opted out, killed at the time limit) still writes a file, with `status: "skipped"` and the
//! reason, so that the report of that run says why there are no peers instead of showing older
//! ones. `summary.json`'s `peers` is the same [`Peers`], with the rows moved into their groups
//! and the file's path added. Specified field by field in `reports/README.md`, "The peers file";
//! [`PEERS_SCHEMA_VERSION`] follows the same rule as `summary.json`'s.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Error, Row, Source};

/// The version of the peers file these types read and write.
pub const PEERS_SCHEMA_VERSION: u32 = 1;

/// The peers file's name in the Criterion directory, where `cargo bench` writes it and the report
/// looks for it.
pub const PEERS_FILE: &str = "poolbench-peers.json";

/// The largest peers file read, in bytes: 16 MiB, hundreds of times what the script writes (a few
/// hundred rows of at most a few hundred samples). Like Criterion's files beside it, the peers
/// file is read only when it is a regular file (not a link, not a FIFO), and no larger than this.
pub const MAX_PEERS_FILE_BYTES: u64 = 16 << 20;

/// The peers file of the Criterion directory `criterion_dir`.
pub fn peers_file_in(criterion_dir: &Path) -> PathBuf {
    criterion_dir.join(PEERS_FILE)
}

/// The Python peers of a run: the peers file, and `summary.json`'s `peers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peers {
    /// [`PEERS_SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// What wrote it: the script, or poolbench for a skipped run.
    pub generator: String,
    /// Whether the peers were measured.
    pub status: PeersStatus,
    /// Why they were skipped; `None` when measured.
    pub reason: Option<String>,
    /// The interpreter that ran them; `None` when skipped.
    pub python: Option<PythonInfo>,
    /// The exact parameters of the run; `None` when skipped.
    pub parameters: Option<Parameters>,
    /// When the run started, RFC 3339 UTC; `None` when skipped.
    pub started: Option<String>,
    /// How long the whole script took, seconds; `None` when skipped.
    pub wall_seconds: Option<f64>,
    /// One row per measurement, in the report's group order. Empty in `summary.json`, whose
    /// groups hold them (and which leaves the field out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<PeerRow>,
    /// Measurements that failed (an exception, a wrong result), with the reason; their rows are
    /// not in [`rows`](Self::rows).
    pub failures: Vec<Failure>,
    /// In `summary.json`: the peers file the report looked for. Not in the file itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Whether the peers ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeersStatus {
    /// The script ran; its rows are in the file (in `summary.json`, in the groups).
    Measured,
    /// Nothing was measured, or the file could not be read: [`Peers::reason`] says why.
    Skipped,
}

/// The Python that ran the peers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonInfo {
    /// `platform.python_version()`: `3.11.7`.
    pub version: String,
    /// `platform.python_implementation()`: `CPython`, `PyPy`, ...
    pub implementation: String,
    /// `sys.executable`.
    pub executable: String,
    /// `platform.platform()`.
    pub platform: String,
    /// `os.cpu_count()`.
    pub cores: Option<usize>,
    /// The cores this process may run on (`os.sched_getaffinity`).
    pub usable_cores: Option<usize>,
    /// `multiprocessing.get_all_start_methods()`, the default first.
    pub start_methods: Vec<String>,
    /// The start method `multiprocessing.Pool()` uses when none is asked for.
    pub default_start_method: Option<String>,
}

/// How the script was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// The pool sizes.
    pub sizes: Vec<u32>,
    /// The crossover suite's sizes: 1, the sizes, and twice the largest.
    pub crossover_sizes: Vec<u32>,
    /// Whether it was a `--quick` smoke run (1 to 3 samples, no warm-up).
    pub quick: bool,
    /// The most samples per measurement.
    pub max_samples: usize,
    /// The fewest samples per measurement, whatever the time budget.
    pub min_samples: usize,
    /// Seconds of sampling per measurement once the fewest samples are in.
    pub budget_seconds: f64,
    /// Whether each measurement ran once untimed first.
    pub warm_up: bool,
    /// The confidence level aimed at; a row's `confidence_level` is what its samples achieve.
    pub confidence_target: f64,
    /// The regex that selected the peers (cargo bench's filter); `None` for all.
    pub filter: Option<String>,
    /// The latency server of the io-tcp peers, `host:port`; `None` when they did not run.
    pub latency_server: Option<String>,
    /// How `Pool.map` chunked its inputs.
    pub chunking: String,
}

/// One measurement: a [`Row`] and what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerRow {
    /// The benchmark group the row belongs in, e.g. `startup/ex8-squares`.
    pub group: String,
    /// What the peer is, for people: `multiprocessing.Pool (fork)`, `ThreadPoolExecutor`.
    pub label: String,
    /// The multiprocessing start method; `None` for threads and single-threaded code.
    pub start_method: Option<String>,
    /// The Python that was timed, as text.
    pub program: String,
    /// What every sample's result was checked against.
    pub checked: String,
    /// When this row's samples are another row's (the same program on the same input, measured
    /// once per run), that row's id.
    pub same_measurement_as: Option<String>,
    /// The measurement, in the summary's row shape.
    #[serde(flatten)]
    pub row: Row,
}

/// A measurement that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The row id it would have had.
    pub id: String,
    /// The exception, or the wrong result.
    pub reason: String,
}

impl Peers {
    /// A document saying the peers were skipped, and why.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Peers {
            schema_version: PEERS_SCHEMA_VERSION,
            generator: format!("poolbench {}", env!("CARGO_PKG_VERSION")),
            status: PeersStatus::Skipped,
            reason: Some(reason.into()),
            python: None,
            parameters: None,
            started: None,
            wall_seconds: None,
            rows: Vec::new(),
            failures: Vec::new(),
            path: None,
        }
    }

    /// Parses and checks the text of a peers file read from `path` (named in errors).
    ///
    /// # Errors
    ///
    /// Not JSON, not this schema, or rows that contradict themselves: the error names `path`.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, Error> {
        let document: Peers = serde_json::from_str(text).map_err(|err| Error::parse(path, err))?;
        document.validate().map_err(|reason| Error::invalid(path, reason))?;
        Ok(document)
    }

    /// Reads the peers file at `path`.
    ///
    /// # Errors
    ///
    /// As [`from_json`](Self::from_json), or the file cannot be read
    /// ([`Error::is_not_found`] when it is not there): not a regular file, or larger than
    /// [`MAX_PEERS_FILE_BYTES`].
    pub fn read(path: &Path) -> Result<Self, Error> {
        let bytes = crate::fs::read_regular_file(path, MAX_PEERS_FILE_BYTES)
            .map_err(|err| Error::read(path, err.into_io()))?;
        let text = String::from_utf8(bytes)
            .map_err(|err| Error::read(path, std::io::Error::new(std::io::ErrorKind::InvalidData, err)))?;
        Self::from_json(&text, path)
    }

    /// Writes the document to `path`, under a temporary name renamed into place: a crash leaves
    /// the previous file, never half of one.
    ///
    /// # Errors
    ///
    /// The directory cannot be created or written; the error names the path.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|err| Error::write(path, err))?;
        }
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|err| Error::write(path, std::io::Error::other(err)))?;
        text.push('\n');
        crate::fs::write_atomically(path, text.as_bytes()).map_err(|err| Error::write(path, err))
    }

    /// What must hold for the report to trust the rows: the schema, ids that say where rows
    /// belong, and statistics that are statistics.
    fn validate(&self) -> Result<(), String> {
        if self.schema_version != PEERS_SCHEMA_VERSION {
            return Err(format!(
                "schema version {}, and this poolbench reads version {PEERS_SCHEMA_VERSION}",
                self.schema_version
            ));
        }
        if self.status == PeersStatus::Skipped && self.reason.is_none() {
            return Err("skipped without a reason".to_owned());
        }
        let mut ids = HashSet::new();
        for peer in &self.rows {
            let row = &peer.row;
            let fail = |what: &str| Err(format!("row {}: {what}", row.id));
            let executor = row.executor.as_deref().unwrap_or_default();
            let value = row.value.as_deref().unwrap_or_default();
            if row.source != Source::Python {
                return fail(&format!("source {:?}, not {:?}", row.source.name(), Source::Python.name()));
            }
            if !peer.group.contains('/') || executor.is_empty() || value.is_empty() {
                return fail("a peer needs a group <suite>/<case>, an executor and a value");
            }
            if row.id != format!("{}/{executor}/{value}", peer.group) {
                return fail(&format!("the id is not {}/{executor}/{value}", peer.group));
            }
            if !ids.insert(row.id.as_str()) {
                return fail("listed twice");
            }
            if row.n == 0 || row.n != row.samples_ns.len() {
                return fail(&format!("n is {} for {} samples", row.n, row.samples_ns.len()));
            }
            let median = row.median_ns;
            if !(median.point > 0.0 && median.lower <= median.point && median.point <= median.upper) {
                return fail("the median is not positive within its interval");
            }
            if !(0.0..=1.0).contains(&row.confidence_level) {
                return fail("the confidence level is not within 0..1");
            }
            // The rows go into summary.json as they are: what its readers would refuse, this does.
            super::check::row(row)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = r#"{"source": "python", "id": "pools/squares-10/python-pool-fork/2",
        "executor": "python-pool-fork", "value": "2", "size": 2, "confidence_level": 0.96,
        "median_ns": {"point": 150.0, "lower": 140.0, "upper": 170.0},
        "mean_ns": {"point": 155.0, "lower": 145.0, "upper": 165.0}, "std_dev_ns": 10.0, "n": 2,
        "samples_ns": [150.0, 160.0], "speedup": null, "efficiency": null, "tasks_per_second": null,
        "criterion_dir": null, "criterion_page": null, "group": "pools/squares-10",
        "label": "multiprocessing.Pool (fork)", "start_method": "fork", "program": "pool.map(sq, range(1, 11))",
        "checked": "squares of 1..10", "same_measurement_as": null}"#;

    fn document(row: &str) -> String {
        format!(
            r#"{{"schema_version": 1, "generator": "test", "status": "measured", "reason": null,
            "python": null, "parameters": null, "started": null, "wall_seconds": null,
            "rows": [{row}], "failures": []}}"#
        )
    }

    #[test]
    fn a_row_in_the_summarys_shape_parses_with_its_peer_fields() {
        let parsed = Peers::from_json(&document(ROW), Path::new("peers.json")).expect("valid");
        let peer = &parsed.rows[0];
        assert_eq!(peer.group, "pools/squares-10");
        assert_eq!(peer.start_method.as_deref(), Some("fork"));
        assert_eq!(peer.row.size, Some(2));
        assert_eq!(peer.row.median_ns.point, 150.0);
    }

    #[test]
    fn a_row_whose_id_names_another_group_is_rejected_with_the_file_and_the_row() {
        let wrong = ROW.replace(r#""group": "pools/squares-10""#, r#""group": "pools/factorial-10""#);
        let err = Peers::from_json(&document(&wrong), Path::new("peers.json")).expect_err("invalid");
        let message = err.to_string();
        assert!(message.starts_with("peers.json is not a valid poolbench peers file: row pools/squares-10/"));
        assert!(message.contains("run cargo bench"), "{message}");
    }

    #[test]
    fn a_count_that_disagrees_with_the_samples_is_rejected() {
        let wrong = ROW.replace(r#""n": 2"#, r#""n": 3"#);
        let err = Peers::from_json(&document(&wrong), Path::new("p")).expect_err("invalid");
        assert!(err.to_string().contains("n is 3 for 2 samples"), "{err}");
    }

    #[test]
    fn another_schema_version_is_named() {
        let text = document(ROW).replacen(r#""schema_version": 1"#, r#""schema_version": 2"#, 1);
        let err = Peers::from_json(&text, Path::new("p")).expect_err("invalid");
        assert!(err.to_string().contains("schema version 2"), "{err}");
    }

    #[test]
    fn a_skipped_document_round_trips_through_a_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("deeper").join("peers.json");
        let skipped = Peers::skipped("python3 not found");
        skipped.write(&path).expect("written");
        assert_eq!(Peers::read(&path).expect("read back"), skipped);
        let missing = Peers::read(&dir.path().join("none.json")).expect_err("missing");
        assert!(missing.is_not_found());
    }
}
