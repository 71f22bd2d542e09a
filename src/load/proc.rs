//! What Linux says of CPU time: `/proc/stat` for the machine, `getrusage(2)` for this process and
//! the children it reaped, and for the processes it started (a pool's workers, the fork server,
//! their children) each one's CPU clock and `/proc/<pid>/stat`.
//!
//! The processes a benchmark started are found by their parent, in `/proc/<pid>/stat`: a process
//! whose parent is this one or one of them. A live one counts with its own CPU time
//! (`clock_gettime` on its CPU clock, to the nanosecond) and the time of the children it reaped
//! (`cutime` and `cstime`, in clock ticks); one that ended and was reaped counts in its parent's
//! reaped time. So the sum over this process and the live ones only grows, whether a worker is
//! alive, dead and reaped, or replaced. Looking for new processes reads the `stat` of every
//! process it has not seen before once; the rest of a window only reads its own.

use std::collections::{HashMap, HashSet};
use std::io;

/// The machine's CPU time since boot, over the CPUs this process may run on (its affinity), in
/// seconds: `/proc/stat`'s `cpu` line, or the sum of its `cpuN` lines under `taskset`: programs
/// on the other CPUs take nothing from a benchmark that cannot run there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MachineTimes {
    /// Time running tasks or handling interrupts: `user + nice + system + irq + softirq` (guest
    /// time is part of `user` already).
    pub busy: f64,
    /// Time the hypervisor gave this machine's CPUs to others while they had work: `steal`.
    pub steal: f64,
    /// The CPUs summed: the `cpuN` lines of the affinity.
    pub cpus: u32,
}

impl MachineTimes {
    /// Reads `/proc/stat`.
    pub fn read() -> io::Result<MachineTimes> {
        let text = std::fs::read_to_string("/proc/stat")?;
        let allowed = crate::schema::cores::affinity_cpus();
        parse_proc_stat(&text, ticks_per_second(), allowed.as_deref())
            .map_err(|reason| io::Error::new(io::ErrorKind::InvalidData, format!("/proc/stat: {reason}")))
    }
}

/// `/proc/stat`'s text, its numbers in ticks of `tick` per second, over the CPUs of `allowed`
/// (all of them when `None`, or when it names every `cpuN` line).
fn parse_proc_stat(text: &str, ticks: f64, allowed: Option<&[usize]>) -> Result<MachineTimes, String> {
    let numbered: Vec<(usize, &str)> = text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("cpu")?;
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            rest[..digits].parse::<usize>().ok().map(|cpu| (cpu, line))
        })
        .collect();
    if numbered.is_empty() {
        return Err("no `cpuN` line".to_owned());
    }
    let chosen: Vec<&str> = match allowed {
        Some(allowed) if numbered.iter().any(|(cpu, _)| !allowed.contains(cpu)) => {
            numbered.iter().filter(|(cpu, _)| allowed.contains(cpu)).map(|(_, line)| *line).collect()
        }
        _ => vec![text.lines().find(|line| line.starts_with("cpu ")).ok_or("no `cpu` line")?],
    };
    let cpus = if chosen.len() == 1 && chosen[0].starts_with("cpu ") { numbered.len() } else { chosen.len() };
    let cpus = u32::try_from(cpus)
        .ok()
        .filter(|&cpus| cpus > 0)
        .ok_or("none of its `cpuN` lines is a CPU this process may use")?;
    let (mut busy, mut steal) = (0.0, 0.0);
    for line in chosen {
        let name = line.split_whitespace().next().unwrap_or("cpu");
        let fields: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .map(|field| {
                field.parse::<f64>().map_err(|_| format!("`{field}` in its `{name}` line is not a number"))
            })
            .collect::<Result<_, _>>()?;
        // user nice system idle iowait irq softirq steal: eight since Linux 2.6.11.
        if fields.len() < 8 {
            return Err(format!(
                "its `{name}` line has {} numbers, not the 8 or more Linux writes",
                fields.len()
            ));
        }
        busy += fields[0] + fields[1] + fields[2] + fields[5] + fields[6];
        steal += fields[7];
    }
    Ok(MachineTimes { busy: busy / ticks, steal: steal / ticks, cpus })
}

/// The clock ticks per second of `/proc`'s times (`USER_HZ`, 100 on every Linux poolbench knows).
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// This process's CPU time and involuntary context switches (every thread, the ended ones too),
/// and those of the children it reaped, from `getrusage(2)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct OwnUsage {
    /// This process's user and system time, s.
    pub cpu: f64,
    /// Its involuntary context switches.
    pub switches: u64,
    /// The user and system time of the children it reaped, and of theirs, s.
    pub reaped_cpu: f64,
    /// Their involuntary context switches.
    pub reaped_switches: u64,
}

