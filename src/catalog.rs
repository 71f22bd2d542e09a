//! The benchmark catalog: every case `cargo bench` measures, named once.
//!
//! Benchmark ids are a public interface (baselines and regression history are keyed by them), so
//! they are spelled here and nowhere else. An id has Criterion's three parts:
//!
//! - the group, `<suite>/<case>`: `pools/squares-10`, `startup/ex8-squares`;
//! - the function: the executor's [`name`](crate::ExecutorKind::name) (`Sequential`, `Rayon`,
//!   `StdPool`, ...), or, in suites that compare primitives, the primitive's name;
//! - the value: the pool size, with Sequential at 1, so that Criterion draws each group as one
//!   line per executor across pool sizes.
//!
//! The benches build their groups from [`CASES`]; the report reads them back to know what an
//! iteration was (how many tasks, which notebook exercise, which steady-state case a start-up
//! case pairs with).

use std::fmt;

/// The suites of `cargo bench`, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suite {
    /// One task of a workload on one thread: the unit cost that pools divide up.
    Task,
    /// Every workload on every executor at every size, pools built before timing (steady state).
    Pools,
    /// The notebook's programs end to end: start a pool, map, shut it down.
    Startup,
    /// The floor beside the pools: raw pipe and channel round trips, one-task round trips.
    Ipc,
    /// Exercises 4 and 5: producer/consumer, and sharing primitives under contention.
    Sync,
    /// Exercise 1: CPU-bound and I/O-bound tasks across pool sizes, where threads stop paying.
    Crossover,
}

impl Suite {
    /// Every suite.
    pub const ALL: [Suite; 6] =
        [Suite::Task, Suite::Pools, Suite::Startup, Suite::Ipc, Suite::Sync, Suite::Crossover];

    /// The suite's name: the first part of its groups' ids.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Task => "task",
            Suite::Pools => "pools",
            Suite::Startup => "startup",
            Suite::Ipc => "ipc",
            Suite::Sync => "sync",
            Suite::Crossover => "crossover",
        }
    }

    /// The suite named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|suite| suite.name() == name)
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One benchmark group: a workload and its inputs, run by several executors at several sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The suite it belongs to.
    pub suite: Suite,
    /// Its name within the suite: the second part of the group id.
    pub name: &'static str,
    /// The notebook exercise it measures, if one.
    pub exercise: Option<u8>,
    /// Tasks in one iteration, for tasks per second.
    pub tasks: u64,
    /// What one iteration does, in a line.
    pub about: &'static str,
    /// For an end-to-end case, the steady-state case doing the same work on a pool already up:
    /// the difference is the pool's start-up and shut-down.
    pub steady_state: Option<&'static str>,
}

impl Case {
    /// The Criterion group id: `<suite>/<name>`.
    pub fn group_id(&self) -> String {
        format!("{}/{}", self.suite, self.name)
    }
}

const fn case(
    suite: Suite,
    name: &'static str,
    exercise: Option<u8>,
    tasks: u64,
    about: &'static str,
) -> Case {
    Case { suite, name, exercise, tasks, about, steady_state: None }
}

