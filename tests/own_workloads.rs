//! Workloads defined in this crate, not poolbench's, on every executor: worker processes are this
//! test binary started again, and know these types because they are registered here.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use poolbench::workload::{Workload, WorkloadError, from_fn};
use poolbench::{Chunking, Executor, ExecutorKind, ProcessPool, RayonPool, Sequential, StdPool};
use serde::{Deserialize, Deserializer, Serialize};

/// The lengths of words: a workload of this crate, with a reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WordLengths {
    min: usize,
}

impl Workload for WordLengths {
    type Input = String;
    type Output = Vec<usize>;
    type State = ();

    fn run(&self, (): &(), text: &String) -> Result<Vec<usize>, WorkloadError> {
        Ok(text.split_whitespace().map(str::len).filter(|len| *len >= self.min).collect())
    }

    fn reference(&self, text: &String) -> Option<Result<Vec<usize>, WorkloadError>> {
        let mut lengths = Vec::new();
        for word in text.split(' ').filter(|word| !word.is_empty()) {
            if word.chars().count() >= self.min {
                lengths.push(word.chars().count());
            }
        }
        Some(Ok(lengths))
    }
}

poolbench::remote!(WordLengths);

/// Panics on 3, aborts its process on 4 when told to: a user workload that goes wrong.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Explodes {
    abort: bool,
}

impl Workload for Explodes {
    type Input = u32;
    type Output = u32;
    type State = ();

    fn run(&self, (): &(), n: &u32) -> Result<u32, WorkloadError> {
        match *n {
            3 => panic!("three is right out"),
            4 if self.abort => std::process::abort(),
            n => Ok(n * 10),
        }
    }
}

poolbench::remote!(Explodes);

/// A number that refuses to be read back when it is 13: an input that does not deserialize.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Picky(u32);

impl<'de> Deserialize<'de> for Picky {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u32::deserialize(deserializer)? {
            13 => Err(serde::de::Error::custom("13 is unlucky")),
            n => Ok(Picky(n)),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Doubles;

impl Workload for Doubles {
    type Input = Picky;
    type Output = Picky;
    type State = ();

    fn run(&self, (): &(), Picky(n): &Picky) -> Result<Picky, WorkloadError> {
        // An output of 13 (for 100) is written by the worker, but the pool cannot read it back.
        Ok(Picky(if *n == 100 { 13 } else { n * 2 }))
    }
}

poolbench::remote!(Doubles);

/// Counts its set-ups: a file per set-up in `dir` (worker processes), and a counter in this
/// process (threads). Fails its set-up when told to.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CountsSetups {
    dir: PathBuf,
    fail: bool,
}

static THREAD_SETUPS: AtomicUsize = AtomicUsize::new(0);

impl Workload for CountsSetups {
    type Input = u32;
    type Output = u32;
    type State = u32;

    fn setup(&self) -> Result<u32, WorkloadError> {
        if self.fail {
            return Err(WorkloadError::new("the table could not be loaded"));
        }
        let setups = THREAD_SETUPS.fetch_add(1, Ordering::SeqCst) as u32;
        let file = self.dir.join(format!("setup-{}-{setups}", std::process::id()));
        std::fs::write(&file, b"").map_err(|err| WorkloadError::new(format!("{}: {err}", file.display())))?;
        Ok(7)
    }

    fn run(&self, seven: &u32, n: &u32) -> Result<u32, WorkloadError> {
        Ok(n + seven)
    }
}

poolbench::remote!(CountsSetups);

/// Not registered: the process executors must refuse it, saying how to register it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NotRegistered;

impl Workload for NotRegistered {
    type Input = u32;
    type Output = u32;
    type State = ();