impl OwnUsage {
    /// Asks the kernel.
    pub fn read() -> io::Result<OwnUsage> {
        let (cpu, switches) = rusage(libc::RUSAGE_SELF)?;
        let (reaped_cpu, reaped_switches) = rusage(libc::RUSAGE_CHILDREN)?;
        Ok(OwnUsage { cpu, switches, reaped_cpu, reaped_switches })
    }
}

fn rusage(who: libc::c_int) -> io::Result<(f64, u64)> {
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given, which lives for the call.
    if unsafe { libc::getrusage(who, &raw mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 * 1e-6;
    Ok((seconds(usage.ru_utime) + seconds(usage.ru_stime), u64::try_from(usage.ru_nivcsw).unwrap_or(0)))
}

/// What `/proc/<pid>/stat` says of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ProcStat {
    ppid: u32,
    /// The time its reaped children took, `cutime + cstime`, s.
    reaped_cpu: f64,
    /// When it started, in ticks since boot: with the pid, names one process even after the pid is
    /// reused.
    start: u64,
}

/// Field 4 (`ppid`), 16 and 17 (`cutime`, `cstime`) and 22 (`starttime`) of `/proc/<pid>/stat`'s
/// text. The command name (field 2) is in parentheses and may hold anything: the fields are
/// counted after the last `)`.
fn parse_pid_stat(text: &str, ticks: f64) -> Option<ProcStat> {
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some(ProcStat {
        ppid: u32::try_from(field(4)?).ok()?,
        reaped_cpu: (field(16)? + field(17)?) as f64 / ticks,
        start: field(22)?,
    })
}

fn read_pid_stat(pid: u32, ticks: f64) -> Option<ProcStat> {
    parse_pid_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?, ticks)
}

/// The CPU time of the whole process `pid`, every thread, s: its CPU clock.
fn process_cpu(pid: u32) -> Option<f64> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: both calls write only into the locals they are given.
    unsafe {
        if libc::clock_getcpuclockid(libc::pid_t::try_from(pid).ok()?, &raw mut clock) != 0 {
            return None;
        }
        let mut time: libc::timespec = std::mem::zeroed();
        if libc::clock_gettime(clock, &raw mut time) != 0 {
            return None;
        }
        Some(time.tv_sec as f64 + time.tv_nsec as f64 * 1e-9)
    }
}

/// The involuntary context switches of the main thread of `pid`: `/proc/<pid>/status`.
fn main_thread_switches(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("nonvoluntary_ctxt_switches:")?.trim().parse().ok())
}

/// What the processes this one started add up to at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Descendants {
    /// Their CPU time and that of the children they reaped, s.
    pub cpu: f64,
    /// Their main threads' involuntary context switches.
    pub switches: u64,
    /// How many were alive.
    pub alive: u32,
}

/// Finds the processes this one started, and keeps track of them over one window.
#[derive(Debug)]
pub(crate) struct Family {
    me: u32,
    ticks: f64,
    /// Descendants by pid, with their start time.
    known: HashMap<u32, u64>,
    /// Processes seen once and not descended from this one: not read again in this window. A pid
    /// is reused only after the kernel has handed out every other (`pid_max`, 32,768 or more),
    /// which no window sees.
    strangers: HashSet<u32>,
    /// Every descendant seen in the window.
    seen: HashSet<u32>,
}

impl Family {
    /// A family with no process seen yet.
    pub fn new() -> Family {
        Family {
            me: std::process::id(),
            ticks: ticks_per_second(),
            known: HashMap::new(),
            strangers: HashSet::new(),
            seen: HashSet::new(),
        }
    }

    /// How many descendants were seen in the window.
    pub fn seen(&self) -> u32 {
        u32::try_from(self.seen.len()).unwrap_or(u32::MAX)
    }

