//! `poolbench seed`: the notebook's programs (exercises 4, 7 and 8), in Rust, printed the
//! notebook's way, each checked against the sequential reference.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use poolbench::workload::producer_consumer::{Event, ProducerConsumer, Variant};
use poolbench::workload::{Factorial, Squares, Workload};
use poolbench::{Executor, ExecutorKind, ProcessPool, Sequential};

/// Options of `poolbench seed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The longest pause, in milliseconds, before each step of exercise 4 (the notebook pauses
    /// 100-500 ms; each step here pauses between a fifth of this and this).
    #[arg(long, default_value_t = 50)]
    pace_ms: u64,
    /// Pool sizes for exercise 8, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2, 4, 8])]
    sizes: Vec<usize>,
}

/// Runs exercises 4, 7 and 8.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    ensure!(
        !args.sizes.contains(&0),
        "--sizes {:?} contains 0: a pool needs at least one worker",
        args.sizes
    );
    exercise_4(Duration::from_millis(args.pace_ms))?;
    exercise_7()?;
    exercise_8(&args.sizes)?;
    Ok(ExitCode::SUCCESS)
}

fn exercise_4(pace: Duration) -> anyhow::Result<()> {
    println!("== Exercise 4: one thread adds numbers to a shared list, another removes them, under a Mutex");
    let run = ProducerConsumer { variant: Variant::PollingMutex, items: 10, pace: Some(pace) };
    let accounting = run.run_observed(&|event| match event {
        Event::Added { item, list } => println!("Added {item} to the list. Current list: {list:?}"),
        Event::Removed { item, list } => println!("Removed {item} from the list. Current list: {list:?}"),
        Event::Empty => println!("List is empty. Cannot remove any number."),
    });
    ensure!(accounting.is_exact(), "exercise 4 lost or duplicated items: {accounting:?}");
    // The consumer stops only once the producer is done and the list is empty.
    println!(
        "The list is empty at the end: {} added, {} removed, each exactly once, in order; \
         the consumer found the list empty {} times\n",
        accounting.produced, accounting.consumed, accounting.empty_polls
    );
    Ok(())
}

fn exercise_7() -> anyhow::Result<()> {
    // ThreadPoolExecutor() with no argument uses min(32, os.cpu_count() + 4) threads.
    let threads = (cores() + 4).min(32);
    println!(
        "== Exercise 7: factorials of 1..10 on a thread pool (StdPool of {threads}, ThreadPoolExecutor's default)"
    );
    let numbers: Vec<u32> = (1..=10).collect();
    let started = Instant::now();
    let pool = ExecutorKind::StdPool.build(threads)?;
    let factorials = pool.map(&Factorial, &numbers)?;
    drop(pool);
    let elapsed = started.elapsed();
    check(&Factorial, &numbers, &factorials)?;
    for (number, factorial) in numbers.iter().zip(&factorials) {
        println!("The factorial of {number} is {factorial}");
    }
    println!("Time taken: {:.6} seconds (start the pool, map, shut it down)\n", elapsed.as_secs_f64());
    Ok(())
}

fn exercise_8(sizes: &[usize]) -> anyhow::Result<()> {
    println!(
        "== Exercise 8: squares of 1..10 on pools of {sizes:?}, timed end to end (start, map, shut down)"
    );
    let numbers: Vec<u32> = (1..=10).collect();
    let started = Instant::now();
    let squares = Sequential.map(&Squares, &numbers)?;
    let sequential = started.elapsed();
    check(&Squares, &numbers, &squares)?;
    println!(
        "Sequential (no pool): Squares: {squares:?}  Time taken: {:.6} seconds",
        sequential.as_secs_f64()
    );
    for kind in ExecutorKind::ALL.into_iter().filter(|kind| kind.is_pool()) {
        println!("\n{kind}:");
        for &size in sizes {
            let started = Instant::now();
            let pool = kind.build(size).with_context(|| format!("starting a {kind} of {size}"))?;
            let squares = pool.map(&Squares, &numbers)?;
            drop(pool);
            let elapsed = started.elapsed();
            check(&Squares, &numbers, &squares)?;
            println!("Using pool size: {size}");
            println!("Squares: {squares:?}");
            println!(
                "Time taken: {:.6} seconds ({:.1}x the sequential loop)",
                elapsed.as_secs_f64(),
                elapsed.as_secs_f64() / sequential.as_secs_f64().max(1e-9)
            );
        }
        if kind == ExecutorKind::ProcessPool {
            worker_memory(sizes.iter().copied().max().unwrap_or(1))?;
        }
    }
    println!(
        "\n{} cores. Ten squares take nanoseconds: every pool here measures its own start-up and \
         shut-down, which is the notebook's lesson. `cargo bench` separates start-up from steady state.",
        cores()
    );
    Ok(())
}

/// Prints what a worker process costs in memory (exercise 1: processes are heavier than threads),
/// measured outside the timings above, on a pool that has served a map.
fn worker_memory(size: usize) -> anyhow::Result<()> {
    let pool = ProcessPool::new(size).context("starting a ProcessPool to measure its workers' memory")?;
    pool.map(&Squares, &[1, 2, 3])?;
    let mut resident: Vec<u64> = pool.worker_memory().into_iter().filter_map(|(_, bytes)| bytes).collect();
    resident.sort_unstable();
    match resident.get(resident.len() / 2) {
        Some(median) => println!(
            "Resident memory per worker process: {:.1} MiB (median of {}, from /proc/<pid>/status)",
            *median as f64 / f64::from(1 << 20),
            resident.len()
        ),
        None => println!("Resident memory per worker process: unknown (no /proc on this system)"),
    }
    Ok(())
}

/// Fails unless `outputs` are what the workload's sequential reference computes.
fn check<W: Workload>(workload: &W, inputs: &[W::Input], outputs: &[W::Output]) -> anyhow::Result<()> {
    for (input, output) in inputs.iter().zip(outputs) {
        let expected = workload
            .reference(input)
            .ok_or_else(|| anyhow::anyhow!("{} has no reference to check against", workload.name()))??;
        ensure!(
            *output == expected,
            "{} of {input:?} gave {output:?}, expected {expected:?}",
            workload.name()
        );
    }
    ensure!(inputs.len() == outputs.len(), "{} inputs gave {} outputs", inputs.len(), outputs.len());
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
