//! ipc: the floor beside the pools. How long one task takes there and back, with nothing else
//! to do: a raw pipe round trip between two processes, a channel round trip between two threads,
//! and each executor's one-task map; then what the payload format costs a process pool.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;

use criterion::{BenchmarkId, Criterion, criterion_group};
use poolbench::catalog::{CHANNEL_FLOOR, IPC_ROUND_TRIP, PIPE_FLOOR};
use poolbench::executor::Codec;
use poolbench::workload::{Factorial, Squares};
use poolbench::{ProcessPool, Sequential, Workload};

use super::{bench_map, bench_map_as, build, expected, group, pool_kinds, sizes};

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

fn round_trip(c: &mut Criterion) {
    let mut group = group(c, IPC_ROUND_TRIP);
    match PipeEcho::start() {
        Ok(mut echo) => {
            assert_eq!(echo.round_trip(41).ok(), Some(41), "cat echoes");
            group.bench_function(BenchmarkId::new(PIPE_FLOOR, 1), |b| {
                b.iter(|| echo.round_trip(black_box(41)));
            });
        }
        Err(err) => eprintln!("{IPC_ROUND_TRIP}/{PIPE_FLOOR} skipped: cannot start cat: {err}"),
    }

    let (to_echo, echo_in) = mpsc::channel::<u64>();
    let (echo_out, from_echo) = mpsc::channel::<u64>();
    let echo = std::thread::spawn(move || {
        for value in echo_in {
            if echo_out.send(value).is_err() {
                return;
            }
        }
    });
    let channel_round_trip = |value: u64| to_echo.send(value).ok().and_then(|()| from_echo.recv().ok());
    assert_eq!(channel_round_trip(41), Some(41), "the channel echoes");
    group.bench_function(BenchmarkId::new(CHANNEL_FLOOR, 1), |b| {
        b.iter(|| channel_round_trip(black_box(41)));
    });
    drop(to_echo);
    let _ = echo.join();

    let inputs = [7u32];
    let expected = expected(&Squares, &inputs);
    bench_map(&mut group, &Sequential, &Squares, &inputs, &expected);
    for kind in pool_kinds() {
        for size in sizes() {
            bench_map(&mut group, &build(kind, size), &Squares, &inputs, &expected);
        }
    }
}

fn per_codec<W: Workload>(c: &mut Criterion, group_id: &str, workload: &W, inputs: &[W::Input]) {
    let mut group = group(c, group_id);
    let expected = expected(workload, inputs);
    for codec in Codec::ALL {
        let pool = ProcessPool::builder()
            .size(2)
            .codec(codec)
            .build()
            .unwrap_or_else(|err| panic!("cannot start a ProcessPool speaking {codec}: {err}"));
        bench_map_as(&mut group, BenchmarkId::new(codec.name(), 2), &pool, workload, inputs, &expected);
    }
}

fn codec_squares(c: &mut Criterion) {
    per_codec(c, "ipc/codec-squares", &Squares, &(1..=10_000).collect::<Vec<u32>>());
}

fn codec_factorial(c: &mut Criterion) {
    per_codec(c, "ipc/codec-factorial", &Factorial, &(1..=10).map(|k| k * 2_000).collect::<Vec<u32>>());
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = round_trip, codec_squares, codec_factorial
}