    /// The descendants alive at the last [`sum`](Self::sum), by pid.
    pub fn alive(&self) -> impl Iterator<Item = u32> + '_ {
        self.known.keys().copied()
    }

    /// Looks for new descendants and adds up every live one.
    pub fn sum(&mut self) -> io::Result<Descendants> {
        let mut new: Vec<(u32, ProcStat)> = Vec::new();
        for entry in std::fs::read_dir("/proc")? {
            let Some(pid) = entry?.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
                continue;
            };
            if pid == self.me || self.strangers.contains(&pid) || self.known.contains_key(&pid) {
                continue;
            }
            if let Some(stat) = read_pid_stat(pid, self.ticks) {
                new.push((pid, stat));
            }
        }
        // A new child of a new child: parents first, until no one is added.
        loop {
            let before = new.len();
            new.retain(|(pid, stat)| {
                let ours = stat.ppid == self.me || self.known.contains_key(&stat.ppid);
                if ours {
                    self.known.insert(*pid, stat.start);
                    self.seen.insert(*pid);
                }
                !ours
            });
            if new.len() == before {
                break;
            }
        }
        self.strangers.extend(new.into_iter().map(|(pid, _)| pid));

        let mut sum = Descendants::default();
        let mut gone = Vec::new();
        for (&pid, &start) in &self.known {
            let stat = read_pid_stat(pid, self.ticks).filter(|stat| stat.start == start);
            match (stat, process_cpu(pid)) {
                (Some(stat), Some(cpu)) => {
                    sum.cpu += cpu + stat.reaped_cpu;
                    sum.switches += main_thread_switches(pid).unwrap_or(0);
                    sum.alive += 1;
                }
                // Ended: its time is in its parent's reaped time once it is reaped.
                _ => gone.push(pid),
            }
        }
        for pid in gone {
            self.known.remove(&pid);
        }
        Ok(sum)
    }
}

/// A child process a test started, killed and reaped when dropped, so that a failed assertion
/// leaves no process behind: the load's tests and the memory's share it.
#[cfg(test)]
pub(super) struct Reaped(pub std::process::Child);

#[cfg(test)]
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_sums_busy_time_and_steal_over_the_cpus() {
        let text = "cpu  100 20 30 400 50 6 7 8 0 0\ncpu0 50 10 15 200 25 3 3 4 0 0\n\
                    cpu1 50 10 15 200 25 3 4 4 0 0\nintr 1 2 3\nctxt 99\n";
        let times = parse_proc_stat(text, 100.0, None).expect("parses");
        assert_eq!(times.cpus, 2);
        assert!((times.busy - 1.63).abs() < 1e-9, "{times:?}");
        assert!((times.steal - 0.08).abs() < 1e-9, "{times:?}");
        assert_eq!(parse_proc_stat(text, 100.0, Some(&[0, 1])), Ok(times));
        assert!(parse_proc_stat("cpu  1 2 3\ncpu0 1 2 3\n", 100.0, None).unwrap_err().contains("3 numbers"));
        assert!(parse_proc_stat("cpu  1 2 x 4 5 6 7 8\ncpu0 1\n", 100.0, None).unwrap_err().contains("`x`"));
        assert!(parse_proc_stat("intr 1\n", 100.0, None).is_err());
    }

    #[test]
    fn under_an_affinity_only_the_cpus_the_process_may_use_are_summed() {
        let text = "cpu  100 20 30 400 50 6 7 8 0 0\ncpu0 50 10 15 200 25 3 3 4 0 0\n\
                    cpu1 50 10 15 200 25 3 4 0 0 0\nintr 1 2 3\n";
        let times = parse_proc_stat(text, 100.0, Some(&[1])).expect("parses");
        assert_eq!(times.cpus, 1);
        assert!((times.busy - 0.82).abs() < 1e-9 && times.steal == 0.0, "{times:?}");
        let err = parse_proc_stat(text, 100.0, Some(&[5])).unwrap_err();
        assert!(err.contains("none of its `cpuN` lines"), "{err}");
    }

    #[test]
    fn a_command_name_with_parentheses_and_spaces_does_not_shift_the_fields() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
        // stime cutime cstime priority nice threads itrealvalue starttime ...
        let text = "42 (a (b) c) S 7 42 42 0 -1 0 0 0 0 0 5 6 250 50 20 0 1 0 12345 0 0";
        let stat = parse_pid_stat(text, 100.0).expect("parses");
        assert_eq!((stat.ppid, stat.start), (7, 12345));
        assert!((stat.reaped_cpu - 3.0).abs() < 1e-9, "{stat:?}");
        assert_eq!(parse_pid_stat("42 (x) S 7", 100.0), None);
    }

    #[test]
    fn a_child_process_is_found_and_its_cpu_time_counted_until_it_ends() {
        // Other tests of this binary start processes too: only this one's child is asserted on.
        let mut family = Family::new();
        family.sum().expect("/proc is readable");
        let child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 5"])
            .spawn()
            .expect("sh runs");
        let pid = child.id();
        let mut child = Reaped(child);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let during = family.sum().expect("/proc is readable");
        assert!(family.known.contains_key(&pid), "{:?}", family.known);
        assert!(during.alive >= 1 && during.cpu > 0.0, "{during:?}");
        child.0.kill().expect("the child is killed");
        child.0.wait().expect("the child is reaped");
        family.sum().expect("/proc is readable");
        assert!(!family.known.contains_key(&pid) && family.seen.contains(&pid));
    }
}
