//! The machine's load around each benchmark: how much CPU time the benchmark took, how much the
//! whole machine did, and so how much went to other programs and the hypervisor.
//!
//! A [`Window`] is opened when a benchmark's first timed call begins (after its set-up) and marked
//! after each call Criterion makes, warm-up and samples alike; the last mark closes it, so the
//! window is the warm-up and the measurement, and not Criterion's analysis after. A mark reads
//! `/proc/stat`, `getrusage(2)` and the processes the benchmark started (`proc.rs`): a few small
//! files between two timed calls, never inside one. What the figures mean and how they are judged
//! is [`Load`](crate::schema::Load)'s documentation; [`DISTURBANCE_THRESHOLD`] is the verdict's
//! threshold, chosen by measurement (`reports/README.md`, "Quiet or disturbed").

mod memory;
mod proc;

use std::io;
use std::time::{Duration, Instant};

pub(crate) use memory::Baseline;
use memory::Tracker;
use proc::{Descendants, Family, MachineTimes, OwnUsage};

use crate::schema::{Load, Memory, Times};

/// The disturbance above which a benchmark is disturbed: other programs and the hypervisor took
/// more than 15% of the cores it could have used.
///
/// One CPU-bound program competing for a benchmark's cores takes a third of them or more (three
/// runnable threads on two cores), and a quiet machine a few percent. Measured on this project's
/// 2-core VM (`reports/README.md`, "The threshold, and how it was chosen"): beside two busy loops
/// the pools of `pools/cpu-spin` read 34% to 78%; the benchmarks judged quiet in the same run
/// read a median of 2.3% and at most 14.1% (steal, and in the start-up groups work not charged
/// to the benchmark's processes): a lower threshold would flag a quiet machine.
pub const DISTURBANCE_THRESHOLD: f64 = 0.15;

/// What is read at one moment.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    at: Instant,
    machine: MachineTimes,
    own: OwnUsage,
    descendants: Descendants,
}

impl Snapshot {
    fn take(family: &mut Family) -> io::Result<Snapshot> {
        let at = Instant::now();
        let machine = MachineTimes::read()?;
        let own = OwnUsage::read()?;
        let descendants = family.sum()?;
        Ok(Snapshot { at, machine, own, descendants })
    }

    /// The CPU time of everything this process started, reaped or alive.
    fn children_cpu(&self) -> f64 {
        self.own.reaped_cpu + self.descendants.cpu
    }

    fn switches(&self) -> u64 {
        self.own.switches + self.own.reaped_switches + self.descendants.switches
    }
}

/// One benchmark's window: a snapshot at its start and one at its latest mark.
#[derive(Debug)]
pub(crate) struct Window {
    family: Family,
    start: Snapshot,
    end: Option<Snapshot>,
    memory: Option<Tracker>,
}

impl Window {
    /// Opens a window now.
    ///
    /// # Errors
    ///
    /// `/proc` or `getrusage` cannot be read: not Linux, or `/proc` not mounted.
    pub fn start() -> io::Result<Window> {
        let mut family = Family::new();
        let start = Snapshot::take(&mut family)?;
        Ok(Window { family, start, end: None, memory: None })
    }

    /// Opens a window now that also samples the process tree's memory, from `baseline`: now
    /// (steady state) and at each mark (the peak). Without a baseline (memory not sampled, or
    /// unreadable) it is a window of load only.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_with_memory(baseline: Baseline) -> io::Result<Window> {
        // Before the window opens: waiting for exiting workers is neither load nor memory.
        baseline.settle();
        let mut window = Window::start()?;
        window.memory = Tracker::start(baseline, &window.family);
        Ok(window)
    }

    /// Moves the window's end to now.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn mark(&mut self) -> io::Result<()> {
        self.end = Some(Snapshot::take(&mut self.family)?);
        // A tree that can no longer be read gives no figures rather than partial ones.
        if let Some(tracker) = self.memory.as_mut() {
            if tracker.mark(&self.family).is_err() {
                self.memory = None;
            }
        }
        Ok(())
    }

    /// The memory figures, when the window samples memory.
    pub fn memory(&self) -> Option<Memory> {
        self.memory.as_ref().map(Tracker::memory)
    }

    /// The load from the start to the last mark, for a benchmark of `threads` threads or
    /// processes; `None` before the first mark.
    pub fn load(&self, threads: u32) -> Option<Load> {
        let (start, end) = (&self.start, self.end.as_ref()?);
        let times = Times {
            wall_seconds: end.at.duration_since(start.at).as_secs_f64(),
            cores: end.machine.cpus,
            process_cpu_seconds: (end.own.cpu - start.own.cpu).max(0.0),
            // A descendant that ends and is reaped by a process outside the family (one orphaned
            // to init) takes its time with it: a window cannot count less than nothing.
            children_cpu_seconds: (end.children_cpu() - start.children_cpu()).max(0.0),
            processes: self.family.seen(),
            machine_busy_seconds: (end.machine.busy - start.machine.busy).max(0.0),
            steal_seconds: (end.machine.steal - start.machine.steal).max(0.0),
            involuntary_switches: end.switches().saturating_sub(start.switches()),
        };
        Some(Load::judge(times, threads, DISTURBANCE_THRESHOLD))
    }
}

/// The machine's load over the next `duration`, for a benchmark of `threads` threads that is not
/// running: how much other programs would take from it.
///
/// # Errors
///
/// As [`Window::start`].
pub(crate) fn probe(duration: Duration, threads: u32) -> io::Result<Load> {
    let mut window = Window::start()?;
    std::thread::sleep(duration);
    window.mark()?;
    Ok(window.load(threads).expect("marked above"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_its_own_spinning_as_its_own_and_its_figures_hold_together() {
        let mut window = Window::start().expect("/proc is readable");
        assert_eq!(window.load(1), None, "no load before a mark");
        // Spin until this process has used 0.1 s of CPU, for at most 30 s on a busy machine.
        let cpu = || OwnUsage::read().expect("getrusage").cpu;
        let (before, started) = (cpu(), Instant::now());
        let mut spins = 0u64;
        while cpu() - before < 0.1 && started.elapsed() < Duration::from_secs(30) {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
        window.mark().expect("/proc is readable");
        let load = window.load(1).expect("marked");
        assert_eq!(load.defect(), None, "{load:?}");
        assert!(load.times.process_cpu_seconds >= 0.1 && load.times.wall_seconds > 0.0, "{load:?}");
        assert!(
            load.own_cpu_seconds() <= load.times.wall_seconds * f64::from(load.times.cores) + 0.05,
            "{load:?}"
        );
        assert!((0.0..=1.0).contains(&load.others_share) && (0.0..=1.0).contains(&load.disturbance));
    }
}
