//! The regression gate over real, tiny Criterion runs: `poolbench compare` and `poolbench
//! export` through the real binary, the history and the page's trends through the library.
//!
//! The fixture is one Criterion directory holding two baselines of the same benchmarks, `base`
//! and `slow`, each also with a benchmark the other lacks, all first saved by real runs. The gate
//! reads only the samples, and a test must not hang on the machine's noise (speed is measured in
//! benchmarks, never asserted in tests: `reports/README.md`, "Measured, not assumed", has what a
//! loaded machine made of a real threefold slowdown). So each baseline's samples are then
//! replaced by a known spread around the benchmark's measured median, `slow`'s [`SLOWDOWN`] times
//! `base`'s, with `estimates.json` recomputed to match; `new/` keeps the real run. Both baselines
//! are written out as `summary.json` files too. Tests that need another machine or another shape
//! edit a copy of a summary, never the numbers' origin.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use criterion::BenchmarkId;
use poolbench::compare::{self, Input};
use poolbench::report::{self, Options, history};
use poolbench::schema::{self, Summary};
use poolbench::workload::CpuSpin;
use poolbench::{Executor, Sequential, StdPool, Workload};
use scraper::{Html, Selector};
use serde_json::Value;

struct Fixture {
    criterion: PathBuf,
    base_json: PathBuf,
    slow_json: PathBuf,
}

/// Benchmarks in both runs, and the one only in each.
const BOTH: [&str; 3] = ["fixture/spin/Sequential/1", "fixture/spin/StdPool/2", "task/cpu-spin/5000"];
const ONLY_BASE: &str = "fixture/gone/1";
const ONLY_SLOW: &str = "fixture/fresh/1";

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = common::kept_fixture_dir("compare-fixture-");
        let criterion = dir.join("criterion");
        run_criterion(&criterion);
        slow_down(&criterion);
        let write = |name: &str| {
            let input = Input::load(name, &criterion).unwrap_or_else(|err| panic!("baseline {name}: {err}"));
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, report::render_json(&input.summary).expect("encode"))
                .expect("write a summary");
            path
        };
        let (base_json, slow_json) = (write("base"), write("slow"));
        Fixture { criterion, base_json, slow_json }
    })
}

/// How much slower every benchmark of `slow` is than in `base`.
const SLOWDOWN: f64 = 3.0;

/// Real work through Criterion, saved as `base`; then the benchmark only `slow` has, saved as `slow`.
fn run_criterion(dir: &Path) {
    let mut c = common::tiny_criterion(dir).save_baseline("base".to_owned());
    let inputs: Vec<u64> = vec![3_000; 4];
    let pool = StdPool::new(2).expect("a std pool");
    let mut group = c.benchmark_group("fixture/spin");
    group.bench_with_input(BenchmarkId::new("Sequential", 1), &inputs, |b, inputs| {
        b.iter(|| Sequential.map(&CpuSpin, black_box(inputs)))
    });
    group.bench_with_input(BenchmarkId::new("StdPool", 2), &inputs, |b, inputs| {
        b.iter(|| pool.map(&CpuSpin, black_box(inputs)))
    });
    group.finish();
    let mut group = c.benchmark_group("task/cpu-spin");
    group.bench_with_input(BenchmarkId::from_parameter(5_000u64), &5_000u64, |b, bound| {
        b.iter(|| CpuSpin.run(&(), black_box(bound)))
    });
    group.finish();
    let only = |c: &mut criterion::Criterion, group: &str| {
        let mut group = c.benchmark_group(group);
        group.bench_with_input(BenchmarkId::from_parameter(1), &3_000u64, |b, bound| {
            b.iter(|| CpuSpin.run(&(), black_box(bound)))
        });
        group.finish();
    };
    only(&mut c, "fixture/gone");
    only(&mut common::tiny_criterion(dir).save_baseline("slow".to_owned()), "fixture/fresh");
}

/// Gives `base` and `slow` their known samples: `base` keeps each benchmark's measured median,
/// `slow` has it times [`SLOWDOWN`], and the benchmark only `slow` has keeps its own.
fn slow_down(criterion: &Path) {
    let mut slowed = 0;
    for id in common::files_named(criterion, "benchmark.json") {
        let baseline = id.parent().expect("a baseline directory");
        match baseline.file_name().and_then(|name| name.to_str()) {
            Some("base") => {
                known_samples(baseline, baseline, 1.0);
                if common::read_json(&id)["full_id"] != ONLY_BASE {
                    known_samples(baseline, &baseline.with_file_name("slow"), SLOWDOWN);
                    slowed += 1;
                }
            }
            Some("slow") if !baseline.with_file_name("base").exists() => {
                known_samples(baseline, baseline, 1.0)
            }
            _ => {}
        }
    }
    assert_eq!(slowed, BOTH.len(), "every benchmark in both baselines is slowed down");
}

