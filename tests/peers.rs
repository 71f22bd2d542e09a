//! The Python peers: the real script in quick mode, its file in the report beside a real tiny
//! Criterion run, and what happens when Python is missing, fails, hangs or leaves a bad file.
//!
//! The script runs once per test binary (`--quick --sizes 2`, a few seconds) and the Criterion
//! fixture is produced once; tests that change either work on copies. Expected ratios are computed
//! from the medians the report itself lists, never typed in.
//!
//! The tests that run the real interpreter are `#[ignore]`d: `cargo test` needs nothing but Rust
//! (the README promises as much), and without Python such a test can only fail or pass without
//! having run. `.ci/run` runs them with `cargo test --test peers -- --ignored`, where a missing
//! `python3` fails the step, and each of them panics, saying what to install, when it cannot run.

mod common;

use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, SamplingMode};
use poolbench::peers::{self, Options, Outcome};
use poolbench::schema::{self, Peers, PeersStatus, Source};
use poolbench::workload::{Factorial, Squares};
use poolbench::{Executor, RayonPool, Sequential, StdPool, Workload};
use scraper::{Html, Selector};

/// What the quick run measured, once per test binary; panics when python3 cannot run it.
fn quick_document() -> &'static Peers {
    static DOCUMENT: OnceLock<Peers> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        common::require_python3();
        let options = Options::new([2]).quick(true).latency_server(common::latency_server().addr());
        match peers::run(&options).expect("the script can be written and run") {
            Outcome::Measured(document) => *document,
            Outcome::Skipped { reason } => panic!("python3 is on PATH, yet the peers were skipped: {reason}"),
        }
    })
}

/// Criterion's results of a tiny real run with rows the peers pair with, shared by every test.
fn criterion_fixture() -> &'static Path {
    static FIXTURE: OnceLock<PathBuf> = OnceLock::new();
    common::kept_fixture(&FIXTURE, "peers-fixture-", run_criterion)
}

fn run_criterion(dir: &Path) {
    let mut c = common::tiny_criterion(dir);
    let inputs: Vec<u32> = (1..=10).collect();

    let mut group = c.benchmark_group("task/factorial");
    group.bench_with_input(BenchmarkId::from_parameter(20_000), &20_000u32, |b, n| {
        b.iter(|| Factorial.run(&(), black_box(n)))
    });
    group.finish();

    let mut group = c.benchmark_group("pools/squares-10");
    group.bench_with_input(BenchmarkId::new("Sequential", 1), &inputs, |b, inputs| {
        b.iter(|| Sequential.map(&Squares, black_box(inputs)))
    });
    let rayon = RayonPool::new(2).expect("a rayon pool");
    group.bench_with_input(BenchmarkId::new("Rayon", 2), &inputs, |b, inputs| {
        b.iter(|| rayon.map(&Squares, black_box(inputs)))
    });
    let std_pool = StdPool::new(2).expect("a std pool");
    group.bench_with_input(BenchmarkId::new("StdPool", 2), &inputs, |b, inputs| {
        b.iter(|| std_pool.map(&Squares, black_box(inputs)))
    });
    let process_pool = common::process_pool(2).build().expect("a process pool");
    group.bench_with_input(BenchmarkId::new("ProcessPool", 2), &inputs, |b, inputs| {
        b.iter(|| process_pool.map(&Squares, black_box(inputs)))
    });
    group.finish();

    let mut group = c.benchmark_group("startup/ex8-squares");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_with_input(BenchmarkId::new("ProcessPool", 2), &inputs, |b, inputs| {
        b.iter(|| {
            let pool = common::process_pool(2).build().expect("a process pool");
            pool.map(&Squares, black_box(inputs))
        })
    });
    group.finish();
}

