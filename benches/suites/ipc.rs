//! ipc: the floor beside the pools. How long one task takes there and back, with nothing else
//! to do: a raw pipe round trip between two processes (three ways: wherever the scheduler puts
//! the two ends, both pinned to one CPU, pinned to two different CPUs), a channel round trip
//! between two threads, and each executor's one-task map; then what the payload format costs a
//! process pool.
//!
//! The unpinned pipe floor is bimodal on a VM: a few µs when the scheduler happens to put both
//! ends on one vCPU (a switch, no wake-up of an idle vCPU), about 50 µs when it puts them apart.
//! Which one a run sees moves with the load, so the pinned floors are the stable references: a
//! process pool, whose workers run on other cores, is compared with `pipe-floor-cross-cpu`.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;

use criterion::Criterion;
use poolbench::bench::{Sweep, check, expected_answer, timed};
use poolbench::catalog::{
    CHANNEL_FLOOR, IPC_ROUND_TRIP, PIPE_FLOOR, PIPE_FLOOR_CROSS_CPU, PIPE_FLOOR_SAME_CPU,
};
use poolbench::executor::Codec;
use poolbench::workload::{Factorial, Squares};
use poolbench::{Executor, ProcessPool, Workload};

use super::{case, group};

/// `cat` on a pipe pair: whatever it reads it writes straight back, so a round trip through it
/// is two pipe transfers and two process wake-ups, the least any process pool can cost.
struct PipeEcho {
    child: Child,
    to: ChildStdin,
    from: ChildStdout,
}

impl PipeEcho {
    fn start() -> io::Result<Self> {
        let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("cat started without its pipes"));
        };
        Ok(PipeEcho { child, to, from })
    }

    fn round_trip(&mut self, value: u64) -> io::Result<u64> {
        self.to.write_all(&value.to_be_bytes())?;
        let mut answer = [0u8; 8];
        self.from.read_exact(&mut answer)?;
        Ok(u64::from_be_bytes(answer))
    }
}

