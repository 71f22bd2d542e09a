//! The file formats poolbench writes and reads, each type in one place that every reader and
//! writer imports.
//!
//! | file | types | written by | read by |
//! |---|---|---|---|
//! | `summary.json` | [`Summary`] and what it holds ([`Group`], [`Row`], [`Interval`], ...) | the report | `poolbench compare`, `poolbench export`, the history, `poolbench merge` |
//! | `merged.json` | [`Merged`] and what it holds ([`MergedGroup`], [`MachineGroup`], ...) | `poolbench merge` | tools comparing machines |
//! | the peers file, `poolbench-peers.json` | [`Peers`], [`PeerRow`] | `scripts/python_peers.py`, via [`crate::peers`] | the report |
//! | `history.jsonl` | [`history::Run`], [`history::Point`] | `cargo bench`, after the report | the report's trends |
//! | `poolbench-cases/*.json` | [`CaseFile`] | [`Sweep`](crate::bench::Sweep) | the report |
//! | `poolbench-rounds/*.json` | [`RoundsFile`] | [`Sweep`](crate::bench::Sweep), after Criterion has timed its group | the report: paired speedups, ties, the cores the machine gave |
//! | `poolbench-load/*.json` | [`LoadFile`], [`Load`], [`Memory`] | [`Group`](crate::bench::Group), after each benchmark | the report, into each row's [`Quietness`] |
//! | `poolbench-machine.json` ([`MACHINE_FILE`]) | [`Machine`] | [`Main`](crate::bench::Main), as a run starts | the report, whenever it is written: the run's machine, not the reporting one's |
//!
//! `reports/README.md` specifies each format field by field. Each has a version number
//! ([`SCHEMA_VERSION`], [`MERGED_VERSION`], [`PEERS_SCHEMA_VERSION`], [`history::HISTORY_VERSION`], [`LOAD_VERSION`],
//! [`ROUNDS_VERSION`], [`MACHINE_VERSION`]) that goes up when
//! a field is removed, renamed or changes meaning; adding a field does not bump it, so readers
//! ignore fields they do not know. No number in these files is NaN or infinite: a quantity that
//! cannot be computed is absent (`null`). `check.rs` holds what every `summary.json` must hold
//! (finite numbers, ordered intervals, times that are not negative), checked when it is written
//! and when it is read.

mod case;
mod check;
pub(crate) mod cores;
mod error;
pub mod history;
mod load;
mod machine;
mod memory;
mod merged;
mod peers;
mod rounds;
mod summary;

pub use case::{CASE_VERSION, CASES_DIR, CaseFile};
pub use cores::CoreLimit;
pub use error::Error;
pub use load::{
    KEPT_MEASUREMENTS, LOAD_DIR, LOAD_VERSION, LastSample, Load, LoadFile, LoadRecord, MAX_LOAD_FILE_BYTES,
    Measurement, QuietTally, Quietness, Times,
};
pub use machine::{GitState, MACHINE_FILE, MACHINE_VERSION, Machine};
pub use memory::{Memory, TreeSample};
pub use merged::{
    BestConfiguration, MERGED_FILE, MERGED_VERSION, MachineGroup, Merged, MergedGroup, MergedMachine,
    SpeedupLine, SpeedupPoint,
};
pub use peers::{
    Failure, MAX_PEERS_FILE_BYTES, PEERS_FILE, PEERS_SCHEMA_VERSION, Parameters, PeerRow, Peers, PeersStatus,
    PythonInfo, peers_file_in,
};
pub use rounds::{
    Batch, Configuration, MAX_ROUNDS_FILE_BYTES, ROUNDS_DIR, ROUNDS_VERSION, RoundRecord, RoundsFile,
    RoundsSettings,
};
pub(crate) use summary::ONE_THREAD;
pub use summary::{
    AmdahlFit, Answer, Capacity, CaseInfo, Group, GroupRounds, Interval, PeerRatio, Row, RowRounds,
    SCHEMA_VERSION, Scaling, ScalingPoint, Skipped, Source, SpeedupBasis, SplitRow, StartupSplit, Summary,
    UslFit, sequential,
};
