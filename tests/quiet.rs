//! Whether the machine was quiet: a tiny benchmark measured beside a CPU hog is judged disturbed,
//! its figures hold together, the report marks it in the page, the Markdown and the JSON, the gate
//! leaves it out, and the end of a run measures it again.
//!
//! The benchmarks run in a child process, this test binary started again with [`CASE_ENV`]
//! naming the case, running [`child`]: the hog's threads are this process's, so to the child they
//! are another program, as a real one would be. The hog spins two threads per core, is stopped by
//! the test as soon as the child is done (at most [`HOG_LIMIT`] in any case), and joined. Speed is
//! never asserted: only what the load files say, which a busier machine can only make more
//! disturbed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::Criterion;
use poolbench::ExecutorKind;
use poolbench::bench::{DISTURBANCE_THRESHOLD, Main, Sweep};
use poolbench::compare::{self, Input, Settings, Verdict};
use poolbench::schema::{LastSample, LoadFile, LoadRecord, Quietness, Summary};
use poolbench::workload::CpuSpin;
use scraper::{Html, Selector};

const CASE_ENV: &str = "POOLBENCH_QUIET_CASE";
/// Where the `main` case writes its report.
const REPORT_ENV: &str = "POOLBENCH_QUIET_REPORT";
/// The longest a hog spins, whatever happens to the test that started it.
const HOG_LIMIT: Duration = Duration::from_secs(60);
/// The longest a child may take.
const CHILD_LIMIT: Duration = Duration::from_secs(180);

/// Two threads per core spinning, until stopped or [`HOG_LIMIT`] has passed; stopped and joined
/// when dropped, so a failing test does not leave it running.
struct Hog {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Hog {
    fn start() -> Hog {
        // Two spinning threads per core: with one per core, the scheduler left a one-thread
        // benchmark 0.8 of its core in a CI run (others took 10% of it, under the threshold),
        // since a thread that sleeps between Criterion's calls is favoured over one that never
        // sleeps. With two per core it keeps about 40%.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..2 * cores)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let started = Instant::now();
                    let mut spins = 0u64;
                    while !stop.load(Ordering::Relaxed) && started.elapsed() < HOG_LIMIT {
                        spins = std::hint::black_box(spins.wrapping_add(1));
                    }
                })
            })
            .collect();
        // Every thread spinning before the benchmark starts.
        std::thread::sleep(Duration::from_millis(100));
        Hog { stop, threads }
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.join().expect("a hog thread ends");
        }
    }
}

/// This test binary started again to run `case`, Criterion's files in `criterion_dir`.
fn start_case(case: &str, criterion_dir: &Path, report_dir: Option<&Path>) -> std::process::Child {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        // `--include-ignored`, not `--ignored`: to Criterion, whose arguments `Main` reads too,
        // `--ignored` means a run that keeps nothing.
        .args(["--exact", "child", "--include-ignored", "--nocapture"])
        .env(CASE_ENV, case)
        .env("CRITERION_HOME", criterion_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(dir) = report_dir {
        command.env(REPORT_ENV, dir);
    }
    command.spawn().expect("the child starts")
}

#[test]
fn a_bad_rounds_budget_stops_the_run_before_anything_is_measured_naming_the_variable() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "child", "--include-ignored", "--nocapture"])
        .env(CASE_ENV, "main")
        .env("CRITERION_HOME", dir.path())
        .env(REPORT_ENV, dir.path().join("report"))
        .env(poolbench::env::ROUNDS_BUDGET, "8s")
        .stdin(Stdio::null())
        .output()
        .expect("the child runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("POOLBENCH_ROUNDS_BUDGET=")
            && stderr.contains("is not a number of seconds; give one from 0"),
        "{stderr}"
    );
    assert!(common::files_named(dir.path(), "sample.json").is_empty(), "nothing was measured");
}

/// Waits for `child` to end, at most [`CHILD_LIMIT`]; its stderr, after checking it succeeded.
fn finish(mut child: std::process::Child) -> String {
    let mut pipe = child.stderr.take().expect("the child's stderr is piped");
    // Read as it comes, so that a child with much to say never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        text
    });
    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child took over {CHILD_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().expect("the reader ends");
    assert!(status.success(), "the child failed ({status}): {stderr}");
    stderr
}

/// A tiny Criterion writing where the parent said.
fn tiny() -> Criterion {
    let dir = std::env::var_os("CRITERION_HOME").expect("the parent names the Criterion directory");
    common::tiny_criterion(Path::new(&dir))
}