/// A copy of the Criterion fixture with `peers` as its peers file (none when `None`).
fn criterion_dir_with(peers: Option<&Peers>) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("a temporary directory");
    common::copy_dir(criterion_fixture(), copy.path());
    if let Some(document) = peers {
        document.write(&schema::peers_file_in(copy.path())).expect("the peers file is written");
    }
    copy
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|err| panic!("selector {css}: {err}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Every peer the script measures at sizes [2] (crossover 1, 2, 4) with a latency server.
fn expected_ids(start_methods: &[String]) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut add = |group: &str, executor: &str, values: &[u32]| {
        for value in values {
            ids.insert(format!("{group}/{executor}/{value}"));
        }
    };
    add("task/factorial", "python", &[2_000, 20_000]);
    add("task/cpu-spin", "python", &[20_000]);
    for case in
        ["squares-10", "factorial-10", "factorial-large", "cpu-spin", "squares-10k", "io-sleep", "io-tcp"]
    {
        let group = format!("pools/{case}");
        if case != "cpu-spin" {
            add(&group, "python-sequential", &[1]);
        }
        add(&group, "python-pool-fork", &[2]);
        add(&group, "python-threadpool", &[2]);
    }
    for method in ["fork", "forkserver", "spawn"].into_iter().filter(|m| start_methods.iter().any(|s| s == m))
    {
        add("startup/ex8-squares", &format!("python-pool-{method}"), &[2]);
        // Warm pools of every start method beside the process pool's memory.
        if method != "fork" {
            add("pools/factorial-large", &format!("python-pool-{method}"), &[2]);
        }
    }
    add("startup/ex7-factorial", "python-threadpool", &[2]);
    add("ipc/round-trip", "python-pipe-floor", &[1]);
    add("ipc/round-trip", "python-pool-apply", &[2]);
    add("ipc/round-trip", "python-threadpool", &[2]);
    for case in ["cpu-spin", "io-sleep", "io-tcp"] {
        let group = format!("crossover/{case}");
        if case != "cpu-spin" {
            add(&group, "python-sequential", &[1]);
        }
        add(&group, "python-pool-fork", &[1, 2, 4]);
        add(&group, "python-threadpool", &[1, 2, 4]);
    }
    ids
}

#[test]
#[ignore = "needs python3: run by .ci/run with --ignored"]
fn the_quick_script_measures_every_peer_at_the_sizes_asked_with_every_result_checked() {
    let document = quick_document();
    assert_eq!(document.status, PeersStatus::Measured);
    assert!(document.failures.is_empty(), "failed measurements: {:?}", document.failures);
    let python = document.python.as_ref().expect("the interpreter is recorded");
    assert!(python.version.starts_with('3') && !python.implementation.is_empty(), "{python:?}");
    assert!(python.start_methods.iter().any(|method| method == "spawn"), "{python:?}");
    let parameters = document.parameters.as_ref().expect("the parameters are recorded");
    assert!(parameters.quick);
    assert_eq!(
        (parameters.sizes.as_slice(), parameters.crossover_sizes.as_slice()),
        (&[2][..], &[1, 2, 4][..])
    );
    assert_eq!(parameters.latency_server, Some(common::latency_server().addr().to_string()));

    let ids: BTreeSet<String> = document.rows.iter().map(|peer| peer.row.id.clone()).collect();
    assert_eq!(ids, expected_ids(&python.start_methods));
    for peer in &document.rows {
        let row = &peer.row;
        assert_eq!(row.source, Source::Python);
        assert!((1..=3).contains(&row.n), "{}: quick mode takes 1 to 3 samples, not {}", row.id, row.n);
        // Too few samples for a 95% interval: the script's interval is [min, max], which covers
        // the median with probability 1 - 2 / 2^n, so 0 for a lone sample, then 0.5 and 0.75.
        // Each is exact in binary and in JSON: only the exact value is right.
        let coverage = 1.0 - 2.0 / f64::from(1u32 << row.n);
        assert_eq!(row.confidence_level, coverage, "{}: the confidence level with n = {}", row.id, row.n);
        let fastest = row.samples_ns.iter().copied().fold(f64::INFINITY, f64::min);
        let slowest = row.samples_ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((row.median_ns.lower, row.median_ns.upper), (fastest, slowest), "{}", row.id);
        assert!(row.samples_ns.iter().all(|&sample| sample > 0.0), "{}", row.id);
        assert!(!peer.checked.is_empty() && !peer.program.is_empty() && !peer.label.is_empty(), "{}", row.id);
        let pooled = row.executor.as_deref().is_some_and(|executor| executor.starts_with("python-pool-"));
        assert_eq!(peer.start_method.is_some(), pooled, "{}", row.id);
    }
    let spawn = document
        .rows
        .iter()
        .find(|peer| peer.row.id == "startup/ex8-squares/python-pool-spawn/2")
        .expect("exercise 8 under spawn");
    assert_eq!(spawn.start_method.as_deref(), Some("spawn"));
    assert_eq!(spawn.label, "multiprocessing.Pool (spawn)");
}

