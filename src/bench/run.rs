//! The run [`Main`](super::Main) is making, in one place: its mode (what it keeps), its progress
//! line, and its ledger of what it measured. Criterion calls a bench's targets as plain
//! `fn(&mut Criterion)`, which can carry nothing, so what a [`Group`](super::Group) tells the run
//! goes through this one process-wide state; [`begin`] starts each run from a clean one, so a
//! second `Main::run` in one process (a test's) never reports the first one's measurements.

use std::sync::{Mutex, PoisonError};

use super::interleave::Mode;
use super::progress::Progress;
use super::record::Ledger;

/// What the run in this process has said and measured so far.
#[derive(Debug)]
pub(crate) struct Run {
    /// What the command line asked for; a sweep run without a `Main` (a test calling
    /// `Sweep::run` itself) measures.
    pub mode: Mode,
    /// The progress line's count, while `Main` counts.
    pub progress: Option<Progress>,
    /// Every benchmark measured, in the order of their first measurement.
    pub ledger: Ledger,
}

static RUN: Mutex<Run> = Mutex::new(Run { mode: Mode::Measure, progress: None, ledger: Ledger::new() });

/// Starts a run in `mode`: no progress yet, nothing measured.
pub(crate) fn begin(mode: Mode) {
    with(|run| *run = Run { mode, progress: None, ledger: Ledger::new() });
}

/// Reads or changes the run's state. `f` must not call [`with`] again (the state is locked).
pub(crate) fn with<T>(f: impl FnOnce(&mut Run) -> T) -> T {
    f(&mut RUN.lock().unwrap_or_else(PoisonError::into_inner))
}
