//! Executors and async workloads of a crate's own, as a user's bench brings them: an executor
//! defined only here is checked against Sequential and swept beside the built-in ones, one that
//! answers wrong stops the sweep naming it, and an async workload runs as tasks on Tokio and
//! blocking on the thread pools in one group.

mod common;

use std::time::Duration;

use criterion::BenchmarkFilter;
use poolbench::bench::Sweep;
use poolbench::executor::{Error, Prepared, PreparedMap, run_chunk, run_task, set_up};
use poolbench::workload::{
    AsyncWorkload, Blocking, CpuSpin, Factorial, Fault, FaultAction, Squares, Workload, WorkloadError,
};
use poolbench::{Executor, ExecutorKind, Sequential, StdPool, TokioPool};

/// A fresh thread per task, every task at once: an executor only this test crate knows. When
/// `out_of_order`, it hands the first two tasks' results back swapped, a bug a pool can have.
struct ThreadPerTask {
    size: usize,
    out_of_order: bool,
}

impl ThreadPerTask {
    fn new(size: usize) -> Result<Self, Error> {
        Ok(ThreadPerTask { size, out_of_order: false })
    }

    fn out_of_order(size: usize) -> Result<Self, Error> {
        Ok(ThreadPerTask { size, out_of_order: true })
    }
}

struct Mapped<W: Workload> {
    out_of_order: bool,
    workload: W,
    state: W::State,
}

impl<W: Workload> PreparedMap<W> for Mapped<W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let mut results: Vec<_> = std::thread::scope(|scope| {
            let running: Vec<_> = inputs
                .iter()
                .enumerate()
                .map(|(task, input)| scope.spawn(move || run_task(&self.workload, &self.state, task, input)))
                .collect();
            running
                .into_iter()
                .enumerate()
                .map(|(task, thread)| {
                    thread.join().unwrap_or_else(|_| Err(Error::panicked(task, "a panic".into())))
                })
                .collect()
        });
        if self.out_of_order && results.len() >= 2 {
            results.swap(0, 1);
        }
        results
    }
}

impl Executor for ThreadPerTask {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::Custom(if self.out_of_order { "OutOfOrder" } else { "ThreadPerTask" })
    }

    fn size(&self) -> usize {
        self.size
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        let state = set_up(workload, || "the caller of a ThreadPerTask".to_owned())?;
        let map = Mapped { out_of_order: self.out_of_order, workload: workload.clone(), state };
        Ok(Prepared::new(self.kind(), self.size, map))
    }
}

#[test]
fn an_executor_defined_only_here_gives_sequentials_answers() {
    let numbers: Vec<u32> = (0..40).collect();
    let executor = ThreadPerTask::new(4).unwrap();
    assert_eq!(executor.map(&Squares, &numbers).unwrap(), Sequential.map(&Squares, &numbers).unwrap());
    let factorials: Vec<u32> = (0..30).collect();
    assert_eq!(
        executor.map(&Factorial, &factorials).unwrap(),
        Sequential.map(&Factorial, &factorials).unwrap()
    );
    let spins = [500u64, 1_000, 2_000];
    assert_eq!(executor.map(&CpuSpin, &spins).unwrap(), Sequential.map(&CpuSpin, &spins).unwrap());
}

/// A workload whose set-up panics, as a user's can.
#[derive(Clone, Debug)]
struct PanickingSetup;

impl Workload for PanickingSetup {
    type Input = u32;
    type Output = u32;
    type State = u32;

    fn name(&self) -> &str {
        "panicking-setup"
    }

    fn setup(&self) -> Result<u32, WorkloadError> {
        panic!("no such file: model.bin")
    }

    fn run(&self, state: &u32, input: &u32) -> Result<u32, WorkloadError> {
        Ok(state + input)
    }
}

#[test]
fn the_helpers_an_executor_of_its_own_calls_name_the_task_and_the_worker() {
    let actions =
        [FaultAction::Return(7), FaultAction::Fail("disk full".into()), FaultAction::Panic("boom".into())];
    let results = run_chunk(&Fault, &(), 10, &actions);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap(), &7);
    let failed = results[1].as_ref().unwrap_err();
    assert_eq!(failed.task(), Some(11), "numbered from the chunk's first task: {failed}");
    assert!(failed.is_workload_error() && failed.to_string().contains("disk full"), "{failed}");
    let panicked = results[2].as_ref().unwrap_err();
    assert_eq!((panicked.task(), panicked.panic_message()), (Some(12), Some("boom")), "{panicked}");
    assert_eq!(run_task(&Squares, &(), 0, &9).unwrap(), 81);

    let err = set_up(&PanickingSetup, || "thread 3 of a ThreadPerTask of 4".to_owned())
        .expect_err("a panicking set-up is an error");
    let message = err.to_string();
    assert!(err.is_setup_failure(), "{message}");
    for part in ["thread 3 of a ThreadPerTask of 4", "panicking-setup", "no such file: model.bin"] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    let err = ThreadPerTask::new(2).unwrap().map(&PanickingSetup, &[1]).expect_err("set-up panics");
    assert!(err.to_string().contains("the caller of a ThreadPerTask"), "{err}");
}

