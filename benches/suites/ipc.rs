//! ipc: the floor beside the pools. How long one task takes there and back, with nothing else
//! to do: a raw pipe round trip between two processes, a channel round trip between two threads,
//! and each executor's one-task map; then what the payload format costs a process pool.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;

use criterion::Criterion;
use poolbench::bench::{Sweep, check, expected_answer, timed};
use poolbench::catalog::{CHANNEL_FLOOR, IPC_ROUND_TRIP, PIPE_FLOOR};
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

fn pipe_floor() -> Result<impl FnMut(u64) -> std::time::Duration, String> {
    let mut echo = PipeEcho::start().map_err(|err| format!("cannot start cat: {err}"))?;
    match echo.round_trip(41) {
        Ok(41) => Ok(timed(move || echo.round_trip(black_box(41)))),
        other => Err(format!("cat echoed {other:?} for 41")),
    }
}

fn round_trip(c: &mut Criterion) {
    let mut group = group(c, IPC_ROUND_TRIP);
    if on_path("cat") {
        group.bench(PIPE_FLOOR, 1, pipe_floor);
    } else {
        eprintln!("{IPC_ROUND_TRIP}/{PIPE_FLOOR} skipped: no cat on PATH to echo through");
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