/// Writes into the baseline directory `to` the benchmark of `from` with its samples replaced by
/// `factor` times its measured median, spread evenly over +0% to +4%, keeping Criterion's iteration
/// counts, and `estimates.json` recomputed from them.
fn known_samples(from: &Path, to: &Path, factor: f64) {
    let median = common::read_json(&from.join("estimates.json"))["median"]["point_estimate"]
        .as_f64()
        .expect("a median");
    let mut sample = common::read_json(&from.join("sample.json"));
    let iters: Vec<f64> =
        sample["iters"].as_array().expect("iters").iter().map(|n| n.as_f64().expect("a count")).collect();
    let n = iters.len();
    // An even spread in the order lowest, highest, second lowest, ..., so that sample order (and
    // Criterion's linear iteration counts) says nothing about the time.
    let rank = |i: usize| if i % 2 == 0 { i / 2 } else { n - 1 - i / 2 };
    let per_iteration: Vec<f64> =
        (0..n).map(|i| median * factor * (1.0 + 0.04 * rank(i) as f64 / n as f64)).collect();
    sample["times"] = iters.iter().zip(&per_iteration).map(|(iters, time)| iters * time).collect();

    let mut sorted = per_iteration.clone();
    sorted.sort_by(f64::total_cmp);
    let middle = |values: &[f64]| (values[(values.len() - 1) / 2] + values[values.len() / 2]) / 2.0;
    let mean = per_iteration.iter().sum::<f64>() / n as f64;
    let std_dev =
        (per_iteration.iter().map(|time| (time - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let median = middle(&sorted);
    let mut deviations: Vec<f64> = sorted.iter().map(|time| (time - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let median_abs_dev = 1.4826 * middle(&deviations);
    let error = std_dev / (n as f64).sqrt();
    let estimate = |point: f64, lower: f64, upper: f64| {
        serde_json::json!({
            "confidence_interval": {"confidence_level": 0.95, "lower_bound": lower, "upper_bound": upper},
            "point_estimate": point,
            "standard_error": error,
        })
    };
    let (fastest, slowest) = (sorted[0], sorted[n - 1]);
    let estimates = serde_json::json!({
        "mean": estimate(mean, fastest, slowest),
        "median": estimate(median, fastest, slowest),
        "median_abs_dev": estimate(median_abs_dev, 0.0, 2.0 * median_abs_dev),
        "slope": (sample["sampling_mode"] == "Linear").then(|| estimate(mean, fastest, slowest)),
        "std_dev": estimate(std_dev, 0.0, 2.0 * std_dev),
    });

    std::fs::create_dir_all(to).expect("the baseline's directory");
    if from != to {
        std::fs::copy(from.join("benchmark.json"), to.join("benchmark.json")).expect("copy benchmark.json");
    }
    let write = |name: &str, value: &Value| {
        let path = to.join(name);
        std::fs::write(&path, value.to_string()).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    };
    write("sample.json", &sample);
    write("estimates.json", &estimates);
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

fn criterion_dir() -> String {
    path(&fixture().criterion)
}

/// `poolbench compare BASE NEW --criterion-dir FIXTURE ...`: the exit code, stdout and stderr.
fn compare(base: &str, new: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let dir = criterion_dir();
    let mut args = vec!["compare", base, new, "--criterion-dir", dir.as_str()];
    args.extend(extra);
    common::poolbench(&args)
}

/// `poolbench compare BASE NEW --format json ...`, parsed, with the exit code.
fn compare_json(base: &str, new: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let (code, stdout, stderr) = compare(base, new, &args);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("{err}: {stdout}{stderr}"));
    (code, json)
}

fn verdicts(comparison: &Value) -> Vec<(String, String)> {
    comparison["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            (
                entry["id"].as_str().expect("id").to_owned(),
                entry["verdict"].as_str().expect("verdict").to_owned(),
            )
        })
        .collect()
}

fn verdict_of(comparison: &Value, id: &str) -> String {
    verdicts(comparison).into_iter().find(|(found, _)| found == id).unwrap_or_else(|| panic!("{id} listed")).1
}

fn entry<'a>(comparison: &'a Value, id: &str) -> &'a Value {
    comparison["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|entry| entry["id"] == id)
        .expect("the entry")
}

fn read_summary(path: &Path) -> Summary {
    serde_json::from_str(&std::fs::read_to_string(path).expect("a summary")).expect("summary.json")
}

/// A copy of `summary` as if measured on another machine, with each row's samples scaled by
/// `scale(id)`, written to a new file.
fn elsewhere(dir: &Path, summary: &Summary, scale: impl Fn(&str) -> f64) -> PathBuf {
    let mut moved = summary.clone();
    moved.machine.cpu_model = "Some Other CPU 9000".to_owned();
    moved.machine.cores += 2;
    for row in moved.groups.iter_mut().flat_map(|group| &mut group.results) {
        let factor = scale(&row.id);
        row.samples_ns.iter_mut().for_each(|sample| *sample *= factor);
    }
    let path = dir.join("elsewhere.json");
    std::fs::write(&path, report::render_json(&moved).expect("encode")).expect("write");
    path
}

#[test]
fn identical_runs_show_no_regression_and_exit_0() {
    let base = path(&fixture().base_json);
    let (code, stdout, stderr) = common::poolbench(["compare", &base, &base]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("result: no regression (exit code 0)"), "{stdout}");
    assert!(stdout.contains("gate: absolute times: both runs come from the same machine"), "{stdout}");
    let (code, json) = compare_json(&base, &base, &[]);
    assert_eq!(code, Some(0));
    for id in BOTH.iter().chain([&ONLY_BASE]) {
        assert_eq!(verdict_of(&json, id), "unchanged", "{id}");
        let change = &entry(&json, id)["gated"];
        assert_eq!(change["ratio"], 1.0, "{id}");
        assert!(change["p_value"].as_f64().expect("p") > 0.5, "{id}: {change}");
    }
}

#[test]
fn three_times_slower_is_flagged_and_exits_2_with_regressions_first() {
    let (code, stdout, stderr) = compare("base", "slow", &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("result: REGRESSION (exit code 2)"), "{stdout}");
    let table: Vec<&str> =
        stdout.lines().skip_while(|line| !line.starts_with("benchmark")).skip(1).take(BOTH.len()).collect();
    assert!(table.iter().all(|line| line.contains(" regressed")), "regressions lead the table:\n{stdout}");

    let (code, json) = compare_json("base", "slow", &[]);
    assert_eq!(code, Some(2));
    for id in BOTH {
        assert_eq!(verdict_of(&json, id), "regressed", "{id}");
        let change = &entry(&json, id)["gated"];
        assert!(change["lower"].as_f64().expect("lower") > 1.05, "{id}: {change}");
        assert!(change["p_value"].as_f64().expect("p") < 0.05, "{id}: {change}");
    }
}

#[test]
fn several_runs_a_side_are_refused_saying_the_gate_replaced_them() {
    // Pooling comma-separated runs was the CI fallback for bases older than the gate: gone.
    let (code, stdout, stderr) = compare("base,slow", "slow,base", &[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("`base,slow` is neither a summary.json file nor a Criterion baseline"),
        "{stderr}"
    );
    assert!(stderr.contains("runs are no longer pooled (`poolbench gate`"), "{stderr}");
}

#[test]
fn new_and_missing_benchmarks_are_listed_not_hidden() {
    let (_, json) = compare_json("base", "slow", &[]);
    assert_eq!(verdict_of(&json, ONLY_BASE), "missing");
    assert_eq!(verdict_of(&json, ONLY_SLOW), "new");
    assert!(entry(&json, ONLY_BASE)["new"].is_null() && entry(&json, ONLY_SLOW)["base"].is_null());
    let order: Vec<String> = verdicts(&json).into_iter().map(|(_, verdict)| verdict).collect();
    assert_eq!(order, ["regressed", "regressed", "regressed", "new", "missing"]);
    let (_, stdout, _) = compare("base", "slow", &[]);
    assert!(stdout.contains("1 new, 1 missing"), "{stdout}");
}

#[test]
fn summary_files_and_baseline_names_give_the_same_verdicts() {
    let by_name = compare_json("base", "slow", &[]).1;
    let by_file = compare_json(&path(&fixture().base_json), &path(&fixture().slow_json), &[]).1;
    assert_eq!(verdicts(&by_name).len(), BOTH.len() + 2, "{by_name}");
    assert_eq!(verdicts(&by_name), verdicts(&by_file));
    assert_eq!(entry(&by_name, BOTH[0])["gated"], entry(&by_file, BOTH[0])["gated"]);
}

#[test]
fn comparisons_are_repeatable_to_the_last_digit() {
    let run = || compare("base", "slow", &["--format", "json"]);
    let (first, second) = (run(), run());
    // Two failed runs print the same nothing: the runs must have compared something.
    assert_eq!(first.0, Some(2), "{}{}", first.1, first.2);
    let entries = serde_json::from_str::<Value>(&first.1).map(|json| verdicts(&json).len());
    assert_eq!(entries.ok(), Some(BOTH.len() + 2), "{}", first.1);
    // The machine's date is taken when a baseline is read: everything else must match.
    let strip =
        |text: &str| text.lines().filter(|line| !line.contains("\"date\"")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&first.1), strip(&second.1));
}

#[test]
fn markdown_leads_with_the_outcome_and_folds_the_unchanged() {
    let base = path(&fixture().base_json);
    let (code, markdown, _) = common::poolbench(["compare", &base, &base, "--format", "markdown"]);
    assert_eq!(code, Some(0));
    assert!(markdown.starts_with("## poolbench compare: ✅ no regression\n"), "{markdown}");
    assert!(markdown.contains("<details><summary>4 unchanged</summary>"), "{markdown}");

    let (code, markdown, _) = compare("base", "slow", &["--format", "markdown"]);
    assert_eq!(code, Some(2));
    assert!(markdown.starts_with("## poolbench compare: ❌ 3 regressions\n"), "{markdown}");
    assert!(
        markdown.contains("| **task/cpu-spin/5000** |") && markdown.contains("**regressed**"),
        "{markdown}"
    );
    assert!(!markdown.contains("<details>"), "nothing unchanged to fold: {markdown}");
}

#[test]
fn machines_that_differ_switch_the_gate_to_ratios_within_each_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = read_summary(&fixture().base_json);
    // A machine twice as slow at everything: the code did not change.
    let moved = path(&elsewhere(dir.path(), &base, |_| 2.0));
    let base = path(&fixture().base_json);
    let (code, stdout, stderr) = common::poolbench(["compare", &base, &moved]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("because the machines differ (cores: "), "{stdout}");
    assert!(stdout.contains("absolute times are shown for information only"), "{stdout}");
    let (code, json) = compare_json(&base, &moved, &[]);
    assert_eq!((code, json["gate"].as_str()), (Some(0), Some("relative")));
    let pool = entry(&json, "fixture/spin/StdPool/2");
    assert_eq!(pool["verdict"], "unchanged");
    assert_eq!(pool["relative"]["reference"], "fixture/spin/Sequential/1");
    assert!((pool["absolute"]["ratio"].as_f64().expect("a ratio") - 2.0).abs() < 1e-9, "{pool}");
    assert!((pool["gated"]["ratio"].as_f64().expect("a ratio") - 1.0).abs() < 1e-9, "{pool}");
    let sequential = entry(&json, "fixture/spin/Sequential/1");
    assert_eq!(sequential["verdict"], "ungated");
    assert!(sequential["note"].as_str().expect("a note").contains("the Sequential row"), "{sequential}");
    let task = entry(&json, "task/cpu-spin/5000");
    assert_eq!(task["verdict"], "ungated");
    assert!(task["note"].as_str().expect("a note").contains("no Sequential row"), "{task}");

    // Forced to compare absolute times, the slower machine looks like a regression everywhere.
    let (code, json) = compare_json(&base, &moved, &["--gate", "absolute"]);
    assert_eq!((code, verdict_of(&json, "task/cpu-spin/5000").as_str()), (Some(2), "regressed"));
}

#[test]
fn across_machines_a_pool_that_lost_ground_to_sequential_is_flagged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = read_summary(&fixture().base_json);
    let moved = elsewhere(dir.path(), &base, |id| if id.contains("StdPool") { 6.0 } else { 2.0 });
    let (code, json) = compare_json(&path(&fixture().base_json), &path(&moved), &[]);
    assert_eq!(code, Some(2));
    let pool = entry(&json, "fixture/spin/StdPool/2");
    assert_eq!(pool["verdict"], "regressed");
    assert!((pool["gated"]["ratio"].as_f64().expect("a ratio") - 3.0).abs() < 1e-9, "{pool}");
    let ratios =
        (pool["relative"]["base"].as_f64().expect("base"), pool["relative"]["new"].as_f64().expect("new"));
    assert!((ratios.1 / ratios.0 - 3.0).abs() < 1e-9, "{ratios:?}");
}