const CASE_ENV: &str = "POOLBENCH_OWN_EXECUTOR_CASE";

#[test]
#[ignore = "a child process of the tests that sweep, not a test"]
fn child() {
    let case = std::env::var(CASE_ENV)
        .unwrap_or_else(|_| panic!("not a test: the sweeping tests run this with {CASE_ENV} set"));
    let mut criterion = common::child_criterion(BenchmarkFilter::AcceptAll);
    match case.as_str() {
        "own" => Sweep::new("mine/own", &Squares, &(0..64).collect::<Vec<u32>>())
            .executors([ExecutorKind::Sequential, ExecutorKind::StdPool])
            .executor("ThreadPerTask", ThreadPerTask::new)
            .sizes([2])
            .rounds_budget(Duration::from_millis(300))
            .run(&mut criterion),
        "async" => Sweep::new("mine/doubling", &Blocking(Doubling), &(0..12).collect::<Vec<u64>>())
            .executors([ExecutorKind::Sequential, ExecutorKind::StdPool, ExecutorKind::Tokio])
            .asynchronously()
            .sizes([2])
            .rounds_budget(Duration::from_millis(300))
            .run(&mut criterion),
        other => panic!("no case {other}"),
    }
}

#[test]
fn a_sweep_measures_an_executor_of_its_own_beside_the_built_in_ones_and_reports_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (code, stderr) = common::run_child(CASE_ENV, "own", dir.path());
    assert_eq!(code, Some(0), "{stderr}");

    let measured: Vec<String> = common::files_named(dir.path(), "benchmark.json")
        .iter()
        .map(|path| common::read_json(path)["full_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    for id in ["mine/own/Sequential/1", "mine/own/StdPool/2", "mine/own/ThreadPerTask/2"] {
        assert!(measured.iter().any(|measured| measured == id), "{id} not among {measured:?}");
    }
    let (files, _) = poolbench::schema::RoundsFile::read_all(dir.path());
    let contenders: Vec<&str> =
        files[0].batches[0].contenders.iter().map(|contender| contender.id.as_str()).collect();
    assert!(contenders.contains(&"mine/own/ThreadPerTask/2"), "in the same rounds: {contenders:?}");

    let (_out, written, summary) = common::write_and_read_report(dir.path());
    let group = summary.group("mine/own").expect("the group");
    let row = group.results.iter().find(|row| row.id == "mine/own/ThreadPerTask/2").expect("its row");
    assert_eq!((row.executor.as_deref(), row.size), (Some("ThreadPerTask"), Some(2)));
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    let answers = markdown.lines().find(|line| line.starts_with("| group |")).expect("the answers table");
    assert!(answers.contains("| ThreadPerTask |"), "a column of its own: {answers}");
}

#[test]
fn an_executor_whose_answers_differ_stops_the_sweep_naming_it_and_the_task() {
    let (message, dir) = sweep_out_of_order("mine/wrong", &Squares, &[3, 4, 5]);
    assert!(message.starts_with("mine/wrong/OutOfOrder/2: OutOfOrder of 2 gives 16 for task 0"), "{message}");
    assert!(message.contains("where Sequential gives 9") && message.contains("hash order"), "{message}");
    assert!(
        !common::files_named(dir.path(), "benchmark.json")
            .iter()
            .any(|path| path.to_string_lossy().contains("OutOfOrder")),
        "nothing of it was timed"
    );
}

#[test]
fn a_long_input_in_a_disagreement_is_cut_short() {
    let long = "x".repeat(10_000);
    let (message, _dir) = sweep_out_of_order("mine/long", &Echo, &[long.clone(), "y".into()]);
    assert!(message.len() < 1_200, "{} bytes: {message}", message.len());
    assert!(message.contains("(10002 characters in all)"), "{message}");
}