/// Every case, in the order the suites run them.
pub const CASES: &[Case] = &[
    case(Suite::Task, "factorial", Some(7), 1, "one exact n! by binary splitting, on one thread"),
    case(
        Suite::Task,
        "cpu-spin",
        Some(1),
        1,
        "counting the primes below a bound by trial division, on one thread",
    ),
    case(
        Suite::Pools,
        "squares-10",
        Some(8),
        10,
        "squares of 1..=10 on a pool already up (exercise 8's map)",
    ),
    case(
        Suite::Pools,
        "factorial-10",
        Some(7),
        10,
        "factorials of 1..=10 on a pool already up (exercise 7's map)",
    ),
    case(
        Suite::Pools,
        "factorial-large",
        Some(7),
        10,
        "factorials of 2,000, 4,000, ..., 20,000: CPU-heavy, uneven tasks",
    ),
    case(Suite::Pools, "cpu-spin", Some(1), 16, "16 tasks, each counting the primes below 20,000"),
    case(Suite::Pools, "squares-10k", Some(8), 10_000, "squares of 1..=10,000: per-task overhead, chunked"),
    case(
        Suite::Pools,
        "io-sleep",
        Some(1),
        16,
        "16 tasks, each sleeping 1 ms (the notebook's I/O simulation); Tokio's timer works in whole \
         milliseconds, so a 1 ms sleep takes about 2 ms there",
    ),
    case(
        Suite::Pools,
        "io-tcp",
        Some(1),
        16,
        "16 blocking requests to a loopback server that answers after 1 ms",
    ),
    Case {
        steady_state: Some("pools/squares-10"),
        ..case(
            Suite::Startup,
            "ex8-squares",
            Some(8),
            10,
            "start a pool of n, map squares of 1..=10, shut it down",
        )
    },
    Case {
        steady_state: Some("pools/factorial-10"),
        ..case(
            Suite::Startup,
            "ex7-factorial",
            Some(7),
            10,
            "start a pool of n, map factorials of 1..=10, shut it down",
        )
    },
    case(
        Suite::Ipc,
        "round-trip",
        Some(3),
        1,
        "one task there and back: raw pipe floors (unpinned, one CPU, two CPUs) and a channel floor beside each executor's one-task map",
    ),
    case(
        Suite::Ipc,
        "codec-squares",
        Some(3),
        10_000,
        "10,000 squares on a ProcessPool of 2, per payload codec",
    ),
    case(
        Suite::Ipc,
        "codec-factorial",
        Some(3),
        10,
        "factorials of 2,000..20,000 (large outputs) on a ProcessPool of 2, per payload codec",
    ),
    case(
        Suite::Sync,
        "producer-consumer",
        Some(4),
        10_000,
        "one producer hands 10,000 items to one consumer: polling mutex, mutex + condvar, channel",
    ),
    case(
        Suite::Sync,
        "contention",
        Some(5),
        100_000,
        "100,000 increments of one shared counter split across n threads: Mutex, RwLock, atomic, channel",
    ),
    case(
        Suite::Sync,
        "condvar-handoff",
        Some(5),
        2_000,
        "a turn passed round n threads 2,000 times with a Mutex and a Condvar",
    ),
    case(
        Suite::Sync,
        "cross-process",
        Some(5),
        4_000,
        "4,000 increments split across n worker processes: messages over the pool's pipes vs an atomic in shared memory",
    ),
    case(
        Suite::Crossover,
        "cpu-spin",
        Some(1),
        16,
        "16 CPU-bound tasks (primes below 20,000) across pool sizes 1..16",
    ),
    case(
        Suite::Crossover,
        "io-sleep",
        Some(1),
        16,
        "16 tasks sleeping 1 ms each across pool sizes 1..16; Tokio's timer works in whole milliseconds, so a \
         1 ms sleep takes about 2 ms there",
    ),
    case(
        Suite::Crossover,
        "io-tcp",
        Some(1),
        16,
        "16 blocking 1 ms loopback requests across pool sizes 1..16",
    ),
];

/// The group of the ipc suite's one-task round trips, where the floors sit beside the executors.
pub const IPC_ROUND_TRIP: &str = "ipc/round-trip";
/// The function of [`IPC_ROUND_TRIP`] that is a raw pipe round trip between two processes: the
/// floor of any process pool, wherever the scheduler puts its two ends (bimodal on a VM).
pub const PIPE_FLOOR: &str = "pipe-floor";
/// [`PIPE_FLOOR`] with both ends pinned to one CPU: context switches, no wake-up of an idle CPU.
pub const PIPE_FLOOR_SAME_CPU: &str = "pipe-floor-same-cpu";
/// [`PIPE_FLOOR`] with its ends pinned to two different CPUs: the stable floor a process pool,
/// whose workers run on other cores, is measured against.
pub const PIPE_FLOOR_CROSS_CPU: &str = "pipe-floor-cross-cpu";
/// The function of [`IPC_ROUND_TRIP`] that is a raw channel round trip between two threads: the
/// floor of any thread pool.
pub const CHANNEL_FLOOR: &str = "channel-floor";

/// The case whose group id is `group_id`.
pub fn find(group_id: &str) -> Option<&'static Case> {
    let (suite, name) = group_id.split_once('/')?;
    CASES.iter().find(|case| case.suite.name() == suite && case.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_are_unique_and_found_again() {
        for (index, case) in CASES.iter().enumerate() {
            assert_eq!(find(&case.group_id()), Some(case));
            assert!(
                CASES[..index].iter().all(|earlier| earlier.group_id() != case.group_id()),
                "{} twice",
                case.group_id()
            );
        }
        assert_eq!(find("pools/no-such-case"), None);
        assert_eq!(find("no-slash"), None);
    }

    #[test]
    fn every_end_to_end_case_and_no_other_pairs_with_a_pools_case() {
        let paired: Vec<String> =
            CASES.iter().filter(|case| case.steady_state.is_some()).map(Case::group_id).collect();
        let end_to_end: Vec<String> =
            CASES.iter().filter(|case| case.suite == Suite::Startup).map(Case::group_id).collect();
        assert_eq!(paired, end_to_end, "the report splits start-up from every startup group");
        for case in CASES {
            let Some(steady) = case.steady_state else { continue };
            let pair =
                find(steady).unwrap_or_else(|| panic!("{} pairs with missing {steady}", case.group_id()));
            assert_eq!(pair.suite, Suite::Pools);
            assert_eq!(pair.tasks, case.tasks, "{} and {steady} do the same work", case.group_id());
        }
    }
}