#[test]
fn a_config_file_raises_thresholds_and_ignores_benchmarks() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("gate.toml");
    std::fs::write(
        &config,
        "[[benchmark]]\nid = \"task/*\"\nignore = true\nreason = \"measured elsewhere\"\n\n\
         [[benchmark]]\nid = \"fixture/*\"\nthreshold = 1000\n",
    )
    .expect("write the config");
    let (code, json) = compare_json("base", "slow", &["--config", &path(&config)]);
    assert_eq!(code, Some(0), "{json}");
    let task = entry(&json, "task/cpu-spin/5000");
    assert_eq!(
        (task["verdict"].as_str(), task["note"].as_str()),
        (Some("ignored"), Some("measured elsewhere"))
    );
    assert!(task["absolute"]["ratio"].as_f64().expect("still measured") > 1.5, "{task}");
    let pool = entry(&json, "fixture/spin/StdPool/2");
    assert_eq!(
        (pool["verdict"].as_str(), pool["threshold_percent"].as_f64()),
        (Some("unchanged"), Some(1000.0))
    );
    let (_, stdout, _) = compare("base", "slow", &["--config", &path(&config)]);
    assert!(stdout.contains("threshold 1000%") && stdout.contains("measured elsewhere"), "{stdout}");

    std::fs::write(&config, "treshold = 5\n").expect("write the config");
    let (code, _, stderr) = compare("base", "slow", &["--config", &path(&config)]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains(&path(&config)) && stderr.contains("unknown field"), "{stderr}");
}

