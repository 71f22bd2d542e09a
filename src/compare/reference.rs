//! The reference each benchmark is measured against when the machines differ: a row of the same
//! run, so that the machine divides out.
//!
//! - A process pool's one-task round trip in `ipc/round-trip` is measured against the raw pipe
//!   round trip (`pipe-floor`) of the same run: what the pool adds to the operating system's floor.
//! - Every other row is measured against its group's Sequential row (the size-1 one when there
//!   are several): its speedup, as the report computes it.
//!
//! The references themselves, and rows of groups that have none, cannot be gated this way.

use crate::report::{Group, Row, sequential};

/// The group whose process-pool rows are measured against the pipe floor.
pub const IPC_ROUND_TRIP: &str = "ipc/round-trip";
/// The executor name of the raw pipe round trip in [`IPC_ROUND_TRIP`].
pub const PIPE_FLOOR: &str = "pipe-floor";
/// Executors that talk to their workers over pipes.
const OVER_PIPES: [&str; 2] = ["ProcessPool", "SpawnPerTask"];

/// The row `row` of `group` is measured against, or why there is none.
pub fn reference<'a>(group: &'a Group, row: &Row) -> Result<&'a Row, String> {
    let executor = row.executor.as_deref();
    if group.id == IPC_ROUND_TRIP && executor.is_some_and(|executor| OVER_PIPES.contains(&executor)) {
        return group
            .results
            .iter()
            .find(|candidate| candidate.executor.as_deref() == Some(PIPE_FLOOR))
            .ok_or_else(|| format!("no {PIPE_FLOOR} row in {IPC_ROUND_TRIP} to measure it against"));
    }
    if group.id == IPC_ROUND_TRIP && executor == Some(PIPE_FLOOR) {
        return Err("the pipe floor other rows are measured against".to_owned());
    }
    match sequential(&group.results) {
        Some(sequential) if sequential.id == row.id => {
            Err("the Sequential row the group's others are measured against".to_owned())
        }
        Some(sequential) => Ok(sequential),
        None => Err("no Sequential row in its group to measure it against".to_owned()),
    }
}
