//! `merged.json`: one pool-size report from several machines' `summary.json` files, versioned.
//!
//! `poolbench merge` writes it ([`crate::report::merge`]) beside the merged page and Markdown;
//! `reports/README.md` ("The merged report") specifies it field by field. Each machine keeps its
//! own numbers: speedups are over that machine's Sequential, fits are that machine's, and
//! nothing is divided across machines, because two machines' times differ by their CPUs as much
//! as by their core counts.

use serde::{Deserialize, Serialize};

use super::{Interval, Machine, Scaling, SpeedupBasis};

/// The version of the `merged.json` schema these types read and write; it goes up when a field
/// is removed, renamed or changes meaning.
pub const MERGED_VERSION: u32 = 1;

/// The merged report's data file, beside its `index.html` and `summary.md`.
pub const MERGED_FILE: &str = "merged.json";

/// The whole merged report: `merged.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    /// [`MERGED_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// The program that wrote it: `poolbench <version>`.
    pub generator: String,
    /// The machines, fewest usable cores first.
    pub machines: Vec<MergedMachine>,
    /// Why the machines' numbers may not compare as they should (different commits when allowed,
    /// uncommitted changes, summaries without rounds), in words; empty when nothing is amiss.
    pub flags: Vec<String>,
    /// One entry per group any machine measured, in the first machine's order, then the others'.
    pub groups: Vec<MergedGroup>,
}

/// One machine: the summary it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedMachine {
    /// How the report names it: `1 core`, `2 cores`; with the summary's directory when two
    /// machines have as many cores (`2 cores (runner-a)`).
    pub label: String,
    /// The `summary.json` it came from, as given.
    pub path: String,
    /// The machine, as its summary records it.
    pub machine: Machine,
    /// Benchmarks its summary holds (poolbench's and the Python peers').
    pub benchmarks: usize,
}

/// One benchmark group across the machines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedGroup {
    /// The Criterion group id.
    pub id: String,
    /// How the best configuration and size move with the cores, in a few sentences.
    pub headline: String,
    /// What makes this group's machines hard to compare: sizes measured on some machines only,
    /// machines that did not measure it.
    pub notes: Vec<String>,
    /// One entry per machine that measured the group, in machine order.
    pub machines: Vec<MachineGroup>,
}

/// One group on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineGroup {
    /// The machine: an index into [`Merged::machines`].
    pub machine: usize,
    /// Its usable cores.
    pub cores: usize,
    /// What to pick there; `None` when the group has no Sequential to measure speedups against.
    pub best: Option<BestConfiguration>,
    /// Speedup and efficiency against pool size, one line per executor (Sequential excepted).
    pub lines: Vec<SpeedupLine>,
    /// The machine's own Amdahl and USL fits, as its summary has them.
    pub scaling: Vec<Scaling>,
}

/// What to pick on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestConfiguration {
    /// The configurations to pick (benchmark ids): the group's recommended ones when it had
    /// rounds, else the one with the highest speedup.
    pub configurations: Vec<String>,
    /// Their executors.
    pub executors: Vec<String>,
    /// Their pool size (1 for Sequential).
    pub size: u32,
    /// The best speedup among them over Sequential; 1 for Sequential.
    pub speedup: f64,
    /// Whether the plain loop is the answer: no pool beats it.
    pub sequential: bool,
    /// Where the speedup comes from: the group's paired rounds, or Criterion's medians.
    pub basis: SpeedupBasis,
}

/// One executor's speedups on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedupLine {
    /// The executor.
    pub executor: String,
    /// By pool size, smallest first.
    pub points: Vec<SpeedupPoint>,
}

/// A speedup at one pool size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpeedupPoint {
    /// The pool size.
    pub size: u32,
    /// The speedup over the machine's Sequential, with its interval (as the row's).
    pub speedup: Interval,
    /// Speedup over pool size.
    pub efficiency: f64,
}