const SCRIPT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/python_peers.py");

#[test]
fn the_embedded_script_is_the_one_in_scripts() {
    assert_eq!(
        std::fs::read_to_string(SCRIPT_PATH).expect("the script"),
        peers::SCRIPT,
        "the embedded script is stale"
    );
}

#[test]
#[ignore = "needs python3: run by .ci/run with --ignored"]
fn the_scripts_self_test_of_its_statistics_and_checks_passes() {
    common::require_python3();
    let output = Command::new("python3").arg(SCRIPT_PATH).arg("--self-test").output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("self-test passed"), "{stdout}");
}

#[test]
#[ignore = "needs python3: run by .ci/run with --ignored"]
fn the_report_puts_peer_rows_beside_poolbenchs_with_ratios_of_the_two_medians() {
    let document = quick_document();
    let dir = criterion_dir_with(Some(document));
    let (_out, written, summary) = common::write_and_read_report(dir.path());
    let peers = summary.peers.as_ref().expect("the peers section");
    assert_eq!(peers.status, PeersStatus::Measured);
    assert!(peers.rows.is_empty(), "summary.json holds the peer rows in their groups, not twice");
    assert_eq!(summary.rows_from(Source::Python), document.rows.len());
    assert!(written.to_string().contains("python peers: "), "{written}");

    // Every peer row is in its group, as the file has it.
    for peer in &document.rows {
        let group = summary.group(&peer.group).expect("the peer's group");
        let row = group.results.iter().find(|row| row.id == peer.row.id).expect("the peer's row");
        assert_eq!((row.source, row.median_ns), (Source::Python, peer.row.median_ns));
        assert_eq!(row.speedup, None, "{}: a peer has no speedup over poolbench's Sequential", row.id);
    }

    // The pairs this fixture makes, each with the ratio of the two medians the report lists.
    let median = |group: &str, id: &str| {
        let group = summary.groups.iter().find(|g| g.id == group).expect("the group");
        group.results.iter().find(|row| row.id == id).unwrap_or_else(|| panic!("{id}")).median_ns.point
    };
    let pairs = [
        (
            "startup/ex8-squares",
            "startup/ex8-squares/ProcessPool/2",
            "startup/ex8-squares/python-pool-fork/2",
        ),
        (
            "startup/ex8-squares",
            "startup/ex8-squares/ProcessPool/2",
            "startup/ex8-squares/python-pool-spawn/2",
        ),
        ("pools/squares-10", "pools/squares-10/ProcessPool/2", "pools/squares-10/python-pool-fork/2"),
        ("pools/squares-10", "pools/squares-10/StdPool/2", "pools/squares-10/python-threadpool/2"),
        ("pools/squares-10", "pools/squares-10/Rayon/2", "pools/squares-10/python-threadpool/2"),
        ("pools/squares-10", "pools/squares-10/Sequential/1", "pools/squares-10/python-sequential/1"),
        ("task/factorial", "task/factorial/20000", "task/factorial/python/20000"),
    ];
    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    for (group_id, rust_id, peer_id) in pairs {
        let group = summary.group(group_id).expect("the group");
        let ratio = group
            .ratios
            .iter()
            .find(|ratio| ratio.id == rust_id && ratio.peer_id == peer_id)
            .unwrap_or_else(|| panic!("no ratio of {rust_id} against {peer_id}: {:?}", group.ratios));
        let expected = median(group_id, peer_id) / median(group_id, rust_id);
        assert!(close(ratio.ratio.point, expected), "{rust_id}: {} vs {expected}", ratio.ratio.point);
        assert!(ratio.ratio.lower <= ratio.ratio.point && ratio.ratio.point <= ratio.ratio.upper);
        let word = if expected >= 1.0 { "faster" } else { "slower" };
        assert!(
            ratio.sentence.contains(&format!(" times {word} than {}", ratio.peer_label)),
            "{}",
            ratio.sentence
        );

        // The page: a row of the group's ratio table with the same number, and the sentence.
        let table = page
            .select(&selector("table.ratios"))
            .find(|table| table.value().attr("data-group") == Some(group_id))
            .unwrap_or_else(|| panic!("a ratio table for {group_id}"));
        let executor = ratio.executor.as_deref().unwrap_or("");
        let value = ratio.value.as_deref().unwrap_or("");
        let tr = table
            .select(&selector("tbody tr"))
            .find(|tr| {
                let attr = |name| tr.value().attr(name);
                attr("data-executor") == Some(executor)
                    && attr("data-peer") == Some(ratio.peer.as_str())
                    && attr("data-value") == Some(value)
            })
            .unwrap_or_else(|| panic!("the page's row for {rust_id} against {peer_id}"));
        let shown: f64 = tr.value().attr("data-ratio").and_then(|r| r.parse().ok()).expect("data-ratio");
        assert!(close(shown, expected), "{rust_id}: the page shows {shown}, the medians give {expected}");
        let cells: Vec<String> = tr.select(&selector("td")).map(|td| td.text().collect()).collect();
        assert_eq!(cells.last(), Some(&ratio.sentence));

        // The Markdown: the pair in the group's ratio table (every row here is its executor's
        // fastest, so every pair tells), with the page's number.
        let start =
            format!("| {} | {} | {} | ", ratio.poolbench_label(), ratio.peer_label, ratio.size_label());
        let section = markdown.split(&format!("### {group_id}\n")).nth(1).expect("the group's section");
        let section = section.split("### ").next().unwrap_or(section);
        let line = section
            .lines()
            .find(|line| line.starts_with(&start))
            .unwrap_or_else(|| panic!("no Markdown row for {rust_id} against {peer_id}\n{markdown}"));
        assert_eq!(line, format!("{start}{} |", cells[5]), "{rust_id} against {peer_id}");
    }
    let ex8 = summary.group("startup/ex8-squares").expect("ex8");
    let text = &ex8.ratios.iter().find(|r| r.peer == "python-pool-fork").expect("against fork").sentence;
    assert!(
        text.starts_with("ProcessPool is ") && text.contains("multiprocessing.Pool (fork) at n=2"),
        "{text}"
    );

    // Peer rows are marked on the page, and the tables have them all.
    let python_rows = page.select(&selector("table.results tr.python[data-source=python]")).count();
    assert_eq!(python_rows, document.rows.len());
    let section = page.select(&selector("section.peers")).next().expect("the peers section");
    assert_eq!(section.value().attr("data-status"), Some("included"));
    assert!(markdown.contains("**Python peers:** "), "{markdown}");
}

