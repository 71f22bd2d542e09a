//! Whether other programs disturbed a round: the share of the machine's CPU time that went
//! neither to the gate nor to anything it started.
//!
//! A round's window opens before its two servers start and closes after both have been stopped
//! and reaped, so every process of the round (the servers, their pools' workers, which each
//! server reaps before it exits) is counted in the gate's own `getrusage(RUSAGE_CHILDREN)` by
//! then. The machine's busy time comes from `/proc/stat` (user, nice, system, irq, softirq and
//! steal: the hypervisor's share counts as disturbance too). What is left after the gate's own
//! time and its children's, over the window's wall time times the CPUs, is the others' share;
//! a round above [`DISTURBANCE_THRESHOLD`] is dropped, counted, and measured again.
//!
//! A pool's workers may outlive the server that started them by a few milliseconds (a pool's drop
//! tells them to stop and a background thread reaps them), so they are orphaned to `init` and
//! their CPU time would pass for another program's. So the gate makes itself the child
//! subreaper of its descendants ([`adopt_orphans`]): orphans become its children, and a window
//! reaps them (for at most [`ORPHAN_WAIT`]) before it closes, so their time is the gate's own.
//!
//! This is the gate's own, round-level measurement, from the driver's side: it needs nothing from
//! the servers, so it works with any base that has serve mode. The per-benchmark load window of
//! the quiet-machine measurement (`crate::load`, which a served benchmark does not open) could
//! instead be reported per slot by the servers, as a field after the nanoseconds (protocol
//! version 1 readers ignore it); [`Window`] is the one seam to replace. The threshold is shared.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a closing window waits for adopted orphans to exit.
pub const ORPHAN_WAIT: Duration = Duration::from_millis(50);

static ADOPTING: AtomicBool = AtomicBool::new(false);

/// Makes this process the subreaper of its descendants (`prctl(PR_SET_CHILD_SUBREAPER)`), so
/// that windows can reap orphaned pool workers; returns whether it could.
///
/// A window then reaps *any* child that has exited when it closes: call it only in a process
/// whose other children nobody else waits for (the `poolbench` command line).
pub fn adopt_orphans() -> bool {
    // SAFETY: prctl with integer arguments changes only this process's own attribute.
    let adopted = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == 0;
    ADOPTING.store(adopted, Ordering::Relaxed);
    adopted
}

/// Reaps exited children (adopted orphans) until none is left or [`ORPHAN_WAIT`] has passed.
fn reap_orphans() {
    if !ADOPTING.load(Ordering::Relaxed) {
        return;
    }
    let deadline = Instant::now() + ORPHAN_WAIT;
    loop {
        let mut status = 0;
        // SAFETY: waitpid with a valid pointer to an int.
        let reaped = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if reaped > 0 {
            continue;
        }
        // 0: children left, none exited yet; below 0: no children at all.
        if reaped < 0 || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The others' share above which a round is disturbed: the quiet-machine verdict's own threshold
/// (more than 15% of the cores taken by other programs and the hypervisor), one constant for both.
pub use crate::load::DISTURBANCE_THRESHOLD;

/// The CPU seconds the machine spent busy, and its CPU count.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Machine {
    busy: f64,
    cpus: u32,
    /// Clock ticks a second, the unit `/proc/stat` counts in.
    ticks: f64,
}

/// A moment: the machine's busy time, and the gate's own and its reaped children's CPU time.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    at: Instant,
    machine: Machine,
    own: f64,
}

impl Snapshot {
    fn take() -> io::Result<Snapshot> {
        let at = Instant::now();
        let machine = machine_from(&std::fs::read_to_string("/proc/stat")?)?;
        Ok(Snapshot { at, machine, own: own_cpu()? })
    }
}

/// One round's window.
#[derive(Debug)]
pub(crate) struct Window {
    start: Snapshot,
}

impl Window {
    /// Opens a window now.
    ///
    /// # Errors
    ///
    /// When `/proc/stat` or `getrusage` cannot be read (not Linux, `/proc` not mounted).
    pub fn open() -> io::Result<Window> {
        Ok(Window { start: Snapshot::take()? })
    }