#[test]
fn bad_inputs_exit_1_and_say_what_to_do() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = path(&fixture().base_json);
    let run = |args: &[&str]| {
        let (code, stdout, stderr) = common::poolbench(args);
        assert_eq!(code, Some(1), "{args:?}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        stderr
    };

    let stderr = run(&["compare", "nosuch", &base, "--criterion-dir", &criterion_dir()]);
    assert!(
        stderr.starts_with(
            "Error: cannot read BASE: `nosuch` is neither a summary.json file nor a Criterion baseline"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("cargo bench -- --save-baseline nosuch"), "{stderr}");
    assert!(stderr.contains(&format!("{}/*/nosuch/benchmark.json", criterion_dir())), "{stderr}");

    let missing = path(&dir.path().join("missing.json"));
    let stderr = run(&["compare", &base, &missing]);
    assert!(
        stderr.starts_with("Error: cannot read NEW: ") && stderr.contains(&format!("a file {missing}")),
        "{stderr}"
    );

    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"schema_version\": 1, \"groups\": 4").expect("write");
    let stderr = run(&["compare", &base, &path(&garbage)]);
    assert!(
        stderr.contains("is not a poolbench summary.json") && stderr.contains("poolbench report"),
        "{stderr}"
    );

    let future = dir.path().join("future.json");
    std::fs::write(&future, "{\"schema_version\": 99}").expect("write");
    let stderr = run(&["compare", &path(&future), &base]);
    assert!(
        stderr.contains("has summary schema version 99, this poolbench reads versions 1 to 3"),
        "{stderr}"
    );

    let stderr = run(&["compare", &base, &base, "--threshold=-3"]);
    assert!(stderr.contains("not a positive percentage"), "{stderr}");
    let stderr = run(&["compare", &base, &base, "--alpha", "2"]);
    assert!(stderr.contains("not a significance level"), "{stderr}");
    let stderr = run(&["compare", &base, &base, "--statistic", "p200"]);
    assert!(stderr.contains("not a statistic"), "{stderr}");
    // A usage error is an error, not the regression code clap would give it.
    run(&["compare", &base]);
    run(&["compare", &base, &base, "--no-such-flag"]);
}

