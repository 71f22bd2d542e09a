//! The gate end to end, on a bench of its own: this test binary is a bench built on
//! `poolbench::bench::Main` (as `poolbench::main!` writes one), whose benchmarks report synthetic
//! times, `iterations × 1 µs × GATE_TEST_FACTOR`, instead of measuring any. So the whole path
//! runs (serve mode, listing, rounds of fresh processes, the rule, the tables) while every
//! verdict is known in advance: a test of the logic, never of the machine's speed.
//!
//! Run with `--bench --list` or `POOLBENCH_SERVE` set, it is the bench; otherwise it runs the
//! tests below (`harness = false`), each starting it again as base and head.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use criterion::Criterion;
use poolbench::bench::{Group, Main};
use poolbench::gate::{self, Base, Outcome, Request, Settings, Verdict};

poolbench::worker_entry!();

/// The synthetic slowdown of the `gatetest/steady` benchmarks.
const FACTOR_ENV: &str = "GATE_TEST_FACTOR";
/// Makes `gatetest/steady/fails` fail its set-up.
const FAIL_ENV: &str = "GATE_TEST_FAIL";
/// Makes this binary behave as a bench from before serve mode.
const OLD_ENV: &str = "GATE_TEST_OLD";

fn synthetic(c: &mut Criterion) {
    let factor: f64 = std::env::var(FACTOR_ENV).ok().and_then(|text| text.parse().ok()).unwrap_or(1.0);
    let mut group = Group::new(c, "gatetest/steady");
    for value in ["a", "b"] {
        group.bench_value(value, move || {
            Ok(move |iterations: u64| Duration::from_nanos((iterations as f64 * 1_000.0 * factor) as u64))
        });
    }
    group.bench_value("fails", || {
        if std::env::var_os(FAIL_ENV).is_some() {
            return Err("set-up failed on purpose".to_owned());
        }
        Ok(|iterations: u64| Duration::from_micros(iterations))
    });
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|arg| arg == "--list");
    if std::env::var_os(OLD_ENV).is_some() && listing {
        // What a bench from before serve mode does with POOLBENCH_SERVE and `--list`: lists.
        println!("gatetest/steady/a: benchmark");
        return ExitCode::SUCCESS;
    }
    if listing || std::env::var_os(poolbench::env::SERVE).is_some() {
        return Main::new().main(&[synthetic]);
    }
    let tests: [(&str, fn()); 7] = [
        ("a_served_benchmark_answers_each_request_then_exits_at_the_end_of_its_input", serves_by_hand),
        ("a_bad_request_or_an_unknown_id_ends_the_server_with_a_message", refuses_bad_input),
        ("an_a_a_run_finds_every_benchmark_unchanged_and_exits_0", a_a_is_unchanged),
        ("a_slowdown_in_the_head_only_is_a_regression_with_exit_code_2", slowdown_regresses),
        ("a_set_up_that_fails_in_the_head_is_a_failed_benchmark_and_exit_code_1", failure_is_reported),
        ("a_base_that_predates_serve_mode_is_told_apart", old_base_is_told_apart),
        ("the_config_file_gives_a_benchmark_its_threshold_and_leaves_an_ignored_one_out", config_is_honoured),
    ];
    let filter = args.iter().skip(1).find(|arg| !arg.starts_with('-'));
    for (name, test) in tests {
        if filter.is_some_and(|filter| !name.contains(filter.as_str())) {
            continue;
        }
        print!("test {name} ... ");
        let _ = std::io::stdout().flush();
        test();
        println!("ok");
    }
    ExitCode::SUCCESS
}

fn this_binary() -> PathBuf {
    std::env::current_exe().expect("the test binary's path")
}

/// Quick settings: synthetic times need no long slots, and a spread of zero decides at once.
fn settings() -> Settings {
    Settings {
        slot: Duration::from_millis(1),
        pairs: 2,
        min_rounds: 2,
        max_rounds: 3,
        canaries: 1,
        budget: Duration::from_secs(60),
        // Synthetic times do not depend on the machine's load: keep every round.
        max_disturbance: 1.0,
        ..Settings::new()
    }
}

fn request(head_env: &[(&str, &str)], filter: &str) -> Request {
    Request {
        base: Base::Programs(vec![this_binary()]),
        head_programs: Some(vec![this_binary()]),
        head_env: head_env.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect(),
        filter: Some(filter.to_owned()),
        dir: std::env::temp_dir(),
        work_dir: Some(tempfile::tempdir().expect("a scratch directory").keep()),
    }
}

fn serves_by_hand() {
    let mut child = Command::new(this_binary())
        .env(poolbench::env::SERVE, "gatetest/steady/a")
        .env(FACTOR_ENV, "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a server");
    let mut replies = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    replies.read_line(&mut line).expect("hello");
    assert_eq!(line, "poolbench-serve 1 gatetest/steady/a\n");
    let mut input = child.stdin.take().expect("stdin");
    for (iterations, expected) in [(3, "6000\n"), (1000, "2000000\n")] {
        writeln!(input, "{iterations}").expect("request");
        line.clear();
        replies.read_line(&mut line).expect("answer");
        assert_eq!(line, expected);
    }
    drop(input);
    assert!(child.wait().expect("exit").success());
}

