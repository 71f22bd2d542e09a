//! The sweep API, as a crate's own bench calls it: what it measures, what it starts, and how it
//! stops on bad arguments.
//!
//! A sweep that meets bad arguments ends the process (a bench has no other way out of Criterion),
//! and what a sweep starts is counted from `/proc`: so each case runs in a child process, this
//! test binary started again with [`CASE_ENV`] naming the case, running [`child`].

mod common;

use std::path::Path;

use criterion::{BenchmarkFilter, Criterion};
use poolbench::ExecutorKind;
use poolbench::bench::Sweep;
use poolbench::workload::{CpuSpin, Fault, FaultAction, Squares};

const CASE_ENV: &str = "POOLBENCH_SWEEP_CASE";

fn run_case(case: &str, criterion_dir: &Path) -> (Option<i32>, String) {
    common::run_child(CASE_ENV, case, criterion_dir)
}

/// Runs `case` in a fresh Criterion directory and checks that it succeeded: the directory, and
/// what the case wrote to stderr.
fn run_ok(case: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (code, stderr) = run_case(case, dir.path());
    assert_eq!(code, Some(0), "{case}: {stderr}");
    (dir, stderr)
}

fn criterion(filter: BenchmarkFilter) -> Criterion {
    common::child_criterion(filter)
}

fn threads_of_this_process() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("Threads:")).expect("a Threads line");
    line.split_whitespace().nth(1).and_then(|count| count.parse().ok()).expect("a thread count")
}

#[test]
#[ignore = "a child process of the sweep tests, not a test"]
fn child() {
    let case = std::env::var(CASE_ENV)
        .unwrap_or_else(|_| panic!("not a test: the sweep tests run this with {CASE_ENV} set"));
    let inputs = [2_000u64; 8];
    match case.as_str() {
        "filtered-out" => {
            let threads = threads_of_this_process();
            let mut c = criterion(BenchmarkFilter::RejectAll);
            Sweep::new("mine/spin", &CpuSpin, &inputs).sizes([2, 4, 64]).run(&mut c);
            assert_eq!(common::children_of_this_process(), Vec::<u32>::new(), "no worker process started");
            assert_eq!(threads_of_this_process(), threads, "no pool thread started");
        }
        "one-benchmark" => {
            let mut c = criterion(BenchmarkFilter::Exact("mine/spin/Rayon/2".to_owned()));
            Sweep::new("mine/spin", &CpuSpin, &inputs).run(&mut c);
        }
        "unknown-group" => {
            let mut c = criterion(BenchmarkFilter::AcceptAll);
            Sweep::new("mine/spin", &CpuSpin, &inputs)
                .executors([ExecutorKind::Sequential, ExecutorKind::Rayon, ExecutorKind::StdPool])
                .sizes([1, 2, 4])
                .about("eight prime counts below 2,000")
                .tasks_per_iteration(8)
                .run(&mut c);
        }
        "rounds" => {
            let mut c = criterion(BenchmarkFilter::AcceptAll);
            Sweep::new("mine/rounds", &CpuSpin, &inputs)
                .executors([ExecutorKind::Sequential, ExecutorKind::Rayon, ExecutorKind::StdPool])
                .sizes([2])
                .rounds_budget(std::time::Duration::from_millis(500))
                .run(&mut c);
        }
        "end-to-end" => {
            let mut c = criterion(BenchmarkFilter::AcceptAll);
            Sweep::new("mine/start", &Squares, &[1u32, 2, 3, 4])
                .executors([ExecutorKind::Sequential, ExecutorKind::StdPool])
                .sizes([2])
                .end_to_end()
                .rounds_budget(std::time::Duration::from_millis(300))
                .run(&mut c);
        }
        other => panic!("no case {other}"),
    }
}

#[test]
fn benchmarks_a_filter_leaves_out_start_no_pool_whatever_their_size() {
    let (dir, _stderr) = run_ok("filtered-out");
    assert!(!dir.path().join("poolbench-cases").exists(), "a group that did not run writes no case file");
    assert!(!dir.path().join("poolbench-rounds").exists(), "nor rounds");
}

#[test]
fn a_sweeps_configurations_are_timed_together_in_rounds_and_the_answer_comes_from_them() {
    let (dir, stderr) = run_ok("rounds");
    // The banner's sizes are for sweeps that set none: this one says its own.
    assert!(stderr.contains("poolbench: mine/rounds sweeps pool sizes [2], set by its sweep"), "{stderr}");
    let (files, skipped) = poolbench::schema::RoundsFile::read_all(dir.path());
    assert!(skipped.is_empty(), "{skipped:?}");
    let [file] = files.as_slice() else { panic!("one rounds file, not {}", files.len()) };
    assert_eq!(file.reference, "mine/rounds/Sequential/1");
    let ids: Vec<&str> = file.batches[0].contenders.iter().map(|contender| contender.id.as_str()).collect();
    assert_eq!(ids, ["mine/rounds/Sequential/1", "mine/rounds/Rayon/2", "mine/rounds/StdPool/2"]);
    let rounds = &file.batches[0].rounds;
    assert!(rounds.len() >= 12, "at least the mandatory rounds: {}", rounds.len());
    for round in rounds {
        let mut order = round.order.clone();
        order.sort_unstable();
        assert_eq!(order, [0, 1, 2], "every configuration once a round");
        assert_eq!(round.probes.len(), 4, "a probe beside every slot");
    }
    assert!(rounds.windows(2).any(|pair| pair[0].order != pair[1].order), "the order is drawn afresh");

    let (_out, _written, summary) = common::write_and_read_report(dir.path());
    let group = summary.group("mine/rounds").expect("the group");
    assert!(group.rounds.as_ref().is_some_and(|rounds| rounds.kept >= 1), "{:?}", group.rounds);
    for row in &group.results {
        assert_eq!(row.speedup_basis, poolbench::schema::SpeedupBasis::Rounds, "{}", row.id);
    }
    let answer = group.answer.as_ref().expect("an answer");
    assert!(answer.tied.contains(&answer.fastest) && !answer.recommended.is_empty(), "{answer:?}");
    assert_eq!(group.headline.split('.').next(), answer.sentence.split('.').next());
    assert!(summary.capacity.is_some_and(|capacity| capacity.cores >= 1 && capacity.probes >= 4 * 12));
}