#[test]
fn the_help_documents_the_exit_codes() {
    let (code, stdout, _) = common::poolbench(["compare", "--help"]);
    assert_eq!(code, Some(0));
    for line in [
        "0  no benchmark regressed, and at least one was judged",
        "1  error",
        "or nothing was judged",
        "2  at least one benchmark regressed",
        "Bootstrap resamples, 1000 to 100000",
    ] {
        assert!(stdout.contains(line), "{stdout}");
    }
}

#[test]
fn exports_have_the_shapes_trackers_expect() {
    let base = path(&fixture().base_json);
    let summary = read_summary(&fixture().base_json);
    let ids: Vec<String> =
        summary.groups.iter().flat_map(|group| &group.results).map(|row| row.id.clone()).collect();

    let (code, stdout, stderr) = common::poolbench(["export", &base, "--format", "bmf"]);
    assert_eq!(code, Some(0), "{stderr}");
    let bmf: Value = serde_json::from_str(&stdout).expect("BMF is JSON");
    let object = bmf.as_object().expect("an object keyed by benchmark");
    assert_eq!(ids.len(), BOTH.len() + 1, "the base run's benchmarks: {ids:?}");
    assert_eq!(object.keys().cloned().collect::<Vec<_>>().len(), ids.len());
    for id in &ids {
        let latency = object[id.as_str()]["latency"].as_object().expect("a latency measure");
        let [lower, value, upper] =
            ["lower_value", "value", "upper_value"].map(|key| latency[key].as_f64().expect(key));
        assert!(lower <= value && value <= upper && lower > 0.0, "{id}: {latency:?}");
    }

    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("gab.json");
    let (code, stdout, stderr) = common::poolbench([
        "export",
        "base",
        "--criterion-dir",
        &criterion_dir(),
        "--format",
        "github-action-benchmark",
        "-o",
        &path(&out),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty());
    let gab: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    let entries = gab.as_array().expect("an array");
    assert_eq!(entries.len(), ids.len());
    for entry in entries {
        assert!(ids.iter().any(|id| entry["name"] == id.as_str()), "{entry}");
        assert_eq!(entry["unit"], "ns/iter");
        assert!(entry["value"].as_f64().expect("a value") > 0.0);
        assert!(entry["range"].as_str().expect("a range").starts_with("± "), "{entry}");
        assert!(entry["extra"].as_str().expect("extra").contains("samples"), "{entry}");
    }

    let (code, _, stderr) = common::poolbench(["export", &base, "--format", "csv"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("use bmf or github-action-benchmark"), "{stderr}");
}

#[test]
fn history_keeps_every_good_line_and_the_page_draws_each_benchmarks_trend() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("latest");
    let history_path = root.path().join(schema::history::FILE_NAME);
    let base = read_summary(&fixture().base_json);
    let mut earlier = schema::history::Run::from_summary(&base, |_| true);
    earlier.machine.date = "2026-01-01T00:00:00Z".to_owned();
    history::append(&history_path, &earlier).expect("append");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&history_path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, b"{\"history_version\": 1, \"machine\": tr\n")
        })
        .expect("a corrupt line");
    earlier.machine.date = "2026-01-02T00:00:00Z".to_owned();
    history::append(&history_path, &earlier).expect("append after a corrupt line");
    let read = history::read(&history_path).expect("the history reads");
    assert_eq!((read.runs.len(), read.skipped.len(), read.skipped[0].line), (2, 1, 2));

    let written =
        report::write(&Options::with_dirs(fixture().criterion.clone(), out.clone())).expect("the report");
    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let select = |css: &str| Selector::parse(css).expect("a selector");
    let section = page.select(&select("section.trends")).next().expect("a trends section");
    let note: String = section.select(&select(".skipped-lines")).flat_map(|p| p.text()).collect();
    assert!(note.contains("line 2"), "{note}");
    let summary = read_summary(&written.summary_json);
    let ids: Vec<&str> =
        summary.groups.iter().flat_map(|group| &group.results).map(|row| row.id.as_str()).collect();
    assert!(
        ids.contains(&BOTH[0]) && ids.contains(&ONLY_SLOW),
        "a benchmark of the recorded runs and one new since: {ids:?}"
    );
    for row in summary.groups.iter().flat_map(|group| &group.results) {
        let trend = section
            .select(&select("tr[data-benchmark]"))
            .find(|tr| tr.value().attr("data-benchmark") == Some(row.id.as_str()))
            .unwrap_or_else(|| panic!("a trend for {}", row.id));
        let points = trend.select(&select("svg.sparkline circle")).count();
        // The two recorded runs, and this report; a benchmark not in the base run has only this one.
        let expected = if base.groups.iter().flat_map(|group| &group.results).any(|old| old.id == row.id) {
            3
        } else {
            1
        };
        assert_eq!(points, expected, "{}", row.id);
    }
    assert!(page.select(&select("nav a[href='#trends']")).next().is_some());
}