impl Drop for PipeEcho {
    fn drop(&mut self) {
        // Closing stdin ends cat; reaping it leaves no zombie.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A thread that echoes what it receives over one channel on another.
struct ChannelEcho {
    to: Option<mpsc::Sender<u64>>,
    from: mpsc::Receiver<u64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ChannelEcho {
    fn start() -> Self {
        let (to, echo_in) = mpsc::channel::<u64>();
        let (echo_out, from) = mpsc::channel::<u64>();
        let thread = std::thread::spawn(move || {
            for value in echo_in {
                if echo_out.send(value).is_err() {
                    return;
                }
            }
        });
        ChannelEcho { to: Some(to), from, thread: Some(thread) }
    }

    fn round_trip(&self, value: u64) -> Option<u64> {
        self.to.as_ref()?.send(value).ok()?;
        self.from.recv().ok()
    }
}

impl Drop for ChannelEcho {
    fn drop(&mut self) {
        // Closing the channel ends the thread.
        drop(self.to.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whether `program` is an executable file in a directory of `PATH`, found without starting it.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Where the two ends of a pipe floor run.
#[derive(Clone, Copy)]
enum Placement {
    /// Wherever the scheduler puts them.
    Unpinned,
    /// Both on one CPU: each round trip is two context switches, no wake-up of an idle CPU.
    SameCpu,
    /// On two different CPUs: each round trip wakes the other CPU twice.
    CrossCpu,
}

/// The CPUs this process may run on, from its affinity mask.
fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CPU_ISSET reads within the set for cpu < CPU_SETSIZE.
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

/// Restricts the thread or process `pid` (0: the calling thread) to `cpus`.
fn set_affinity(pid: libc::pid_t, cpus: &[usize]) -> io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        // SAFETY: CPU_SET writes within the set for cpu < CPU_SETSIZE, as every cpu from
        // `allowed_cpus` is.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    if unsafe { libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread restricted to one CPU until dropped, then given back the CPUs it had.
struct Pinned {
    before: Vec<usize>,
}

impl Pinned {
    fn to(cpu: usize) -> io::Result<Self> {
        let before = allowed_cpus()?;
        set_affinity(0, &[cpu])?;
        Ok(Pinned { before })
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Err(err) = set_affinity(0, &self.before) {
            // The benchmarks that follow would run on one CPU and measure something else.
            eprintln!(
                "Error: cannot give the benchmark thread its CPUs back after a pinned pipe floor: {err}"
            );
            std::process::exit(1);
        }
    }
}

/// The pipe floor's routine with its two ends placed as `placement` says. The echo process is
/// pinned once; the benchmark thread only while it is timed, so that Criterion's analysis and the
/// benchmarks that follow keep every CPU.
fn pipe_floor(placement: Placement) -> Result<impl FnMut(u64) -> std::time::Duration, String> {
    let mut echo = PipeEcho::start().map_err(|err| format!("cannot start cat: {err}"))?;
    let ours = match placement {
        Placement::Unpinned => None,
        Placement::SameCpu | Placement::CrossCpu => {
            let cpus = allowed_cpus().map_err(|err| format!("cannot read this process's CPUs: {err}"))?;
            let (ours, theirs) = match (placement, cpus.as_slice()) {
                (Placement::SameCpu, [first, ..]) => (*first, *first),
                (Placement::CrossCpu, [first, second, ..]) => (*first, *second),
                _ => return Err(format!("{} CPUs are too few to place the pipe's ends", cpus.len())),
            };
            let pid = libc::pid_t::try_from(echo.child.id()).map_err(|err| format!("cat's pid: {err}"))?;
            set_affinity(pid, &[theirs]).map_err(|err| format!("cannot pin cat to CPU {theirs}: {err}"))?;
            // Checked here, where a failure can still stop the bench with a message.
            drop(
                Pinned::to(ours)
                    .map_err(|err| format!("cannot pin the benchmark thread to CPU {ours}: {err}"))?,
            );
            Some(ours)
        }
    };
    match echo.round_trip(41) {
        Ok(41) => {}
        other => return Err(format!("cat echoed {other:?} for 41")),
    }
    let mut routine = timed(move || echo.round_trip(black_box(41)));
    Ok(move |iters| {
        let _pinned = ours.map(|cpu| {
            Pinned::to(cpu).unwrap_or_else(|err| {
                eprintln!("Error: cannot pin the benchmark thread to CPU {cpu} for a pipe floor: {err}");
                std::process::exit(1)
            })
        });
        routine(iters)
    })
}

fn round_trip(c: &mut Criterion) {
    let mut group = group(c, IPC_ROUND_TRIP);
    let cpus = allowed_cpus().map_or(0, |cpus| cpus.len());
    for (floor, placement, needs) in [
        (PIPE_FLOOR, Placement::Unpinned, 1),
        (PIPE_FLOOR_SAME_CPU, Placement::SameCpu, 1),
        (PIPE_FLOOR_CROSS_CPU, Placement::CrossCpu, 2),
    ] {
        if !on_path("cat") {
            eprintln!("{IPC_ROUND_TRIP}/{floor} skipped: no cat on PATH to echo through");
        } else if cpus < needs {
            eprintln!(
                "{IPC_ROUND_TRIP}/{floor} skipped: it needs {needs} CPUs and this process may use {cpus}"
            );
        } else {
            group.bench(floor, 1, || pipe_floor(placement));
        }
    }
    group.bench(CHANNEL_FLOOR, 1, || {
        let echo = ChannelEcho::start();
        match echo.round_trip(41) {
            Some(41) => Ok(timed(move || echo.round_trip(black_box(41)))),
            other => Err(format!("the channel echoed {other:?} for 41")),
        }
    });
    Sweep::new(IPC_ROUND_TRIP, &Squares, &[7]).run_in(&mut group);
}

fn per_codec<W: Workload>(c: &mut Criterion, group_id: &'static str, workload: &W, inputs: &[W::Input]) {
    let mut group = group(c, group_id);
    for codec in Codec::ALL {
        // The pool lives beside the benchmark, so the prepared map the routine owns can borrow it.
        let mut pool = None;
        group.bench(codec.name(), 2, || {
            let expected = expected_answer(workload, inputs)?;
            let built = ProcessPool::builder()
                .size(2)
                .codec(codec)
                .build()
                .map_err(|err| format!("cannot start a ProcessPool speaking {codec}: {err}"))?;
            let prepared = pool.insert(built).prepare(workload).map_err(|err| err.to_string())?;
            check(&prepared, workload, inputs, &expected)?;
            Ok(timed(move || prepared.map(black_box(inputs))))
        });
    }
}

/// The suite.
pub fn benches(c: &mut Criterion) {
    round_trip(c);
    per_codec(c, case("ipc/codec-squares"), &Squares, &(1..=10_000).collect::<Vec<u32>>());
    per_codec(c, case("ipc/codec-factorial"), &Factorial, &(1..=10).map(|k| k * 2_000).collect::<Vec<u32>>());
}
