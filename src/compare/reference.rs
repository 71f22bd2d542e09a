//! The reference each benchmark is measured against when the machines differ: a row of the same
//! run, so that the machine divides out.
//!
//! - A process pool's one-task round trip in `ipc/round-trip` is measured against the raw pipe
//!   round trip of the same run with its ends on two CPUs (`pipe-floor-cross-cpu`; in runs older
//!   than that floor, the unpinned `pipe-floor`): what the pool adds to the operating system's
//!   floor, against a floor that does not move with where the scheduler put the two ends; a
//!   thread pool's against the raw channel round trip (`channel-floor`), when the run has one.
//! - Every other row is measured against its group's Sequential row (the size-1 one when there
//!   are several): its speedup, as the report computes it.
//!
//! The references themselves, and rows of groups that have none, cannot be gated this way.

use crate::catalog::{CHANNEL_FLOOR, IPC_ROUND_TRIP, PIPE_FLOOR, PIPE_FLOOR_CROSS_CPU, PIPE_FLOOR_SAME_CPU};
use crate::schema::{Group, Row, sequential};

/// The row `row` of `group` is measured against, or why there is none.
pub fn reference<'a>(group: &'a Group, row: &Row) -> Result<&'a Row, String> {
    let executor = row.executor.as_deref();
    // Process pools talk to their workers over pipes; thread pools over channels or queues.
    let kind = row.executor_kind();
    let over_pipes = kind.is_some_and(|kind| kind.is_process());
    let over_channels = kind.is_some_and(|kind| kind.is_pool() && !kind.is_process());
    let floor =
        |name: &str| group.results.iter().find(|candidate| candidate.executor.as_deref() == Some(name));
    if group.id == IPC_ROUND_TRIP {
        if over_pipes {
            return floor(PIPE_FLOOR_CROSS_CPU).or_else(|| floor(PIPE_FLOOR)).ok_or_else(|| {
                format!("no {PIPE_FLOOR_CROSS_CPU} row in {IPC_ROUND_TRIP} to measure it against")
            });
        }
        // Without a channel floor a thread pool falls back to Sequential, as in other groups.
        if let Some(channel_floor) = floor(CHANNEL_FLOOR).filter(|_| over_channels) {
            return Ok(channel_floor);
        }
        if matches!(executor, Some(PIPE_FLOOR | PIPE_FLOOR_SAME_CPU | PIPE_FLOOR_CROSS_CPU)) {
            return Err("a pipe floor, what process pools are measured against".to_owned());
        }
    }
    match sequential(&group.results) {
        Some(sequential) if sequential.id == row.id => {
            Err("the Sequential row the group's others are measured against".to_owned())
        }
        Some(sequential) => Ok(sequential),
        None => Err("no Sequential row in its group to measure it against".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Interval, Source};

    fn row(group: &str, executor: &str) -> Row {
        let time = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        Row::for_test(
            Source::Criterion,
            &format!("{group}/{executor}/1"),
            Some(executor),
            "1",
            time,
            Vec::new(),
        )
    }

    fn group(id: &str, executors: &[&str]) -> Group {
        Group::new(id, executors.iter().map(|executor| row(id, executor)).collect())
    }

    fn reference_of(group: &Group, executor: &str) -> Result<String, String> {
        let row =
            group.results.iter().find(|row| row.executor.as_deref() == Some(executor)).expect("the row");
        reference(group, row).map(|reference| reference.executor.clone().unwrap_or_default())
    }

    #[test]
    fn pools_are_measured_against_sequential_and_round_trips_against_their_floor() {
        let pools = group("pools/cpu-spin", &["Sequential", "Rayon", "ProcessPool"]);
        assert_eq!(reference_of(&pools, "Rayon"), Ok("Sequential".to_owned()));
        assert_eq!(reference_of(&pools, "ProcessPool"), Ok("Sequential".to_owned()));
        assert!(reference_of(&pools, "Sequential").unwrap_err().contains("the Sequential row"));

        let ipc = group(
            IPC_ROUND_TRIP,
            &[PIPE_FLOOR, CHANNEL_FLOOR, "Sequential", "Rayon", "ProcessPool", "SpawnPerTask"],
        );
        assert_eq!(reference_of(&ipc, "ProcessPool"), Ok(PIPE_FLOOR.to_owned()));
        assert_eq!(reference_of(&ipc, "SpawnPerTask"), Ok(PIPE_FLOOR.to_owned()));
        assert_eq!(reference_of(&ipc, "Rayon"), Ok(CHANNEL_FLOOR.to_owned()));
        assert_eq!(reference_of(&ipc, CHANNEL_FLOOR), Ok("Sequential".to_owned()));
        assert!(reference_of(&ipc, PIPE_FLOOR).unwrap_err().contains("pipe floor"));

        // With the pinned floors, process pools are measured against the one across CPUs.
        let pinned = group(
            IPC_ROUND_TRIP,
            &[PIPE_FLOOR, PIPE_FLOOR_SAME_CPU, PIPE_FLOOR_CROSS_CPU, "Sequential", "ProcessPool"],
        );
        assert_eq!(reference_of(&pinned, "ProcessPool"), Ok(PIPE_FLOOR_CROSS_CPU.to_owned()));
        for floor in [PIPE_FLOOR, PIPE_FLOOR_SAME_CPU, PIPE_FLOOR_CROSS_CPU] {
            assert!(reference_of(&pinned, floor).unwrap_err().contains("pipe floor"), "{floor}");
        }

        let no_floor = group(IPC_ROUND_TRIP, &["Sequential", "StdPool", "ProcessPool"]);
        assert_eq!(reference_of(&no_floor, "StdPool"), Ok("Sequential".to_owned()));
        assert!(reference_of(&no_floor, "ProcessPool").unwrap_err().contains("no pipe-floor-cross-cpu row"));
        let alone = group("task/cpu-spin", &["Rayon"]);
        assert!(reference_of(&alone, "Rayon").unwrap_err().contains("no Sequential row"));
    }
}