#[test]
fn recording_appends_only_what_the_run_measured() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let options = Options::with_dirs(fixture().criterion.clone(), root.path().join("latest"));
    let written = report::write(&options).expect("the report");
    let recorded = history::record(&written, &[]).expect("record");
    assert_eq!(recorded.benchmarks, 0);
    assert!(!recorded.path.exists(), "nothing measured, nothing appended");
    assert!(recorded.to_string().contains("nothing measured"));

    // Another run's measurement of a benchmark (a last sample this run did not time) is left out.
    let timed = |row: &poolbench::schema::Row| (row.id.clone(), row.last_sample.expect("a last sample"));
    let rows: Vec<_> =
        written.summary.rows().filter(|row| row.source == poolbench::schema::Source::Criterion).collect();
    let mut others = timed(rows[0]);
    others.1.ns += 1.0;
    let recorded = history::record(&written, &[others]).expect("record");
    assert_eq!(recorded.benchmarks, 0, "another run's measurement is not this run's");

    let measured: Vec<_> = rows.iter().map(|row| timed(row)).collect();
    let recorded = history::record(&written, &measured).expect("record");
    assert_eq!(recorded.path, root.path().join(schema::history::FILE_NAME));
    assert_eq!(recorded.benchmarks, written.benchmarks);
    let history = history::read(&recorded.path).expect("read back");
    assert_eq!(history.runs.len(), 1);
    let run = &history.runs[0];
    assert_eq!(run.machine, read_summary(&written.summary_json).machine);
    assert!(run.benchmarks.contains_key(BOTH[0]) && run.benchmarks.contains_key(ONLY_SLOW));
    let line = std::fs::read_to_string(&recorded.path).expect("the file");
    assert!(!line.contains("samples_ns"), "the history stays compact");
}