fn spin(c: &mut Criterion) {
    Sweep::new("quiet/spin", &CpuSpin, &[20_000; 4]).executors([ExecutorKind::Sequential]).run(c);
}

#[test]
#[ignore = "a child process of the quiet tests, not a test"]
fn child() {
    let case = std::env::var(CASE_ENV)
        .unwrap_or_else(|_| panic!("not a test: the quiet tests run this with {CASE_ENV} set"));
    match case.as_str() {
        // What is judged here is Criterion's measurement of each benchmark, and the headline
        // that rests on it: the group's paired rounds, whose own rounds a hog would drop, are
        // tested in tests/sweep.rs.
        "sweep" => Sweep::new("quiet/spin", &CpuSpin, &[20_000; 4])
            .executors([ExecutorKind::Sequential, ExecutorKind::StdPool])
            .sizes([2])
            .rounds_budget(Duration::ZERO)
            .run(&mut tiny()),
        "main" => {
            let report_dir = std::env::var_os(REPORT_ENV).expect("the parent names the report's directory");
            Main::new()
                .criterion(tiny)
                .report_dir(PathBuf::from(report_dir))
                .remeasure(1)
                .remeasure_budget(Duration::from_secs(60))
                .run(&[spin])
                .expect("the run and its report");
        }
        other => panic!("no case {other}"),
    }
}

/// The benchmark ids of [`child`]'s `sweep` case.
const SWEPT: [&str; 2] = ["quiet/spin/Sequential/1", "quiet/spin/StdPool/2"];

/// Criterion's files and load files of the `sweep` case run beside a hog, once per test binary.
fn disturbed() -> &'static Path {
    static FIXTURE: OnceLock<PathBuf> = OnceLock::new();
    common::kept_fixture(&FIXTURE, "quiet-fixture-", |dir| {
        let hog = Hog::start();
        let child = start_case("sweep", dir, None);
        let stderr = finish(child);
        drop(hog);
        assert!(!stderr.contains("cannot measure"), "{stderr}");
    })
}

/// The record of `id`'s latest measurement in its load file under `criterion_dir`, and the
/// directory Criterion keeps the benchmark in (found by its `new/benchmark.json`).
fn load_file(criterion_dir: &Path, id: &str) -> (PathBuf, LoadRecord) {
    let file =
        LoadFile::read(criterion_dir, id).unwrap_or_else(|err| panic!("{err}")).expect("the file is there");
    let record = *file.measurements.first().expect("a measurement");
    let dirs: Vec<PathBuf> = common::files_named(criterion_dir, "benchmark.json")
        .into_iter()
        .filter(|path| path.parent().and_then(Path::file_name).is_some_and(|dir| dir == "new"))
        .filter(|path| common::read_json(path)["full_id"] == id)
        .map(|path| path.parent().and_then(Path::parent).expect("the benchmark's directory").to_owned())
        .collect();
    assert_eq!(dirs.len(), 1, "one directory for {id}: {dirs:?}");
    (dirs.into_iter().next().expect("one"), record)
}

/// The last sample of the `sample.json` in `dir`.
fn last_sample(dir: &Path) -> LastSample {
    let sample = common::read_json(&dir.join("sample.json"));
    let last =
        |key: &str| sample[key].as_array().and_then(|values| values.last()?.as_f64()).expect("a sample");
    LastSample { iters: last("iters"), ns: last("times") }
}

fn row_load<'a>(summary: &'a Summary, id: &str) -> &'a Quietness {
    &summary.rows().find(|row| row.id == id).unwrap_or_else(|| panic!("a row {id}")).load
}