#[test]
#[ignore = "needs python3: run by .ci/run with --ignored"]
fn peer_rows_leave_poolbenchs_speedups_fits_and_headlines_as_they_were() {
    let without = criterion_dir_with(None);
    let with = criterion_dir_with(Some(quick_document()));
    let (_a, _, before) = common::write_and_read_report(without.path());
    let (_b, _, after) = common::write_and_read_report(with.path());
    for group in &before.groups {
        let same = after.group(&group.id).expect("the group is still there");
        assert_eq!(same.headline, group.headline, "{}", group.id);
        assert_eq!(same.scaling, group.scaling, "{}", group.id);
        assert_eq!(same.startup, group.startup, "{}", group.id);
        let ours: Vec<_> = same.results.iter().filter(|row| row.source == Source::Criterion).collect();
        assert_eq!(ours, group.results.iter().collect::<Vec<_>>(), "{}", group.id);
    }
    // A group only the peers ran is reported too, saying so.
    let only = after.group("crossover/io-sleep").expect("a peers-only group");
    assert!(only.headline.starts_with("Only the Python peers ran here"), "{}", only.headline);
    assert!(only.ratios.is_empty() && only.results.iter().all(|row| row.source == Source::Python));
    let absent = before.peers.as_ref().expect("the peers section");
    assert_eq!(absent.status, PeersStatus::Skipped);
    assert!(
        absent.reason.as_deref().is_some_and(|reason| reason.starts_with("no peers file at ")),
        "{absent:?}"
    );
}