#[test]
fn a_summary_with_a_reversed_interval_is_refused_naming_the_file_and_the_row() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut value = common::read_json(&fixture().base_json);
    let median = &mut value["groups"][0]["results"][0]["median_ns"];
    let (lower, upper) = (median["lower"].clone(), median["upper"].clone());
    median["lower"] = upper;
    median["upper"] = lower;
    let id = value["groups"][0]["results"][0]["id"].as_str().expect("an id").to_owned();
    let reversed = dir.path().join("reversed.json");
    std::fs::write(&reversed, value.to_string()).expect("write");
    let base = path(&fixture().base_json);
    let (code, stdout, stderr) = common::poolbench(["compare", &base, &path(&reversed)]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{} is not a valid summary.json: row `{id}`", path(&reversed)))
            && stderr.contains("median_ns interval is reversed"),
        "{stderr}"
    );
}

/// A copy of the base run's summary with `edit` applied, written to `dir/name`.
fn edited_base(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value = common::read_json(&fixture().base_json);
    edit(&mut value);
    let file = dir.join(name);
    std::fs::write(&file, value.to_string()).expect("write");
    path(&file)
}

/// Every row of a summary as JSON, for editing.
fn rows_mut(value: &mut Value) -> impl Iterator<Item = &mut Value> {
    value["groups"]
        .as_array_mut()
        .expect("groups")
        .iter_mut()
        .flat_map(|group| group["results"].as_array_mut().expect("results").iter_mut())
}

#[test]
fn a_gate_that_judged_nothing_fails_with_exit_1_and_says_why() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = path(&fixture().base_json);
    let elsewhere = edited_base(dir.path(), "renamed.json", |value| {
        for row in rows_mut(value) {
            row["id"] = format!("other/{}", row["id"].as_str().expect("an id")).into();
        }
    });
    let empty = edited_base(dir.path(), "empty.json", |value| value["groups"] = serde_json::json!([]));
    let zeros = edited_base(dir.path(), "zeros.json", |value| {
        for row in rows_mut(value) {
            let n = row["samples_ns"].as_array().expect("samples").len();
            row["samples_ns"] = vec![0.0; n].into();
        }
    });
    let no_samples = edited_base(dir.path(), "no-samples.json", |value| {
        for row in rows_mut(value) {
            row["samples_ns"] = serde_json::json!([]);
        }
    });
    let cases = [
        (&elsewhere, "BASE and NEW share no benchmark (4 only in BASE, 4 only in NEW)"),
        (&empty, "NEW holds no benchmark"),
        (&zeros, "none of the 4 benchmarks in both runs could be judged (4 ungated"),
        (&no_samples, "none of the 4 benchmarks in both runs could be judged (4 ungated"),
    ];
    for (new, why) in cases {
        let (code, stdout, stderr) = common::poolbench(["compare", &base, new]);
        assert_eq!(code, Some(1), "{new}: {stdout}{stderr}");
        assert!(stdout.contains(&format!("result: NOTHING JUDGED (exit code 1): {why}")), "{new}: {stdout}");
        assert!(
            stderr.starts_with("Error: poolbench compare judged nothing: ") && stderr.contains(why),
            "{stderr}"
        );
        let (code, json) = compare_json(&base, new, &[]);
        assert_eq!((code, json["outcome"].as_str()), (Some(1), Some("nothing_judged")), "{new}");
        let (code, markdown, _) = common::poolbench(["compare", &base, new, "--format", "markdown"]);
        assert_eq!(code, Some(1));
        assert!(markdown.starts_with("## poolbench compare: ⚠️ nothing judged\n"), "{markdown}");
    }
    let (code, json) = compare_json(&base, &base, &[]);
    assert_eq!((code, json["outcome"].as_str()), (Some(0), Some("no_regression")));
}