    /// The others' share of the machine since the window opened, from 0 to 1; call it once the
    /// round's processes have been reaped.
    ///
    /// # Errors
    ///
    /// As [`Window::open`].
    pub fn others_share(&self) -> io::Result<f64> {
        reap_orphans();
        let end = Snapshot::take()?;
        Ok(share(&self.start, &end))
    }
}

fn share(start: &Snapshot, end: &Snapshot) -> f64 {
    let capacity = end.at.duration_since(start.at).as_secs_f64() * f64::from(end.machine.cpus.max(1));
    if capacity <= 0.0 {
        return 0.0;
    }
    // /proc/stat counts in clock ticks: each CPU's count may be a tick short at either end of
    // the window, so that much is not held against the others.
    let quantum = 2.0 * f64::from(end.machine.cpus.max(1)) / end.machine.ticks;
    let others = (end.machine.busy - start.machine.busy) - (end.own - start.own) - quantum;
    (others / capacity).clamp(0.0, 1.0)
}

/// The `cpu` line of `/proc/stat`: busy seconds over every CPU, and how many `cpuN` lines follow.
fn machine_from(stat: &str) -> io::Result<Machine> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("/proc/stat: {what}"));
    let line = stat.lines().find(|line| line.starts_with("cpu ")).ok_or_else(|| bad("no `cpu` line"))?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse::<f64>)
        .collect::<Result<_, _>>()
        .map_err(|_| bad("a field is no number"))?;
    // user nice system idle iowait irq softirq steal (guest is within user already).
    let [user, nice, system, _idle, _iowait, irq, softirq, steal, ..] = fields[..] else {
        return Err(bad("fewer than 8 fields on the `cpu` line"));
    };
    // SAFETY: sysconf with a valid name reads a constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    let cpus = stat.lines().filter(|line| line.starts_with("cpu") && !line.starts_with("cpu ")).count();
    Ok(Machine {
        busy: (user + nice + system + irq + softirq + steal) / ticks,
        cpus: u32::try_from(cpus).unwrap_or(u32::MAX).max(1),
        ticks,
    })
}

/// CPU seconds of this process and of its children that were reaped.
fn own_cpu() -> io::Result<f64> {
    let seconds = |usage: &libc::rusage| {
        let time = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        time(usage.ru_utime) + time(usage.ru_stime)
    };
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid one.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return Err(io::Error::last_os_error());
        }
        total += seconds(&usage);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_line_gives_busy_seconds_with_steal_and_the_cpu_count() {
        let stat = "cpu  100 0 50 1000 5 1 2 7 0 0\ncpu0 50 0 25 500 2 0 1 3 0 0\ncpu1 50 0 25 500 3 1 1 4 0 0\nintr 1\n";
        let machine = machine_from(stat).expect("a cpu line");
        // SAFETY: as in machine_from.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        assert!((machine.busy - 160.0 / ticks).abs() < 1e-9);
        assert_eq!((machine.cpus, machine.ticks), (2, ticks));
        for bad in ["intr 1\n", "cpu  1 2 3\n", "cpu  a b c d e f g h\n"] {
            assert!(machine_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_others_share_is_what_the_machine_did_beyond_the_gate_over_its_capacity() {
        let at = Instant::now();
        let start = Snapshot { at, machine: Machine { busy: 10.0, cpus: 2, ticks: 100.0 }, own: 3.0 };
        // One second on two CPUs: 1.54 s busy, 1.2 s of it the gate's and 0.04 s the ticks'
        // rounding (a tick per CPU at either end): 0.3 of 2 s is 15%.
        let machine = Machine { busy: 11.54, ..start.machine };
        let end = Snapshot { at: at + Duration::from_secs(1), machine, own: 4.2 };
        assert!((share(&start, &end) - 0.15).abs() < 1e-9, "{}", share(&start, &end));
        // Jiffies round: the gate may seem to take more than the machine did, never below 0.
        let rounded = Snapshot { own: 5.0, ..end };
        assert_eq!(share(&start, &rounded), 0.0);
    }

    #[test]
    fn a_window_over_this_process_reads_the_machine() {
        let window = Window::open().expect("/proc/stat and getrusage on Linux");
        let share = window.others_share().expect("read again");
        assert!((0.0..=1.0).contains(&share), "{share}");
    }
}