    fn run(&self, (): &(), n: &u32) -> Result<u32, WorkloadError> {
        Ok(*n)
    }
}

fn process_executors() -> Vec<poolbench::AnyExecutor> {
    vec![
        ExecutorKind::ProcessPool.build(2).expect("a process pool"),
        ExecutorKind::SpawnPerTask.build(2).expect("a spawn-per-task executor"),
    ]
}

#[test]
fn a_workload_defined_only_here_runs_in_worker_processes_with_sequentials_answers() {
    let texts: Vec<String> =
        ["the quick brown fox", "", "jumps over the lazy dog", "a bb ccc dddd"].map(str::to_owned).to_vec();
    let workload = WordLengths { min: 2 };
    for executor in process_executors() {
        common::assert_same_as_sequential(&executor, &workload, &texts);
    }
}

#[test]
fn a_user_workload_that_panics_or_aborts_is_reported_as_poolbenchs_own_are() {
    let pool = common::process_pool(2).chunking(Chunking::fixed(1)).build().expect("a process pool");
    let results = pool.map_each(&Explodes { abort: true }, &[1, 2, 3, 4, 5]);
    assert_eq!(results[0].as_ref().ok(), Some(&10));
    assert_eq!(results[4].as_ref().ok(), Some(&50));
    let panicked = results[2].as_ref().expect_err("3 panics");
    assert_eq!((panicked.task(), panicked.panic_message()), (Some(2), Some("three is right out")));
    let aborted = results[3].as_ref().expect_err("4 aborts");
    assert!(aborted.is_worker_death() && aborted.to_string().contains("SIGABRT"), "{aborted}");
    assert_eq!(pool.worker_pids().len(), 2, "the aborted worker was replaced");
}

#[test]
fn an_unregistered_workload_is_refused_at_prepare_naming_it_and_how_to_register_it() {
    for executor in process_executors() {
        let Err(err) = executor.prepare(&NotRegistered) else { panic!("{} prepared it", executor.kind()) };
        let text = err.to_string();
        assert!(
            text.contains("NotRegistered") && text.contains("poolbench::remote!(NotRegistered)"),
            "{text}"
        );
    }
    let closure = from_fn("double", |n: &u32| n * 2);
    let err =
        ProcessPool::new(1).expect("a process pool").prepare(&closure).err().expect("a closure is refused");
    assert!(err.to_string().contains("thread executors only"), "{err}");
    assert_eq!(
        RayonPool::new(2).expect("a rayon pool").map(&closure, &[1, 2]).expect("threads run it"),
        [2, 4]
    );
}

#[test]
fn an_input_or_output_that_does_not_deserialize_fails_its_task_only_and_the_worker_goes_on() {
    for codec in poolbench::executor::Codec::ALL {
        let pool = common::process_pool(1).codec(codec).build().expect("a process pool");
        let results = pool.map_each(&Doubles, &[Picky(1), Picky(13), Picky(100), Picky(4)]);
        assert_eq!(results[0].as_ref().ok(), Some(&Picky(2)), "{codec}");
        let input = results[1].as_ref().expect_err("13 cannot be read by the worker").to_string();
        assert!(
            input.starts_with("task 1 did not run: its input does not deserialize in the worker (Doubles)"),
            "{input}"
        );
        let output = results[2].as_ref().expect_err("an output of 13 cannot be read by the pool").to_string();
        assert!(
            output.starts_with("task 2 ran, but its result does not deserialize here (Doubles)"),
            "{output}"
        );
        if codec == poolbench::executor::Codec::Json {
            // postcard drops a custom error's message; serde_json keeps it.
            assert!(
                input.contains("13 is unlucky") && output.contains("13 is unlucky"),
                "{input} / {output}"
            );
        }
        assert_eq!(results[3].as_ref().ok(), Some(&Picky(8)), "the worker went on");
        let pids = pool.worker_pids();
        assert_eq!(pool.map(&Doubles, &[Picky(5)]).expect("still serving"), [Picky(10)]);
        assert_eq!(pool.worker_pids(), pids, "no worker was replaced");
    }
}

#[test]
fn a_worker_from_another_build_is_refused_saying_so() {
    let other_build = env!("CARGO_BIN_EXE_poolbench");
    let err = ProcessPool::builder().size(1).worker_program(other_build).build().expect_err("refused");
    assert!(err.to_string().contains("another build"), "{err}");
}

/// A state of its own, and no `setup` to build it: the default cannot, and says so.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ForgetsSetup;

impl Workload for ForgetsSetup {
    type Input = u32;
    type Output = u32;
    type State = String;