#[test]
fn a_benchmark_measured_beside_a_cpu_hog_is_judged_disturbed_and_its_figures_hold_together() {
    let dir = disturbed();
    for id in SWEPT {
        let (benchmark, file) = load_file(dir, id);
        assert_eq!(
            file.last_sample,
            last_sample(&benchmark.join("new")),
            "{id}: the record is of new/'s sample"
        );
        let load = file.load;
        assert_eq!((file.attempts, load.threshold), (1, DISTURBANCE_THRESHOLD), "{file:?}");
        assert!(load.is_disturbed() && load.disturbance > DISTURBANCE_THRESHOLD, "{id}: {load:?}");
        for (name, share) in
            [("others", load.others_share), ("steal", load.steal_share), ("disturbance", load.disturbance)]
        {
            assert!((0.0..=1.0).contains(&share), "{id}: {name} share {share}: {load:?}");
        }
        // The hog's threads are another process's: no more than a core's worth of it is the
        // benchmark's, and its own CPU time fits the cores in its window.
        assert!(load.others_share > 0.0, "{id}: {load:?}");
        assert!(
            load.own_cpu_seconds() <= load.times.wall_seconds * f64::from(load.times.cores),
            "{id}: {load:?}"
        );
        assert!(load.busy_cores() <= f64::from(load.usable_cores) + 0.05, "{id}: {load:?}");
        let usable = if id.contains("Sequential") { 1 } else { 2.min(load.times.cores) };
        assert_eq!(load.usable_cores, usable, "{id}");
        // Criterion's default baseline got its copy of the measurement: the same record is its load.
        let base = LoadFile::read(dir, id).expect("reads").expect("there");
        assert_eq!(
            base.find(last_sample(&benchmark.join("base"))),
            Some(&file),
            "{id}: the base baseline's load"
        );
    }
}

#[test]
fn a_report_built_from_stored_figures_marks_the_disturbed_rows_in_html_markdown_and_json() {
    let (_out, written) = common::write_report(disturbed());
    let summary = Summary::read(&written.summary_json).expect("summary.json reads back");
    for id in SWEPT {
        let load = row_load(&summary, id);
        assert!(load.is_disturbed(), "{id}: {load:?}");
        let measured = load.measurement().expect("measured");
        assert!(measured.load.disturbance > DISTURBANCE_THRESHOLD && measured.attempts == 1, "{load:?}");
    }
    let json = common::read_json(&written.summary_json);
    let rows = json["groups"][0]["results"].as_array().expect("rows");
    assert!(rows.iter().all(|row| row["load"]["verdict"] == "disturbed"), "{rows:?}");
    assert!(rows.iter().all(|row| row["load"]["disturbance"].as_f64().is_some()), "{rows:?}");

    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("the page"));
    let selector = |css: &str| Selector::parse(css).expect("a selector");
    let marked: Vec<_> = page.select(&selector("table.results tr.disturbed")).collect();
    assert_eq!(marked.len(), 2, "both rows are marked disturbed on the page");
    assert!(marked.iter().all(|row| row.value().attr("data-load") == Some("disturbed")));
    let cells: String = marked.iter().map(|row| row.text().collect::<String>()).collect();
    assert!(cells.contains("disturbed: ") && cells.contains("of 1") && cells.contains("of 2"), "{cells}");
    let quiet: Vec<String> =
        page.select(&selector("p.quiet.warns")).map(|line| line.text().collect::<String>()).collect();
    assert_eq!(quiet.len(), 1, "one warning line near the top");
    assert!(
        quiet[0].starts_with("The machine was quiet for 0 of 2 benchmarks; 0 measured again"),
        "{quiet:?}"
    );
    let headline: String = page.select(&selector("p.headline")).flat_map(|p| p.text()).collect();
    assert!(headline.contains("In doubt:"), "the headline rests on disturbed rows and says so: {headline}");

    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    assert!(markdown.contains("**Load:** ⚠️ The machine was quiet for 0 of 2 benchmarks"), "{markdown}");
    let rows: Vec<&str> = markdown
        .lines()
        .filter(|line| line.starts_with("| Sequential") || line.starts_with("| StdPool"))
        .collect();
    assert_eq!(rows.len(), 2, "{markdown}");
    assert!(rows.iter().all(|row| row.contains("⚠️ **disturbed: ")), "{rows:?}");
    assert!(written.quiet.as_deref().is_some_and(|line| line.contains("0 of 2")), "{:?}", written.quiet);
}