#[test]
fn a_run_that_lists_a_benchmark_twice_is_refused_naming_the_id_and_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut id = String::new();
    let twice = edited_base(dir.path(), "twice.json", |value| {
        let results = value["groups"][0]["results"].as_array_mut().expect("results");
        id = results[0]["id"].as_str().expect("an id").to_owned();
        let copy = results[0].clone();
        results.push(copy);
    });
    let (code, stdout, stderr) = common::poolbench(["compare", &path(&fixture().base_json), &twice]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{twice} is not a valid summary.json: benchmark `{id}` is listed twice")),
        "{stderr}"
    );
}

#[test]
fn resamples_below_the_stated_minimum_are_refused_on_the_command_line_and_in_the_config() {
    let base = path(&fixture().base_json);
    for resamples in ["0", "1", "999", "100001"] {
        let (code, stdout, stderr) = common::poolbench(["compare", &base, &base, "--resamples", resamples]);
        assert_eq!(code, Some(1), "{resamples}: {stdout}{stderr}");
        assert!(stderr.contains(&format!("resamples = {resamples}: give 1000 to 100000")), "{stderr}");
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("gate.toml");
    std::fs::write(&config, "resamples = 1\n").expect("write the config");
    let (code, _, stderr) = common::poolbench(["compare", &base, &base, "--config", &path(&config)]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&path(&config)) && stderr.contains("resamples = 1: give 1000 to 100000"),
        "{stderr}"
    );
    let (code, stdout, stderr) = common::poolbench(["compare", &base, &base, "--resamples", "1000"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

/// `summary` with every row given `n` samples spread evenly over +0% to +4% of its median times
/// `factor`, in a scrambled order.
fn with_samples(summary: &Summary, n: usize, factor: f64) -> Summary {
    let mut summary = summary.clone();
    for row in summary.groups.iter_mut().flat_map(|group| &mut group.results) {
        let median = row.median_ns.point * factor;
        row.samples_ns =
            (0..n).map(|i| median * (1.0 + 0.04 * ((i * 7_919) % n) as f64 / n as f64)).collect();
        row.n = n;
    }
    summary
}

/// `summary` with every row's samples cut to the `cap` evenly spaced ones: sample `i * n / cap`.
fn evenly_spaced(summary: &Summary, cap: usize) -> Summary {
    let mut summary = summary.clone();
    for row in summary.groups.iter_mut().flat_map(|group| &mut group.results) {
        let n = row.samples_ns.len();
        row.samples_ns = (0..cap).map(|i| row.samples_ns[i * n / cap]).collect();
    }
    summary
}

#[test]
fn a_side_with_more_samples_than_the_cap_is_bootstrapped_from_an_evenly_spaced_subsample_and_says_so() {
    let base = read_summary(&fixture().base_json);
    let (big_base, big_slow) = (with_samples(&base, 2_000, 1.0), with_samples(&base, 2_000, SLOWDOWN));
    let mut settings = compare::Settings::new();
    settings.max_bootstrap_samples = 50;
    settings.resamples = 1_000;
    let capped = compare::compare(
        &Input::new("base", big_base.clone()),
        &Input::new("slow", big_slow.clone()),
        &settings,
    )
    .expect("compared");
    let (thin_base, thin_slow) = (evenly_spaced(&big_base, 50), evenly_spaced(&big_slow, 50));
    settings.max_bootstrap_samples = compare::MAX_BOOTSTRAP_SAMPLES;
    let direct = compare::compare(&Input::new("base", thin_base), &Input::new("slow", thin_slow), &settings)
        .expect("compared");
    let find = |comparison: &compare::Comparison, id: &str| {
        comparison
            .entries
            .iter()
            .find(|entry| entry.id == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    for id in BOTH {
        let (capped, direct) = (find(&capped, id), find(&direct, id));
        assert_eq!(capped.verdict, compare::Verdict::Regressed, "{id}");
        let (change, thin) = (capped.gated.expect("tested"), direct.gated.expect("tested"));
        assert_eq!((change.subsample, thin.subsample), (Some(50), None), "{id}");
        // The draws are those of the 50 evenly spaced samples, to the last digit.
        assert_eq!(
            (change.lower, change.upper, change.p_value),
            (thin.lower, thin.upper, thin.p_value),
            "{id}"
        );
    }
    let table = poolbench::verdict::render_table(&capped);
    assert!(table.contains("bootstrap resampled 50 evenly spaced samples of a side with more"), "{table}");
    let json: Value =
        serde_json::from_str(&poolbench::verdict::render_json(&capped).expect("JSON")).expect("parses");
    assert_eq!(entry(&json, BOTH[0])["gated"]["subsample"], 50);
}
