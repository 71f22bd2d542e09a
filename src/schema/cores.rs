//! How many cores this process may use, and what holds it below the machine's.
//!
//! The count is `std::thread::available_parallelism`'s, the one the executors size their default
//! pools by: on Linux it is the CPUs of the process's affinity mask (`sched_getaffinity`, so
//! `taskset -c 0` gives 1) capped by its cgroup's CPU quota (v2 `cpu.max`, v1
//! `cpu.cfs_quota_us` over `cpu.cfs_period_us`). A report written under a CPU set or a quota
//! is a smaller machine, and its pool sizes, ideal lines and "beyond the cores" rule must say so.
//!
//! This module reads the same sources again only to record what the count is measured against
//! (the CPUs online) and which of the two limits applied, so a merged report can tell a 1-core
//! runner from a 2-core one pinned to one CPU. Reading them never fails: what cannot be read is
//! left out.

use serde::{Deserialize, Serialize};

/// What held a machine's usable cores below its online CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreLimit {
    /// The process's CPU affinity (`taskset`, `sched_setaffinity`, a container's cpuset):
    /// `"affinity"`.
    Affinity,
    /// The cgroup's CPU quota (`docker --cpus`, a Kubernetes CPU limit): `"quota"`.
    Quota,
}

impl CoreLimit {
    /// The limit in words: "the CPU affinity", "the cgroup's CPU quota".
    pub fn describe(self) -> &'static str {
        match self {
            CoreLimit::Affinity => "the CPU affinity",
            CoreLimit::Quota => "the cgroup's CPU quota",
        }
    }
}

/// The cores this process may use, the CPUs online, and what made the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cores {
    /// What the process may use: `available_parallelism`, 1 when it cannot tell.
    pub usable: usize,
    /// The CPUs online; `None` when `sysconf` cannot tell.
    pub online: Option<usize>,
    /// Why `usable` is below `online`; `None` when it is not.
    pub limit: Option<CoreLimit>,
}

impl Cores {
    /// The usable cores in words, with what limited them: `2 cores`, `1 core (of 2 online, by
    /// the CPU affinity)`.
    pub(crate) fn in_words(&self) -> String {
        let cores = format!("{} core{}", self.usable, if self.usable == 1 { "" } else { "s" });
        match (self.online, self.limit) {
            (Some(online), Some(limit)) => format!("{cores} (of {online} online, by {})", limit.describe()),
            _ => cores,
        }
    }
}

/// The cores of the calling thread (affinity is per thread, and inherited by the threads and
/// processes it starts).
pub(crate) fn detect() -> Cores {
    let usable = std::thread::available_parallelism().map_or(1, usize::from);
    let online = online();
    let limit = match online {
        Some(online) if usable < online => {
            if affinity().is_some_and(|affinity| affinity <= usable) {
                Some(CoreLimit::Affinity)
            } else {
                Some(CoreLimit::Quota)
            }
        }
        _ => None,
    };
    Cores { usable, online, limit }
}

fn online() -> Option<usize> {
    // SAFETY: sysconf has no preconditions; it returns -1 for a name it does not know.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(online).ok().filter(|&online| online > 0)
}

fn affinity() -> Option<usize> {
    affinity_cpus().map(|cpus| cpus.len())
}

/// The CPUs (by number, as `/proc/stat`'s `cpuN` lines name them) the calling thread may run on;
/// `None` when the OS does not say.
pub(crate) fn affinity_cpus() -> Option<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if result != 0 {
        return None;
    }
    // SAFETY: the set was filled by sched_getaffinity, and every index is below its size.
    let cpus: Vec<usize> =
        (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect();
    (!cpus.is_empty()).then_some(cpus)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Pins the calling thread to the first CPU it may run on; `false` when the OS refuses.
    pub(crate) fn pin_to_one_cpu() -> bool {
        // SAFETY: as in `affinity`: zeroed sets are valid, and the calls write within their size.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return false;
            }
            let Some(first) = (0..libc::CPU_SETSIZE as usize).find(|&cpu| libc::CPU_ISSET(cpu, &set)) else {
                return false;
            };
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(first, &mut one);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one) == 0
        }
    }

    #[test]
    fn a_thread_pinned_to_one_cpu_is_a_one_core_machine_limited_by_its_affinity() {
        let pinned = std::thread::spawn(|| {
            assert!(pin_to_one_cpu(), "sched_setaffinity to one CPU");
            detect()
        })
        .join()
        .expect("the pinned thread");
        assert_eq!(pinned.usable, 1, "{pinned:?}");
        let online = pinned.online.expect("sysconf knows the CPUs online");
        let expected = (online > 1).then_some(CoreLimit::Affinity);
        assert_eq!(pinned.limit, expected, "{pinned:?}");
    }

    #[test]
    fn an_unpinned_process_uses_no_more_cores_than_are_online() {
        let cores = detect();
        assert!(cores.usable >= 1 && cores.online.is_some_and(|online| cores.usable <= online), "{cores:?}");
        assert_eq!(
            cores.limit.is_some(),
            cores.online.is_some_and(|online| cores.usable < online),
            "{cores:?}"
        );
    }
}