#[test]
fn a_benchmark_without_a_load_file_that_describes_it_is_not_measured_and_says_why() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    common::copy_dir(disturbed(), dir.path());
    std::fs::remove_file(LoadFile::path(dir.path(), SWEPT[0])).expect("removed");
    // A load file left by an earlier measurement only: its last sample is not sample.json's.
    let mut earlier = LoadFile::read(dir.path(), SWEPT[1]).expect("reads").expect("there");
    for record in &mut earlier.measurements {
        record.last_sample.ns += 1.0;
    }
    std::fs::write(LoadFile::path(dir.path(), SWEPT[1]), serde_json::to_vec(&earlier).expect("encodes"))
        .expect("written");
    let (_out, written, summary) = common::write_and_read_report(dir.path());
    let reason = |id: &str| match row_load(&summary, id) {
        Quietness::NotMeasured { reason } => reason.clone(),
        other => panic!("{id} should not be measured: {other:?}"),
    };
    assert!(reason(SWEPT[0]).starts_with("no load file"), "{}", reason(SWEPT[0]));
    assert!(
        reason(SWEPT[1]).contains("holds no measurement with this sample.json's last sample"),
        "{}",
        reason(SWEPT[1])
    );
    let page = std::fs::read_to_string(&written.index_html).expect("the page");
    assert_eq!(page.matches("data-load=\"not_measured\"").count(), 2);
    assert!(
        written.quiet.as_deref().is_some_and(|line| line.contains("not measured")),
        "{:?}",
        written.quiet
    );

    let corrupt = LoadFile::path(dir.path(), SWEPT[1]);
    std::fs::write(&corrupt, "{\"load_version\": 2").expect("written");
    let (_out, _written, summary) = common::write_and_read_report(dir.path());
    match row_load(&summary, SWEPT[1]) {
        Quietness::NotMeasured { reason } => {
            let named = corrupt.display().to_string();
            assert!(reason.contains(&named) && reason.contains("is not a poolbench load file"), "{reason}")
        }
        other => panic!("a corrupt load file is no measurement: {other:?}"),
    }
}

#[test]
fn compare_does_not_judge_a_benchmark_whose_run_was_disturbed() {
    let (_out, written) = common::write_report(disturbed());
    let disturbed = Summary::read(&written.summary_json).expect("summary.json reads back");
    let mut quiet = disturbed.clone();
    for row in quiet.groups.iter_mut().flat_map(|group| &mut group.results) {
        let measured = *row.load.measurement().expect("measured");
        let mut load = measured.load;
        load.disturbance = 0.0;
        row.load = Quietness::judged(load, measured.attempts);
    }
    let base = Input::new("base", quiet.clone());
    let comparison =
        compare::compare(&base, &Input::new("quiet", quiet), &Settings::new()).expect("compared");
    assert!(
        comparison.entries.iter().all(|entry| !entry.only_disturbed && entry.verdict != Verdict::Ungated)
    );
    let only =
        compare::compare(&base, &Input::new("disturbed", disturbed), &Settings::new()).expect("compared");
    assert_eq!(only.only_disturbed(), 2);
    assert!(only.entries.iter().all(|entry| entry.verdict == Verdict::Ungated), "{:?}", only.entries);
    let note = only.entries[0].note.as_deref().unwrap_or_default();
    assert!(note.starts_with("the run of NEW was disturbed"), "{note}");
    let table = poolbench::verdict::render_table(&only);
    assert!(table.contains("2 benchmark(s) not judged"), "{table}");
    assert!(
        only.nothing_judged().is_some_and(|why| why.contains("disturbed")),
        "{:?}",
        only.nothing_judged()
    );
}

#[test]
fn a_disturbed_benchmark_is_measured_again_at_the_end_of_the_run_and_the_report_says_so() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let criterion_dir = dir.path().join("criterion");
    let report_dir = dir.path().join("report");
    let hog = Hog::start();
    let child = start_case("main", &criterion_dir, Some(&report_dir));
    // The hog spins through the first measurement only: it stops once its load file is written.
    let deadline = Instant::now() + CHILD_LIMIT;
    while common_load_files(&criterion_dir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(hog);
    let stderr = finish(child);
    let (_, file) = load_file(&criterion_dir, "quiet/spin/Sequential/1");
    assert_eq!(file.attempts, 2, "measured once beside the hog, then again: {file:?}\n{stderr}");
    assert!(stderr.contains("poolbench: measuring quiet/spin/Sequential/1 again"), "{stderr}");
    assert!(stderr.contains("poolbench: measured 1 disturbed benchmark(s) again"), "{stderr}");
    let markdown = std::fs::read_to_string(report_dir.join("summary.md")).expect("the run's summary.md");
    // Quiet or not the second time, as the machine allows: the line counts the benchmark measured again.
    assert!(markdown.contains(" of 1 benchmarks; 1 measured again"), "{markdown}");
    let summary = Summary::read(&report_dir.join("summary.json")).expect("the run's summary.json");
    assert!(row_load(&summary, "quiet/spin/Sequential/1").measured_again());
}

fn common_load_files(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir.join(poolbench::schema::LOAD_DIR)) {
        Ok(entries) => entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect(),
        Err(_) => Vec::new(),
    }
}