#[test]
fn a_python3_missing_from_path_is_a_skipped_outcome_and_the_report_says_why() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (python, named) in [
        (PathBuf::from("python3-not-on-this-path"), "python3-not-on-this-path on PATH not found"),
        (dir.path().join("python3"), "/python3 not found"),
    ] {
        let outcome = peers::run(&Options::new([2]).quick(true).python(&python)).expect("no error of ours");
        let Outcome::Skipped { reason } = outcome else { panic!("{python:?} ran: {outcome:?}") };
        assert!(reason.contains(named) && reason.contains("POOLBENCH_PYTHON=0"), "{reason}");
    }
    let reason = "python3 on PATH not found; install Python 3.8 or later";
    let criterion_dir = criterion_dir_with(Some(&Peers::skipped(reason)));
    let (_out, written, summary) = common::write_and_read_report(criterion_dir.path());
    let peers = summary.peers.as_ref().expect("the peers section");
    assert_eq!((peers.status, peers.reason.as_deref()), (PeersStatus::Skipped, Some(reason)));
    assert!(
        summary.groups.iter().flat_map(|group| &group.results).all(|row| row.source == Source::Criterion)
    );
    assert!(summary.groups.iter().all(|group| group.ratios.is_empty()));

    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let section = page.select(&selector("section.peers")).next().expect("the peers section");
    assert_eq!(section.value().attr("data-status"), Some("skipped"));
    assert!(section.text().collect::<String>().contains(reason));
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    assert!(markdown.contains(&format!("**Python peers:** skipped: {reason}")), "{markdown}");
    assert!(written.to_string().contains(reason), "{written}");
}

#[test]
fn a_corrupt_peers_file_is_listed_as_skipped_with_its_path_and_the_rest_reported() {
    let criterion_dir = criterion_dir_with(None);
    let (_out, intact, _) = common::write_and_read_report(criterion_dir.path());
    let path = schema::peers_file_in(criterion_dir.path());
    std::fs::write(&path, b"{\"schema_version\": 1, \"rows\": [").expect("a truncated peers file");

    let (_out, written, summary) = common::write_and_read_report(criterion_dir.path());
    assert_eq!(written.benchmarks, intact.benchmarks);
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    assert_eq!(Path::new(&written.skipped[0].path), path);
    assert!(
        written.skipped[0].reason.contains("is not a poolbench peers file"),
        "{}",
        written.skipped[0].reason
    );
    assert_eq!(summary.skipped, written.skipped);
    let peers = summary.peers.as_ref().expect("the peers section");
    assert_eq!(peers.status, PeersStatus::Skipped);
    assert!(peers.reason.as_deref().is_some_and(|reason| reason.contains(&path.display().to_string())));

    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let listed: String =
        page.select(&selector("section.skipped")).flat_map(|section| section.text()).collect();
    assert!(listed.contains(&path.display().to_string()), "{listed}");
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    assert!(markdown.contains(&path.display().to_string()), "{markdown}");
}

#[test]
fn the_time_limit_kills_a_hanging_interpreter_and_the_processes_it_started() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pids = dir.path().join("child.pid");
    let body = format!(
        "sleep 30 &\necho $! > '{}'\necho 'python peers: pretending to work' >&2\nwait",
        pids.display()
    );
    let fake = common::fake_worker(dir.path(), "python3", &body);
    let started = Instant::now();
    let outcome = peers::run(&Options::new([2]).python(&fake).timeout(Duration::from_millis(500)))
        .expect("no error of ours");
    let elapsed = started.elapsed();
    let Outcome::Skipped { reason } = outcome else { panic!("a hanging interpreter measured: {outcome:?}") };
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(reason.contains("0.5 s time limit") && reason.contains("killed"), "{reason}");
    assert!(reason.contains("pretending to work"), "its last words are kept: {reason}");

    let child: u32 = std::fs::read_to_string(&pids).expect("the child's pid").trim().parse().expect("a pid");
    let deadline = Instant::now() + Duration::from_secs(5);
    while matches!(common::process_state(child), Some(state) if state != 'Z') {
        assert!(Instant::now() < deadline, "the interpreter's child {child} outlived the time limit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_interpreter_that_fails_is_skipped_with_its_status_and_last_words() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let fake = common::fake_worker(dir.path(), "python3", "echo 'Traceback: boom' >&2\nexit 3");
    let outcome = peers::run(&Options::new([2]).python(&fake)).expect("no error of ours");
    let Outcome::Skipped { reason } = outcome else { panic!("a failing interpreter measured: {outcome:?}") };
    assert!(
        reason.contains("failed") && reason.contains("3") && reason.contains("Traceback: boom"),
        "{reason}"
    );

    // Exiting 0 without writing the file is no success either.
    let fake = common::fake_worker(dir.path(), "quiet-python3", "exit 0");
    let outcome = peers::run(&Options::new([2]).python(&fake)).expect("no error of ours");
    let Outcome::Skipped { reason } = outcome else { panic!("no file, yet measured: {outcome:?}") };
    assert!(reason.contains("cannot read the peers file"), "{reason}");
}