/// Sweeps `workload` on Sequential and on a [`ThreadPerTask`] of 2 that answers out of order,
/// which must stop the sweep: its error's message, and the directory Criterion wrote in.
fn sweep_out_of_order<W: Workload>(
    group: &str,
    workload: &W,
    inputs: &[W::Input],
) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut criterion = common::tiny_criterion(dir.path()).with_benchmark_filter(BenchmarkFilter::AcceptAll);
    let err = Sweep::new(group, workload, inputs)
        .executors([ExecutorKind::Sequential])
        .executor("OutOfOrder", ThreadPerTask::out_of_order)
        .sizes([2])
        .try_run(&mut criterion)
        .expect_err("answers out of order are refused");
    (err.to_string(), dir)
}

/// Returns its input.
#[derive(Debug, Clone, Copy)]
struct Echo;

impl Workload for Echo {
    type Input = String;
    type Output = String;
    type State = ();

    fn run(&self, (): &(), input: &String) -> Result<String, WorkloadError> {
        Ok(input.clone())
    }
}

#[test]
fn an_executor_name_that_is_not_one_word_or_is_taken_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cases: [(&'static str, &'static str, &str); 4] = [
        ("My/Pool", "My/Pool", "without `/` or spaces"),
        ("my pool", "my pool", "without `/` or spaces"),
        ("rayon", "rayon", "two executors are named \"rayon\""),
        ("Twice", "twice", "two executors are named \"twice\""),
    ];
    for (first, second, expected) in cases {
        let mut criterion =
            common::tiny_criterion(dir.path()).with_benchmark_filter(BenchmarkFilter::AcceptAll);
        let err = Sweep::new("mine/names", &Squares, &[1, 2])
            .executor(first, StdPool::new)
            .executor(second, StdPool::new)
            .try_run(&mut criterion)
            .expect_err(expected);
        assert!(err.to_string().contains(expected), "{first} / {second}: {err}");
    }
    assert!(common::files_named(dir.path(), "benchmark.json").is_empty(), "nothing was measured");
}

/// An async workload of this crate's own: waits on Tokio's timer, then doubles its input.
#[derive(Debug, Clone, Copy)]
struct Doubling;

impl AsyncWorkload for Doubling {
    type Input = u64;
    type Output = u64;
    type State = u64;

    async fn setup(&self) -> Result<u64, WorkloadError> {
        Ok(2)
    }

    async fn run(&self, factor: &u64, input: &u64) -> Result<u64, WorkloadError> {
        tokio::time::sleep(Duration::from_micros(200)).await;
        if *input == 13 {
            return Err(WorkloadError::new("thirteen is unlucky"));
        }
        assert_ne!(*input, 99, "ninety-nine panics");
        Ok(factor * input)
    }
}

#[test]
fn a_users_async_workload_runs_as_tasks_on_tokio_and_blocking_elsewhere_with_one_answer() {
    let inputs: Vec<u64> = (0..12).collect();
    let expected: Vec<u64> = inputs.iter().map(|input| 2 * input).collect();
    assert_eq!(Sequential.map(&Blocking(Doubling), &inputs).unwrap(), expected);
    assert_eq!(StdPool::new(3).unwrap().map(&Blocking(Doubling), &inputs).unwrap(), expected);
    let tokio = TokioPool::new(2).unwrap();
    let prepared: Prepared<'_, Blocking<Doubling>> = tokio.prepare_async(&Doubling).unwrap();
    assert_eq!(prepared.map(&inputs).unwrap(), expected);

    let err = prepared.map(&[1, 13, 2]).unwrap_err();
    assert_eq!((err.task(), err.to_string().as_str()), (Some(1), "task 1 failed: thirteen is unlucky"));
    // A task that panics on Tokio is an error naming it; the runtime serves the next map.
    let err = prepared.map(&[1, 2, 99]).unwrap_err();
    assert_eq!(err.task(), Some(2), "{err}");
    assert!(err.panic_message().is_some_and(|message| message.contains("ninety-nine panics")), "{err}");
    assert_eq!(prepared.map(&[3]).unwrap(), [6]);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let (code, stderr) = common::run_child(CASE_ENV, "async", dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    let measured = common::files_named(dir.path(), "benchmark.json");
    assert!(
        measured.iter().any(|path| common::read_json(path)["full_id"] == "mine/doubling/Tokio/2"),
        "{measured:?}"
    );
    let (files, _) = poolbench::schema::RoundsFile::read_all(dir.path());
    let contenders: Vec<&str> =
        files[0].batches[0].contenders.iter().map(|contender| contender.id.as_str()).collect();
    assert_eq!(
        contenders,
        ["mine/doubling/Sequential/1", "mine/doubling/StdPool/2", "mine/doubling/Tokio/2"]
    );
}