    fn run(&self, prefix: &String, n: &u32) -> Result<u32, WorkloadError> {
        Ok(*n + prefix.len() as u32)
    }
}

poolbench::remote!(ForgetsSetup);

#[test]
fn a_workload_with_a_state_and_no_setup_is_refused_at_prepare_naming_its_state() {
    let mut executors = process_executors();
    executors.push(ExecutorKind::Sequential.build(1).expect("sequential"));
    executors.push(ExecutorKind::StdPool.build(2).expect("a std pool"));
    executors.push(ExecutorKind::Tokio.build(2).expect("a tokio pool"));
    for executor in executors {
        let Err(err) = executor.prepare(&ForgetsSetup) else { panic!("{} prepared it", executor.kind()) };
        assert!(err.is_setup_failure(), "{}: {err}", executor.kind());
        let text = err.to_string();
        assert!(
            text.contains(
                "workload ForgetsSetup: its State is alloc::string::String, not (), so it must implement setup"
            ),
            "{}: {text}",
            executor.kind()
        );
    }
    // A workload whose state is `()` leaves `setup` out: WordLengths has none.
    assert_eq!(Sequential.map(&WordLengths { min: 1 }, &["a bc".to_owned()]).expect("mapped"), [vec![1, 2]]);
}

#[test]
fn the_set_up_runs_once_per_worker_and_a_failed_one_names_the_worker_at_prepare() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let workload = CountsSetups { dir: dir.path().to_owned(), fail: false };
    let pool = common::process_pool(3).build().expect("a process pool");
    let prepared = pool.prepare(&workload).expect("prepared");
    for _ in 0..3 {
        assert_eq!(
            prepared.map(&(0..12).collect::<Vec<u32>>()).expect("mapped"),
            (7..19).collect::<Vec<u32>>()
        );
    }
    let mut pids: Vec<String> = std::fs::read_dir(dir.path())
        .expect("listed")
        .map(|entry| {
            entry.expect("an entry").file_name().to_string_lossy().split('-').nth(1).unwrap_or("").to_owned()
        })
        .collect();
    pids.sort();
    let mut workers: Vec<String> = pool.worker_pids().iter().map(u32::to_string).collect();
    workers.sort();
    assert_eq!(pids, workers, "one set-up in each of the three workers");

    let before = THREAD_SETUPS.load(Ordering::SeqCst);
    let rayon = RayonPool::new(4).expect("a rayon pool");
    let prepared = rayon.prepare(&workload).expect("prepared");
    for _ in 0..3 {
        prepared.map(&[1, 2, 3]).expect("mapped");
    }
    assert_eq!(THREAD_SETUPS.load(Ordering::SeqCst) - before, 4, "one set-up per rayon thread");

    let failing = CountsSetups { dir: dir.path().to_owned(), fail: true };
    let err = pool.prepare(&failing).err().expect("the set-up fails");
    assert!(err.is_setup_failure(), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("worker process ") && text.contains("the table could not be loaded"), "{text}");
    let err = StdPool::new(2).expect("a std pool").prepare(&failing).err().expect("the set-up fails");
    assert!(
        err.to_string().starts_with("thread 0 of a StdPool of 2 could not set up workload CountsSetups"),
        "{err}"
    );
    let err = Sequential.map(&failing, &[1]).expect_err("every task fails with the set-up");
    assert!(err.is_setup_failure(), "{err}");
}