fn refuses_bad_input() {
    let run = |id: &str, input: &str| {
        let mut child = Command::new(this_binary())
            .env(poolbench::env::SERVE, id)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start a server");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("request");
        child.wait_with_output().expect("exit")
    };
    let bad = run("gatetest/steady/a", "ten\n");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr.contains("gatetest/steady/a") && stderr.contains("\"ten\""), "{stderr}");
    let unknown = run("gatetest/steady", "");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr.contains("no benchmark `gatetest/steady`") && stderr.contains("--list"), "{stderr}");
    assert!(unknown.stdout.is_empty(), "no hello for an unknown id");
}

fn a_a_is_unchanged() {
    let report =
        gate::run(&request(&[], "^gatetest/steady/[ab]$"), &settings(), &mut |_| {}).expect("a gate run");
    assert_eq!(report.entries.len(), 2);
    for entry in &report.entries {
        assert_eq!(entry.verdict, Verdict::Unchanged, "{entry:?}");
        assert_eq!(entry.change.map(|change| change.ratio), Some(1.0));
        assert!(entry.rounds >= 2, "two fresh processes a side at least");
    }
    assert!(report.canary.flagged.is_none() && report.canary.entries.len() == 1);
    assert!(report.base.processes >= 4 && report.head.processes >= 4);
    assert_eq!(report.outcome().exit_code(), 0);
    let markdown = poolbench::verdict::render_markdown(&report);
    assert!(markdown.starts_with("## poolbench gate: ✅ no regression"), "{markdown}");
    let json: serde_json::Value =
        serde_json::from_str(&poolbench::verdict::render_json(&report).expect("json")).expect("parses");
    assert_eq!(json["outcome"], "no_regression");
    assert_eq!(json["entries"][0]["verdict"], "unchanged");
}

fn slowdown_regresses() {
    let report =
        gate::run(&request(&[(FACTOR_ENV, "1.05")], "^gatetest/steady/[ab]$"), &settings(), &mut |_| {})
            .expect("a gate run");
    for entry in &report.entries {
        assert_eq!(entry.verdict, Verdict::Regressed, "{entry:?}");
        let ratio = entry.change.expect("a change").ratio;
        assert!((ratio - 1.05).abs() < 1e-3, "{ratio}");
    }
    assert_eq!(report.outcome(), Outcome::Regression);
    assert_eq!(report.outcome().exit_code(), 2);
    assert!(poolbench::verdict::render_table(&report).contains("result: REGRESSION (exit code 2)"));
    // The canary runs the head on both sides: the injected factor cancels.
    assert!(report.canary.flagged.is_none(), "{:?}", report.canary);
}

fn failure_is_reported() {
    let report = gate::run(&request(&[(FAIL_ENV, "1")], "^gatetest/steady/"), &settings(), &mut |_| {})
        .expect("a gate run");
    let failed: Vec<_> = report.entries.iter().filter(|entry| entry.verdict == Verdict::Failed).collect();
    assert_eq!(failed.len(), 1, "{:?}", report.entries);
    let note = failed[0].note.as_deref().unwrap_or_default();
    assert!(note.contains("set-up failed on purpose"), "{note}");
    assert_eq!(report.outcome().exit_code(), 1);
}

fn old_base_is_told_apart() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let old = dir.path().join("old-bench");
    std::fs::write(&old, format!("#!/bin/sh\n{OLD_ENV}=1 exec '{}' \"$@\"\n", this_binary().display()))
        .expect("write the wrapper");
    let mut permissions = std::fs::metadata(&old).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&old, permissions).expect("make it executable");
    let request = Request { base: Base::Programs(vec![old]), ..request(&[], "^gatetest/steady/a$") };
    let err = gate::run(&request, &settings(), &mut |_| {}).expect_err("no serve mode in the base");
    assert!(err.is_no_serve_mode(), "{err}");
    assert!(err.to_string().contains("predates serve mode"), "{err}");
}

fn config_is_honoured() {
    let config = poolbench::verdict::Config::parse(
        r#"
        threshold = 3
        [[benchmark]]
        id = "gatetest/steady/a"
        threshold = 10
        reason = "a noisy one"
        [[benchmark]]
        id = "gatetest/steady/b"
        ignore = true
        reason = "not ours"
        "#,
        std::path::Path::new("poolbench-compare.toml"),
    )
    .expect("a config file");
    let settings = settings().apply(&config);
    assert_eq!(settings.threshold_percent, 3.0);
    let report =
        gate::run(&request(&[(FACTOR_ENV, "1.05")], "^gatetest/steady/[ab]$"), &settings, &mut |_| {})
            .expect("a gate run");
    let verdicts: Vec<(&str, Verdict)> =
        report.entries.iter().map(|entry| (entry.id.as_str(), entry.verdict)).collect();
    // 5% slower: beyond the run's 3%, within a's own 10%.
    assert_eq!(
        verdicts,
        [("gatetest/steady/a", Verdict::Unchanged), ("gatetest/steady/b", Verdict::Ignored)]
    );
    assert_eq!(report.entries[0].note.as_deref(), Some("threshold 10%: a noisy one"));
    assert_eq!(report.entries[1].note.as_deref(), Some("not ours"));
    assert_eq!((report.entries[1].rounds, report.outcome()), (0, Outcome::NoRegression));
}