#[test]
fn bad_arguments_are_an_error_naming_the_group_before_anything_is_timed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let criterion = || common::tiny_criterion(dir.path()).with_benchmark_filter(BenchmarkFilter::AcceptAll);
    let cases: [(Result<(), poolbench::bench::SetupError>, &str); 4] = [
        (Sweep::new("mine/empty", &Squares, &[]).try_run(&mut criterion()), "mine/empty: no inputs"),
        (
            Sweep::new("mine/zero", &Squares, &[1, 2]).sizes([2, 0]).try_run(&mut criterion()),
            "mine/zero: a pool size of 0; give sizes from 1 to 256",
        ),
        (
            Sweep::new("mine/huge", &Squares, &[1, 2]).sizes([100_000]).try_run(&mut criterion()),
            "mine/huge: a pool size of 100000; give sizes from 1 to 256",
        ),
        (
            Sweep::new("mine/fault", &Fault, &[FaultAction::Fail("disk full".into())])
                .try_run(&mut criterion()),
            "mine/fault/Sequential/1: Sequential cannot run fault: task 0 failed: disk full",
        ),
    ];
    for (result, expected) in cases {
        let err = result.expect_err(expected);
        assert!(err.to_string().starts_with(expected), "{err}");
    }
    assert!(common::files_named(dir.path(), "sample.json").is_empty(), "nothing was measured");
}

#[test]
fn a_filter_naming_one_benchmark_measures_only_it() {
    let (dir, _stderr) = run_ok("one-benchmark");
    let measured: Vec<_> = common::files_named(dir.path(), "benchmark.json")
        .into_iter()
        .filter(|path| path.parent().and_then(Path::file_name).is_some_and(|dir| dir == "new"))
        .collect();
    assert_eq!(measured.len(), 1, "{measured:?}");
    assert_eq!(common::read_json(&measured[0])["full_id"], "mine/spin/Rayon/2");
}

/// Runs `case` and writes its report: the group `id` as `summary.json` has it, its case, and the
/// page.
fn reported(case: &str, id: &str) -> (poolbench::schema::Group, poolbench::schema::CaseInfo, String) {
    let (dir, _stderr) = run_ok(case);
    let (_out, written, summary) = common::write_and_read_report(dir.path());
    let group = summary.group(id).expect("the group").clone();
    let case = group.case.clone().expect("the sweep's description of the group");
    let page = std::fs::read_to_string(&written.index_html).expect("the page");
    (group, case, page)
}

#[test]
fn the_report_knows_a_group_the_catalog_has_never_heard_of() {
    let (group, case, page) = reported("unknown-group", "mine/spin");
    assert_eq!(
        (case.about.as_str(), case.tasks, case.end_to_end),
        ("eight prime counts below 2,000", 8, false)
    );
    let ids: Vec<&str> = group.results.iter().map(|row| row.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "mine/spin/Sequential/1",
            "mine/spin/Rayon/1",
            "mine/spin/Rayon/2",
            "mine/spin/Rayon/4",
            "mine/spin/StdPool/1",
            "mine/spin/StdPool/2",
            "mine/spin/StdPool/4"
        ]
    );
    for row in &group.results {
        assert!(
            row.speedup.is_some() && row.efficiency.is_some() && row.tasks_per_second.is_some(),
            "{row:?}"
        );
    }
    let fitted: Vec<&str> = group.scaling.iter().map(|scaling| scaling.executor.as_str()).collect();
    assert_eq!(fitted, ["Rayon", "StdPool"]);
    assert!(group.scaling.iter().all(|scaling| scaling.amdahl.is_some() && scaling.usl.is_some()));
    assert!(!group.headline.is_empty());
    assert!(page.contains("eight prime counts below 2,000"), "the page describes the group");
}

#[test]
fn an_end_to_end_sweep_of_a_group_poolbench_does_not_know_is_known_as_one_in_the_report() {
    let (group, case, page) = reported("end-to-end", "mine/start");
    assert!(case.end_to_end, "{case:?}");
    assert_eq!(case.steady_state, None, "no steady-state group of poolbench's");
    let headline = &group.headline;
    assert!(headline.contains("Each iteration starts and stops its pool"), "{headline}");
    assert!(!headline.contains("MiB"), "no memory sentence from the pools' zeros: {headline}");
    assert!(page.contains("Each iteration starts and stops its pool"), "the page says it too");
}
